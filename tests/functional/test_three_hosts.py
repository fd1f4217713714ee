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
"""Three hosts, two API workers, agents crashing and the bus cut under load.

Three ``nova-attach-ifaces-compute`` processes, each the agent of its own
host (``[DEFAULT] host``) on its own embedded QEMU with a few small
domains; two gunicorn processes of one worker each on the ``agents``
driver with the ``sql`` network backend, all on one PostgreSQL database
and one RabbitMQ virtual host, the bus reached through a TCP proxy the
test can cut (:mod:`tests.reliability.tcp_proxy`).

Clients attach and detach on the servers of every host through both API
processes while each agent in turn is SIGKILLed and started again, and
then the bus connection is cut and restored. Afterwards, what a user would
check: no answer was a 500 (a 503 while an agent or the bus is away is the
truthful answer), each API worker attaches and detaches on every host
again, and, with the agents stopped, every NIC in every domain's live XML
(read through libvirt) has a port bound to that server in the backend,
every bound port has its NIC, and every change answered with a 2xx is in
place.
"""

from concurrent import futures
import json
import os
import random
import shutil
import threading
import time
import urllib.parse
import uuid

import fixtures
import requests
import testtools
from testtools import content

from nova_attach_ifaces.agent import reconcile
from nova_attach_ifaces.compute import loader
from tests.reliability import common
from tests.reliability import soak_server
from tests.reliability import tcp_proxy
from tests.services import qemu
from tests.services import rabbitmq
from tests.unit import sql_backends

try:
    from tests.functional import multihost
except ImportError:
    multihost = None

HOSTS = ('host-1', 'host-2', 'host-3')
DOMAINS_PER_HOST = 3
CLIENTS = 6
# An agent's calls answer or fail within this; the bus cut outlasts it,
# so that calls in flight when it starts time out.
RPC_TIMEOUT = 5
REPORT_INTERVAL = 5
HTTP_TIMEOUT = 60
ADMIN = reconcile.admin_context()


def _via_proxy(url, port):
    """``url`` with its host and port replaced by the proxy's."""
    parts = urllib.parse.urlsplit(url)
    credentials = parts.netloc.rsplit('@', 1)[0]
    return urllib.parse.urlunsplit(parts._replace(
        netloc='%s@127.0.0.1:%d' % (credentials, port)))


