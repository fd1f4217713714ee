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
"""server_hosts: which hypervisor host has which server (agents driver).

Revision ID: 3c4d5e6f7a8b
Revises: 8f1c2a3b4d5e
Create Date: 2026-12-02 06:45:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '3c4d5e6f7a8b'
down_revision = '8f1c2a3b4d5e'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'server_hosts',
        sa.Column('server_id', sa.String(36), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('reported_at', _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint('server_id', 'host',
                                name='pk_server_hosts'),
        **_MYSQL)
    op.create_index('ix_server_hosts_host', 'server_hosts', ['host'])
