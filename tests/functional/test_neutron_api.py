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
"""os-interface on real Keystone, Neutron and QEMU, as a deployment runs.

The assembled app (:class:`~tests.functional.neutron_fixtures.
NeutronAPITestCase`): keystonemiddleware validates each caller's real
token with Keystone, the ``libvirt`` driver plugs NICs into embedded QEMU
domains and ports come from Neutron. Every outcome is checked where a user
would look: the port in Neutron, as its admin sees it, and the NICs of the
running domain (its live XML).
"""

import uuid

from nova_attach_ifaces import conf as nai_conf
from tests.functional import fixtures as api_fixtures
from tests.functional import neutron_fixtures

MULTIPLE_NETWORKS = ('More than one possible network found. Specify network '
                     'ID(s) to select which one(s) to connect to.')


class APITestCase(neutron_fixtures.NeutronAPITestCase):

    def setUp(self):
        super().setUp()
        self.server = self.define()

    def assertStatus(self, status, response):
        self.assertEqual(status, response.status_int, response.body)
        return response.json if response.body else None

    def assertBoundInNeutron(self, port_id, server=None):
        seen = self.neutron_port(port_id)
        self.assertEqual(
            (server or self.server, 'compute:nova', neutron_fixtures.HOST),
            (seen.device_id, seen.device_owner, seen.binding_host_id))
        return seen

    def assertFault(self, status, key, message, response):
        body = self.assertStatus(status, response)
        self.assertEqual({key: {'code': status, 'message': message}}, body)

    def listed(self, server=None):
        body = self.assertStatus(200, self.request(server or self.server))
        return [att['port_id'] for att in body['interfaceAttachments']]

    def ports_of(self, server):
        """The ids of the ports bound to ``server`` in Neutron."""
        return [port.id for port in self.sdk().network.ports(
            device_id=server)]


class TestAttachAndDetach(APITestCase):

    def test_by_network_nic_in_the_domain_and_port_bound_in_neutron(self):
        net = self.make_network()
        att = self.assertStatus(200, self.attach(
            self.server, net_id=net.id, tag='nic1'))['interfaceAttachment']
        seen = self.assertBoundInNeutron(att['port_id'])
        # The domain's own UUID is the port's device_id.
        self.assertEqual(self.qemu.dom(self.server).UUIDString(),
                         seen.device_id)
        self.assertEqual({att['port_id']: seen.mac_address},
                         self.nics(self.server))
        self.assertEqual(
            (net.id, seen.mac_address, seen.status, 'nic1',
             [{'ip_address': ip['ip_address'], 'subnet_id': ip['subnet_id']}
              for ip in seen.fixed_ips]),
            (att['net_id'], att['mac_addr'], att['port_state'], att['tag'],
             att['fixed_ips']))
        self.assertEqual('ACTIVE', att['port_state'])
        listed = self.assertStatus(200, self.request(self.server))
        self.assertEqual([(att['port_id'], 'nic1')],
                         [(a['port_id'], a['tag'])
                          for a in listed['interfaceAttachments']])
        # Detached at once; the port this attach made is deleted.
        self.assertStatus(202, self.request(
            self.server, '/' + att['port_id'], 'DELETE'))
        self.assertEqual({}, self.nics(self.server))
        self.assertIsNone(self.neutron_port(att['port_id']))
        self.assertEqual([], self.listed())

    def test_by_port_then_detach_unbinds_the_users_port(self):
        port = self.make_port(self.make_network())
        att = self.assertStatus(200, self.attach(
            self.server, port_id=port.id))['interfaceAttachment']
        self.assertEqual((port.id, port.mac_address),
                         (att['port_id'], att['mac_addr']))
        self.assertBoundInNeutron(port.id)
        self.assertEqual({port.id: port.mac_address}, self.nics(self.server))
        shown = self.assertStatus(200, self.request(self.server,
                                                    '/' + port.id))
        self.assertEqual('ACTIVE', shown['interfaceAttachment']['port_state'])
        self.assertStatus(202, self.request(self.server, '/' + port.id,
                                            'DELETE'))
        self.assertEqual({}, self.nics(self.server))
        seen = self.neutron_port(port.id)
        self.assertEqual(('', '', ''), (seen.device_id, seen.device_owner,
                                        seen.binding_host_id or ''))
        self.assertEqual(port.mac_address, seen.mac_address)
        self.assertEqual([], self.listed())

    def test_by_network_and_fixed_ip_then_the_ip_in_use(self):
        net = self.make_network()
        fixed = [{'ip_address': '10.0.0.50'}]
        att = self.assertStatus(200, self.attach(
            self.server, net_id=net.id, fixed_ips=fixed))[
                'interfaceAttachment']
        self.assertEqual(['10.0.0.50'],
                         [ip['ip_address'] for ip in att['fixed_ips']])
        other = self.define()
        self.assertFault(
            409, 'conflictingRequest',
            'Fixed IP address 10.0.0.50 is already in use on instance %s.'
            % other, self.attach(other, net_id=net.id, fixed_ips=fixed))
        self.assertEqual({}, self.nics(other))
        self.assertEqual([att['port_id']], [
            port.id for port in self.sdk().network.ports(network_id=net.id)
            if port.device_owner == 'compute:nova'])

    def test_without_a_network_the_only_one(self):
        net = self.make_network()
        att = self.assertStatus(200, self.attach(self.server))[
            'interfaceAttachment']
        self.assertEqual(net.id, att['net_id'])
        self.assertBoundInNeutron(att['port_id'])

    def test_without_a_network_none_or_several_is_400(self):
        lonely = self.define('empty')
        self.assertFault(
            400, 'badRequest',
            "No specific network was requested and none are available for "
            "project '%s'." % self.keystone.ids['empty'],
            self.attach(lonely, project='empty'))
        self.make_network()
        self.make_network(cidr='10.1.0.0/24')
        self.assertFault(400, 'badRequest', MULTIPLE_NETWORKS,
                         self.attach(self.server))
        for server in (lonely, self.server):
            self.assertEqual({}, self.nics(server))
            self.assertEqual([], self.ports_of(server))


