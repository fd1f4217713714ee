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
"""Security checks of the keystone pipeline that complete test_keystone.

:mod:`tests.functional.test_keystone` already proves: 401 without or with
a bad token (list, create), spoofed identity headers replaced by the
token's, the policy matrix (system scope refused) in both modes, 413
before authentication, no token in the access log. Here, for *every*
route (with and without a project id in the URL): no token, a bad token,
the dev ``noauth2`` token form with everything a client could send to
select that pipeline -> keystonemiddleware's 401, and the driver is never
called; system-scoped tokens, with spoofed project headers, refused on
every route; an oversized body -> 413 without reaching the driver (a
chunked one, authenticated, is cut at the limit while read, before the
controller runs); and no token in any log
line at DEBUG, on success, 401, 413 and 500 paths.
"""

import io
import logging

import fixtures
from oslo_serialization import jsonutils
from oslotest import base
import webob

from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf
from tests.functional import keystone_fixtures
from tests.reliability import common

TEST_TIMEOUT = 60
MAX_BODY = 1024
SECRET = 'secret-member-token-0123456789'


class _Base(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(name)s %(message)s'))
        self.env = keystone_fixtures.KeystoneEnvironment(config={
            ('oslo_middleware', 'max_request_body_size'): MAX_BODY})
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.ids = self.env.ids
        self.env.add_token(SECRET, 'member', 'PROJECT', ['member', 'reader'])
        self.driver = common.SwappableDriver(
            lambda: memory.MemoryDriver(conf.CONF))
        with common.inject_driver(self.driver):
            self.app = self.env.app()

    def routes(self):
        """(method, path, body) of every route, with and without project."""
        server, port = self.ids['SERVER'], self.ids['PORT1']
        body = jsonutils.dump_as_bytes(
            {'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        routes = []
        for prefix in ('/v2.1', '/v2.1/' + self.ids['PROJECT']):
            base_url = '%s/servers/%s/os-interface' % (prefix, server)
            routes += [('GET', base_url, None), ('POST', base_url, body),
                       ('GET', base_url + '/' + port, None),
                       ('DELETE', base_url + '/' + port, None)]
        return routes

    def request(self, method, path, body=None, headers=None):
        req = webob.Request.blank(path, method=method)
        if body is not None:
            req.body = body
            req.content_type = 'application/json'
        for name, value in (headers or {}).items():
            req.headers[name] = value
        return req.get_response(self.app)


class TestEveryRoute(_Base):

    def assertKeystone401(self, response, what):
        self.assertEqual(401, response.status_int, what)
        self.assertEqual(
            'Keystone uri="%s"' % keystone_fixtures.WWW_AUTHENTICATE_URI,
            response.headers['WWW-Authenticate'], what)
        self.assertEqual(401, jsonutils.loads(response.body)['error']['code'])

    def test_no_valid_token_is_401_on_every_route(self):
        noauth = 'admin:%s' % self.ids['PROJECT']
        attempts = [
            {},
            {'X-Auth-Token': ''},
            {'X-Auth-Token': 'no-such-token'},
            {'X-Auth-Token': SECRET + 'x'},
            # Everything a client could try to select the dev pipeline.
            {'X-Auth-Token': noauth, 'X-Roles': 'admin',
             'X-Auth-Strategy': 'noauth2', 'X-Auth-Type': 'noauth2',
             'X-Identity-Status': 'Confirmed', 'X-User-Id': 'admin',
             'X-Project-Id': self.ids['PROJECT']},
            {'X-Service-Token': SECRET, 'X-Roles': 'admin'},
        ]
        for method, path, body in self.routes():
            for headers in attempts:
                for query in ('', '?auth_strategy=noauth2'):
                    what = (method, path + query, headers)
                    self.assertKeystone401(
                        self.request(method, path + query, body, headers),
                        what)
        self.assertEqual(0, self.driver.calls)

    def test_system_scope_refused_on_every_route(self):
        for method, path, body in self.routes():
            if self.ids['PROJECT'] in path.split('/')[2]:
                continue  # a system token has no project to match
            response = self.request(method, path, body, {
                'X-Auth-Token': 'system-token',
                'X-Project-Id': self.ids['PROJECT'],
                'X-Roles': 'member,reader', 'OpenStack-System-Scope': ''})
            self.assertEqual(403, response.status_int, (method, path))
            self.assertIn(b'os_compute_api:os-attach-interfaces',
                          response.body)

    def test_oversized_body_never_reaches_the_driver(self):
        body = b'{"interfaceAttachment": {"tag": "%s"}}' % (b'x' * MAX_BODY)
        for token in (None, 'no-such-token', SECRET, 'admin-token'):
            headers = {'X-Auth-Token': token} if token else {}
            response = self.request('POST', self.routes()[1][1], body,
                                    headers)
            self.assertEqual(413, response.status_int)
            self.assertEqual([], common.fault_problems(413, response.body))
        self.assertEqual(0, self.driver.calls)

    def test_chunked_oversized_body_cut_while_read(self):
        # No Content-Length: oslo.middleware limits what is read, so the
        # body is refused once past the limit, never buffered whole.
        body = b'{"interfaceAttachment": {"tag": "%s"}}' % (
            b'x' * 10 * MAX_BODY)
        req = webob.Request.blank(self.routes()[1][1], method='POST')
        req.environ['wsgi.input'] = io.BytesIO(body)
        req.environ.pop('CONTENT_LENGTH', None)
        req.environ['wsgi.input_terminated'] = True
        req.headers['Transfer-Encoding'] = 'chunked'
        req.headers['X-Auth-Token'] = SECRET
        req.content_type = 'application/json'
        response = req.get_response(self.app)
        self.assertEqual(413, response.status_int)
        self.assertEqual([], common.fault_problems(413, response.body))
        # The body is read before the controller runs: no driver call.
        self.assertEqual(0, self.driver.calls)

    def test_no_token_in_any_log_line(self):
        # Success, refusals and an unexpected error, logged at DEBUG by
        # every logger (keystonemiddleware's included).
        for method, path, body in self.routes()[:4]:
            self.request(method, path, body, {'X-Auth-Token': SECRET})
        self.request('GET', self.routes()[0][1], None,
                     {'X-Auth-Token': SECRET + '-bad'})
        self.request('POST', self.routes()[1][1], b'x' * 2 * MAX_BODY,
                     {'X-Auth-Token': SECRET})

        class Boom(object):
            def __getattr__(self, name):
                raise RuntimeError('boom')

        self.driver.inner = Boom()
        response = self.request('GET', self.routes()[0][1], None,
                                {'X-Auth-Token': SECRET})
        self.assertEqual(500, response.status_int)
        self.assertIn('Traceback', self.logs.output)
        self.assertNotIn(SECRET, self.logs.output)
