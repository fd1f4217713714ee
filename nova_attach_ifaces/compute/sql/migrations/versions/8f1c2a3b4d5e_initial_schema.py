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
"""Initial schema: servers, networks, subnets, ports, fixed IPs, attachments.

Revision ID: 8f1c2a3b4d5e
Revises:
Create Date: 2025-01-01 00:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '8f1c2a3b4d5e'
down_revision = None
branch_labels = None
depends_on = None

# InnoDB for transactions and row locks; utf8mb4 so that any name fits.
_MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'servers',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('vm_state', sa.String(32), nullable=False),
        sa.Column('task_state', sa.String(64), nullable=True),
        sa.Column('locked', sa.Boolean(), nullable=False),
        sa.Column('created_at', _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_servers'),
        **_MYSQL)
    op.create_index('ix_servers_project_id', 'servers', ['project_id'])

    op.create_table(
        'networks',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_networks'),
        **_MYSQL)
    op.create_index('ix_networks_project_id', 'networks', ['project_id'])
    op.create_index('ix_networks_shared', 'networks', ['shared'])

    op.create_table(
        'subnets',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('network_id', sa.String(36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('cidr', sa.String(64), nullable=False),
        sa.Column('gateway_ip', sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(['network_id'], ['networks.id'],
                                name='fk_subnets_network_id_networks',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_subnets'),
        sa.UniqueConstraint('network_id', 'position',
                            name='uniq_subnets0network_id0position'),
        **_MYSQL)

    op.create_table(
        'ports',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('network_id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('mac_address', sa.String(32), nullable=False),
        sa.Column('created_by_attach', sa.Boolean(), nullable=False),
        sa.Column('created_at', _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(['network_id'], ['networks.id'],
                                name='fk_ports_network_id_networks'),
        sa.PrimaryKeyConstraint('id', name='pk_ports'),
        sa.UniqueConstraint('mac_address', name='uniq_ports0mac_address'),
        **_MYSQL)
    op.create_index('ix_ports_network_id', 'ports', ['network_id'])
    op.create_index('ix_ports_project_id', 'ports', ['project_id'])

    op.create_table(
        'fixed_ips',
        sa.Column('id', _SEQUENCE, autoincrement=True, nullable=False),
        sa.Column('port_id', sa.String(36), nullable=False),
        sa.Column('network_id', sa.String(36), nullable=False),
        sa.Column('subnet_id', sa.String(36), nullable=False),
        sa.Column('ip_address', sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(['port_id'], ['ports.id'],
                                name='fk_fixed_ips_port_id_ports',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['network_id'], ['networks.id'],
                                name='fk_fixed_ips_network_id_networks'),
        sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'],
                                name='fk_fixed_ips_subnet_id_subnets'),
        sa.PrimaryKeyConstraint('id', name='pk_fixed_ips'),
        sa.UniqueConstraint('network_id', 'ip_address',
                            name='uniq_fixed_ips0network_id0ip_address'),
        **_MYSQL)
    op.create_index('ix_fixed_ips_port_id', 'fixed_ips', ['port_id'])
    op.create_index('ix_fixed_ips_subnet_id', 'fixed_ips', ['subnet_id'])

    op.create_table(
        'attachments',
        sa.Column('id', _SEQUENCE, autoincrement=True, nullable=False),
        sa.Column('server_id', sa.String(36), nullable=False),
        sa.Column('port_id', sa.String(36), nullable=False),
        sa.Column('tag', sa.String(255), nullable=True),
        sa.Column('created_at', _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(['server_id'], ['servers.id'],
                                name='fk_attachments_server_id_servers',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['port_id'], ['ports.id'],
                                name='fk_attachments_port_id_ports',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_attachments'),
        sa.UniqueConstraint('port_id', name='uniq_attachments0port_id'),
        **_MYSQL)
    op.create_index('ix_attachments_server_id_id', 'attachments',
                    ['server_id', 'id'])