class Load:
    """Client threads attaching and detaching through ``urls`` in turn.

    Each port is only ever changed by the thread that created it, so its
    record is in order: a port's last 2xx says where it must be, unless a
    later call on it had no 2xx (then either outcome is true).
    """

    def __init__(self, urls, project, net, servers):
        self.urls = [url + '/v2.1' for url in urls]
        self.project = project
        self.net = net
        self.servers = servers
        self.ops = []
        # port id -> (server id, 'attached' | 'detached' | 'unknown')
        self.ports = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    def _call(self, session, index, method, path, body=None):
        url = self.urls[index % len(self.urls)]
        t0 = time.monotonic()
        try:
            response = session.request(
                method, url + path, json=body, timeout=HTTP_TIMEOUT,
                headers={'X-Auth-Token': 'load:%s' % self.project})
            status, text = response.status_code, response.text
        except requests.RequestException as e:
            status, text = None, str(e)
        with self._lock:
            self.ops.append((method, path, index % len(self.urls), status,
                             round(t0, 2), text[:300]))
        return status, text

    def _client(self, number):
        rng = random.Random(number)
        mine = {}
        calls = 0
        with requests.Session() as session:
            while not self._stop.is_set():
                calls += 1
                server = rng.choice(self.servers)
                base = '/servers/%s/os-interface' % server
                if rng.random() < 0.15:
                    self._call(session, calls, 'GET', base)
                elif server not in mine:
                    status, text = self._call(
                        session, calls, 'POST', base,
                        {'interfaceAttachment': {'net_id': self.net}})
                    if status == 200:
                        port = json.loads(text)['interfaceAttachment'][
                            'port_id']
                        mine[server] = port
                        self._set(port, server, 'attached')
                else:
                    port = mine.pop(server)
                    status, _text = self._call(
                        session, calls, 'DELETE', '%s/%s' % (base, port))
                    self._set(port, server,
                              'detached' if status == 202 else 'unknown')

    def _set(self, port, server, state):
        with self._lock:
            self.ports[port] = (server, state)

    def start(self):
        for number in range(CLIENTS):
            thread = threading.Thread(target=self._client, args=(number,),
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(HTTP_TIMEOUT + 5)

    def statuses(self):
        counts = {}
        for op in self.ops:
            counts[op[3]] = counts.get(op[3], 0) + 1
        return counts


class TestThreeHosts(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(170, gentle=True))
        why = qemu.probe()
        if why is None and multihost is None:
            why = 'libvirt-python is not importable; %s' % qemu.HINT
        if why is None and shutil.which('virsh') is None:
            why = 'virsh is not installed; %s' % qemu.HINT
        if why is not None:
            sql_backends.skip_or_fail(self, why)
        for path in (multihost.AGENT, soak_server.GUNICORN):
            if not os.path.exists(path):
                sql_backends.skip_or_fail(
                    self, '%s is not installed next to the test interpreter '
                    '(pip install -e . and test-requirements.txt)' % path)
        database = sql_backends.POSTGRESQL.create_database(self)
        transport_url = rabbitmq.BROKER.transport_url(self)
        broker = urllib.parse.urlsplit(transport_url)
        self.proxy = tcp_proxy.TCPProxy(broker.hostname, broker.port)
        self.proxy.start()
        self.addCleanup(self.proxy.stop)
        bus = {'transport_url': _via_proxy(transport_url, self.proxy.port),
               'control_exchange': rabbitmq.BROKER.control_exchange,
               'timeout': RPC_TIMEOUT, 'connection': database}
        self.backend = self._backend(database)

        self.project = uuid.uuid4().hex
        self.net = str(uuid.uuid4())
        self.apis = [self._api(bus) for _ in range(2)]
        self.addOnException(self._details)
        # The API processes start while QEMU is probed and the domains
        # made.
        pool = futures.ThreadPoolExecutor(len(self.apis))
        self.addCleanup(pool.shutdown)
        started = [pool.submit(api.start) for api in self.apis]
        directory = multihost.workdir()
        self.addCleanup(shutil.rmtree, directory, True)
        self.hosts = []
        for name in HOSTS:
            host = multihost.Host(name, directory, seed=(
                self.hosts[0] if self.hosts else None))
            self.addCleanup(host.destroy)
            # The first defines alone: libvirt probes QEMU once, into the
            # cache the others start from.
            host.define(self.project, DOMAINS_PER_HOST, root_ports=8)
            self.hosts.append(host)
        self.agents = [multihost.AgentProcess(host, bus, REPORT_INTERVAL)
                       for host in self.hosts]
        for agent in self.agents:
            self.addCleanup(agent.stop)
            agent.start()
        for agent in self.agents:
            agent.wait_serving()
        for start in started:
            start.result()

    def _backend(self, database):
        conf = sql_backends.make_conf(connection=database)
        conf.set_override('backend', 'sql', group='network')
        backend = loader.load_network_backend(conf)
        self.addCleanup(backend.close)
        return backend

    def _api(self, bus):
        """An API process (not started) on the agents driver."""
        directory = self.useFixture(fixtures.TempDir()).path
        inventory = {'networks': [
            {'id': self.net, 'name': 'net', 'project_id': self.project,
             'subnets': [{'id': str(uuid.uuid4()), 'cidr': '10.30.0.0/22',
                          'gateway_ip': '10.30.0.1'}]}]}

        class Inventory:
            def data(self):
                return inventory

        server = soak_server.GunicornServer(directory, Inventory(), workers=1)
        with open(server.config_path, 'w') as f:
            f.write(multihost.api_config(
                inventory=os.path.join(directory, 'inventory.yaml'),
                state_dir=server.state_dir, **bus))
        self.addCleanup(server.stop)
        return server

    def _details(self, exc_info):
        for agent in getattr(self, 'agents', []):
            self.addDetail('agent-%s' % agent.host.name,
                           content.text_content(agent.log(0)[-30000:]))
        for index, api in enumerate(self.apis):
            if not os.path.exists(api.log_path):
                continue
            self.addDetail('api-%d' % index, content.text_content(
                '\n'.join(line for line in api.output().splitlines()
                          if ' INFO ' not in line)[-20000:]))

    def _restart(self, agent):
        agent.kill()
        time.sleep(1)
        agent.start()
        agent.wait_serving()

    def test_attach_detach_through_crashes_and_a_bus_cut(self):
        servers = [server for host in self.hosts for server in host.servers]
        load = Load([api.url for api in self.apis], self.project, self.net,
                    servers)
        load.start()
        try:
            time.sleep(3)
            for agent in self.agents:
                self._restart(agent)
                time.sleep(2)
            self.proxy.stop()
            time.sleep(RPC_TIMEOUT + 2)
            self.proxy.start()
            time.sleep(5)
        finally:
            load.stop()
        statuses = {str(key): value
                    for key, value in load.statuses().items()}
        self.addDetail('statuses', content.json_content(statuses))
        common.record_figures(
            'three-hosts', statuses=statuses, operations=len(load.ops),
            unknown_outcome=sum(1 for _server, state in load.ports.values()
                                if state == 'unknown'))

        # No 500, no request left unanswered; 503 only naming a host or
        # the bus.
        wrong = [op for op in load.ops if op[3] not in (200, 202, 503)]
        self.assertEqual([], wrong)
        # Recovered: each API process works on every host again.
        for index, api in enumerate(self.apis):
            if not os.path.exists(api.log_path):
                continue
            for host in self.hosts:
                self._attach_detach(api, host.servers[0])
        # Whatever a lost reply left half-done, each agent puts right
        # within one reconciliation cycle, without a restart.
        marks = [agent.mark() for agent in self.agents]
        for agent, mark in zip(self.agents, marks):
            agent.wait_cycle(mark)
        for agent in self.agents:
            agent.terminate()
        for agent in self.agents:
            agent.stop()

        nics, in_qemu = {}, {}
        for host in self.hosts:
            nics.update(host.nics())
            in_qemu.update(host.qemu_nics())
        # QEMU has no NIC that libvirt lost track of.
        self.assertEqual(
            {server: set(ports) for server, ports in nics.items()}, in_qemu)
        bound = {server: {port.id: port.mac_address
                          for port in self.backend.list_ports(ADMIN, server)}
                 for server in servers}
        # Every NIC has its bound port and every bound port its NIC.
        self.assertEqual(nics, bound)
        for port, (server, state) in sorted(load.ports.items()):
            if state == 'attached':
                self.assertIn(port, nics[server])
            elif state == 'detached':
                self.assertNotIn(port, nics[server])
                self.assertNotIn(port, bound[server])

    def _attach_detach(self, api, server):
        base = '%s/v2.1/servers/%s/os-interface' % (api.url, server)
        headers = {'X-Auth-Token': 'check:%s' % self.project}
        response = requests.post(base, headers=headers, timeout=HTTP_TIMEOUT,
                                 json={'interfaceAttachment': {
                                     'net_id': self.net}})
        self.assertEqual(200, response.status_code, response.text)
        port = response.json()['interfaceAttachment']['port_id']
        response = requests.delete('%s/%s' % (base, port), headers=headers,
                                   timeout=HTTP_TIMEOUT)
        self.assertEqual(202, response.status_code, response.text)
