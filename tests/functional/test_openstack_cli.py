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
"""The real ``openstack`` CLI against the served app.

python-openstackclient runs from its own virtualenv
(``tests/services/requirements/openstackclient.txt``, built by
``tools/test-setup.py``) as a subprocess, in two deployments:

* :class:`TestOpenStackCLI`, with no Keystone: a clouds.yaml like the
  shipped sample (the dev token, the compute endpoint and the Neutron view
  of the sql store);
* :class:`TestOpenStackCLIKeystone`, as a cloud runs it: the CLI logs in
  to the real Keystone with a user's password (``OS_AUTH_URL`` ...) and
  finds everything through the catalog: ``compute`` is this service (the
  keystone pipeline, the ``libvirt`` driver on embedded QEMU, the
  ``neutron`` network backend), ``network`` the real Neutron.

Either way it looks the server up through the servers routes and the port
or network through Neutron (or the view), then calls os-interface.
"""

import os
import subprocess
import tempfile

from oslo_serialization import jsonutils
from oslotest import base
import yaml

from tests.functional import fixtures
from tests.functional import neutron_fixtures
from tests.functional import server as server_fixture
from tests.services import keystone as ks_service
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


class TestOpenStackCLIKeystone(neutron_fixtures.NeutronAPITestCase):
    """The CLI as a cloud's user runs it (see the module docstring)."""

    def setUp(self):
        self.openstack = openstack_cli(self)
        super().setUp()
        self.served = self.useFixture(server_fixture.ServerFixture(self.app))
        # The catalog's compute endpoint is this test's server (the process
        # shares one Keystone; each test of this class sets its own).
        self.keystone.set_endpoint('compute', self.served.url + '/v2.1')
        self.home = tempfile.mkdtemp(prefix='nai-osc-')
        self.addCleanup(subprocess.run, ['rm', '-rf', self.home])
        self.server = self.define()
        self.server_name = self.qemu.dom(self.server).name()

    def osc(self, *args, expect_rc=0):
        """``openstack ARGS`` as ``demo-member``, logged in with its
        password; (stdout, stderr).
        """
        return run_osc(self, args, {
            'OS_AUTH_TYPE': 'password',
            'OS_AUTH_URL': self.keystone.url,
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': 'demo-member',
            'OS_PASSWORD': self.keystone.password,
            'OS_PROJECT_NAME': 'demo',
            'OS_USER_DOMAIN_ID': 'default',
            'OS_PROJECT_DOMAIN_ID': 'default',
            'OS_REGION_NAME': ks_service.REGION,
            'OS_INTERFACE': 'public',
        }, expect_rc)

    def interfaces(self):
        """{port id: port_state} of the server as openstacksdk sees it,
        through the catalog (the CLI's own library, over HTTP).
        """
        compute = self.sdk('demo-member', 'demo').compute
        return {iface.port_id: iface.port_state
                for iface in compute.server_interfaces(self.server)}

    def assertBound(self, port_id):
        seen = self.neutron_port(port_id)
        self.assertEqual(
            (self.server, 'compute:nova', neutron_fixtures.HOST),
            (seen.device_id, seen.device_owner, seen.binding_host_id))
        self.assertEqual({port_id: seen.mac_address}, self.nics(self.server))
        return seen

    def test_add_port_by_server_name_and_remove_it(self):
        port = self.make_port(self.make_network())
        self.osc('server', 'add', 'port', self.server_name, port.id)
        self.assertEqual({port.id: 'ACTIVE'}, self.interfaces())
        self.assertBound(port.id)

        self.osc('server', 'remove', 'port', self.server, port.id)
        self.assertEqual({}, self.interfaces())
        self.assertEqual({}, self.nics(self.server))
        # The user's port stays, unbound.
        seen = self.neutron_port(port.id)
        self.assertEqual(('', '', ''), (seen.device_id, seen.device_owner,
                                        seen.binding_host_id or ''))

    def test_add_network_by_name_then_remove_its_port(self):
        net = self.make_network()
        self.osc('server', 'add', 'network', self.server, net.name)
        listed = self.interfaces()
        self.assertEqual(['ACTIVE'], list(listed.values()))
        port_id, = listed
        self.assertEqual(net.id, self.assertBound(port_id).network_id)

        self.osc('server', 'remove', 'port', self.server, port_id)
        self.assertEqual({}, self.interfaces())
        self.assertEqual({}, self.nics(self.server))
        # The port the attach created is deleted.
        self.assertIsNone(self.neutron_port(port_id))

    def test_port_bound_elsewhere_is_refused(self):
        port = self.make_port(self.make_network())
        other = self.define()
        self.osc('server', 'add', 'port', other, port.id)
        _out, err = self.osc('server', 'add', 'port', self.server, port.id,
                             expect_rc=1)
        self.assertEqual(
            'ConflictException: 409: Client Error for url: %s/v2.1/servers/'
            '%s/os-interface, Port %s is still in use.'
            % (self.served.url, self.server, port.id), err.strip())
        self.assertEqual({}, self.interfaces())
        self.assertEqual({}, self.nics(self.server))
        self.assertEqual(other, self.neutron_port(port.id).device_id)
