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
"""Hostile input through the whole keystone pipeline (hypothesis).

Every example is one HTTP request, as a WSGI server would hand it over,
through the shipped paste pipeline with real keystonemiddleware (tokens
from its ``AuthTokenFixture``, see :mod:`tests.functional.
keystone_fixtures`): generated methods, paths (odd and foreign ids,
percent-encoded slashes, dot segments, very long paths, project ids),
query strings, headers (microversions, content types, accept, bogus and
real tokens, spoofed identity headers) and bodies (valid and near-valid
attachments, wrong types, deep nesting, huge strings, unicode, NUL bytes,
invalid UTF-8, duplicate keys as raw JSON text).

Checked on every example:

* never a 5xx;
* every error is a Nova fault (a known fault name, ``code`` equal to the
  status, a string ``message``) or keystonemiddleware's 401;
* no traceback, file path or internal module/class name in any body
  (unless the request itself contained it: messages quote ids as sent);
* the store is byte-for-byte unchanged after a rejected request or a
  read, and after anything a caller without a write role sends;
* a non-admin never sees another project's server (404, never 2xx, 403
  or 409) nor any of its ports, networks or addresses;
* no token a client sent appears in the logs.

A successful change is undone (the store is reset) before the next
example, so that every example starts from the same store.

Examples: the ``ci`` profile runs 5,000 in all (deadline off,
derandomized, so a run is reproducible); ``NOVA_ATTACH_IFACES_FUZZ_EXAMPLES``
sets another total.
"""

import json
import logging
import os
import time

import fixtures
import hypothesis
from hypothesis import strategies as st
from oslotest import base
import webob

from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import memory
from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces import conf
from tests.functional import fixtures as api_fixtures
from tests.functional import keystone_fixtures
from tests.reliability import common
from tests.reliability import fuzz_requests

EXAMPLES_ENV = 'NOVA_ATTACH_IFACES_FUZZ_EXAMPLES'
TOTAL_EXAMPLES = int(os.environ.get(EXAMPLES_ENV) or 5000)

hypothesis.settings.register_profile(
    'ci', max_examples=TOTAL_EXAMPLES, deadline=None, derandomize=True,
    database=None, print_blob=True,
    suppress_health_check=list(hypothesis.HealthCheck))

#: Each test's share of TOTAL_EXAMPLES.
SHARES = {
    'any_request_memory': 0.40,
    'attach_bodies_memory': 0.25,
    'foreign_project_memory': 0.15,
    'any_request_sql': 0.20,
}

#: Seconds a test may run: a bound, not a benchmark.
TEST_TIMEOUT = 150


def examples(name):
    return hypothesis.settings(
        hypothesis.settings.get_profile('ci'),
        max_examples=max(1, int(TOTAL_EXAMPLES * SHARES[name])))


class TokenWatch(logging.Handler):
    """Counts log lines and keeps those that contain a token."""

    def __init__(self):
        super().__init__()
        self.lines = 0
        self.found = []

    def emit(self, record):
        line = self.format(record)
        self.lines += 1
        if any(token in line for token in keystone_fixtures.PERSONAS):
            self.found.append(line[:500])


def _inventory(ids):
    # Every MAC fixed, so that a reset store is the same store.
    inv = api_fixtures.build_inventory(ids)
    for port in inv['ports']:
        port.setdefault('mac_address', 'fa:16:3e:00:00:01')
    return inv


def _project_of_token(token):
    persona = keystone_fixtures.PERSONAS.get(token)
    if persona is None:
        return None
    return persona[1]


