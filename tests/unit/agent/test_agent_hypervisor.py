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
"""The API side of the agents on a real RabbitMQ: each server's calls go
to the host the host map names, the answers and errors come back as the
hypervisor gave them, and a host that is away is a 503 naming it.
"""

import fixtures
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
import oslo_messaging
from oslotest import base

from nova_attach_ifaces.agent import driver as agent_driver
from nova_attach_ifaces.agent import hostmap
from nova_attach_ifaces.agent import manager
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces import rpc
from tests.services import rabbitmq
from tests.unit.agent import hypervisors
from tests.unit import sql_backends

S1 = '5e000000-0000-4000-8000-0000000000a1'
S2 = '5e000000-0000-4000-8000-0000000000b1'
S3 = '5e000000-0000-4000-8000-0000000000b2'
PORT = '8c2d6a4e-1b7f-4e9a-a0c3-5f1e2d3c00a1'
MAC = 'fa:16:3e:00:00:a1'


class TestAgentHypervisor(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        state = self.useFixture(fixtures.TempDir()).path
        self.conf = sql_backends.make_conf(state_dir=state)
        self.config = self.useFixture(config_fixture.Config(self.conf))
        rabbitmq.BROKER.configure(self, self.conf)
        self.config.config(rpc_response_timeout=2)
        self.transport = rpc.get_rpc_transport(self.conf)
        self.addCleanup(self.transport.cleanup)
        self.map = hostmap.HostMap(self.conf)
        self.addCleanup(self.map.close)
        self.map.prepare()
        self.hosts = {
            'host-a': hypervisors.MemoryHypervisor(
                self.conf, [driver.Server(S1, 'pa', name='one')]),
            'host-b': hypervisors.MemoryHypervisor(
                self.conf, [driver.Server(S2, 'pb'),
                            driver.Server(S3, 'pa', vm_state='stopped')]),
        }
        self.agents = agent_driver.AgentHypervisor(
            self.conf, hostmap=self.map,
            agents=agent_driver.rpcapi.AgentAPI(self.conf, self.transport))

    def serve(self, host):
        hyp = self.hosts[host]
        self.map.report(host, [server.id for server in hyp.list_servers()])
        target = oslo_messaging.Target(topic=rpc.TOPIC, server=host)
        server = oslo_messaging.get_rpc_server(
            self.transport, target, [manager.AgentManager(host, hyp)],
            executor='threading', serializer=rpc.Serializer())
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)

    def test_calls_go_to_the_servers_host(self):
        self.serve('host-a')
        self.serve('host-b')
        self.assertEqual('host-a', self.agents.server_host(S1))
        self.assertEqual(driver.Server(S1, 'pa', name='one'),
                         self.agents.get_server(S1))
        nic = self.agents.plug(S2, PORT, MAC, vif_type='bridge',
                               vif_details={'bridge_name': 'br-x'},
                               tag='t', created=True)
        self.assertEqual(hypervisor.Nic(PORT, MAC, 't', True), nic)
        # Plugged on host-b, where S2 is, and nowhere else.
        self.assertEqual([nic], self.hosts['host-b'].nics[S2])
        self.assertEqual([], self.hosts['host-a'].nics[S1])
        self.assertEqual([nic], self.agents.list_nics(S2))
        server, nics = self.agents.get_server_nics(S2)
        self.assertEqual((S2, [nic]), (server.id, list(nics)))
        self.assertEqual(nic, self.agents.unplug(S2, PORT, MAC))
        self.assertEqual([], self.agents.list_nics(S2))
        self.agents.set_locked(S3, True)
        self.assertTrue(self.agents.get_server(S3).locked)

    def test_list_servers_of_every_host(self):
        self.serve('host-a')
        self.serve('host-b')
        self.assertEqual({S1, S2, S3},
                         {s.id for s in self.agents.list_servers()})
        self.assertEqual({S1, S3},
                         {s.id for s in self.agents.list_servers('pa')})

    def test_list_servers_leaves_out_a_host_that_is_away(self):
        self.serve('host-a')
        self.map.report('host-b', [S2, S3])
        self.assertEqual([S1], [s.id for s in self.agents.list_servers()])

    def test_domain_errors_come_back_as_themselves(self):
        self.serve('host-a')
        e = self.assertRaises(exception.InterfaceNotAttached,
                              self.agents.unplug, S1, PORT, MAC)
        self.assertEqual(404, e.code)
        # The host map still names the host of a server just undefined.
        self.hosts['host-a'].undefine(S1)
        self.assertRaises(exception.ServerNotFound, self.agents.get_server,
                          S1)

    def test_unknown_server_is_not_found(self):
        self.serve('host-a')
        self.assertRaises(exception.ServerNotFound, self.agents.get_server,
                          S2)

    def test_same_server_on_two_hosts_is_a_conflict(self):
        self.serve('host-a')
        self.map.report('host-b', [S1])
        e = self.assertRaises(exception.ServerHostAmbiguous,
                              self.agents.plug, S1, PORT, MAC)
        self.assertEqual(409, e.code)
        self.assertIn('host-a, host-b', e.format_message())
        self.assertEqual([], self.hosts['host-a'].nics[S1])

    def test_host_away_is_503_naming_it(self):
        self.map.report('host-b', [S2])
        e = self.assertRaises(exception.ComputeHostUnavailable,
                              self.agents.plug, S2, PORT, MAC)
        self.assertEqual(503, e.code)
        self.assertIn('host-b', e.format_message())

    def test_the_callers_request_id_travels_without_its_token(self):
        seen = []

        class Recorder(manager.AgentManager):
            def get_server(self, context, server_id):
                seen.append(context)
                return super().get_server(context, server_id)

        self.map.report('host-a', [S1])
        target = oslo_messaging.Target(topic=rpc.TOPIC, server='host-a')
        server = oslo_messaging.get_rpc_server(
            self.transport, target,
            [Recorder('host-a', self.hosts['host-a'])],
            executor='threading', serializer=rpc.Serializer())
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        caller = oslo_context.RequestContext(
            user_id='alice', project_id='pa', auth_token='secret')
        self.agents.get_server(S1)
        self.assertEqual(caller.request_id, seen[0].request_id)
        self.assertEqual('alice', seen[0].user_id)
        self.assertIsNone(seen[0].auth_token)
