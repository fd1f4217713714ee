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
"""Concurrency soak and crash durability with real worker processes.

gunicorn with two worker processes (gthread, four threads each) serves the
API on one database; sixteen client threads attach, detach, list and show
for a bounded time, many of them racing for the same ports and the same
fixed IPs (see :mod:`tests.reliability.soak` for what is checked
afterwards, against the clients' own record):

* Soak on PostgreSQL and on MariaDB: no crash; no 5xx, no lost answer,
  conflicts counted.
* Crash durability, on PostgreSQL, MariaDB and SQLite (WAL): in the middle of
  the load one worker is SIGKILLed (gunicorn's master starts another),
  later the whole server is SIGKILLed and started again while the clients
  keep going. Every acknowledged change must have survived, and nothing
  whose answer was lost may be half-applied.

Bounded: ``NOVA_ATTACH_IFACES_SOAK_SECONDS`` (default 20) for the soak,
``NOVA_ATTACH_IFACES_CRASH_SECONDS`` (default 12) for each crash run.
PostgreSQL and MariaDB: see :mod:`tests.unit.sql_backends` (skipped with
what to start, or failed under ``CI=true``, when the server is down).
"""

import os

import fixtures
from oslotest import base
import sqlalchemy as sa
from testtools import content

from nova_attach_ifaces.compute.sql import models
from tests.reliability import common
from tests.reliability import soak
from tests.reliability import soak_server
from tests.unit import sql_backends

SOAK_SECONDS = float(os.environ.get('NOVA_ATTACH_IFACES_SOAK_SECONDS') or 20)
CRASH_SECONDS = float(
    os.environ.get('NOVA_ATTACH_IFACES_CRASH_SECONDS') or 12)
CLIENTS = 16


class _SoakTest(object):

    backend = None

    def setUp(self):
        super().setUp()
        budget = (max(SOAK_SECONDS, CRASH_SECONDS) +
                  2 * soak_server.START_TIMEOUT)
        self.useFixture(fixtures.Timeout(int(budget) + 60, gentle=True))
        if not os.path.exists(soak_server.GUNICORN):
            why = 'gunicorn is not installed next to the test interpreter'
            sql_backends.skip_or_fail(self, why)
        connection = None
        if self.backend is not None:
            connection = self.backend.create_database(self)
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.inv = soak_server.Inventory()
        self.server = soak_server.GunicornServer(self.directory, self.inv,
                                                 connection)
        self.addCleanup(self.server.stop)
        self.addOnException(self._attach_log)
        self.server.start()

    def _attach_log(self, exc_info):
        if os.path.exists(self.server.log_path):
            self.addDetail('gunicorn-log', content.text_content(
                self.server.output()[-20000:]))

    def run_soak(self, name, seconds, events=(), allow_lost_answers=False):
        run = soak.Soak(self.server.url, self.inv, clients=CLIENTS,
                        seconds=seconds)
        run.run(events)
        figures = run.figures()
        self.addDetail('figures', content.json_content(figures))
        problems = run.verify(self.server.connection,
                              allow_lost_answers=allow_lost_answers)
        figures['problems'] = len(problems)
        figures['backend'] = (self.backend.name if self.backend
                              else 'SQLite (WAL)')
        common.record_figures(name, **figures)
        self.assertEqual([], problems)
        # The load did what it is for: races, lost and won.
        self.assertGreater(figures['conflicts'], 0)
        self.assertGreater(figures['by_kind'].get('detach', 0), 0)
        return run, figures


class _Soak(_SoakTest):

    def test_soak(self):
        run, _figures = self.run_soak('soak-%s' % self.name, SOAK_SECONDS)
        # The checks can fail: lose one acknowledged attachment and leave
        # its port behind, and both are noticed.
        engine = sa.create_engine(self.server.connection,
                                  poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        with engine.begin() as connection:
            port = connection.execute(
                sa.select(models.Attachment.port_id)
                .join(models.Port)
                .where(models.Port.created_by_attach.is_(True))
                .limit(1)).scalar()
            self.assertIsNotNone(port)
            connection.execute(sa.delete(models.Attachment)
                               .where(models.Attachment.port_id == port))
        problems = run.verify(self.server.connection)
        self.assertIn('orphan ports (made by attach, not attached): %s'
                      % [port], problems)
        self.assertTrue(any(port in p and 'not on' in p
                            for p in problems), problems)


class TestPostgreSQLSoak(_Soak, base.BaseTestCase):

    backend = sql_backends.POSTGRESQL
    name = 'postgresql'


class TestMariaDBSoak(_Soak, base.BaseTestCase):

    backend = sql_backends.MYSQL
    name = 'mariadb'


class _CrashTest(_SoakTest):

    def test_crash_durability(self):
        def kill_worker(run):
            self.server.kill_worker()
            run.crashes += 1

        def kill_server(run):
            self.server.kill()
            run.crashes += 1
            self.server.start()

        _run, figures = self.run_soak(
            'crash-%s' % self.name, CRASH_SECONDS,
            events=[(0.3, kill_worker), (0.6, kill_server)],
            allow_lost_answers=True)
        self.assertEqual(2, figures['crashes_survived'])


class TestPostgreSQLCrash(_CrashTest, base.BaseTestCase):

    backend = sql_backends.POSTGRESQL
    name = 'postgresql'


class TestMariaDBCrash(_CrashTest, base.BaseTestCase):

    backend = sql_backends.MYSQL
    name = 'mariadb'


class TestSQLiteCrash(_CrashTest, base.BaseTestCase):

    name = 'sqlite'
