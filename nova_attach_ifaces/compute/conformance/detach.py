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
"""Conformance: detaching, and failures that leave no trace."""

from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import exception


class DetachTests(base.ConformanceBase):
    """detach_interface; failed calls change nothing."""

    # detach

    def test_detach_inventory_port_is_kept(self):
        self.assertIsNone(self.detach(self.ctx_a, data.SERVER_A1,
                                      data.PORT_A1))
        self.assertEqual([data.ATT_A2], self.listing(data.SERVER_A1))
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, data.SERVER_A1, data.PORT_A1)
        # Reusable, with its MAC and address, on any server.
        self.assertEqual(data.ATT_A1, self.attach(self.ctx_a, data.SERVER_A2,
                                                  port_id=data.PORT_A1))
        self.assertEqual([data.ATT_A1], self.listing(data.SERVER_A2))
        # Its address stays taken while it exists.
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, data.SERVER_A1, net_id=data.NET_A,
                                fixed_ip='10.0.0.2')

    def test_detach_keeps_address_of_unattached_user_port(self):
        self.detach(self.ctx_a, data.SERVER_A1, data.PORT_A1)
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                                fixed_ip='10.0.0.2')
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.assertEqual('10.0.0.5', att.fixed_ips[0].ip_address)

    def test_reattach_takes_the_new_tag(self):
        self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE,
                    tag='one')
        self.detach(self.ctx_a, data.SERVER_A2, data.PORT_A_FREE)
        att = self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE)
        self.assertIsNone(att.tag)
        self.assertEqual([data.ATT_A_FREE], self.listing(data.SERVER_A2))
        self.detach(self.ctx_a, data.SERVER_A2, data.PORT_A_FREE)
        att = self.attach(self.ctx_a, data.SERVER_A1, port_id=data.PORT_A_FREE,
                          tag='two')
        self.assertEqual('two', att.tag)
        self.assertEqual('two',
                         self.show(self.ctx_a, data.SERVER_A1,
                                   data.PORT_A_FREE).tag)

    def test_detach_created_port_is_deleted(self):
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.detach(self.ctx_a, data.SERVER_A2, att.port_id)
        self.assertEqual([], self.listing(data.SERVER_A2))
        self.assertRaises(exception.PortNotFound, self.show,
                          self.admin, data.SERVER_A2, att.port_id)
        self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                self.admin, data.SERVER_A2,
                                port_id=att.port_id)
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.admin, data.SERVER_A2, att.port_id)

    def test_detach_created_port_frees_its_address(self):
        first = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)  # 10.0.0.6
        self.detach(self.ctx_a, data.SERVER_A2, first.port_id)
        again = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.assertEqual(first.fixed_ips, again.fixed_ips)
        self.assertNotEqual(first.port_id, again.port_id)
        # And an address asked for explicitly.
        fixed = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                            fixed_ip='10.0.1.200')
        self.detach(self.ctx_a, data.SERVER_A2, fixed.port_id)
        att = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A,
                          fixed_ip='10.0.1.200')
        self.assertEqual(fixed.fixed_ips, att.fixed_ips)

    def test_detach_user_port_keeps_its_address(self):
        # PORT_FULL holds the only address of NET_FULL; detaching it does
        # not give the address back, deleting the port would.
        self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_FULL)
        self.detach(self.ctx_a, data.SERVER_A2, data.PORT_FULL)
        self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                net_id=data.NET_FULL)
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                net_id=data.NET_FULL,
                                fixed_ip='10.9.9.2')

    def test_detach_port_attached_elsewhere(self):
        e = self.assertFailsCleanly(exception.InterfaceNotAttached,
                                    self.detach, self.ctx_a, data.SERVER_A2,
                                    data.PORT_A1)
        self.assertIn(data.PORT_A1, e.format_message())
        self.assertIn(data.SERVER_A2, e.format_message())

    def test_detach_free_port(self):
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, data.SERVER_A1, data.PORT_A_FREE)
        self.assertEqual(
            data.ATT_A_FREE,
            self.attach(self.ctx_a, data.SERVER_A1, port_id=data.PORT_A_FREE))

    def test_detach_twice(self):
        self.detach(self.ctx_a, data.SERVER_A1, data.PORT_A2)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, data.SERVER_A1, data.PORT_A2)
        self.assertEqual([data.ATT_A1], self.listing(data.SERVER_A1))

    def test_detach_invisible_port(self):
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.ctx_a, data.SERVER_A1, data.PORT_B_FREE)
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.ctx_a, data.SERVER_A1, data.PORT_UNKNOWN)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.admin, data.SERVER_A1, data.PORT_B_FREE)

    def test_detach_as_admin(self):
        self.detach(self.admin, data.SERVER_B1, data.PORT_B1)
        self.assertEqual([], self.listing(data.SERVER_B1))
        self.assertEqual(data.ATT_B1, self.attach(self.ctx_b, data.SERVER_B1,
                                                  port_id=data.PORT_B1))

    # Failures change nothing, not even what the next attach gets.

    def test_failures_leave_no_trace(self):
        failures = [
            (exception.NoMoreFixedIps, self.ctx_a, data.SERVER_A2,
             {'net_id': data.NET_FULL}),
            (exception.FixedIpAlreadyInUse, self.ctx_a, data.SERVER_A2,
             {'net_id': data.NET_A, 'fixed_ip': '10.0.0.2'}),
            (exception.FixedIpInvalidForNetwork, self.ctx_a, data.SERVER_A2,
             {'net_id': data.NET_A, 'fixed_ip': '10.0.0.1'}),
            (exception.NetworkNotFound, self.ctx_a, data.SERVER_A2,
             {'net_id': data.NET_B}),
            (exception.NetworkAmbiguous, self.ctx_a, data.SERVER_A2, {}),
            (exception.PortInUse, self.ctx_a, data.SERVER_A2,
             {'port_id': data.PORT_A1}),
            (exception.PortNotFound, self.ctx_a, data.SERVER_A2,
             {'port_id': data.PORT_B_FREE}),
        ]
        for exc_class, ctx, server_id, kwargs in failures:
            self.assertFailsCleanly(exc_class, self.attach, ctx, server_id,
                                    **kwargs)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, data.SERVER_A2, data.PORT_A1)
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.assertNewPort(att, data.NET_A, [('10.0.0.5', data.SUBNET_A1)])
        self.assertEqual([data.ATT_A1, data.ATT_A2],
                         self.listing(data.SERVER_A1))
        self.assertEqual(
            data.ATT_A_FREE,
            self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE))
