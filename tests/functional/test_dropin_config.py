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
"""The drop-in filter's configuration: the host's policy, failing safe.

The stand-in compute API of :mod:`tests.functional.test_dropin`; the host's
configuration is oslo.config's global ``CONF``, parsed here as the host
process would parse it. ``tests/functional/test_nova_dropin.py`` checks
the same inside a real Nova API.
"""

import logging
import os

import fixtures
from oslo_config import cfg
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
from paste import deploy
import webob

from nova_attach_ifaces.api import dropin
from nova_attach_ifaces import conf
from tests.functional import test_dropin

HOST_CONF = """
[oslo_policy]
enforce_new_defaults = False
policy_file = host-policy.yaml
"""
# Only admins may list (overriding the default reader rule).
HOST_POLICY = '"os_compute_api:os-attach-interfaces:list": "role:admin"\n'
# Anyone may list.
OUR_POLICY = '"os_compute_api:os-attach-interfaces:list": "@"\n'


class FilterTestCase(test_dropin.DropInTestCase):

    def setUp(self):
        super().setUp()
        self.logs = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces', level=logging.INFO,
            format='%(levelname)s %(message)s'))

    def identity(self, roles='member,reader'):
        return {'X-Test-User': 'alice', 'X-Test-Project': self.ids['PROJECT'],
                'X-Test-Roles': roles}

    def status(self, port=None, roles='member,reader'):
        return self.request(self.url(port=port),
                            headers=self.identity(roles)).status_int

    def error_lines(self):
        return [line for line in self.logs.output.splitlines()
                if line.startswith('ERROR')]


class TestHostPolicy(FilterTestCase):
    """The host's [oslo_policy] applies unless our file sets an option."""

    def setUp(self):
        super().setUp()
        host_dir = os.path.join(self.tempdir, 'host')
        os.mkdir(host_dir)
        with open(os.path.join(host_dir, 'host.conf'), 'w') as f:
            f.write(HOST_CONF)
        # Relative in the host's file: found beside the host's file.
        with open(os.path.join(host_dir, 'host-policy.yaml'), 'w') as f:
            f.write(HOST_POLICY)
        cfg.CONF([], project='host', default_config_files=[
            os.path.join(host_dir, 'host.conf')])

    def test_host_policy_applies(self):
        self.load()
        # The host's override: a member may no longer list.
        self.assertEqual(403, self.status())
        self.assertEqual(200, self.status(roles='admin'))
        # The host's enforce_new_defaults = False: the deprecated
        # admin_or_owner rule lets a project member with no role show.
        self.assertEqual(200, self.status(port='PORT1', roles=''))
        self.assertIn('enforce_new_defaults=False', self.logs.output)

    def test_cleared_override_is_not_ours(self):
        # An override set and cleared earlier in the process (a test
        # fixture, a tool) leaves oslo.config reporting set_override as
        # the option's location; the host's values must still apply.
        for name, value in (('policy_file', 'stale.yaml'),
                            ('enforce_new_defaults', True)):
            conf.CONF.set_override(name, value, group='oslo_policy')
            conf.CONF.clear_override(name, group='oslo_policy')
        conf.CONF.reset()
        self.load()
        self.assertEqual(403, self.status())
        self.assertEqual(200, self.status(port='PORT1', roles=''))

    def test_ours_wins_when_set(self):
        our_policy = os.path.join(self.tempdir, 'our-policy.yaml')
        with open(our_policy, 'w') as f:
            f.write(OUR_POLICY)
        with open(self.config_file, 'a') as f:
            f.write('[oslo_policy]\npolicy_file = %s\n'
                    'enforce_new_defaults = True\n' % our_policy)
        self.load()
        self.assertEqual(200, self.status(roles=''))
        # New defaults only: a member with no role may not show.
        self.assertEqual(403, self.status(port='PORT1', roles=''))
        self.assertEqual(200, self.status(port='PORT1', roles='reader'))


class TestNoHostConfig(FilterTestCase):

    def test_our_policy_alone(self):
        # A host that parsed no configuration: the defaults (and our
        # file) decide.
        self.load()
        self.assertEqual(200, self.status())
        self.assertEqual(403, self.status(port='PORT1', roles=''))


class TestFailingSafe(FilterTestCase):
    """No usable configuration: one ERROR line, every request passes on."""

    def assertPassesEverything(self, *words):
        self.app = deploy.loadapp('config:%s' % self.paste_file,
                                  name='osapi_compute')
        self.downstream = test_dropin.COMPUTE_APIS[self.name]
        for path in (self.url(), self.url(port='PORT1'), '/v2.1/servers'):
            response = self.request(path, headers=self.identity())
            self.assertEqual(299, response.status_int, path)
        self.assertEqual(3, len(self.downstream.requests))
        errors = self.error_lines()
        self.assertEqual(1, len(errors), self.logs.output)
        for word in words:
            self.assertIn(word, errors[0])
        self.assertIn('not serving os-interface', errors[0])

    def test_missing_config_file(self):
        os.unlink(self.config_file)
        self.assertPassesEverything('config_file', self.config_file)

    def test_unparsable_config_file(self):
        with open(self.config_file, 'w') as f:
            f.write('not an ini file\n')
        self.assertPassesEverything('config_file', self.config_file)

    def test_no_config_at_all(self):
        default = os.path.join(self.tempdir, 'absent.conf')
        self.useFixture(fixtures.MockPatchObject(
            dropin, 'DEFAULT_CONFIG_FILE', default))
        with open(self.paste_file) as f:
            paste = f.read()
        with open(self.paste_file, 'w') as f:
            f.write(paste.replace('config_file = %s' % self.config_file, ''))
        self.assertPassesEverything('config_file', default)


class TestSingleProcessDriver(FilterTestCase):
    """``memory`` is refused when the WSGI server runs several processes."""

    def get(self, multiprocess):
        req = webob.Request.blank(self.url(), headers=self.identity())
        req.environ['wsgi.multiprocess'] = multiprocess
        return req.get_response(self.app)

    def test_refused_in_several_processes(self):
        self.load()
        for _attempt in range(2):
            self.assertEqual(299, self.get(True).status_int)
        errors = self.error_lines()
        self.assertEqual(1, len(errors), self.logs.output)
        self.assertIn('driver = memory', errors[0])
        self.assertIn('Use the sql driver', errors[0])
        # Refused for good, even should a request say otherwise.
        self.assertEqual(299, self.get(False).status_int)

    def test_served_in_one_process(self):
        self.load()
        response = self.get(False)
        self.assertEqual(200, response.status_int)
        self.assertIn('interfaceAttachments',
                      jsonutils.loads(response.body))
        self.assertIn('WARNING os_interface filter: [compute] driver = '
                      'memory keeps its state in this process',
                      self.logs.output)
        self.assertEqual([], self.error_lines())


class TestDatabaseDown(FilterTestCase):
    """Our store unreachable: we answer (503), never the compute API."""

    # PostgreSQL on a port nothing listens on: refused at once.
    extra_config = """
[compute]
driver = sql
[database]
connection = postgresql+psycopg2://nobody@127.0.0.1:9/nowhere
"""

    def test_503_not_passed_through(self):
        self.load()
        for path in (self.url(), '/v2.1/servers/%s/os-interface'
                     % uuidutils.generate_uuid()):
            response = self.request(path, headers=self.identity())
            # Whether the server is ours cannot be told: not the compute
            # API's to answer either, as it would 404 our servers.
            self.assertEqual(503, response.status_int, path)
            self.assertIn('serviceUnavailable', jsonutils.loads(response.body))
        self.assertEqual([], self.downstream.requests)
