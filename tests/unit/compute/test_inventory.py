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
"""Tests of the inventory parser and the address rules it relies on."""

import copy
import os
import re

import fixtures
from oslotest import base

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import ipam

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                      'nova-attach-ifaces', 'inventory.yaml.sample')

NET1 = '11111111-1111-4111-8111-111111111111'
NET2 = '22222222-2222-4222-8222-222222222222'
SUB1 = '33333333-3333-4333-8333-333333333333'
SUB2 = '44444444-4444-4444-8444-444444444444'
SUB6 = '66666666-6666-4666-8666-666666666666'
PORT1 = '55555555-5555-4555-8555-555555555555'
PORT2 = '77777777-7777-4777-8777-777777777777'
SRV1 = '88888888-8888-4888-8888-888888888888'
SRV2 = '99999999-9999-4999-8999-999999999999'

GOOD = {
    'networks': [
        {'id': NET1, 'name': 'net1', 'project_id': 'p1',
         'subnets': [{'id': SUB1, 'cidr': '10.0.0.0/24',
                      'gateway_ip': '10.0.0.1'},
                     {'id': SUB6, 'cidr': '2001:db8::/64',
                      'gateway_ip': '2001:db8::1'}]},
        {'id': NET2, 'project_id': 'p2', 'shared': True,
         'subnets': [{'id': SUB2, 'cidr': '10.0.0.0/24'}]},
    ],
    'ports': [
        {'id': PORT1, 'network_id': NET1, 'project_id': 'p1',
         'mac_address': 'fa:16:3e:00:00:01',
         'fixed_ips': [{'ip_address': '10.0.0.5'},
                       {'ip_address': '2001:db8::5'}]},
        {'id': PORT2, 'network_id': NET2, 'project_id': 'p1',
         'fixed_ips': [{'ip_address': '10.0.0.5'}]},
    ],
    'servers': [
        {'id': SRV1, 'name': 'vm1', 'project_id': 'p1', 'vm_state': 'active',
         'task_state': None, 'locked': False, 'ports': [PORT2, PORT1]},
        {'id': SRV2, 'project_id': 'p2'},
    ],
}


def good():
    return copy.deepcopy(GOOD)


