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
"""Conformance: attaching by port, by network, by address, automatically."""

from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory


class AttachTests(base.ConformanceBase):
    """attach_interface by port, by network, by address, automatically."""

    # attach by port_id

    def test_attach_port(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE)
        self.assertEqual(data.ATT_A_FREE, att)
        self.assertEqual([data.ATT_A_FREE], self.listing(data.SERVER_A2))
        self.assertEqual(data.ATT_A_FREE,
                         self.show(self.ctx_a, data.SERVER_A2,
                                   data.PORT_A_FREE))
        # Attached elsewhere now.
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, data.SERVER_A1, data.PORT_A_FREE)

    def test_attach_port_with_tag(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE,
                          tag='public')
        self.assertEqual('public', att.tag)
        self.assertEqual('public',
                         self.show(self.ctx_a, data.SERVER_A2,
                                   data.PORT_A_FREE).tag)
        self.assertEqual(['public'],
                         [a.tag for a in self.listing(data.SERVER_A2)])

    def test_attach_port_on_shared_network(self):
        att = self.attach(self.ctx_a, data.SERVER_A2,
                          port_id=data.PORT_A_SHARED)
        self.assertEqual(
            data._att(data.PORT_A_SHARED, data.NET_SHARED, 'fa:16:3e:00:00:a4',
                      ('192.168.100.10', data.SUBNET_SHARED)), att)

    def test_attach_port_of_another_project(self):
        e = self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                    self.ctx_a, data.SERVER_A2,
                                    port_id=data.PORT_B_FREE)
        self.assertIn(data.PORT_B_FREE, e.format_message())
        self.assertEqual(
            data.ATT_B_FREE,
            self.attach(self.ctx_b, data.SERVER_B1, port_id=data.PORT_B_FREE))

    def test_attach_port_of_another_project_as_admin(self):
        att = self.attach(self.admin, data.SERVER_A2, port_id=data.PORT_B_FREE)
        self.assertEqual(data.ATT_B_FREE, att)
        self.assertEqual([data.ATT_B_FREE], self.listing(data.SERVER_A2))

    def test_port_attached_by_admin_is_visible_through_the_server(self):
        # The owner of the server may not see the port otherwise; through
        # the server, list, show and detach agree.
        self.attach(self.admin, data.SERVER_A2, port_id=data.PORT_B_FREE)
        self.assertEqual(data.ATT_B_FREE, self.show(
            self.ctx_a, data.SERVER_A2, data.PORT_B_FREE))
        self.assertEqual([data.ATT_B_FREE],
                         self.listing(data.SERVER_A2, ctx=self.ctx_a))
        self.detach(self.ctx_a, data.SERVER_A2, data.PORT_B_FREE)
        self.assertEqual([], self.listing(data.SERVER_A2))
        # A port the user gave is kept: its owner attaches it again.
        self.assertEqual(
            data.ATT_B_FREE,
            self.attach(self.ctx_b, data.SERVER_B1, port_id=data.PORT_B_FREE))

    def test_attach_unknown_port(self):
        self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                self.admin, data.SERVER_A2,
                                port_id=data.PORT_UNKNOWN)

    def test_attach_port_in_use_elsewhere(self):
        e = self.assertFailsCleanly(exception.PortInUse, self.attach,
                                    self.ctx_a, data.SERVER_A2,
                                    port_id=data.PORT_A1)
        self.assertIn(data.PORT_A1, e.format_message())
        self.assertEqual(data.ATT_A1, self.show(self.ctx_a, data.SERVER_A1,
                                                data.PORT_A1))

    def test_attach_port_already_attached_here(self):
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                port_id=data.PORT_A1)
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.admin, data.SERVER_A1,
                                port_id=data.PORT_A2,
                                tag='other')
        self.assertIsNone(self.show(self.ctx_a, data.SERVER_A1,
                                    data.PORT_A2).tag)

    def test_attach_port_twice(self):
        self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE)
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                port_id=data.PORT_A_FREE)

    # attach by net_id

    def test_attach_network(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.assertNewPort(att, data.NET_A, [('10.0.0.5', data.SUBNET_A1)])
        self.assertEqual([att], self.listing(data.SERVER_A2))
        self.assertEqual(att, self.show(self.ctx_a, data.SERVER_A2,
                                        att.port_id))
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, data.SERVER_A1, att.port_id)

    def test_attach_network_with_tag(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                          tag='foo')
        self.assertNewPort(att, data.NET_A, [('10.0.0.5', data.SUBNET_A1)],
                           tag='foo')
        self.assertEqual('foo',
                         self.show(self.ctx_a, data.SERVER_A2,
                                   att.port_id).tag)

    def test_attach_network_next_subnet_when_first_is_full(self):
        ips = [self.attach(self.ctx_a, data.SERVER_A2,
                           net_id=data.NET_A).fixed_ips
               for _ in range(4)]
        self.assertEqual(
            [(driver.FixedIp('10.0.0.5', data.SUBNET_A1),),
             (driver.FixedIp('10.0.0.6', data.SUBNET_A1),),
             (driver.FixedIp('10.0.1.2', data.SUBNET_A2),),
             (driver.FixedIp('10.0.1.3', data.SUBNET_A2),)], ips)

    def test_attach_network_unique_macs_and_ports(self):
        atts = [self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
                for _ in range(6)]
        macs = [a.mac_addr for a in atts + self.listing(data.SERVER_A1)]
        self.assertEqual(len(macs), len(set(macs)))
        self.assertEqual(6, len({a.port_id for a in atts}))
        self.assertEqual(atts, self.listing(data.SERVER_A2))

    def test_attach_shared_network(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_SHARED)
        self.assertNewPort(att, data.NET_SHARED,
                           [('192.168.100.2', data.SUBNET_SHARED)])

    def test_attach_ipv6_network(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_V6)
        # ::0 is the Subnet-Router anycast address, ::1 the gateway.
        self.assertNewPort(att, data.NET_V6, [('2001:db8::2', data.SUBNET_V6)])

    def test_attach_network_without_subnet(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_EMPTY)
        self.assertNewPort(att, data.NET_EMPTY, [])
        self.assertEqual([att], self.listing(data.SERVER_A2))

    def test_attach_network_of_another_project(self):
        e = self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                    self.ctx_a, data.SERVER_A2,
                                    net_id=data.NET_B)
        self.assertIn(data.NET_B, e.format_message())

    def test_attach_network_of_another_project_as_admin(self):
        att = self.attach(self.admin, data.SERVER_A2, net_id=data.NET_B)
        self.assertNewPort(att, data.NET_B, [('172.16.0.4', data.SUBNET_B)])

    def test_attach_unknown_network(self):
        self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                self.admin, data.SERVER_A2,
                                net_id=data.NET_UNKNOWN)

    def test_attach_network_full(self):
        e = self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                    self.ctx_a, data.SERVER_A2,
                                    net_id=data.NET_FULL)
        self.assertIn(data.NET_FULL, e.format_message())

    def test_attach_network_runs_out_of_addresses(self):
        # 10.0.0.0/29 has 10.0.0.5 and .6 free; fill 10.0.1.0/24 too.
        for _ in range(2 + 253):
            self.attach(self.admin, data.SERVER_A2, net_id=data.NET_A)
        self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                self.admin, data.SERVER_A2, net_id=data.NET_A)
        ips = [ip.ip_address for a in self.listing(data.SERVER_A2)
               for ip in a.fixed_ips]
        self.assertEqual(255, len(set(ips)))
        self.assertNotIn('10.0.1.1', ips)
        self.assertNotIn('10.0.1.255', ips)

    # attach by net_id with fixed_ip

    def test_attach_fixed_ip(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                          fixed_ip='10.0.1.77', tag='t')
        self.assertNewPort(att, data.NET_A, [('10.0.1.77', data.SUBNET_A2)],
                           tag='t')
        self.assertEqual([att], self.listing(data.SERVER_A2))

    def test_attach_fixed_ip_is_normalised(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_V6,
                          fixed_ip='2001:DB8:0:0:0:0:0:AB')
        self.assertNewPort(att, data.NET_V6, [('2001:db8::ab',
                                               data.SUBNET_V6)])
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, data.SERVER_A1, net_id=data.NET_V6,
                                fixed_ip='2001:db8::ab')

    def test_attach_fixed_ip_does_not_move_the_next_address(self):
        self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                    fixed_ip='10.0.0.6')
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.assertEqual((driver.FixedIp('10.0.0.5', data.SUBNET_A1),),
                         att.fixed_ips)
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.assertEqual((driver.FixedIp('10.0.1.2', data.SUBNET_A2),),
                         att.fixed_ips)

    def test_attach_fixed_ip_in_use(self):
        e = self.assertFailsCleanly(exception.FixedIpAlreadyInUse,
                                    self.attach, self.ctx_a, data.SERVER_A2,
                                    net_id=data.NET_A, fixed_ip='10.0.0.4')
        self.assertIn('10.0.0.4', e.format_message())
        self.assertIn(data.SERVER_A2, e.format_message())
        self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                    fixed_ip='10.0.1.9')
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, data.SERVER_A1, net_id=data.NET_A,
                                fixed_ip='10.0.1.9')

    def test_addresses_are_unique_per_network(self):
        # Two networks may use the same CIDR (Neutron allows overlapping
        # subnets on different networks): an address is taken per network.
        self.driver = self.make_driver(inventory.parse({
            'networks': [
                {'id': data.NET_A, 'project_id': data.PROJECT_A,
                 'subnets': [data._subnet(data.SUBNET_A1, '10.0.0.0/24',
                                          '10.0.0.1')]},
                {'id': data.NET_B, 'project_id': data.PROJECT_A,
                 'subnets': [data._subnet(data.SUBNET_B, '10.0.0.0/24',
                                          '10.0.0.1')]},
            ],
            'servers': [{'id': data.SERVER_A1, 'project_id': data.PROJECT_A}],
        }), self.conf)
        one = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        two = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_B)
        self.assertNewPort(one, data.NET_A, [('10.0.0.2', data.SUBNET_A1)])
        self.assertNewPort(two, data.NET_B, [('10.0.0.2', data.SUBNET_B)])
        three = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_B,
                            fixed_ip='10.0.0.9')
        self.assertNewPort(three, data.NET_B, [('10.0.0.9', data.SUBNET_B)])
        self.assertRaises(exception.FixedIpAlreadyInUse, self.attach,
                          self.ctx_a, data.SERVER_A1, net_id=data.NET_B,
                          fixed_ip='10.0.0.9')
        four = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A,
                           fixed_ip='10.0.0.9')
        self.assertNewPort(four, data.NET_A, [('10.0.0.9', data.SUBNET_A1)])

    def test_attach_fixed_ip_not_allocatable(self):
        for address in ('10.0.0.1',     # the gateway
                        '10.0.0.0',     # network address
                        '10.0.0.7',     # broadcast address
                        '10.0.2.1',     # in no subnet
                        '172.16.0.50',  # another network's subnet
                        '2001:db8::9'):  # another IP version
            e = self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                        self.attach, self.ctx_a,
                                        data.SERVER_A2,
                                        net_id=data.NET_A, fixed_ip=address)
            self.assertIn(address, e.format_message())
            self.assertIn(data.NET_A, e.format_message())
        self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                self.attach, self.ctx_a, data.SERVER_A2,
                                net_id=data.NET_V6, fixed_ip='2001:db8::')
        self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                self.attach, self.ctx_a, data.SERVER_A2,
                                net_id=data.NET_EMPTY, fixed_ip='10.0.0.5')

    def test_attach_fixed_ip_on_invisible_network(self):
        self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                self.ctx_a, data.SERVER_A2, net_id=data.NET_B,
                                fixed_ip='172.16.0.3')

    # attach with neither port_id nor net_id

    def test_attach_auto_single_shared_network(self):
        att = self.attach(self.ctx_c, data.SERVER_C1)
        self.assertNewPort(att, data.NET_SHARED,
                           [('192.168.100.2', data.SUBNET_SHARED)])
        self.assertEqual([att], self.listing(data.SERVER_C1))

    def test_attach_auto_uses_the_server_project(self):
        # The admin's own project has nothing: the server's project counts.
        att = self.attach(self.admin, data.SERVER_C1, tag='x')
        self.assertNewPort(att, data.NET_SHARED,
                           [('192.168.100.2', data.SUBNET_SHARED)], tag='x')

    def test_attach_auto_ambiguous(self):
        self.assertFailsCleanly(exception.NetworkAmbiguous, self.attach,
                                self.ctx_a, data.SERVER_A2)
        # Project B: its own private network plus the shared one it owns.
        self.assertFailsCleanly(exception.NetworkAmbiguous, self.attach,
                                self.ctx_b, data.SERVER_B1)

    def _single_project_inventory(self, networks):
        return inventory.parse({
            'networks': networks,
            'servers': [{'id': data.SERVER_A1, 'project_id': data.PROJECT_D}],
        })

    def test_attach_auto_no_network(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': data.NET_B, 'project_id': data.PROJECT_B},
        ]), self.conf)
        e = self.assertRaises(exception.InterfaceAttachFailedNoNetwork,
                              self.attach, data.context(data.PROJECT_D),
                              data.SERVER_A1)
        self.assertIn(data.PROJECT_D, e.format_message())
        self.assertEqual([], self.listing(data.SERVER_A1))

    def test_attach_auto_single_own_network(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': data.NET_B, 'project_id': data.PROJECT_B},
            {'id': data.NET_A, 'project_id': data.PROJECT_D,
             'subnets': [data._subnet(data.SUBNET_A1, '10.0.0.0/24',
                                      '10.0.0.1')]},
        ]), self.conf)
        att = self.attach(data.context(data.PROJECT_D), data.SERVER_A1)
        self.assertNewPort(att, data.NET_A, [('10.0.0.2', data.SUBNET_A1)])

    def test_attach_auto_own_shared_network_counts_once(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': data.NET_A, 'project_id': data.PROJECT_D, 'shared': True,
             'subnets': [data._subnet(data.SUBNET_A1, '10.0.0.0/24', None)]},
        ]), self.conf)
        att = self.attach(data.context(data.PROJECT_D), data.SERVER_A1)
        # No gateway: the first host address is usable.
        self.assertNewPort(att, data.NET_A, [('10.0.0.1', data.SUBNET_A1)])
