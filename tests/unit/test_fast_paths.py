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
"""Each request-path shortcut equals the library step it stands for.

Where the service does a library's step its own, cheaper way (plain WSGI
instead of ``webob.dec.wsgify``, a header read from the environ, a cached
answer), these property-based tests feed the same generated environs,
headers, credentials and rules through the library and through our path
and compare what comes out:

* the request id filter, the body size limiter and the proxy headers
  filter against oslo.middleware's ``RequestId``,
  ``RequestBodySizeLimiter`` and ``HTTPProxyToWSGI``;
* the access log's path against webob's ``Request.path_qs``;
* microversion negotiation (two headers read, answers cached) against
  microversion_parse given every header, uncached;
* the policy decision cache against a fresh oslo.policy ``Enforcer``, and
  its key against every field oslo.context's ``to_policy_values()`` has.
"""

import copy
import io
import os

import fixtures
import hypothesis
from hypothesis import strategies as st
import microversion_parse
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id as oslo_request_id
from oslo_middleware import sizelimit
from oslo_policy import policy as oslo_policy
from oslo_utils import strutils
from oslotest import base
import webob
import yaml

from nova_attach_ifaces.api import microversion
from nova_attach_ifaces.api import middleware
from nova_attach_ifaces.api import request_id
from nova_attach_ifaces.api import request_log
from nova_attach_ifaces import conf
from nova_attach_ifaces import context as nai_context
from nova_attach_ifaces import policies
from nova_attach_ifaces import policy

SETTINGS = hypothesis.settings(
    max_examples=300, deadline=None, derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck))

# WSGI strings: bytes as latin-1 text.
WSGI_TEXT = st.text(st.characters(max_codepoint=255), max_size=30)
TOKENS = st.sampled_from(
    ['', ' ', ',', ';', '=', '"', 'req-', 'https', 'http', 'for',
     'proto', 'host', '/', ':', '1.2.3.4', 'example.com', '0', 'x'])
HEADERISH = st.one_of(WSGI_TEXT, st.lists(TOKENS, max_size=8).map(''.join))
UUID = '8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'


def _base_environ(path='/v2.1/servers'):
    environ = webob.Request.blank(path).environ
    return environ


