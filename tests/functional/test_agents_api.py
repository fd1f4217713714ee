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
"""The ``agents`` compute driver through the assembled app.

The app loads ``[compute] driver = agents`` by its entry point, with the
``sql`` network backend on SQLite; an agent service of this process serves
host ``host-a`` over the machine's RabbitMQ with the test suite's
in-memory hypervisor (the three-host tests run real agents on real QEMU).
"""

import os
import uuid

import fixtures as fixtures_lib
from oslo_config import fixture as config_fixture
import testtools
import yaml

from nova_attach_ifaces.agent import driver as agent_driver
from nova_attach_ifaces.agent import reconcile
from nova_attach_ifaces.agent import service
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces.network import sql as sql_backend
from nova_attach_ifaces import wsgi
from tests.functional import fixtures
from tests.services import rabbitmq
from tests.unit.agent import hypervisors
from tests.unit import sql_backends

NET = str(uuid.uuid4())
SUBNET = str(uuid.uuid4())
ADMIN = reconcile.admin_context()


class TestAgentsDriverAPI(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.project = uuid.uuid4().hex
        self.server = str(uuid.uuid4())
        self.useFixture(config_fixture.Config(conf.CONF))
        state = self.useFixture(fixtures_lib.TempDir()).path
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        inventory = os.path.join(state, 'inventory.yaml')
        with open(inventory, 'w') as f:
            yaml.safe_dump({'networks': [
                {'id': NET, 'name': 'net', 'project_id': self.project,
                 'subnets': [{'id': SUBNET, 'cidr': '10.7.0.0/24',
                              'gateway_ip': '10.7.0.1'}]}]}, f)
        rabbitmq.BROKER.configure(self, conf.CONF)
        for group, name, value in (
                (None, 'rpc_response_timeout', 2),
                ('api', 'auth_strategy', 'noauth2'),
                ('compute', 'driver', 'agents'),
                ('network', 'backend', 'sql'),
                ('sql', 'state_dir', state),
                ('sql', 'inventory_file', inventory)):
            conf.CONF.set_override(name, value, group=group)
        drv = loader.load_driver(conf.CONF)
        self.addCleanup(drv.close)
        self.useFixture(fixtures_lib.MonkeyPatch(
            'nova_attach_ifaces.api.router.loader.load_driver',
            lambda _conf: drv))
        self.app = wsgi.load_app(conf.CONF)
        # The agent: another process's configuration, the same store.
        agent_conf = sql_backends.make_conf(state_dir=state)
        rabbitmq.BROKER.configure(self, agent_conf)
        agent_conf.set_override('host', 'host-a')
        agent_conf.set_override('rpc_response_timeout', 2)
        self.hyp = hypervisors.MemoryHypervisor(
            agent_conf, [driver.Server(self.server, self.project)])
        self.ports = sql_backend.SQLBackend(agent_conf)
        agent = service.AgentService(agent_conf, self.hyp, self.ports)
        agent.start()
        self.addCleanup(agent.stop)
        self.driver = drv

    def request(self, server, path='', method='GET', body=None):
        return fixtures.json_request(
            self.app, '/v2.1/servers/%s/os-interface%s' % (server, path),
            method, body,
            headers={'X-Auth-Token': 'alice:%s' % self.project})

    def test_the_entry_point_is_the_agents_driver(self):
        # notifications.wrap() returns the driver itself when none are
        # configured.
        self.assertIsInstance(self.driver, agent_driver.AgentsDriver)

    def test_attach_and_detach_on_the_servers_host(self):
        response = self.request(self.server, method='POST', body={
            'interfaceAttachment': {'net_id': NET}})
        self.assertEqual(200, response.status_int, response.body)
        port_id = response.json['interfaceAttachment']['port_id']
        # Plugged by host-a's agent, bound to host-a.
        self.assertEqual([port_id],
                         [nic.port_id for nic in self.hyp.nics[self.server]])
        port = self.ports.show_port(ADMIN, port_id)
        self.assertEqual((self.server, 'host-a'),
                         (port.device_id, port.binding_host_id))
        listed = self.request(self.server).json['interfaceAttachments']
        self.assertEqual([port_id], [a['port_id'] for a in listed])
        response = self.request(self.server, '/' + port_id, 'DELETE')
        self.assertEqual(202, response.status_int, response.body)
        self.assertEqual([], self.hyp.nics[self.server])
        self.assertEqual([], self.ports.list_ports(ADMIN, self.server))

    def test_a_host_without_agent_is_503_with_nothing_done(self):
        away = str(uuid.uuid4())
        self.driver.hypervisor.hostmap.report('host-b', [away])
        response = self.request(away, method='POST', body={
            'interfaceAttachment': {'net_id': NET}})
        self.assertEqual(503, response.status_int, response.body)
        message = response.json['serviceUnavailable']['message']
        self.assertIn('host-b', message)
        self.assertEqual([], self.ports.list_ports(ADMIN, away))
