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
"""Database models of the ``sql`` driver (SQLAlchemy 2 declarative).

The database, not the Python code, guarantees the invariants that racing
API processes could otherwise break:

* a port is attached at most once: ``attachments.port_id`` is UNIQUE;
* an address is used once per network: ``fixed_ips (network_id,
  ip_address)`` is UNIQUE (subnets of a network never overlap, so this is
  also "once per subnet");
* a MAC address is used once: ``ports.mac_address`` is UNIQUE.

An attachment is a port's binding to a device: a server of this store
(the ``sql`` driver) or a server a hypervisor owns (a libvirt domain,
bound through the ``sql`` network backend, with the binding ``host``).
Hence no foreign key from ``attachments.server_id`` to ``servers``: the
``sql`` driver locks the server's row before it attaches, and deleting a
server deletes its attachments first.

Constraint names follow oslo.db's ``uniq_<table>0<column>...`` convention so
that its duplicate-entry parser names the columns on every backend.

Every lookup on a request path goes through an index (primary keys, the
unique constraints above, ``attachments (server_id, id)``,
``fixed_ips.port_id``), so list and show cost does not grow with the size
of the inventory.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm

# 36 = a dashed UUID; ids are stored canonical (lower case, dashed).
_ID = sa.String(36)
# Nova and Keystone project ids are at most 255 characters.
_PROJECT = sa.String(255)
# Long enough for any IPv6 text form, and for CIDRs.
_ADDRESS = sa.String(64)

# Microseconds on MariaDB too (its DATETIME keeps whole seconds), so that
# listings in creation order are in creation order.
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

# On SQLite an INTEGER PRIMARY KEY is the rowid, which grows like a
# sequence; BigInteger would not be, so use the variant.
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    """Declarative base; ``created_at`` on every table for operators."""

    metadata = sa.MetaData(naming_convention={
        'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
        'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
        'pk': 'pk_%(table_name)s',
    })


class Server(Base):
    __tablename__ = 'servers'

    id: orm.Mapped[str] = orm.mapped_column(_ID, primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(_PROJECT, index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    vm_state: orm.Mapped[str] = orm.mapped_column(sa.String(32),
                                                  default='active')
    task_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    locked: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        _TIMESTAMP, default=_now)

    attachments: orm.Mapped[list['Attachment']] = orm.relationship(
        primaryjoin='Server.id == foreign(Attachment.server_id)',
        order_by='Attachment.id', viewonly=True)


class Network(Base):
    __tablename__ = 'networks'

    id: orm.Mapped[str] = orm.mapped_column(_ID, primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(_PROJECT, index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    shared: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False,
                                                 index=True)
    # The Linux bridge its ports are plugged into (at most IFNAMSIZ - 1
    # characters), or None: the hypervisor's default.
    bridge: orm.Mapped[str | None] = orm.mapped_column(sa.String(15))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        _TIMESTAMP, default=_now)

    subnets: orm.Mapped[list['Subnet']] = orm.relationship(
        back_populates='network', order_by='Subnet.position',
        cascade='all, delete-orphan')


class Subnet(Base):
    __tablename__ = 'subnets'
    __table_args__ = (
        sa.UniqueConstraint('network_id', 'position',
                            name='uniq_subnets0network_id0position'),
    )

    id: orm.Mapped[str] = orm.mapped_column(_ID, primary_key=True)
    network_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('networks.id', ondelete='CASCADE'))
    # Allocation tries subnets in this order (the inventory's order).
    position: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    cidr: orm.Mapped[str] = orm.mapped_column(_ADDRESS)
    gateway_ip: orm.Mapped[str | None] = orm.mapped_column(_ADDRESS)

    network: orm.Mapped[Network] = orm.relationship(back_populates='subnets')


class Port(Base):
    __tablename__ = 'ports'
    __table_args__ = (
        sa.UniqueConstraint('mac_address', name='uniq_ports0mac_address'),
    )

    id: orm.Mapped[str] = orm.mapped_column(_ID, primary_key=True)
    network_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('networks.id'), index=True)
    project_id: orm.Mapped[str] = orm.mapped_column(_PROJECT, index=True)
    mac_address: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    # Detach deletes a port that attach created and keeps the others.
    created_by_attach: orm.Mapped[bool] = orm.mapped_column(
        sa.Boolean, default=False)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        _TIMESTAMP, default=_now)

    fixed_ips: orm.Mapped[list['FixedIp']] = orm.relationship(
        order_by='FixedIp.id', cascade='all, delete-orphan',
        passive_deletes=True)
    network: orm.Mapped[Network] = orm.relationship(viewonly=True)
    attachment: orm.Mapped['Attachment | None'] = orm.relationship(
        back_populates='port', uselist=False, passive_deletes=True)


class FixedIp(Base):
    __tablename__ = 'fixed_ips'
    __table_args__ = (
        sa.UniqueConstraint('network_id', 'ip_address',
                            name='uniq_fixed_ips0network_id0ip_address'),
    )

    # The sequence keeps a port's addresses in allocation order.
    id: orm.Mapped[int] = orm.mapped_column(_SEQUENCE, primary_key=True,
                                            autoincrement=True)
    port_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('ports.id', ondelete='CASCADE'), index=True)
    # Denormalised from the port so that the UNIQUE constraint can hold.
    network_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('networks.id'))
    subnet_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('subnets.id'), index=True)
    ip_address: orm.Mapped[str] = orm.mapped_column(_ADDRESS)


class Attachment(Base):
    __tablename__ = 'attachments'
    __table_args__ = (
        sa.UniqueConstraint('port_id', name='uniq_attachments0port_id'),
        # list_interfaces: one range scan, already in attach order.
        sa.Index('ix_attachments_server_id_id', 'server_id', 'id'),
    )

    # Attach order: a sequence, never reused for a live row.
    id: orm.Mapped[int] = orm.mapped_column(_SEQUENCE, primary_key=True,
                                            autoincrement=True)
    # The device the port is bound to (Neutron's device_id).
    server_id: orm.Mapped[str] = orm.mapped_column(_ID)
    port_id: orm.Mapped[str] = orm.mapped_column(
        _ID, sa.ForeignKey('ports.id', ondelete='CASCADE'))
    tag: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # binding:host_id; None for the sql driver's own servers.
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        _TIMESTAMP, default=_now)

    port: orm.Mapped[Port] = orm.relationship(back_populates='attachment')


class ServerHost(Base):
    """Which hypervisor host reports which server (the ``agents`` driver).

    Written by the per-host agents, read by the API workers. One row per
    (server, host): a server that two hosts report has two rows, and the
    API refuses to guess between them.
    """

    __tablename__ = 'server_hosts'

    server_id: orm.Mapped[str] = orm.mapped_column(_ID, primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                              primary_key=True, index=True)
    reported_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        _TIMESTAMP, default=_now)
