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
"""Conformance: ``[compute] max_interfaces_per_server``."""

from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import exception


class LimitTests(base.ConformanceBase):
    """The interface limit: what it refuses, what wins over it."""

    def test_limit(self):
        self.set_limit(2)
        # SERVER_A1 already has two.
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                port_id=data.PORT_A_FREE)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, data.SERVER_A1, net_id=data.NET_A,
                                fixed_ip='10.0.1.50')
        # The refused attaches took nothing: the free port and the next
        # address are still available to another server.
        self.assertEqual(
            data.ATT_A_FREE,
            self.attach(self.ctx_a, data.SERVER_A2, port_id=data.PORT_A_FREE))
        att = self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A,
                          fixed_ip='10.0.1.50')
        self.assertEqual('10.0.1.50', att.fixed_ips[0].ip_address)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        # Detaching makes room again.
        self.detach(self.ctx_a, data.SERVER_A1, data.PORT_A1)
        att = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.assertNewPort(att, data.NET_A, [('10.0.0.5', data.SUBNET_A1)])

    def test_limit_loses_to_not_found(self):
        self.set_limit(2)
        # SERVER_A1 already has two: an unknown or invisible network or
        # port is still "not found".
        for net_id in (data.NET_UNKNOWN, data.NET_B):
            self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                    self.ctx_a, data.SERVER_A1,
                                    net_id=net_id)
        self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                port_id=data.PORT_UNKNOWN)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, data.SERVER_A1,
                                net_id=data.NET_SHARED)

    def test_limit_is_per_server(self):
        self.set_limit(1)
        self.attach(self.ctx_a, data.SERVER_A2, net_id=data.NET_A)
        self.attach(self.ctx_c, data.SERVER_C1, net_id=data.NET_SHARED)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_c, data.SERVER_C1,
                                net_id=data.NET_SHARED)

    def test_no_limit(self):
        self.set_limit(0)
        for _ in range(20):
            self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.assertEqual(22, len(self.listing(data.SERVER_A1)))
