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
"""The RPC endpoint a compute agent serves (server side of :mod:`.rpcapi`).

Each method runs on the agent's own host, against its hypervisor, with the
caller's request context (for the log only: the hypervisor takes none).
Domain exceptions raised here travel back to the caller as themselves (see
:mod:`nova_attach_ifaces.rpc`) and are expected: oslo.messaging logs them
at DEBUG, not as the agent's own failures.

Plug and unplug of one server run one at a time here, whichever API
worker sent them: the hypervisor contract leaves that serialisation to its
caller, and an API worker's own lock only covers its own requests.

A plug is done only for a port that the network backend still has bound
to that server, checked under the server's lock: the agent's
reconciliation unbinds, under the same lock, a port that stayed bound
without NIC longer than any call may take, and a plug that reaches the
agent after that (its caller gave up on it) must not leave a NIC whose
port is bound to nothing.
"""

from oslo_log import log as logging
import oslo_messaging

from nova_attach_ifaces.agent import reconcile
from nova_attach_ifaces.agent import rpcapi
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hosted

LOG = logging.getLogger(__name__)

_expected = oslo_messaging.expected_exceptions(exception.ComputeError)


class AgentManager:
    """The endpoint of RPC API :data:`~.rpcapi.VERSION`.

    :param host: this agent's ``[DEFAULT] host``.
    :param hypervisor: this host's hypervisor.
    :param server_lock: the per-server locks plug and unplug hold (the
        agent's reconciliation holds the same ones).
    :param backend: the network backend whose binding a plug checks
        first (None: not checked, for an agent that does not reconcile).
    """

    target = oslo_messaging.Target(version=rpcapi.VERSION)

    def __init__(self, host, hypervisor, server_lock=None, backend=None):
        self.host = host
        self.hypervisor = hypervisor
        self.server_lock = server_lock or hosted.ServerLocks()
        self.backend = backend

    def ping(self, context):
        return {'host': self.host, 'version': rpcapi.VERSION}

    @_expected
    def get_server(self, context, server_id):
        return self.hypervisor.get_server(server_id)

    @_expected
    def list_servers(self, context, project_id=None):
        return self.hypervisor.list_servers(project_id)

    @_expected
    def list_nics(self, context, server_id):
        return self.hypervisor.list_nics(server_id)

    @_expected
    def get_server_nics(self, context, server_id):
        return self.hypervisor.get_server_nics(server_id)

    @_expected
    def plug(self, context, server_id, port_id, mac_address, vif_type='tap',
             vif_details=None, tag=None, created=False):
        with self.server_lock(server_id):
            self._check_bound(server_id, port_id)
            LOG.info('Plugging port %(port)s into server %(server)s',
                     {'port': port_id, 'server': server_id})
            return self.hypervisor.plug(
                server_id, port_id, mac_address, vif_type=vif_type,
                vif_details=vif_details, tag=tag, created=created)

    def _check_bound(self, server_id, port_id):
        if self.backend is None:
            return
        try:
            port = self.backend.show_port(reconcile.admin_context(), port_id)
        except exception.PortNotFound:
            port = None
        if port is not None and port.device_id == server_id:
            return
        LOG.warning('Not plugging port %(port)s into server %(server)s: '
                    'it is no longer bound to it (the attach reached this '
                    'agent after its caller gave up)',
                    {'port': port_id, 'server': server_id})
        raise exception.ComputeHostUnavailable(
            host=self.host, reason='the attach arrived after it expired')

    @_expected
    def unplug(self, context, server_id, port_id, mac_address=None):
        with self.server_lock(server_id):
            LOG.info('Unplugging port %(port)s from server %(server)s',
                     {'port': port_id, 'server': server_id})
            return self.hypervisor.unplug(server_id, port_id, mac_address)

    @_expected
    def set_locked(self, context, server_id, locked):
        return self.hypervisor.set_locked(server_id, locked)
