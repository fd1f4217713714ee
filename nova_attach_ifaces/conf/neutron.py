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
"""Options of the [neutron] group, for the ``neutron`` network backend.

The group is keystoneauth1's, as in Nova's ``[neutron]``: the service's
own credentials (``auth_type``, ``auth_url``, ``username``, ...; used for
what needs admin rights in Neutron, binding), the HTTP session (``timeout``,
``cafile``, ...) and how Neutron is found (``service_type``,
``valid_interfaces``, ``region_name``, or ``endpoint_override`` instead of
the Keystone catalog).
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = cfg.OptGroup(
    'neutron', title='Neutron network backend options',
    help='How the "neutron" network backend reaches Neutron and the '
         'service credentials it binds ports with (keystoneauth1 options, '
         'as in Nova\'s [neutron] group).')

#: Seconds one Neutron call may take. keystoneauth's default is to wait
#: forever, which would hold an API worker as long as Neutron hangs.
DEFAULT_TIMEOUT = 30

#: Where Neutron is looked up in the catalog, in order (Nova's default).
DEFAULT_INTERFACES = ['internal', 'public']


def _with_our_defaults(opts):
    # On the option objects themselves, not with conf.set_default():
    # ConfigOpts.reset() forgets set_default() values.
    for opt in opts:
        if opt.dest == 'service_type':
            opt.default = 'network'
        elif opt.dest == 'valid_interfaces':
            opt.default = DEFAULT_INTERFACES
        elif opt.dest == 'timeout':
            opt.default = DEFAULT_TIMEOUT
    return opts


def _opts():
    """keystoneauth1's session, auth and adapter options (new objects)."""
    return _with_our_defaults(
        ks_loading.get_session_conf_options() +
        ks_loading.get_auth_common_conf_options() +
        ks_loading.get_adapter_conf_options(include_deprecated=False))


def register_opts(conf):
    # A group object per ConfigOpts: register_group() keeps a shallow copy
    # sharing its option table with the object given. The auth plugin's
    # own options (username, ...) are registered by keystoneauth1 when
    # the backend loads the plugin named by auth_type.
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title,
                                     help=GROUP.help))
    conf.register_opts(_opts(), group=GROUP.name)


def list_opts():
    # The options of the password plugin are listed (the usual choice);
    # any keystoneauth1 plugin's options are accepted at run time.
    return {GROUP: _opts() +
            ks_loading.get_auth_plugin_conf_options('password')}
