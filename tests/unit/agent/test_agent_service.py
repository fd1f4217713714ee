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
"""The agent service on a real RabbitMQ and a host map on SQLite: what it
reports at start and on server events, that it serves its host's calls,
and what it puts right after a crash in the middle of an attach.
"""

import time

import fixtures
from oslo_config import fixture as config_fixture
from oslotest import base

from nova_attach_ifaces.agent import driver as agent_driver
from nova_attach_ifaces.agent import hostmap
from nova_attach_ifaces.agent import rpcapi
from nova_attach_ifaces.agent import service
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces.network import backend
from nova_attach_ifaces import rpc
from tests.services import rabbitmq
from tests.unit.agent import hypervisors
from tests.unit import sql_backends

S1 = '5e000000-0000-4000-8000-0000000000c1'
S2 = '5e000000-0000-4000-8000-0000000000c2'
NET = '3b0a5e36-8f0a-4f0c-9d3b-2c6f2a1e00c1'


def port(n, device_id='', host=''):
    return backend.Port(
        id='8c2d6a4e-1b7f-4e9a-a0c3-5f1e2d3c00c%d' % n, network_id=NET,
        project_id='p', mac_address='fa:16:3e:00:00:c%d' % n,
        device_id=device_id, binding_host_id=host,
        device_owner=backend.DEVICE_OWNER if device_id else '')


# Kept (bound) / unplugged (port gone) / unplugged (port bound elsewhere) /
# released (bound, no NIC) / left alone (bound, with its NIC).
ADOPT, GONE, ELSEWHERE = port(1), port(2), port(3, S2)
ORPHAN, FINE = port(4, S1, 'host-a'), port(5, S1, 'host-a')


class TestAgentService(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        state = self.useFixture(fixtures.TempDir()).path
        self.conf = sql_backends.make_conf(state_dir=state)
        self.config = self.useFixture(config_fixture.Config(self.conf))
        rabbitmq.BROKER.configure(self, self.conf)
        self.config.config(host='host-a', rpc_response_timeout=1)
        # Only start-up and events report: the periodic one must not hide
        # a missing event.
        self.config.config(group='compute_agent', report_interval=3600)
        self.hyp = hypervisors.MemoryHypervisor(
            self.conf, [driver.Server(S1, 'p'), driver.Server(S2, 'p')])
        self.backend = hypervisors.MemoryBackend(
            self.conf, [ADOPT, ELSEWHERE, ORPHAN, FINE])
        # What a crash mid-attach leaves: a plug whose port was not bound
        # yet (or was released by the caller that gave up), a plug whose
        # port is gone, a plug whose port is another server's.
        for p in (ADOPT, GONE, ELSEWHERE, FINE):
            self.hyp.nics[S1].append(hypervisor.Nic(p.id, p.mac_address))
        self.map = hostmap.HostMap(self.conf)
        self.addCleanup(self.map.close)
        self.map.prepare()
        self.map.report('host-a', [S2, 'gone-server'])

    def start(self):
        agent = service.AgentService(self.conf, self.hyp, self.backend)
        agent.start()
        self.addCleanup(agent.stop)
        return agent

    def api(self):
        transport = rpc.get_rpc_transport(self.conf)
        self.addCleanup(transport.cleanup)
        return agent_driver.AgentHypervisor(
            self.conf, hostmap=self.map,
            agents=rpcapi.AgentAPI(self.conf, transport))

    def wait_until(self, check, timeout=30):
        deadline = time.monotonic() + timeout
        while not check() and time.monotonic() < deadline:
            time.sleep(0.1)
        return check()

    def test_reports_at_start_and_on_events(self):
        self.start()
        self.assertEqual(sorted([S1, S2]), self.map.servers_of('host-a'))
        api = self.api()
        self.assertEqual(S1, api.get_server(S1).id)
        new = '5e000000-0000-4000-8000-0000000000c3'
        self.hyp.define(new)
        self.assertTrue(self.wait_until(
            lambda: new in self.map.servers_of('host-a')))
        self.assertEqual(new, api.get_server(new).id)
        self.hyp.undefine(new)
        self.assertTrue(self.wait_until(
            lambda: new not in self.map.servers_of('host-a')))

    def test_reconciles_after_a_crash_mid_attach(self):
        self.start()
        # Before serving: the plug that happened is kept and recorded, the
        # NICs no port can stand for are unplugged.
        self.assertEqual((S1, 'host-a'),
                         (self.backend.ports[ADOPT.id].device_id,
                          self.backend.ports[ADOPT.id].binding_host_id))
        self.assertEqual([ADOPT.id, FINE.id],
                         [nic.port_id for nic in self.hyp.nics[S1]])
        self.assertEqual(S2, self.backend.ports[ELSEWHERE.id].device_id)
        # Once the calls sent before the start have expired: the port
        # bound with no NIC is released, the others are left alone.
        self.assertTrue(self.wait_until(
            lambda: not self.backend.ports[ORPHAN.id].device_id))
        self.assertEqual(S1, self.backend.ports[FINE.id].device_id)
        self.assertEqual(S1, self.backend.ports[ADOPT.id].device_id)

    def test_reconciles_while_serving(self):
        # What a reply lost on the message bus leaves, the agent running:
        # the caller of a plug that happened gave up and deleted the
        # port; the caller of an unplug that happened kept the port bound.
        self.config.config(group='compute_agent', report_interval=1)
        self.start()
        self.assertTrue(self.wait_until(
            lambda: not self.backend.ports[ORPHAN.id].device_id))
        lost_plug, lost_unplug = port(6), port(7, S2, 'host-a')
        self.hyp.nics[S2].append(hypervisor.Nic(lost_plug.id,
                                                lost_plug.mac_address))
        self.backend.ports[lost_unplug.id] = lost_unplug
        self.assertTrue(self.wait_until(lambda: not self.hyp.nics[S2]))
        self.assertTrue(self.wait_until(
            lambda: not self.backend.ports[lost_unplug.id].device_id))
        # What was right stays.
        self.assertEqual([ADOPT.id, FINE.id],
                         [nic.port_id for nic in self.hyp.nics[S1]])
        self.assertEqual(S1, self.backend.ports[FINE.id].device_id)

    def test_removes_lost_nics_and_goes_on_when_it_cannot(self):
        lost = port(6)
        self.hyp.lost[S2].append(lost.id)
        # S1's lost NICs cannot be removed: its other NICs are still
        # reconciled.
        self.hyp.lost_fails.add(S1)
        self.start()
        self.assertEqual({}, dict(self.hyp.lost))
        self.assertEqual(S1, self.backend.ports[ADOPT.id].device_id)
        self.assertEqual([ADOPT.id, FINE.id],
                         [nic.port_id for nic in self.hyp.nics[S1]])

    def test_plugs_only_a_port_bound_to_the_server(self):
        self.start()
        api = self.api()
        free, bound = port(8), port(9, S2, 'host-a')
        self.backend.ports.update({free.id: free, bound.id: bound})
        # Unbound by the reconciliation (or never bound): an attach that
        # arrives after its caller gave up plugs nothing.
        self.assertRaises(exception.ComputeHostUnavailable, api.plug, S2,
                          free.id, free.mac_address)
        self.assertEqual([], self.hyp.nics[S2])
        api.plug(S2, bound.id, bound.mac_address)
        self.assertEqual([bound.id],
                         [nic.port_id for nic in self.hyp.nics[S2]])

    def test_same_server_on_another_host_is_logged(self):
        self.map.report('host-b', [S1])
        logs = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.agent.service'))
        self.start()
        self.assertIn('Server %s is on this host and on host-b' % S1,
                      logs.output)