class TestRefusals(APITestCase):

    def test_other_projects_port_is_404(self):
        port = self.make_port(self.make_network('alt'), 'alt')
        self.assertFault(404, 'itemNotFound',
                         'Port id %s could not be found.' % port.id,
                         self.attach(self.server, port_id=port.id))
        self.assertEqual('', self.neutron_port(port.id).device_id)
        self.assertEqual({}, self.nics(self.server))

    def test_unknown_or_other_projects_network_at_the_limit_is_404(self):
        nai_conf.CONF.set_override('max_interfaces_per_server', 1,
                                   group='compute')
        net = self.make_network()
        self.assertStatus(200, self.attach(self.server, net_id=net.id))
        # "Not found" wins over the limit, as on the other drivers.
        for net_id in (str(uuid.uuid4()), self.make_network('alt').id):
            self.assertFault(404, 'itemNotFound',
                             'Network %s could not be found.' % net_id,
                             self.attach(self.server, net_id=net_id))
        self.assertFault(403, 'forbidden', 'Maximum number of ports exceeded',
                         self.attach(self.server, net_id=net.id))
        self.assertEqual(1, len(self.nics(self.server)))
        self.assertEqual(1, len(self.ports_of(self.server)))

    def test_bound_port_is_409(self):
        port = self.make_port(self.make_network())
        self.assertStatus(200, self.attach(self.server, port_id=port.id))
        other = self.define()
        self.assertFault(409, 'conflictingRequest',
                         'Port %s is still in use.' % port.id,
                         self.attach(other, port_id=port.id))
        self.assertBoundInNeutron(port.id)
        self.assertEqual({}, self.nics(other))


