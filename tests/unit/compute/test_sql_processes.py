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
"""Several processes on one sql store, on SQLite, PostgreSQL and MariaDB.

Worker processes (spawned, each with its own sql driver on the same
database) race for one port, one address and one server's last interface
slot, and start together on an empty store: exactly one wins each race,
the others get Nova's errors, and the store stays consistent.
"""

import collections
import multiprocessing
import os

import fixtures
from oslo_context import context as oslo_context
from oslotest import base
import sqlalchemy as sa
import yaml

from nova_attach_ifaces.compute import conformance
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces.compute.sql import models
from tests.unit import sql_backends

RACE_PROCESSES = 4
RACE_ROUNDS = 3
RACE_NET = conformance._uuid(0x4e, 0x77)
RACE_SUBNET = conformance._uuid(0x5b, 0x77)
RACE_SERVERS = [conformance._uuid(0x5e, 0x700 + i)
                for i in range(RACE_PROCESSES)]
RACE_PORTS = [conformance._uuid(0x90, 0x700 + r) for r in range(RACE_ROUNDS)]
RACE_IPS = ['10.7.0.%d' % (100 + r) for r in range(RACE_ROUNDS)]
RACE_TIMEOUT = 180


def _race_inventory():
    return inventory.parse({
        'networks': [{'id': RACE_NET, 'project_id': conformance.PROJECT_A,
                      'subnets': [{'id': RACE_SUBNET, 'cidr': '10.7.0.0/24',
                                   'gateway_ip': '10.7.0.1'}]}],
        'ports': [{'id': p, 'network_id': RACE_NET,
                   'project_id': conformance.PROJECT_A} for p in RACE_PORTS],
        'servers': [{'id': s, 'project_id': conformance.PROJECT_A}
                    for s in RACE_SERVERS],
    })


def _race_worker(url, state_dir, limit, steps, barrier, results):
    """Run ``steps`` [(server_id, attach kwargs)], each after a barrier."""
    conf = sql_backends.make_conf(url, state_dir)
    conf.set_override('max_interfaces_per_server', limit, group='compute')
    drv = sql_driver.SQLDriver(conf)
    ctx = oslo_context.RequestContext(project_id=conformance.PROJECT_A,
                                      overwrite=False)
    outcomes = []
    try:
        for server_id, kwargs in steps:
            server = drv.get_server(ctx, server_id)
            barrier.wait(RACE_TIMEOUT)
            try:
                att = drv.attach_interface(ctx, server, **kwargs)
                outcomes.append(('ok', att.port_id))
            except Exception as e:
                outcomes.append((type(e).__name__, str(e)))
    finally:
        drv.close()
        results.put(outcomes)


def _start_worker(url, state_dir, inventory_file, barrier, results):
    """Start a driver on a store that may be empty; report what it sees."""
    conf = sql_backends.make_conf(url, state_dir)
    conf.set_override('inventory_file', inventory_file, group='sql')
    barrier.wait(RACE_TIMEOUT)
    try:
        drv = sql_driver.SQLDriver(conf)
        try:
            ctx = oslo_context.RequestContext(
                project_id=conformance.PROJECT_A, overwrite=False)
            server = drv.get_server(ctx, conformance.SERVER_A1)
            results.put(('ok', [a.port_id for a in
                                drv.list_interfaces(ctx, server)]))
        finally:
            drv.close()
    except Exception as e:
        results.put((type(e).__name__, str(e)))


