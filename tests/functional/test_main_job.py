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
"""The main job: ``nova-attach-ifaces-api --demo`` as a user runs it.

The console script is started in an empty working directory, exactly as the
README's ``make demo`` does after installing: it must create its SQLite
store in ``./state``, load the demo inventory, print a working example,
serve it, stop cleanly on SIGTERM, and find every change again after a
restart.
"""

import json
import os
import signal
import sys
import urllib.request

import fixtures
from oslotest import base
import yaml

from nova_attach_ifaces.cmd import api as api_cmd
from tests.functional import test_wsgi_servers

# The demo inventory's first project and server, and its free port.
DEMO = yaml.safe_load(open(api_cmd.DEMO_INVENTORY))
SERVER = DEMO['servers'][0]
FREE_PORT = [p for p in DEMO['ports']
             if p['project_id'] == SERVER['project_id'] and
             not any(p['id'] in s.get('ports', []) for s in DEMO['servers'])
             ][0]
TOKEN = 'demo:%s' % SERVER['project_id']


class TestDemo(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            test_wsgi_servers.TEST_TIMEOUT, gentle=True))
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.environ = dict(os.environ, HOME=self.workdir)
        for name in ('OS_NOVA_ATTACH_IFACES_CONFIG_FILES',
                     'OS_NOVA_ATTACH_IFACES_CONFIG_DIR'):
            self.environ.pop(name, None)

    def start(self):
        port = test_wsgi_servers.free_port()
        url = 'http://127.0.0.1:%d' % port
        argv = [os.path.join(test_wsgi_servers.BIN_DIR,
                             'nova-attach-ifaces-api'),
                '--demo', '--port', str(port)]
        if not os.path.exists(argv[0]):
            argv[:1] = [sys.executable, '-c',
                        'import sys; from nova_attach_ifaces.cmd import api;'
                        ' sys.exit(api.main())']
        server = test_wsgi_servers.ServerProcess(
            argv, self.environ, os.path.join(self.workdir, 'server.log'),
            url, cwd=self.workdir)
        self.useFixture(server)
        return server

    def call(self, server, method, path, body=None):
        request = urllib.request.Request(
            server.url + '/v2.1' + path, method=method,
            headers={'X-Auth-Token': TOKEN,
                     'Content-Type': 'application/json'},
            data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None

    def interfaces_path(self):
        return '/servers/%s/os-interface' % SERVER['id']

    def port_ids(self, server):
        status, body = self.call(server, 'GET', self.interfaces_path())
        self.assertEqual(200, status)
        return [i['port_id'] for i in body['interfaceAttachments']]

    def test_demo_serves_persists_and_stops_cleanly(self):
        server = self.start()
        banner = server.output()
        self.assertIn('os-interface API at %s/v2.1' % server.url, banner)
        self.assertIn('curl -s -H "X-Auth-Token: %s"' % TOKEN, banner)
        self.assertIn(self.interfaces_path(), banner)
        self.assertTrue(os.path.exists(os.path.join(
            self.workdir, 'state', 'nova-attach-ifaces.sqlite')))
        self.assertEqual(SERVER['ports'], self.port_ids(server))

        status, body = self.call(
            server, 'POST', self.interfaces_path(),
            {'interfaceAttachment': {'port_id': FREE_PORT['id']}})
        self.assertEqual(200, status)
        self.assertEqual(FREE_PORT['id'],
                         body['interfaceAttachment']['port_id'])

        os.killpg(server.process.pid, signal.SIGTERM)
        self.assertEqual(0, server.process.wait(
            test_wsgi_servers.STOP_TIMEOUT), server.output())

        # The restart finds the store, does not reload the inventory, and
        # still has the attach acknowledged before the SIGTERM.
        restarted = self.start()
        self.assertEqual(SERVER['ports'] + [FREE_PORT['id']],
                         self.port_ids(restarted))
