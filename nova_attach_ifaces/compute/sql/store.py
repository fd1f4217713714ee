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
"""The sql store as its users start it: the ``sql`` driver and backend.

The schema is created or upgraded at start (``[sql] auto_migrate``), and
the inventory is loaded when the store is empty, both under a
cross-process lock (:mod:`.migration`). If the database cannot be reached
then, the user still starts and retries before its next call, answering
503 (``ComputeUnavailable``) meanwhile: clients retry, and the database
may just be late.
"""

import functools
import threading

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import migration

LOG = logging.getLogger(__name__)

#: Deadlocks (InnoDB may report one on concurrent unique-index inserts)
#: are retried: the whole transaction again.
retry_on_deadlock = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_on_deadlock=True, retry_interval=0.05,
    inc_retry_interval=True, max_retry_interval=1)


def is_unavailable(error):
    """Whether ``error`` means "the database is not there (yet)"."""
    if isinstance(error, (db_exc.DBConnectionError,
                          db_exc.DBNonExistentDatabase, db_exc.DBDeadlock,
                          migration.SchemaNotReady)):
        return True
    # Every pooled connection stayed busy for [database] pool_timeout
    # (SQLAlchemy's pool timeout is no DBAPI error, so oslo.db leaves it).
    if isinstance(error, sa.exc.TimeoutError):
        return True
    # oslo.db leaves most OperationalErrors (refused connections under
    # newer libpq messages, SQLite's "database is locked" past the busy
    # timeout) untranslated, or wraps them in a bare DBError.
    if isinstance(error, db_exc.DBError):
        error = error.inner_exception
    return isinstance(error, sa.exc.OperationalError)


def unavailable_on_db_errors(method):
    """Make a method of a store user (``self.store``) answer 503 while
    the database is not there, after readying the store if it is not yet.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            self.store.ensure_ready()
            return method(self, *args, **kwargs)
        except exception.ComputeError:
            raise
        except Exception as e:
            if not is_unavailable(e):
                raise
            LOG.error('Database unavailable in %(method)s: %(error)s',
                      {'method': method.__name__, 'error': e})
            raise exception.ComputeUnavailable()

    return wrapper


class Store:
    """One user's handle on the store: its :class:`.database.Database`, readied
    (migrated, inventory loaded) once.

    :param conf: the service configuration ([database], [sql]).
    :param inv: an :class:`~nova_attach_ifaces.compute.inventory.Inventory`
        to load if the store is empty, or None.
    :raises inventory.InventoryError: ``inv`` clashes with the database.
    """

    def __init__(self, conf, inv=None):
        self.conf = conf
        self.db = database.Database(conf)
        self._inventory = inv
        self._ready = False
        self._lock = threading.Lock()
        try:
            self.ensure_ready()
        except Exception as e:
            if not is_unavailable(e):
                raise
            LOG.warning('Database %(url)s not usable at start (%(error)s); '
                        'retrying at the next request',
                        {'url': self.db.url, 'error': e})

    def ensure_ready(self):
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            counts = self.db.bootstrap(
                auto_migrate=self.conf.sql.auto_migrate, inv=self._inventory)
            if counts is not None:
                LOG.info('Loaded the inventory into %(url)s: %(counts)s',
                         {'url': self.db.url, 'counts': counts})
            self._ready = True
            # Loaded once; the database holds it from now on.
            self._inventory = None

    def close(self):
        """Release the database connections (tests and tools)."""
        self.db.dispose()
