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
"""The compute driver conformance suite.

Every compute driver, built in or third party, proves that it behaves as
the API (and therefore every Nova client) expects by running these tests.
They check what a user would check: the values a call returns, what
``list_interfaces`` and ``get_interface`` show afterwards, that a failing
call changes nothing (not the attachments, not the next address handed
out), and that concurrent calls from several threads neither lose nor
duplicate anything. The behaviour they check is
the contract's, written in :mod:`nova_attach_ifaces.compute.driver`
("Behaviour every driver follows").

Using it
--------
Mix :class:`DriverConformanceTests` into a ``testtools.TestCase`` (for
instance ``oslotest.base.BaseTestCase``) and implement one hook,
``make_driver(inventory, conf)``, returning a driver whose store holds
exactly the given :class:`~nova_attach_ifaces.compute.inventory.Inventory`
and nothing else::

    from oslotest import base

    from nova_attach_ifaces.compute import conformance
    from acme_driver import driver as acme


    class TestAcmeConformance(conformance.DriverConformanceTests,
                              base.BaseTestCase):
        def make_driver(self, inventory, conf):
            drv = acme.AcmeDriver(conf)
            drv.replace_everything_with(inventory)  # seed your store
            self.addCleanup(drv.close)
            return drv

Run it with ``stestr run`` like any other test module. ``conf`` is an
``oslo_config.cfg.ConfigOpts`` with this service's options registered (see
:func:`nova_attach_ifaces.conf.register_opts`); a test may override
``[compute] max_interfaces_per_server`` before calling the hook, and the
hook may register options of its own on it. ``make_driver`` is called
once in ``setUp`` and again by tests that need another inventory or
configuration; each call must give a fresh store. The contexts are
``oslo_context.context.RequestContext`` objects with ``project_id`` and
``is_admin`` set, as the API passes them.

The suite needs the test requirements (testtools, fixtures, oslo.config's
fixture); import it from tests only.
"""

import collections
import dataclasses
import datetime
import ipaddress
import re
import sys
import threading

from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
from oslo_utils import uuidutils

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces import conf as nai_conf


def _uuid(kind, number):
    return '%08x-0000-4000-8000-%012x' % (kind, number)


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

#: Threads in the concurrency tests: enough to race, few enough for CI.
THREADS = 8
#: Seconds any thread of a concurrency test may take before it is a hang.
THREAD_TIMEOUT = 60


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


