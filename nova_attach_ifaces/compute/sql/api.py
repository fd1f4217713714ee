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
"""Database access of the sql driver: engine set-up, inventory, management.

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

The inventory functions are shared by the driver (first start) and
``nova-attach-ifaces-manage``; loading is idempotent.
"""

import collections
import contextlib
import datetime
import os
import warnings
import weakref

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db import warning as db_warning
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import ipam
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces.compute.sql import models

LOG = logging.getLogger(__name__)

SQLITE_FILE = 'nova-attach-ifaces.sqlite'

ACTIVE = driver.ACTIVE
DOWN = driver.DOWN


class InventoryConflict(inventory.InventoryError):
    """An inventory entry clashes with what the database already holds."""


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
        try:
            yield ReadConnection(pooled, dialect)
        finally:
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
                        if not is_empty(session):
                            LOG.info('The database already holds an '
                                     'inventory: not loading it again')
                            return None
                        return load_inventory(session, inv)


# The request path's reads.
#
# The driver's reads (get_server, get_server_interfaces, ...) are one
# SELECT each (two for a port that is not on the server), built with Core
# below. They run on a pooled DBAPI connection (``Engine.raw_connection()``)
# as SQLAlchemy compiled them for the engine's dialect, once. Through a
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


_SERVERS = models.Server.__table__
_ATTACHMENTS = models.Attachment.__table__
_PORTS = models.Port.__table__
_FIXED_IPS = models.FixedIp.__table__

# What :func:`to_server` reads; labelled, since the joins below also
# select a port's id.
_SERVER_COLUMNS = (
    _SERVERS.c.id.label('server_id'),
    _SERVERS.c.project_id.label('server_project_id'), _SERVERS.c.vm_state,
    _SERVERS.c.task_state, _SERVERS.c.locked, _SERVERS.c.name,
    _SERVERS.c.created_at)

_SERVER_BY_ID = Read(sa.select(*_SERVER_COLUMNS).where(
    _SERVERS.c.id == sa.bindparam('server_id')))
_ALL_SERVERS = Read(sa.select(*_SERVER_COLUMNS))
_SERVERS_OF_PROJECT = Read(sa.select(*_SERVER_COLUMNS).where(
    _SERVERS.c.project_id == sa.bindparam('project_id')))

_NETWORKS = models.Network.__table__
_NETWORK_NAME = Read(sa.select(_NETWORKS.c.id, _NETWORKS.c.name).where(
    _NETWORKS.c.id == sa.bindparam('network_id')))


def _server_with_attachments(*attachment_filter):
    """A server and its attachments, with their ports and fixed IPs.

    One row per (attachment, fixed IP) in attach order, one row with NULL
    attachment columns for a server with no attachment, no row for no
    server. ``attachment_filter`` narrows the attachments joined.
    """
    return Read(sa.select(
        *_SERVER_COLUMNS, _ATTACHMENTS.c.tag, _PORTS.c.id,
        _PORTS.c.network_id, _PORTS.c.mac_address, _FIXED_IPS.c.ip_address,
        _FIXED_IPS.c.subnet_id,
    ).select_from(
        _SERVERS
        .outerjoin(_ATTACHMENTS, sa.and_(
            _ATTACHMENTS.c.server_id == _SERVERS.c.id, *attachment_filter))
        .outerjoin(_PORTS, _PORTS.c.id == _ATTACHMENTS.c.port_id)
        .outerjoin(_FIXED_IPS, _FIXED_IPS.c.port_id == _PORTS.c.id)
    ).where(
        _SERVERS.c.id == sa.bindparam('server_id')
    ).order_by(_ATTACHMENTS.c.id, _FIXED_IPS.c.id))


_INTERFACES_OF_SERVER = _server_with_attachments()
_INTERFACE_OF_SERVER = _server_with_attachments(
    _ATTACHMENTS.c.port_id == sa.bindparam('port_id'))

