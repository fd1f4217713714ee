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
"""Options of the libraries in the API pipeline, on this service's CONF.

keystonemiddleware (``[keystone_authtoken]``) and oslo.middleware
(``[cors]``, ``[oslo_middleware]``, ``[healthcheck]``) register their
options themselves when the pipeline is built, on the ``ConfigOpts`` they
are given: ours (see :mod:`nova_attach_ifaces.api.middleware`). Registering
them here as well, at import, means a configuration file is checked and
logged as a whole at start, and tests can override them before the
pipeline is loaded (keystonemiddleware reads its options only once, when it
is constructed).

These groups belong to the libraries, so they are not in this service's
``oslo.config.opts`` namespace; the generator config names the libraries'
own namespaces.
"""

from keystonemiddleware import auth_token
import oslo_messaging
from oslo_middleware import cors
from oslo_middleware.healthcheck import opts as healthcheck_opts
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import sizelimit

from nova_attach_ifaces.conf import messaging

#: What browsers may send to and read from this API (Nova's lists).
CORS_DEFAULTS = {
    'allow_headers': [
        'X-Auth-Token', 'X-Openstack-Request-Id', 'X-Identity-Status',
        'X-Roles', 'X-Service-Catalog', 'X-User-Id', 'X-Tenant-Id',
        'X-OpenStack-Nova-API-Version', 'OpenStack-API-Version',
    ],
    'expose_headers': [
        'X-Auth-Token', 'X-Openstack-Request-Id', 'X-Subject-Token',
        'X-Service-Token', 'X-OpenStack-Nova-API-Version',
        'OpenStack-API-Version', 'X-Compute-Request-Id',
    ],
    'allow_methods': ['GET', 'POST', 'DELETE'],
}


def register_opts(conf):
    # The libraries' own option objects (not copies) for oslo.middleware:
    # its middleware registers exactly these again, which oslo.config
    # accepts as already registered.
    conf.register_opts(cors.OPTS, group='cors')
    conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
    conf.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')
    for opts in (healthcheck_opts.HEALTHCHECK_OPTS,
                 healthcheck_opts.DISABLE_BY_FILE_OPTS,
                 healthcheck_opts.DISABLE_BY_FILES_OPTS,
                 healthcheck_opts.ENABLE_BY_FILES_OPTS):
        conf.register_opts(opts, group='healthcheck')
    # auth_token registers deep copies of these; equal options are
    # accepted as already registered too.
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)


def set_cors_defaults(conf):
    """Our CORS defaults on ``conf`` only.

    Per ConfigOpts, so oslo.middleware's module-level defaults, shared with
    the host process in drop-in mode, stay untouched. Called when the CORS
    filter is built, since ``ConfigOpts.reset()`` forgets them.
    """
    for name, value in CORS_DEFAULTS.items():
        conf.set_default(name, value, group='cors')


#: Nova's health check: 503 while this file exists (drain an instance).
HEALTHCHECK_DEFAULTS = {
    'backends': ['disable_by_file'],
    'disable_by_file_path': '/etc/nova-attach-ifaces/healthcheck_disable',
}


def set_healthcheck_defaults(conf):
    """Our ``[healthcheck]`` defaults on ``conf`` only (as for CORS).

    Defaults, so that the configuration file's options win over them.
    """
    for name, value in HEALTHCHECK_DEFAULTS.items():
        conf.set_default(name, value, group='healthcheck')


def set_lib_defaults():
    """``oslo.config.opts.defaults`` hook: our defaults in the sample.

    Only the config generator calls this; it changes oslo.middleware's
    module-level defaults, which the generator reads (and oslo.messaging's
    control_exchange, see :mod:`nova_attach_ifaces.conf.messaging`).
    """
    cors.set_defaults(**CORS_DEFAULTS)
    oslo_messaging.set_transport_defaults(messaging.CONTROL_EXCHANGE)