class DriverConformanceTests(object):
    """Tests every compute driver must pass; mix into a TestCase.

    Subclasses implement :meth:`make_driver`. ``self.driver`` is the driver
    made from :func:`build_inventory` in ``setUp``; ``self.conf`` its
    configuration.
    """

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
        self.ctx_a = context(PROJECT_A)
        self.ctx_b = context(PROJECT_B)
        self.ctx_c = context(PROJECT_C)
        self.admin = context(PROJECT_ADMIN, is_admin=True)
        self.driver = self.make_driver(build_inventory(), self.conf)

    # Helpers.

    def set_limit(self, limit):
        """Set ``[compute] max_interfaces_per_server``; make a new driver."""
        self.config_fixture.config(max_interfaces_per_server=limit,
                                   group='compute')
        self.driver = self.make_driver(build_inventory(), self.conf)

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

    def snapshot(self, server_ids=ALL_SERVERS):
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
        self.assertRegex(att.mac_addr, MAC_RE)
        self.assertEqual('ACTIVE', att.port_state)
        self.assertIsInstance(att.fixed_ips, tuple)
        self.assertEqual(tuple(driver.FixedIp(a, s) for a, s in fixed_ips),
                         att.fixed_ips)
        self.assertEqual(tag, att.tag)

    # get_server

    def test_get_server(self):
        server = self.driver.get_server(self.ctx_a, SERVER_A1)
        self.assertIsInstance(server, driver.Server)
        self.assertEqual(
            driver.Server(id=SERVER_A1, project_id=PROJECT_A,
                          vm_state='active', task_state=None, locked=False,
                          name='vm-a1'), _timeless(server))
        self.assertEqual(
            driver.Server(id=SERVER_A2, project_id=PROJECT_A,
                          vm_state='stopped', name='vm-a2'),
            _timeless(self.driver.get_server(self.ctx_a, SERVER_A2)))
        if server.created_at is not None:
            self.assertIsInstance(server.created_at, datetime.datetime)
            self.assertIsNone(server.created_at.tzinfo)

    def _list_servers(self, *args):
        try:
            return self.driver.list_servers(*args)
        except NotImplementedError:
            self.skipTest('list_servers is optional; this driver has none')

    def test_list_servers_of_a_project(self):
        servers = self._list_servers(self.ctx_a, PROJECT_A)
        self.assertEqual([SERVER_A1, SERVER_A2],
                         sorted(server.id for server in servers))
        self.assertEqual(
            [self.driver.get_server(self.ctx_a, server.id)
             for server in servers], servers)

    def test_list_servers_of_every_project(self):
        servers = self._list_servers(self.admin, None)
        self.assertEqual(sorted(ALL_SERVERS),
                         sorted(server.id for server in servers))

    def test_list_servers_of_an_unknown_project(self):
        self.assertEqual([], self._list_servers(self.ctx_a, 'nobody'))

    def test_network_names(self):
        names = self.driver.network_names(self.ctx_a, [NET_A, NET_UNKNOWN])
        # Optional: a driver may know no names at all.
        if names:
            self.assertEqual({NET_A: 'private-a'}, names)
        self.assertTrue(
            self.driver.get_server(self.ctx_c, SERVER_C1).locked)

    def test_get_server_of_another_project(self):
        # Hiding other projects' servers is the API layer's job.
        server = self.driver.get_server(self.ctx_b, SERVER_A1)
        self.assertEqual(PROJECT_A, server.project_id)

    def test_get_server_not_found(self):
        e = self.assertRaises(exception.ServerNotFound,
                              self.driver.get_server, self.ctx_a,
                              SERVER_UNKNOWN)
        self.assertIn(SERVER_UNKNOWN, e.format_message())

    def test_get_server_id_is_matched_exactly(self):
        self.assertRaises(exception.ServerNotFound, self.driver.get_server,
                          self.ctx_a, SERVER_A1.upper())
        self.assertRaises(exception.ServerNotFound, self.driver.get_server,
                          self.ctx_a, SERVER_A1.replace('-', ''))

    # list_interfaces

    def test_list_interfaces_inventory_order(self):
        self.assertEqual([ATT_A1, ATT_A2], self.listing(SERVER_A1))
        self.assertEqual([ATT_B1], self.listing(SERVER_B1))
        self.assertEqual([], self.listing(SERVER_A2))
        self.assertEqual([], self.listing(SERVER_C1))

    def test_list_interfaces_is_stable(self):
        self.assertEqual(self.listing(SERVER_A1), self.listing(SERVER_A1))

    def test_list_interfaces_as_owner(self):
        self.assertEqual([ATT_A1, ATT_A2],
                         self.listing(SERVER_A1, ctx=self.ctx_a))

    def test_list_interfaces_attach_order(self):
        new = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        self.attach(self.ctx_a, SERVER_A1, port_id=PORT_A_FREE)
        self.assertEqual([ATT_A1, ATT_A2, new, ATT_A_FREE],
                         self.listing(SERVER_A1))
        self.detach(self.ctx_a, SERVER_A1, PORT_A1)
        self.assertEqual([ATT_A2, new, ATT_A_FREE], self.listing(SERVER_A1))
        # A re-attached port goes to the end, not back to its old place.
        self.attach(self.ctx_a, SERVER_A1, port_id=PORT_A1)
        self.assertEqual([ATT_A2, new, ATT_A_FREE, ATT_A1],
                         self.listing(SERVER_A1))

    def test_list_interfaces_returns_values_not_state(self):
        listed = self.driver.list_interfaces(self.ctx_a,
                                             self.server(SERVER_A1))
        if isinstance(listed, list):
            listed.clear()
        self.assertEqual([ATT_A1, ATT_A2], self.listing(SERVER_A1))
        for att in self.listing(SERVER_A1):
            self.assertIsInstance(att, driver.Attachment)
            self.assertIsInstance(att.fixed_ips, tuple)

    # get_server_interfaces

    def test_get_server_interfaces(self):
        for server_id in (SERVER_A1, SERVER_A2, SERVER_B1):
            server, attachments = self.driver.get_server_interfaces(
                self.ctx_a, server_id)
            self.assertEqual(self.server(server_id), server)
            self.assertEqual(self.listing(server_id), list(attachments))

    def test_get_server_interfaces_after_changes(self):
        new = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        self.detach(self.ctx_a, SERVER_A1, PORT_A1)
        server, attachments = self.driver.get_server_interfaces(
            self.ctx_a, SERVER_A1)
        self.assertEqual(self.server(SERVER_A1), server)
        self.assertEqual([ATT_A2, new], list(attachments))

    def test_get_server_interfaces_not_found(self):
        e = self.assertRaises(exception.ServerNotFound,
                              self.driver.get_server_interfaces, self.ctx_a,
                              SERVER_UNKNOWN)
        self.assertIn(SERVER_UNKNOWN, e.format_message())
        self.assertRaises(exception.ServerNotFound,
                          self.driver.get_server_interfaces, self.ctx_a,
                          SERVER_A1.upper())

    def test_get_server_interface(self):
        self.assertEqual(
            (self.server(SERVER_A1), ATT_A1),
            self.driver.get_server_interface(self.ctx_a, SERVER_A1, PORT_A1))

    def test_get_server_interface_of_a_port_not_attached_there(self):
        # Attached elsewhere, free, unknown: the server and None.
        for port_id in (PORT_B1, PORT_A_FREE, PORT_UNKNOWN):
            self.assertEqual(
                (self.server(SERVER_A1), None),
                self.driver.get_server_interface(self.ctx_a, SERVER_A1,
                                                 port_id))
        self.assertEqual(
            (self.server(SERVER_A1), None),
            self.driver.get_server_interface(self.ctx_a, SERVER_A1,
                                             PORT_A1.upper()))

    def test_get_server_interface_server_not_found(self):
        self.assertRaises(exception.ServerNotFound,
                          self.driver.get_server_interface, self.ctx_a,
                          SERVER_UNKNOWN, PORT_A1)

    # get_interface

    def test_get_interface(self):
        self.assertEqual(ATT_A1, self.show(self.ctx_a, SERVER_A1, PORT_A1))
        self.assertEqual(ATT_A2, self.show(self.admin, SERVER_A1, PORT_A2))

    def test_get_interface_port_attached_elsewhere(self):
        e = self.assertRaises(exception.InterfaceNotAttached, self.show,
                              self.ctx_a, SERVER_A2, PORT_A1)
        self.assertIn(SERVER_A2, e.format_message())
        self.assertIn(PORT_A1, e.format_message())

    def test_get_interface_free_port(self):
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, SERVER_A1, PORT_A_FREE)

    def test_get_interface_port_of_another_project(self):
        e = self.assertRaises(exception.PortNotFound, self.show,
                              self.ctx_b, SERVER_B1, PORT_A_FREE)
        self.assertIn(PORT_A_FREE, e.format_message())
        self.assertRaises(exception.PortNotFound, self.show,
                          self.ctx_a, SERVER_A1, PORT_B1)
        # An admin sees every port.
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.admin, SERVER_B1, PORT_A_FREE)

    def test_get_interface_unknown_port(self):
        self.assertRaises(exception.PortNotFound, self.show,
                          self.admin, SERVER_A1, PORT_UNKNOWN)

    # attach by port_id

    def test_attach_port(self):
        att = self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_FREE)
        self.assertEqual(ATT_A_FREE, att)
        self.assertEqual([ATT_A_FREE], self.listing(SERVER_A2))
        self.assertEqual(ATT_A_FREE,
                         self.show(self.ctx_a, SERVER_A2, PORT_A_FREE))
        # Attached elsewhere now.
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, SERVER_A1, PORT_A_FREE)

    def test_attach_port_with_tag(self):
        att = self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_FREE,
                          tag='public')
        self.assertEqual('public', att.tag)
        self.assertEqual('public',
                         self.show(self.ctx_a, SERVER_A2, PORT_A_FREE).tag)
        self.assertEqual(['public'],
                         [a.tag for a in self.listing(SERVER_A2)])

    def test_attach_port_on_shared_network(self):
        att = self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_SHARED)
        self.assertEqual(
            _att(PORT_A_SHARED, NET_SHARED, 'fa:16:3e:00:00:a4',
                 ('192.168.100.10', SUBNET_SHARED)), att)

    def test_attach_port_of_another_project(self):
        e = self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                    self.ctx_a, SERVER_A2,
                                    port_id=PORT_B_FREE)
        self.assertIn(PORT_B_FREE, e.format_message())
        self.assertEqual(ATT_B_FREE, self.attach(self.ctx_b, SERVER_B1,
                                                 port_id=PORT_B_FREE))

    def test_attach_port_of_another_project_as_admin(self):
        att = self.attach(self.admin, SERVER_A2, port_id=PORT_B_FREE)
        self.assertEqual(ATT_B_FREE, att)
        self.assertEqual([ATT_B_FREE], self.listing(SERVER_A2))

    def test_attach_unknown_port(self):
        self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                self.admin, SERVER_A2, port_id=PORT_UNKNOWN)

    def test_attach_port_in_use_elsewhere(self):
        e = self.assertFailsCleanly(exception.PortInUse, self.attach,
                                    self.ctx_a, SERVER_A2, port_id=PORT_A1)
        self.assertIn(PORT_A1, e.format_message())
        self.assertEqual(ATT_A1, self.show(self.ctx_a, SERVER_A1, PORT_A1))

    def test_attach_port_already_attached_here(self):
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.ctx_a, SERVER_A1, port_id=PORT_A1)
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.admin, SERVER_A1, port_id=PORT_A2,
                                tag='other')
        self.assertIsNone(self.show(self.ctx_a, SERVER_A1, PORT_A2).tag)

    def test_attach_port_twice(self):
        self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_FREE)
        self.assertFailsCleanly(exception.PortInUse, self.attach,
                                self.ctx_a, SERVER_A1, port_id=PORT_A_FREE)

    # attach by net_id

    def test_attach_network(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.assertNewPort(att, NET_A, [('10.0.0.5', SUBNET_A1)])
        self.assertEqual([att], self.listing(SERVER_A2))
        self.assertEqual(att, self.show(self.ctx_a, SERVER_A2, att.port_id))
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, SERVER_A1, att.port_id)

    def test_attach_network_with_tag(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A, tag='foo')
        self.assertNewPort(att, NET_A, [('10.0.0.5', SUBNET_A1)], tag='foo')
        self.assertEqual('foo',
                         self.show(self.ctx_a, SERVER_A2, att.port_id).tag)

    def test_attach_network_next_subnet_when_first_is_full(self):
        ips = [self.attach(self.ctx_a, SERVER_A2, net_id=NET_A).fixed_ips
               for _ in range(4)]
        self.assertEqual(
            [(driver.FixedIp('10.0.0.5', SUBNET_A1),),
             (driver.FixedIp('10.0.0.6', SUBNET_A1),),
             (driver.FixedIp('10.0.1.2', SUBNET_A2),),
             (driver.FixedIp('10.0.1.3', SUBNET_A2),)], ips)

    def test_attach_network_unique_macs_and_ports(self):
        atts = [self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
                for _ in range(6)]
        macs = [a.mac_addr for a in atts + self.listing(SERVER_A1)]
        self.assertEqual(len(macs), len(set(macs)))
        self.assertEqual(6, len({a.port_id for a in atts}))
        self.assertEqual(atts, self.listing(SERVER_A2))

    def test_attach_shared_network(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_SHARED)
        self.assertNewPort(att, NET_SHARED,
                           [('192.168.100.2', SUBNET_SHARED)])

    def test_attach_ipv6_network(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_V6)
        # ::0 is the Subnet-Router anycast address, ::1 the gateway.
        self.assertNewPort(att, NET_V6, [('2001:db8::2', SUBNET_V6)])

    def test_attach_network_without_subnet(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_EMPTY)
        self.assertNewPort(att, NET_EMPTY, [])
        self.assertEqual([att], self.listing(SERVER_A2))

    def test_attach_network_of_another_project(self):
        e = self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                    self.ctx_a, SERVER_A2, net_id=NET_B)
        self.assertIn(NET_B, e.format_message())

    def test_attach_network_of_another_project_as_admin(self):
        att = self.attach(self.admin, SERVER_A2, net_id=NET_B)
        self.assertNewPort(att, NET_B, [('172.16.0.4', SUBNET_B)])

    def test_attach_unknown_network(self):
        self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                self.admin, SERVER_A2, net_id=NET_UNKNOWN)

    def test_attach_network_full(self):
        e = self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                    self.ctx_a, SERVER_A2, net_id=NET_FULL)
        self.assertIn(NET_FULL, e.format_message())

    def test_attach_network_runs_out_of_addresses(self):
        # 10.0.0.0/29 has 10.0.0.5 and .6 free; fill 10.0.1.0/24 too.
        for _ in range(2 + 253):
            self.attach(self.admin, SERVER_A2, net_id=NET_A)
        self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                self.admin, SERVER_A2, net_id=NET_A)
        ips = [ip.ip_address for a in self.listing(SERVER_A2)
               for ip in a.fixed_ips]
        self.assertEqual(255, len(set(ips)))
        self.assertNotIn('10.0.1.1', ips)
        self.assertNotIn('10.0.1.255', ips)

    # attach by net_id with fixed_ip

    def test_attach_fixed_ip(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A,
                          fixed_ip='10.0.1.77', tag='t')
        self.assertNewPort(att, NET_A, [('10.0.1.77', SUBNET_A2)], tag='t')
        self.assertEqual([att], self.listing(SERVER_A2))

    def test_attach_fixed_ip_is_normalised(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_V6,
                          fixed_ip='2001:DB8:0:0:0:0:0:AB')
        self.assertNewPort(att, NET_V6, [('2001:db8::ab', SUBNET_V6)])
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_V6,
                                fixed_ip='2001:db8::ab')

    def test_attach_fixed_ip_does_not_move_the_next_address(self):
        self.attach(self.ctx_a, SERVER_A2, net_id=NET_A, fixed_ip='10.0.0.6')
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.assertEqual((driver.FixedIp('10.0.0.5', SUBNET_A1),),
                         att.fixed_ips)
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.assertEqual((driver.FixedIp('10.0.1.2', SUBNET_A2),),
                         att.fixed_ips)

    def test_attach_fixed_ip_in_use(self):
        e = self.assertFailsCleanly(exception.FixedIpAlreadyInUse,
                                    self.attach, self.ctx_a, SERVER_A2,
                                    net_id=NET_A, fixed_ip='10.0.0.4')
        self.assertIn('10.0.0.4', e.format_message())
        self.assertIn(SERVER_A2, e.format_message())
        self.attach(self.ctx_a, SERVER_A2, net_id=NET_A,
                    fixed_ip='10.0.1.9')
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_A,
                                fixed_ip='10.0.1.9')

    def test_addresses_are_unique_per_network(self):
        # Two networks may use the same CIDR (Neutron allows overlapping
        # subnets on different networks): an address is taken per network.
        self.driver = self.make_driver(inventory.parse({
            'networks': [
                {'id': NET_A, 'project_id': PROJECT_A,
                 'subnets': [_subnet(SUBNET_A1, '10.0.0.0/24', '10.0.0.1')]},
                {'id': NET_B, 'project_id': PROJECT_A,
                 'subnets': [_subnet(SUBNET_B, '10.0.0.0/24', '10.0.0.1')]},
            ],
            'servers': [{'id': SERVER_A1, 'project_id': PROJECT_A}],
        }), self.conf)
        one = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        two = self.attach(self.ctx_a, SERVER_A1, net_id=NET_B)
        self.assertNewPort(one, NET_A, [('10.0.0.2', SUBNET_A1)])
        self.assertNewPort(two, NET_B, [('10.0.0.2', SUBNET_B)])
        three = self.attach(self.ctx_a, SERVER_A1, net_id=NET_B,
                            fixed_ip='10.0.0.9')
        self.assertNewPort(three, NET_B, [('10.0.0.9', SUBNET_B)])
        self.assertRaises(exception.FixedIpAlreadyInUse, self.attach,
                          self.ctx_a, SERVER_A1, net_id=NET_B,
                          fixed_ip='10.0.0.9')
        four = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A,
                           fixed_ip='10.0.0.9')
        self.assertNewPort(four, NET_A, [('10.0.0.9', SUBNET_A1)])

    def test_attach_fixed_ip_not_allocatable(self):
        for address in ('10.0.0.1',     # the gateway
                        '10.0.0.0',     # network address
                        '10.0.0.7',     # broadcast address
                        '10.0.2.1',     # in no subnet
                        '172.16.0.50',  # another network's subnet
                        '2001:db8::9'):  # another IP version
            e = self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                        self.attach, self.ctx_a, SERVER_A2,
                                        net_id=NET_A, fixed_ip=address)
            self.assertIn(address, e.format_message())
            self.assertIn(NET_A, e.format_message())
        self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                self.attach, self.ctx_a, SERVER_A2,
                                net_id=NET_V6, fixed_ip='2001:db8::')
        self.assertFailsCleanly(exception.FixedIpInvalidForNetwork,
                                self.attach, self.ctx_a, SERVER_A2,
                                net_id=NET_EMPTY, fixed_ip='10.0.0.5')

    def test_attach_fixed_ip_on_invisible_network(self):
        self.assertFailsCleanly(exception.NetworkNotFound, self.attach,
                                self.ctx_a, SERVER_A2, net_id=NET_B,
                                fixed_ip='172.16.0.3')

    # attach with neither port_id nor net_id

    def test_attach_auto_single_shared_network(self):
        att = self.attach(self.ctx_c, SERVER_C1)
        self.assertNewPort(att, NET_SHARED,
                           [('192.168.100.2', SUBNET_SHARED)])
        self.assertEqual([att], self.listing(SERVER_C1))

    def test_attach_auto_uses_the_server_project(self):
        # The admin's own project has nothing: the server's project counts.
        att = self.attach(self.admin, SERVER_C1, tag='x')
        self.assertNewPort(att, NET_SHARED,
                           [('192.168.100.2', SUBNET_SHARED)], tag='x')

    def test_attach_auto_ambiguous(self):
        self.assertFailsCleanly(exception.NetworkAmbiguous, self.attach,
                                self.ctx_a, SERVER_A2)
        # Project B: its own private network plus the shared one it owns.
        self.assertFailsCleanly(exception.NetworkAmbiguous, self.attach,
                                self.ctx_b, SERVER_B1)

    def _single_project_inventory(self, networks):
        return inventory.parse({
            'networks': networks,
            'servers': [{'id': SERVER_A1, 'project_id': PROJECT_D}],
        })

    def test_attach_auto_no_network(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': NET_B, 'project_id': PROJECT_B},
        ]), self.conf)
        e = self.assertRaises(exception.InterfaceAttachFailedNoNetwork,
                              self.attach, context(PROJECT_D), SERVER_A1)
        self.assertIn(PROJECT_D, e.format_message())
        self.assertEqual([], self.listing(SERVER_A1))

    def test_attach_auto_single_own_network(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': NET_B, 'project_id': PROJECT_B},
            {'id': NET_A, 'project_id': PROJECT_D,
             'subnets': [_subnet(SUBNET_A1, '10.0.0.0/24', '10.0.0.1')]},
        ]), self.conf)
        att = self.attach(context(PROJECT_D), SERVER_A1)
        self.assertNewPort(att, NET_A, [('10.0.0.2', SUBNET_A1)])

    def test_attach_auto_own_shared_network_counts_once(self):
        self.driver = self.make_driver(self._single_project_inventory([
            {'id': NET_A, 'project_id': PROJECT_D, 'shared': True,
             'subnets': [_subnet(SUBNET_A1, '10.0.0.0/24', None)]},
        ]), self.conf)
        att = self.attach(context(PROJECT_D), SERVER_A1)
        # No gateway: the first host address is usable.
        self.assertNewPort(att, NET_A, [('10.0.0.1', SUBNET_A1)])

    # [compute] max_interfaces_per_server

    def test_limit(self):
        self.set_limit(2)
        # SERVER_A1 already has two.
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_A)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, SERVER_A1, port_id=PORT_A_FREE)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_A,
                                fixed_ip='10.0.1.50')
        # The refused attaches took nothing: the free port and the next
        # address are still available to another server.
        self.assertEqual(ATT_A_FREE, self.attach(self.ctx_a, SERVER_A2,
                                                 port_id=PORT_A_FREE))
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A,
                          fixed_ip='10.0.1.50')
        self.assertEqual('10.0.1.50', att.fixed_ips[0].ip_address)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_a, SERVER_A2, net_id=NET_A)
        # Detaching makes room again.
        self.detach(self.ctx_a, SERVER_A1, PORT_A1)
        att = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        self.assertNewPort(att, NET_A, [('10.0.0.5', SUBNET_A1)])

    def test_limit_is_per_server(self):
        self.set_limit(1)
        self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.attach(self.ctx_c, SERVER_C1, net_id=NET_SHARED)
        self.assertFailsCleanly(exception.PortLimitExceeded, self.attach,
                                self.ctx_c, SERVER_C1, net_id=NET_SHARED)

    def test_no_limit(self):
        self.set_limit(0)
        for _ in range(20):
            self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        self.assertEqual(22, len(self.listing(SERVER_A1)))

    # detach

    def test_detach_inventory_port_is_kept(self):
        self.assertIsNone(self.detach(self.ctx_a, SERVER_A1, PORT_A1))
        self.assertEqual([ATT_A2], self.listing(SERVER_A1))
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, SERVER_A1, PORT_A1)
        # Reusable, with its MAC and address, on any server.
        self.assertEqual(ATT_A1, self.attach(self.ctx_a, SERVER_A2,
                                             port_id=PORT_A1))
        self.assertEqual([ATT_A1], self.listing(SERVER_A2))
        # Its address stays taken while it exists.
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_A,
                                fixed_ip='10.0.0.2')

    def test_detach_keeps_address_of_unattached_user_port(self):
        self.detach(self.ctx_a, SERVER_A1, PORT_A1)
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, SERVER_A2, net_id=NET_A,
                                fixed_ip='10.0.0.2')
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.assertEqual('10.0.0.5', att.fixed_ips[0].ip_address)

    def test_reattach_takes_the_new_tag(self):
        self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_FREE, tag='one')
        self.detach(self.ctx_a, SERVER_A2, PORT_A_FREE)
        att = self.attach(self.ctx_a, SERVER_A2, port_id=PORT_A_FREE)
        self.assertIsNone(att.tag)
        self.assertEqual([ATT_A_FREE], self.listing(SERVER_A2))
        self.detach(self.ctx_a, SERVER_A2, PORT_A_FREE)
        att = self.attach(self.ctx_a, SERVER_A1, port_id=PORT_A_FREE,
                          tag='two')
        self.assertEqual('two', att.tag)
        self.assertEqual('two',
                         self.show(self.ctx_a, SERVER_A1, PORT_A_FREE).tag)

    def test_detach_created_port_is_deleted(self):
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.detach(self.ctx_a, SERVER_A2, att.port_id)
        self.assertEqual([], self.listing(SERVER_A2))
        self.assertRaises(exception.PortNotFound, self.show,
                          self.admin, SERVER_A2, att.port_id)
        self.assertFailsCleanly(exception.PortNotFound, self.attach,
                                self.admin, SERVER_A2, port_id=att.port_id)
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.admin, SERVER_A2, att.port_id)

    def test_detach_created_port_frees_its_address(self):
        first = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)  # 10.0.0.6
        self.detach(self.ctx_a, SERVER_A2, first.port_id)
        again = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A)
        self.assertEqual(first.fixed_ips, again.fixed_ips)
        self.assertNotEqual(first.port_id, again.port_id)
        # And an address asked for explicitly.
        fixed = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A,
                            fixed_ip='10.0.1.200')
        self.detach(self.ctx_a, SERVER_A2, fixed.port_id)
        att = self.attach(self.ctx_a, SERVER_A1, net_id=NET_A,
                          fixed_ip='10.0.1.200')
        self.assertEqual(fixed.fixed_ips, att.fixed_ips)

    def test_detach_user_port_keeps_its_address(self):
        # PORT_FULL holds the only address of NET_FULL; detaching it does
        # not give the address back, deleting the port would.
        self.attach(self.ctx_a, SERVER_A2, port_id=PORT_FULL)
        self.detach(self.ctx_a, SERVER_A2, PORT_FULL)
        self.assertFailsCleanly(exception.NoMoreFixedIps, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_FULL)
        self.assertFailsCleanly(exception.FixedIpAlreadyInUse, self.attach,
                                self.ctx_a, SERVER_A1, net_id=NET_FULL,
                                fixed_ip='10.9.9.2')

    def test_detach_port_attached_elsewhere(self):
        e = self.assertFailsCleanly(exception.InterfaceNotAttached,
                                    self.detach, self.ctx_a, SERVER_A2,
                                    PORT_A1)
        self.assertIn(PORT_A1, e.format_message())
        self.assertIn(SERVER_A2, e.format_message())

    def test_detach_free_port(self):
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, SERVER_A1, PORT_A_FREE)
        self.assertEqual(ATT_A_FREE, self.attach(self.ctx_a, SERVER_A1,
                                                 port_id=PORT_A_FREE))

    def test_detach_twice(self):
        self.detach(self.ctx_a, SERVER_A1, PORT_A2)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, SERVER_A1, PORT_A2)
        self.assertEqual([ATT_A1], self.listing(SERVER_A1))

    def test_detach_invisible_port(self):
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.ctx_a, SERVER_A1, PORT_B_FREE)
        self.assertFailsCleanly(exception.PortNotFound, self.detach,
                                self.ctx_a, SERVER_A1, PORT_UNKNOWN)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.admin, SERVER_A1, PORT_B_FREE)

    def test_detach_as_admin(self):
        self.detach(self.admin, SERVER_B1, PORT_B1)
        self.assertEqual([], self.listing(SERVER_B1))
        self.assertEqual(ATT_B1, self.attach(self.ctx_b, SERVER_B1,
                                             port_id=PORT_B1))

    # Failures change nothing, not even what the next attach gets.

    def test_failures_leave_no_trace(self):
        failures = [
            (exception.NoMoreFixedIps, self.ctx_a, SERVER_A2,
             {'net_id': NET_FULL}),
            (exception.FixedIpAlreadyInUse, self.ctx_a, SERVER_A2,
             {'net_id': NET_A, 'fixed_ip': '10.0.0.2'}),
            (exception.FixedIpInvalidForNetwork, self.ctx_a, SERVER_A2,
             {'net_id': NET_A, 'fixed_ip': '10.0.0.1'}),
            (exception.NetworkNotFound, self.ctx_a, SERVER_A2,
             {'net_id': NET_B}),
            (exception.NetworkAmbiguous, self.ctx_a, SERVER_A2, {}),
            (exception.PortInUse, self.ctx_a, SERVER_A2,
             {'port_id': PORT_A1}),
            (exception.PortNotFound, self.ctx_a, SERVER_A2,
             {'port_id': PORT_B_FREE}),
        ]
        for exc_class, ctx, server_id, kwargs in failures:
            self.assertFailsCleanly(exc_class, self.attach, ctx, server_id,
                                    **kwargs)
        self.assertFailsCleanly(exception.InterfaceNotAttached, self.detach,
                                self.ctx_a, SERVER_A2, PORT_A1)
        att = self.attach(self.ctx_a, SERVER_A2, net_id=NET_A)
        self.assertNewPort(att, NET_A, [('10.0.0.5', SUBNET_A1)])
        self.assertEqual([ATT_A1, ATT_A2], self.listing(SERVER_A1))
        self.assertEqual(ATT_A_FREE, self.attach(self.ctx_a, SERVER_A2,
                                                 port_id=PORT_A_FREE))

    # Concurrency.

    def _race(self, calls):
        """Run ``calls`` (callables) in threads started together.

        :returns: one ``('ok', value)`` or ``('error', exception)`` per call.
        """
        # Switch threads as often as possible while racing, so that a
        # missing lock shows up even in a driver that never blocks.
        self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(1e-6)
        barrier = threading.Barrier(len(calls), timeout=THREAD_TIMEOUT)
        results = [None] * len(calls)

        def run(i, call):
            try:
                barrier.wait()
                results[i] = ('ok', call())
            except Exception as e:
                results[i] = ('error', e)

        threads = [threading.Thread(target=run, args=(i, c), daemon=True)
                   for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(THREAD_TIMEOUT)
            self.assertFalse(t.is_alive(), 'a driver call hung')
        return results

    def _many_servers_driver(self):
        servers = [_uuid(0x5e, 0x100 + i) for i in range(THREADS)]
        self.driver = self.make_driver(inventory.parse({
            'networks': [
                {'id': NET_A, 'project_id': PROJECT_A,
                 'subnets': [_subnet(SUBNET_A1, '10.0.0.0/24', '10.0.0.1')]},
            ],
            'ports': [_port(PORT_A_FREE, NET_A, PROJECT_A,
                            'fa:16:3e:00:00:a3', '10.0.0.4')],
            'servers': [{'id': s, 'project_id': PROJECT_A}
                        for s in servers],
        }), self.conf)
        return servers

    def test_concurrent_attach_same_port(self):
        servers = self._many_servers_driver()
        results = self._race([
            (lambda s=s: self.attach(self.ctx_a, s, port_id=PORT_A_FREE))
            for s in servers])
        kinds = collections.Counter(
            'ok' if kind == 'ok' else type(value).__name__
            for kind, value in results)
        self.assertEqual({'ok': 1, 'PortInUse': THREADS - 1}, dict(kinds))
        winner = [s for s, (kind, _) in zip(servers, results)
                  if kind == 'ok'][0]
        for s in servers:
            expected = [PORT_A_FREE] if s == winner else []
            self.assertEqual(expected,
                             [a.port_id for a in self.listing(s)])

    def test_concurrent_attach_same_fixed_ip(self):
        servers = self._many_servers_driver()
        results = self._race([
            (lambda s=s: self.attach(self.ctx_a, s, net_id=NET_A,
                                     fixed_ip='10.0.0.50'))
            for s in servers])
        kinds = collections.Counter(
            'ok' if kind == 'ok' else type(value).__name__
            for kind, value in results)
        self.assertEqual({'ok': 1, 'FixedIpAlreadyInUse': THREADS - 1},
                         dict(kinds))
        attached = [a for s in servers for a in self.listing(s)]
        self.assertEqual(1, len(attached))
        self.assertEqual('10.0.0.50', attached[0].fixed_ips[0].ip_address)

    def test_concurrent_attach_network_unique_addresses(self):
        servers = self._many_servers_driver()
        per_thread = 24

        def work(server_id):
            atts = []
            for i in range(per_thread):
                atts.append(self.attach(self.ctx_a, server_id,
                                        net_id=NET_A))
                if i % 3 == 2:
                    # Detach churn frees addresses the others may take.
                    self.detach(self.ctx_a, server_id, atts[-2].port_id)
            return atts

        results = self._race([(lambda s=s: work(s)) for s in servers])
        errors = [v for kind, v in results if kind != 'ok']
        self.assertEqual([], errors)
        attached = [a for s in servers for a in self.listing(s)]
        self.assertEqual(THREADS * (per_thread - per_thread // 3),
                         len(attached))
        macs = [a.mac_addr for a in attached]
        self.assertEqual(len(macs), len(set(macs)))
        self.assertEqual(len(attached), len({a.port_id for a in attached}))
        ips = [ip.ip_address for a in attached for ip in a.fixed_ips]
        self.assertEqual(len(attached), len(ips))
        self.assertEqual(len(ips), len(set(ips)))
        self.assertNotIn('10.0.0.4', ips)
        self.assertNotIn('10.0.0.1', ips)
        subnet = ipaddress.ip_network('10.0.0.0/24')
        for ip in ips:
            self.assertIn(ipaddress.ip_address(ip), subnet)
