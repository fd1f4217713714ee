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
"""Conformance: reading servers and their interfaces."""

import datetime

from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception


class ReadTests(base.ConformanceBase):
    """get_server, list_servers, list_interfaces and get_interface."""

    # get_server

    def test_get_server(self):
        server = self.driver.get_server(self.ctx_a, data.SERVER_A1)
        self.assertIsInstance(server, driver.Server)
        self.assertEqual(
            driver.Server(id=data.SERVER_A1, project_id=data.PROJECT_A,
                          vm_state='active', task_state=None, locked=False,
                          name='vm-a1'), data._timeless(server))
        self.assertEqual(
            driver.Server(id=data.SERVER_A2, project_id=data.PROJECT_A,
                          vm_state='stopped', name='vm-a2'),
            data._timeless(self.driver.get_server(self.ctx_a, data.SERVER_A2)))
        if server.created_at is not None:
            self.assertIsInstance(server.created_at, datetime.datetime)
            self.assertIsNone(server.created_at.tzinfo)

    def _list_servers(self, *args):
        try:
            return self.driver.list_servers(*args)
        except NotImplementedError:
            self.skipTest('list_servers is optional; this driver has none')

    def test_list_servers_of_a_project(self):
        servers = self._list_servers(self.ctx_a, data.PROJECT_A)
        self.assertEqual([data.SERVER_A1, data.SERVER_A2],
                         sorted(server.id for server in servers))
        self.assertEqual(
            [self.driver.get_server(self.ctx_a, server.id)
             for server in servers], servers)

    def test_list_servers_of_every_project(self):
        servers = self._list_servers(self.admin, None)
        self.assertEqual(sorted(data.ALL_SERVERS),
                         sorted(server.id for server in servers))

    def test_list_servers_of_an_unknown_project(self):
        self.assertEqual([], self._list_servers(self.ctx_a, 'nobody'))

    def test_network_names(self):
        names = self.driver.network_names(self.ctx_a, [data.NET_A,
                                                       data.NET_UNKNOWN])
        # Optional: a driver may know no names at all.
        if names:
            self.assertEqual({data.NET_A: 'private-a'}, names)
        self.assertTrue(
            self.driver.get_server(self.ctx_c, data.SERVER_C1).locked)

    def test_get_server_of_another_project(self):
        # Hiding other projects' servers is the API layer's job.
        server = self.driver.get_server(self.ctx_b, data.SERVER_A1)
        self.assertEqual(data.PROJECT_A, server.project_id)

    def test_get_server_not_found(self):
        e = self.assertRaises(exception.ServerNotFound,
                              self.driver.get_server, self.ctx_a,
                              data.SERVER_UNKNOWN)
        self.assertIn(data.SERVER_UNKNOWN, e.format_message())

    def test_get_server_id_is_matched_exactly(self):
        self.assertRaises(exception.ServerNotFound, self.driver.get_server,
                          self.ctx_a, data.SERVER_A1.upper())
        self.assertRaises(exception.ServerNotFound, self.driver.get_server,
                          self.ctx_a, data.SERVER_A1.replace('-', ''))

    # list_interfaces

    def test_list_interfaces_inventory_order(self):
        self.assertEqual([data.ATT_A1, data.ATT_A2],
                         self.listing(data.SERVER_A1))
        self.assertEqual([data.ATT_B1], self.listing(data.SERVER_B1))
        self.assertEqual([], self.listing(data.SERVER_A2))
        self.assertEqual([], self.listing(data.SERVER_C1))

    def test_list_interfaces_is_stable(self):
        self.assertEqual(self.listing(data.SERVER_A1),
                         self.listing(data.SERVER_A1))

    def test_list_interfaces_as_owner(self):
        self.assertEqual([data.ATT_A1, data.ATT_A2],
                         self.listing(data.SERVER_A1, ctx=self.ctx_a))

    def test_list_interfaces_attach_order(self):
        new = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.attach(self.ctx_a, data.SERVER_A1, port_id=data.PORT_A_FREE)
        self.assertEqual([data.ATT_A1, data.ATT_A2, new, data.ATT_A_FREE],
                         self.listing(data.SERVER_A1))
        self.detach(self.ctx_a, data.SERVER_A1, data.PORT_A1)
        self.assertEqual([data.ATT_A2, new, data.ATT_A_FREE],
                         self.listing(data.SERVER_A1))
        # A re-attached port goes to the end, not back to its old place.
        self.attach(self.ctx_a, data.SERVER_A1, port_id=data.PORT_A1)
        self.assertEqual([data.ATT_A2, new, data.ATT_A_FREE, data.ATT_A1],
                         self.listing(data.SERVER_A1))

    def test_list_interfaces_returns_values_not_state(self):
        listed = self.driver.list_interfaces(self.ctx_a,
                                             self.server(data.SERVER_A1))
        if isinstance(listed, list):
            listed.clear()
        self.assertEqual([data.ATT_A1, data.ATT_A2],
                         self.listing(data.SERVER_A1))
        for att in self.listing(data.SERVER_A1):
            self.assertIsInstance(att, driver.Attachment)
            self.assertIsInstance(att.fixed_ips, tuple)

    # get_server_interfaces

    def test_get_server_interfaces(self):
        for server_id in (data.SERVER_A1, data.SERVER_A2, data.SERVER_B1):
            server, attachments = self.driver.get_server_interfaces(
                self.ctx_a, server_id)
            self.assertEqual(self.server(server_id), server)
            self.assertEqual(self.listing(server_id), list(attachments))

    def test_get_server_interfaces_after_changes(self):
        new = self.attach(self.ctx_a, data.SERVER_A1, net_id=data.NET_A)
        self.detach(self.ctx_a, data.SERVER_A1, data.PORT_A1)
        server, attachments = self.driver.get_server_interfaces(
            self.ctx_a, data.SERVER_A1)
        self.assertEqual(self.server(data.SERVER_A1), server)
        self.assertEqual([data.ATT_A2, new], list(attachments))

    def test_get_server_interfaces_not_found(self):
        e = self.assertRaises(exception.ServerNotFound,
                              self.driver.get_server_interfaces, self.ctx_a,
                              data.SERVER_UNKNOWN)
        self.assertIn(data.SERVER_UNKNOWN, e.format_message())
        self.assertRaises(exception.ServerNotFound,
                          self.driver.get_server_interfaces, self.ctx_a,
                          data.SERVER_A1.upper())

    def test_get_server_interface(self):
        self.assertEqual(
            (self.server(data.SERVER_A1), data.ATT_A1),
            self.driver.get_server_interface(self.ctx_a, data.SERVER_A1,
                                             data.PORT_A1))

    def test_get_server_interface_of_a_port_not_attached_there(self):
        # Attached elsewhere, free, unknown: the server and None.
        for port_id in (data.PORT_B1, data.PORT_A_FREE, data.PORT_UNKNOWN):
            self.assertEqual(
                (self.server(data.SERVER_A1), None),
                self.driver.get_server_interface(self.ctx_a, data.SERVER_A1,
                                                 port_id))
        self.assertEqual(
            (self.server(data.SERVER_A1), None),
            self.driver.get_server_interface(self.ctx_a, data.SERVER_A1,
                                             data.PORT_A1.upper()))

    def test_get_server_interface_server_not_found(self):
        self.assertRaises(exception.ServerNotFound,
                          self.driver.get_server_interface, self.ctx_a,
                          data.SERVER_UNKNOWN, data.PORT_A1)

    # get_interface

    def test_get_interface(self):
        self.assertEqual(data.ATT_A1, self.show(self.ctx_a, data.SERVER_A1,
                                                data.PORT_A1))
        self.assertEqual(data.ATT_A2, self.show(self.admin, data.SERVER_A1,
                                                data.PORT_A2))

    def test_get_interface_port_attached_elsewhere(self):
        e = self.assertRaises(exception.InterfaceNotAttached, self.show,
                              self.ctx_a, data.SERVER_A2, data.PORT_A1)
        self.assertIn(data.SERVER_A2, e.format_message())
        self.assertIn(data.PORT_A1, e.format_message())

    def test_get_interface_free_port(self):
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.ctx_a, data.SERVER_A1, data.PORT_A_FREE)

    def test_get_interface_port_of_another_project(self):
        e = self.assertRaises(exception.PortNotFound, self.show,
                              self.ctx_b, data.SERVER_B1, data.PORT_A_FREE)
        self.assertIn(data.PORT_A_FREE, e.format_message())
        self.assertRaises(exception.PortNotFound, self.show,
                          self.ctx_a, data.SERVER_A1, data.PORT_B1)
        # An admin sees every port.
        self.assertRaises(exception.InterfaceNotAttached, self.show,
                          self.admin, data.SERVER_B1, data.PORT_A_FREE)

    def test_get_interface_unknown_port(self):
        self.assertRaises(exception.PortNotFound, self.show,
                          self.admin, data.SERVER_A1, data.PORT_UNKNOWN)
