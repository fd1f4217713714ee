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
"""The ``sql`` compute driver.

Semantics are those of the ``memory`` driver (see
:mod:`nova_attach_ifaces.compute.memory`); what differs is that the store
is shared by processes and hosts, so the database keeps the invariants.

Transactions and locking
------------------------
Reads are one query each on the success path, joined to the ports and
fixed IPs they show: the API's list (``get_server_interfaces``) and show
(``get_server_interface``) read the server and its interfaces together.
They run outside any transaction (see the read path in
:mod:`nova_attach_ifaces.compute.sql.reads`).

Every attach and every detach is one write transaction:

1. It starts by locking the server's row (``SELECT ... FOR UPDATE`` on
   PostgreSQL and MariaDB; SQLite writers start with ``BEGIN IMMEDIATE``
   and hold the database's write lock). Attaches and detaches of one server
   are therefore serialised, which is what makes ``[compute]
   max_interfaces_per_server`` hold under races: the count is read after
   the lock is granted. (The lock is the first statement, so MariaDB's
   REPEATABLE READ snapshot is taken after it too.)
2. An attach that creates a port reads its network without locking it:
   attaches on one network run side by side (Neutron's IPAM works the
   same way). The address is a candidate: the lowest free one, or, for
   an attempt after a lost race, one drawn at random among the lowest
   free ones, so that the losers of one race rarely pick the same address
   again. The MAC is random.
3. Checks run in the memory driver's order: not-found errors, then the
   limit, then conflicts and address errors.
4. The new rows are flushed. Races are settled by the UNIQUE constraints
   (port attached once, address once per network, MAC once): the loser's
   insert fails with a duplicate entry (on PostgreSQL and MariaDB after
   the winner commits), the whole transaction rolls back (no half-made
   port), and the error becomes Nova's 409 (``PortInUse``,
   ``FixedIpAlreadyInUse`` for a requested address) or, for an address or
   MAC this driver chose itself, a new attempt that sees the winner's rows
   and picks another (503 ``ComputeUnavailable`` only after
   ``ALLOCATION_ATTEMPTS`` losses in a row). No address and no MAC is ever
   given twice, and no race ends in a 500. Ports are made by the store's
   one allocator, :mod:`.ports`, which the ``sql`` network backend and the
   manage command share.

The only lock is the server's row, so locks cannot deadlock each other.

Deadlocks (InnoDB may report one on concurrent unique-index inserts) are
retried by ``oslo_db.api.wrap_db_retry``. A database that cannot be reached
(or stays locked past ``[sql] sqlite_busy_timeout``, or has no free pooled
connection within ``[database] pool_timeout``) is
:class:`~nova_attach_ifaces.compute.exception.ComputeUnavailable` (503).

Start
-----
The schema is created or upgraded when the driver starts (``[sql]
auto_migrate``), and ``[sql] inventory_file`` is loaded when the store is
empty, both under a cross-process lock (:mod:`.migration`). If the database
cannot be reached then, the driver still starts and retries on the next
request, answering 503 meanwhile (:mod:`.store`).
"""

import functools

from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces.compute.sql import ports
from nova_attach_ifaces.compute.sql import reads
from nova_attach_ifaces.compute.sql import store

LOG = logging.getLogger(__name__)

#: See :data:`.ports.ALLOCATION_ATTEMPTS`.
ALLOCATION_ATTEMPTS = ports.ALLOCATION_ATTEMPTS


