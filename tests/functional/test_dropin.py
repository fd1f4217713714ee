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
"""The drop-in ``os_interface`` filter inside a stand-in compute API.

Each test writes a paste file shaped like Nova's ``/v2.1`` pipeline (a
request-id filter, an upstream context filter or keystonemiddleware, then
``os_interface``, then the compute API app) into its temp dir, with a
stand-in compute API that records every request reaching it. The filter's
own configuration file, also written there, names the memory driver and
the known inventory; the filter parses it into this service's CONF, as it
would inside Nova's process.
"""

import os
import tempfile

import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
from oslotest import base
from paste import deploy
import webob
import webob.dec
import yaml

from nova_attach_ifaces.api import dropin
from nova_attach_ifaces import conf
from nova_attach_ifaces import policy
from tests.functional import fixtures as api_fixtures

TEST_TIMEOUT = 60
WWW_AUTHENTICATE_URI = 'http://keystone.invalid/v3'

PASTE = """
[composite:osapi_compute]
use = egg:Paste#urlmap
/v2.1 = api_v21
/v2 = api_v2

[pipeline:api_v21]
pipeline = request_id %(auth)s os_interface compute_api

[pipeline:api_v2]
pipeline = request_id %(auth)s os_interface compute_api

[filter:request_id]
use = egg:nova-attach-ifaces#request_id

[filter:upstreamcontext]
paste.filter_factory = tests.functional.test_dropin:UpstreamContext.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = %(www_authenticate_uri)s

[filter:os_interface]
use = egg:nova-attach-ifaces#os_interface
config_file = %(config_file)s

[app:compute_api]
paste.app_factory = tests.functional.test_dropin:compute_api_factory
name = %(name)s
"""

CONFIG = """
[compute]
driver = memory

[memory]
inventory_file = %(inventory)s
%(extra)s
"""

#: name -> the stand-in compute API loaded under that name.
COMPUTE_APIS = {}


class FakeNovaContext(oslo_context.RequestContext):
    """What Nova's keystonecontext filter leaves in ``nova.context``."""

    def to_dict(self):
        values = super().to_dict()
        # Nova's own fields, which ours must ignore.
        values.update({'read_deleted': 'no', 'remote_address': '192.0.2.1',
                       'quota_class': None, 'service_catalog': [],
                       'timestamp': '2026-01-01T00:00:00.000000'})
        return values


class UpstreamContext(object):
    """Stand-in for Nova's keystonecontext: identity from test headers."""

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls

    @webob.dec.wsgify
    def __call__(self, req):
        roles = req.headers.get('X-Test-Roles', '')
        req.environ['nova.context'] = FakeNovaContext(
            user_id=req.headers.get('X-Test-User'),
            project_id=req.headers.get('X-Test-Project'),
            roles=[r for r in roles.split(',') if r],
            request_id=req.environ.get('openstack.request_id'))
        return req.get_response(self.application)


