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
"""The ``sql`` network backend: ports, networks and addresses of the store.

The store is the ``sql`` driver's (``[database]``, or the embedded SQLite
file of ``[sql] state_dir``), with its tables and its allocator
(:mod:`nova_attach_ifaces.compute.sql.ports`): a port's binding is its
attachment row, whose ``server_id`` is the ``device_id`` (a libvirt
domain's UUID, say) and whose ``host`` is ``binding:host_id``. The store's
UNIQUE constraints settle races as they do for the driver: a port is bound
once, an address is used once per network, a MAC once.

``[sql] inventory_file`` seeds the networks and ports when the store is
empty; servers are the hypervisor's, so an inventory listing servers is
refused.

The binding tells the hypervisor how to plug the port: a network that
names a Linux bridge (inventory ``bridge``) gives ``vif_type`` ``bridge``
and ``vif_details`` ``{"bridge_name": ...}``; another gives ``tap`` (the
hypervisor's default bridge, or a plain tap). A bound port is ``ACTIVE``,
an unbound one ``DOWN``.

Database calls per backend call: ``show_port`` and ``list_ports`` one
query; ``bind_port``, ``unbind_port``, ``delete_port`` and
``create_port`` one write transaction each (``create_port`` again after
a lost address race, see :mod:`~nova_attach_ifaces.compute.sql.ports`).
"""

import functools

from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory as inventory_mod
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces.compute.sql import ports
from nova_attach_ifaces.compute.sql import store
from nova_attach_ifaces.network import backend

LOG = logging.getLogger(__name__)


def _port_query():
    return sa.select(models.Port).options(
        orm.selectinload(models.Port.fixed_ips),
        orm.joinedload(models.Port.attachment),
        orm.joinedload(models.Port.network))


def to_port(row):
    """The :class:`~.backend.Port` of a port row (fixed IPs, attachment and
    network loaded).
    """
    attachment = row.attachment
    bound = attachment is not None
    vif_type, vif_details = 'unbound', {}
    if bound:
        bridge = row.network.bridge
        if bridge:
            vif_type, vif_details = backend.VIF_BRIDGE, {'bridge_name': bridge}
        else:
            vif_type = backend.VIF_TAP
    return backend.Port(
        id=row.id, network_id=row.network_id, project_id=row.project_id,
        mac_address=row.mac_address,
        fixed_ips=tuple(driver.FixedIp(ip.ip_address, ip.subnet_id)
                        for ip in row.fixed_ips),
        status=driver.ACTIVE if bound else driver.DOWN,
        device_id=attachment.server_id if bound else '',
        device_owner=backend.DEVICE_OWNER if bound else '',
        binding_host_id=(attachment.host or '') if bound else '',
        vif_type=vif_type, vif_details=vif_details)


class SQLBackend(backend.NetworkBackend):
    """Network backend on the sql store (see the module docstring).

    :param conf: the service configuration ([database], [sql]).
    :param inventory: an :class:`~nova_attach_ifaces.compute.inventory.
        Inventory` of networks and ports to load when the store is empty,
        instead of ``[sql] inventory_file``.
    :raises InventoryError: the inventory is invalid, lists servers, or
        clashes with the database.
    """

    def __init__(self, conf, inventory=None):
        super().__init__(conf)
        source = 'the inventory'
        if inventory is None:
            inventory = inventory_mod.load_configured(conf, 'sql')
            source = '[sql] inventory_file %s' % conf.sql.inventory_file
        if inventory is not None:
            inventory_mod.check_no_servers(
                inventory, source, 'the sql network backend')
        self.store = store.Store(conf, inventory)
        self.db = self.store.db

    def close(self):
        self.store.close()

    # Lookups.

    @staticmethod
    def _row(session, port_id):
        return ports.exact(session.scalars(
            _port_query().where(models.Port.id == port_id)).unique().first(),
            port_id)

    @classmethod
    def _visible_row(cls, session, context, port_id):
        row = cls._row(session, port_id)
        if row is None or not driver.visible(context, row.project_id):
            raise exception.PortNotFound(port_id=port_id)
        return row

    # The contract.

    @store.unavailable_on_db_errors
    def show_port(self, context, port_id):
        with self.db.reader() as session:
            return to_port(self._visible_row(session, context, port_id))

    @store.unavailable_on_db_errors
    def list_ports(self, context, device_id):
        with self.db.reader() as session:
            rows = session.scalars(
                _port_query()
                .join(models.Attachment,
                      models.Attachment.port_id == models.Port.id)
                .where(models.Attachment.server_id == device_id)
                .order_by(models.Attachment.id)).unique().all()
            # MariaDB matched the device id case-insensitively.
            return [to_port(row) for row in rows
                    if row.attachment.server_id == device_id]

    @store.unavailable_on_db_errors
    @store.retry_on_deadlock
    def bind_port(self, context, port_id, device_id, host):
        with self.db.writer() as session:
            row = self._visible_row(session, context, port_id)
            if row.attachment is not None:
                raise exception.PortInUse(port_id=port_id)
            self._bind(session, row, device_id, host)
            return to_port(row)

    @staticmethod
    def _bind(session, row, device_id, host):
        # Plain copy: after a failed flush the row is expired.
        port_id = row.id
        row.attachment = models.Attachment(server_id=device_id,
                                           port_id=port_id, host=host)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            # Another bind of this port committed since we looked.
            raise exception.PortInUse(port_id=port_id)
        LOG.debug('Bound port %(port)s to %(device)s on %(host)s',
                  {'port': port_id, 'device': device_id, 'host': host})

    @store.unavailable_on_db_errors
    def check_network(self, context, net_id):
        with self.db.reader() as session:
            ports.usable_network(session, context, None, net_id)

    @store.unavailable_on_db_errors
    def create_port(self, context, device_id, project_id, host, net_id=None,
                    fixed_ip=None):
        return ports.retrying(
            functools.partial(self._create, context, device_id, project_id,
                              host, net_id, fixed_ip),
            'Port create for %s' % device_id)

    @store.retry_on_deadlock
    def _create(self, context, device_id, project_id, host, net_id, fixed_ip,
                contended=False):
        with self.db.writer() as session:
            net = ports.usable_network(session, context, project_id, net_id)
            row = ports.new_port(
                session, net, project_id,
                fixed_ips=[fixed_ip] if fixed_ip is not None else None,
                contended=contended, created_by_attach=True,
                server_id=device_id)
            self._bind(session, row, device_id, host)
            return to_port(row)

    @store.unavailable_on_db_errors
    @store.retry_on_deadlock
    def unbind_port(self, context, port_id):
        with self.db.writer() as session:
            row = self._row(session, port_id)
            if row is None or row.attachment is None:
                return
            session.execute(sa.delete(models.Attachment).where(
                models.Attachment.id == row.attachment.id))

    @store.unavailable_on_db_errors
    @store.retry_on_deadlock
    def delete_port(self, context, port_id):
        with self.db.writer() as session:
            row = self._row(session, port_id)
            if row is None:
                return
            # The foreign keys cascade on PostgreSQL and MariaDB, and on
            # SQLite with foreign keys on; explicit, so that no backend's
            # settings matter.
            for model in (models.Attachment, models.FixedIp):
                session.execute(sa.delete(model).where(
                    model.port_id == row.id))
            session.execute(sa.delete(models.Port).where(
                models.Port.id == row.id))
