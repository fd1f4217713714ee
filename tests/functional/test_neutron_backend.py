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
"""The ``neutron`` network backend against the real Keystone and Neutron.

Every call carries a real token of a seeded user; every outcome is checked
in Neutron itself, as its admin sees it.
"""

import hashlib
import logging
import time
import uuid

import fixtures
import stevedore

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.network import backend
from nova_attach_ifaces.network import neutron
from tests.functional import neutron_fixtures
from tests.services import keystone as ks_service


class BackendTestCase(neutron_fixtures.NeutronTestCase):

    def setUp(self):
        super().setUp()
        self.backend = self.make_backend()
        self.demo = self.context('demo')
        self.server = str(uuid.uuid4())

    def make_backend(self, **options):
        """A backend on the test Keystone, ``[neutron]`` ``options``
        changed; closed at cleanup.
        """
        made = neutron.NeutronBackend(
            neutron_fixtures.neutron_conf(self.keystone, **options))
        self.addCleanup(made.close)
        return made


class TestLoading(BackendTestCase):

    def test_entry_point(self):
        manager = stevedore.DriverManager(
            'nova_attach_ifaces.network_backends', 'neutron')
        self.assertIs(neutron.NeutronBackend, manager.driver)


class TestAttachByPort(BackendTestCase):

    def test_bind_sets_nova_fields_and_plugs_by_vif_type(self):
        net = self.make_network()
        port = self.make_port(net)
        log = self.count_calls()
        bound = self.backend.bind_port(self.demo, port.id, self.server,
                                       'compute-1')
        self.assertEqual(2, log.calls())
        self.assertEqual(backend.VIF_BRIDGE, bound.vif_type)
        self.assertEqual(self.neutron.bridge, bound.vif_details['bridge_name'])
        self.assertEqual(port.mac_address, bound.mac_address)
        seen = self.neutron_port(port.id)
        self.assertEqual(self.server, seen.device_id)
        self.assertEqual('compute:nova', seen.device_owner)
        self.assertEqual('compute-1', seen.binding_host_id)
        self.assertEqual('ACTIVE', seen.status)

    def test_caller_token_shows_service_token_binds(self):
        port = self.make_port(self.make_network())
        log = self.count_calls()
        self.backend.bind_port(self.demo, port.id, self.server, 'compute-1')
        show, update = log.requests()
        caller = '{SHA256}' + hashlib.sha256(
            self.demo.auth_token.encode()).hexdigest()
        self.assertIn('GET ', show)
        self.assertIn(caller, show)
        self.assertIn('PUT ', update)
        self.assertIn('X-Auth-Token: {SHA256}', update)
        self.assertNotIn(caller, update)

    def test_other_projects_port_is_not_found(self):
        net = self.make_network('alt')
        port = self.make_port(net, 'alt')
        self.assertRaises(exception.PortNotFound, self.backend.bind_port,
                          self.demo, port.id, self.server, 'compute-1')
        self.assertEqual('', self.neutron_port(port.id).device_id)

    def test_other_projects_port_without_token_is_not_found(self):
        port = self.make_port(self.make_network('alt'), 'alt')
        self.assertRaises(exception.PortNotFound, self.backend.show_port,
                          self.context('demo', token=False), port.id)

    def test_bound_port_is_in_use(self):
        port = self.make_port(self.make_network())
        self.backend.bind_port(self.demo, port.id, self.server, 'compute-1')
        for server in (self.server, str(uuid.uuid4())):
            self.assertRaises(exception.PortInUse, self.backend.bind_port,
                              self.demo, port.id, server, 'compute-1')
        self.assertEqual(self.server, self.neutron_port(port.id).device_id)

    def test_missing_port(self):
        self.assertRaises(exception.PortNotFound, self.backend.show_port,
                          self.demo, str(uuid.uuid4()))


