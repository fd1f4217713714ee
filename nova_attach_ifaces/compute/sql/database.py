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
"""The sql store's engines and transactions.

:class:`Database` wraps a private oslo.db ``enginefacade`` transaction
context configured from *our* ``ConfigOpts`` (the service never touches
``cfg.CONF``, which in drop-in filter mode belongs to the host service).
Readers and writers are context managers yielding an ORM session; a writer
is one transaction, committed when the block ends, rolled back when it
raises. Writers run at READ COMMITTED on PostgreSQL (its default) and on
MariaDB (set per transaction), so that a statement that follows a granted
row lock sees what the lock's previous holder committed.

On SQLite, writers begin with ``BEGIN IMMEDIATE``: the database's single
write lock is taken before the first read, so a writer never reads a
snapshot that another process's write then invalidates (which SQLite would
answer with an immediate "database is locked" instead of waiting), and
every check a writer makes holds until it commits. Readers use a plain
``BEGIN`` and, in WAL mode, never wait for writers.

The request path's reads do not use sessions: they run
:class:`Read` statements (:mod:`.reads`) on a :class:`ReadConnection`.
The inventory a first start loads is :mod:`.inventory_store`'s.
"""

import collections
import contextlib
import os
import warnings
import weakref

from oslo_db.sqlalchemy import enginefacade
from oslo_db import warning as db_warning
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import migration

LOG = logging.getLogger(__name__)

SQLITE_FILE = 'nova-attach-ifaces.sqlite'


