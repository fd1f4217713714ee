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

* 1.0: ``ping``, and the hypervisor half of attach and detach: the
  methods of :class:`~nova_attach_ifaces.compute.hypervisor.Hypervisor`
  (``get_server``, ``list_servers``, ``list_nics``, ``get_server_nics``,
  ``plug``, ``unplug``, ``set_locked``), same arguments.

Every call goes to one host (``server=host``) and waits at most ``[DEFAULT]
rpc_response_timeout`` seconds; a host that does not answer in time, or a
message bus that cannot be reached, is :class:`ComputeHostUnavailable`
(503) naming the host. ``unplug`` waits for the guest to release the
device, which can take longer: it waits up to ``[DEFAULT]
long_rpc_timeout`` while the agent sends heartbeats, and fails as fast as
any other call when the agent sends none (oslo.messaging's call monitor,
as Nova's long calls). The request message expires in the broker when the
call times out (oslo.messaging sets its TTL), so an agent that was down
never acts later on a request its caller already gave up on.
"""

import kombu.exceptions
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

    def call(self, context, host, method, version='1.0', long=False,
             **kwargs):
        """Call ``method`` on ``host``'s agent and return its answer.

        The domain exceptions the agent raises arrive as themselves.

        :param long: wait up to ``[DEFAULT] long_rpc_timeout`` for an agent
            that keeps sending heartbeats.
        :raises ComputeHostUnavailable: no answer in time, or no bus.
        """
        timeout = self.conf.rpc_response_timeout
        options = {'timeout': timeout, 'retry': self._retry()}
        if long:
            options.update(timeout=self.conf.long_rpc_timeout,
                           call_monitor_timeout=timeout)
        cctxt = self.client.prepare(server=host, version=version, **options)
        try:
            return cctxt.call(context, method, **kwargs)
        except oslo_messaging.MessagingTimeout:
            LOG.warning('Compute agent %(host)s did not answer %(method)s '
                        'within %(timeout)s s',
                        {'host': host, 'method': method, 'timeout': timeout})
            raise exception.ComputeHostUnavailable(
                host=host, reason='no answer within %s seconds' % timeout)
        except (oslo_messaging.MessageDeliveryFailure,
                oslo_messaging.ClientSendError,
                # oslo.messaging's rabbit driver lets kombu's own error
                # through when the broker refuses the new connection a
                # call needs (its pool had none free) after its retries.
                kombu.exceptions.OperationalError) as e:
            LOG.warning('Could not reach compute agent %(host)s for '
                        '%(method)s: %(error)s',
                        {'host': host, 'method': method, 'error': e})
            raise exception.ComputeHostUnavailable(
                host=host, reason='message bus unreachable')

    def _retry(self):
        # oslo.messaging reconnects to a broker that is away before it
        # sends, forever unless told otherwise: a request would hang for
        # as long as the broker is away. A bounded number of attempts
        # makes it a 503 instead.
        return self.conf.compute_agent.send_retries

    def ping(self, context, host):
        """``{'host': ..., 'version': ...}`` of ``host``'s agent."""
        return self.call(context, host, 'ping')

    def get_server(self, context, host, server_id):
        return self.call(context, host, 'get_server', server_id=server_id)

    def list_servers(self, context, host, project_id=None):
        return self.call(context, host, 'list_servers',
                         project_id=project_id)

    def list_nics(self, context, host, server_id):
        return self.call(context, host, 'list_nics', server_id=server_id)

    def get_server_nics(self, context, host, server_id):
        server, nics = self.call(context, host, 'get_server_nics',
                                 server_id=server_id)
        return server, nics

    def plug(self, context, host, server_id, port_id, mac_address,
             vif_type='tap', vif_details=None, tag=None, created=False):
        return self.call(context, host, 'plug', server_id=server_id,
                         port_id=port_id, mac_address=mac_address,
                         vif_type=vif_type, vif_details=vif_details,
                         tag=tag, created=created)

    def unplug(self, context, host, server_id, port_id, mac_address=None):
        return self.call(context, host, 'unplug', long=True,
                         server_id=server_id, port_id=port_id,
                         mac_address=mac_address)

    def set_locked(self, context, host, server_id, locked):
        return self.call(context, host, 'set_locked', server_id=server_id,
                         locked=locked)
