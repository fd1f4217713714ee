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
"""The database goes away in the middle of the load, and comes back.

gunicorn with two workers reaches PostgreSQL (or MariaDB) through a TCP
proxy (:mod:`tests.reliability.tcp_proxy`) while the soak's sixteen
clients run (:mod:`tests.reliability.soak`). A third of the way through,
the proxy resets every connection and refuses new ones; two thirds of the
way, it accepts again on the same port. The service is not restarted.

What a client must see: during the outage, 503 ``serviceUnavailable``
answers (no other 5xx, no request left unanswered); after it, the same
worker processes answering again; and afterwards the soak's checks of the
store against the clients' record. A 503 is an outcome the client cannot
know (the connection may have dropped after the database committed), so
the checks accept either result for it but never a half-made one; every
change acknowledged with a 2xx, before or after the outage, must be there.

Bounded by ``NOVA_ATTACH_IFACES_CRASH_SECONDS`` (default 12) per run.
"""

import os
import time

import fixtures
from oslotest import base
import sqlalchemy as sa
from testtools import content

from tests.reliability import common
from tests.reliability import soak
from tests.reliability import soak_server
from tests.reliability import tcp_proxy
from tests.unit import sql_backends

SECONDS = float(os.environ.get('NOVA_ATTACH_IFACES_CRASH_SECONDS') or 12)
CLIENTS = 16
# Fractions of the run at which the database goes away and comes back.
OUTAGE = (0.3, 0.6)


class _OutageTest(object):

    backend = None
    name = None

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(SECONDS + 2 * soak_server.START_TIMEOUT + 60), gentle=True))
        if not os.path.exists(soak_server.GUNICORN):
            why = 'gunicorn is not installed next to the test interpreter'
            sql_backends.skip_or_fail(self, why)
        self.direct = self.backend.create_database(self)
        server_url = self.backend.server_url
        self.proxy = tcp_proxy.TCPProxy(server_url.host,
                                        server_url.port)
        self.proxy.start()
        self.addCleanup(self.proxy.stop)
        proxied = sa.engine.make_url(self.direct).set(
            host='127.0.0.1', port=self.proxy.port).render_as_string(
            hide_password=False)
        directory = self.useFixture(fixtures.TempDir()).path
        self.inv = soak_server.Inventory()
        self.server = soak_server.GunicornServer(directory, self.inv, proxied)
        self.addCleanup(self.server.stop)
        self.addOnException(self._attach_log)
        self.server.start()

    def _attach_log(self, exc_info):
        if os.path.exists(self.server.log_path):
            output = self.server.output()
            # The access lines drown the few that say what went wrong, and
            # the first error of the outage is the one to read.
            self.addDetail('gunicorn-errors', content.text_content('\n'.join(
                line for line in output.splitlines()
                if ' INFO ' not in line)[:30000]))
            self.addDetail('gunicorn-log', content.text_content(
                output[-20000:]))

    def test_outage_and_recovery(self):
        times = {}

        def database_down(run):
            times['down'] = time.monotonic()
            self.proxy.stop()

        def database_back(run):
            self.proxy.start()
            times['back'] = time.monotonic()

        workers = sorted(self.server.worker_pids())
        run = soak.Soak(self.server.url, self.inv, clients=CLIENTS,
                        seconds=SECONDS)
        run.run([(OUTAGE[0], database_down), (OUTAGE[1], database_back)])
        figures = run.figures()
        self.addDetail('figures', content.json_content(figures))

        # The soak marks a foreign read that was not a 404 "foreign-...".
        unavailable = [op for op in run.ops
                       if op.status in (503, 'foreign-503')]
        after = [op for op in run.ops if op.t0 >= times['back']]
        recovered = [op for op in after if op.status in (200, 202)]
        # Once a request has succeeded again, none is refused any more:
        # every worker's stale connections were replaced, none waits for
        # a restart.
        first = min(op.t1 for op in recovered) if recovered else None
        late_503 = [op for op in after
                    if first is not None and op.t0 > first and
                    op in unavailable]

        # Judge the store: a 503's outcome is unknown to its client.
        run.ops = [op._replace(status=None) if op in unavailable else op
                   for op in run.ops]
        problems = run.verify(self.direct, allow_lost_answers=True)
        figures.update(
            backend=self.backend.name, problems=len(problems),
            unavailable=len(unavailable),
            other_server_errors=figures['server_errors'] - sum(
                1 for op in unavailable if op.status == 503),
            outage_seconds=round(times['back'] - times['down'], 1),
            recovered_in=(round(first - times['back'], 2)
                          if first is not None else None),
            late_unavailable=len(late_503),
            same_workers=workers == sorted(self.server.worker_pids()),
            proxied_connections=self.proxy.connections)
        common.record_figures('outage-%s' % self.name, **figures)

        self.assertEqual([], problems)
        self.assertGreater(len(unavailable), 0, 'no 503 during the outage')
        self.assertEqual(0, figures['other_server_errors'], figures)
        self.assertEqual(0, figures['unknown_outcome'],
                         'requests left unanswered')
        self.assertNotEqual([], recovered, 'no success after the outage')
        self.assertEqual([], late_503)
        # The same processes: recovery needed no restart.
        self.assertTrue(figures['same_workers'])


class TestPostgreSQLOutage(_OutageTest, base.BaseTestCase):

    backend = sql_backends.POSTGRESQL
    name = 'postgresql'


class TestMariaDBOutage(_OutageTest, base.BaseTestCase):

    backend = sql_backends.MYSQL
    name = 'mariadb'
