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
"""The real ``openstack`` CLI against a keystone deployment.

As a cloud's user runs it: python-openstackclient, from its own
virtualenv (see ``test_openstack_cli.py``), logs in to the real Keystone
with a member's password (``OS_AUTH_URL`` ...) and finds everything
through the catalog: ``compute`` is this service as a deployment runs it
(the keystone pipeline, the ``libvirt`` driver on embedded QEMU, the
``neutron`` network backend), served on a loopback port; ``network`` is
the real Neutron. The CLI looks the server up through the servers routes
(by name: a 404, then the detailed list), the port or network in Neutron,
then calls os-interface. Each outcome is checked as a user would: the
interface list as openstacksdk sees it through the catalog, the port in
Neutron and the NICs of the running domain.
"""

import subprocess
import tempfile

from tests.functional import neutron_fixtures
from tests.functional import server as server_fixture
from tests.functional import test_openstack_cli
from tests.services import keystone as ks_service


class TestOpenStackCLIKeystone(neutron_fixtures.NeutronAPITestCase):
    """The CLI as a cloud's user runs it (see the module docstring)."""

    def setUp(self):
        self.openstack = test_openstack_cli.openstack_cli(self)
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
        return test_openstack_cli.run_osc(self, args, {
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
