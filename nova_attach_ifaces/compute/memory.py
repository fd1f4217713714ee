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
"""The ``memory`` compute driver: an inventory held in process memory.

The driver starts from the inventory file named by ``[memory]
inventory_file`` (a relative path is looked up next to the configuration
files, like a policy file; unset means an empty inventory) and forgets every
change on restart. Each API worker process has its own copy, so run a single
worker, or use the ``sql`` driver, when changes must be seen by all.

It follows the behaviour the contract in
:mod:`nova_attach_ifaces.compute.driver` sets for every driver (which
error wins, address allocation order, detach deleting the ports attach
created, tags), with the inventory's ``ports:`` of a server first in its
list, in listed order.

Every call takes one lock, so calls are serialised and an attach or detach
is all-or-nothing: all checks run before the first change, and nothing
after the first change can fail. Callers get frozen value objects, never
the driver's own records. Lookups are by dict: list and show cost
O(attachments of the server), never O(ports), and MAC and address
uniqueness are set membership tests.
"""

import dataclasses
import datetime
import ipaddress
import threading
import typing

from oslo_log import log as logging
from oslo_utils import uuidutils

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import ipam

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class _Port:
    """The driver's own, mutable record of a port (never handed out)."""

    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: typing.Tuple[driver.FixedIp, ...]
    # True for a port that attach created: detach deletes it.
    created: bool = False
    server_id: typing.Optional[str] = None
    tag: typing.Optional[str] = None

    def attachment(self):
        return driver.Attachment(
            port_id=self.id, net_id=self.network_id,
            mac_addr=self.mac_address,
            port_state=driver.ACTIVE if self.server_id else driver.DOWN,
            fixed_ips=self.fixed_ips, tag=self.tag)


