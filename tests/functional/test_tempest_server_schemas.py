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
"""The servers reads checked against tempest's servers schemas.

tempest has one ``servers`` schema module per microversion that changed a
server's body. Each is checked at its own version and at the version just
before the next module (both ends of the window it covers), for show,
list and list with details, as the owner and as an admin.
"""

import importlib
import pkgutil

from oslo_serialization import jsonutils
from oslotest import base
import tempest.lib.api_schema.response.compute as compute_schemas
from tempest.lib.common import rest_client

from nova_attach_ifaces.api import microversion
from tests.functional import fixtures


def _schema_modules():
    """[(version tuple, servers module)] in version order."""
    found = []
    for info in pkgutil.iter_modules(compute_schemas.__path__):
        if not info.name.startswith('v2_'):
            continue
        try:
            module = importlib.import_module(
                '%s.%s.servers' % (compute_schemas.__name__, info.name))
        except ImportError:
            continue
        found.append(((2, int(info.name[3:])), module))
    return sorted(found, key=lambda item: item[0])


MODULES = _schema_modules()


def _windows():
    """(version string, module) for both ends of each module's window."""
    for index, (version, module) in enumerate(MODULES):
        if index + 1 < len(MODULES):
            last = (2, MODULES[index + 1][0][1] - 1)
        else:
            last = tuple(microversion.MAX_VERSION)
        for end in sorted({version, last}):
            yield '%d.%d' % end, module


class Response(dict):
    def __init__(self, webob_response):
        super().__init__((name.lower(), value)
                         for name, value in webob_response.headerlist)
        self.status = webob_response.status_int


class TestServerSchemas(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment()
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()

    def _check(self, path, schema, version, user):
        response = fixtures.json_request(
            self.app, path, headers={
                'X-Auth-Token': '%s:%s' % (user, self.env.ids['PROJECT']),
                'OpenStack-API-Version': 'compute %s' % version})
        self.assertEqual(200, response.status_int, response.body)
        body = jsonutils.loads(response.body)
        rest_client.RestClient.validate_response(
            schema, Response(response), body)
        return body

    def test_every_version_window(self):
        self.assertGreater(len(MODULES), 20)
        server = self.env.ids['SERVER']
        checked = 0
        for version, module in _windows():
            for user in ('user', 'admin'):
                with self.subTest(version=version, user=user):
                    body = self._check('/v2.1/servers/%s' % server,
                                       module.get_server, version, user)
                    self.assertEqual(server, body['server']['id'])
                    self._check('/v2.1/servers/detail',
                                module.list_servers_detail, version, user)
                    self._check('/v2.1/servers', module.list_servers,
                                version, user)
                    checked += 1
        self.assertGreater(checked, 40)

    def test_attached_ports_are_addresses(self):
        body = self._check('/v2.1/servers/%s' % self.env.ids['SERVER'],
                           MODULES[0][1].get_server, '2.1', 'user')
        self.assertEqual(
            {'net': [{'version': 4, 'addr': '10.0.0.5',
                      'OS-EXT-IPS:type': 'fixed',
                      'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:4c:2c:30'}]},
            body['server']['addresses'])
