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
"""The keystone pipeline with real keystonemiddleware and test tokens.

Proves what an operator relies on: no token, no access (keystonemiddleware's
401); identity and roles come from the token only, whatever headers a
client adds; the whole policy matrix holds in keystone mode, with the new
defaults and in legacy mode; discovery and the health check need no token;
an oversized body is refused before any token is looked at; one access-log
line per request, and never a token in any log line.
"""

import logging
import socket

import fixtures
from keystoneauth1 import loading as ksa_loading
from oslo_serialization import jsonutils
from oslotest import base
import webob

from nova_attach_ifaces.api import middleware
from nova_attach_ifaces import conf
from tests.functional import fixtures as api_fixtures
from tests.functional import keystone_fixtures

LIST = 'list'
SHOW = 'show'
CREATE = 'create'
DELETE = 'delete'

# Seconds any one test here may take (they run in-process, in well under
# one; this only stops a hang).
TEST_TIMEOUT = 60


class KeystoneTestCase(base.BaseTestCase):
    """Loads a :class:`KeystoneEnvironment` with ``environment_args``."""

    environment_args = {}

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.env = keystone_fixtures.KeystoneEnvironment(
            **self.environment_args)
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.ids = self.env.ids

    def request(self, path, token=None, method='GET', body=None,
                headers=None):
        if token is not None:
            # Sent first: a header the test gives wins, as a client's would.
            headers = dict({'X-Auth-Token': token}, **(headers or {}))
        return api_fixtures.json_request(self.app, path, method, body,
                                         headers)

    def interfaces_url(self, server='SERVER', port=None):
        url = '/v2.1/servers/%s/os-interface' % self.ids[server]
        if port:
            url += '/' + self.ids[port]
        return url


class TestAuthentication(KeystoneTestCase):

    def assertKeystone401(self, response):
        self.assertEqual(401, response.status_int)
        self.assertEqual(
            'Keystone uri="%s"' % keystone_fixtures.WWW_AUTHENTICATE_URI,
            response.headers['WWW-Authenticate'])
        error = jsonutils.loads(response.body)['error']
        self.assertEqual(401, error['code'])
        self.assertEqual('Unauthorized', error['title'])

    def test_missing_token(self):
        self.assertKeystone401(self.request(self.interfaces_url()))

    def test_missing_token_project_url(self):
        url = '/v2.1/%s/servers/%s/os-interface' % (
            self.ids['PROJECT'], self.ids['SERVER'])
        self.assertKeystone401(self.request(url))

    def test_bad_token(self):
        self.assertKeystone401(
            self.request(self.interfaces_url(), token='no-such-token'))

    def test_bad_token_on_create(self):
        response = self.request(
            self.interfaces_url(), token='no-such-token', method='POST',
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertKeystone401(response)

    def test_noauth2_token_is_not_accepted(self):
        # The dev pipeline's "user:project" tokens mean nothing here, and
        # no header can switch pipelines.
        for token in ('admin:%s' % self.ids['PROJECT'], 'admin'):
            response = self.request(
                self.interfaces_url(), token=token,
                headers={'X-Roles': 'admin', 'X-Auth-Strategy': 'noauth2'})
            self.assertKeystone401(response)

    def test_identity_headers_without_token(self):
        response = self.request(self.interfaces_url(), headers={
            'X-Identity-Status': 'Confirmed', 'X-User-Id': 'admin',
            'X-Project-Id': self.ids['PROJECT'], 'X-Roles': 'admin'})
        self.assertKeystone401(response)

    def test_valid_token(self):
        response = self.request(self.interfaces_url(), token='reader-token')
        self.assertEqual(200, response.status_int)
        attachments = jsonutils.loads(response.body)['interfaceAttachments']
        self.assertEqual([self.ids['PORT1']],
                         [a['port_id'] for a in attachments])

    def test_project_url_must_match_token_project(self):
        url = '/v2.1/%s/servers/%s/os-interface' % (
            self.ids['PROJECT'], self.ids['SERVER'])
        self.assertEqual(
            200, self.request(url, token='member-token').status_int)
        response = self.request(url, token='other-admin-token')
        self.assertEqual(400, response.status_int)

    def test_discovery_without_token(self):
        for path in ('/', '/v2.1', '/v2.1/'):
            response = self.request(path)
            self.assertEqual(200, response.status_int, path)
            self.assertIn(b'"v2.1"', response.body)

    def test_healthcheck_without_token(self):
        response = self.request('/healthcheck')
        self.assertEqual(200, response.status_int)
        self.assertEqual(b'OK', response.body)


class TestSpoofing(KeystoneTestCase):
    """Identity headers a client sends are replaced by the token's."""

    environment_args = {'policy_rules': {
        # Lets the test see whose user id the policy check received.
        'os_compute_api:os-attach-interfaces:show': 'user_id:boss',
    }}

    def test_roles_cannot_elevate(self):
        response = self.request(
            self.interfaces_url(), token='reader-token', method='POST',
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}},
            headers={'X-Roles': 'admin,member', 'X-Role': 'admin',
                     'X-Service-Roles': 'admin',
                     'X-Is-Admin-Project': 'True'})
        self.assertEqual(403, response.status_int)
        self.assertIn(b'os_compute_api:os-attach-interfaces:create',
                      response.body)

    def test_project_cannot_be_claimed(self):
        response = self.request(
            self.interfaces_url(), token='other-token',
            headers={'X-Project-Id': self.ids['PROJECT'],
                     'X-Tenant-Id': self.ids['PROJECT'],
                     'X-Tenant': self.ids['PROJECT']})
        self.assertEqual(404, response.status_int)

    def test_user_cannot_be_claimed(self):
        response = self.request(
            self.interfaces_url(port='PORT1'), token='admin-token',
            headers={'X-User-Id': 'boss', 'X-User': 'boss',
                     'X-User-Name': 'boss'})
        self.assertEqual(403, response.status_int)

    def test_system_scope_cannot_be_claimed(self):
        # A project reader claiming system scope would be refused by the
        # scope check; the header is dropped, so the reader still reads.
        response = self.request(
            self.interfaces_url(), token='reader-token',
            headers={'OpenStack-System-Scope': 'all'})
        self.assertEqual(200, response.status_int)