class TestAttachByNetwork(BackendTestCase):

    def test_create_bound(self):
        net = self.make_network()
        log = self.count_calls()
        port = self.backend.create_port(
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1',
            net_id=net.id)
        # The caller's check of the network, then the create.
        self.assertEqual(2, log.calls())
        self.assertEqual(backend.VIF_BRIDGE, port.vif_type)
        seen = self.neutron_port(port.id)
        self.assertEqual((self.server, 'compute:nova', 'compute-1'),
                         (seen.device_id, seen.device_owner,
                          seen.binding_host_id))
        self.assertEqual(self.keystone.ids['demo'], seen.project_id)
        self.assertEqual(seen.mac_address, port.mac_address)
        self.assertEqual([ip['ip_address'] for ip in seen.fixed_ips],
                         [ip.ip_address for ip in port.fixed_ips])

    def test_fixed_ip(self):
        net = self.make_network()
        project = self.keystone.ids['demo']
        port = self.backend.create_port(self.demo, self.server, project,
                                        'compute-1', net.id, '10.0.0.50')
        self.assertEqual(['10.0.0.50'],
                         [ip.ip_address for ip in port.fixed_ips])
        e = self.assertRaises(
            exception.FixedIpAlreadyInUse, self.backend.create_port,
            self.demo, self.server, project, 'compute-1', net.id,
            '10.0.0.50')
        self.assertEqual(409, e.code)
        self.assertIn('10.0.0.50', e.format_message())
        e = self.assertRaises(
            exception.FixedIpInvalidForNetwork, self.backend.create_port,
            self.demo, self.server, project, 'compute-1', net.id,
            '192.168.7.7')
        self.assertEqual(400, e.code)
        self.assertEqual(1, len(list(self.sdk().network.ports(
            network_id=net.id, device_owner='compute:nova'))))

    def test_exhausted_network(self):
        # A /30: two host addresses, one of them the gateway.
        net = self.make_network(cidr='10.9.9.0/30')
        project = self.keystone.ids['demo']
        self.backend.create_port(self.demo, self.server, project,
                                 'compute-1', net.id)
        e = self.assertRaises(
            exception.NoMoreFixedIps, self.backend.create_port, self.demo,
            self.server, project, 'compute-1', net.id)
        self.assertEqual(
            'No fixed IP addresses available for network: %s' % net.id,
            e.format_message())

    def test_other_projects_network_is_not_found(self):
        net = self.make_network('alt')
        self.assertRaises(
            exception.NetworkNotFound, self.backend.create_port, self.demo,
            self.server, self.keystone.ids['demo'], 'compute-1', net.id)
        self.assertEqual([], list(self.sdk().network.ports(
            network_id=net.id)))


