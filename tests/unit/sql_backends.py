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
"""Database back ends for the sql driver's tests.

Each test that needs PostgreSQL or MariaDB creates its own uniquely named
database and drops it at cleanup. The servers are expected where this
project's CI machines run them; the URLs can be overridden with
``NOVA_ATTACH_IFACES_TEST_POSTGRESQL_URL`` and
``NOVA_ATTACH_IFACES_TEST_MYSQL_URL`` (server URL, no database name).

When a server is unreachable the test is skipped with a message saying
what to start, except under ``CI=true``, where it fails: CI must never
pass by skipping the back ends it is there to test.
"""

import os
import time
import uuid

import fixtures
from oslo_config import cfg
import sqlalchemy as sa

from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces import conf as nai_conf


def in_ci():
    return os.environ.get('CI', '').strip().lower() in ('true', '1', 'yes')


def skip_or_fail(testcase, why):
    """Skip ``testcase`` because a real service it needs is missing
    (``why`` says what to install or start); under ``CI=true``, where
    every service must be there, fail it instead.
    """
    if in_ci():
        testcase.fail('CI=true: %s' % why)
    testcase.skipTest(why)


class Backend:
    """A database server on which tests create throw-away databases."""

    name = None
    env = None
    default_url = None
    hint = None

    def __init__(self):
        self.server_url = sa.engine.make_url(
            os.environ.get(self.env) or self.default_url)
        self._probe = None

    def probe(self):
        """None if the server answers, else why not (cached)."""
        if self._probe is None:
            engine = self._admin_engine()
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text('SELECT 1'))
                self._probe = ''
            except sa.exc.DBAPIError as e:
                self._probe = ('%s not reachable at %s (%s); %s'
                               % (self.name, self._where(),
                                  str(e.orig).strip().splitlines()[0],
                                  self.hint))
            finally:
                engine.dispose()
        return self._probe or None

    def _where(self):
        return '%s:%s' % (self.server_url.host, self.server_url.port)

    def _admin_engine(self):
        return sa.create_engine(self.server_url, isolation_level='AUTOCOMMIT',
                                poolclass=sa.pool.NullPool,
                                connect_args={'connect_timeout': 5})

    def require(self, testcase):
        """Skip (or, in CI, fail) ``testcase`` if the server is down."""
        why = self.probe()
        if why is None:
            return
        skip_or_fail(testcase, why)

    def create_database(self, testcase):
        """Create a database dropped at cleanup; return its URL."""
        self.require(testcase)
        name = 'nai_test_%s' % uuid.uuid4().hex[:16]
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(self.create_sql % name))
        finally:
            engine.dispose()
        testcase.addCleanup(self.drop_database, name)
        return self.server_url.set(database=name).render_as_string(
            hide_password=False)

    def wait_for_lock_waiter(self, testcase, engine, timeout=60):
        """Return once a session of ``engine``'s database waits for a lock.

        Polled with a deadline (the test fails after ``timeout`` seconds);
        each poll on a new connection, so that no snapshot hides it.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(sa.text(self.lock_waiters_sql)).all():
                    return
            time.sleep(0.02)
        testcase.fail('no session of the database ever waited for a lock')

    def drop_database(self, name):
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(self.drop_sql % name))
        finally:
            engine.dispose()


class PostgreSQL(Backend):
    name = 'PostgreSQL'
    env = 'NOVA_ATTACH_IFACES_TEST_POSTGRESQL_URL'
    default_url = 'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'
    hint = ('start it (e.g. "pg_ctlcluster 15 main start" or "systemctl '
            'start postgresql") with trust auth for user postgres on '
            '127.0.0.1:5432, or set %s' % env)
    create_sql = 'CREATE DATABASE "%s"'
    # FORCE: a test that failed may have left a connection open.
    drop_sql = 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
    lock_waiters_sql = ("SELECT pid FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'")


class MySQL(Backend):
    name = 'MariaDB/MySQL'
    env = 'NOVA_ATTACH_IFACES_TEST_MYSQL_URL'
    default_url = 'mysql+pymysql://root@127.0.0.1:3306/'
    hint = ('start it (e.g. "systemctl start mariadb" or "mysqld_safe &") '
            'with user root and an empty password on 127.0.0.1:3306, or '
            'set %s' % env)
    create_sql = 'CREATE DATABASE `%s` CHARACTER SET utf8mb4'
    drop_sql = 'DROP DATABASE IF EXISTS `%s`'
    lock_waiters_sql = (
        "SELECT t.trx_id FROM information_schema.innodb_trx t JOIN "
        "information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
        "WHERE t.trx_state = 'LOCK WAIT' AND p.db = database()")


POSTGRESQL = PostgreSQL()
MYSQL = MySQL()


def make_conf(connection=None, state_dir=None, args=()):
    """A fresh, parsed ConfigOpts of this service for one store."""
    conf = cfg.ConfigOpts()
    nai_conf.register_opts(conf)
    conf(list(args), project='nova-attach-ifaces', default_config_files=[],
         default_config_dirs=[])
    apply_store(conf, connection, state_dir)
    return conf


def apply_store(conf, connection=None, state_dir=None):
    """Point ``conf`` at a database URL or an SQLite state directory."""
    if connection is not None:
        conf.set_override('connection', connection, group='database')
    if state_dir is not None:
        conf.set_override('state_dir', state_dir, group='sql')
    # A test must fail fast, not wait 10 x 10 s for a server that is down.
    conf.set_override('max_retries', 1, group='database')
    conf.set_override('retry_interval', 1, group='database')


class StoreMixin:
    """Where a test case's stores live, for a ``testtools.TestCase``:
    ``backend`` (:data:`POSTGRESQL`, :data:`MYSQL`, or None for SQLite
    in a temporary state directory), one new store per
    :meth:`new_store`.
    """

    backend = None

    def new_store(self):
        """Return (connection URL or None, SQLite state dir or None)."""
        if self.backend is None:
            return None, self.useFixture(fixtures.TempDir()).path
        return self.backend.create_database(self), None

    def start_driver(self, conf, inv=None):
        """An sql driver on ``conf``'s store, closed at cleanup."""
        drv = sql_driver.SQLDriver(conf, inventory=inv)
        self.addCleanup(drv.close)
        return drv