class TestNeutronFaults(APITestCase):

    def _serve(self):
        if self.neutron.proc.poll() is not None:
            self.neutron.serve()

    def test_neutron_stopped_is_a_503_naming_it_then_recovery(self):
        port = self.make_port(self.make_network())
        self.neutron.stop()
        self.addCleanup(self._serve)
        message = ('The network service (Neutron) is unavailable. Please '
                   'retry the request later.')
        for response in (self.request(self.server),
                         self.attach(self.server, port_id=port.id)):
            self.assertFault(503, 'serviceUnavailable', message, response)
        self.assertEqual({}, self.nics(self.server))
        self.neutron.serve()
        self.assertStatus(200, self.attach(self.server, port_id=port.id))
        self.assertBoundInNeutron(port.id)
        self.assertEqual([port.id], self.listed())

    def test_killed_between_create_and_plug_leaves_no_orphan(self):
        # One hot-plug slot, taken: the second plug fails for real.
        server = self.define(root_ports=1)
        net = self.make_network()
        first = self.assertStatus(200, self.attach(server, net_id=net.id))[
            'interfaceAttachment']['port_id']
        made = []
        create = self.driver.backend.create_port

        def create_then_die(*args, **kwargs):
            port = create(*args, **kwargs)
            made.append(port.id)
            self.neutron.kill()
            return port

        self.patch(self.driver.backend, 'create_port', create_then_die)
        self.addCleanup(self._serve)
        response = self.attach(server, net_id=net.id)
        # The plug's error; the port's delete could not reach Neutron.
        self.assertStatus(409, response)
        self.assertIn('no free PCI slot', response.json[
            'conflictingRequest']['message'])
        self.assertEqual(1, len(made))
        self.neutron.serve()
        # The next request's first Neutron call deletes it.
        self.assertEqual([first], self.listed(server))
        self.assertIsNone(self.neutron_port(made[0]))
        self.assertEqual([first], self.ports_of(server))
        self.assertEqual([first], list(self.nics(server)))

    def test_lost_after_the_plug_answers_with_the_port_as_bound(self):
        port = self.make_port(self.make_network())
        plug = self.driver.hypervisor.plug

        def plug_then_die(*args, **kwargs):
            nic = plug(*args, **kwargs)
            self.neutron.kill()
            return nic

        self.patch(self.driver.hypervisor, 'plug', plug_then_die)
        self.addCleanup(self._serve)
        att = self.assertStatus(200, self.attach(
            self.server, port_id=port.id))['interfaceAttachment']
        self.assertEqual((port.id, port.mac_address),
                         (att['port_id'], att['mac_addr']))
        self.assertEqual({port.id: port.mac_address}, self.nics(self.server))
        self.neutron.serve()
        self.assertBoundInNeutron(port.id)
        self.assertEqual([port.id], self.listed())


class TestNeutronCalls(APITestCase):
    """The Neutron calls of each request, counted on the wire."""

    def counted(self, log, status, *args, **kwargs):
        before = log.calls()
        response = self.request(self.server, *args, **kwargs)
        self.assertStatus(status, response)
        return log.calls() - before, response.json if response.body else None

    def test_calls_per_request(self):
        net = self.make_network()
        port = self.make_port(net)
        self.listed()
        log = self.count_calls()
        calls = {}
        calls['list'], _ = self.counted(log, 200)
        calls['attach by port'], _ = self.counted(
            log, 200, '', 'POST', {'interfaceAttachment': {
                'port_id': port.id}})
        calls['show'], _ = self.counted(log, 200, '/' + port.id)
        calls['attach by network'], body = self.counted(
            log, 200, '', 'POST', {'interfaceAttachment': {
                'net_id': net.id}})
        created = body['interfaceAttachment']['port_id']
        calls['detach (user port)'], _ = self.counted(
            log, 202, '/' + port.id, 'DELETE')
        calls['detach (created port)'], _ = self.counted(
            log, 202, '/' + created, 'DELETE')
        calls['attach, no network'], _ = self.counted(
            log, 200, '', 'POST', {'interfaceAttachment': {}})
        self.assertEqual({
            'list': 1,
            'show': 1,
            # Show as the caller, bind, show after the plug.
            'attach by port': 3,
            # The caller's network check, create, show after the plug.
            'attach by network': 3,
            # Show, then unbind or delete.
            'detach (user port)': 2,
            'detach (created port)': 2,
            # Owned and shared network lists, create, show.
            'attach, no network': 4,
        }, calls)


class TestNetworkingView(APITestCase):

    def test_not_served_with_neutron(self):
        net = self.make_network()
        token = self.token('demo-member', 'demo')
        for path in ('/networking/', '/networking/v2.0/ports',
                     '/networking/v2.0/networks/%s' % net.id):
            response = api_fixtures.json_request(
                self.app, path, headers={'X-Auth-Token': token})
            self.assertEqual(404, response.status_int, path)
            fault = response.json['NeutronError']
            self.assertEqual('HTTPNotFound', fault['type'])
            self.assertIn('ask the Neutron of this deployment',
                          fault['message'])