ALLOWED_ALL = {LIST: 200, SHOW: 200, CREATE: 200, DELETE: 202}
READ_ONLY = {LIST: 200, SHOW: 200, CREATE: 403, DELETE: 403}
FORBIDDEN = {LIST: 403, SHOW: 403, CREATE: 403, DELETE: 403}
INVISIBLE = {LIST: 404, SHOW: 404, CREATE: 404, DELETE: 404}


class PolicyMatrixMixin(object):
    """Each persona against all four actions on PROJECT's server."""

    #: token -> {action: expected status}
    expected = {}

    def _statuses(self, token):
        statuses = {}
        statuses[LIST] = self.request(
            self.interfaces_url(), token=token).status_int
        statuses[SHOW] = self.request(
            self.interfaces_url(port='PORT1'), token=token).status_int
        statuses[CREATE] = self.request(
            self.interfaces_url(), token=token, method='POST',
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}},
        ).status_int
        # Detach what this persona attached, else the pre-attached port.
        port = 'PORT2' if statuses[CREATE] == 200 else 'PORT1'
        statuses[DELETE] = self.request(
            self.interfaces_url(port=port), token=token,
            method='DELETE').status_int
        return statuses

    def _check(self, token):
        self.assertEqual(self.expected[token], self._statuses(token),
                         'persona %s' % token)

    def test_reader(self):
        self._check('reader-token')

    def test_member(self):
        self._check('member-token')

    def test_manager(self):
        self._check('manager-token')

    def test_project_admin(self):
        self._check('admin-token')

    def test_admin_of_another_project(self):
        self._check('other-admin-token')

    def test_other_project(self):
        self._check('other-token')

    def test_system_scope(self):
        self._check('system-token')

    def test_no_role(self):
        self._check('norole-token')


class TestPolicyMatrix(PolicyMatrixMixin, KeystoneTestCase):
    """``enforce_new_defaults = True`` (the default)."""

    expected = {
        'reader-token': READ_ONLY,
        'member-token': ALLOWED_ALL,
        'manager-token': ALLOWED_ALL,
        'admin-token': ALLOWED_ALL,
        'other-admin-token': ALLOWED_ALL,
        'other-token': INVISIBLE,
        'system-token': FORBIDDEN,
        'norole-token': FORBIDDEN,
    }


class TestLegacyPolicyMatrix(PolicyMatrixMixin, KeystoneTestCase):
    """``enforce_new_defaults = False``: any role in the project will do."""

    environment_args = {'enforce_new_defaults': False}
    expected = {
        'reader-token': ALLOWED_ALL,
        'member-token': ALLOWED_ALL,
        'manager-token': ALLOWED_ALL,
        'admin-token': ALLOWED_ALL,
        'other-admin-token': ALLOWED_ALL,
        'other-token': INVISIBLE,
        'system-token': FORBIDDEN,
        'norole-token': ALLOWED_ALL,
    }


