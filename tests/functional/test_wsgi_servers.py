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
"""``nova_attach_ifaces.wsgi.api:application`` under real WSGI servers.

Each test starts gunicorn or uwsgi (the shipped sample ini) as a
subprocess on a free loopback port, with a temporary configuration (the
dev noauth2 pipeline, the memory driver and a known inventory) named by
``OS_NOVA_ATTACH_IFACES_CONFIG_FILES``; waits, for a bounded time, until
the health check answers; drives the os-interface API with openstacksdk;
and stops the server. The server's output is attached to a failing test.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import fixtures
import openstack
from oslo_utils import uuidutils
from oslotest import base
from testtools import content
import yaml

from nova_attach_ifaces import wsgi
from tests.functional import fixtures as api_fixtures

BIN_DIR = os.path.dirname(sys.executable)
UWSGI_INI = os.path.join(wsgi.SHIPPED_ETC, 'nova-attach-ifaces-uwsgi.ini')
APPLICATION = 'nova_attach_ifaces.wsgi.api:application'

#: Seconds for a server to answer its health check, and to stop.
START_TIMEOUT = 60
STOP_TIMEOUT = 15
#: Seconds openstacksdk waits for one response.
HTTP_TIMEOUT = 10
TEST_TIMEOUT = 150

CONFIG = """
[DEFAULT]
debug = false

[api]
auth_strategy = noauth2

[compute]
driver = memory

[memory]
inventory_file = %(inventory)s
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ServerProcess(fixtures.Fixture):
    """Run ``argv`` with ``environ`` until cleanup; output in ``log_path``.

    The server runs in its own session, so the whole process group (uwsgi
    master and workers) can be stopped by the id of the process started
    here.
    """

    def __init__(self, argv, environ, log_path, url, cwd=None):
        super().__init__()
        self.argv = argv
        self.environ = environ
        self.log_path = log_path
        self.url = url
        self.cwd = cwd

    def _setUp(self):
        self.log = open(self.log_path, 'wb')
        self.addCleanup(self.log.close)
        self.process = subprocess.Popen(
            self.argv, env=self.environ, stdout=self.log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.cwd)
        self.addCleanup(self.stop)
        self.wait_ready()

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    self.argv[0], self.process.returncode, self.output()))
            try:
                with urllib.request.urlopen(self.url + '/healthcheck',
                                            timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as e:
                last_error = e
            time.sleep(0.2)
        raise RuntimeError('%s not ready in %ss (%s):\n%s' % (
            self.argv[0], START_TIMEOUT, last_error, self.output()))

    def stop(self):
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)


class _ServerTests(object):
    """The same client flow against whichever server a subclass starts."""

    server = None

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        executable = os.path.join(BIN_DIR, self.server)
        if not os.path.exists(executable):
            self.skipTest('%s is not installed next to %s'
                          % (self.server, sys.executable))
        self.tempdir = self.useFixture(fixtures.TempDir()).path

        self.ids = {name: uuidutils.generate_uuid()
                    for name in api_fixtures.ID_NAMES}
        for name in ('PROJECT', 'OTHER_PROJECT', 'LONELY_PROJECT'):
            self.ids[name] = uuidutils.generate_uuid(dashed=False)
        inventory = os.path.join(self.tempdir, 'inventory.yaml')
        with open(inventory, 'w') as f:
            yaml.safe_dump(api_fixtures.build_inventory(self.ids), f)
        config_file = os.path.join(self.tempdir, 'nova-attach-ifaces.conf')
        with open(config_file, 'w') as f:
            f.write(CONFIG % {'inventory': inventory})

        environ = dict(os.environ)
        environ[wsgi.CONFIG_FILES_ENV] = config_file
        environ.pop(wsgi.CONFIG_DIR_ENV, None)
        environ['HOME'] = self.tempdir
        environ['PATH'] = BIN_DIR + os.pathsep + environ.get('PATH', '')
        port = free_port()
        self.url = 'http://127.0.0.1:%d' % port
        log_path = os.path.join(self.tempdir, 'server.log')
        self.server_process = ServerProcess(
            self.argv(executable, port), environ, log_path, self.url)
        self.addOnException(self._attach_log)
        self.useFixture(self.server_process)

    def _attach_log(self, exc_info):
        if os.path.exists(self.server_process.log_path):
            self.addDetail('server-log', content.text_content(
                self.server_process.output()))

    def argv(self, executable, port):
        raise NotImplementedError()

    def connect(self):
        conn = openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': self.url + '/v2.1',
                  'token': 'user:%s' % self.ids['PROJECT']},
            api_timeout=HTTP_TIMEOUT)
        self.addCleanup(conn.close)
        return conn.compute

    def test_os_interface_with_openstacksdk(self):
        compute = self.connect()
        server = self.ids['SERVER']
        ports = [i.port_id for i in compute.server_interfaces(server)]
        self.assertEqual([self.ids['PORT1']], ports)

        attached = compute.create_server_interface(
            server, port_id=self.ids['PORT2'])
        self.assertEqual(self.ids['PORT2'], attached.port_id)
        self.assertEqual(self.ids['NET'], attached.net_id)

        shown = compute.get_server_interface(self.ids['PORT2'],
                                             server=server)
        self.assertEqual('10.0.0.6', shown.fixed_ips[0]['ip_address'])

        compute.delete_server_interface(self.ids['PORT2'], server=server)
        ports = [i.port_id for i in compute.server_interfaces(server)]
        self.assertEqual([self.ids['PORT1']], ports)

        # The other project's server is invisible.
        self.assertRaises(openstack.exceptions.NotFoundException, list,
                          compute.server_interfaces(self.ids['OTHER_SERVER']))

    def test_access_log(self):
        compute = self.connect()
        list(compute.server_interfaces(self.ids['SERVER']))
        path = '/v2.1/servers/%s/os-interface' % self.ids['SERVER']
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [line for line in self.server_process.output().splitlines()
                     if '"GET %s"' % path in line]
            if lines:
                break
            time.sleep(0.1)
        self.assertEqual(1, len(lines), lines)
        self.assertRegex(
            lines[0], r'req-[0-9a-f-]{36} .*"GET %s" status: 200 len: \d+ '
                      r'microversion: 2\.\d+ time: \d+\.\d+' % path)
        self.assertIn('nova_attach_ifaces.api.request_log', lines[0])


class TestGunicorn(_ServerTests, base.BaseTestCase):

    server = 'gunicorn'

    def argv(self, executable, port):
        return [executable, '--bind', '127.0.0.1:%d' % port,
                '--workers', '1', '--no-control-socket',
                '--graceful-timeout', '5', APPLICATION]


class TestUwsgi(_ServerTests, base.BaseTestCase):

    server = 'uwsgi'

    def argv(self, executable, port):
        # The sample ini as shipped; the memory driver keeps state per
        # process, so one worker.
        return [executable, '--ini', UWSGI_INI,
                '--http-socket', '127.0.0.1:%d' % port,
                '--processes', '1']
