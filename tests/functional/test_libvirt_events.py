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
"""A compute agent on real QEMU reports its domains as libvirt tells it.

The agent service runs in this process over the libvirt hypervisor
(embedded QEMU), the ``sql`` network backend and host map on SQLite, and
the machine's RabbitMQ; its periodic report is an hour away, so whatever
reaches the host map came from libvirt's lifecycle events, or from the
full report that follows a reconnection to libvirt.
"""

import os
import time
import uuid

import fixtures
import testtools

from nova_attach_ifaces.agent import hostmap
from nova_attach_ifaces.agent import service
from nova_attach_ifaces.compute import loader
from tests.services import qemu
from tests.services import rabbitmq
from tests.unit import sql_backends

try:
    import libvirt

    from nova_attach_ifaces.compute.libvirt import demo
    from nova_attach_ifaces.compute.libvirt import host
except ImportError:
    libvirt = demo = host = None

HOST = 'host-events'
#: Seconds within which an event must reach the host map: far more than
#: it takes (milliseconds), so that only a lost event fails the test.
DEADLINE = 30


def wait_until(check, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return check()


class TestLifecycleReports(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.qemu = qemu.get(self)
        state = self.useFixture(fixtures.TempDir()).path
        self.conf = sql_backends.make_conf(state_dir=state)
        rabbitmq.BROKER.configure(self, self.conf)
        for group, name, value in (
                (None, 'host', HOST),
                (None, 'rpc_response_timeout', 2),
                ('compute_agent', 'report_interval', 3600),
                ('network', 'backend', 'sql'),
                ('libvirt', 'connection_uri', self.qemu.uri)):
            self.conf.set_override(name, value, group=group)
        self.map = hostmap.HostMap(self.conf)
        self.addCleanup(self.map.close)
        agent = service.AgentService(
            self.conf, host.LibvirtHypervisor(self.conf),
            loader.load_network_backend(self.conf))
        agent.start()
        self.addCleanup(agent.stop)
        self.agent = agent
        self.project = uuid.uuid4().hex

    def mapped(self):
        return set(self.map.servers_of(HOST))

    def transient(self):
        """Start a domain that exists only while it runs."""
        server_id = str(uuid.uuid4())
        name = 'nai-test-%s' % server_id[:8]
        dom = self.qemu.conn.createXML(demo.domain_xml(
            name, server_id, project_id=self.project,
            serial_path=os.path.join(self.qemu.root, name + '.serial')), 0)
        self.addCleanup(qemu.remove_domain, dom)
        return server_id, dom

    def test_defined_and_undefined_domains(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     start=False)
        self.assertTrue(wait_until(lambda: server_id in self.mapped()))
        self.qemu.dom(server_id).undefine()
        self.assertTrue(wait_until(lambda: server_id not in self.mapped()))

    def test_started_and_stopped_domains(self):
        server_id, dom = self.transient()
        self.assertTrue(wait_until(lambda: server_id in self.mapped()))
        # A persistent domain stopped is still the host's server.
        kept = self.qemu.define(self, project_id=self.project)
        self.assertTrue(wait_until(lambda: kept in self.mapped()))
        self.qemu.dom(kept).destroy()
        # A transient one stopped is gone. Events are handled in order,
        # so once this one is, the persistent domain's stop was too.
        dom.destroy()
        self.assertTrue(wait_until(lambda: server_id not in self.mapped()))
        self.assertIn(kept, self.mapped())

    def test_a_reconnection_reports_every_domain(self):
        server_id = self.qemu.define(self, project_id=self.project)
        self.assertTrue(wait_until(lambda: server_id in self.mapped()))
        # As if its event had been sent while the connection was down.
        self.map.remove(HOST, server_id)
        self.agent.hypervisor.connection.lost()
        self.assertTrue(wait_until(lambda: server_id in self.mapped()))
