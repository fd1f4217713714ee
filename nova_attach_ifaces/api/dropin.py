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
"""Drop-in filter: serve os-interface for our servers inside a compute API.

An operator adds this filter to an existing compute API's ``/v2.1``
pipeline, after its context filter and before its app::

    [composite:openstack_compute_api_v21]
    use = call:nova.api.auth:pipeline_factory_v21
    keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log
        sizelimit osprofiler authtoken keystonecontext os_interface
        osapi_compute_app_v21

    [filter:os_interface]
    use = egg:nova-attach-ifaces#os_interface
    config_file = /etc/nova-attach-ifaces/nova-attach-ifaces.conf

A request for an os-interface route (``/servers/{id}/os-interface[/{port}]``
with or without a leading ``/{project_id}``, under a mount ending in
``/v2.1``) about a server our compute driver knows is answered here, with
our driver, the host's policy settings (:mod:`.host_policy`) and our
version headers. Everything else goes to the next app untouched, so the
host keeps serving os-interface for its own servers: nothing here reads
the body of a request it passes on or changes its environ.

The filter answers nothing at all (every request passes through, and one
ERROR line says why) when it cannot serve correctly: its configuration file
is missing or unreadable, no configuration exists, or the ``memory``
driver (whose state lives in one process) runs in a multi-process server.
A compute API is larger than this filter; a mistake in the filter's
configuration must not take it down.

The caller's context is built from the upstream ``nova.context`` when the
pipeline has one, otherwise from keystonemiddleware's headers (so the
filter also works right after ``authtoken``); the API app sees only ours.

Our options live in this service's private ``ConfigOpts``, read from
``config_file`` (a whitespace-separated list is allowed) unless the process
has already parsed it. The host process's logging setup is left alone: our
loggers (``nova_attach_ifaces.*``) propagate to whatever it configured.
"""

import os

from oslo_config import cfg
from oslo_log import log as logging

from nova_attach_ifaces.api import auth
from nova_attach_ifaces.api import faults
from nova_attach_ifaces.api import host_policy
from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.api import microversion
from nova_attach_ifaces.api import router
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import context
from nova_attach_ifaces import policy

LOG = logging.getLogger(__name__)

PROJECT = 'nova-attach-ifaces'
DEFAULT_CONFIG_FILE = '/etc/nova-attach-ifaces/nova-attach-ifaces.conf'
#: The mount whose requests this filter may answer.
MOUNT = '/v2.1'
#: Where Nova's own pipeline leaves its context.
UPSTREAM_CONTEXT_KEY = 'nova.context'
#: The drivers whose state lives in one process.
SINGLE_PROCESS_DRIVERS = ('memory',)


class NotConfigured(Exception):
    """The filter has no usable configuration; it passes everything on."""


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

    :param explicit: the operator named the files (``config_file``).
    :raises NotConfigured: a named file is missing or cannot be read, or
        nothing was named and the default file does not exist.
    """
    if is_parsed(conf.CONF):
        LOG.debug('nova-attach-ifaces configuration already parsed')
        return
    missing = [path for path in config_files if not os.path.exists(path)]
    if missing and explicit:
        raise NotConfigured('config_file %s does not exist'
                            % ', '.join(missing))
    if missing:
        raise NotConfigured('no config_file set and %s does not exist'
                            % ', '.join(missing))
    # args=[]: never read the host process's command line (its
    # --config-file belongs to it, not to us).
    try:
        conf.CONF([], project=PROJECT, default_config_files=config_files,
                  default_config_dirs=[])
    except cfg.Error as e:
        raise NotConfigured('config_file %s: %s'
                            % (' '.join(config_files), e))


def inherit_host_policy(host_conf=None):
    """Default our ``[oslo_policy]`` to the host's, if it parsed one."""
    host_conf = host_conf or cfg.CONF
    if not is_parsed(host_conf):
        LOG.info('os_interface filter: the host has no parsed '
                 'configuration; policy settings are our own')
        return
    inherited, own = host_policy.inherit(conf.CONF, host_conf)
    taken = ', '.join('%s=%s' % item for item in sorted(inherited.items()))
    LOG.info("os_interface filter: [oslo_policy] from the host's "
             'configuration: %s; set in ours: %s',
             taken or '-', ', '.join(sorted(own)) or '-')


def upstream_context(upstream, environ):
    """Our context with what the host's ``nova.context`` says."""
    ctx = context.RequestContext.from_dict(
        upstream.to_dict(),
        request_id=environ.get('openstack.request_id', upstream.request_id))
    ctx.is_admin = policy.check_is_admin(ctx)
    return ctx


