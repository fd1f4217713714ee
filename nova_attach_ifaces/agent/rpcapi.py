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
"""Client side of the compute agents' RPC API (what the API workers call).

Versions, as Nova's compute RPC API: a method added or given a new
argument bumps the minor version; the agent's endpoint accepts every
version up to its own; the client sends each method at the lowest version
that carries what it needs, and never above ``[upgrade_levels]
compute_agent``, so agents and API workers can be upgraded one at a time:
agents first (a newer agent still serves the older calls), then API
workers (capped at the agents' version until every agent is new, then
uncapped).

API version history:

* 1.0: ``ping``, and the hypervisor half of attach and detach.

Every call goes to one host (``server=host``) and waits at most ``[DEFAULT]
rpc_response_timeout`` seconds; a host that does not answer in time, or a
message bus that cannot be reached, is :class:`ComputeHostUnavailable`
(503) naming the host. The request message expires in the broker when the
call times out (oslo.messaging sets its TTL), so an agent that was down
never acts later on a request its caller already gave up on.
"""

from oslo_log import log as logging
import oslo_messaging

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces import rpc

LOG = logging.getLogger(__name__)

#: The newest RPC API version this code speaks.
VERSION = '1.0'


class AgentAPI:
    """The agents of one transport, as the API workers see them.

    :param conf: the service ``ConfigOpts``.
    :param transport: an oslo.messaging RPC transport (default: the one of
        ``[DEFAULT] transport_url``).
    """

    def __init__(self, conf, transport=None):
        self.conf = conf
        self.transport = transport or rpc.get_rpc_transport(conf)
        cap = conf.upgrade_levels.compute_agent
        target = oslo_messaging.Target(topic=rpc.TOPIC, version=VERSION)
        self.client = oslo_messaging.get_rpc_client(
            self.transport, target, version_cap=cap,
            serializer=rpc.Serializer())
        if cap:
            LOG.info('Compute agent RPC API capped at %s', cap)

    def close(self):
        self.transport.cleanup()

    def can_send_version(self, version):
        return self.client.can_send_version(version)

    def call(self, context, host, method, version='1.0', **kwargs):
        """Call ``method`` on ``host``'s agent and return its answer.

        The domain exceptions the agent raises arrive as themselves.

        :raises ComputeHostUnavailable: no answer in time, or no bus.
        """
        timeout = self.conf.rpc_response_timeout
        cctxt = self.client.prepare(server=host, version=version,
                                    timeout=timeout)
        try:
            return cctxt.call(context, method, **kwargs)
        except oslo_messaging.MessagingTimeout:
            LOG.warning('Compute agent %(host)s did not answer %(method)s '
                        'within %(timeout)s s',
                        {'host': host, 'method': method, 'timeout': timeout})
            raise exception.ComputeHostUnavailable(
                host=host, reason='no answer within %s seconds' % timeout)
        except (oslo_messaging.MessageDeliveryFailure,
                oslo_messaging.ClientSendError) as e:
            LOG.warning('Could not reach compute agent %(host)s for '
                        '%(method)s: %(error)s',
                        {'host': host, 'method': method, 'error': e})
            raise exception.ComputeHostUnavailable(
                host=host, reason='message bus unreachable')

    def ping(self, context, host):
        """``{'host': ..., 'version': ...}`` of ``host``'s agent."""
        return self.call(context, host, 'ping')
