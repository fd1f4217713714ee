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
"""oslo.messaging's options, on this service's CONF.

The transport (``[DEFAULT] transport_url``, ``rpc_response_timeout``,
``control_exchange``), ``[oslo_messaging_rabbit]`` and
``[oslo_messaging_notifications]`` belong to oslo.messaging, which
registers them itself when a transport or notifier is made. Registering
its own option objects here too means a configuration file is checked as
a whole at start and tests can override them first; the generator config
names oslo.messaging's namespace for the sample.

``[oslo_messaging_notifications] retry`` defaults to 1 rather than
oslo.messaging's -1 (reconnect forever): a notification is sent in the
request that it reports, which must not hang while the bus is away (the
notification is then logged as lost, and the change goes on).

``control_exchange`` defaults to ``nova``: the exchange where consumers of
Nova's notifications (ceilometer and the like) already listen. Our RPC
topic (``nova-attach-ifaces-compute``) is our own, so sharing the exchange
with a Nova deployment on the same broker is harmless.
"""

import importlib

from oslo_messaging import opts as messaging_opts

# (module, attribute) of the option lists oslo.messaging reads from the
# transport's ConfigOpts on every send but registers on cfg.CONF only and
# leaves out of list_opts() (oslo.messaging's own ConfFixture registers
# them the same way); the group is named like the attribute.
_UNLISTED = [
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics'),
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing'),
]

CONTROL_EXCHANGE = 'nova'
NOTIFICATION_RETRIES = 1


def register_opts(conf):
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    for module_name, name in _UNLISTED:
        # Without them a call fails with NoSuchOptError on a ConfigOpts of
        # one's own; a release without the module does not read them.
        try:
            opts = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            continue
        conf.register_opts(opts, group=name)
    # On this ConfigOpts only (oslo.messaging's set_transport_defaults
    # would change the option objects shared with a host process).
    conf.set_default('control_exchange', CONTROL_EXCHANGE)
    conf.set_default('retry', NOTIFICATION_RETRIES,
                     group='oslo_messaging_notifications')