class MemoryDriver(driver.ComputeDriver):
    """Compute driver keeping servers, networks and ports in memory.

    :param conf: the service configuration; ``[memory] inventory_file`` is
        read from it unless ``inventory`` is given.
    :param inventory: an :class:`inventory.Inventory` to start from instead
        of the file (see :meth:`from_inventory`).
    :raises inventory.InventoryError: the inventory file is missing or
        invalid.
    """

    def __init__(self, conf, inventory=None):
        super().__init__(conf)
        if inventory is None:
            inventory = self._load_inventory_file(conf)
        self._lock = threading.Lock()
        self._servers = {}
        self._networks = {}
        # project id -> ids of its networks, in inventory order; plus the
        # shared ones: "attach with neither" needs them without a scan.
        self._project_networks = {}
        self._shared_networks = []
        self._ports = {}
        # server id -> {port id: None}: a dict is an ordered set, so attach
        # order, O(1) membership and O(1) removal come together.
        self._attached = {}
        self._macs = set()
        # network id -> set of addresses held by its ports.
        self._addresses = {}
        # subnet id -> integer address below which every allocatable
        # address is known to be taken, so allocation does not rescan
        # the used part of a big subnet on every attach.
        self._floor = {}
        self._populate(inventory)

    @classmethod
    def from_inventory(cls, conf, inv):
        """Return a driver holding exactly ``inv`` (for tests and tools)."""
        return cls(conf, inventory=inv)

    @staticmethod
    def _load_inventory_file(conf):
        inv = inventory.load_configured(conf, 'memory')
        if inv is None:
            LOG.info('No [memory] inventory_file: starting empty')
            return inventory.Inventory()
        LOG.info('Loaded inventory %(path)s: %(n)d networks, %(p)d ports, '
                 '%(s)d servers', {'path': conf.memory.inventory_file,
                                   'n': len(inv.networks),
                                   'p': len(inv.ports),
                                   's': len(inv.servers)})
        return inv

    def _populate(self, inv):
        # The inventory is already checked (unique ids, MACs and addresses,
        # references), so this only indexes it.
        for net in inv.networks:
            self._networks[net.id] = net
            self._addresses[net.id] = set()
            self._project_networks.setdefault(net.project_id,
                                              []).append(net.id)
            if net.shared:
                self._shared_networks.append(net.id)
        for port in inv.ports:
            self._ports[port.id] = _Port(
                port.id, port.network_id, port.project_id, port.mac_address,
                tuple(port.fixed_ips))
            self._macs.add(port.mac_address)
            self._addresses[port.network_id].update(
                ip.ip_address for ip in port.fixed_ips)
        # The inventory has no creation times: servers were created when
        # it was loaded.
        loaded_at = datetime.datetime.now(
            datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
        for record in inv.servers:
            server = record.server
            if server.created_at is None:
                server = dataclasses.replace(server, created_at=loaded_at)
            self._servers[server.id] = server
            self._attached[server.id] = dict.fromkeys(record.port_ids)
            for port_id in record.port_ids:
                self._ports[port_id].server_id = server.id

    # Lookups; the caller holds the lock.

    def _server(self, server_id):
        server = self._servers.get(server_id)
        if server is None:
            raise exception.ServerNotFound(server_id=server_id)
        return server

    def _visible_port(self, context, server, port_id):
        """Return the port the caller names, or raise PortNotFound."""
        port = self._ports.get(port_id)
        if port is None or not (port.server_id == server.id or
                                driver.visible(context, port.project_id)):
            raise exception.PortNotFound(port_id=port_id)
        return port

    def _attached_port(self, context, server, port_id):
        port = self._visible_port(context, server, port_id)
        if port.server_id != server.id:
            raise exception.InterfaceNotAttached(server_id=server.id,
                                                 port_id=port_id)
        return port

    def _usable_network(self, context, server, net_id):
        if net_id is None:
            return self._only_network(server.project_id)
        net = self._networks.get(net_id)
        if net is None or not (net.shared or
                               driver.visible(context, net.project_id)):
            raise exception.NetworkNotFound(network_id=net_id)
        return net

    def _only_network(self, project_id):
        # Nova lists the project's own networks and the shared ones and
        # wants exactly one; an own network that is also shared counts once.
        usable = dict.fromkeys(self._project_networks.get(project_id, ()))
        usable.update(dict.fromkeys(self._shared_networks))
        if not usable:
            raise exception.InterfaceAttachFailedNoNetwork(
                project_id=project_id)
        if len(usable) > 1:
            raise exception.NetworkAmbiguous()
        return self._networks[next(iter(usable))]

    def _check_limit(self, server):
        limit = self.conf.compute.max_interfaces_per_server
        if limit and len(self._attached[server.id]) >= limit:
            raise exception.PortLimitExceeded()

    def _free_address(self, net):
        """Return (FixedIp, new floor) for the next free address."""
        taken = self._addresses[net.id]
        for subnet in net.subnets:
            address = ipam.first_free_address(
                subnet, taken, start=self._floor.get(subnet.id))
            if address is not None:
                return (driver.FixedIp(address, subnet.id),
                        int(ipaddress.ip_address(address)) + 1)
        raise exception.NoMoreFixedIps(net=net.id)

    # The driver contract.

    def get_server(self, context, server_id):
        with self._lock:
            return self._server(server_id)

    def list_servers(self, context, project_id=None):
        with self._lock:
            return [server for server in self._servers.values()
                    if project_id is None or server.project_id == project_id]

    def network_names(self, context, network_ids):
        with self._lock:
            return {net_id: self._networks[net_id].name
                    for net_id in network_ids if net_id in self._networks}

    def list_interfaces(self, context, server):
        with self._lock:
            self._server(server.id)
            return [self._ports[port_id].attachment()
                    for port_id in self._attached[server.id]]

    def get_interface(self, context, server, port_id):
        with self._lock:
            self._server(server.id)
            return self._attached_port(context, server, port_id).attachment()

    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        with self._lock:
            # The stored server is the truth; the caller's copy may be old.
            server = self._server(server.id)
            if port_id is not None:
                port = self._visible_port(context, server, port_id)
                self._check_limit(server)
                if port.server_id is not None:
                    raise exception.PortInUse(port_id=port_id)
            else:
                port = self._new_port(context, server, net_id, fixed_ip)
            # Nothing below can fail: the attach is all or nothing.
            port.server_id = server.id
            port.tag = tag
            self._attached[server.id][port.id] = None
            LOG.debug('Attached port %(port)s to server %(server)s',
                      {'port': port.id, 'server': server.id})
            return port.attachment()

    def _new_port(self, context, server, net_id, fixed_ip):
        """Check, then create and register, a port for an attach."""
        net = self._usable_network(context, server, net_id)
        self._check_limit(server)
        floor = None
        if fixed_ip is not None:
            fixed_ips = (ipam.requested_fixed_ip(
                net, fixed_ip, self._addresses[net.id].__contains__,
                server.id),)
        elif net.subnets:
            ip, floor = self._free_address(net)
            fixed_ips = (ip,)
        else:
            fixed_ips = ()
        # Every check passed: from here on, only changes that cannot fail.
        mac = ipam.generate_mac(self._macs.__contains__)
        port = _Port(self._new_port_id(), net.id, server.project_id, mac,
                     fixed_ips, created=True)
        self._ports[port.id] = port
        self._macs.add(mac)
        self._addresses[net.id].update(ip.ip_address for ip in fixed_ips)
        if floor is not None:
            self._floor[fixed_ips[0].subnet_id] = floor
        return port

    def _new_port_id(self):
        while True:
            port_id = uuidutils.generate_uuid()
            if port_id not in self._ports:
                return port_id

    def detach_interface(self, context, server, port_id):
        with self._lock:
            server = self._server(server.id)
            port = self._attached_port(context, server, port_id)
            del self._attached[server.id][port.id]
            if port.created:
                # Like Nova deleting the port it made: MAC and addresses
                # go back to the pool.
                del self._ports[port.id]
                self._macs.discard(port.mac_address)
                taken = self._addresses[port.network_id]
                for ip in port.fixed_ips:
                    taken.discard(ip.ip_address)
                    value = int(ipaddress.ip_address(ip.ip_address))
                    floor = self._floor.get(ip.subnet_id)
                    if floor is not None and value < floor:
                        self._floor[ip.subnet_id] = value
            else:
                port.server_id = None
                port.tag = None
            LOG.debug('Detached port %(port)s from server %(server)s',
                      {'port': port_id, 'server': server.id})