class TestParseGood(base.BaseTestCase):

    def test_empty(self):
        self.assertEqual(inventory.Inventory(), inventory.parse(None))
        self.assertEqual(inventory.Inventory(), inventory.parse({}))
        self.assertEqual(inventory.Inventory(),
                         inventory.parse({'networks': [], 'ports': [],
                                          'servers': []}))

    def test_good(self):
        inv = inventory.parse(good())
        net1, net2 = inv.networks
        self.assertEqual(
            inventory.Network(
                id=NET1, project_id='p1', name='net1', shared=False,
                subnets=(inventory.Subnet(SUB1, NET1, '10.0.0.0/24',
                                          '10.0.0.1'),
                         inventory.Subnet(SUB6, NET1, '2001:db8::/64',
                                          '2001:db8::1'))), net1)
        self.assertEqual(
            inventory.Network(id=NET2, project_id='p2', name='',
                              shared=True,
                              subnets=(inventory.Subnet(
                                  SUB2, NET2, '10.0.0.0/24', None),)),
            net2)
        port1, port2 = inv.ports
        self.assertEqual(
            inventory.Port(PORT1, NET1, 'p1', 'fa:16:3e:00:00:01',
                           (driver.FixedIp('10.0.0.5', SUB1),
                            driver.FixedIp('2001:db8::5', SUB6))), port1)
        # Same address on another network is fine; a MAC is generated.
        self.assertEqual((driver.FixedIp('10.0.0.5', SUB2),),
                         port2.fixed_ips)
        self.assertRegex(port2.mac_address, r'^fa:16:3e(:[0-9a-f]{2}){3}$')
        self.assertNotEqual(port1.mac_address, port2.mac_address)
        srv1, srv2 = inv.servers
        self.assertEqual(
            inventory.ServerRecord(
                driver.Server(id=SRV1, project_id='p1', vm_state='active',
                              task_state=None, locked=False, name='vm1'),
                (PORT2, PORT1)), srv1)
        self.assertEqual(
            inventory.ServerRecord(driver.Server(id=SRV2,
                                                 project_id='p2')), srv2)

    def test_ids_and_addresses_are_canonical(self):
        data = good()
        data['networks'][0]['id'] = NET1.upper()
        data['networks'][0]['subnets'][1]['gateway_ip'] = '2001:DB8:0::1'
        data['networks'][1]['id'] = '{%s}' % NET2
        data['ports'][0]['id'] = PORT1.replace('-', '')
        data['ports'][0]['network_id'] = NET1.replace('-', '')
        data['ports'][0]['mac_address'] = 'FA:16:3E:00:00:0A'
        data['ports'][0]['fixed_ips'][1]['ip_address'] = (
            '2001:0DB8:0000:0000:0000:0000:0000:0005')
        data['ports'][1]['network_id'] = 'urn:uuid:' + NET2
        data['servers'][0]['id'] = SRV1.upper()
        data['servers'][0]['ports'] = [PORT2.upper(), PORT1.upper()]
        inv = inventory.parse(data)
        self.assertEqual([NET1, NET2], [n.id for n in inv.networks])
        self.assertEqual('2001:db8::1', inv.networks[0].subnets[1].gateway_ip)
        self.assertEqual([PORT1, PORT2], [p.id for p in inv.ports])
        self.assertEqual([NET1, NET2], [p.network_id for p in inv.ports])
        self.assertEqual('fa:16:3e:00:00:0a', inv.ports[0].mac_address)
        self.assertEqual('2001:db8::5',
                         inv.ports[0].fixed_ips[1].ip_address)
        self.assertEqual(SRV1, inv.servers[0].server.id)
        self.assertEqual((PORT2, PORT1), inv.servers[0].port_ids)

    def test_point_to_point_subnets(self):
        inv = inventory.parse({
            'networks': [{'id': NET1, 'project_id': 'p', 'subnets': [
                {'id': SUB1, 'cidr': '10.0.0.0/31'},
                {'id': SUB2, 'cidr': '10.0.1.7/32'}]}],
            'ports': [{'id': PORT1, 'network_id': NET1, 'project_id': 'p',
                       'fixed_ips': [{'ip_address': '10.0.0.0'},
                                     {'ip_address': '10.0.1.7'}]}],
        })
        self.assertEqual(['10.0.0.0', '10.0.1.7'],
                         [ip.ip_address for ip in inv.ports[0].fixed_ips])

    def test_load_file(self):
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'inv.yaml')
        with open(path, 'w') as f:
            f.write('servers:\n  - {id: %s, project_id: p1}\n' % SRV1)
        inv = inventory.load(path)
        self.assertEqual([SRV1], [s.server.id for s in inv.servers])

    def test_load_empty_file(self):
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'inv.yaml')
        open(path, 'w').close()
        self.assertEqual(inventory.Inventory(), inventory.load(path))

    def test_sample_inventory(self):
        inv = inventory.load(SAMPLE)
        demo = '6f70656e737461636b20697320636f6f'
        self.assertTrue(all(re.match(r'^[0-9a-f-]+$', n.project_id)
                            for n in inv.networks))
        by_cidr = {s.cidr: n for n in inv.networks for s in n.subnets}
        self.assertEqual(demo, by_cidr['10.0.0.0/24'].project_id)
        self.assertFalse(by_cidr['10.0.0.0/24'].shared)
        self.assertTrue(by_cidr['192.168.100.0/24'].shared)
        demo_servers = [r for r in inv.servers
                        if r.server.project_id == demo]
        self.assertEqual(['active', 'stopped'],
                         sorted(r.server.vm_state for r in demo_servers))
        self.assertEqual([1, 0], [len(r.port_ids) for r in demo_servers])
        attached = {p for r in inv.servers for p in r.port_ids}
        free = [p for p in inv.ports if p.id not in attached]
        self.assertEqual([demo], [p.project_id for p in free])
        others = {r.server.project_id for r in inv.servers} - {demo}
        self.assertEqual(1, len(others))


