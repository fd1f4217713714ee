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
"""Alembic environment of the sql compute driver.

Migrations always run on a connection handed in through
``config.attributes['connection']`` by
:mod:`nova_attach_ifaces.compute.sql.migration`, which holds the lock that
keeps concurrent workers from migrating at the same time. There is no
offline (SQL script) mode.
"""

from alembic import context

from nova_attach_ifaces.compute.sql import models


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError(
            'run migrations with nova-attach-ifaces-manage db sync, not the '
            'alembic command')
    context.configure(connection=connection,
                      target_metadata=models.Base.metadata,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError('offline migrations are not supported')
run_migrations_online()
