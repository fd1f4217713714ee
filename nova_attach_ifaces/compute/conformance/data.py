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
"""The inventory, ids and contexts the conformance suite starts from."""

import dataclasses
import re

from oslo_context import context as oslo_context

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import inventory


def _uuid(kind, number):
    # Kind and number lead, so that ids differ in their first characters as
    # random ones do: a libvirt host names a port's tap device after the
    # first eleven characters of its id (Nova's convention), and two ports
    # sharing them could not be plugged at once.
    return '%02x%06x-0000-4000-8000-%012x' % (kind, number, number)


PROJECT_A = 'a1' * 16
PROJECT_B = 'b2' * 16
#: Owns nothing: the shared network is the only one it can use.
PROJECT_C = 'c3' * 16
#: Owns nothing and sees no shared network (alternative inventories).
PROJECT_D = 'd4' * 16
#: The project of the admin caller; it owns nothing.
PROJECT_ADMIN = 'ad' * 16

NET_A = _uuid(0x4e, 0xa)
NET_V6 = _uuid(0x4e, 0x6)
NET_EMPTY = _uuid(0x4e, 0xe)
NET_FULL = _uuid(0x4e, 0xf)
NET_SHARED = _uuid(0x4e, 0x5)
NET_B = _uuid(0x4e, 0xb)
NET_UNKNOWN = _uuid(0x4e, 0xdead)

SUBNET_A1 = _uuid(0x5b, 0xa1)
SUBNET_A2 = _uuid(0x5b, 0xa2)
SUBNET_V6 = _uuid(0x5b, 0x6)
SUBNET_FULL = _uuid(0x5b, 0xf)
SUBNET_SHARED = _uuid(0x5b, 0x5)
SUBNET_B = _uuid(0x5b, 0xb)

PORT_A1 = _uuid(0x90, 0xa1)
PORT_A2 = _uuid(0x90, 0xa2)
PORT_A_FREE = _uuid(0x90, 0xa3)
PORT_A_SHARED = _uuid(0x90, 0xa4)
PORT_FULL = _uuid(0x90, 0xa5)
PORT_V6 = _uuid(0x90, 0xa6)
PORT_B1 = _uuid(0x90, 0xb1)
PORT_B_FREE = _uuid(0x90, 0xb2)
PORT_UNKNOWN = _uuid(0x90, 0xdead)

SERVER_A1 = _uuid(0x5e, 0xa1)
SERVER_A2 = _uuid(0x5e, 0xa2)
SERVER_B1 = _uuid(0x5e, 0xb1)
SERVER_C1 = _uuid(0x5e, 0xc1)
SERVER_UNKNOWN = _uuid(0x5e, 0xdead)

MAC_RE = re.compile(r'^fa:16:3e(:[0-9a-f]{2}){3}$')


def _subnet(subnet_id, cidr, gateway):
    return {'id': subnet_id, 'cidr': cidr, 'gateway_ip': gateway}


def _port(port_id, net_id, project_id, mac, *addresses):
    return {'id': port_id, 'network_id': net_id, 'project_id': project_id,
            'mac_address': mac,
            'fixed_ips': [{'ip_address': a} for a in addresses]}


