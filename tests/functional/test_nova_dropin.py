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
"""The os_interface filter inside real Nova APIs, as the README installs it.

Nova (from PyPI, ``tests/services/requirements/nova.txt``) on SQLite cells,
under gunicorn, with Nova's own ``api-paste.ini`` changed as the README
says (:mod:`tests.services.nova`). Nova's ``nova.conf`` sets
``enforce_new_defaults = False`` and a ``policy.yaml`` beside it lets only
admins list interfaces. The APIs, one per configuration under test, start
together before the first test class of a process runs (outside the
per-test timeout), and serve every test of this process (``.stestr.conf``
keeps this module in one worker).
"""

import os
import re
import urllib.error
import urllib.request

from oslo_serialization import jsonutils
from oslo_utils import uuidutils
from oslotest import base
import yaml

from nova_attach_ifaces.api import dropin
from tests.functional import fixtures as api_fixtures
from tests.services import nova

IDS = {name: uuidutils.generate_uuid() for name in api_fixtures.ID_NAMES}
for _name in ('PROJECT', 'OTHER_PROJECT', 'LONELY_PROJECT'):
    IDS[_name] = uuidutils.generate_uuid(dashed=False)

NOVA_POLICY_CONF = """
[oslo_policy]
enforce_new_defaults = False
policy_file = policy.yaml
"""
NOVA_POLICY = '"os_compute_api:os-attach-interfaces:list": "role:admin"\n'
OUR_POLICY = '"os_compute_api:os-attach-interfaces:list": "@"\n'
SQL = """
[compute]
driver = sql
[sql]
state_dir = %(dir)s/nai
inventory_file = %(dir)s/inventory.yaml
"""
MEMORY = """
[compute]
driver = memory
[memory]
inventory_file = %(dir)s/inventory.yaml
"""
OURS_WINS = MEMORY + """
[oslo_policy]
policy_file = %(dir)s/our-policy.yaml
enforce_new_defaults = True
"""
CONFIG_FILE = {'config_file': '%(dir)s/nai.conf'}


def _files(config=None):
    # The inventory has no "%", which NovaAPI fills in.
    inventory = yaml.safe_dump(api_fixtures.build_inventory(IDS))
    files = {'inventory.yaml': inventory, 'policy.yaml': NOVA_POLICY,
             'our-policy.yaml': OUR_POLICY}
    if config:
        files['nai.conf'] = config
    return files


#: name -> the NovaAPI arguments of each configuration under test.
CONFIGURATIONS = {
    # The README's recipe: the sql driver, several workers.
    'sql': dict(workers=2, os_interface=CONFIG_FILE, files=_files(SQL),
                nova_conf=NOVA_POLICY_CONF),
    'ours_wins': dict(workers=1, os_interface=CONFIG_FILE,
                      files=_files(OURS_WINS), nova_conf=NOVA_POLICY_CONF),
    'memory_workers': dict(workers=2, os_interface=CONFIG_FILE,
                           files=_files(MEMORY)),
    'missing_config': dict(os_interface={
        'config_file': '%(dir)s/missing.conf'}),
    'no_config': dict(os_interface={}),
}
_APIS = {}
_FAILED = []


def start_apis():
    """Start the APIs of every configuration together, once per process.

    Called from ``setUpClass``, outside any test's ``OS_TEST_TIMEOUT``:
    seven gunicorn workers importing Nova at once can take minutes on a
    busy two-CPU machine, and each API's start is already bounded by its
    own deadline (``nova.START_TIMEOUT``). A failure is kept and raised
    by every test that needs the APIs.
    """
    if _APIS or _FAILED or nova.venv() is None:
        return
    names = [name for name in CONFIGURATIONS
             if name != 'no_config' or _default_config_absent()]
    started = {name: nova.NovaAPI(nova.venv(), **CONFIGURATIONS[name])
               for name in names}
    try:
        for api in started.values():
            api.start()
        for api in started.values():
            api.wait()
    except Exception as e:
        _FAILED.append(e)
        for api in started.values():
            api.stop()
        return
    _APIS.update(started)


def apis(testcase):
    """The running APIs; skip (fail under CI=true) without Nova."""
    nova.require(testcase)
    if _FAILED:
        raise _FAILED[0]
    return _APIS


def _default_config_absent():
    return not os.path.exists(dropin.DEFAULT_CONFIG_FILE)


def token(roles='member,reader', project='PROJECT', user='alice'):
    return '%s:%s:%s' % (user, IDS[project], roles)


