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
"""The agents' RPC plumbing on a real RabbitMQ: routing by host, versions
and caps, value objects and domain exceptions across, an agent that is down.
"""

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
import oslo_messaging
from oslotest import base

from nova_attach_ifaces.agent import manager
from nova_attach_ifaces.agent import rpcapi
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces import conf as nai_conf
from nova_attach_ifaces.network import backend
from nova_attach_ifaces import rpc
from tests.services import rabbitmq

PORT = backend.Port(
    id='8c2d6a4e-1b7f-4e9a-a0c3-5f1e2d3c0001',
    network_id='3b0a5e36-8f0a-4f0c-9d3b-2c6f2a1e0001',
    project_id='p', mac_address='fa:16:3e:12:34:01',
    fixed_ips=[driver.FixedIp('10.0.0.10', 's1'),
               driver.FixedIp('fd00::10', 's2')],
    status='ACTIVE', device_id='d', device_owner=backend.DEVICE_OWNER,
    binding_host_id='h1', vif_type='bridge',
    vif_details={'bridge_name': 'br-test'})


class ProbeFailure(Exception):
    """Not a domain exception: its module is not allowed to cross."""


class Probe:
    """An endpoint of this test beside the agent's, at version 1.1."""

    target = oslo_messaging.Target(namespace='probe', version='1.1')

    def __init__(self, host):
        self.host = host

    def echo(self, context, value):
        return {'host': self.host, 'value': value,
                'project_id': context.project_id}

    def refuse(self, context, port_id):
        raise exception.PortNotFound(port_id=port_id)

    def crash(self, context):
        raise ProbeFailure('internal detail')


class TestSerializer(base.BaseTestCase):

    def test_value_objects_round_trip(self):
        server = driver.Server(id='s', project_id='p', locked=True)
        value = {'port': PORT, 'servers': [server], 'n': 3}
        wire = rpc.to_primitive(value)
        # Plain JSON on the wire.
        self.assertEqual('Port', wire['port']['nai_object.name'])
        self.assertEqual(value, rpc.from_primitive(wire))
        self.assertEqual(PORT.vif_details['bridge_name'],
                         rpc.from_primitive(wire)['port'].vif_details[
                             'bridge_name'])

    def test_unregistered_objects_do_not_cross(self):
        import dataclasses

        @dataclasses.dataclass
        class Stranger:
            x: int

        self.assertRaises(TypeError, rpc.to_primitive, Stranger(1))


class TestAgentRPC(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.config = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf = self.config.conf
        nai_conf.register_opts(self.conf)
        self.conf([], project='nova-attach-ifaces', default_config_files=[],
                  default_config_dirs=[])
        rabbitmq.BROKER.configure(self, self.conf)
        self.config.config(rpc_response_timeout=3)
        self.transport = rpc.get_rpc_transport(self.conf)
        self.addCleanup(self.transport.cleanup)
        self.ctx = oslo_context.RequestContext(project_id='proj',
                                               overwrite=False)
        self.api = rpcapi.AgentAPI(self.conf, self.transport)

    def serve(self, host):
        target = oslo_messaging.Target(topic=rpc.TOPIC, server=host)
        server = oslo_messaging.get_rpc_server(
            self.transport, target,
            [manager.AgentManager(host, hypervisor=None), Probe(host)],
            executor='threading', serializer=rpc.Serializer())
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        return server

    def probe(self, host, method, version='1.0', **kwargs):
        cctxt = self.api.client.prepare(server=host, namespace='probe',
                                        version=version)
        return cctxt.call(self.ctx, method, **kwargs)

    def test_each_host_answers_its_own_calls(self):
        self.serve('host-a')
        self.serve('host-b')
        self.assertEqual({'host': 'host-a', 'version': rpcapi.VERSION},
                         self.api.ping(self.ctx, 'host-a'))
        self.assertEqual('host-b', self.api.ping(self.ctx, 'host-b')['host'])
        got = self.probe('host-b', 'echo', value=PORT)
        # The context and the value objects arrive as themselves.
        self.assertEqual({'host': 'host-b', 'value': PORT,
                          'project_id': 'proj'}, got)

    def test_domain_exceptions_arrive_as_themselves(self):
        self.serve('host-a')
        e = self.assertRaises(exception.PortNotFound, self.probe, 'host-a',
                              'refuse', port_id='p-1')
        self.assertEqual(404, e.code)
        self.assertEqual('Port id p-1 could not be found.',
                         e.format_message())

    def test_other_exceptions_arrive_as_remote_errors(self):
        self.serve('host-a')
        e = self.assertRaises(oslo_messaging.RemoteError, self.probe,
                              'host-a', 'crash')
        self.assertEqual('ProbeFailure', e.exc_type)

    def test_agent_down_is_503_naming_the_host(self):
        self.config.config(rpc_response_timeout=1)
        logs = self.useFixture(fixtures.FakeLogger(
            name='nova_attach_ifaces.agent.rpcapi'))
        e = self.assertRaises(exception.ComputeHostUnavailable,
                              self.api.ping, self.ctx, 'host-gone')
        self.assertEqual(503, e.code)
        self.assertIn('host-gone', e.format_message())
        # It gave up when rpc_response_timeout ran out (the call's own
        # timeout, not a retry or a broker error), and says so.
        self.assertIn('no answer within 1 seconds', e.format_message())
        self.assertIn('Compute agent host-gone did not answer ping within '
                      '1 s', logs.output)

    def test_version_cap(self):
        self.serve('host-a')
        # Uncapped: the probe's 1.1 method is callable.
        self.assertEqual('x', self.probe('host-a', 'echo', version='1.1',
                                         value='x')['value'])
        self.config.config(group='upgrade_levels', compute_agent='1.0')
        capped = rpcapi.AgentAPI(self.conf, self.transport)
        self.assertTrue(capped.can_send_version('1.0'))
        self.assertFalse(capped.can_send_version('1.1'))
        cctxt = capped.client.prepare(server='host-a', namespace='probe',
                                      version='1.1')
        self.assertRaises(oslo_messaging.RPCVersionCapError, cctxt.call,
                          self.ctx, 'echo', value='x')
        self.assertEqual('host-a', capped.ping(self.ctx, 'host-a')['host'])

    def test_an_older_agent_refuses_a_newer_call(self):
        self.serve('host-a')
        # The agent's endpoint is at 1.0: a 1.5 call is refused there, not
        # half-understood.
        cctxt = self.api.client.prepare(server='host-a', version='1.5')
        self.assertRaises(oslo_messaging.RemoteError, cctxt.call, self.ctx,
                          'ping')
