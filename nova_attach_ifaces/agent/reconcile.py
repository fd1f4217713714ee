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
"""What an agent puts right at start, after a crash in the middle of a
plug or unplug.

An attach binds the port in the network backend (API side), then the
agent plugs it; a detach has the agent unplug it, then unbinds the port.
An agent killed between the two halves, or an API worker that gave up on
it, leaves one of two states, and the hypervisor is the truth for both:

* **a NIC whose port is not bound to its server**: the plug happened. A
  port that is still free is bound to the server (the plug is kept and
  recorded: the API lists it); a port that is gone or bound to another
  device has its NIC unplugged, since no port can stand for it.
* **a port bound to a server of this host with no NIC**: the plug did not
  happen (or the unplug did). The port is unbound, so that nothing is left
  bound to a NIC that does not exist. Nothing tells a port the attach
  created from one the caller brought (that flag lived with the NIC), so
  the port is kept, unbound, never deleted.

The first is done before the agent serves RPC. The second waits until
every call sent before the agent started has been answered or has
expired (``[DEFAULT] rpc_response_timeout`` after serving starts: the
request messages expire in the broker when their callers give up), so that
a plug still queued for the agent is not mistaken for one that never
came; the state is then read again under the server's lock, which plug
and unplug hold too.

NICs without this service's alias (plugged by Nova at boot) are left
alone. Before the first pass looks at a server, the hypervisor removes
the NICs it lost track of in a crash mid-plug
(:meth:`~nova_attach_ifaces.compute.hypervisor.Hypervisor.
remove_lost_nics`): the machine has them, nothing lists them.
"""

import collections

from oslo_log import log as logging

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces import context as nai_context

LOG = logging.getLogger(__name__)


def admin_context():
    """The agent's own context: it acts for no caller."""
    return nai_context.RequestContext(is_admin=True, overwrite=False)


def _matches(nic, port):
    return nic.port_id == port.id or nic.mac_address == port.mac_address


class Reconciler:
    """The two passes of the module docstring, over ``hypervisor``'s
    servers and ``backend``'s ports, under ``server_lock``.
    """

    def __init__(self, host, hypervisor, backend, server_lock):
        self.host = host
        self.hypervisor = hypervisor
        self.backend = backend
        self.server_lock = server_lock

    def check_nics(self, servers):
        """Pass one, over ``servers``; return ``{server_id: [port ids]}``
        of the ports bound without NIC, for :meth:`release`.
        """
        context = admin_context()
        pending = collections.defaultdict(list)
        for server in servers:
            try:
                with self.server_lock(server.id):
                    pending[server.id] = self._check_server(context,
                                                            server.id)
            except exception.ServerNotFound:
                continue
            except Exception:
                # One server's trouble must not keep the agent from the
                # others, nor from starting.
                LOG.exception('Could not reconcile server %s', server.id)
        return {key: value for key, value in pending.items() if value}

    def _check_server(self, context, server_id):
        # A NIC the hypervisor lost in a crash mid-plug is listed nowhere,
        # and no port stands for it. Its trouble must not keep the rest of
        # the server from being reconciled; the next cycle tries again.
        try:
            self.hypervisor.remove_lost_nics(server_id)
        except exception.ServerNotFound:
            raise
        except Exception:
            LOG.exception('Could not remove the lost NICs of server %s',
                          server_id)
        nics = self.hypervisor.list_nics(server_id)
        ports = self.backend.list_ports(context, server_id)
        for nic in nics:
            if nic.port_id is None:
                continue
            if not any(_matches(nic, port) for port in ports):
                self._adopt_or_unplug(context, server_id, nic)
        return [port.id for port in ports
                if not any(_matches(nic, port) for nic in nics)]

    def _adopt_or_unplug(self, context, server_id, nic):
        try:
            port = self.backend.show_port(context, nic.port_id)
        except exception.PortNotFound:
            port = None
        if (port is not None and not port.device_id and
                port.mac_address == nic.mac_address):
            self.backend.bind_port(context, port.id, server_id, self.host)
            LOG.warning('Server %(server)s has a NIC of port %(port)s, '
                        'which was not bound to it (the agent stopped '
                        'during its attach); bound it',
                        {'server': server_id, 'port': port.id})
            return
        LOG.warning('Server %(server)s has a NIC of port %(port)s, which is '
                    '%(why)s; unplugging it',
                    {'server': server_id, 'port': nic.port_id,
                     'why': 'gone' if port is None else
                     'bound to %s' % (port.device_id or 'nothing')})
        try:
            self.hypervisor.unplug(server_id, nic.port_id, nic.mac_address)
        except exception.ComputeError as e:
            LOG.error('Could not unplug the NIC of port %(port)s from '
                      'server %(server)s: %(error)s',
                      {'port': nic.port_id, 'server': server_id,
                       'error': e.format_message()})

    def release(self, pending):
        """Pass two: unbind the ports of ``pending`` that are still bound
        to their server with no NIC.
        """
        context = admin_context()
        for server_id, port_ids in sorted(pending.items()):
            try:
                with self.server_lock(server_id):
                    self._release_server(context, server_id, port_ids)
            except Exception:
                LOG.exception('Could not reconcile the ports of server %s',
                              server_id)

    def _release_server(self, context, server_id, port_ids):
        try:
            nics = self.hypervisor.list_nics(server_id)
        except exception.ServerNotFound:
            nics = []
        for port_id in port_ids:
            try:
                port = self.backend.show_port(context, port_id)
            except exception.PortNotFound:
                continue
            if port.device_id != server_id:
                continue
            if any(_matches(nic, port) for nic in nics):
                continue
            LOG.warning('Port %(port)s is bound to server %(server)s, which '
                        'has no NIC of it (the agent stopped during its '
                        'attach or detach); unbinding it',
                        {'port': port_id, 'server': server_id})
            self.backend.unbind_port(context, port_id)
