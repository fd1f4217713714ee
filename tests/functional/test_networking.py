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
"""The read-only Neutron view of the sql store, through the paste app.

The inventory is the one of :mod:`tests.functional.fixtures` on the
``sql`` driver (SQLite); requests go through the shipped ``/networking``
mount with the dev ``noauth2`` pipeline.
"""

from oslo_serialization import jsonutils
from oslotest import base

from tests.functional import fixtures


class NetworkingTestBase(base.BaseTestCase):

    driver = 'sql'

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment(driver=self.driver)
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.ids = self.env.ids
        self.app = self.env.application()

    def get(self, path, user='user', project='PROJECT', status=200):
        headers = {}
        if user is not None:
            headers['X-Auth-Token'] = '%s:%s' % (user, self.ids[project])
        response = fixtures.json_request(self.app, '/networking' + path,
                                         headers=headers)
        self.assertEqual(status, response.status_int, response.body)
        self.assertEqual('application/json', response.content_type)
        return jsonutils.loads(response.body)


class TestNetworking(NetworkingTestBase):

    def test_version_document_needs_no_token(self):
        body = self.get('/', user=None)
        self.assertEqual(
            {'versions': [{'id': 'v2.0', 'status': 'CURRENT', 'links': [
                {'rel': 'self',
                 'href': 'http://localhost/networking/v2.0/'}]}]}, body)
        self.assertEqual(body, self.get('', user=None))

    def test_the_api_needs_a_token(self):
        response = fixtures.json_request(self.app, '/networking/v2.0/ports')
        self.assertEqual(401, response.status_int)

    def test_show_port(self):
        port = self.get('/v2.0/ports/%s' % self.ids['PORT1'])['port']
        self.assertEqual(self.ids['PORT1'], port['id'])
        self.assertEqual(self.ids['NET'], port['network_id'])
        self.assertEqual(self.ids['PROJECT'], port['project_id'])
        self.assertEqual(self.ids['PROJECT'], port['tenant_id'])
        self.assertEqual('fa:16:3e:4c:2c:30', port['mac_address'])
        self.assertEqual([{'subnet_id': self.ids['SUBNET'],
                           'ip_address': '10.0.0.5'}], port['fixed_ips'])
        self.assertEqual('ACTIVE', port['status'])
        self.assertEqual(self.ids['SERVER'], port['device_id'])
        self.assertEqual('compute:nova', port['device_owner'])
        self.assertEqual('', port['name'])

    def test_free_port(self):
        port = self.get('/v2.0/ports/%s' % self.ids['PORT2'])['port']
        self.assertEqual(('DOWN', '', ''), (
            port['status'], port['device_id'], port['device_owner']))

    def test_unknown_port_is_neutrons_404(self):
        body = self.get('/v2.0/ports/%s' % self.ids['UNKNOWN'], status=404)
        self.assertEqual({'NeutronError': {
            'type': 'PortNotFound',
            'message': 'Port %s could not be found.' % self.ids['UNKNOWN'],
            'detail': ''}}, body)

    def test_another_projects_port_is_not_found(self):
        body = self.get('/v2.0/ports/%s' % self.ids['OTHER_PORT'],
                        status=404)
        self.assertEqual('PortNotFound', body['NeutronError']['type'])
        self.assertNotIn(self.ids['OTHER_PORT'], [
            p['id'] for p in self.get('/v2.0/ports')['ports']])

    def test_admin_sees_every_port(self):
        ports = self.get('/v2.0/ports', user='admin')['ports']
        self.assertEqual(
            sorted([self.ids['PORT1'], self.ids['PORT2'],
                    self.ids['OTHER_PORT']]), sorted(p['id'] for p in ports))

    def test_ports_of_a_server_with_fields(self):
        body = self.get('/v2.0/ports?device_id=%s&fields=id&fields=status'
                        % self.ids['SERVER'])
        self.assertEqual({'ports': [{'id': self.ids['PORT1'],
                                     'status': 'ACTIVE'}]}, body)

    def test_repeated_filter_values_are_any_of(self):
        body = self.get('/v2.0/ports?id=%s&id=%s&fields=id' % (
            self.ids['PORT1'], self.ids['PORT2']))
        self.assertEqual(sorted([self.ids['PORT1'], self.ids['PORT2']]),
                         sorted(p['id'] for p in body['ports']))

    def test_unattached_ports(self):
        body = self.get('/v2.0/ports?device_id=&fields=id')
        self.assertEqual([{'id': self.ids['PORT2']}], body['ports'])

    def test_filters_by_network_and_project(self):
        query = '/v2.0/ports?network_id=%s&project_id=%s&fields=id' % (
            self.ids['NET'], self.ids['PROJECT'])
        self.assertEqual(2, len(self.get(query)['ports']))
        self.assertEqual([], self.get(
            '/v2.0/ports?network_id=%s' % self.ids['NET2'])['ports'])

    def test_name_filter(self):
        self.assertEqual([], self.get('/v2.0/ports?name=nothing')['ports'])
        networks = self.get('/v2.0/networks?name=shared')['networks']
        self.assertEqual([self.ids['SHARED_NET']],
                         [n['id'] for n in networks])

    def test_unknown_filter_is_a_400(self):
        body = self.get('/v2.0/ports?colour=red', status=400)
        self.assertEqual('HTTPBadRequest', body['NeutronError']['type'])
        self.assertIn('colour', body['NeutronError']['message'])

    def test_networks_visible_to_a_project(self):
        networks = self.get('/v2.0/networks')['networks']
        self.assertEqual(
            sorted([self.ids['NET'], self.ids['NET2'],
                    self.ids['SHARED_NET']]),
            sorted(n['id'] for n in networks))
        shared = self.get('/v2.0/networks?shared=true')['networks']
        self.assertEqual([self.ids['SHARED_NET']], [n['id'] for n in shared])

    def test_show_network(self):
        net = self.get('/v2.0/networks/%s' % self.ids['NET'])['network']
        self.assertEqual(('net', False, [self.ids['SUBNET']], 'ACTIVE'), (
            net['name'], net['shared'], net['subnets'], net['status']))
        body = self.get('/v2.0/networks/%s' % self.ids['OTHER_NET'],
                        status=404)
        self.assertEqual(
            {'type': 'NetworkNotFound', 'detail': '',
             'message': 'Network %s could not be found.'
                        % self.ids['OTHER_NET']}, body['NeutronError'])

    def test_shared_network_is_visible_to_every_project(self):
        net = self.get('/v2.0/networks/%s' % self.ids['SHARED_NET'],
                       project='LONELY_PROJECT')['network']
        self.assertTrue(net['shared'])

    def test_subnets(self):
        subnet = self.get('/v2.0/subnets/%s' % self.ids['SUBNET'])['subnet']
        self.assertEqual(
            ('10.0.0.0/24', '10.0.0.1', 4, self.ids['NET'],
             [{'start': '10.0.0.2', 'end': '10.0.0.254'}]),
            (subnet['cidr'], subnet['gateway_ip'], subnet['ip_version'],
             subnet['network_id'], subnet['allocation_pools']))
        subnets = self.get('/v2.0/subnets?network_id=%s' % self.ids['NET'])
        self.assertEqual([self.ids['SUBNET']],
                         [s['id'] for s in subnets['subnets']])
        self.get('/v2.0/subnets/%s' % self.ids['OTHER_SUBNET'], status=404)

    def test_read_only(self):
        response = fixtures.json_request(
            self.app, '/networking/v2.0/ports', method='POST',
            body={'port': {}},
            headers={'X-Auth-Token': 'user:%s' % self.ids['PROJECT']})
        self.assertEqual(405, response.status_int)
        self.assertIn('NeutronError', jsonutils.loads(response.body))

    def test_attach_shows_in_the_view(self):
        headers = {'X-Auth-Token': 'user:%s' % self.ids['PROJECT']}
        response = fixtures.json_request(
            self.app, '/v2.1/servers/%s/os-interface'
            % self.ids['STOPPED_SERVER'], method='POST',
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}},
            headers=headers)
        self.assertEqual(200, response.status_int, response.body)
        port = self.get('/v2.0/ports/%s' % self.ids['PORT2'])['port']
        self.assertEqual((self.ids['STOPPED_SERVER'], 'ACTIVE'),
                         (port['device_id'], port['status']))


class TestNotServedWithoutTheSQLStore(NetworkingTestBase):

    driver = 'memory'

    def test_404(self):
        body = self.get('/v2.0/ports', status=404)
        self.assertEqual('HTTPNotFound', body['NeutronError']['type'])

    def test_no_version_document_either(self):
        # A client pointed here must not discover a Neutron API.
        for path in ('', '/'):
            body = self.get(path, user=None, status=404)
            self.assertIn('ask the Neutron of this deployment',
                          body['NeutronError']['message'])