class TestParseBad(base.BaseTestCase):

    def assertInvalid(self, data, *fragments):
        e = self.assertRaises(inventory.InventoryError, inventory.parse,
                              data, source='inv.yaml')
        message = str(e)
        self.assertTrue(message.startswith('inv.yaml: '), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_not_a_mapping(self):
        self.assertInvalid([1, 2], 'top level', 'not of type')
        self.assertInvalid('servers', 'top level')

    def test_unknown_section(self):
        self.assertInvalid({'routers': []}, 'top level', 'routers')

    def test_missing_required(self):
        data = good()
        del data['networks'][1]['project_id']
        self.assertInvalid(data, 'networks[1]', "'project_id' is a required")
        data = good()
        del data['ports'][0]['network_id']
        self.assertInvalid(data, 'ports[0]', "'network_id' is a required")
        data = good()
        del data['networks'][0]['subnets'][1]['cidr']
        self.assertInvalid(data, 'networks[0].subnets[1]', "'cidr'")

    def test_unknown_key(self):
        data = good()
        data['ports'][1]['status'] = 'ACTIVE'
        self.assertInvalid(data, 'ports[1]', 'status')

    def test_wrong_types(self):
        data = good()
        data['networks'][0]['shared'] = 'yes'
        self.assertInvalid(data, 'networks[0].shared', "'yes'")
        data = good()
        data['servers'][1]['locked'] = 1
        self.assertInvalid(data, 'servers[1].locked')
        data = good()
        data['servers'][0]['ports'] = PORT1
        self.assertInvalid(data, 'servers[0].ports')

    def test_bad_vm_state(self):
        data = good()
        data['servers'][1]['vm_state'] = 'running'
        self.assertInvalid(data, 'servers[1].vm_state', "'running'")

    def test_id_not_uuid(self):
        data = good()
        data['networks'][1]['id'] = 'net-two'
        self.assertInvalid(data, 'networks[1].id', "'net-two' is not a UUID")
        data = good()
        data['networks'][0]['subnets'][0]['id'] = 'sub'
        self.assertInvalid(data, 'networks[0].subnets[0].id',
                           'is not a UUID')
        data = good()
        data['ports'][0]['network_id'] = 'net1'
        self.assertInvalid(data, 'ports[0].network_id', 'is not a UUID')
        data = good()
        data['servers'][0]['ports'][1] = 'port1'
        self.assertInvalid(data, 'servers[0].ports[1]', 'is not a UUID')

    def test_duplicate_id(self):
        data = good()
        data['networks'][1]['id'] = NET1.upper()
        self.assertInvalid(data, 'networks[1]',
                           'id %s is already used by networks[0]' % NET1)
        data = good()
        data['servers'][1]['id'] = PORT1
        self.assertInvalid(data, 'servers[1]', 'already used by ports[0]')

    def test_bad_cidr(self):
        for cidr in ('10.0.0.0/33', '10.0.0.1/24', 'ten/8', '010.0.0.0/8'):
            data = good()
            data['networks'][1]['subnets'][0]['cidr'] = cidr
            self.assertInvalid(data, 'networks[1].subnets[0]',
                               'invalid cidr %r' % cidr)

    def test_bad_gateway(self):
        for gateway in ('10.0.0', '010.0.0.1', 'gw', '10.0.0.1/24'):
            data = good()
            data['networks'][1]['subnets'][0]['gateway_ip'] = gateway
            self.assertInvalid(data, 'networks[1].subnets[0]',
                               'invalid gateway_ip %r' % gateway)

    def test_gateway_outside(self):
        data = good()
        data['networks'][1]['subnets'][0]['gateway_ip'] = '10.0.1.1'
        self.assertInvalid(data, 'networks[1].subnets[0]',
                           'gateway_ip 10.0.1.1 is outside 10.0.0.0/24')
        data = good()
        data['networks'][0]['subnets'][1]['gateway_ip'] = '10.0.0.1'
        self.assertInvalid(data, 'networks[0].subnets[1]', 'outside')

    def test_overlapping_subnets(self):
        data = good()
        data['networks'][0]['subnets'][1]['cidr'] = '10.0.0.128/25'
        data['networks'][0]['subnets'][1]['gateway_ip'] = None
        self.assertInvalid(data, 'networks[0].subnets[1]',
                           'overlaps subnet %s' % SUB1)

    def test_port_on_unknown_network(self):
        data = good()
        data['ports'][1]['network_id'] = SRV1
        self.assertInvalid(data, 'ports[1]', 'network_id %s is not a network'
                           % SRV1)

    def test_bad_mac(self):
        for mac in ('fa:16:3e:00:00', 'fa-16-3e-00-00-01',
                    'zz:16:3e:00:00:01'):
            data = good()
            data['ports'][0]['mac_address'] = mac
            self.assertInvalid(data, 'ports[0]', 'invalid mac_address %r'
                               % mac)

    def test_duplicate_mac(self):
        data = good()
        data['ports'][1]['mac_address'] = 'FA:16:3E:00:00:01'
        self.assertInvalid(data, 'ports[1]', 'mac_address fa:16:3e:00:00:01 '
                           'is already used by ports[0]')

    def test_bad_ip(self):
        for address in ('10.0.0', '010.0.0.5', 'fe80::1%eth0', '10.0.0.5/24',
                        ''):
            data = good()
            data['ports'][0]['fixed_ips'][0]['ip_address'] = address
            self.assertInvalid(data, 'ports[0].fixed_ips[0]',
                               'invalid ip_address %r' % address)

    def test_ip_not_usable(self):
        for address in ('10.0.1.5',     # in no subnet
                        '10.0.0.1',     # the gateway
                        '10.0.0.0',     # network address
                        '10.0.0.255',   # broadcast
                        '2001:db8::',   # IPv6 Subnet-Router anycast
                        '2001:db9::5'):
            data = good()
            data['ports'][0]['fixed_ips'][0]['ip_address'] = address
            self.assertInvalid(data, 'ports[0].fixed_ips[0]',
                               'ip_address %s is not a usable address of '
                               'any subnet of network %s' % (address, NET1))

    def test_duplicate_ip_on_network(self):
        data = good()
        data['ports'][1]['network_id'] = NET1
        self.assertInvalid(data, 'ports[1].fixed_ips[0]',
                           'ip_address 10.0.0.5 is already used by '
                           'ports[0].fixed_ips[0]')
        data = good()
        data['ports'][0]['fixed_ips'][1]['ip_address'] = '2001:DB8::5'
        data['ports'][0]['fixed_ips'].append({'ip_address': '2001:db8::5'})
        self.assertInvalid(data, 'ports[0].fixed_ips[2]',
                           'already used by ports[0].fixed_ips[1]')

    def test_server_with_unknown_port(self):
        data = good()
        data['servers'][1]['ports'] = [NET1]
        self.assertInvalid(data, 'servers[1].ports[0]',
                           'port %s is not a port of the inventory' % NET1)

    def test_port_attached_twice(self):
        data = good()
        data['servers'][1]['ports'] = [PORT1.upper()]
        self.assertInvalid(data, 'servers[1].ports[0]',
                           'port %s is already attached by servers[0]'
                           % PORT1)
        data = good()
        data['servers'][0]['ports'].append(PORT2)
        self.assertInvalid(data, 'servers[0].ports[2]', 'already attached')

    def test_load_missing_file(self):
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'none.yaml')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('cannot read inventory %s' % path, str(e))

    def test_load_bad_yaml(self):
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'bad.yaml')
        with open(path, 'w') as f:
            f.write('servers: [\n')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('inventory %s is not valid YAML' % path, str(e))

    def test_load_names_the_file(self):
        tempdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tempdir, 'inv.yaml')
        with open(path, 'w') as f:
            f.write('servers:\n  - {id: nope, project_id: p}\n')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn(path, str(e))
        self.assertIn('servers[0].id', str(e))