# A port with its attachment (if any) and fixed IPs.
_PORT_BY_ID = Read(sa.select(
    _ATTACHMENTS.c.server_id, _ATTACHMENTS.c.tag, _PORTS.c.id,
    _PORTS.c.network_id, _PORTS.c.mac_address, _PORTS.c.project_id,
    _FIXED_IPS.c.ip_address, _FIXED_IPS.c.subnet_id,
).select_from(
    _PORTS
    .outerjoin(_ATTACHMENTS, _ATTACHMENTS.c.port_id == _PORTS.c.id)
    .outerjoin(_FIXED_IPS, _FIXED_IPS.c.port_id == _PORTS.c.id)
).where(
    _PORTS.c.id == sa.bindparam('port_id')
).order_by(_FIXED_IPS.c.id))


def read_server(connection, server_id):
    """The :class:`driver.Server` with exactly this id, or None."""
    rows = connection.rows(_SERVER_BY_ID, server_id=server_id)
    row = rows[0] if rows else None
    # MariaDB compares strings case-insensitively and ignores trailing
    # spaces; ids must match exactly, as in the memory driver.
    if row is None or row.server_id != server_id:
        return None
    return to_server(row)


def read_servers(connection, project_id=None):
    """The :class:`driver.Server` list of ``project_id`` (None: all)."""
    if project_id is None:
        rows = connection.rows(_ALL_SERVERS)
    else:
        rows = [row for row in connection.rows(
            _SERVERS_OF_PROJECT, project_id=project_id)
            if row.server_project_id == project_id]
    return [to_server(row) for row in rows]


def read_network_names(connection, network_ids):
    """``{network id: name}`` of those of ``network_ids`` that exist."""
    # One lookup by primary key per network: a server has few.
    names = {}
    for network_id in set(network_ids):
        for row in connection.rows(_NETWORK_NAME, network_id=network_id):
            if row.id == network_id:
                names[row.id] = row.name or ''
    return names


def read_server_interfaces(connection, server_id, port_id=None):
    """(:class:`driver.Server`, its attachments), or None if no server.

    With ``port_id``, only the attachment of that port, if it is attached
    to this server.
    """
    if port_id is None:
        rows = connection.rows(_INTERFACES_OF_SERVER, server_id=server_id)
    else:
        rows = connection.rows(_INTERFACE_OF_SERVER, server_id=server_id,
                               port_id=port_id)
    if not rows or rows[0].server_id != server_id:
        return None
    attachments = [_attachment_from_rows(group)
                   for group in _group_by_port(rows)
                   if group[0].id is not None]
    return to_server(rows[0]), attachments


def read_port(connection, port_id):
    """(attachment, server id or None, project id) of a port, or None.

    The attachment is the port as :meth:`list_interfaces` would show it.
    """
    rows = connection.rows(_PORT_BY_ID, port_id=port_id)
    if not rows or rows[0].id != port_id:
        return None
    return (_attachment_from_rows(rows), rows[0].server_id,
            rows[0].project_id)


def _group_by_port(rows):
    group = []
    for row in rows:
        if group and row.id != group[0].id:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _attachment_from_rows(rows):
    first = rows[0]
    attached = getattr(first, 'server_id', None) is not None
    return driver.Attachment(
        port_id=first.id, net_id=first.network_id,
        mac_addr=first.mac_address,
        port_state=ACTIVE if attached else DOWN,
        fixed_ips=tuple(driver.FixedIp(row.ip_address, row.subnet_id)
                        for row in rows if row.ip_address is not None),
        tag=first.tag if attached else None)


def to_server(row):
    """The :class:`driver.Server` of a row with :data:`_SERVER_COLUMNS`."""
    return driver.Server(id=row.server_id, project_id=row.server_project_id,
                         vm_state=row.vm_state, task_state=row.task_state,
                         locked=bool(row.locked), name=row.name or '',
                         created_at=_datetime(row.created_at))