class _MultiProcessTests(sql_backends.StoreMixin):

    def setUp(self):
        super().setUp()
        self.url, self.state_dir = self.new_store()
        self.conf = sql_backends.make_conf(self.url, self.state_dir)
        self.ctx = conformance.context(conformance.PROJECT_A)

    def race(self, steps_per_process, limit=0):
        """Run one worker process per steps list; return their outcomes."""
        # Load the store first, so that the workers only race in attaches.
        self.start_driver(self.conf, _race_inventory()).close()
        mp = multiprocessing.get_context('spawn')
        barrier = mp.Barrier(len(steps_per_process))
        results = mp.Queue()
        procs = [mp.Process(target=_race_worker,
                            args=(self.url, self.state_dir, limit, steps,
                                  barrier, results), daemon=True)
                 for steps in steps_per_process]
        for p in procs:
            p.start()
        self.addCleanup(self._reap, procs)
        outcomes = [results.get(timeout=RACE_TIMEOUT) for _ in procs]
        for p in procs:
            p.join(RACE_TIMEOUT)
            self.assertEqual(0, p.exitcode)
        return outcomes

    @staticmethod
    def _reap(procs):
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()

    def test_processes_race_for_one_port_and_one_address(self):
        steps = []
        for server_id in RACE_SERVERS:
            mine = []
            for r in range(RACE_ROUNDS):
                mine.append((server_id, {'port_id': RACE_PORTS[r]}))
                mine.append((server_id, {'net_id': RACE_NET,
                                         'fixed_ip': RACE_IPS[r]}))
                mine.append((server_id, {'net_id': RACE_NET}))
            steps.append(mine)
        outcomes = self.race(steps)

        for r in range(RACE_ROUNDS):
            port_race = collections.Counter(
                o[3 * r][0] for o in outcomes)
            self.assertEqual({'ok': 1, 'PortInUse': RACE_PROCESSES - 1},
                             dict(port_race), outcomes)
            ip_race = collections.Counter(o[3 * r + 1][0] for o in outcomes)
            self.assertEqual(
                {'ok': 1, 'FixedIpAlreadyInUse': RACE_PROCESSES - 1},
                dict(ip_race), outcomes)
            # Addresses the driver picks itself never make anyone lose.
            self.assertEqual([('ok',)] * RACE_PROCESSES,
                             [o[3 * r + 2][:1] for o in outcomes])

        drv = self.start_driver(self.conf)
        attached = [a for s in RACE_SERVERS
                    for a in drv.list_interfaces(
                        self.ctx, drv.get_server(self.ctx, s))]
        # 1 port + 1 requested address + every process's own, per round.
        self.assertEqual(RACE_ROUNDS * (2 + RACE_PROCESSES), len(attached))
        port_ids = [a.port_id for a in attached]
        for port_id in RACE_PORTS:
            self.assertEqual(1, port_ids.count(port_id))
        addresses = [ip.ip_address for a in attached for ip in a.fixed_ips]
        self.assertEqual(len(addresses), len(set(addresses)))
        for address in RACE_IPS:
            self.assertIn(address, addresses)
        macs = [a.mac_addr for a in attached]
        self.assertEqual(len(macs), len(set(macs)))
        # No half-made port: every port attach created is attached, with
        # exactly its one address.
        with drv.db.reader() as session:
            created = session.scalar(
                sa.select(sa.func.count()).select_from(models.Port)
                .where(models.Port.created_by_attach.is_(True)))
            fixed_ips = session.scalar(
                sa.select(sa.func.count()).select_from(models.FixedIp))
        self.assertEqual(RACE_ROUNDS * (1 + RACE_PROCESSES), created)
        self.assertEqual(created, fixed_ips)

    def test_workers_start_together_on_an_empty_store(self):
        # Every API worker migrates and loads the inventory at start; run
        # together on a fresh store, exactly one does each, and all work.
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'inventory.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump(conformance.INVENTORY_DATA, f)
        mp = multiprocessing.get_context('spawn')
        barrier = mp.Barrier(RACE_PROCESSES)
        results = mp.Queue()
        procs = [mp.Process(target=_start_worker,
                            args=(self.url, self.state_dir, path, barrier,
                                  results), daemon=True)
                 for _ in range(RACE_PROCESSES)]
        for p in procs:
            p.start()
        self.addCleanup(self._reap, procs)
        outcomes = [results.get(timeout=RACE_TIMEOUT) for _ in procs]
        self.assertEqual(
            [('ok', [conformance.PORT_A1, conformance.PORT_A2])] *
            RACE_PROCESSES, outcomes)
        drv = self.start_driver(self.conf)
        with drv.db.reader() as session:
            self.assertEqual(
                (6, 8, 4),
                tuple(session.scalar(sa.select(sa.func.count())
                                     .select_from(m))
                      for m in (models.Network, models.Port,
                                models.Server)))

    def test_processes_race_for_the_last_interface_slot(self):
        limit = 2
        server_id = RACE_SERVERS[0]
        steps = [[(server_id, {'net_id': RACE_NET})]] * RACE_PROCESSES
        outcomes = self.race(steps, limit=limit)
        kinds = collections.Counter(o[0][0] for o in outcomes)
        self.assertEqual(
            {'ok': limit, 'PortLimitExceeded': RACE_PROCESSES - limit},
            dict(kinds), outcomes)
        drv = self.start_driver(self.conf)
        self.assertEqual(limit, len(drv.list_interfaces(
            self.ctx, drv.get_server(self.ctx, server_id))))
        with drv.db.reader() as session:
            self.assertEqual(limit, session.scalar(
                sa.select(sa.func.count()).select_from(models.Port)
                .where(models.Port.created_by_attach.is_(True))))


class TestSQLiteMultiProcess(_MultiProcessTests, base.BaseTestCase):
    pass


class TestPostgreSQLMultiProcess(_MultiProcessTests, base.BaseTestCase):
    backend = sql_backends.POSTGRESQL


class TestMySQLMultiProcess(_MultiProcessTests, base.BaseTestCase):
    backend = sql_backends.MYSQL
