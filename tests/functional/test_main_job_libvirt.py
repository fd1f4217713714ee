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
"""``make demo-libvirt``: ``nova-attach-ifaces-api --demo-libvirt`` as a
user runs it, on real QEMU.

The console script is started in an empty working directory, as the
Makefile's target does after installing: it must make the demo inventory's
servers domains of an embedded QEMU under ``./.demo-libvirt``, serve list
and attach on them (the NIC a real tap device of the host), and remove the
domains when it stops on SIGTERM.
"""

import os
import signal

import yaml

from nova_attach_ifaces.cmd import api as api_cmd
from nova_attach_ifaces.cmd import demo_libvirt
from tests.functional import test_main_job
from tests.functional import test_wsgi_servers
from tests.services import qemu
from tests.unit import sql_backends

DEMO = yaml.safe_load(open(api_cmd.DEMO_LIBVIRT_INVENTORY))
SERVER, FREE_PORT = test_main_job.demo_server_and_free_port(
    api_cmd.DEMO_LIBVIRT_INVENTORY)
MAKEFILE = os.path.join(os.path.dirname(__file__), '..', '..', 'Makefile')


def tap_exists(port_id):
    # Nova's tap name: "tap" + the first eleven characters of the port id.
    return os.path.exists('/sys/class/net/tap%s' % port_id[:11])


class TestDemoLibvirt(test_main_job.DemoTestBase):

    demo_option = '--demo-libvirt'

    def setUp(self):
        super().setUp()
        why = qemu.probe()
        if why is not None:
            sql_backends.skip_or_fail(self, why)

    def qemu_processes(self):
        """QEMU processes whose state is under this test's directory."""
        found = []
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as f:
                    cmdline = f.read()
            except OSError:
                continue
            if (b'qemu-system' in cmdline and
                    self.workdir.encode() in cmdline):
                found.append(int(pid))
        return found

    def test_make_target_runs_the_demo_libvirt_command(self):
        with open(MAKEFILE) as f:
            makefile = f.read()
        self.assertIn('demo-libvirt:', makefile)
        self.assertIn('\t.venv-demo/bin/nova-attach-ifaces-api '
                      '--demo-libvirt $(ARGS)\n', makefile)

    def test_demo_libvirt_serves_list_and_attach_on_a_demo_domain(self):
        server = self.start()
        banner = server.output()
        self.assertIn('compute API (os-interface, servers) at %s/v2.1,'
                      % server.url, banner)
        self.assertIn(self.interfaces_path(), banner)
        self.assertIn(FREE_PORT['id'], banner)
        root = os.path.join(self.workdir, demo_libvirt.DEMO_DIR)
        self.assertTrue(os.path.isdir(os.path.join(root, 'qemu')))
        # The demo's servers run, as QEMU processes of the host.
        running = [s for s in DEMO['servers']
                   if s.get('vm_state', 'active') == 'active']
        self.assertEqual(len(running), len(self.qemu_processes()))
        status, body = self.call(server, 'GET', '/servers/%s' % SERVER['id'])
        self.assertEqual(200, status)
        self.assertEqual((SERVER['name'], 'ACTIVE'),
                         (body['server']['name'], body['server']['status']))
        # The port the inventory attaches is plugged, a tap of the host.
        self.assertEqual(SERVER['ports'], self.port_ids(server))
        self.assertTrue(tap_exists(SERVER['ports'][0]))

        status, body = self.call(
            server, 'POST', self.interfaces_path(),
            {'interfaceAttachment': {'port_id': FREE_PORT['id']}})
        self.assertEqual(200, status)
        self.assertEqual(FREE_PORT['id'],
                         body['interfaceAttachment']['port_id'])
        self.assertEqual(SERVER['ports'] + [FREE_PORT['id']],
                         self.port_ids(server))
        self.assertTrue(tap_exists(FREE_PORT['id']))
        status, _ = self.call(server, 'DELETE', '%s/%s' % (
            self.interfaces_path(), FREE_PORT['id']))
        self.assertEqual(202, status)
        self.assertFalse(tap_exists(FREE_PORT['id']))

        os.killpg(server.process.pid, signal.SIGTERM)
        self.assertEqual(0, server.process.wait(
            test_wsgi_servers.STOP_TIMEOUT), server.output())
        # No QEMU left behind, no tap.
        self.assertEqual([], self.qemu_processes())
        self.assertFalse(tap_exists(SERVER['ports'][0]))