def _datetime(value):
    # The DBAPI of SQLite answers DATETIME columns as text.
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value


def to_attachment(port, attachment):
    return driver.Attachment(
        port_id=port.id, net_id=port.network_id, mac_addr=port.mac_address,
        port_state=ACTIVE if attachment is not None else DOWN,
        fixed_ips=tuple(driver.FixedIp(ip.ip_address, ip.subnet_id)
                        for ip in port.fixed_ips),
        tag=attachment.tag if attachment is not None else None)


# Inventory.

def is_empty(session):
    """Whether the store holds no network, port or server."""
    for model in (models.Network, models.Port, models.Server):
        if session.scalar(sa.select(model.id).limit(1)) is not None:
            return False
    return True


def _network_facts(net):
    return (net.project_id, net.name or '', bool(net.shared),
            net.bridge or None,
            tuple((s.id, s.cidr, s.gateway_ip) for s in net.subnets))


def _port_facts(port):
    return (port.network_id, port.project_id,
            tuple(ip.ip_address for ip in port.fixed_ips))


def _flush(session, what):
    """Flush, naming the inventory entry a uniqueness clash came from."""
    try:
        session.flush()
    except db_exc.DBDuplicateEntry as e:
        raise InventoryConflict(
            '%s: %s %s already used in the database'
            % (what, ', '.join(e.columns or ['value']),
               e.value if e.value is not None else ''))
    except db_exc.DBReferenceError as e:
        raise InventoryConflict('%s: refers to a missing %s'
                                % (what, e.key_table or e.key))


def load_inventory(session, inv):
    """Add what ``inv`` holds and the store lacks, in ``session``'s txn.

    Idempotent: an entry whose id is already stored is left as it is when
    it describes the same thing (same project, network, subnets, addresses;
    a server's state and lock and every attachment are run-time state and
    are never reset), and is an :class:`InventoryConflict` when it does
    not. A port's MAC is not compared: the inventory may leave it to be
    generated. The attachments the inventory lists are made for the ports
    this load creates. Nothing is written when anything fails (the caller's
    transaction is rolled back).

    :returns: counts of created networks, ports, servers and attachments.
    """
    counts = dict.fromkeys(('networks', 'ports', 'servers',
                            'attachments'), 0)
    for net in inv.networks:
        what = 'network %s' % net.id
        row = session.get(models.Network, net.id)
        if row is not None:
            if _network_facts(row) != _network_facts(net):
                raise InventoryConflict(
                    '%s exists with other attributes or subnets' % what)
            continue
        row = models.Network(id=net.id, project_id=net.project_id,
                             name=net.name or '', shared=bool(net.shared),
                             bridge=net.bridge)
        row.subnets = [models.Subnet(id=s.id, position=i, cidr=s.cidr,
                                     gateway_ip=s.gateway_ip)
                       for i, s in enumerate(net.subnets)]
        session.add(row)
        _flush(session, what)
        counts['networks'] += 1

    new_ports = set()
    for port in inv.ports:
        what = 'port %s' % port.id
        row = session.get(models.Port, port.id)
        if row is not None:
            if _port_facts(row) != _port_facts(port):
                raise InventoryConflict(
                    '%s exists with another network, project or addresses'
                    % what)
            continue
        add_port(session, port, what)
        new_ports.add(port.id)
        counts['ports'] += 1

    for record in inv.servers:
        server = record.server
        what = 'server %s' % server.id
        row = session.get(models.Server, server.id)
        if row is not None:
            if (row.project_id, row.name or '') != (server.project_id,
                                                    server.name or ''):
                raise InventoryConflict(
                    '%s exists with another project or name' % what)
        else:
            session.add(models.Server(
                id=server.id, project_id=server.project_id,
                name=server.name or '', vm_state=server.vm_state,
                task_state=server.task_state, locked=bool(server.locked)))
            _flush(session, what)
            counts['servers'] += 1
        for port_id in record.port_ids:
            if port_id in new_ports:
                session.add(models.Attachment(server_id=server.id,
                                              port_id=port_id))
                _flush(session, '%s port %s' % (what, port_id))
                counts['attachments'] += 1
    return counts