class TestAttachWithoutChoice(BackendTestCase):

    def create(self):
        return self.backend.create_port(
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1')

    def test_one_network(self):
        net = self.make_network()
        self.assertEqual(net.id, self.create().network_id)

    def test_shared_network_counts(self):
        net = self.make_network('alt', shared=True)
        self.assertEqual(net.id, self.create().network_id)

    def test_none(self):
        self.make_network('alt')
        e = self.assertRaises(exception.InterfaceAttachFailedNoNetwork,
                              self.create)
        self.assertEqual(400, e.code)

    def test_several(self):
        self.make_network()
        self.make_network(cidr='10.1.0.0/24')
        e = self.assertRaises(exception.NetworkAmbiguous, self.create)
        self.assertEqual(400, e.code)


class TestDetachAndRead(BackendTestCase):

    def test_unbind_clears_the_binding(self):
        port = self.make_port(self.make_network())
        self.backend.bind_port(self.demo, port.id, self.server, 'compute-1')
        self.backend.unbind_port(self.demo, port.id)
        seen = self.neutron_port(port.id)
        self.assertEqual(('', '', None),
                         (seen.device_id, seen.device_owner,
                          seen.binding_host_id or None))
        # Safe to repeat, and the port is usable again.
        self.backend.unbind_port(self.demo, port.id)
        self.backend.bind_port(self.demo, port.id, self.server, 'compute-2')

    def test_delete(self):
        port = self.backend.create_port(
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1',
            self.make_network().id)
        self.backend.delete_port(self.demo, port.id)
        self.assertIsNone(self.neutron_port(port.id))
        self.backend.delete_port(self.demo, port.id)
        self.backend.unbind_port(self.demo, port.id)

    def test_list_and_show_one_call_each(self):
        net = self.make_network()
        project = self.keystone.ids['demo']
        created = self.backend.create_port(self.demo, self.server, project,
                                           'compute-1', net.id)
        user_port = self.make_port(net)
        self.backend.bind_port(self.demo, user_port.id, self.server,
                               'compute-1')
        self.backend.create_port(self.demo, str(uuid.uuid4()), project,
                                 'compute-1', net.id)
        log = self.count_calls()
        listed = self.backend.list_ports(self.demo, self.server)
        self.assertEqual(1, log.calls())
        self.assertEqual({created.id, user_port.id},
                         {port.id for port in listed})
        shown = self.backend.show_port(self.demo, created.id)
        self.assertEqual(2, log.calls())
        self.assertEqual('ACTIVE', shown.status)
        self.assertEqual(created.mac_address, shown.mac_address)


class TestFaults(BackendTestCase):

    def test_neutron_stopped_then_back(self):
        net = self.make_network()
        self.neutron.stop()
        self.addCleanup(self._serve)
        e = self.assertRaises(
            exception.NetworkServiceUnavailable, self.backend.create_port,
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1',
            net.id)
        self.assertEqual(503, e.code)
        self.assertIn('Neutron', e.format_message())
        self.neutron.serve()
        port = self.backend.create_port(
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1',
            net.id)
        self.assertEqual(self.server, self.neutron_port(port.id).device_id)

    def _serve(self):
        if self.neutron.proc.poll() is not None:
            self.neutron.serve()

    def test_killed_between_create_and_plug_leaves_no_orphan(self):
        net = self.make_network()
        port = self.backend.create_port(
            self.demo, self.server, self.keystone.ids['demo'], 'compute-1',
            net.id)
        # The hypervisor step fails and Neutron dies: the undo cannot
        # reach it.
        self.neutron.kill()
        self.addCleanup(self._serve)
        self.assertRaises(exception.NetworkServiceUnavailable,
                          self.backend.delete_port, self.demo, port.id)
        self.neutron.serve()
        self.assertEqual([], self.backend.list_ports(self.demo, self.server))
        self.assertIsNone(self.neutron_port(port.id))

    def test_neutron_frozen_times_out_then_recovers(self):
        frozen = self.make_backend(timeout=2)
        port = self.make_port(self.make_network())
        self.neutron.pause()
        self.addCleanup(self.neutron.resume)
        e = self.assertRaises(exception.NetworkServiceUnavailable,
                              frozen.show_port, self.demo, port.id)
        self.assertEqual(503, e.code)
        self.neutron.resume()
        self.assertEqual(port.mac_address,
                         frozen.show_port(self.demo, port.id).mac_address)

    def test_neutron_5xx_is_503(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.network.neutron', level=logging.WARNING))
        port = self.make_port(self.make_network())
        # Neutron's own failure: its ports table gone from under it.
        self.neutron.sql('RENAME TABLE {db}.ports TO {db}.ports_away')
        self.addCleanup(self._restore_ports)
        e = self.assertRaises(exception.NetworkServiceUnavailable,
                              self.backend.show_port, self.demo, port.id)
        self.assertEqual(503, e.code)
        self.assertIn('Neutron answered 500', log.output)
        self._restore_ports()
        self.assertEqual(port.mac_address,
                         self.backend.show_port(self.demo,
                                                port.id).mac_address)

    def _restore_ports(self):
        if not getattr(self, '_restored', False):
            self._restored = True
            self.neutron.sql('RENAME TABLE {db}.ports_away TO {db}.ports')

    def test_endpoint_override_replaces_the_catalog(self):
        dead = 'http://127.0.0.1:%d/' % ks_service.free_port()
        elsewhere = self.make_backend(endpoint_override=dead)
        self.assertRaises(exception.NetworkServiceUnavailable,
                          elsewhere.list_ports, self.demo, self.server)

    def test_no_neutron_in_the_region(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.network.neutron', level=logging.ERROR))
        lost = self.make_backend(region_name='Nowhere')
        e = self.assertRaises(exception.NetworkServiceError,
                              lost.list_ports, self.demo, self.server)
        self.assertEqual(500, e.code)
        self.assertIn('Cannot use Neutron with the [neutron] options',
                      log.output)
        self.assertIn('region_name', log.output)

    def test_create_whose_answer_is_lost_leaves_no_orphan(self):
        frozen = self.make_backend(timeout=2)
        net = self.make_network()
        # An admin's attach: the POST is the first call, the one frozen.
        admin = self.admin_context()
        self.neutron.pause()
        self.addCleanup(self.neutron.resume)
        self.assertRaises(
            exception.NetworkServiceUnavailable, frozen.create_port, admin,
            self.server, self.keystone.ids['demo'], 'compute-1', net.id)
        self.neutron.resume()
        # Neutron makes the port once it runs again, after the attach
        # gave up on it.
        made = self._wait_for_port(self.server)
        self.assertEqual([], frozen.list_ports(self.demo, self.server))
        self.assertIsNone(self.neutron_port(made.id))

    def _wait_for_port(self, device_id, limit=60):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for port in self.sdk().network.ports(device_id=device_id):
                return port
            time.sleep(0.5)
        self.fail('Neutron never made the port of the frozen create')

    def test_refused_service_credentials(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.network.neutron', level=logging.ERROR))
        broken = self.make_backend(password='wrong')
        e = self.assertRaises(exception.NetworkServiceError,
                              broken.list_ports, self.demo, self.server)
        self.assertEqual(500, e.code)
        self.assertIn(self.demo.request_id, e.format_message())
        self.assertNotIn('wrong', e.format_message())
        self.assertIn('refused the service credentials of [neutron]',
                      log.output)

    def test_service_user_without_admin_role(self):
        log = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.network.neutron', level=logging.ERROR))
        member = self.make_backend(user='demo-member', project='demo')
        port = self.make_port(self.make_network())
        e = self.assertRaises(exception.NetworkServiceError,
                              member.bind_port, self.demo, port.id,
                              self.server, 'compute-1')
        self.assertEqual(500, e.code)
        self.assertIn('with HTTP 403', log.output)
        self.assertEqual('', self.neutron_port(port.id).device_id)
