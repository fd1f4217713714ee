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
"""A database that hangs or is lost in the middle of a request.

Through the keystone pipeline on the sql driver:

* the service has no request timeout of its own (a Python thread cannot
  be interrupted); the bounds are the database's. On PostgreSQL, a lock
  held elsewhere past ``lock_timeout`` (set in the ``[database]
  connection`` URL) and a pool with no free connection within
  ``[database] pool_timeout`` are each a 503 ``serviceUnavailable``;
* the database connection killed (``pg_terminate_backend``) in the middle
  of an attach, after its port row was written and before it committed:
  503, no half-made port or attachment, and the next requests succeed
  without a restart; the same after every connection of the pool died
  between requests; on MariaDB, the connection lost at BEGIN and at
  check-in.
"""

import threading
import time
import urllib.parse

import sqlalchemy as sa

from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces import conf
from tests.reliability import common
from tests.reliability import fault_case
from tests.unit import sql_backends


def _url_with_options(url, options):
    """``url`` with libpq ``options`` (e.g. ``-c lock_timeout=500``)."""
    return url + '?' + urllib.parse.urlencode({'options': options})


class _ServerDatabase(fault_case.FaultTestCase):
    """The sql driver on a PostgreSQL (or ``backend``) database of its own."""

    backend = sql_backends.POSTGRESQL
    connect_options = None

    def config(self):
        self.db_url = self.backend.create_database(self)
        connection = self.db_url
        if self.connect_options:
            connection = _url_with_options(self.db_url, self.connect_options)
        return {('database', 'connection'): connection,
                ('database', 'max_retries'): 1,
                ('database', 'retry_interval'): 1}

    def make_driver(self):
        drv = sql_driver.SQLDriver(
            conf.CONF, inventory=inventory.load(self.inventory_path))
        self.addCleanup(drv.close)
        return drv

    def setUp(self):
        super().setUp()
        self.side = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
        self.addCleanup(self.side.dispose)

    def dump(self):
        return common.sql_dump(self.driver.inner.db)

    def in_thread(self, *args, **kwargs):
        """Start a request in a thread; return a function for its answer."""
        result = {}

        def run():
            try:
                result['response'] = self.request(*args, **kwargs)
            except BaseException as e:
                result['error'] = e

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def answer():
            thread.join(fault_case.REQUEST_WAIT)
            self.assertFalse(thread.is_alive(), 'request still running')
            if 'error' in result:
                raise result['error']
            return result['response']
        return answer

    def activity(self, sql, **params):
        """Query pg_stat_activity, afresh.

        Each query in its own transaction: within one, PostgreSQL answers
        from the statistics snapshot taken at the first read.
        """
        with self.side.connect() as connection:
            return connection.execute(sa.text(sql), params).all()

    def wait_for_lock_waiter(self):
        """(pid, query) of a backend of our database waiting for a lock."""
        deadline = time.monotonic() + fault_case.REQUEST_WAIT
        while time.monotonic() < deadline:
            rows = self.activity(
                "SELECT pid, query FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'")
            if rows:
                return tuple(rows[0])
            time.sleep(0.02)
        self.fail('no request ever waited for the lock')

    def lock_server(self, connection, name='SERVER'):
        connection.execute(sa.text(
            'SELECT id FROM servers WHERE id = :id FOR UPDATE'),
            {'id': self.ids[name]})

    def attach(self, **attachment):
        return self.request(self.url(), 'POST',
                            {'interfaceAttachment': attachment})


class TestLockTimeout(_ServerDatabase):
    """``lock_timeout`` in the connection URL bounds a wait for a lock."""

    connect_options = '-c lock_timeout=500'

    def test_lock_held_past_lock_timeout_is_503(self):
        before = self.dump()
        with self.side.connect() as side:
            with side.begin():
                self.lock_server(side)
                started = time.monotonic()
                response = self.attach(net_id=self.ids['NET'])
                elapsed = time.monotonic() - started
        self.assertFault(response, 503, 'serviceUnavailable')
        self.assertLess(elapsed, 10)
        self.assertEqual(before, self.dump())
        self.assertEqual(200, self.attach(net_id=self.ids['NET']).status_int)
        self.assertIn('Database unavailable in attach_interface',
                      self.logs.output)


class TestPoolTimeout(_ServerDatabase):
    """A request hangs with the pool's only connection.

    The next one waits ``[database] pool_timeout``, then gets a 503.
    """

    def config(self):
        config = super().config()
        config[('database', 'max_pool_size')] = 1
        config[('database', 'max_overflow')] = 0
        config[('database', 'pool_timeout')] = 1
        return config

    def test_no_free_connection_within_pool_timeout_is_503(self):
        with self.side.connect() as side:
            with side.begin():
                self.lock_server(side)
                hung = self.in_thread(self.url(), 'POST', {
                    'interfaceAttachment': {'net_id': self.ids['NET']}})
                self.wait_for_lock_waiter()
                started = time.monotonic()
                response = self.request(self.url())
                self.assertLess(time.monotonic() - started, 10)
                self.assertFault(response, 503, 'serviceUnavailable')
        # The lock is gone: the hung attach completes, the service answers.
        self.assertEqual(200, hung().status_int)
        self.assertEqual(200, self.request(self.url()).status_int)