class TestIpam(base.BaseTestCase):

    def subnet(self, cidr, gateway=None):
        return inventory.Subnet('s', 'n', cidr, gateway)

    def test_first_free_address(self):
        subnet = self.subnet('10.0.0.0/29', '10.0.0.1')
        self.assertEqual('10.0.0.2', ipam.first_free_address(subnet, set()))
        self.assertEqual('10.0.0.4', ipam.first_free_address(
            subnet, {'10.0.0.2', '10.0.0.3'}))
        self.assertIsNone(ipam.first_free_address(
            subnet, {'10.0.0.%d' % i for i in range(2, 7)}))

    def test_first_free_address_with_start(self):
        subnet = self.subnet('10.0.0.0/29', '10.0.0.1')
        self.assertEqual('10.0.0.5', ipam.first_free_address(
            subnet, set(), start='10.0.0.5'))
        # A start below the pool does not reach the network address.
        self.assertEqual('10.0.0.2', ipam.first_free_address(
            subnet, set(), start='9.0.0.0'))
        self.assertIsNone(ipam.first_free_address(subnet, set(),
                                                  start='10.0.0.7'))

    def test_first_free_address_ipv6(self):
        subnet = self.subnet('2001:db8::/64', '2001:DB8::1')
        self.assertEqual('2001:db8::2', ipam.first_free_address(subnet, ()))
        self.assertEqual('2001:db8::1', ipam.first_free_address(
            self.subnet('2001:db8::/64'), ()))

    def test_candidate_address(self):
        subnet = self.subnet('10.0.0.0/16', '10.0.0.1')
        taken = {'10.0.0.%d' % i for i in range(2, 40)}
        # Uncontended: the lowest free address.
        self.assertEqual('10.0.0.40',
                         ipam.candidate_address(subnet, taken, False))
        # Contended: free, allocatable, among the window's lowest free
        # addresses, and not always the same.
        window = list(ipam.free_addresses(subnet, taken))[
            :ipam.CONTENDED_WINDOW]
        drawn = {ipam.candidate_address(subnet, taken, True)
                 for _ in range(200)}
        self.assertLessEqual(drawn, set(window))
        self.assertGreater(len(drawn), 1)
        tiny = self.subnet('10.2.0.0/30', '10.2.0.1')
        self.assertEqual('10.2.0.2', ipam.candidate_address(tiny, (), True))
        self.assertIsNone(ipam.candidate_address(tiny, {'10.2.0.2'}, True))

    def test_is_allocatable(self):
        v4 = self.subnet('10.0.0.0/24', '10.0.0.1')
        self.assertTrue(ipam.is_allocatable(v4, '10.0.0.2'))
        self.assertTrue(ipam.is_allocatable(v4, '10.0.0.254'))
        for address in ('10.0.0.0', '10.0.0.1', '10.0.0.255', '10.0.1.2',
                        '::a00:2', 'bad'):
            self.assertFalse(ipam.is_allocatable(v4, address), address)
        v6 = self.subnet('2001:db8::/64', '2001:db8::1')
        self.assertTrue(ipam.is_allocatable(v6, '2001:db8::ffff:ffff:ffff:'
                                                'ffff'))
        self.assertFalse(ipam.is_allocatable(v6, '2001:db8::'))
        self.assertFalse(ipam.is_allocatable(v6, '2001:DB8::1'))

    def test_generate_mac_avoids_taken(self):
        taken = set()
        for _ in range(50):
            taken.add(ipam.generate_mac(taken.__contains__))
        self.assertEqual(50, len(taken))
