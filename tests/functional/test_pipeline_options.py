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
"""The pipeline's library filters read this service's configuration.

oslo.middleware and keystonemiddleware are bound to the service's private
``ConfigOpts``: options set there reach them, options in a paste section
win over it, and oslo.config's process-global ``cfg.CONF`` is never read
or changed.
"""

import logging
import os

import fixtures
from oslo_config import cfg
from oslo_serialization import jsonutils
from oslotest import base
import webob

from nova_attach_ifaces.api import middleware
from nova_attach_ifaces import conf
from tests.functional import fixtures as api_fixtures
from tests.functional import keystone_fixtures

TEST_TIMEOUT = 60


class PipelineTestCase(base.BaseTestCase):

    environment_class = keystone_fixtures.KeystoneEnvironment
    environment_args = {}

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.logs = self.useFixture(fixtures.FakeLogger(
            level=logging.INFO, format='%(levelname)s %(name)s %(message)s'))
        self.env = self.environment_class(**self.environment_args)
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()

    def get(self, path, method='GET', headers=None):
        req = webob.Request.blank(path, method=method)
        for name, value in (headers or {}).items():
            req.headers[name] = value
        return req.get_response(self.app)


class TestConfiguredLibraries(PipelineTestCase):

    environment_args = {'config': {
        ('cors', 'allowed_origin'): ['https://dashboard.example.org'],
        ('oslo_middleware', 'enable_proxy_headers_parsing'): True,
    }}

    def test_cors_from_our_config(self):
        response = self.get('/v2.1/servers/x/os-interface', method='OPTIONS',
                            headers={
                                'Origin': 'https://dashboard.example.org',
                                'Access-Control-Request-Method': 'POST',
                                'Access-Control-Request-Headers':
                                    'X-Auth-Token,OpenStack-API-Version'})
        self.assertEqual('https://dashboard.example.org',
                         response.headers['Access-Control-Allow-Origin'])
        allowed = response.headers['Access-Control-Allow-Headers'].lower()
        self.assertIn('openstack-api-version', allowed)

    def test_proxy_headers_from_our_config(self):
        response = self.get('/v2.1/', headers={'X-Forwarded-Proto': 'https'})
        self.assertEqual(200, response.status_int)
        link = jsonutils.loads(response.body)['version']['links'][0]
        self.assertTrue(link['href'].startswith('https://'), link)

    def test_global_config_untouched(self):
        # keystonemiddleware registers [keystone_authtoken] on cfg.CONF at
        # import; our value never appears there.
        self.assertEqual(keystone_fixtures.WWW_AUTHENTICATE_URI,
                         conf.CONF.keystone_authtoken.www_authenticate_uri)
        self.assertIsNone(cfg.CONF.keystone_authtoken.www_authenticate_uri)
        self.assertRaises(cfg.NoSuchOptError, getattr, cfg.CONF, 'cors')


class TestNoauth2Warning(PipelineTestCase):

    environment_class = api_fixtures.APIEnvironment

    def test_warned_at_start(self):
        self.assertIn('WARNING nova_attach_ifaces.api.auth auth_strategy is '
                      'noauth2', self.logs.output)


class TestHealthcheckFromTheConfigFile(base.BaseTestCase):
    """The shipped paste file leaves ``[healthcheck]`` to the config."""

    def setUp(self):
        super().setUp()
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.disable = os.path.join(self.tempdir, 'healthcheck_disable')
        self.env = api_fixtures.APIEnvironment(config={
            ('healthcheck', 'backends'): ['disable_by_file'],
            ('healthcheck', 'disable_by_file_path'): self.disable})
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)

    def test_disable_by_file_from_the_config(self):
        app = self.env.application()
        response = webob.Request.blank('/healthcheck').get_response(app)
        self.assertEqual(200, response.status_int)
        open(self.disable, 'w').close()
        response = webob.Request.blank('/healthcheck').get_response(app)
        self.assertEqual(503, response.status_int)


class TestKeystoneNoWarning(PipelineTestCase):

    def test_not_warned(self):
        self.assertNotIn('noauth2', self.logs.output)


class TestPasteOptions(base.BaseTestCase):
    """Options in a filter's paste section win over the configuration."""

    def setUp(self):
        super().setUp()
        self.env = api_fixtures.APIEnvironment(config={
            ('oslo_middleware', 'max_request_body_size'): 10})
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.tempdir = self.useFixture(fixtures.TempDir()).path

    def test_sizelimit(self):
        limiter = middleware.RequestBodySizeLimiter.factory(
            {}, max_request_body_size='100')(self._ok)
        req = webob.Request.blank('/', method='POST', body=b'x' * 50)
        self.assertEqual(200, req.get_response(limiter).status_int)
        req = webob.Request.blank('/', method='POST', body=b'x' * 101)
        self.assertEqual(413, req.get_response(limiter).status_int)

    def test_healthcheck_disable_by_file(self):
        disable = os.path.join(self.tempdir, 'healthcheck_disable')
        app = middleware.Healthcheck.app_factory(
            {}, backends='disable_by_file', disable_by_file_path=disable)
        self.assertEqual(
            200, webob.Request.blank('/').get_response(app).status_int)
        open(disable, 'w').close()
        self.assertEqual(
            503, webob.Request.blank('/').get_response(app).status_int)

    @staticmethod
    def _ok(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [environ['wsgi.input'].read()]
