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
import socket
import subprocess
import sys
import urllib.request

import fixtures
from oslotest import base
import yaml

from nova_attach_ifaces.cmd import api as api_cmd
from nova_attach_ifaces import wsgi
from tests.functional import test_wsgi_servers
from tests.services import venvs
from tests.unit import sql_backends


def demo_server_and_free_port(path):
    """A demo inventory's first server, and a port of its project that no
    server lists.
    """
    with open(path) as f:
        demo = yaml.safe_load(f)
    server = demo['servers'][0]
    free_port = [p for p in demo['ports']
                 if p['project_id'] == server['project_id'] and
                 not any(p['id'] in s.get('ports', [])
                         for s in demo['servers'])][0]
    return server, free_port


# The demo inventory's first project and server, and its free port.
SERVER, FREE_PORT = demo_server_and_free_port(api_cmd.DEMO_INVENTORY)
TOKEN = 'demo:%s' % SERVER['project_id']

# The openstack CLI's virtualenv, found before the test base moves HOME.
OSC_VENV = venvs.ready('openstackclient')


class DemoTestBase(base.BaseTestCase):
    """The console script in demo mode ``demo_option``, in an empty
    working directory.
    """

    demo_option = '--demo'

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            test_wsgi_servers.TEST_TIMEOUT, gentle=True))
        self.workdir = self.useFixture(fixtures.TempDir()).path
        self.environ = dict(os.environ, HOME=self.workdir)
        for name in ('OS_NOVA_ATTACH_IFACES_CONFIG_FILES',
                     'OS_NOVA_ATTACH_IFACES_CONFIG_DIR'):
            self.environ.pop(name, None)

    def argv(self, port):
        argv = [os.path.join(test_wsgi_servers.BIN_DIR,
                             'nova-attach-ifaces-api'),
                self.demo_option, '--port', str(port)]
        if not os.path.exists(argv[0]):
            argv[:1] = [sys.executable, '-c',
                        'import sys; from nova_attach_ifaces.cmd import api;'
                        ' sys.exit(api.main())']
        return argv

    def start(self):
        port = test_wsgi_servers.free_port()
        url = 'http://127.0.0.1:%d' % port
        argv = self.argv(port)
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


class TestDemo(DemoTestBase):

    def test_demo_serves_persists_and_stops_cleanly(self):
        server = self.start()
        banner = server.output()
        self.assertIn('compute API (os-interface, servers) at %s/v2.1,'
                      % server.url, banner)
        self.assertIn('curl -s -H "X-Auth-Token: %s"' % TOKEN, banner)
        self.assertIn(self.interfaces_path(), banner)
        # A quiet start: one line for the migrations, no alembic chatter,
        # no eventlet notice.
        self.assertEqual(1, banner.count('Database schema upgraded'))
        self.assertNotIn('alembic', banner)
        self.assertNotIn('Eventlet is deprecated', banner)
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

    def test_banner_examples(self):
        server = self.start()
        banner = server.output()
        # The attach with its Content-Type, the detach, acting as admin.
        self.assertIn("-H 'Content-Type: application/json'", banner)
        self.assertIn('"port_id": "%s"' % FREE_PORT['id'], banner)
        self.assertIn('curl -s -X DELETE', banner)
        self.assertIn('X-Auth-Token: admin:%s' % SERVER['project_id'],
                      banner)
        # The openstacksdk example is one line of valid Python.
        example = api_cmd.sdk_example(SERVER['id'])
        self.assertIn('python3 -c "%s"' % example, banner)
        compile(example, '<banner>', 'exec')

    def test_demo_clouds_yaml_matches_the_shipped_sample(self):
        with open(os.path.join(wsgi.SHIPPED_ETC, 'clouds.yaml.sample')) as f:
            sample = yaml.safe_load(f)
        self.assertEqual(
            api_cmd.demo_clouds('http://127.0.0.1:8774', TOKEN), sample)

    def test_openstack_cli_from_the_banner(self):
        if OSC_VENV is None:
            message = venvs.missing_message('openstackclient')
            sql_backends.skip_or_fail(self, message)
        server = self.start()
        banner = server.output()
        clouds_file = os.path.join(self.workdir, 'state', 'clouds.yaml')
        self.assertIn('export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=%s'
                      % (clouds_file, api_cmd.DEMO_CLOUD), banner)
        environ = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                   'HOME': self.workdir,
                   'OS_CLIENT_CONFIG_FILE': clouds_file,
                   'OS_CLOUD': api_cmd.DEMO_CLOUD}
        commands = [line.strip().split()[1:] for line in banner.splitlines()
                    if line.strip().startswith('openstack ')]
        self.assertEqual(3, len(commands), banner)
        for command in commands:
            result = subprocess.run(
                [os.path.join(OSC_VENV, 'bin', 'openstack')] + command,
                env=environ, cwd=self.workdir, capture_output=True,
                text=True, timeout=120)
            self.assertEqual(
                0, result.returncode,
                '%s\n%s%s' % (command, result.stdout, result.stderr))
            if command[:2] == ['port', 'list']:
                self.assertIn(FREE_PORT['id'], result.stdout)
        self.assertEqual(SERVER['ports'], self.port_ids(server))

    def test_busy_port_is_one_line(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = subprocess.run(
                self.argv(port), env=self.environ, cwd=self.workdir,
                capture_output=True, text=True,
                timeout=test_wsgi_servers.START_TIMEOUT)
        self.assertEqual(1, result.returncode)
        self.assertNotIn('Traceback', result.stderr)
        last = result.stderr.strip().splitlines()[-1]
        self.assertIn('cannot listen on 127.0.0.1:%d' % port, last)
        self.assertIn('ARGS="--port N"', last)