class TestBodySizeLimit(KeystoneTestCase):

    environment_args = {
        'config': {('oslo_middleware', 'max_request_body_size'): 1024}}

    def test_oversized_body_refused_before_authentication(self):
        body = b'{"interfaceAttachment": {"tag": "%s"}}' % (b'x' * 2048)
        for token in (None, 'no-such-token', 'member-token'):
            response = self.request(self.interfaces_url(), token=token,
                                    method='POST', body=body)
            self.assertEqual(413, response.status_int, token)
            self.assertEqual(
                {'overLimit': {
                    'code': 413,
                    'message': 'Request is too large. Larger than '
                               'max_request_body_size (1024 bytes).'}},
                response.json)

    def test_body_within_limit_reaches_authentication(self):
        response = self.request(
            self.interfaces_url(), method='POST',
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertEqual(401, response.status_int)


class TestRequestLog(KeystoneTestCase):

    def setUp(self):
        super().setUp()
        # Everything every logger writes, at the most verbose level.
        self.all_logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(name)s %(message)s'))

    def _access_lines(self):
        return [line for line in self.all_logs.output.splitlines()
                if line.startswith('nova_attach_ifaces.api.request_log ')]

    def test_one_line_per_request(self):
        response = self.request(
            self.interfaces_url(), token='member-token',
            headers={'OpenStack-API-Version': 'compute 2.70'})
        self.assertEqual(200, response.status_int)
        lines = self._access_lines()
        self.assertEqual(1, len(lines), lines)
        line = lines[0]
        self.assertIn(response.headers['x-openstack-request-id'], line)
        self.assertIn('"GET %s"' % self.interfaces_url(), line)
        self.assertIn('status: 200', line)
        self.assertIn('microversion: 2.70', line)
        self.assertRegex(line, r'time: \d+\.\d{6}$')

    def test_refused_requests_are_logged(self):
        self.request(self.interfaces_url())
        self.request('/v2.1/')
        lines = self._access_lines()
        self.assertEqual(2, len(lines), lines)
        self.assertIn('status: 401', lines[0])
        self.assertIn('microversion: -', lines[0])
        self.assertIn('"GET /v2.1/"', lines[1])
        self.assertIn('status: 200', lines[1])

    def test_no_token_in_any_log_line(self):
        secret = 'member-token'
        self.request(self.interfaces_url(), token=secret)
        self.request(self.interfaces_url(), token=secret, method='POST',
                     body={'interfaceAttachment': {
                         'port_id': self.ids['PORT2']}})
        self.request(self.interfaces_url(), token='bad-secret-token')
        self.assertEqual(3, len(self._access_lines()))
        self.assertNotIn(secret, self.all_logs.output)
        self.assertNotIn('bad-secret-token', self.all_logs.output)

    def test_turned_off_by_its_logger_level(self):
        # What default_log_levels = ...,nova_attach_ifaces.api.request_log=
        # WARN does: no access line; the request is served as before.
        logger = logging.getLogger('nova_attach_ifaces.api.request_log')
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.WARNING)
        response = self.request(self.interfaces_url(), token='member-token')
        self.assertEqual(200, response.status_int)
        self.assertIn('x-openstack-request-id', response.headers)
        self.assertEqual([], self._access_lines())


class TestKeystoneConfiguration(base.BaseTestCase):
    """keystonemiddleware's own failures, as a Nova client sees them."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.env = api_fixtures.APIEnvironment(config={
            ('api', 'auth_strategy'): 'keystone',
            ('keystone_authtoken', 'www_authenticate_uri'):
                keystone_fixtures.WWW_AUTHENTICATE_URI})
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)

    def test_no_auth_plugin_fails_at_start(self):
        error = self.assertRaises(RuntimeError, self.env.app)
        self.assertIn('[keystone_authtoken] auth_type is not set',
                      str(error))

    def test_keystone_unreachable_is_a_nova_503(self):
        # A port nothing listens on: Keystone is down.
        with socket.socket() as closed:
            closed.bind(('127.0.0.1', 0))
            port = closed.getsockname()[1]
        # keystonemiddleware registers the plugin's options on our CONF;
        # unregistered after, or every later parse would require them.
        self.addCleanup(self._unregister_password_opts)
        self.env.conf_fixture.load_raw_values(
            group='keystone_authtoken', auth_type='password',
            auth_url='http://127.0.0.1:%d/v3' % port, username='nova',
            password='secret', project_name='service',
            user_domain_name='Default', project_domain_name='Default',
            http_request_max_retries='0')
        app = self.env.app()
        req = webob.Request.blank(
            '/v2.1/servers/%s/os-interface' % self.env.ids['SERVER'])
        req.headers['X-Auth-Token'] = 'some-token'
        response = req.get_response(app)
        self.assertEqual(503, response.status_int)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(
            {'serviceUnavailable': {
                'code': 503,
                'message': middleware.AuthUnavailableFault.MESSAGE}},
            jsonutils.loads(response.body))

    @staticmethod
    def _unregister_password_opts():
        conf.CONF.reset()
        conf.CONF.unregister_opts(
            ksa_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
