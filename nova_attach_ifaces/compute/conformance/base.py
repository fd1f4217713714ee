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
"""The conformance suite's hook, set-up and helpers."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_utils import uuidutils

from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces import conf as nai_conf


class ConformanceBase(object):
    """The hook every part of the suite calls, its setUp and helpers."""

    def make_driver(self, inventory, conf):
        """Return a driver whose store holds exactly ``inventory``."""
        raise NotImplementedError('make_driver() must be implemented by %s'
                                  % type(self).__name__)

    def setUp(self):
        super().setUp()
        self.config_fixture = self.useFixture(
            config_fixture.Config(cfg.ConfigOpts()))
        self.conf = self.config_fixture.conf
        nai_conf.register_opts(self.conf)
        self.ctx_a = data.context(data.PROJECT_A)
        self.ctx_b = data.context(data.PROJECT_B)
        self.ctx_c = data.context(data.PROJECT_C)
        self.admin = data.context(data.PROJECT_ADMIN, is_admin=True)
        self.driver = self.make_driver(data.build_inventory(), self.conf)

    # Helpers.

    def set_limit(self, limit):
        """Set ``[compute] max_interfaces_per_server``; make a new driver."""
        self.config_fixture.config(max_interfaces_per_server=limit,
                                   group='compute')
        self.driver = self.make_driver(data.build_inventory(), self.conf)

    def server(self, server_id):
        return self.driver.get_server(self.admin, server_id)

    def listing(self, server_id, ctx=None):
        return list(self.driver.list_interfaces(ctx or self.admin,
                                                self.server(server_id)))

    def attach(self, ctx, server_id, **kwargs):
        return self.driver.attach_interface(ctx, self.server(server_id),
                                            **kwargs)

    def detach(self, ctx, server_id, port_id):
        return self.driver.detach_interface(ctx, self.server(server_id),
                                            port_id)

    def show(self, ctx, server_id, port_id):
        return self.driver.get_interface(ctx, self.server(server_id),
                                         port_id)

    def snapshot(self, server_ids=data.ALL_SERVERS):
        return {s: self.listing(s) for s in server_ids}

    def assertFailsCleanly(self, exc_class, func, *args, **kwargs):
        """Assert ``func`` raises ``exc_class`` and changes no attachment."""
        before = self.snapshot()
        e = self.assertRaises(exc_class, func, *args, **kwargs)
        self.assertEqual(before, self.snapshot())
        return e

    def assertNewPort(self, att, net_id, fixed_ips, tag=None):
        """Check an attachment of a port that attach created."""
        self.assertIsInstance(att, driver.Attachment)
        self.assertTrue(uuidutils.is_uuid_like(att.port_id), att.port_id)
        self.assertEqual(att.port_id.lower(), att.port_id)
        self.assertEqual(net_id, att.net_id)
        self.assertRegex(att.mac_addr, data.MAC_RE)
        self.assertEqual('ACTIVE', att.port_state)
        self.assertIsInstance(att.fixed_ips, tuple)
        self.assertEqual(tuple(driver.FixedIp(a, s) for a, s in fixed_ips),
                         att.fixed_ips)
        self.assertEqual(tag, att.tag)