class NovaTestCase(base.BaseTestCase):

    #: Which configuration's API the tests talk to.
    configuration = 'sql'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_apis()

    def setUp(self):
        super().setUp()
        self.api = apis(self)[self.configuration]

    def call(self, path, method='GET', body=None, roles='member,reader',
             version=None):
        """(status, JSON body or None, headers) of a request to the API."""
        headers = {'X-Auth-Token': token(roles)}
        data = None
        if body is not None:
            data = jsonutils.dump_as_bytes(body)
            headers['Content-Type'] = 'application/json'
        if version:
            headers['OpenStack-API-Version'] = 'compute ' + version
        request = urllib.request.Request(self.api.url + path, data=data,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw, answer = (response.status, response.read(),
                                       response.headers)
        except urllib.error.HTTPError as e:
            status, raw, answer = e.code, e.read(), e.headers
        return status, jsonutils.loads(raw) if raw else None, answer

    def url(self, server='SERVER', port=None):
        server_id = IDS.get(server, server)
        url = '/v2.1/servers/%s/os-interface' % server_id
        return url + '/' + IDS[port] if port else url

    def access_line(self, headers):
        """Nova's request log line of the request that got ``headers``."""
        request_id = headers['X-OpenStack-Request-Id']
        lines = [line for line in self.api.log().splitlines()
                 if 'nova.api.openstack.requestlog' in line and
                 request_id in line]
        self.assertEqual(1, len(lines), request_id)
        return lines[0]

    def assertNovaAnswered(self, headers, message):
        # Nova logs every fault its controllers raise; ours are not.
        request_id = headers['X-OpenStack-Request-Id']
        self.assertTrue(any(
            request_id in line and 'HTTP exception thrown: ' + message in line
            for line in self.api.log().splitlines()), message)

    def error_lines(self):
        return [line for line in self.api.log().splitlines()
                if ' ERROR nova_attach_ifaces' in line]


class TestInNova(NovaTestCase):
    """The README's recipe: sql driver, two workers, Nova's policy."""

    def test_nova_policy_file_applies(self):
        status, body, _headers = self.call(self.url())
        self.assertEqual(403, status)
        self.assertEqual("Policy doesn't allow os_compute_api:"
                         "os-attach-interfaces:list to be performed.",
                         body['forbidden']['message'])
        status, body, _headers = self.call(self.url(), roles='admin')
        self.assertEqual(200, status)
        self.assertEqual([IDS['PORT1']], [
            a['port_id'] for a in body['interfaceAttachments']])

    def test_nova_enforce_new_defaults_applies(self):
        # Nova's enforce_new_defaults = False: the deprecated
        # admin_or_owner rule lets a project member without a role show.
        status, body, _headers = self.call(self.url(port='PORT1'), roles='')
        self.assertEqual(200, status)
        self.assertEqual(IDS['PORT1'],
                         body['interfaceAttachment']['port_id'])

    def test_attach_and_detach_our_server(self):
        status, body, _headers = self.call(
            self.url(), method='POST',
            body={'interfaceAttachment': {'port_id': IDS['PORT2']}})
        self.assertEqual(200, status)
        self.assertEqual(IDS['PORT2'],
                         body['interfaceAttachment']['port_id'])
        # Any worker sees it: the state is in the database.
        for _attempt in range(4):
            status, body, _headers = self.call(self.url(port='PORT2'))
            self.assertEqual(200, status)
        status, body, _headers = self.call(self.url(port='PORT2'),
                                           method='DELETE')
        self.assertEqual(202, status)
        status, body, _headers = self.call(self.url(port='PORT2'))
        self.assertEqual(404, status)

    def test_nova_keeps_its_own_servers(self):
        server = uuidutils.generate_uuid()
        self.api.add_server(server, IDS['PROJECT'], 'alice')
        for method, path in (('POST', self.url(server)),
                             ('DELETE', self.url(server, 'PORT1'))):
            body = ({'interfaceAttachment': {'port_id': IDS['PORT2']}}
                    if method == 'POST' else None)
            status, answer, headers = self.call(path, method=method,
                                                body=body)
            self.assertEqual(409, status, method)
            message = 'Instance %s is locked' % server
            self.assertEqual(message,
                             answer['conflictingRequest']['message'])
            self.assertNovaAnswered(headers, message)

    def test_nobodys_server_is_novas_404(self):
        server = uuidutils.generate_uuid()
        status, body, headers = self.call(self.url(server))
        self.assertEqual(404, status)
        message = 'Instance %s could not be found.' % server
        self.assertEqual(message, body['itemNotFound']['message'])
        self.assertNovaAnswered(headers, message)

    def test_other_routes_pass_through(self):
        status, body, _headers = self.call('/v2.1/flavors')
        self.assertEqual(200, status)
        self.assertEqual({'flavors': []}, body)
        status, body, _headers = self.call('/')
        self.assertEqual(200, status)
        self.assertIn('versions', body)

    def test_access_line_shows_our_microversion(self):
        status, _body, headers = self.call(self.url(), roles='admin',
                                           version='2.70')
        self.assertEqual(200, status)
        self.assertEqual('compute 2.70', headers['OpenStack-API-Version'])
        self.assertIn(' status: 200 ', self.access_line(headers))
        self.assertIn(' microversion: 2.70 ', self.access_line(headers))
        # One request id, Nova's, under each of Nova's two header names.
        self.assertEqual(1, len(headers.get_all('X-OpenStack-Request-Id')))
        self.assertEqual(headers.get_all('X-OpenStack-Request-Id'),
                         headers.get_all('X-Compute-Request-Id'))
        # A version we refuse: none, as Nova logs its own refusals.
        status, _body, headers = self.call(self.url(), version='9.0')
        self.assertEqual(406, status)
        self.assertIn(' microversion: - ', self.access_line(headers))

    def test_policy_settings_logged_at_start(self):
        self.assertIn("[oslo_policy] from the host's configuration: "
                      'enforce_new_defaults=False', self.api.log())
        self.assertIn('policy_file=%s/policy.yaml' % self.api.dir,
                      self.api.log())
        self.assertEqual([], self.error_lines())


class TestOurPolicyWins(NovaTestCase):
    """Our [oslo_policy] policy_file and enforce_new_defaults win."""

    configuration = 'ours_wins'

    def test_our_policy_file_wins(self):
        # Nova's file says admins only; ours says anyone.
        status, body, _headers = self.call(self.url(), roles='')
        self.assertEqual(200, status)
        self.assertEqual([IDS['PORT1']], [
            a['port_id'] for a in body['interfaceAttachments']])

    def test_our_enforce_new_defaults_wins(self):
        status, _body, _headers = self.call(self.url(port='PORT1'),
                                            roles='')
        self.assertEqual(403, status)
        status, _body, _headers = self.call(self.url(port='PORT1'),
                                            roles='reader')
        self.assertEqual(200, status)

    def test_memory_served_by_one_process(self):
        self.assertIn('driver = memory keeps its state in this process',
                      self.api.log())
        self.assertIn('set in ours: enforce_new_defaults, policy_file',
                      self.api.log())
        self.assertEqual([], self.error_lines())


class FailingSafeTestCase(NovaTestCase):
    """No usable configuration: one ERROR line; Nova answers everything."""

    def assertNovaServesAll(self):
        status, body, headers = self.call(self.url())
        self.assertEqual(404, status)
        message = 'Instance %s could not be found.' % IDS['SERVER']
        self.assertEqual(message, body['itemNotFound']['message'])
        self.assertNovaAnswered(headers, message)
        status, _body, _headers = self.call('/v2.1/flavors')
        self.assertEqual(200, status)


class TestMissingConfigFile(FailingSafeTestCase):

    configuration = 'missing_config'

    def test_one_error_line_and_nova_serves(self):
        self.assertNovaServesAll()
        errors = self.error_lines()
        self.assertEqual(1, len(errors), errors)
        self.assertIn('os_interface filter: config_file %s/missing.conf does '
                      'not exist; not serving os-interface' % self.api.dir,
                      errors[0])


class TestNoConfig(FailingSafeTestCase):

    configuration = 'no_config'

    def setUp(self):
        if not _default_config_absent():
            self.skipTest('%s exists on this machine'
                          % dropin.DEFAULT_CONFIG_FILE)
        super().setUp()

    def test_one_error_line_and_nova_serves(self):
        self.assertNovaServesAll()
        errors = self.error_lines()
        self.assertEqual(1, len(errors), errors)
        self.assertIn('os_interface filter: no config_file set and %s does '
                      'not exist; not serving os-interface'
                      % dropin.DEFAULT_CONFIG_FILE, errors[0])


class TestMemoryWithWorkers(FailingSafeTestCase):

    configuration = 'memory_workers'

    def test_refused(self):
        self.assertNovaServesAll()
        errors = self.error_lines()
        # Each worker refuses at its first os-interface request.
        self.assertIn(len(errors), (1, 2), errors)
        for line in errors:
            self.assertTrue(re.search(
                r'driver = memory keeps its state in one process, and this '
                r'compute API runs in several; not serving os-interface',
                line), line)
