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
"""network_binding: the store as the sql network backend's too.

An attachment is now a port's binding to a device, which may be a server
of this store (the sql driver) or one a hypervisor owns (a libvirt domain,
bound through the sql network backend): ``attachments.server_id`` loses
its foreign key to ``servers`` and ``attachments.host`` keeps the binding
host. ``networks.bridge`` names the Linux bridge a hypervisor plugs the
network's ports into.

Revision ID: 5e6f7a8b9c0d
Revises: 3c4d5e6f7a8b
Create Date: 2026-12-02 19:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '5e6f7a8b9c0d'
down_revision = '3c4d5e6f7a8b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments') as batch:
        batch.drop_constraint('fk_attachments_server_id_servers',
                              type_='foreignkey')
        batch.add_column(sa.Column('host', sa.String(255), nullable=True))
    with op.batch_alter_table('networks') as batch:
        batch.add_column(sa.Column('bridge', sa.String(15), nullable=True))
