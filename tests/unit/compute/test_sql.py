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
"""Tests of the sql driver on SQLite, PostgreSQL and MariaDB.

The public conformance suite runs on each back end, then the sql driver's
own promises: persistence across restarts, one query per read, schema
migrations, the embedded SQLite defaults, 503 when the database is gone,
threads racing on one network (several *processes* racing:
:mod:`tests.unit.compute.test_sql_processes`).

PostgreSQL and MariaDB tests create and drop their own database; see
:mod:`tests.unit.sql_backends` for what happens when the server is down.
"""

import configparser
import os
import sqlite3
import threading

from alembic import autogenerate
from alembic import migration as alembic_migration
import fixtures
from oslotest import base
import sqlalchemy as sa
import yaml

from nova_attach_ifaces.compute import conformance
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces.compute.sql import models
from tests.unit import sql_backends

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')


class _SQLConformance(sql_backends.StoreMixin,
                      conformance.DriverConformanceTests):

    def make_driver(self, inv, conf):
        url, state_dir = self.new_store()
        sql_backends.apply_store(conf, url, state_dir)
        return self.start_driver(conf, inv)


class TestSQLiteConformance(_SQLConformance, base.BaseTestCase):
    pass


class TestPostgreSQLConformance(_SQLConformance, base.BaseTestCase):
    backend = sql_backends.POSTGRESQL


class TestMySQLConformance(_SQLConformance, base.BaseTestCase):
    backend = sql_backends.MYSQL


