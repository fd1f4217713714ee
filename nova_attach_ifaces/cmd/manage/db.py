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
"""``db`` and ``inventory``: the store's schema and its contents as YAML."""

from nova_attach_ifaces.cmd.manage import common
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import migration

args = common.args


class DbCommands(common.CommandGroup):
    description = 'database schema'

    @args('--revision', default='head',
          help='alembic revision to upgrade to (default: head)')
    def sync(self, revision):
        """Create or upgrade the schema (the only command that migrates)."""
        db = self.database
        before = migration.current_revision(db.engine)
        after = db.upgrade(revision)
        self.emit({'previous': before, 'current': after})

    def version(self):
        """Show the schema revision and the one this code needs."""
        self.emit({'current': migration.current_revision(self.database.engine),
                   'head': migration.head_revision()})


class InventoryCommands(common.CommandGroup):
    description = 'inventory YAML files'

    @args('file', help='inventory YAML file')
    def load(self, file):
        """Add what a YAML inventory holds (idempotent)."""
        try:
            inv = inventory.load(file)
        except inventory.InventoryError as e:
            raise common.CommandError(str(e))
        with self.db.writer() as session:
            counts = inventory_store.load_inventory(session, inv)
        self.emit(counts)

    def export(self):
        """Print the store as inventory YAML."""
        with self.db.reader() as session:
            data = inventory_store.export_inventory(session)
        if self.format == 'table':
            # The point of an export is a file that loads back.
            common.print_yaml(data)
        else:
            self.emit(data)
