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
"""The API reference's samples are what the service sends and accepts.

Each request sample of ``api-ref/source/samples`` is sent, with the ids of
the test inventory, to the assembled pipeline at its microversion; each
response sample must have the shape of the real answer: the same keys in
the same order, and values of the same JSON types.
"""

import json
import os

import testtools

from tests.functional import fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'api-ref', 'source', 'samples')

# The ids and address the samples use.
SAMPLE_NET = '3cb9bc59-5699-4588-a4b1-b87f96708bc6'
SAMPLE_PORT = 'ce531f90-199f-48c0-816c-13e38010b442'
SAMPLE_IP = '192.168.1.3'


def sample(path):
    with open(os.path.join(SAMPLES, path)) as f:
        return json.load(f)


def shape(value):
    """Keys in order and JSON types, not values."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return 'null' if value is None else type(value).__name__


class TestAPIRefSamples(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment()
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.ids = self.env.ids

    def request(self, path, version='2.1', **kwargs):
        headers = {'x-auth-token': 'user:%s' % self.ids['PROJECT'],
                   'openstack-api-version': 'compute %s' % version}
        return fixtures.json_request(self.app, path, headers=headers,
                                     **kwargs)

    def interfaces_url(self):
        return '/v2.1/servers/%s/os-interface' % self.ids['SERVER']

    def real_request(self, name):
        """A request sample with the inventory's ids and a free address."""
        text = json.dumps(sample(name))
        text = text.replace(SAMPLE_NET, self.ids['NET'])
        text = text.replace(SAMPLE_PORT, self.ids['PORT2'])
        text = text.replace(SAMPLE_IP, '10.0.0.20')
        return json.loads(text)

    def assertShape(self, sample_name, response, status=200):
        self.assertEqual(status, response.status_code, response.text)
        self.assertEqual(shape(sample(sample_name)), shape(response.json))

    def test_versions(self):
        self.assertShape('versions/versions-get-resp.json',
                         self.request('/'))
        self.assertShape('versions/v21-version-get-resp.json',
                         self.request('/v2.1/'))

    def test_list_and_show(self):
        port = '%s/%s' % (self.interfaces_url(), self.ids['PORT1'])
        for version, prefix in (('2.1', ''), ('2.70', 'v2.70/')):
            self.assertShape(
                'os-interface/' + prefix + 'attach-interfaces-list-resp.json',
                self.request(self.interfaces_url(), version))
            self.assertShape(
                'os-interface/' + prefix + 'attach-interfaces-show-resp.json',
                self.request(port, version))

    def test_attach_samples(self):
        for req, version, resp in (
                ('attach-interfaces-create-req.json', '2.1',
                 'attach-interfaces-create-resp.json'),
                ('attach-interfaces-create-net_id-req.json', '2.1',
                 'attach-interfaces-create-resp.json'),
                ('v2.49/attach-interfaces-create-req.json', '2.70',
                 'v2.70/attach-interfaces-create-resp.json')):
            response = self.request(
                self.interfaces_url(), version, method='POST',
                body=self.real_request('os-interface/' + req))
            self.assertShape('os-interface/' + resp, response)
            # Detach it again: each sample starts from the same server.
            detach = self.request('%s/%s' % (
                self.interfaces_url(),
                response.json['interfaceAttachment']['port_id']),
                method='DELETE')
            self.assertEqual(202, detach.status_code)


class TestAPIRefReadSamples(testtools.TestCase):
    """The servers and Neutron view samples (the sql store)."""

    request = TestAPIRefSamples.request
    assertShape = TestAPIRefSamples.assertShape

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment(driver='sql')
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.ids = self.env.ids

    def test_servers(self):
        server = '/v2.1/servers/%s' % self.ids['SERVER']
        self.assertShape('servers/server-show-resp.json',
                         self.request(server))
        self.assertShape('servers/v2.70/server-show-resp.json',
                         self.request(server, '2.70'))
        self.assertShape('servers/servers-list-resp.json',
                         self.request('/v2.1/servers?name=^server$'))
        self.assertShape('servers/servers-detail-resp.json',
                         self.request('/v2.1/servers/detail?name=^server$'))

    def test_networking(self):
        ids = self.ids
        for name, path in (
                ('versions-resp.json', '/networking/'),
                ('port-show-resp.json', '/v2.0/ports/%s' % ids['PORT1']),
                ('ports-list-resp.json',
                 '/v2.0/ports?device_id=%s' % ids['SERVER']),
                ('network-show-resp.json', '/v2.0/networks/%s' % ids['NET']),
                ('networks-list-resp.json', '/v2.0/networks?name=net'),
                ('subnet-show-resp.json',
                 '/v2.0/subnets/%s' % ids['SUBNET']),
                ('subnets-list-resp.json',
                 '/v2.0/subnets?network_id=%s' % ids['NET'])):
            if not path.startswith('/networking'):
                path = '/networking' + path
            self.assertShape('networking/' + name, self.request(path))
