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
"""What the real-client tests share: a loopback server and constants.

openstacksdk, python-novaclient and tempest.lib's ``InterfacesClient`` talk
to a real threaded WSGI server (:mod:`tests.functional.server`) that serves
the ``main`` paste app of a fresh :class:`~tests.functional.fixtures.
APIEnvironment` per test: memory driver, dev ``noauth2`` auth, the known
inventory of that module. Callers authenticate with
``X-Auth-Token: demo:<project>`` and no Keystone, following the recipes of
``spec/clients.md``; tempest's own os-interface tests are replayed with its
client, its response schemas (checked inside the client on every call) and
its waiter.

Each flow runs at several microversions (2.1, 2.49, 2.70 and each client's
default or ``latest``) and through both endpoint forms, ``/v2.1`` and
``/v2.1/<project_id>``.
"""

import fixtures
import testtools

from tests.functional import fixtures as api_fixtures
from tests.functional import server as wsgi_server


#: Bound on a whole test; every client call has its own HTTP timeout too.
TEST_TIMEOUT = 60
HTTP_TIMEOUT = 10
WAIT_TIMEOUT = 5

# What the inventory of tests.functional.fixtures says about its ports.
PORT1_MAC = 'fa:16:3e:4c:2c:30'
PORT1_IP = '10.0.0.5'
PORT2_MAC = 'fa:16:3e:4c:2c:31'
PORT2_IP = '10.0.0.6'
NET2_FIRST_FREE_IP = '10.1.0.2'
SHARED_NET_FIRST_FREE_IP = '192.168.100.2'
REQUESTED_IP = '10.0.0.77'
TAG = 'nic-tag'
IFACE_KEYS = {'port_state', 'fixed_ips', 'port_id', 'net_id', 'mac_addr'}

MULTIPLE_NETWORKS = ('More than one possible network found. Specify network '
                     'ID(s) to select which one(s) to connect to.')


class ClientTestCase(testtools.TestCase):
    """A fresh environment and loopback server for every test.

    :ivar ids: the inventory ids (``self.ids['SERVER']`` ...).
    :ivar recorder: the :class:`~tests.functional.server.RequestRecorder`
        in front of the app, for assertions on what went over the wire.
    :ivar url: ``http://127.0.0.1:PORT`` of the server.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.useFixture(fixtures.FakeLogger())
        env = api_fixtures.APIEnvironment()
        env.setUp()
        self.addCleanup(env.cleanUp)
        self.ids = env.ids
        self.recorder = wsgi_server.RequestRecorder(env.application())
        self.url = self.useFixture(
            wsgi_server.ServerFixture(self.recorder)).url

    def endpoint(self, project_in_url=False, project='PROJECT'):
        """The compute endpoint, optionally with the project id in it."""
        if project_in_url:
            return '%s/v2.1/%s' % (self.url, self.ids[project])
        return self.url + '/v2.1'

    def token(self, project='PROJECT'):
        return 'demo:' + self.ids[project]

    def last(self, method, path_suffix=''):
        """The last recorded exchange of ``method`` ending in the suffix."""
        found = self.recorder.find(method, path_suffix)
        self.assertTrue(found, 'no %s ...%s recorded' % (method, path_suffix))
        return found[-1]

    def assertInitialInterface(self, port_id, net_id, mac_addr, fixed_ips,
                               port_state):
        """PORT1 as the inventory attaches it to SERVER."""
        self.assertEqual(self.ids['PORT1'], port_id)
        self.assertEqual(self.ids['NET'], net_id)
        self.assertEqual(PORT1_MAC, mac_addr)
        self.assertEqual([{'ip_address': PORT1_IP,
                           'subnet_id': self.ids['SUBNET']}], fixed_ips)
        self.assertEqual('ACTIVE', port_state)
