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
"""The server a soak runs against: its inventory, and gunicorn.

:class:`Inventory` is a small store inventory of servers, networks and
ports made afresh per run; :class:`GunicornServer` serves it with
``nova_attach_ifaces.wsgi.api:application`` under gunicorn (the
production server), two worker processes on a loopback port, the ``sql``
driver on one database and the dev ``noauth2`` pipeline, and can be
killed and started again (:mod:`tests.reliability.soak` drives it).
"""

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import yaml

from nova_attach_ifaces import wsgi

APPLICATION = 'nova_attach_ifaces.wsgi.api:application'
BIN_DIR = os.path.dirname(sys.executable)
GUNICORN = os.path.join(BIN_DIR, 'gunicorn')

#: Seconds for the server to answer its health check, and to stop.
START_TIMEOUT = 60
STOP_TIMEOUT = 15

CONFIG = """
[DEFAULT]
debug = false

[api]
auth_strategy = noauth2

[compute]
driver = sql

[sql]
inventory_file = %(inventory)s
state_dir = %(state_dir)s

[database]
%(connection)s
max_pool_size = 10
max_overflow = 10
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _id():
    return str(uuid.uuid4())


def _project():
    return uuid.uuid4().hex


class Inventory(object):
    """The soak's servers, networks and ports (fresh ids per soak).

    Project A: six servers; BIG (10.10.0.0/24), where eight existing ports
    are raced for and the six addresses in ``RACED_IPS`` are requested;
    SMALL (10.11.0.0/28, 13 addresses), exhausted by attaches by network.
    Project B: a server and a port A must never see.
    """

    RACED_IPS = ['10.10.0.%d' % n for n in range(200, 206)]

    def __init__(self):
        self.project_a = _project()
        self.project_b = _project()
        self.servers_a = [_id() for _ in range(6)]
        self.server_b = _id()
        self.big, self.small = _id(), _id()
        self.big_subnet, self.small_subnet = _id(), _id()
        self.net_b, self.subnet_b = _id(), _id()
        self.ports = [_id() for _ in range(8)]
        self.port_b = _id()

    def data(self):
        def net(net_id, subnet_id, project, cidr, gateway):
            return {'id': net_id, 'project_id': project, 'subnets': [
                {'id': subnet_id, 'cidr': cidr, 'gateway_ip': gateway}]}

        return {
            'networks': [
                net(self.big, self.big_subnet, self.project_a,
                    '10.10.0.0/24', '10.10.0.1'),
                net(self.small, self.small_subnet, self.project_a,
                    '10.11.0.0/28', '10.11.0.1'),
                net(self.net_b, self.subnet_b, self.project_b,
                    '10.20.0.0/24', '10.20.0.1'),
            ],
            'ports': [
                {'id': port, 'network_id': self.big,
                 'project_id': self.project_a,
                 'mac_address': 'fa:16:3e:00:01:%02x' % i,
                 'fixed_ips': [{'ip_address': '10.10.0.%d' % (10 + i)}]}
                for i, port in enumerate(self.ports)] + [
                {'id': self.port_b, 'network_id': self.net_b,
                 'project_id': self.project_b,
                 'mac_address': 'fa:16:3e:00:02:01',
                 'fixed_ips': [{'ip_address': '10.20.0.10'}]}],
            'servers': [
                {'id': server, 'name': 'soak-%d' % i,
                 'project_id': self.project_a}
                for i, server in enumerate(self.servers_a)] + [
                {'id': self.server_b, 'name': 'soak-b',
                 'project_id': self.project_b, 'ports': [self.port_b]}],
        }


class GunicornServer(object):
    """gunicorn with ``workers`` worker processes on a loopback port.

    :param connection: the ``[database] connection`` URL, or None for
        SQLite in ``directory``.
    """

    def __init__(self, directory, inv, connection=None, workers=2,
                 threads=4):
        self.directory = directory
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.log_path = os.path.join(directory, 'gunicorn.log')
        self.process = None
        inventory_path = os.path.join(directory, 'inventory.yaml')
        with open(inventory_path, 'w') as f:
            yaml.safe_dump(inv.data(), f)
        self.state_dir = os.path.join(directory, 'state')
        self.config_path = os.path.join(directory, 'nova-attach-ifaces.conf')
        with open(self.config_path, 'w') as f:
            f.write(CONFIG % {
                'inventory': inventory_path, 'state_dir': self.state_dir,
                'connection': ('connection = %s' % connection
                               if connection else '')})
        self.connection = connection or 'sqlite:///%s' % os.path.join(
            self.state_dir, 'nova-attach-ifaces.sqlite')

    def start(self):
        environ = dict(os.environ)
        environ[wsgi.CONFIG_FILES_ENV] = self.config_path
        environ.pop(wsgi.CONFIG_DIR_ENV, None)
        environ['HOME'] = self.directory
        log = open(self.log_path, 'ab')
        try:
            self.process = subprocess.Popen(
                [GUNICORN, '--bind', '127.0.0.1:%d' % self.port,
                 '--workers', str(self.workers), '--threads',
                 str(self.threads), '--worker-class', 'gthread',
                 '--no-control-socket', '--graceful-timeout', '5',
                 '--timeout', '60', APPLICATION],
                env=environ, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.directory,
                start_new_session=True)
        finally:
            log.close()
        self.wait_ready()

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited with %s:\n%s' % (
                    self.process.returncode, self.output()[-5000:]))
            try:
                with urllib.request.urlopen(self.url + '/healthcheck',
                                            timeout=2) as response:
                    if (response.status == 200 and
                            len(self.worker_pids()) >= self.workers):
                        return
            except (urllib.error.URLError, OSError) as e:
                last_error = e
            time.sleep(0.1)
        raise RuntimeError('gunicorn not ready in %ss (%s):\n%s' % (
            START_TIMEOUT, last_error, self.output()[-5000:]))

    def worker_pids(self):
        """The pids of the master's live children (its workers)."""
        pids = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces.
            fields = stat.rsplit(')', 1)[-1].split()
            if fields[0] != 'Z' and int(fields[1]) == self.process.pid:
                pids.append(int(entry))
        return pids

    def kill_worker(self):
        """SIGKILL one worker; wait until the master has replaced it."""
        victim = random.choice(self.worker_pids())
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if victim not in pids and len(pids) >= self.workers:
                return victim
            time.sleep(0.05)
        raise RuntimeError('gunicorn did not replace worker %d' % victim)

    def kill(self):
        """SIGKILL the master and every worker at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