class ComputeAPI(object):
    """Stand-in compute API: records what reaches it, answers 299."""

    def __init__(self):
        self.requests = []

    def __call__(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        self.requests.append({
            'method': environ['REQUEST_METHOD'],
            'script_name': environ.get('SCRIPT_NAME'),
            'path_info': environ.get('PATH_INFO'),
            'query_string': environ.get('QUERY_STRING'),
            'content_type': environ.get('CONTENT_TYPE'),
            'headers': {k: v for k, v in environ.items()
                        if k.startswith('HTTP_')},
            'body': environ['wsgi.input'].read(length) if length else b'',
            'environ_keys': set(environ),
        })
        start_response('299 Downstream', [('X-Downstream', 'yes'),
                                          ('Content-Type', 'text/plain')])
        return [b'from the compute API']


def compute_api_factory(global_config, name, **local_config):
    # One recorder for both mounts of a test's paste file.
    return COMPUTE_APIS.setdefault(name, ComputeAPI())


class DropInTestCase(base.BaseTestCase):

    #: The filters between request_id and os_interface.
    auth = 'upstreamcontext'
    #: More of the filter's configuration file.
    extra_config = ''

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        # Undo what the filter parses into our CONF, and the enforcer.
        self.useFixture(config_fixture.Config(conf.CONF))
        # The host's configuration (oslo.config's global one): unparsed
        # unless a test parses it, and reset afterwards.
        self.useFixture(config_fixture.Config(cfg.CONF))
        self.addCleanup(policy.reset)
        policy.reset()
        self.tempdir = tempdir = self.useFixture(fixtures.TempDir()).path

        self.ids = {name: uuidutils.generate_uuid()
                    for name in api_fixtures.ID_NAMES}
        for name in ('PROJECT', 'OTHER_PROJECT', 'LONELY_PROJECT'):
            self.ids[name] = uuidutils.generate_uuid(dashed=False)
        inventory = os.path.join(tempdir, 'inventory.yaml')
        with open(inventory, 'w') as f:
            yaml.safe_dump(api_fixtures.build_inventory(self.ids), f)
        self.config_file = os.path.join(tempdir, 'nova-attach-ifaces.conf')
        with open(self.config_file, 'w') as f:
            f.write(CONFIG % {
                'inventory': inventory, 'extra': self.extra_config})

        self.name = uuidutils.generate_uuid()
        self.addCleanup(COMPUTE_APIS.pop, self.name, None)
        self.paste_file = os.path.join(tempdir, 'api-paste.ini')
        with open(self.paste_file, 'w') as f:
            f.write(PASTE % {'auth': self.auth, 'name': self.name,
                             'config_file': self.config_file,
                             'www_authenticate_uri': WWW_AUTHENTICATE_URI})

    def load(self):
        # The filter, not the test, parses the configuration.
        self.assertFalse(dropin.is_parsed(conf.CONF))
        self.app = deploy.loadapp('config:%s' % self.paste_file,
                                  name='osapi_compute')
        self.downstream = COMPUTE_APIS[self.name]

    def request(self, path, method='GET', body=None, headers=None):
        return api_fixtures.json_request(self.app, path, method, body,
                                         headers)

    def url(self, port=None, project=False):
        url = '/v2.1'
        if project:
            url += '/' + self.ids['PROJECT']
        url += '/servers/%s/os-interface' % self.ids['SERVER']
        if port:
            url += '/' + self.ids[port]
        return url


class TestUpstreamContext(DropInTestCase):
    """After Nova's keystonecontext: ``nova.context`` says who calls."""

    def setUp(self):
        super().setUp()
        self.load()

    def identity(self, roles='member,reader', project='PROJECT'):
        return {'X-Test-User': 'alice', 'X-Test-Project': self.ids[project],
                'X-Test-Roles': roles}

    def assertAnsweredByUs(self, response, version='2.1'):
        self.assertEqual([], self.downstream.requests)
        self.assertNotIn('X-Downstream', response.headers)
        self.assertEqual('compute ' + version,
                         response.headers['OpenStack-API-Version'])
        self.assertEqual(version,
                         response.headers['X-OpenStack-Nova-API-Version'])

    def test_config_file_was_parsed(self):
        self.assertEqual([self.config_file], conf.CONF.default_config_files)
        self.assertEqual('memory', conf.CONF.compute.driver)

    def test_list(self):
        response = self.request(self.url(), headers=self.identity())
        self.assertEqual(200, response.status_int)
        self.assertAnsweredByUs(response)
        attachments = jsonutils.loads(response.body)['interfaceAttachments']
        self.assertEqual([self.ids['PORT1']],
                         [a['port_id'] for a in attachments])

    def test_show_with_project_in_url(self):
        response = self.request(
            self.url(port='PORT1', project=True), headers=dict(
                self.identity(), **{'OpenStack-API-Version': 'compute 2.70'}))
        self.assertEqual(200, response.status_int)
        self.assertAnsweredByUs(response, '2.70')
        attachment = jsonutils.loads(response.body)['interfaceAttachment']
        self.assertEqual(self.ids['PORT1'], attachment['port_id'])
        self.assertIn('tag', attachment)

    def test_attach_and_detach(self):
        response = self.request(
            self.url(project=True), method='POST', headers=self.identity(),
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertEqual(200, response.status_int)
        self.assertAnsweredByUs(response)
        response = self.request(self.url(port='PORT2'), method='DELETE',
                                headers=self.identity())
        self.assertEqual(202, response.status_int)
        self.assertAnsweredByUs(response)

    def test_unsupported_method_is_ours(self):
        response = self.request(self.url(), method='PUT',
                                headers=self.identity())
        self.assertEqual(405, response.status_int)
        self.assertEqual('GET, POST', response.headers['Allow'])
        self.assertAnsweredByUs(response)

    def test_upstream_context_is_used(self):
        # keystonemiddleware-style headers say admin; nova.context, which
        # wins, says reader.
        headers = dict(self.identity(roles='reader'), **{
            'X-User-Id': 'root', 'X-Project-Id': self.ids['PROJECT'],
            'X-Roles': 'admin'})
        response = self.request(self.url(), headers=headers)
        self.assertEqual(200, response.status_int)
        response = self.request(
            self.url(), method='POST', headers=headers,
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertEqual(403, response.status_int)
        self.assertIn(b'os_compute_api:os-attach-interfaces:create',
                      response.body)
        self.assertAnsweredByUs(response)

    def test_unknown_server_passes_through(self):
        # A server our driver does not know is the compute API's (or
        # nobody's) to answer, on every os-interface route and method.
        server = uuidutils.generate_uuid()
        cases = [
            ('GET', '/v2.1/servers/%s/os-interface' % server, None),
            ('POST', '/v2.1/%s/servers/%s/os-interface' % (
                self.ids['PROJECT'], server),
             {'interfaceAttachment': {'port_id': self.ids['PORT2']}}),
            ('DELETE', '/v2.1/servers/%s/os-interface/%s' % (
                server, self.ids['PORT1']), None),
            ('PUT', '/v2.1/servers/%s/os-interface' % server, None),
        ]
        for method, path, body in cases:
            response = self.request(path, method=method, body=body,
                                    headers=self.identity())
            self.assertEqual(299, response.status_int, path)
        self.assertEqual([(method, path) for method, path, _body in cases],
                         [(seen['method'],
                           seen['script_name'] + seen['path_info'])
                          for seen in self.downstream.requests])
        self.assertEqual(jsonutils.dump_as_bytes(cases[1][2]),
                         self.downstream.requests[1]['body'])
        for seen in self.downstream.requests:
            self.assertNotIn('nova_attach_ifaces.context',
                             seen['environ_keys'])
        # Our own server is still ours.
        response = self.request(self.url(), headers=self.identity())
        self.assertEqual(200, response.status_int)
        self.assertEqual(len(cases), len(self.downstream.requests))

    def test_upstream_project_decides_visibility(self):
        response = self.request(
            self.url(), headers=self.identity(project='OTHER_PROJECT'))
        self.assertEqual(404, response.status_int)
        self.assertAnsweredByUs(response)

    def test_other_paths_reach_the_compute_api_untouched(self):
        body = b'{"reboot": {"type": "HARD"}}'
        headers = dict(self.identity(), **{
            'X-Custom': 'kept', 'X-Auth-Token': 'tok',
            'OpenStack-API-Version': 'compute 2.90'})
        server = self.ids['SERVER']
        cases = [
            ('GET', '/v2.1/servers?limit=1', None),
            ('POST', '/v2.1/servers/%s/action' % server, body),
            ('GET', '/v2.1/%s/servers/%s' % (self.ids['PROJECT'], server),
             None),
            # Close to ours, but not an os-interface route.
            ('GET', '/v2.1/servers/%s/os-interface/%s/extra' % (
                server, self.ids['PORT1']), None),
            ('GET', '/v2.1/servers/%s/os-virtual-interfaces' % server, None),
            # Not the /v2.1 mount: we do not serve /v2.
            ('GET', '/v2/servers/%s/os-interface' % server, None),
        ]
        for method, path, request_body in cases:
            response = self.request(path, method=method, body=request_body,
                                    headers=headers)
            self.assertEqual(299, response.status_int, path)
            self.assertEqual('yes', response.headers['X-Downstream'])
            self.assertEqual(b'from the compute API', response.body)
            self.assertNotIn('OpenStack-API-Version', response.headers)

        self.assertEqual(len(cases), len(self.downstream.requests))
        for (method, path, request_body), seen in zip(
                cases, self.downstream.requests):
            self.assertEqual(method, seen['method'])
            path, _sep, query = path.partition('?')
            self.assertEqual(path, seen['script_name'] + seen['path_info'])
            self.assertIn(seen['script_name'], ('/v2.1', '/v2'))
            self.assertEqual(query, seen['query_string'])
            self.assertEqual(request_body or b'', seen['body'])
            self.assertEqual('kept', seen['headers']['HTTP_X_CUSTOM'])
            self.assertEqual('tok', seen['headers']['HTTP_X_AUTH_TOKEN'])
            self.assertEqual('compute 2.90',
                             seen['headers']['HTTP_OPENSTACK_API_VERSION'])
            # No context of ours is left behind for the compute API.
            self.assertNotIn('nova_attach_ifaces.context',
                             seen['environ_keys'])
        self.assertEqual('application/json',
                         self.downstream.requests[1]['content_type'])


class TestKeystoneHeaders(DropInTestCase):
    """Right after keystonemiddleware: the context comes from its headers."""

    auth = 'authtoken'

    def setUp(self):
        super().setUp()
        self.auth_fixture = self.useFixture(ksm_fixture.AuthTokenFixture())
        self.load()
        self.auth_fixture.add_token_data(
            token_id='reader-token', user_id='reader',
            project_id=self.ids['PROJECT'], role_list=['reader'])
        self.auth_fixture.add_token_data(
            token_id='member-token', user_id='member',
            project_id=self.ids['PROJECT'], role_list=['member', 'reader'])

    def test_token_identity(self):
        response = self.request(self.url(),
                                headers={'X-Auth-Token': 'reader-token'})
        self.assertEqual(200, response.status_int)
        self.assertEqual('compute 2.1',
                         response.headers['OpenStack-API-Version'])
        response = self.request(
            self.url(), method='POST',
            headers={'X-Auth-Token': 'reader-token', 'X-Roles': 'admin'},
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertEqual(403, response.status_int)
        response = self.request(
            self.url(project=True), method='POST',
            headers={'X-Auth-Token': 'member-token'},
            body={'interfaceAttachment': {'port_id': self.ids['PORT2']}})
        self.assertEqual(200, response.status_int)
        self.assertEqual([], self.downstream.requests)

    def test_no_token(self):
        response = self.request(self.url())
        self.assertEqual(401, response.status_int)
        self.assertEqual('Keystone uri="%s"' % WWW_AUTHENTICATE_URI,
                         response.headers['WWW-Authenticate'])
        self.assertEqual([], self.downstream.requests)


class TestNoContext(DropInTestCase):
    """Misplaced before any authentication: every caller is refused."""

    auth = ''

    def test_401_without_identity(self):
        self.load()
        response = self.request(self.url())
        self.assertEqual(401, response.status_int)
        self.assertIn(b'"unauthorized"', response.body)
        response = self.request('/v2.1/servers')
        self.assertEqual(299, response.status_int)


class TestConfigFile(DropInTestCase):

    def test_already_parsed_config_is_kept(self):
        # As when the service's own process (or a test) parsed it first.
        other = tempfile.NamedTemporaryFile(
            'w', suffix='.conf', dir=os.path.dirname(self.config_file),
            delete=False)
        with other:
            other.write(open(self.config_file).read())
        conf.CONF([], project='nova-attach-ifaces',
                  default_config_files=[other.name])
        self.app = deploy.loadapp('config:%s' % self.paste_file,
                                  name='osapi_compute')
        self.assertEqual([other.name], conf.CONF.default_config_files)
