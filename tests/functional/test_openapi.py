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
"""The served OpenAPI description, and schemathesis against the app.

schemathesis reads ``/openapi.json`` from the assembled paste app (sql
driver on SQLite, dev ``noauth2``) and generates requests for every
operation from the description's schemas; every answer must be no 5xx, of
a documented status, with the documented content type and a body that
conforms to the documented schema. Examples per operation are bounded
(``NOVA_ATTACH_IFACES_OPENAPI_EXAMPLES``, default 25) and derandomized.
"""

import os

import hypothesis
from oslo_serialization import jsonutils
from oslotest import base
import schemathesis
from schemathesis import checks

from nova_attach_ifaces.api import openapi
from nova_attach_ifaces.api import router
from tests.functional import fixtures

EXAMPLES = int(os.environ.get('NOVA_ATTACH_IFACES_OPENAPI_EXAMPLES', 25))

CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance,
          checks.response_schema_conformance]


class TestOpenAPI(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment(driver='sql')
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.headers = {'X-Auth-Token': 'user:%s' % self.env.ids['PROJECT']}

    def test_served_without_a_token(self):
        response = fixtures.json_request(self.app, '/openapi.json')
        self.assertEqual(200, response.status_int)
        self.assertEqual(openapi.description(),
                         jsonutils.loads(response.body))

    def test_every_route_is_described(self):
        paths = openapi.description()['paths']
        for path, methods in router.ROUTES.items():
            for method in methods:
                self.assertIn(method.lower(), paths['/v2.1' + path])
        for collection in ('networks', 'subnets', 'ports'):
            self.assertIn('/networking/v2.0/%s/{id}' % collection, paths)
        self.assertIn('/', paths)

    def test_schemathesis(self):
        schema = schemathesis.openapi.from_wsgi('/openapi.json', self.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertEqual(
            sum(len(item) - ('parameters' in item)
                for item in openapi.description()['paths'].values()),
            len(operations))
        seen = []
        for operation in operations:
            @hypothesis.settings(
                max_examples=EXAMPLES, derandomize=True, deadline=None,
                database=None, suppress_health_check=list(
                    hypothesis.HealthCheck))
            @hypothesis.given(case=operation.as_strategy())
            def run(case):
                response = case.call(headers=self.headers)
                case.validate_response(response, checks=CHECKS)
                seen.append(response.status_code)
            with self.subTest(operation=operation.label):
                run()
        self.assertNotIn(500, seen)
        self.assertIn(200, seen)