def connection_url(conf):
    """``[database] connection``, or the embedded SQLite file's URL."""
    if conf.database.connection:
        return conf.database.connection
    state_dir = os.path.abspath(conf.sql.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    return 'sqlite:///%s' % os.path.join(state_dir, SQLITE_FILE)


@enginefacade.transaction_context_provider
class _TxnContext:
    """A fresh holder per transaction.

    enginefacade keeps its per-transaction state on a context object; the
    caller's RequestContext is not ours to decorate, so each transaction
    gets its own.
    """


class Database:
    """The engines and transactions of one store, configured from ``conf``.

    :param conf: the service ``ConfigOpts``, with the [database] and [sql]
        options registered (``nova_attach_ifaces.conf.register_opts``).
    """

    def __init__(self, conf):
        self.conf = conf
        self.url = connection_url(conf)
        self._ctx = enginefacade.transaction_context()
        options = dict(conf.database.items())
        options['connection'] = self.url
        # The store relies on its foreign keys on every backend.
        options['sqlite_fk'] = True
        # oslo.db's default adds time.sleep(0) on every connection checkin,
        # for eventlet; this service runs on OS threads, where it only
        # costs (about 1 ms per transaction here, more than the query).
        options['thread_checkin'] = False
        with warnings.catch_warnings():
            # [database] has options (backend, use_db_reconnect, ...) that
            # the facade does not take; they mean nothing here.
            warnings.simplefilter('ignore', db_warning.NotSupportedWarning)
            self._ctx.configure(**options)
        self._ctx.append_on_engine_create(self._on_engine_create)

    def _on_engine_create(self, engine):
        if engine.dialect.name != 'sqlite':
            return
        busy_ms = self.conf.sql.sqlite_busy_timeout * 1000
        memory = engine.url.database in (None, '', ':memory:')

        @sa.event.listens_for(engine, 'connect')
        def _sqlite_pragmas(dbapi_connection, connection_record):
            cursor = dbapi_connection.cursor()
            # Writers wait for each other instead of failing at once.
            cursor.execute('PRAGMA busy_timeout = %d' % busy_ms)
            if not memory:
                # Readers never block writers nor wait for them.
                cursor.execute('PRAGMA journal_mode = WAL')
            cursor.close()

        def _sqlite_begin_immediate(connection):
            if 'in_transaction' in connection.info:
                return
            options = connection.get_execution_options()
            if options.get(migration.IMMEDIATE):
                connection.exec_driver_sql('BEGIN IMMEDIATE')
                connection.info['in_transaction'] = True

        if not memory and isinstance(engine.pool, sa.pool.NullPool):
            self._pool_sqlite_connections(engine)

        # This must run before oslo.db's own "begin" listener, which then
        # sees the transaction marker and emits nothing. listen(insert=True)
        # does not order engine-level listeners, so re-add oslo.db's after
        # ours.
        others = list(engine.dispatch.begin)
        for listener in others:
            sa.event.remove(engine, 'begin', listener)
        sa.event.listen(engine, 'begin', _sqlite_begin_immediate)
        for listener in others:
            sa.event.listen(engine, 'begin', listener)

    def _pool_sqlite_connections(self, engine):
        """Keep SQLite file connections open between transactions.

        oslo.db gives SQLite files a NullPool, so every transaction opened
        a new connection, ran the pragmas and re-read the schema: about
        0.4-1 ms, more than the queries of a list or show request (two
        transactions each). SQLAlchemy 2 itself pools file connections;
        this does the same. Pooled connections move between the server's
        threads, hence check_same_thread off (each is used by one thread
        at a time, which is all pysqlite needs).
        """
        @sa.event.listens_for(engine, 'do_connect')
        def _any_thread(dialect, connection_record, cargs, cparams):
            cparams['check_same_thread'] = False

        @sa.event.listens_for(engine, 'checkin')
        def _forget_transaction(dbapi_connection, connection_record):
            # The BEGIN markers live in the connection record, which now
            # outlives the transaction: the pool has rolled back whatever
            # was left open, so the next checkout must BEGIN again.
            connection_record.info.pop('in_transaction', None)

        database = self.conf.database
        old = engine.pool
        engine.pool = sa.pool.QueuePool(
            old._creator, pool_size=database.max_pool_size or 5,
            max_overflow=(database.max_overflow
                          if database.max_overflow is not None else 10),
            timeout=database.pool_timeout or 30,
            recycle=old._recycle, echo=old.echo,
            # No ping (a SELECT 1) per checkout, which oslo.db turns on to
            # find server connections that died: a file cannot drop a
            # connection, and the ping doubled the statements of a read.
            reset_on_return=old._reset_on_return, pre_ping=False,
            dialect=old._dialect, _dispatch=old.dispatch)

    @property
    def engine(self):
        """The writer engine (starts the facade: connects)."""
        return self._ctx.writer.get_engine()

    @contextlib.contextmanager
    def writer(self):
        """One read-write transaction (IMMEDIATE on SQLite)."""
        dialect = self.engine.dialect
        try:
            with self._ctx.writer.using(_TxnContext()) as session:
                # Procuring the connection here, first, with the options,
                # is what makes SQLite's BEGIN an IMMEDIATE one, and
                # MariaDB's transaction READ COMMITTED.
                options = {migration.IMMEDIATE: True}
                if dialect.name == 'mysql':
                    # As on PostgreSQL, each statement sees what other
                    # transactions committed before it, in particular
                    # once a row lock this transaction waited for is
                    # granted; under REPEATABLE READ it would keep reading
                    # an older snapshot and only lose in the UNIQUE
                    # constraints.
                    options['isolation_level'] = 'READ COMMITTED'
                session.connection(execution_options=options)
                yield session
        except dialect.loaded_dbapi.Error as e:
            # Two DBAPI calls happen outside SQLAlchemy's error wrapping:
            # setting the isolation level on the connection, and the
            # pool's rollback when the connection is handed back (after
            # any error of the block, a 409 among them). A connection lost
            # there must read as one (503), not as the DBAPI's own
            # exception (500).
            raise _wrapped(e, None, None, dialect, True) from e

    @contextlib.contextmanager
    def read_connection(self):
        """A :class:`ReadConnection` for the request path's reads."""
        engine = self.engine
        dialect = engine.dialect
        try:
            pooled = engine.raw_connection()
        except dialect.loaded_dbapi.Error as e:
            raise _wrapped(e, None, None, dialect, False) from e
        # psycopg2 sends a BEGIN before a statement outside autocommit,
        # and the pool a ROLLBACK at checkin: two round trips around a
        # read that is one statement (setting the flag outside a
        # transaction is client-side only). Other drivers begin no
        # transaction of their own.
        autocommit = dialect.driver == 'psycopg2'
        try:
            if autocommit:
                pooled.dbapi_connection.autocommit = True
            yield ReadConnection(pooled, dialect)
        finally:
            if autocommit and pooled.dbapi_connection is not None:
                try:
                    pooled.dbapi_connection.autocommit = False
                except dialect.loaded_dbapi.Error:
                    # Closed (the read found it disconnected): the pool
                    # drops it.
                    pass
            # Back to the pool, which rolls back what a server database
            # began implicitly.
            pooled.close()

    @contextlib.contextmanager
    def reader(self):
        """One read-only transaction."""
        with self._ctx.reader.using(_TxnContext()) as session:
            yield session

    def dispose(self):
        """Close pooled connections (tests, CLI exit)."""
        if self._ctx.is_started:
            self.engine.dispose()

    def upgrade(self, revision='head'):
        return migration.upgrade(self.engine, revision)

    def current_revision(self):
        return migration.current_revision(self.engine)

    def bootstrap(self, auto_migrate=True, inv=None):
        """Migrate (optionally) and load ``inv`` if the store is empty.

        Both under the schema lock, so that of several workers starting
        together exactly one migrates and exactly one loads.

        :returns: the counts of what was loaded, or None.
        """
        with self.engine.connect() as connection:
            with migration.exclusive(connection) as locked:
                if auto_migrate:
                    migration.upgrade_locked(locked)
                else:
                    migration.check_locked(locked)
                if inv is None:
                    return None
                with orm.Session(bind=locked) as session:
                    with session.begin():
                        if not inventory_store.is_empty(session):
                            LOG.info('The database already holds an '
                                     'inventory: not loading it again')
                            return None
                        return inventory_store.load_inventory(session,
                                                              inv)


# The request path's reads.
#
# The driver's reads (get_server, get_server_interfaces, ...) are one
# SELECT each (two for a port that is not on the server), built with Core
# in :mod:`.reads`. They run on a pooled DBAPI connection
# (``Engine.raw_connection()``) as SQLAlchemy compiled them for the
# engine's dialect, once. Through a
# SQLAlchemy ``Connection`` each cost about 150 us here, five times the
# query itself (connection events, execution context, result set-up), and
# through the ORM ten times more; reads need none of that machinery, only
# the pool. Writes keep enginefacade, the ORM and oslo.db's error
# translation.
#
# On SQLite the DBAPI connection is in autocommit mode (oslo.db turns
# pysqlite's own BEGIN off), so each SELECT runs alone, on one consistent
# WAL snapshot, never waiting for writers.


class Read:
    """A Core SELECT compiled once per dialect; rows are named tuples."""

    def __init__(self, statement):
        self.statement = statement
        self.row = collections.namedtuple(
            'Row', statement.selected_columns.keys())
        self._compiled = weakref.WeakKeyDictionary()

    def compiled(self, dialect):
        """(SQL text, positional parameter names or None) for ``dialect``."""
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            found = self._compiled[dialect] = (
                str(compiled), compiled.positiontup)
        return found


class ReadConnection:
    """A pooled DBAPI connection that runs :class:`Read` statements.

    DBAPI errors come out as SQLAlchemy's wrappers of them (an
    ``OperationalError`` for a database that went away), and a connection
    the dialect finds disconnected is invalidated, so that the pool replaces
    it, as a SQLAlchemy ``Connection`` would do.
    """

    def __init__(self, pooled, dialect):
        self.pooled = pooled
        self.dialect = dialect

    def rows(self, read, **params):
        """The rows of ``read`` with bound ``params``, all fetched."""
        sql, names = read.compiled(self.dialect)
        args = params if names is None else tuple(params[n] for n in names)
        cursor = self.pooled.cursor()
        try:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        except self.dialect.loaded_dbapi.Error as e:
            disconnected = self.dialect.is_disconnect(
                e, self.pooled.dbapi_connection, cursor)
            if disconnected:
                # Closes it, cursor included; the pool opens a new one.
                self.pooled.invalidate(e)
            else:
                cursor.close()
            raise _wrapped(e, sql, args, self.dialect, disconnected) from e
        cursor.close()
        return [read.row._make(row) for row in rows]


def _wrapped(error, sql, args, dialect, invalidated):
    return sa.exc.DBAPIError.instance(
        sql, args, error, dialect.loaded_dbapi.Error,
        connection_invalidated=invalidated, dialect=dialect)