class SQLDriver(driver.ComputeDriver):
    """Compute driver keeping servers, networks and ports in a database.

    :param conf: the service configuration ([database], [sql], [compute]).
    :param inventory: an :class:`inventory.Inventory` to load when the
        store is empty, instead of ``[sql] inventory_file``.
    :raises inventory.InventoryError: the inventory file is missing or
        invalid, or clashes with the database.
    """

    def __init__(self, conf, inventory=None):
        super().__init__(conf)
        if inventory is None:
            inventory = self._load_inventory_file(conf)
        self.store = store.Store(conf, inventory)
        self.db = self.store.db

    @classmethod
    def from_inventory(cls, conf, inv):
        """Return a driver whose (empty) store is loaded with ``inv``."""
        return cls(conf, inventory=inv)

    @staticmethod
    def _load_inventory_file(conf):
        return inventory.load_configured(conf, 'sql')

    def close(self):
        """Release the database connections (tests and tools)."""
        self.store.close()

    # Lookups, inside a transaction.

    @staticmethod
    def _locked_server(session, server_id):
        row = session.scalars(
            sa.select(models.Server).where(models.Server.id == server_id)
            .with_for_update()).first()
        row = ports.exact(row, server_id)
        if row is None:
            raise exception.ServerNotFound(server_id=server_id)
        return row

    @staticmethod
    def _port(session, port_id):
        """The port with its fixed IPs and attachment, in one query."""
        row = session.scalars(
            sa.select(models.Port).where(models.Port.id == port_id)
            .options(orm.joinedload(models.Port.fixed_ips),
                     orm.joinedload(models.Port.attachment))
        ).unique().first()
        return ports.exact(row, port_id)

    @staticmethod
    def _server_exists(session, server_id):
        row = session.get(models.Server, server_id)
        if ports.exact(row, server_id) is None:
            raise exception.ServerNotFound(server_id=server_id)

    def _attached_port(self, session, context, server_id, port_id):
        """The port attached to the server, or the contract's 404."""
        port = self._port(session, port_id)
        attachment = port.attachment if port is not None else None
        if attachment is not None and attachment.server_id == server_id:
            return port
        self._server_exists(session, server_id)
        if port is None or not driver.visible(context, port.project_id):
            raise exception.PortNotFound(port_id=port_id)
        raise exception.InterfaceNotAttached(server_id=server_id,
                                             port_id=port_id)

    def _check_limit(self, session, server_id):
        limit = self.conf.compute.max_interfaces_per_server
        if not limit:
            return
        count = session.scalar(
            sa.select(sa.func.count()).select_from(models.Attachment)
            .where(models.Attachment.server_id == server_id))
        if count >= limit:
            raise exception.PortLimitExceeded()

    # The driver contract.

    @store.unavailable_on_db_errors
    def get_server(self, context, server_id):
        with self.db.read_connection() as connection:
            server = reads.read_server(connection, server_id)
        if server is None:
            raise exception.ServerNotFound(server_id=server_id)
        return server

    @store.unavailable_on_db_errors
    def list_servers(self, context, project_id=None):
        with self.db.read_connection() as connection:
            return reads.read_servers(connection, project_id)

    @store.unavailable_on_db_errors
    def network_names(self, context, network_ids):
        with self.db.read_connection() as connection:
            return reads.read_network_names(connection, network_ids)

    @store.unavailable_on_db_errors
    def list_interfaces(self, context, server):
        return self._server_interfaces(server.id)[1]

    @store.unavailable_on_db_errors
    def get_server_interfaces(self, context, server_id):
        return self._server_interfaces(server_id)

    @store.unavailable_on_db_errors
    def get_server_interface(self, context, server_id, port_id):
        server, attachments = self._server_interfaces(server_id, port_id)
        # MariaDB matched the port id case-insensitively; ids are exact.
        exact = [att for att in attachments if att.port_id == port_id]
        return server, exact[0] if exact else None

    def _server_interfaces(self, server_id, port_id=None):
        """The server and its attachments (only ``port_id``'s, if given)."""
        with self.db.read_connection() as connection:
            found = reads.read_server_interfaces(connection, server_id,
                                                 port_id)
        if found is None:
            raise exception.ServerNotFound(server_id=server_id)
        return found

    @store.unavailable_on_db_errors
    def get_interface(self, context, server, port_id):
        with self.db.read_connection() as connection:
            found = reads.read_port(connection, port_id)
            if found is not None and found[1] == server.id:
                return found[0]
            if reads.read_server(connection, server.id) is None:
                raise exception.ServerNotFound(server_id=server.id)
        if found is None or not driver.visible(context, found[2]):
            raise exception.PortNotFound(port_id=port_id)
        raise exception.InterfaceNotAttached(server_id=server.id,
                                             port_id=port_id)

    @store.unavailable_on_db_errors
    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        return ports.retrying(
            functools.partial(self._attach, context, server, net_id,
                              port_id, fixed_ip, tag),
            'Attach to %s' % server.id)

    @store.retry_on_deadlock
    def _attach(self, context, server, net_id, port_id, fixed_ip, tag,
                contended=False):
        with self.db.writer() as session:
            row = self._locked_server(session, server.id)
            if port_id is not None:
                port = self._port(session, port_id)
                if port is None or not (
                        driver.visible(context, port.project_id) or
                        (port.attachment is not None and
                         port.attachment.server_id == row.id)):
                    raise exception.PortNotFound(port_id=port_id)
                self._check_limit(session, row.id)
                if port.attachment is not None:
                    raise exception.PortInUse(port_id=port_id)
            else:
                net = ports.usable_network(session, context, row.project_id,
                                           net_id)
                self._check_limit(session, row.id)
                port = ports.new_port(
                    session, net, row.project_id,
                    fixed_ips=[fixed_ip] if fixed_ip is not None else None,
                    contended=contended, created_by_attach=True,
                    server_id=row.id)
            # Plain copies: after a failed flush the rows are expired and
            # reading them would need the rolled-back transaction.
            server_id, new_port_id = row.id, port.id
            attachment = models.Attachment(server_id=server_id,
                                           port_id=new_port_id, tag=tag)
            session.add(attachment)
            try:
                session.flush()
            except db_exc.DBDuplicateEntry:
                # Another process attached this port since we looked.
                raise exception.PortInUse(port_id=new_port_id)
            LOG.debug('Attached port %(port)s to server %(server)s',
                      {'port': new_port_id, 'server': server_id})
            return reads.to_attachment(port, attachment)

    @store.unavailable_on_db_errors
    @store.retry_on_deadlock
    def detach_interface(self, context, server, port_id):
        with self.db.writer() as session:
            # Serialises with attaches to the same server (the limit).
            row = self._locked_server(session, server.id)
            port = self._attached_port(session, context, row.id, port_id)
            deleted = session.execute(
                sa.delete(models.Attachment)
                .where(models.Attachment.id == port.attachment.id)
            ).rowcount
            if deleted != 1:
                raise exception.InterfaceNotAttached(server_id=row.id,
                                                     port_id=port_id)
            if port.created_by_attach:
                # Like Nova deleting the port it made: its MAC and
                # addresses are free again.
                session.execute(sa.delete(models.FixedIp)
                                .where(models.FixedIp.port_id == port.id))
                session.execute(sa.delete(models.Port)
                                .where(models.Port.id == port.id))
            session.expunge_all()
            LOG.debug('Detached port %(port)s from server %(server)s',
                      {'port': port_id, 'server': row.id})
