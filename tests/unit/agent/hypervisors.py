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
"""A hypervisor of this test suite: servers and NICs in memory.

The RPC plumbing between the API side and an agent is the same whatever
the agent's hypervisor; this one lets those tests run without QEMU (the
three-host tests use the real one). It follows the contract of
:class:`nova_attach_ifaces.compute.hypervisor.Hypervisor`, including its
server events, and can hold a plug until the test lets it go. Beside it,
a network backend of ports in memory for the agent's reconciliation.
"""

import collections
import dataclasses
import threading

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces.network import backend


class MemoryHypervisor(hypervisor.Hypervisor):

    def __init__(self, conf, servers=()):
        super().__init__(conf)
        self.servers = {server.id: server for server in servers}
        self.nics = {server.id: [] for server in servers}
        self.callbacks = []
        #: Cleared: plug() waits until it is set again.
        self.plug_allowed = threading.Event()
        self.plug_allowed.set()
        self.plug_started = threading.Event()
        #: {server_id: [port ids]} of NICs the machine has and the
        #: hypervisor lost (nothing lists them); a server id in
        #: ``lost_fails`` makes removing them fail.
        self.lost = collections.defaultdict(list)
        self.lost_fails = set()
        self._lock = threading.Lock()

    def define(self, server_id, project_id='p'):
        with self._lock:
            self.servers[server_id] = driver.Server(server_id, project_id)
            self.nics[server_id] = []
        for callback in self.callbacks:
            callback(server_id, True)

    def undefine(self, server_id):
        with self._lock:
            del self.servers[server_id]
            del self.nics[server_id]
        for callback in self.callbacks:
            callback(server_id, False)

    def watch_servers(self, callback):
        self.callbacks.append(callback)
        return True

    def _server(self, server_id):
        try:
            return self.servers[server_id]
        except KeyError:
            raise exception.ServerNotFound(server_id=server_id)

    def get_server(self, server_id):
        return self._server(server_id)

    def list_servers(self, project_id=None):
        return [server for server in self.servers.values()
                if project_id in (None, server.project_id)]

    def list_nics(self, server_id):
        self._server(server_id)
        return list(self.nics[server_id])

    def plug(self, server_id, port_id, mac_address, vif_type='tap',
             vif_details=None, tag=None, created=False):
        self._server(server_id)
        self.plug_started.set()
        self.plug_allowed.wait()
        nic = hypervisor.Nic(port_id, mac_address, tag, created)
        with self._lock:
            self.nics[server_id].append(nic)
        return nic

    def unplug(self, server_id, port_id, mac_address=None):
        self._server(server_id)
        with self._lock:
            for nic in self.nics[server_id]:
                if nic.port_id == port_id or (
                        mac_address and nic.mac_address == mac_address):
                    self.nics[server_id].remove(nic)
                    return nic
        raise exception.InterfaceNotAttached(server_id=server_id,
                                             port_id=port_id)

    def remove_lost_nics(self, server_id):
        if server_id in self.lost_fails:
            raise RuntimeError('the monitor did not answer')
        with self._lock:
            return self.lost.pop(server_id, [])

    def set_locked(self, server_id, locked):
        with self._lock:
            self.servers[server_id] = dataclasses.replace(
                self._server(server_id), locked=locked)


class MemoryBackend(backend.NetworkBackend):
    """Ports in memory, enough for the agent's reconciliation: show,
    list by device, bind, unbind, delete (no networks, no addresses).
    """

    def __init__(self, conf, ports=()):
        super().__init__(conf)
        self.ports = {port.id: port for port in ports}

    def _port(self, port_id):
        try:
            return self.ports[port_id]
        except KeyError:
            raise exception.PortNotFound(port_id=port_id)

    def show_port(self, context, port_id):
        return self._port(port_id)

    def list_ports(self, context, device_id):
        return [port for port in self.ports.values()
                if port.device_id == device_id]

    def bind_port(self, context, port_id, device_id, host):
        port = self._port(port_id)
        if port.device_id:
            raise exception.PortInUse(port_id=port_id)
        self.ports[port_id] = dataclasses.replace(
            port, device_id=device_id, device_owner=backend.DEVICE_OWNER,
            binding_host_id=host, status='ACTIVE')
        return self.ports[port_id]

    def create_port(self, context, device_id, project_id, host, net_id=None,
                    fixed_ip=None):
        raise NotImplementedError()

    def unbind_port(self, context, port_id):
        if port_id in self.ports:
            self.ports[port_id] = dataclasses.replace(
                self.ports[port_id], device_id='', device_owner='',
                binding_host_id='', status='DOWN')

    def delete_port(self, context, port_id):
        self.ports.pop(port_id, None)