class _SQLDriverTests(sql_backends.StoreMixin):
    """The sql driver's own promises, on every back end."""

    def setUp(self):
        super().setUp()
        self.url, self.state_dir = self.new_store()
        self.conf = sql_backends.make_conf(self.url, self.state_dir)
        self.ctx = conformance.context(conformance.PROJECT_A)
        self.admin = conformance.context(conformance.PROJECT_ADMIN,
                                         is_admin=True)

    def override(self, name, value, group):
        self.conf.set_override(name, value, group=group)
        self.addCleanup(self.conf.clear_override, name, group=group)

    def start(self, inv=None):
        if inv is None:
            inv = conformance.build_inventory()
        return self.start_driver(self.conf, inv)

    def record_reads(self, reads=None):
        """Record (SQL, parameters) of each read-path SELECT in ``reads``.

        Those run on the pool's DBAPI connections, where SQLAlchemy's
        cursor events do not see them.
        """
        reads = [] if reads is None else reads
        rows = database.ReadConnection.rows

        def record(connection, read, **params):
            sql, names = read.compiled(connection.dialect)
            reads.append((sql, params if names is None
                          else tuple(params[n] for n in names)))
            return rows(connection, read, **params)

        self.useFixture(fixtures.MockPatchObject(
            database.ReadConnection, 'rows', record))
        return reads

    def count_selects(self, drv):
        """Every SELECT the driver runs, read path and transactions."""
        statements = []

        def record(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith('SELECT'):
                statements.append((statement, args[0] if args else None))

        sa.event.listen(drv.db.engine, 'before_cursor_execute', record)
        self.addCleanup(sa.event.remove, drv.db.engine,
                        'before_cursor_execute', record)
        return self.record_reads(statements)

    def test_is_a_compute_driver(self):
        self.assertIsInstance(self.start(), driver.ComputeDriver)

    def test_changes_survive_a_restart(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A2)
        created = drv.attach_interface(self.ctx, server,
                                       net_id=conformance.NET_A, tag='db')
        drv.attach_interface(self.ctx, server,
                             port_id=conformance.PORT_A_FREE)
        drv.detach_interface(self.ctx,
                             drv.get_server(self.ctx, conformance.SERVER_A1),
                             conformance.PORT_A1)
        drv.close()

        # Same store, inventory given again: it is not loaded twice, and
        # nothing that happened since is undone.
        again = self.start()
        self.assertEqual(
            [created.port_id, conformance.PORT_A_FREE],
            [a.port_id for a in again.list_interfaces(self.ctx, server)])
        self.assertEqual('db', again.get_interface(
            self.ctx, server, created.port_id).tag)
        self.assertEqual(
            [conformance.PORT_A2],
            [a.port_id for a in again.list_interfaces(
                self.ctx, again.get_server(self.ctx, conformance.SERVER_A1))])

    def test_list_and_show_are_one_query(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        for _ in range(3):
            drv.attach_interface(self.ctx, server, net_id=conformance.NET_A)
        selects = self.count_selects(drv)
        listing = drv.list_interfaces(self.ctx, server)
        self.assertEqual(5, len(listing))
        self.assertEqual(1, len(selects), selects)
        del selects[:]
        drv.get_interface(self.ctx, server, listing[-1].port_id)
        self.assertEqual(1, len(selects), selects)
        del selects[:]
        # The API's list and show: the server and its interfaces, in one
        # query.
        found, again = drv.get_server_interfaces(self.ctx, server.id)
        self.assertEqual((server, listing), (found, again))
        self.assertEqual(1, len(selects), selects)
        del selects[:]
        self.assertEqual((server, listing[-1]), drv.get_server_interface(
            self.ctx, server.id, listing[-1].port_id))
        self.assertEqual(1, len(selects), selects)

    def test_read_errors_are_wrapped_and_dead_connections_dropped(self):
        drv = self.start()
        missing = database.Read(
            sa.select(sa.literal_column('id')).select_from(
                sa.table('no_such_table')))
        with drv.db.read_connection() as conn:
            # As if the database had dropped the connection mid-query.
            self.useFixture(fixtures.MockPatchObject(
                conn.dialect, 'is_disconnect', return_value=True))
            error = self.assertRaises(sa.exc.DBAPIError, conn.rows, missing)
            self.assertTrue(error.connection_invalidated)
            self.assertFalse(conn.pooled.is_valid)
        # The pool replaced the connection: reads go on.
        self.assertEqual(conformance.SERVER_A1, drv.get_server(
            self.ctx, conformance.SERVER_A1).id)

    def test_refused_read_connection_is_unavailable(self):
        drv = self.start()
        dbapi = drv.db.engine.dialect.loaded_dbapi
        self.useFixture(fixtures.MockPatchObject(
            sa.engine.Engine, 'raw_connection',
            side_effect=dbapi.OperationalError('server closed the '
                                               'connection')))
        e = self.assertRaises(exception.ComputeUnavailable, drv.get_server,
                              self.ctx, conformance.SERVER_A1)
        self.assertEqual(503, e.code)

    def test_ids_are_exact(self):
        drv = self.start()
        self.assertRaises(exception.ServerNotFound, drv.get_server,
                          self.ctx, conformance.SERVER_A1.upper())
        self.assertRaises(exception.ServerNotFound, drv.get_server,
                          self.ctx, conformance.SERVER_A1 + ' ')
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertRaises(exception.PortNotFound, drv.get_interface,
                          self.ctx, server, conformance.PORT_A1.upper())

    def test_no_half_made_port_when_attach_fails(self):
        self.override('max_interfaces_per_server', 3, 'compute')
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        drv.attach_interface(self.ctx, server, net_id=conformance.NET_A)
        before = self.table_counts(drv)
        self.assertRaises(exception.PortLimitExceeded, drv.attach_interface,
                          self.ctx, server, net_id=conformance.NET_A)
        self.assertRaises(exception.FixedIpAlreadyInUse,
                          drv.attach_interface, self.ctx,
                          drv.get_server(self.ctx, conformance.SERVER_A2),
                          net_id=conformance.NET_A, fixed_ip='10.0.0.2')
        self.assertEqual(before, self.table_counts(drv))

    def table_counts(self, drv):
        with drv.db.reader() as session:
            return {m.__tablename__: session.scalar(
                sa.select(sa.func.count()).select_from(m))
                for m in (models.Port, models.FixedIp, models.Attachment)}

    def test_detach_deletes_created_port_rows(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A2)
        before = self.table_counts(drv)
        att = drv.attach_interface(self.ctx, server, net_id=conformance.NET_A)
        drv.detach_interface(self.ctx, server, att.port_id)
        self.assertEqual(before, self.table_counts(drv))

    def test_migrated_to_head(self):
        drv = self.start()
        self.assertEqual(migration.head_revision(),
                         drv.db.current_revision())
        # Running it again is a no-op.
        self.assertEqual(migration.head_revision(), drv.db.upgrade())

    def test_upgrade_from_empty(self):
        db = database.Database(self.conf)
        self.addCleanup(db.dispose)
        self.assertIsNone(db.current_revision())
        self.assertEqual(migration.head_revision(), db.upgrade())
        self.assertEqual(migration.head_revision(), db.current_revision())
        tables = set(sa.inspect(db.engine).get_table_names())
        self.assertEqual(set(models.Base.metadata.tables) |
                         {'alembic_version'}, tables)

    def test_models_match_migrations(self):
        drv = self.start()
        with drv.db.engine.connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection)
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
        self.assertEqual([], diff)

    def test_auto_migrate_disabled_is_unavailable_until_sync(self):
        self.override('auto_migrate', False, 'sql')
        drv = self.start(inventory.Inventory())
        self.assertRaises(exception.ComputeUnavailable, drv.get_server,
                          self.ctx, conformance.SERVER_A1)
        self.assertIsNone(drv.db.current_revision())
        drv.db.upgrade()
        self.assertRaises(exception.ServerNotFound, drv.get_server,
                          self.ctx, conformance.SERVER_A1)

    def test_inventory_file_loaded_when_empty(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'inventory.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump(conformance.INVENTORY_DATA, f)
        self.override('inventory_file', path, 'sql')
        drv = self.start_driver(self.conf)
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertEqual([conformance.ATT_A1, conformance.ATT_A2],
                         drv.list_interfaces(self.ctx, server))
        drv.detach_interface(self.ctx, server, conformance.PORT_A1)
        drv.close()
        # Restart with the file still configured: the store is not empty,
        # so the file does not bring the detached port back.
        drv = self.start_driver(self.conf)
        self.assertEqual([conformance.ATT_A2],
                         drv.list_interfaces(self.ctx, server))

    def test_inventory_file_missing_is_an_error(self):
        self.override('inventory_file', '/nonexistent/inv.yaml', 'sql')
        self.assertRaises(inventory.InventoryError, sql_driver.SQLDriver,
                          self.conf)


class TestSQLiteDriver(_SQLDriverTests, base.BaseTestCase):

    def test_embedded_default_file_wal_and_busy_timeout(self):
        self.start()
        path = os.path.join(self.state_dir, 'nova-attach-ifaces.sqlite')
        self.assertTrue(os.path.isfile(path))
        connection = sqlite3.connect(path)
        self.addCleanup(connection.close)
        self.assertEqual('wal', connection.execute(
            'PRAGMA journal_mode').fetchone()[0])
        drv = self.start()
        with drv.db.reader() as session:
            self.assertEqual(30000, session.scalar(
                sa.text('PRAGMA busy_timeout')))

    def test_state_dir_created(self):
        self.override('state_dir', os.path.join(self.state_dir, 'a', 'b'),
                      'sql')
        drv = self.start()
        self.assertTrue(drv.db.url.endswith(
            '/a/b/nova-attach-ifaces.sqlite'), drv.db.url)
        self.assertTrue(os.path.isfile(drv.db.url[len('sqlite:///'):]))

    def test_writers_begin_immediate(self):
        drv = self.start()
        begins = []
        sa.event.listen(
            drv.db.engine, 'before_cursor_execute',
            lambda conn, cur, stmt, *a: stmt.startswith('BEGIN') and
            begins.append(stmt))
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        drv.attach_interface(self.ctx, server,
                             port_id=conformance.PORT_A_FREE)
        # The one-query read of get_server needs no transaction; the
        # attach takes the write lock from its first statement.
        self.assertEqual(['BEGIN IMMEDIATE'], begins)

    def test_list_and_show_use_indexes(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        reads = self.record_reads()
        drv.list_interfaces(self.ctx, server)
        drv.get_interface(self.ctx, server, conformance.PORT_A1)
        drv.get_server_interface(self.ctx, server.id, conformance.PORT_A1)
        self.assertEqual(3, len(reads))
        with drv.db.engine.connect() as conn:
            plans = [conn.exec_driver_sql('EXPLAIN QUERY PLAN ' + sql,
                                          args).fetchall()
                     for sql, args in reads]
        for plan in plans:
            details = [row[-1] for row in plan]
            # "SCAN <table>" would be a full table scan; SEARCH uses an
            # index (temporary B-trees for ORDER BY are fine).
            self.assertEqual([], [d for d in details
                                  if d.startswith('SCAN ')], details)


# Threads of one driver crowding one small subnet: a /28 without its
# gateway has 13 addresses, for 20 attaches.
CROWD_NET = conformance._uuid(0x4e, 0x88)
CROWD_SUBNET = conformance._uuid(0x5b, 0x88)
CROWD_SERVERS = [conformance._uuid(0x5e, 0x800 + i) for i in range(20)]
CROWD_ADDRESSES = 13
CROWD_TIMEOUT = 180


def _crowd_inventory():
    return inventory.parse({
        'networks': [{'id': CROWD_NET, 'project_id': conformance.PROJECT_A,
                      'subnets': [{'id': CROWD_SUBNET,
                                   'cidr': '10.8.0.0/28',
                                   'gateway_ip': '10.8.0.1'}]}],
        'servers': [{'id': s, 'project_id': conformance.PROJECT_A}
                    for s in CROWD_SERVERS],
    })


class _NoNetworkLock:
    """Attaches on one network do not queue behind each other's row lock.

    Addresses are allocated optimistically: a candidate is read without
    locking the network and the UNIQUE constraints settle races.
    """

    #: How another transaction share-locks a row (which any writer's lock
    #: on it, FOR UPDATE or FOR NO KEY UPDATE, would wait for).
    share_lock = None

    def test_attach_does_not_wait_for_the_network_row(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        engine = sa.create_engine(self.url)
        self.addCleanup(engine.dispose)
        made = []
        thread = threading.Thread(target=lambda: made.append(
            drv.attach_interface(self.ctx, server,
                                 net_id=conformance.NET_A)))
        with engine.connect() as conn:
            with conn.begin():
                conn.execute(sa.text(
                    'SELECT id FROM networks WHERE id = :id ' +
                    self.share_lock), {'id': conformance.NET_A})
                thread.start()
                # Not a timing: a waiting attach would wait until the
                # share lock goes, after the join.
                thread.join(30)
                finished = not thread.is_alive()
        thread.join(60)
        self.assertTrue(finished, 'the attach waited for the network row')
        self.assertEqual(1, len(made))
        self.assertEqual([('10.0.0.5', conformance.SUBNET_A1)],
                         [(ip.ip_address, ip.subnet_id)
                          for ip in made[0].fixed_ips])

    def test_threads_racing_on_one_network_get_distinct_addresses(self):
        # More attaches at once than the subnet has addresses, each on a
        # connection of its own (a thread of one driver, as in one API
        # worker): every address and MAC is given once, and the attaches
        # the subnet has no room for get Nova's NoMoreFixedIps (400 on
        # the wire), nothing else.
        drv = self.start(_crowd_inventory())
        servers = [drv.get_server(self.ctx, s) for s in CROWD_SERVERS]
        barrier = threading.Barrier(len(servers))
        outcomes = [None] * len(servers)

        def attach(index):
            barrier.wait(60)
            try:
                outcomes[index] = drv.attach_interface(
                    self.ctx, servers[index], net_id=CROWD_NET)
            except Exception as e:
                outcomes[index] = e

        threads = [threading.Thread(target=attach, args=(i,), daemon=True)
                   for i in range(len(servers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(CROWD_TIMEOUT)
        made = [o for o in outcomes if isinstance(o, driver.Attachment)]
        refused = [o for o in outcomes
                   if not isinstance(o, driver.Attachment)]
        self.assertEqual(CROWD_ADDRESSES, len(made), outcomes)
        self.assertEqual(
            [(exception.NoMoreFixedIps, 400)] * (len(servers) -
                                                 CROWD_ADDRESSES),
            [(type(e), e.code) for e in refused])
        addresses = [ip.ip_address for a in made for ip in a.fixed_ips]
        self.assertEqual(CROWD_ADDRESSES, len(set(addresses)))
        self.assertEqual(CROWD_ADDRESSES, len({a.mac_addr for a in made}))
        # Nothing half-made by the refused ones: the store holds exactly
        # the attached ports, one address each.
        with drv.db.reader() as session:
            self.assertEqual(
                (CROWD_ADDRESSES,) * 3,
                tuple(session.scalar(sa.select(sa.func.count())
                                     .select_from(m))
                      for m in (models.Port, models.FixedIp,
                                models.Attachment)))


class TestPostgreSQLDriver(_NoNetworkLock, _SQLDriverTests,
                           base.BaseTestCase):
    backend = sql_backends.POSTGRESQL
    share_lock = 'FOR SHARE'

    def test_reads_open_no_transaction(self):
        # psycopg2 would send a BEGIN before the read's one statement and
        # the pool a ROLLBACK after it: two round trips of four.
        import psycopg2.extensions

        drv = self.start()
        seen = []
        rows = database.ReadConnection.rows

        def record(connection, read, **params):
            found = rows(connection, read, **params)
            seen.append(connection.pooled.dbapi_connection
                        .get_transaction_status())
            return found

        self.useFixture(fixtures.MockPatchObject(
            database.ReadConnection, 'rows', record))
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        drv.list_interfaces(self.ctx, server)
        drv.get_interface(self.ctx, server, conformance.PORT_A1)
        self.assertEqual([psycopg2.extensions.TRANSACTION_STATUS_IDLE] * 3,
                         seen)
        # The writers still run in transactions, and the connection they
        # get from the pool is not left in autocommit.
        att = drv.attach_interface(self.ctx, server,
                                   net_id=conformance.NET_A)
        drv.detach_interface(self.ctx, server, att.port_id)
        with drv.db.engine.connect() as conn:
            self.assertFalse(conn.connection.dbapi_connection.autocommit)

    def test_database_gone_is_unavailable(self):
        drv = self.start()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        name = sa.engine.make_url(self.url).database
        self.backend.drop_database(name)
        self.assertRaises(exception.ComputeUnavailable, drv.get_server,
                          self.ctx, conformance.SERVER_A1)
        self.assertRaises(exception.ComputeUnavailable,
                          drv.attach_interface, self.ctx, server,
                          net_id=conformance.NET_A)


class TestMySQLDriver(_NoNetworkLock, _SQLDriverTests, base.BaseTestCase):
    backend = sql_backends.MYSQL
    share_lock = 'LOCK IN SHARE MODE'


class TestUnreachable(base.BaseTestCase):

    def test_unreachable_server_is_unavailable(self):
        # Nothing listens on port 1; the driver starts anyway and answers
        # 503 until the database is there.
        conf = sql_backends.make_conf(
            'postgresql+psycopg2://postgres@127.0.0.1:1/nai')
        drv = sql_driver.SQLDriver(conf)
        self.addCleanup(drv.close)
        ctx = conformance.context(conformance.PROJECT_A)
        e = self.assertRaises(exception.ComputeUnavailable, drv.get_server,
                              ctx, conformance.SERVER_A1)
        self.assertEqual(503, e.code)
        self.assertRaises(exception.ComputeUnavailable,
                          drv.attach_interface, ctx,
                          driver.Server(conformance.SERVER_A1,
                                        conformance.PROJECT_A))


class TestPackaging(base.BaseTestCase):

    def test_entry_points(self):
        setup = configparser.ConfigParser()
        setup.read(os.path.join(ROOT, 'setup.cfg'))
        entry_points = setup['entry_points']
        self.assertIn('sql = nova_attach_ifaces.compute.sql.driver:SQLDriver',
                      entry_points['nova_attach_ifaces.compute_drivers'])
        self.assertIn('nova-attach-ifaces-manage = '
                      'nova_attach_ifaces.cmd.manage:main',
                      entry_points['console_scripts'])

    def test_alembic_ini_ships_in_the_package(self):
        self.assertTrue(os.path.isfile(os.path.join(
            os.path.dirname(migration.__file__), 'alembic.ini')))
        self.assertIsNotNone(migration.head_revision())


# Several processes racing. The worker is a module-level function so that
# the "spawn" start method can import it in fresh interpreters.

class TestApiHelpers(base.BaseTestCase):

    def test_connection_url_default_is_sqlite_in_state_dir(self):
        state_dir = self.useFixture(fixtures.TempDir()).path
        conf = sql_backends.make_conf(None, state_dir)
        self.assertEqual(
            'sqlite:///%s/nova-attach-ifaces.sqlite' % state_dir,
            database.connection_url(conf))

    def test_connection_url_from_database_connection(self):
        conf = sql_backends.make_conf('mysql+pymysql://u:p@db/nai')
        self.assertEqual('mysql+pymysql://u:p@db/nai',
                         database.connection_url(conf))


class TestBackendPolicy(base.BaseTestCase):
    """An unreachable server: skipped with a hint, or failed under CI."""

    class _Recorder:
        def __init__(self):
            self.calls = []

        def fail(self, message):
            # As TestCase.fail does: the test stops here.
            self.calls.append(('fail', message))
            raise AssertionError(message)

        def skipTest(self, message):
            self.calls.append(('skip', message))

    def down_backend(self):
        self.useFixture(fixtures.EnvironmentVariable(
            sql_backends.POSTGRESQL.env,
            'postgresql+psycopg2://postgres@127.0.0.1:1/postgres'))
        return sql_backends.PostgreSQL()

    def test_skips_with_what_to_start_outside_ci(self):
        self.useFixture(fixtures.EnvironmentVariable('CI', None))
        recorder = self._Recorder()
        self.down_backend().require(recorder)
        [(kind, message)] = recorder.calls
        self.assertEqual('skip', kind)
        self.assertIn('PostgreSQL not reachable at 127.0.0.1:1', message)
        self.assertIn('start it', message)

    def test_fails_under_ci(self):
        self.useFixture(fixtures.EnvironmentVariable('CI', 'true'))
        recorder = self._Recorder()
        self.assertRaises(AssertionError, self.down_backend().require,
                          recorder)
        [(kind, message)] = recorder.calls
        self.assertEqual('fail', kind)
        self.assertIn('CI=true', message)
