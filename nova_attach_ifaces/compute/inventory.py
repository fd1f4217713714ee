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
"""The inventory: servers, networks and ports that exist before any attach.

Both built-in drivers start from an inventory YAML file::

    networks:
      - {id: UUID, name: net1, project_id: P, shared: false,
         bridge: br-net1,                             # optional
         subnets: [{id: UUID, cidr: 10.0.0.0/24, gateway_ip: 10.0.0.1}]}
    ports:
      - {id: UUID, network_id: UUID, project_id: P,
         mac_address: fa:16:3e:00:00:01,             # optional, generated
         fixed_ips: [{ip_address: 10.0.0.5}]}        # optional
    servers:
      - {id: UUID, name: vm1, project_id: P, vm_state: active,
         task_state: null, locked: false, ports: [UUID]}  # attached at start

:func:`load` checks the structure with a JSON schema and then the meaning
(references, uniqueness, addresses inside their subnets) and raises
:class:`InventoryError` naming the entry and the problem. Identifiers are
stored in canonical form (lower case, dashed), addresses normalised.

A network's ``bridge`` names the Linux bridge a hypervisor plugs its ports
into (drivers with a network backend: the ``sql`` backend's ``vif_type``
``bridge``); the store-only drivers keep it and do nothing with it.
"""

import dataclasses
import ipaddress
import os
import typing
import uuid

import jsonschema
from oslo_config import cfg
from oslo_utils import netutils
import yaml

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import ipam


class InventoryError(ValueError):
    """The inventory is malformed; the message says where and why."""


@dataclasses.dataclass(frozen=True)
class Subnet:
    id: str
    network_id: str
    cidr: str
    gateway_ip: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Network:
    id: str
    project_id: str
    name: str = ''
    shared: bool = False
    subnets: typing.Tuple[Subnet, ...] = ()
    bridge: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Port:
    """A port that exists before any attach (``fixed_ips`` carry subnets)."""

    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: typing.Tuple[driver.FixedIp, ...] = ()


@dataclasses.dataclass(frozen=True)
class ServerRecord:
    """A server and the ids of the ports attached to it at start."""

    server: driver.Server
    port_ids: typing.Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Inventory:
    networks: typing.Tuple[Network, ...] = ()
    ports: typing.Tuple[Port, ...] = ()
    servers: typing.Tuple[ServerRecord, ...] = ()


_ID = {'type': 'string', 'minLength': 1}
_PROJECT = {'type': 'string', 'minLength': 1, 'maxLength': 255}

SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'networks': {'type': 'array', 'items': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['id', 'project_id'],
            'properties': {
                'id': _ID,
                'name': {'type': 'string', 'maxLength': 255},
                'project_id': _PROJECT,
                'shared': {'type': 'boolean'},
                # A Linux interface name: at most IFNAMSIZ - 1 bytes, no
                # slash, colon or white space.
                'bridge': {'type': 'string',
                           'pattern': '^[^/:\\s]{1,15}$'},
                'subnets': {'type': 'array', 'items': {
                    'type': 'object',
                    'additionalProperties': False,
                    'required': ['id', 'cidr'],
                    'properties': {
                        'id': _ID,
                        'cidr': {'type': 'string'},
                        'gateway_ip': {'type': ['string', 'null']},
                    },
                }},
            },
        }},
        'ports': {'type': 'array', 'items': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['id', 'network_id', 'project_id'],
            'properties': {
                'id': _ID,
                'network_id': _ID,
                'project_id': _PROJECT,
                'mac_address': {'type': 'string'},
                'fixed_ips': {'type': 'array', 'items': {
                    'type': 'object',
                    'additionalProperties': False,
                    'required': ['ip_address'],
                    'properties': {'ip_address': {'type': 'string'}},
                }},
            },
        }},
        'servers': {'type': 'array', 'items': {
            'type': 'object',
            'additionalProperties': False,
            'required': ['id', 'project_id'],
            'properties': {
                'id': _ID,
                'name': {'type': 'string', 'maxLength': 255},
                'project_id': _PROJECT,
                'vm_state': {'enum': sorted(driver.VM_STATES)},
                'task_state': {'type': ['string', 'null']},
                'locked': {'type': 'boolean'},
                'ports': {'type': 'array', 'items': _ID},
            },
        }},
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def load(path):
    """Read and check the inventory YAML file at ``path``.

    :raises InventoryError: unreadable, not YAML, or not a valid inventory.
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise InventoryError('cannot read inventory %s: %s' % (path, e))
    except yaml.YAMLError as e:
        raise InventoryError('inventory %s is not valid YAML: %s' % (path, e))
    return parse(data, source=path)


def load_configured(conf, group):
    """Load the file named by ``[<group>] inventory_file``; None if unset.

    A relative path is looked up in the configuration directories, like a
    policy file.

    :raises InventoryError: not found, unreadable, or not a valid inventory.
    """
    name = getattr(conf, group).inventory_file
    if not name:
        return None
    path = name
    if not os.path.isabs(name):
        try:
            path = conf.find_file(name)
        except cfg.NotInitializedError:
            path = None
        if path is None:
            raise InventoryError(
                'inventory file %s ([%s] inventory_file) was not found in '
                'the configuration directories' % (name, group))
    return load(path)


def check_no_servers(inv, source, user):
    """Refuse an inventory with servers for a ``user`` whose servers are
    a hypervisor's.

    :raises InventoryError: ``inv`` lists servers.
    """
    if inv.servers:
        raise InventoryError(
            '%s lists servers, but the servers of %s come from the '
            'hypervisor: keep only networks and ports in it'
            % (source, user))


def parse(data, source='inventory'):
    """Check an inventory already read into Python data and return it."""
    if data is None:
        return Inventory()
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        where = ''.join(
            '[%d]' % p if isinstance(p, int) else ('.%s' % p if where else p)
            for where, p in _prefixes(error.absolute_path))
        raise InventoryError('%s: %s: %s' % (source, where or 'top level',
                                             error.message))
    return _Builder(source).build(data)


def _prefixes(path):
    """Yield (path so far, element) pairs, for error locations."""
    so_far = []
    for element in path:
        yield so_far[:], element
        so_far.append(element)


def _canonical_id(value, where):
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InventoryError('%s: %r is not a UUID' % (where, value))


class _Builder:
    """Turns schema-valid data into an :class:`Inventory`, checking meaning."""

    def __init__(self, source):
        self.source = source
        self.ids = {}

    def fail(self, where, problem):
        raise InventoryError('%s: %s: %s' % (self.source, where, problem))

    def new_id(self, value, where):
        canonical = _canonical_id(value, '%s: %s.id' % (self.source, where))
        if canonical in self.ids:
            self.fail(where, 'id %s is already used by %s'
                      % (canonical, self.ids[canonical]))
        self.ids[canonical] = where
        return canonical

    def build(self, data):
        networks = [self.network(n, 'networks[%d]' % i)
                    for i, n in enumerate(data.get('networks') or [])]
        by_net = {n.id: n for n in networks}
        macs, addresses = {}, {}
        ports = [self.port(p, 'ports[%d]' % i, by_net, macs, addresses)
                 for i, p in enumerate(data.get('ports') or [])]
        by_port = {p.id: p for p in ports}
        attached = {}
        servers = [self.server(s, 'servers[%d]' % i, by_port, attached)
                   for i, s in enumerate(data.get('servers') or [])]
        return Inventory(tuple(networks), tuple(ports), tuple(servers))

    def network(self, data, where):
        net_id = self.new_id(data['id'], where)
        subnets = []
        for i, s in enumerate(data.get('subnets') or []):
            sub_where = '%s.subnets[%d]' % (where, i)
            subnet_id = self.new_id(s['id'], sub_where)
            try:
                cidr = ipaddress.ip_network(s['cidr'], strict=True)
            except ValueError as e:
                self.fail(sub_where, 'invalid cidr %r: %s' % (s['cidr'], e))
            gateway = s.get('gateway_ip')
            if gateway is not None:
                address = ipam.normalise_address(gateway)
                if address is None:
                    self.fail(sub_where, 'invalid gateway_ip %r' % gateway)
                gateway = address
                # ``in`` does not compare IP versions: check it first.
                ip = ipaddress.ip_address(gateway)
                if ip.version != cidr.version or ip not in cidr:
                    self.fail(sub_where, 'gateway_ip %s is outside %s'
                              % (gateway, cidr))
            for other in subnets:
                if ipaddress.ip_network(other.cidr).overlaps(cidr):
                    self.fail(sub_where, 'cidr %s overlaps subnet %s (%s)'
                              % (cidr, other.id, other.cidr))
            subnets.append(Subnet(subnet_id, net_id, str(cidr), gateway))
        return Network(net_id, data['project_id'], data.get('name', ''),
                       data.get('shared', False), tuple(subnets),
                       data.get('bridge'))

    def port(self, data, where, networks, macs, addresses):
        port_id = self.new_id(data['id'], where)
        net_id = _canonical_id(data['network_id'],
                               '%s: %s.network_id' % (self.source, where))
        network = networks.get(net_id)
        if network is None:
            self.fail(where, 'network_id %s is not a network of the inventory'
                      % net_id)
        mac = data.get('mac_address')
        if mac is None:
            mac = ipam.generate_mac(macs.__contains__)
        elif not netutils.is_valid_mac(mac):
            self.fail(where, 'invalid mac_address %r' % mac)
        mac = mac.lower()
        if mac in macs:
            self.fail(where, 'mac_address %s is already used by %s'
                      % (mac, macs[mac]))
        macs[mac] = where
        fixed_ips = []
        for i, ip in enumerate(data.get('fixed_ips') or []):
            ip_where = '%s.fixed_ips[%d]' % (where, i)
            address = ipam.normalise_address(ip['ip_address'])
            if address is None:
                self.fail(ip_where, 'invalid ip_address %r' % ip['ip_address'])
            subnet = ipam.subnet_containing(network.subnets, address)
            if subnet is None or not ipam.is_allocatable(subnet, address):
                self.fail(ip_where, 'ip_address %s is not a usable address of '
                          'any subnet of network %s' % (address, net_id))
            key = (net_id, address)
            if key in addresses:
                self.fail(ip_where, 'ip_address %s is already used by %s'
                          % (address, addresses[key]))
            addresses[key] = ip_where
            fixed_ips.append(driver.FixedIp(address, subnet.id))
        return Port(port_id, net_id, data['project_id'], mac,
                    tuple(fixed_ips))

    def server(self, data, where, ports, attached):
        server_id = self.new_id(data['id'], where)
        port_ids = []
        for i, value in enumerate(data.get('ports') or []):
            port_where = '%s.ports[%d]' % (where, i)
            port_id = _canonical_id(value, '%s: %s' % (self.source,
                                                       port_where))
            if port_id not in ports:
                self.fail(port_where, 'port %s is not a port of the inventory'
                          % port_id)
            if port_id in attached:
                self.fail(port_where, 'port %s is already attached by %s'
                          % (port_id, attached[port_id]))
            attached[port_id] = where
            port_ids.append(port_id)
        server = driver.Server(
            id=server_id, project_id=data['project_id'],
            vm_state=data.get('vm_state', 'active'),
            task_state=data.get('task_state'),
            locked=data.get('locked', False), name=data.get('name', ''))
        return ServerRecord(server, tuple(port_ids))