class _FuzzBase(base.BaseTestCase):
    """The keystone environment, a store that resets, and the checks."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        # Thousands of requests log too much to keep (a test's details
        # must stay small for subunit): lines are checked as they come.
        self.logs = TokenWatch()
        self.useFixture(fixtures.LogHandler(self.logs, level=logging.INFO))
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.env = keystone_fixtures.KeystoneEnvironment(
            config={('oslo_middleware', 'max_request_body_size'):
                    fuzz_requests.MAX_BODY},
            inventory=_inventory)
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.ids = self.env.ids
        self.inventory_path = os.path.join(self.env.tempdir.name,
                                           'inventory.yaml')
        self.driver = common.SwappableDriver(self.make_driver)
        with common.inject_driver(self.driver):
            self.app = self.env.app()
        self.initial = self.dump()
        self.figures = common.Counter()
        self.started = time.monotonic()
        self.addCleanup(self._report)
        self._foreign = self._foreign_secrets()

    def make_driver(self):
        return memory.MemoryDriver(conf.CONF)

    def dump(self):
        return common.memory_dump(self.driver.inner)

    def reset(self):
        self.driver.reset()

    def _report(self):
        common.record_figures(
            'fuzz-%s' % '.'.join(self.id().rsplit('.', 2)[-2:]),
            examples=self.figures['examples'],
            statuses={k: v for k, v in self.figures.counts.items()
                      if k != 'examples'},
            seconds=round(time.monotonic() - self.started, 1))

    def _foreign_secrets(self):
        """Per project: what a non-admin of another project must not see."""
        ids = self.ids
        # SHARED_NET is OTHER_PROJECT's but shared: everyone may use it.
        return {
            'PROJECT': [ids['OTHER_PORT'], ids['OTHER_NET'],
                        ids['OTHER_SUBNET'], '172.16.0.'],
            'OTHER_PROJECT': [ids['PORT1'], ids['PORT2'], ids['NET'],
                              ids['NET2'], ids['SUBNET'], ids['SUBNET2'],
                              'fa:16:3e:4c:2c:30', 'fa:16:3e:4c:2c:31',
                              '10.0.0.', '10.1.0.'],
        }

    def _server_project(self, path):
        """The project key of the inventory server the path names."""
        owners = {'OTHER_SERVER': 'OTHER_PROJECT',
                  'LONELY_SERVER': 'LONELY_PROJECT'}
        for part in path:
            if (isinstance(part, fuzz_requests.Ref) and
                    part.name in fuzz_requests.SERVERS):
                return owners.get(part.name, 'PROJECT')
        return None

    def run_example(self, fuzz):
        environ, sent = fuzz.build(self.ids)
        # The pipeline moves PATH_INFO to SCRIPT_NAME as it routes.
        path_info = environ['PATH_INFO']
        method = environ['REQUEST_METHOD']
        before = self.dump()
        response = webob.Request(environ).get_response(self.app)
        after = self.dump()
        status = response.status_int
        body = response.body
        self.figures.add('examples')
        self.figures.add(str(status))
        text = body.decode('utf-8', 'replace')
        problems = []

        if status >= 500:
            problems.append('server error %d' % status)
        if status >= 400 and body and method != 'HEAD':
            problems.extend(common.fault_problems(status, body))
        leaked = common.leaks(text, sent)
        if leaked:
            problems.append('leaks %s' % leaked)
        changed = before != after
        token = fuzz.token if isinstance(fuzz.token, str) else None
        if changed and status >= 400:
            problems.append('rejected request changed the store')
        if changed and method not in ('POST', 'DELETE'):
            problems.append('%s changed the store' % method)
        if changed and token not in keystone_fixtures.PERSONAS:
            problems.append('unauthenticated request changed the store')
        if changed and token in fuzz_requests.READ_ONLY_TOKENS:
            problems.append('%s changed the store' % token)
        # oslo.middleware's health check answers any method on any path
        # under /healthcheck (urlmap routes by prefix), in the type asked.
        healthcheck = path_info.startswith('/healthcheck') and status == 200
        if healthcheck:
            pass
        elif status in (200, 202) and method in ('POST', 'DELETE') and (
                not changed):
            problems.append('%s answered %d without a change'
                            % (method, status))
        elif status == 200 and method in ('GET', 'POST'):
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            if not isinstance(doc, dict) or not (
                    {'interfaceAttachment', 'interfaceAttachments',
                     'versions', 'version'} & set(doc)):
                problems.append('unexpected 200 body %r' % body[:200])
        if status == 202 and body:
            problems.append('202 with a body')

        # oslo.middleware's CORS answers every OPTIONS itself (200, no
        # body), before authentication, whatever the path: it tells nothing.
        cors = method == 'OPTIONS' and status == 200 and not body
        if not (healthcheck or cors):
            problems.extend(self._visibility_problems(fuzz, status, text,
                                                      sent))
        if problems:
            self.reset()
            self.fail('%s -> %d %r\nproblems: %s' % (
                fuzz, status, body[:500], '; '.join(problems)))
        if after != self.initial:
            self.reset()
            self.assertEqual(self.initial, self.dump())

    def _visibility_problems(self, fuzz, status, text, sent):
        """Other projects' servers and resources are invisible."""
        token = fuzz.token if isinstance(fuzz.token, str) else None
        project = _project_of_token(token)
        if not project or token in ('admin-token', 'other-admin-token',
                                    'system-token'):
            return []
        problems = []
        owner = self._server_project(fuzz.path)
        if owner and owner != project and status in (200, 202, 403, 409):
            problems.append('%s got %d on a server of %s'
                            % (token, status, owner))
        for secret in self._foreign.get(project, ()):
            if secret in text and secret not in sent:
                problems.append('%s saw %s' % (token, secret))
        return problems

    def assertNoTokenLogged(self):
        self.assertGreater(self.logs.lines, 0)
        self.assertEqual([], self.logs.found)


