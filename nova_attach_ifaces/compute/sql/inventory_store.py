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
"""The inventory in the sql store: loaded once, exported on demand.

The ``sql`` driver and the ``sql`` network backend load their inventory
file into an empty store at first start (:meth:`.database.Database.bootstrap`),
and ``nova-attach-ifaces-manage`` loads and exports one; loading is
idempotent. The ``*_dict`` functions give a row in the inventory file's
shape, which the manage command also shows.
"""

from oslo_db import exception as db_exc
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import models


class InventoryConflict(inventory.InventoryError):
    """An inventory entry clashes with what the database already holds."""


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