def _run(app, environ):
    """(status, header list, body, environ the app saw) of one call."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer['status'], answer['headers'] = status, list(headers)

    body = b''.join(app(environ, start_response))
    return answer['status'], answer['headers'], body


class RequestIdTestCase(base.BaseTestCase):

    @SETTINGS
    @hypothesis.given(
        inbound=st.one_of(st.none(), HEADERISH,
                          st.just('req-' + UUID), st.just('req-' + UUID + 'x'),
                          st.just(' req-' + UUID)),
        status=st.sampled_from(['200 OK', '404 Not Found', '202 Accepted']),
        app_headers=st.lists(st.tuples(
            st.sampled_from(['Content-Type', 'x-openstack-request-id',
                             'X-OpenStack-Request-Id', 'x-compute-request-id',
                             'Vary']),
            st.sampled_from(['a', 'req-app'])), max_size=3))
    def test_same_as_oslo_middleware(self, inbound, status, app_headers):
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_context.context.generate_request_id', lambda: 'req-fixed'))
        seen = []

        def app(environ, start_response):
            seen.append({key: environ.get(key) for key in (
                oslo_request_id.ENV_REQUEST_ID,
                oslo_request_id.GLOBAL_REQ_ID)})
            start_response(status, list(app_headers))
            return [b'body']

        class Library(oslo_request_id.RequestId):
            compat_headers = request_id.RequestId.compat_headers

        results = []
        for cls in (Library, request_id.RequestId):
            environ = _base_environ()
            if inbound is not None:
                environ['HTTP_X_OPENSTACK_REQUEST_ID'] = inbound
            results.append(_run(cls(app, {}), environ))
        self.assertEqual(results[0], results[1])
        self.assertEqual(seen[0], seen[1])


class SizeLimitTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(conf.CONF))
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        # The library's filter, given a dict, keeps its options in the
        # global CONF.
        self.useFixture(config_fixture.Config(cfg.CONF))

    @SETTINGS
    @hypothesis.given(
        limit=st.integers(0, 64), body=st.binary(max_size=80),
        length=st.one_of(st.none(), st.just('exact'), st.just(''),
                         st.just('junk'), st.integers(0, 100).map(str)),
        chunked=st.booleans(), terminated=st.booleans(),
        method=st.sampled_from(['GET', 'POST']))
    def test_same_as_oslo_middleware(self, limit, body, length, chunked,
                                     terminated, method):
        def app(environ, start_response):
            req = webob.Request(environ)
            try:
                read = req.body_file.read() if req.is_body_readable else b''
            except webob.request.DisconnectionError:
                # A Content-Length longer than the body.
                read = b'(disconnected)'
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'read %d: ' % len(read) + read]

        def environ():
            env = _base_environ()
            env['REQUEST_METHOD'] = method
            env['wsgi.input'] = io.BytesIO(body)
            env.pop('CONTENT_LENGTH', None)
            if length == 'exact':
                env['CONTENT_LENGTH'] = str(len(body))
            elif length is not None:
                env['CONTENT_LENGTH'] = length
            if chunked:
                env['HTTP_TRANSFER_ENCODING'] = 'chunked'
            if terminated:
                # What a server that reads chunked bodies says.
                env['wsgi.input_terminated'] = True
            return env

        options = {'max_request_body_size': str(limit)}
        library = sizelimit.RequestBodySizeLimiter(app, dict(options))
        ours = middleware.RequestBodySizeLimiter(app, dict(options))
        theirs_status, _h, theirs_body = _run(library, environ())
        ours_status, _h, ours_body = _run(ours, environ())
        # The same requests refused (ours with a Nova fault for a body,
        # where the library answers a plain page); the same body read by
        # the app of the ones let through.
        self.assertEqual(theirs_status, ours_status)
        if theirs_status.startswith('200'):
            self.assertEqual(theirs_body, ours_body)


class ProxyHeadersTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(config_fixture.Config(conf.CONF))
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        self.useFixture(config_fixture.Config(cfg.CONF))

    @SETTINGS
    @hypothesis.given(
        enabled=st.booleans(),
        headers=st.dictionaries(
            st.sampled_from(['HTTP_FORWARDED', 'HTTP_X_FORWARDED_PROTO',
                             'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_FOR',
                             'HTTP_X_FORWARDED_PREFIX']), HEADERISH),
        script_name=st.sampled_from(['', '/compute']))
    def test_same_as_oslo_middleware(self, enabled, headers, script_name):
        seen = []

        def app(environ, start_response):
            seen.append({k: v for k, v in environ.items()
                         if not k.startswith('webob.') and
                         k != 'wsgi.input'})
            start_response('200 OK', [])
            return [b'']

        options = {'enable_proxy_headers_parsing': str(enabled)}
        for cls in (http_proxy_to_wsgi.HTTPProxyToWSGI,
                    middleware.HTTPProxyToWSGI):
            environ = _base_environ()
            environ['SCRIPT_NAME'] = script_name
            environ.update(headers)
            _run(cls(app, dict(options)), environ)
        self.assertEqual(seen[0], seen[1])


class PathTestCase(base.BaseTestCase):

    @SETTINGS
    @hypothesis.given(script_name=WSGI_TEXT, path_info=WSGI_TEXT,
                      query=st.one_of(st.none(), WSGI_TEXT, st.just(
                          'password=secret&x=1')))
    def test_same_as_webob_path_qs(self, script_name, path_info, query):
        environ = {'SCRIPT_NAME': script_name, 'PATH_INFO': path_info}
        if query is not None:
            environ['QUERY_STRING'] = query
        try:
            expected = webob.Request(dict(environ)).path_qs
        except UnicodeDecodeError:
            # webob cannot decode a path that is not UTF-8; the access
            # log still writes it, percent-encoded.
            hypothesis.assume(False)
        if query:
            # Secrets in a query string are masked in the log line.
            expected = strutils.mask_password(expected)
        self.assertEqual(expected, request_log._path_qs(environ))


VERSIONS = st.one_of(
    st.sampled_from(['2.1', '2.49', '2.70', '2.104', '2.105', '2.0', '1.1',
                     '3.0', 'latest', 'Latest', '2.01', '02.1', '2', '2.',
                     '', ' 2.5', '2.5 ', '1000.1000']),
    st.from_regex(r'\A[0-9.a-z]{0,6}\Z'))
HEADER_VALUES = st.one_of(
    VERSIONS,
    st.tuples(st.sampled_from(['compute', 'Compute', 'COMPUTE', 'placement',
                               'volume', '']), VERSIONS).map(' '.join),
    st.lists(st.tuples(st.sampled_from(['compute', 'placement']),
                       VERSIONS).map(' '.join), min_size=2,
             max_size=3).map(', '.join))


def _outcome(call):
    try:
        return 'ok', call()
    except (microversion.InvalidVersion,
            microversion.UnsupportedVersion) as e:
        return type(e), str(e)


class MicroversionTestCase(base.BaseTestCase):

    @SETTINGS
    @hypothesis.given(requests=st.lists(st.fixed_dictionaries({}, optional={
        'HTTP_OPENSTACK_API_VERSION': HEADER_VALUES,
        'HTTP_X_OPENSTACK_NOVA_API_VERSION': HEADER_VALUES,
        'HTTP_ACCEPT': st.just('application/json'),
    }), min_size=1, max_size=6))
    def test_same_as_microversion_parse(self, requests):
        # A few requests in a row, so that answers come from the cache
        # too, in every order.
        for headers in requests + requests[::-1]:
            environ = _base_environ()
            environ.update(headers)
            every_header = tuple(webob.Request(environ).headers.items())
            expected = _outcome(
                lambda: microversion._negotiate.__wrapped__(every_header))
            self.assertEqual(expected, _outcome(
                lambda: microversion.negotiate(environ)))
            if expected[0] == 'ok':
                # And the headers that echo it.
                version = expected[1]
                self.assertEqual(
                    microversion._headers(version),
                    microversion.response_headers(version))
            else:
                # microversion_parse agrees on what was asked for.
                microversion_parse.get_version(
                    dict(every_header), 'compute',
                    legacy_headers=[microversion.LEGACY_HEADER])


IDS = st.sampled_from([None, 'a', 'b'])
ROLES = st.lists(st.sampled_from(['admin', 'member', 'reader', 'other']),
                 unique=True, max_size=3)
CHECKS = st.sampled_from([
    'role:admin', 'project_id:%(project_id)s', 'user_id:%(user_id)s',
    'role:reader and project_id:%(project_id)s', 'is_admin:True', '!', '@',
    'system_scope:all', 'role:admin or role:member',
    'not role:other', 'domain_id:a', 'service_roles:service',
    'is_admin_project:True', 'role:member or (role:reader and '
    'user_id:%(user_id)s)'])


@st.composite
def policy_contexts(draw):
    return nai_context.RequestContext(
        user_id=draw(IDS), project_id=draw(IDS), domain_id=draw(IDS),
        user_domain_id=draw(IDS), project_domain_id=draw(IDS),
        roles=draw(ROLES), is_admin=draw(st.booleans()),
        is_admin_project=draw(st.booleans()),
        system_scope=draw(st.sampled_from([None, 'all'])),
        service_user_id=draw(IDS), service_project_id=draw(IDS),
        service_roles=draw(st.lists(st.sampled_from(['service', 'admin']),
                                    unique=True)),
        overwrite=False)


class PolicyCacheTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.cached = {}
        self.files = 0
        self.actions = [rule.name for rule in policies.list_rules()] + [
            'context_is_admin']

    def _config(self, rules, new_defaults):
        config = cfg.ConfigOpts()
        self.files += 1
        path = os.path.join(self.tmp, 'policy-%d.yaml' % self.files)
        with open(path, 'w') as f:
            yaml.safe_dump(dict(rules), f)
        oslo_policy.Enforcer(config)   # registers [oslo_policy]
        config([], project='nova-attach-ifaces', default_config_files=[])
        config.set_override('policy_file', path, group='oslo_policy')
        config.set_override('enforce_new_defaults', new_defaults,
                            group='oslo_policy')
        return config

    def _enforcers(self, rules, new_defaults):
        """(ours, kept across examples; the library's, fresh)."""
        key = (tuple(sorted(rules.items())), new_defaults)
        if key not in self.cached:
            self.cached[key] = policy.CachingEnforcer(
                self._config(rules, new_defaults))
        library = oslo_policy.Enforcer(self._config(rules, new_defaults))
        library.register_defaults(policies.list_rules())
        return self.cached[key], library

    @SETTINGS
    @hypothesis.given(
        rules=st.dictionaries(st.sampled_from(
            [rule.name for rule in policies.list_rules()]), CHECKS,
            max_size=2),
        new_defaults=st.booleans(),
        checks=st.lists(st.tuples(policy_contexts(), st.fixed_dictionaries(
            {'project_id': IDS}, optional={'user_id': IDS})),
            min_size=1, max_size=5),
        order=st.randoms())
    def test_same_as_oslo_policy(self, rules, new_defaults, checks, order):
        ours, library = self._enforcers(rules, new_defaults)
        queries = [(action, target, ctx) for ctx, target in checks
                   for action in self.actions]
        # Twice, shuffled: the second answers come from the cache.
        queries = queries + queries
        order.shuffle(queries)
        for action, target, ctx in queries:
            expected = bool(library.authorize(
                action, target, dict(ctx.to_policy_values().items()),
                do_raise=False))
            self.assertEqual(expected, ours.allowed(action, target, ctx),
                             (action, target, ctx.to_dict()))

    def test_key_covers_every_policy_value(self):
        # Change each attribute of a context in turn: whatever changes a
        # value of to_policy_values() (today's fields, and any that
        # oslo.context adds later) must change the cache key too, or two
        # callers would share a decision.
        ctx = nai_context.RequestContext(
            user_id='u', project_id='p', domain_id='d', user_domain_id='ud',
            project_domain_id='pd', roles=['reader'], system_scope='all',
            service_user_id='su', service_project_id='sp',
            service_roles=['service'], overwrite=False)
        values = dict(ctx.to_policy_values().items())
        key = ctx.policy_key()
        read = set()
        for name, value in vars(ctx).items():
            other = copy.copy(ctx)
            setattr(other, name, _different(value))
            try:
                changed = dict(other.to_policy_values().items()) != values
            except Exception:
                changed = True
            if changed:
                read.add(name)
                self.assertNotEqual(key, other.policy_key(),
                                    'policy value from %r not in the policy '
                                    'cache key' % name)
        # Every field of to_policy_values() was traced to an attribute.
        for field in values:
            self.assertTrue(
                any(_reads(ctx, name, field) for name in read),
                'policy value %r depends on nothing the test could change'
                % field)


def _different(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (list, tuple)):
        return type(value)(list(value) + ['zzz'])
    if isinstance(value, str) or value is None:
        return 'zzz-changed'
    return object()


def _reads(ctx, name, field):
    other = copy.copy(ctx)
    setattr(other, name, _different(getattr(ctx, name)))
    try:
        return (dict(other.to_policy_values().items()).get(field) !=
                dict(ctx.to_policy_values().items()).get(field))
    except Exception:
        return True