#: The inventory every test starts from, as YAML would give it.
#:
#: * project A owns NET_A (a /29 with 5 usable addresses, then a /24),
#:   NET_V6 (IPv6 only), NET_EMPTY (no subnet) and NET_FULL (one usable
#:   address, taken); project B owns NET_B and the shared NET_SHARED.
#: * SERVER_A1 has PORT_A1 and PORT_A2 attached; SERVER_B1 has PORT_B1;
#:   SERVER_A2 (stopped) and SERVER_C1 (locked, project C) have nothing.
#: * Free ports: PORT_A_FREE, PORT_A_SHARED, PORT_FULL, PORT_V6 (project
#:   A) and PORT_B_FREE (project B).
INVENTORY_DATA = {
    'networks': [
        {'id': NET_A, 'name': 'private-a', 'project_id': PROJECT_A,
         'subnets': [_subnet(SUBNET_A1, '10.0.0.0/29', '10.0.0.1'),
                     _subnet(SUBNET_A2, '10.0.1.0/24', '10.0.1.1')]},
        {'id': NET_V6, 'name': 'v6-a', 'project_id': PROJECT_A,
         'subnets': [_subnet(SUBNET_V6, '2001:db8::/64', '2001:db8::1')]},
        {'id': NET_EMPTY, 'name': 'no-subnet-a', 'project_id': PROJECT_A},
        {'id': NET_FULL, 'name': 'full-a', 'project_id': PROJECT_A,
         'subnets': [_subnet(SUBNET_FULL, '10.9.9.0/30', '10.9.9.1')]},
        {'id': NET_SHARED, 'name': 'public', 'project_id': PROJECT_B,
         'shared': True,
         'subnets': [_subnet(SUBNET_SHARED, '192.168.100.0/24',
                             '192.168.100.1')]},
        {'id': NET_B, 'name': 'private-b', 'project_id': PROJECT_B,
         'subnets': [_subnet(SUBNET_B, '172.16.0.0/24', '172.16.0.1')]},
    ],
    'ports': [
        _port(PORT_A1, NET_A, PROJECT_A, 'fa:16:3e:00:00:a1', '10.0.0.2'),
        _port(PORT_A2, NET_A, PROJECT_A, 'fa:16:3e:00:00:a2', '10.0.0.3'),
        _port(PORT_A_FREE, NET_A, PROJECT_A, 'fa:16:3e:00:00:a3',
              '10.0.0.4'),
        _port(PORT_A_SHARED, NET_SHARED, PROJECT_A, 'fa:16:3e:00:00:a4',
              '192.168.100.10'),
        _port(PORT_FULL, NET_FULL, PROJECT_A, 'fa:16:3e:00:00:a5',
              '10.9.9.2'),
        _port(PORT_V6, NET_V6, PROJECT_A, 'fa:16:3e:00:00:a6',
              '2001:db8::5'),
        _port(PORT_B1, NET_B, PROJECT_B, 'fa:16:3e:00:00:b1', '172.16.0.2'),
        _port(PORT_B_FREE, NET_B, PROJECT_B, 'fa:16:3e:00:00:b2',
              '172.16.0.3'),
    ],
    'servers': [
        {'id': SERVER_A1, 'name': 'vm-a1', 'project_id': PROJECT_A,
         'vm_state': 'active', 'ports': [PORT_A1, PORT_A2]},
        {'id': SERVER_A2, 'name': 'vm-a2', 'project_id': PROJECT_A,
         'vm_state': 'stopped'},
        {'id': SERVER_B1, 'name': 'vm-b1', 'project_id': PROJECT_B,
         'vm_state': 'active', 'ports': [PORT_B1]},
        {'id': SERVER_C1, 'name': 'vm-c1', 'project_id': PROJECT_C,
         'vm_state': 'active', 'locked': True},
    ],
}

ALL_SERVERS = (SERVER_A1, SERVER_A2, SERVER_B1, SERVER_C1)


def build_inventory():
    """Return the :class:`inventory.Inventory` the suite starts from."""
    return inventory.parse(INVENTORY_DATA, source='conformance')


def _att(port_id, net_id, mac, *fixed_ips, tag=None):
    return driver.Attachment(
        port_id=port_id, net_id=net_id, mac_addr=mac, port_state='ACTIVE',
        fixed_ips=tuple(driver.FixedIp(a, s) for a, s in fixed_ips),
        tag=tag)


ATT_A1 = _att(PORT_A1, NET_A, 'fa:16:3e:00:00:a1', ('10.0.0.2', SUBNET_A1))
ATT_A2 = _att(PORT_A2, NET_A, 'fa:16:3e:00:00:a2', ('10.0.0.3', SUBNET_A1))
ATT_A_FREE = _att(PORT_A_FREE, NET_A, 'fa:16:3e:00:00:a3',
                  ('10.0.0.4', SUBNET_A1))
ATT_B1 = _att(PORT_B1, NET_B, 'fa:16:3e:00:00:b1', ('172.16.0.2', SUBNET_B))
ATT_B_FREE = _att(PORT_B_FREE, NET_B, 'fa:16:3e:00:00:b2',
                  ('172.16.0.3', SUBNET_B))


def _timeless(server):
    # When a server was created is the store's to say.
    return dataclasses.replace(server, created_at=None)


def context(project_id, is_admin=False):
    """A request context as the API layer builds it."""
    # overwrite=False: do not leak into oslo.context's thread-local store.
    return oslo_context.RequestContext(project_id=project_id,
                                       is_admin=is_admin, overwrite=False)