def add_port(session, port, what, created_by_attach=False):
    """Insert an :class:`inventory.Port` (addresses already checked)."""
    session.add(models.Port(
        id=port.id, network_id=port.network_id, project_id=port.project_id,
        mac_address=port.mac_address, created_by_attach=created_by_attach,
        fixed_ips=[models.FixedIp(network_id=port.network_id,
                                  subnet_id=ip.subnet_id,
                                  ip_address=ip.ip_address)
                   for ip in port.fixed_ips]))
    _flush(session, what)


def export_inventory(session):
    """Return the store as inventory data (loads back with ``parse``)."""
    networks = session.scalars(
        sa.select(models.Network).options(
            orm.selectinload(models.Network.subnets))
        .order_by(models.Network.created_at, models.Network.id)).all()
    ports = session.scalars(
        sa.select(models.Port).options(
            orm.selectinload(models.Port.fixed_ips))
        .order_by(models.Port.created_at, models.Port.id)).all()
    servers = session.scalars(
        sa.select(models.Server)
        .order_by(models.Server.created_at, models.Server.id)).all()
    attached = {}
    for row in session.execute(
            sa.select(models.Attachment.server_id, models.Attachment.port_id)
            .order_by(models.Attachment.id)):
        attached.setdefault(row.server_id, []).append(row.port_id)
    return {
        'networks': [network_dict(n) for n in networks],
        'ports': [port_dict(p) for p in ports],
        'servers': [dict(server_dict(s), ports=attached.get(s.id, []))
                    for s in servers],
    }


def network_dict(net):
    data = {'id': net.id, 'name': net.name or '',
            'project_id': net.project_id, 'shared': bool(net.shared),
            'subnets': [{'id': s.id, 'cidr': s.cidr,
                         'gateway_ip': s.gateway_ip} for s in net.subnets]}
    if net.bridge:
        data['bridge'] = net.bridge
    return data


def port_dict(port):
    return {'id': port.id, 'network_id': port.network_id,
            'project_id': port.project_id, 'mac_address': port.mac_address,
            'fixed_ips': [{'ip_address': ip.ip_address}
                          for ip in port.fixed_ips]}


def server_dict(server):
    return {'id': server.id, 'name': server.name or '',
            'project_id': server.project_id, 'vm_state': server.vm_state,
            'task_state': server.task_state, 'locked': bool(server.locked)}


# Address management on top of ipam, reading what the database holds.

def taken_addresses(session, network_id):
    """Addresses in use on a network (one index range scan)."""
    return set(session.scalars(
        sa.select(models.FixedIp.ip_address)
        .where(models.FixedIp.network_id == network_id)))


def mac_taken(session, mac):
    return session.scalar(
        sa.select(models.Port.id).where(models.Port.mac_address == mac)
    ) is not None


def address_taken(session, network_id, address):
    """Whether a port of the network holds ``address``."""
    return session.scalar(
        sa.select(models.FixedIp.id)
        .where(models.FixedIp.network_id == network_id,
               models.FixedIp.ip_address == address)) is not None


def free_address(session, network, contended=False):
    """A free :class:`driver.FixedIp` of ``network`` to try, or None.

    Subnets are tried in order; the gateway, network and broadcast
    addresses are never handed out. The address is the lowest free one,
    or, when ``contended``, one of the lowest drawn at random
    (:func:`ipam.candidate_address`); nothing reserves it: the UNIQUE
    constraint on (network, address) settles races.
    """
    taken = taken_addresses(session, network.id)
    for subnet in network.subnets:
        address = ipam.candidate_address(subnet, taken, contended)
        if address is not None:
            return driver.FixedIp(address, subnet.id)
    return None