class TestFuzzMemory(_FuzzBase):
    """The memory driver behind the keystone pipeline."""

    @examples('any_request_memory')
    @hypothesis.given(fuzz=fuzz_requests.requests())
    def test_any_request(self, fuzz):
        self.run_example(fuzz)

    @examples('attach_bodies_memory')
    @hypothesis.given(fuzz=fuzz_requests.requests(
        methods=st.just('POST'),
        path=st.builds(
            lambda prefix, server: prefix + ['/servers/', server,
                                             '/os-interface'],
            st.one_of(st.just(['/v2.1']), st.just(['/v2.1']),
                      fuzz_requests.PREFIXES),
            fuzz_requests.refs(
                fuzz_requests.OWN_SERVERS + ('OTHER_SERVER',),
                spelled=False)),
        bodies=fuzz_requests.ATTACH_BODIES,
        tokens=st.sampled_from(['member-token', 'member-token',
                                'reader-token', 'admin-token',
                                'other-token', 'system-token'])))
    def test_attach_bodies(self, fuzz):
        self.run_example(fuzz)

    @examples('foreign_project_memory')
    @hypothesis.given(fuzz=fuzz_requests.requests(
        path=st.builds(
            lambda s, p, suffix: ['/v2.1/servers/', s, '/os-interface'] + (
                ['/', p] if p is not None else []) + [suffix],
            fuzz_requests.refs(fuzz_requests.SERVERS),
            st.one_of(st.none(), fuzz_requests.refs(fuzz_requests.PORTS)),
            st.sampled_from(['', '', '', '/', '/..'])),
        tokens=st.sampled_from(['other-token', 'member-token',
                                'reader-token', 'norole-token'])))
    def test_foreign_project(self, fuzz):
        self.run_example(fuzz)

    def tearDown(self):
        self.assertNoTokenLogged()
        super().tearDown()


class TestFuzzSQL(_FuzzBase):
    """The sql driver (SQLite) behind the keystone pipeline."""

    def make_driver(self):
        conf.CONF.set_override('state_dir', self.tempdir, group='sql')
        drv = sql_driver.SQLDriver(
            conf.CONF, inventory=inventory.load(self.inventory_path))
        self.addCleanup(drv.close)
        return drv

    def dump(self):
        return common.sql_dump(self.driver.inner.db)

    def reset(self):
        common.sql_restore(self.driver.inner.db, self.initial)

    @examples('any_request_sql')
    @hypothesis.given(fuzz=fuzz_requests.requests())
    def test_any_request(self, fuzz):
        self.run_example(fuzz)

    def tearDown(self):
        self.assertNoTokenLogged()
        super().tearDown()
