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
"""The sql driver's request-path reads: servers, interfaces, ports.

One SELECT each (two for a port that is not on the server), built with
Core and run as :class:`~.database.Read` statements on a
:class:`~.database.ReadConnection` (see there for why not through a
session), answering the driver contract's values. MariaDB compares
strings case-insensitively and ignores trailing spaces; every function
here matches ids exactly, as the contract asks.
"""

import datetime

import sqlalchemy as sa

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import models

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

_SERVER_BY_ID = database.Read(sa.select(*_SERVER_COLUMNS).where(
    _SERVERS.c.id == sa.bindparam('server_id')))
_ALL_SERVERS = database.Read(sa.select(*_SERVER_COLUMNS))
_SERVERS_OF_PROJECT = database.Read(sa.select(*_SERVER_COLUMNS).where(
    _SERVERS.c.project_id == sa.bindparam('project_id')))

_NETWORKS = models.Network.__table__
_NETWORK_NAME = database.Read(
    sa.select(_NETWORKS.c.id, _NETWORKS.c.name).where(
        _NETWORKS.c.id == sa.bindparam('network_id')))


def _server_with_attachments(*attachment_filter):
    """A server and its attachments, with their ports and fixed IPs.

    One row per (attachment, fixed IP) in attach order, one row with NULL
    attachment columns for a server with no attachment, no row for no
    server. ``attachment_filter`` narrows the attachments joined.
    """
    return database.Read(sa.select(
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
_PORT_BY_ID = database.Read(sa.select(
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
        port_state=driver.ACTIVE if attached else driver.DOWN,
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
        port_state=driver.ACTIVE if attachment is not None else driver.DOWN,
        fixed_ips=tuple(driver.FixedIp(ip.ip_address, ip.subnet_id)
                        for ip in port.fixed_ips),
        tag=attachment.tag if attachment is not None else None)
