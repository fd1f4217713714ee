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
"""Configuration of nova-attach-ifaces.

``CONF`` is this service's own ``ConfigOpts`` instance, not oslo.config's
process-global one: in drop-in filter mode the service runs inside another
project's API process, whose global configuration already has groups with
our names (``[api]``, ``[compute]``, ...). Keeping our own instance means
neither service can see or clobber the other's options.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import opts as policy_opts

from nova_attach_ifaces.conf import agent
from nova_attach_ifaces.conf import api
from nova_attach_ifaces.conf import compute
from nova_attach_ifaces.conf import database
from nova_attach_ifaces.conf import default
from nova_attach_ifaces.conf import libvirt
from nova_attach_ifaces.conf import memory
from nova_attach_ifaces.conf import messaging
from nova_attach_ifaces.conf import middleware
from nova_attach_ifaces.conf import network
from nova_attach_ifaces.conf import neutron
from nova_attach_ifaces.conf import notifications
from nova_attach_ifaces.conf import wsgi

CONF = cfg.ConfigOpts()

#: Modules with ``register_opts(conf)`` and ``list_opts()``, in sample order.
MODULES = [default, agent, api, compute, database, libvirt, memory,
           network, neutron, notifications, wsgi]


def register_opts(conf):
    """Register this service's options and the libraries' on ``conf``."""
    for module in MODULES:
        module.register_opts(conf)
    logging.register_options(conf)
    # alembic narrates each migration step at INFO; the service says in
    # one line what it migrated from and to.
    conf.set_default('default_log_levels',
                     logging.get_default_log_levels() + ['alembic=WARN'])
    policy_opts.set_defaults(conf)
    middleware.register_opts(conf)
    messaging.register_opts(conf)


register_opts(CONF)
