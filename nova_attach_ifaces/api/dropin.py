#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
"""Drop-in filter: serve os-interface inside an existing compute API.

An operator whose compute API no longer serves os-interface adds this
filter to that API's ``/v2.1`` pipeline, after its context filter and
before its app::

    [composite:openstack_compute_api_v21]
    use = call:nova.api.auth:pipeline_factory_v21
    keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log
        sizelimit osprofiler authtoken keystonecontext os_interface
        osapi_compute_app_v21

    [filter:os_interface]
    use = egg:nova-attach-ifaces#os_interface
    config_file = /etc/nova-attach-ifaces/nova-attach-ifaces.conf

Requests for the os-interface routes (``/servers/{id}/os-interface[/{port}]``
with or without a leading ``/{project_id}``) under a mount ending in
``/v2.1`` are answered here, with this service's policy, driver and version
headers. Every other request goes to the next app untouched: nothing here
reads its body or changes its environ.

The caller's context is the upstream ``nova.context`` when the pipeline has
one; otherwise it is built from keystonemiddleware's headers (so the filter
also works right after ``authtoken``).

Configuration lives in this service's private ``ConfigOpts``, read from
``config_file`` (whitespace-separated list allowed) unless the process has
already parsed it. The host process's logging setup is left alone: our
loggers (``nova_attach_ifaces.*``) propagate to whatever it configured.
"""

import os

from oslo_config import cfg
from oslo_log import log as logging

from nova_attach_ifaces.api import auth
from nova_attach_ifaces.api import faults
from nova_attach_ifaces.api import router
from nova_attach_ifaces import conf

LOG = logging.getLogger(__name__)

PROJECT = 'nova-attach-ifaces'
DEFAULT_CONFIG_FILE = '/etc/nova-attach-ifaces/nova-attach-ifaces.conf'
#: The mount whose requests this filter may answer.
MOUNT = '/v2.1'


def is_parsed(config):
    """Whether ``config`` has been called (parsed its files)."""
    # ConfigOpts registers --config-file only when it is called.
    try:
        config.config_file
    except cfg.NoSuchOptError:
        return False
    return True


def load_config(config_files, explicit):
    """Parse ``config_files`` into our CONF unless it is already parsed.

    :param explicit: the operator named the files; a missing one is then a
        deployment error rather than "run with defaults".
    :raises RuntimeError: an explicitly named file does not exist.
    """
    if is_parsed(conf.CONF):
        LOG.debug('nova-attach-ifaces configuration already parsed')
        return
    existing = [path for path in config_files if os.path.exists(path)]
    missing = sorted(set(config_files) - set(existing))
    if missing and explicit:
        raise RuntimeError('os_interface filter: config_file %s does not '
                           'exist' % ', '.join(missing))
    if missing:
        LOG.warning('os_interface filter: %s not found; using default '
                    'options', ', '.join(missing))
    # args=[]: never read the host process's command line (its
    # --config-file belongs to it, not to us).
    conf.CONF([], project=PROJECT, default_config_files=existing,
              default_config_dirs=[])


class OSInterfaceFilter(object):
    """Answer os-interface requests; pass everything else down."""

    def __init__(self, application, api):
        self.application = application
        # The API with a context built here when no upstream one exists.
        self.api = faults.FaultWrapper(api)
        self.keystone_api = faults.FaultWrapper(auth.KeystoneContext(api))
        self.mapper = api.mapper

    def _is_ours(self, environ):
        if not environ.get('SCRIPT_NAME', '').endswith(MOUNT):
            return False
        # Path only, any method: an unsupported method on our path is ours
        # to answer (405 with Allow). Only os-interface: the host's own
        # servers routes stay the host's.
        match = self.mapper.match(environ.get('PATH_INFO', ''))
        return match is not None and match['controller'] == 'interfaces'

    def __call__(self, environ, start_response):
        if not self._is_ours(environ):
            return self.application(environ, start_response)
        if (auth.CONTEXT_KEY in environ or
                environ.get(auth.UPSTREAM_CONTEXT_KEY) is not None):
            return self.api(environ, start_response)
        return self.keystone_api(environ, start_response)


def filter_factory(global_conf, **local_conf):
    """paste.filter_factory for :class:`OSInterfaceFilter`.

    Local options: ``config_file`` (default
    ``/etc/nova-attach-ifaces/nova-attach-ifaces.conf``).
    """
    explicit = 'config_file' in local_conf
    files = local_conf.get('config_file', DEFAULT_CONFIG_FILE).split()
    load_config(files, explicit)
    api = router.app_factory(global_conf)
    LOG.info('os_interface filter: serving os-interface under %s', MOUNT)

    def _filter(app):
        return OSInterfaceFilter(app, api)
    return _filter