class TestConnectionLost(_ServerDatabase):

    ADDRESS = '10.0.0.9'

    def test_connection_killed_in_the_middle_of_an_attach(self):
        before = self.dump()
        with self.side.connect() as side:
            transaction = side.begin()
            # An uncommitted port holds the address: the attach asking for
            # it writes its own port row, then waits on the unique index.
            side.execute(sa.text(
                "INSERT INTO ports (id, network_id, project_id, mac_address,"
                " created_by_attach, created_at) VALUES (:id, :net, :project,"
                " 'fa:16:3e:ff:ff:fe', false, now())"),
                {'id': self.ids['UNKNOWN'], 'net': self.ids['NET'],
                 'project': self.ids['PROJECT']})
            side.execute(sa.text(
                "INSERT INTO fixed_ips (port_id, network_id, subnet_id, "
                "ip_address) VALUES (:id, :net, :subnet, :ip)"),
                {'id': self.ids['UNKNOWN'], 'net': self.ids['NET'],
                 'subnet': self.ids['SUBNET'], 'ip': self.ADDRESS})
            answer = self.in_thread(self.url(), 'POST', {
                'interfaceAttachment': {
                    'net_id': self.ids['NET'],
                    'fixed_ips': [{'ip_address': self.ADDRESS}]}})
            pid, query = self.wait_for_lock_waiter()
            self.assertIn('INSERT INTO fixed_ips', query)
            self.assertTrue(side.execute(sa.text(
                'SELECT pg_terminate_backend(:pid)'), {'pid': pid}).scalar())
            response = answer()
            transaction.rollback()
        self.assertFault(response, 503, 'serviceUnavailable')
        # No half-made port, no attachment: the store is as it was.
        self.assertEqual(before, self.dump())
        # The database is back (it never left): answered without restart.
        response = self.attach(net_id=self.ids['NET'],
                               fixed_ips=[{'ip_address': self.ADDRESS}])
        self.assertEqual(200, response.status_int, response.body)

    def test_every_connection_killed_between_requests(self):
        self.assertEqual(200, self.request(self.url()).status_int)
        with self.side.connect() as side:
            killed = side.execute(sa.text(
                'SELECT count(pg_terminate_backend(pid)) FROM '
                'pg_stat_activity WHERE datname = current_database() AND '
                'pid <> pg_backend_pid()')).scalar()
        self.assertGreater(killed, 0)
        statuses = [self.request(self.url()).status_int for _ in range(3)]
        statuses.append(self.attach(net_id=self.ids['NET']).status_int)
        # At most the first request may find the dead connection.
        self.assertIn(statuses[0], (200, 503))
        self.assertEqual([200, 200, 200], statuses[1:])


class TestMariaDBConnectionLostAtBegin(_ServerDatabase):
    """MariaDB: the connection dies as a write transaction begins.

    The driver sets READ COMMITTED on the connection first, a statement
    SQLAlchemy sends on the DBAPI connection directly; its error must be
    a 503 like any other lost connection, not the DBAPI's own exception.
    """

    backend = sql_backends.MYSQL

    def test_connection_lost_before_the_first_statement_is_503(self):
        before = self.dump()
        engine = self.driver.inner.db.engine
        killed = []

        # After oslo.db's own listener has checked the connection is
        # alive: the server ends it just before the driver's first use.
        def kill(connection):
            if killed:
                return
            thread = connection.connection.dbapi_connection.thread_id()
            with self.side.connect() as side:
                side.execute(sa.text('KILL CONNECTION %d' % thread))
            killed.append(thread)

        sa.event.listen(engine, 'engine_connect', kill)
        self.addCleanup(sa.event.remove, engine, 'engine_connect', kill)
        response = self.attach(net_id=self.ids['NET'])
        self.assertEqual(1, len(killed))
        self.assertFault(response, 503, 'serviceUnavailable')
        self.assertEqual(before, self.dump())
        # The next request gets a new connection: no restart needed.
        self.assertEqual(200, self.attach(net_id=self.ids['NET']).status_int)


class TestMariaDBConnectionLostAtCheckin(_ServerDatabase):
    """MariaDB: the connection dies as a refused write hands it back.

    An attach refused inside its transaction (a 409) returns its
    connection to the pool, which rolls it back and then restores the
    isolation level the transaction set (READ COMMITTED), both on the
    DBAPI connection directly, outside SQLAlchemy's error wrapping. A
    connection lost there must be a 503 like any other, not the DBAPI's
    own exception (500). Found by the database outage run.
    """

    backend = sql_backends.MYSQL

    def test_connection_lost_after_the_rollback_is_503(self):
        before = self.dump()
        engine = self.driver.inner.db.engine
        rollback = engine.dialect.do_rollback
        events, killed = [], []

        # The server ends the connection right after the pool's rollback
        # of the write transaction's connection, before the pool restores
        # its isolation level (the request path's reads are handed back
        # too: not those).
        def rollback_then_kill(dbapi_connection):
            rollback(dbapi_connection)
            if events[-2:] == ['begin', 'reset'] and not killed:
                thread = dbapi_connection.thread_id()
                with self.side.connect() as side:
                    side.execute(sa.text('KILL CONNECTION %d' % thread))
                killed.append(thread)

        def begin(connection):
            events.append('begin')

        def reset(dbapi_connection, record, state):
            events.append('reset')

        for target, name, listener in ((engine, 'begin', begin),
                                       (engine.pool, 'reset', reset)):
            sa.event.listen(target, name, listener)
            self.addCleanup(sa.event.remove, target, name, listener)
        engine.dialect.do_rollback = rollback_then_kill
        self.addCleanup(setattr, engine.dialect, 'do_rollback', rollback)
        # PORT1 is attached to SERVER already: the attach is refused
        # after its first reads, inside its write transaction.
        response = self.attach(port_id=self.ids['PORT1'])
        self.assertEqual(1, len(killed))
        self.assertFault(response, 503, 'serviceUnavailable')
        self.assertEqual(before, self.dump())
        # The next request gets a new connection: no restart needed.
        self.assertFault(self.attach(port_id=self.ids['PORT1']), 409,
                         'conflictingRequest')
