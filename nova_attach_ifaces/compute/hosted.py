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
"""A compute driver made of a hypervisor and a network backend.

The hypervisor (:mod:`.hypervisor`) owns the servers and what is plugged
into them; the network backend (:mod:`..network.backend`) owns ports,
addresses and bindings. This driver does what Nova's compute manager does
between the two, in the order that never leaves a half-done attach:

* attach: bind the port (or create it, bound) in the backend, then plug it;
  when the plug fails, the port is put back as it was (unbound, or
  deleted when this attach created it) and the plug's error is raised.
* detach: unplug, which returns only once the device is gone from the
  running machine; only then is the port unbound (or deleted). When the
  guest does not let go, the port stays bound and the NIC listed, so the
  state seen through the API stays true, and a later detach may succeed.
* list: the hypervisor's NICs joined with the backend's ports bound to the
  server, two calls whatever the number of NICs, in guest slot order. A
  NIC with no bound port (one this service did not plug, or a port deleted
  behind its back) is not listed; nor is a bound port with no NIC (an
  attach still in progress).

Attaches and detaches of one server run one at a time (a lock per server
id, in this process); those of different servers run in parallel.
"""

import collections
import threading

from oslo_log import log as logging

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception

LOG = logging.getLogger(__name__)


class ServerLocks:
    """One lock per server id, made on first use.

    Never shrinks: the servers are one host's (or one deployment's)
    machines, a bounded set, and dropping a lock another thread waits on
    would let two threads in at once.
    """

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = collections.defaultdict(threading.Lock)

    def __call__(self, server_id):
        with self._guard:
            return self._locks[server_id]


class HostedDriver(driver.ComputeDriver):
    """Compose ``hypervisor`` (a :class:`~.hypervisor.Hypervisor`) with
    ``backend`` (a :class:`~..network.backend.NetworkBackend`).
    """

    servers_from_hypervisor = True

    def __init__(self, conf, hypervisor, backend):
        super().__init__(conf)
        self.hypervisor = hypervisor
        self.backend = backend
        self._server_lock = ServerLocks()

    def close(self):
        self.hypervisor.close()
        self.backend.close()

    # Servers.

    def get_server(self, context, server_id):
        return self.hypervisor.get_server(server_id)

    def list_servers(self, context, project_id=None):
        return self.hypervisor.list_servers(project_id)

    def server_host(self, server):
        return self.hypervisor.server_host(server.id)

    # Reads.

    def _join(self, context, server_id, nics):
        """``[(nic, port)]`` for the NICs that have a bound port."""
        ports = self.backend.list_ports(context, server_id)
        by_id = {port.id: port for port in ports}
        by_mac = {port.mac_address: port for port in ports}
        joined = []
        for nic in nics:
            port = by_id.get(nic.port_id) or by_mac.get(nic.mac_address)
            if port is not None:
                joined.append((nic, port))
        return joined

    def list_interfaces(self, context, server):
        nics = self.hypervisor.list_nics(server.id)
        return [port.attachment(nic.tag)
                for nic, port in self._join(context, server.id, nics)]

    def get_server_interfaces(self, context, server_id):
        server, nics = self.hypervisor.get_server_nics(server_id)
        return server, [port.attachment(nic.tag)
                        for nic, port in self._join(context, server_id, nics)]

    def _find_nic(self, server_id, port):
        for nic in self.hypervisor.list_nics(server_id):
            if nic.port_id == port.id or nic.mac_address == port.mac_address:
                return nic
        return None

    def _port(self, context, server_id, port_id):
        """The port as the caller sees it, or as bound to the server: a
        port attached to a server is visible through it to whoever may act
        on the server (an admin may have attached another project's port),
        so list, show and detach agree.
        """
        try:
            return self.backend.show_port(context, port_id)
        except exception.PortNotFound:
            for port in self.backend.list_ports(context, server_id):
                if port.id == port_id:
                    return port
            raise

    def get_interface(self, context, server, port_id):
        port = self._port(context, server.id, port_id)
        nic = None
        if port.device_id == server.id:
            nic = self._find_nic(server.id, port)
        if nic is None:
            raise exception.InterfaceNotAttached(
                server_id=server.id, port_id=port_id)
        return port.attachment(nic.tag)

    # Changes.

    def _check_limit(self, context, server, port_id, net_id=None):
        limit = self.conf.compute.max_interfaces_per_server
        if not limit or len(self.hypervisor.list_nics(server.id)) < limit:
            return
        # "Not found" wins over the limit, as on the other drivers.
        if port_id is not None:
            self.backend.show_port(context, port_id)
        elif net_id is not None:
            self.backend.check_network(context, net_id)
        raise exception.PortLimitExceeded()

    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        host = self.hypervisor.server_host(server.id)
        with self._server_lock(server.id):
            self._check_limit(context, server, port_id, net_id)
            created = port_id is None
            if created:
                port = self.backend.create_port(
                    context, server.id, server.project_id, host,
                    net_id=net_id, fixed_ip=fixed_ip)
            else:
                port = self.backend.bind_port(context, port_id, server.id,
                                              host)
            try:
                self.hypervisor.plug(
                    server.id, port.id, port.mac_address,
                    vif_type=port.vif_type,
                    vif_details=dict(port.vif_details), tag=tag,
                    created=created)
            except Exception:
                self._release(context, port.id, created)
                raise
            # The backend's view after the plug, as the caller sees it:
            # Neutron reports the port ACTIVE once it is wired; the sql
            # backend once bound. (Nova's os-interface create ends with the
            # same show of the port.)
            try:
                port = self.backend.show_port(context, port.id)
            except exception.ComputeUnavailable:
                # The attach is done (bound, plugged): answer with the port
                # as bound rather than a 503 over a NIC that is there.
                LOG.warning('Port %s is plugged into server %s but the '
                            'network backend is unavailable; answering '
                            'with the port as bound', port.id, server.id)
            return port.attachment(tag)

    def _release(self, context, port_id, created):
        """Put a port back as it was before an attach bound it."""
        try:
            if created:
                self.backend.delete_port(context, port_id)
            else:
                self.backend.unbind_port(context, port_id)
        except Exception:
            # The original error is the one to answer with; this one needs
            # an operator (the port stays bound to a server without NIC).
            LOG.exception('Could not release port %s after a failed attach',
                          port_id)

    def detach_interface(self, context, server, port_id):
        with self._server_lock(server.id):
            port = self._port(context, server.id, port_id)
            try:
                # Straight to the unplug, which finds the NIC by port id
                # or MAC itself: looking for it first was one more round
                # trip to the hypervisor (an RPC call, with agents).
                nic = self.hypervisor.unplug(server.id, port.id,
                                             port.mac_address)
            except exception.InterfaceNotAttached:
                if port.device_id != server.id:
                    raise exception.InterfaceNotAttached(
                        server_id=server.id, port_id=port_id)
                # Bound here with no NIC: the machine lost it (restarted
                # after a detach whose guest never let go). Finish the
                # detach the backend still waits for.
                LOG.warning('Port %s is bound to server %s but plugged '
                            'nowhere; releasing it', port_id, server.id)
                self.backend.unbind_port(context, port_id)
                return
            if port.device_id != server.id:
                return
            if nic.created:
                self.backend.delete_port(context, port_id)
            else:
                self.backend.unbind_port(context, port_id)