def record_host_microversion(environ, version):
    """Tell the host's access log which microversion we answered with.

    Nova's request log reads the version from the ``api_version_request``
    its own request object keeps among webob's ad hoc attributes, which
    Nova's API sets and ours cannot. Replace that record by one of the same
    class for ``version``; a host without one is left alone.
    """
    attributes = environ.get('webob.adhoc_attrs')
    record = attributes and attributes.get('api_version_request')
    if record is None or not hasattr(record, 'get_string'):
        return
    try:
        attributes['api_version_request'] = type(record)(str(version))
    except Exception:
        LOG.debug("Could not set the host's microversion record",
                  exc_info=True)


class OSInterfaceFilter(object):
    """Answer os-interface requests about our servers; pass on the rest."""

    def __init__(self, application, api, compute_driver):
        self.application = application
        self.api = faults.FaultWrapper(api)
        self.mapper = api.mapper
        self.compute_driver = compute_driver
        # Checked on the first request: the WSGI server says whether
        # other processes serve this app.
        self._check_processes = (
            conf.CONF.compute.driver in SINGLE_PROCESS_DRIVERS)
        self._enabled = True

    def _route(self, environ):
        """The os-interface route match of the request, or None."""
        if not environ.get('SCRIPT_NAME', '').endswith(MOUNT):
            return None
        # Path only, any method: an unsupported method on our path is ours
        # to answer (405 with Allow). Only os-interface: the host's own
        # servers routes stay the host's.
        match = self.mapper.match(environ.get('PATH_INFO', ''))
        if match is None or match['controller'] != 'interfaces':
            return None
        return match

    def _refuse_multiprocess(self, environ):
        self._check_processes = False
        if environ.get('wsgi.multiprocess'):
            self._enabled = False
            LOG.error('os_interface filter: [compute] driver = %s keeps its '
                      'state in one process, and this compute API runs in '
                      'several; not serving os-interface (every request '
                      'passes through). Use the sql driver.',
                      conf.CONF.compute.driver)

    def _knows(self, ctx, server_id):
        try:
            self.compute_driver.get_server(ctx, server_id)
        except exception.ServerNotFound:
            return False
        # Any other error (a database down) is ours to answer.
        except exception.ComputeError:
            pass
        return True

    def __call__(self, environ, start_response):
        match = self._route(environ)
        if match is None:
            return self.application(environ, start_response)
        if self._check_processes:
            self._refuse_multiprocess(environ)
        if not self._enabled:
            return self.application(environ, start_response)

        upstream = environ.get(UPSTREAM_CONTEXT_KEY)
        if upstream is not None:
            ctx = upstream_context(upstream, environ)
        else:
            ctx = auth.context_from_headers(environ)
            if ctx is None:
                return auth.unauthorized(environ, start_response)
        if not self._knows(ctx, match['server_id']):
            # The host's server, or nobody's: the host answers.
            return self.application(environ, start_response)

        try:
            record_host_microversion(environ, microversion.negotiate(environ))
        except (microversion.InvalidVersion, microversion.UnsupportedVersion):
            # The API answers 400 or 406; the host logs no version either.
            pass
        environ[auth.CONTEXT_KEY] = ctx
        return self.api(environ, start_response)


# (config files, named explicitly) -> what filter_factory made of them.
_FILTERS = {}


def filter_factory(global_conf, **local_conf):
    """paste.filter_factory for :class:`OSInterfaceFilter`.

    Local options: ``config_file`` (default
    ``/etc/nova-attach-ifaces/nova-attach-ifaces.conf``).

    One driver and one API per process and configuration, however many
    pipelines name the filter (our CONF is one per process too).
    """
    explicit = 'config_file' in local_conf
    files = local_conf.get('config_file', DEFAULT_CONFIG_FILE).split()
    key = (tuple(files), explicit)
    if key not in _FILTERS:
        _FILTERS[key] = _make_filter(files, explicit)
    return _FILTERS[key]


def _make_filter(files, explicit):
    try:
        load_config(files, explicit)
    except NotConfigured as e:
        LOG.error('os_interface filter: %s; not serving os-interface '
                  '(every request passes through)', e)
        return lambda app: app

    inherit_host_policy()
    policy.init(conf.CONF)
    # Closed when the host's process exits (see lifetime).
    compute_driver = lifetime.own(loader.load_driver(conf.CONF))
    if conf.CONF.compute.driver in SINGLE_PROCESS_DRIVERS:
        LOG.warning('os_interface filter: [compute] driver = %s keeps its '
                    'state in this process: serve from a single-process '
                    'compute API only (it is refused in a multi-process '
                    'one), or use the sql driver.', conf.CONF.compute.driver)
    api = router.build(compute_driver)
    LOG.info('os_interface filter: serving os-interface under %s for the '
             'servers of the %s driver', MOUNT, conf.CONF.compute.driver)

    def _filter(app):
        return OSInterfaceFilter(app, api, compute_driver)
    return _filter
