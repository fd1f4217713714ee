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
"""Schema management of the sql driver: alembic, under a cross-process lock.

Every API worker may start at the same moment against a fresh database, so
the schema upgrade (and the first inventory load that follows it) runs under
a lock that the database itself provides:

* PostgreSQL: a session-level advisory lock (``pg_advisory_lock``);
* MariaDB/MySQL: a named lock (``GET_LOCK``), because its DDL commits
  implicitly and a row lock would not survive it;
* SQLite: the work runs in ``BEGIN IMMEDIATE`` transactions, which take the
  database's single write lock.

The first worker migrates; the others wait, then find the schema at head.
"""

import contextlib
import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_log import log as logging
import sqlalchemy as sa

LOG = logging.getLogger(__name__)

#: Execution option asking the SQLite "begin" hook for BEGIN IMMEDIATE.
IMMEDIATE = 'nova_attach_ifaces_sqlite_immediate'

_LOCK_NAME = 'nova_attach_ifaces_schema'
# pg_advisory_lock takes a bigint; any constant unique to this service.
_PG_LOCK_KEY = 0x6e61695f73716c  # "nai_sql"
_LOCK_TIMEOUT = 300


class SchemaNotReady(Exception):
    """The database schema is not at the revision this code needs."""


def alembic_cfg(connection=None):
    """Return the alembic Config of the package, bound to ``connection``."""
    config = alembic_config.Config(
        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     'alembic.ini'))
    # Keep alembic from reconfiguring the service's logging.
    config.attributes['configure_logger'] = False
    if connection is not None:
        config.attributes['connection'] = connection
    return config


def head_revision():
    """The revision the code expects the schema to be at."""
    return alembic_script.ScriptDirectory.from_config(
        alembic_cfg()).get_current_head()


def current_revision(engine):
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_revision()


@contextlib.contextmanager
def exclusive(connection):
    """Hold the schema lock on ``connection`` (see the module docstring).

    Inside, each ``connection.begin()`` is an IMMEDIATE transaction on
    SQLite, so work done in one is serialised with every other writer.
    """
    name = connection.dialect.name
    if name == 'postgresql':
        connection.execute(sa.text('SELECT pg_advisory_lock(:key)'),
                           {'key': _PG_LOCK_KEY})
        connection.commit()
        try:
            yield connection
        finally:
            connection.rollback()
            connection.execute(sa.text('SELECT pg_advisory_unlock(:key)'),
                               {'key': _PG_LOCK_KEY})
            connection.commit()
    elif name == 'mysql':
        got = connection.execute(sa.text('SELECT GET_LOCK(:name, :timeout)'),
                                 {'name': _LOCK_NAME,
                                  'timeout': _LOCK_TIMEOUT}).scalar()
        connection.commit()
        if got != 1:
            raise RuntimeError('timed out waiting for the schema lock %s'
                               % _LOCK_NAME)
        try:
            yield connection
        finally:
            connection.rollback()
            connection.execute(sa.text('SELECT RELEASE_LOCK(:name)'),
                               {'name': _LOCK_NAME})
            connection.commit()
    else:
        yield connection.execution_options(**{IMMEDIATE: True})


def upgrade_locked(connection, revision='head'):
    """Upgrade the schema on a connection that holds :func:`exclusive`."""
    before = alembic_migration.MigrationContext.configure(
        connection).get_current_revision()
    connection.commit()
    with connection.begin():
        alembic_command.upgrade(alembic_cfg(connection), revision)
    after = alembic_migration.MigrationContext.configure(
        connection).get_current_revision()
    connection.commit()
    if before != after:
        LOG.info('Database schema upgraded from %(before)s to %(after)s',
                 {'before': before or '(empty)', 'after': after})
    return after


def check_locked(connection):
    """Raise :class:`SchemaNotReady` unless the schema is at head."""
    current = alembic_migration.MigrationContext.configure(
        connection).get_current_revision()
    connection.commit()
    head = head_revision()
    if current != head:
        raise SchemaNotReady(
            'database schema is at %s, this code needs %s: run '
            '"nova-attach-ifaces-manage db sync"' % (current or '(empty)',
                                                     head))


def check(engine):
    """Raise :class:`SchemaNotReady` unless ``engine``'s schema is at head."""
    with engine.connect() as connection:
        check_locked(connection)


def upgrade(engine, revision='head'):
    """Create or upgrade the schema to ``revision``; safe to run anywhere."""
    with engine.connect() as connection:
        with exclusive(connection) as locked:
            return upgrade_locked(locked, revision)
