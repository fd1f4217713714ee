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
"""The real ``openstack`` CLI against the served app, with no Keystone.

python-openstackclient runs from its own virtualenv
(``tests/services/requirements/openstackclient.txt``, built by
``tools/test-setup.py``) as a subprocess, configured by a clouds.yaml like
the shipped sample: the dev token, the compute endpoint and the Neutron
view of the sql store. It looks servers up through the servers routes and
ports and networks through the Neutron view, then calls os-interface.
The same CLI against a keystone deployment with a real Neutron is in
``test_neutron_openstack_cli.py`` (named so that it runs in the worker
of the other tests on the real Keystone and Neutron).
"""

import os
import subprocess
import tempfile

from oslo_serialization import jsonutils
from oslotest import base
import yaml

from tests.functional import fixtures
from tests.functional import server as server_fixture
from tests.services import venvs
from tests.unit import sql_backends

# A CLI run (Python start-up, discovery, the calls) takes a second or two.
TIMEOUT = 120

# Found at import: the test base gives each test a temporary HOME, where
# the cache of virtualenvs is not.
VENV = venvs.ready('openstackclient')


def openstack_cli(testcase):
    """The ``openstack`` script of the CLI's virtualenv (or skip)."""
    if VENV is None:
        sql_backends.skip_or_fail(
            testcase, venvs.missing_message('openstackclient'))
    return os.path.join(VENV, 'bin', 'openstack')


def run_osc(testcase, args, environ, expect_rc=0):
    """Run ``openstack ARGS`` in ``testcase.home`` with only ``environ``
    (and PATH, HOME); (stdout, stderr).
    """
    environ = dict(environ, PATH=os.environ.get('PATH', '/usr/bin:/bin'),
                   HOME=testcase.home)
    result = subprocess.run(
        [testcase.openstack] + list(args), cwd=testcase.home, env=environ,
        capture_output=True, text=True, timeout=TIMEOUT)
    testcase.assertEqual(expect_rc, result.returncode,
                         'openstack %s:\n%s%s' % (' '.join(args),
                                                  result.stdout,
                                                  result.stderr))
    return result.stdout, result.stderr


class TestOpenStackCLI(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.openstack = openstack_cli(self)

        self.env = fixtures.APIEnvironment(driver='sql')
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.ids = self.env.ids
        self.app = self.env.application()
        self.server = self.useFixture(server_fixture.ServerFixture(self.app))

        self.home = tempfile.mkdtemp(prefix='nai-osc-')
        self.addCleanup(subprocess.run, ['rm', '-rf', self.home])
        clouds = {'clouds': {'test': {
            'auth_type': 'admin_token',
            'auth': {'endpoint': self.server.url + '/v2.1',
                     'token': 'user:%s' % self.ids['PROJECT']},
            'compute_endpoint_override': self.server.url + '/v2.1',
            'network_endpoint_override': self.server.url + '/networking',
            'compute_api_version': '2.70',
        }}}
        self.clouds_file = os.path.join(self.home, 'clouds.yaml')
        with open(self.clouds_file, 'w') as f:
            yaml.safe_dump(clouds, f)

    def osc(self, *args, expect_rc=0):
        """Run ``openstack --os-cloud test ARGS``; (stdout, stderr)."""
        return run_osc(self, ['--os-cloud', 'test'] + list(args),
                       {'OS_CLIENT_CONFIG_FILE': self.clouds_file},
                       expect_rc)

    def interfaces(self, server):
        response = fixtures.json_request(
            self.app, '/v2.1/servers/%s/os-interface' % server,
            headers={'X-Auth-Token': 'user:%s' % self.ids['PROJECT'],
                     'OpenStack-API-Version': 'compute 2.70'})
        return {att['port_id']: att for att in
                jsonutils.loads(response.body)['interfaceAttachments']}

    def test_add_port_by_name_and_remove_it(self):
        ids = self.ids
        self.osc('server', 'add', 'port', 'stopped_server', ids['PORT2'])
        self.assertEqual([ids['PORT2']],
                         list(self.interfaces(ids['STOPPED_SERVER'])))

        out, _err = self.osc('port', 'list', '--server', 'stopped_server',
                             '-f', 'json')
        ports = jsonutils.loads(out)
        self.assertEqual([ids['PORT2']], [p['ID'] for p in ports])
        self.assertEqual('ACTIVE', ports[0]['Status'])

        self.osc('server', 'remove', 'port', ids['STOPPED_SERVER'],
                 ids['PORT2'])
        self.assertEqual({}, self.interfaces(ids['STOPPED_SERVER']))

    def test_add_port_with_a_tag(self):
        ids = self.ids
        self.osc('--os-compute-api-version', '2.49', 'server', 'add', 'port',
                 '--tag', 'nic1', ids['STOPPED_SERVER'], ids['PORT2'])
        self.assertEqual(
            'nic1', self.interfaces(ids['STOPPED_SERVER'])[ids['PORT2']]
            ['tag'])

    def test_add_network_fixed_ip_and_remove_network(self):
        ids = self.ids
        self.osc('server', 'add', 'network', 'stopped_server', 'net2')
        out, _err = self.osc(
            'server', 'add', 'fixed', 'ip', '--fixed-ip-address',
            '10.1.0.77', 'stopped_server', 'net2', '-f', 'json')
        shown = jsonutils.loads(out)
        self.assertEqual(ids['NET2'], shown['Network ID'])
        addresses = sorted(
            ip['ip_address'] for att in
            self.interfaces(ids['STOPPED_SERVER']).values()
            for ip in att['fixed_ips'])
        self.assertEqual(['10.1.0.2', '10.1.0.77'], addresses)

        out, _err = self.osc('server', 'show', 'stopped_server',
                             '-f', 'json')
        server = jsonutils.loads(out)
        self.assertEqual('SHUTOFF', server['status'])
        self.assertEqual({'net2': ['10.1.0.2', '10.1.0.77']},
                         {k: sorted(v) for k, v in
                          server['addresses'].items()})

        self.osc('server', 'remove', 'network', 'stopped_server', 'net2')
        self.assertEqual({}, self.interfaces(ids['STOPPED_SERVER']))

    def test_errors_print_what_they_print_for_nova(self):
        ids = self.ids
        # Another project's server does not exist for this caller.
        _out, err = self.osc('server', 'add', 'port', ids['OTHER_SERVER'],
                             ids['PORT2'], expect_rc=1)
        self.assertEqual('No Server found for %s' % ids['OTHER_SERVER'],
                         err.strip())
        # PORT1 is attached to SERVER already.
        _out, err = self.osc('server', 'add', 'port', 'stopped_server',
                             ids['PORT1'], expect_rc=1)
        self.assertEqual(
            'ConflictException: 409: Client Error for url: %s/v2.1/servers/'
            '%s/os-interface, Port %s is still in use.'
            % (self.server.url, ids['STOPPED_SERVER'], ids['PORT1']),
            err.strip())
        # Another project's port is not found.
        _out, err = self.osc('server', 'add', 'port', 'stopped_server',
                             ids['OTHER_PORT'], expect_rc=1)
        self.assertIn(ids['OTHER_PORT'], err)
        self.assertEqual({}, self.interfaces(ids['STOPPED_SERVER']))
