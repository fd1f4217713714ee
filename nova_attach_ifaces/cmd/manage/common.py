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
"""What every command group of ``nova-attach-ifaces-manage`` shares.

A command group is a :class:`CommandGroup` subclass; each of its public
methods is an action, named by the method, documented by its docstring's
first line, and taking its arguments (declared with :func:`args` above it,
as nova-manage does) as keyword arguments.
"""

import json
import uuid

import prettytable
import sqlalchemy as sa
import yaml

from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import migration


class CommandError(Exception):
    """The command cannot be carried out; the message says why."""


def args(*names, **kwargs):
    """Declare one ``argparse`` argument of the action below.

    Takes what ``ArgumentParser.add_argument`` takes, plus ``group``:
    arguments naming the same group are mutually exclusive. Decorators
    apply bottom-up, so each one is put first: the arguments appear in
    ``--help`` in the order they are written.
    """
    def decorate(func):
        func.__dict__.setdefault('args', []).insert(0, (names, kwargs))
        return func
    return decorate


# Argument values.

def uuid_arg(value):
    """``value`` as a canonical UUID string."""
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError):
        raise CommandError('%r is not a UUID' % value)


def parse_inventory(data):
    """Check new entries with the inventory rules (one source of truth)."""
    try:
        return inventory.parse(data, source='command line')
    except inventory.InventoryError as e:
        raise CommandError(str(e))


def get_row(session, model, value, kind):
    """The row of ``model`` with the id ``value``, or a CommandError."""
    wanted = uuid_arg(value)
    row = session.get(model, wanted)
    # MariaDB compares ids case-insensitively; ids are exact.
    if row is None or row.id != wanted:
        raise CommandError('%s %s not found' % (kind, value))
    return row


# Output.

def _cell(value):
    if isinstance(value, (list, tuple)):
        return '\n'.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ', '.join('%s=%s' % (k, _cell(v)) for k, v in value.items())
    if value is None:
        return ''
    return str(value)


def print_yaml(data):
    print(yaml.safe_dump(data, default_flow_style=False, sort_keys=False),
          end='')


class CommandGroup:
    """A command group (``db``, ``port``, ...): its configuration and store.

    :param conf: the parsed ``ConfigOpts``.
    :param output_format: ``table``, ``json`` or ``yaml`` (``-f``).
    """

    #: One line for ``--help``; subclasses set it.
    description = None

    def __init__(self, conf, output_format='table'):
        self.conf = conf
        self.format = output_format
        self._db = None

    @property
    def database(self):
        """The ``sql`` store, whatever its schema revision (``db``)."""
        if self._db is None:
            self._db = database.Database(self.conf)
        return self._db

    @property
    def db(self):
        """The ``sql`` store, its schema at the code's revision.

        Only ``db sync`` migrates: a command that found an empty or an
        older schema and created or upgraded it would change the database
        behind the back of an operator who runs the API with
        ``[sql] auto_migrate = false``.
        """
        db = self.database
        try:
            migration.check(db.engine)
        except migration.SchemaNotReady as e:
            raise CommandError(str(e))
        return db

    def close(self):
        if self._db is not None:
            self._db.dispose()

    def emit(self, data, columns=None):
        """Print ``data`` (a dict: one item; a list: rows) as asked."""
        if self.format == 'json':
            print(json.dumps(data, indent=2))
        elif self.format == 'yaml':
            print_yaml(data)
        elif isinstance(data, dict):
            table = prettytable.PrettyTable(['Field', 'Value'])
            table.align = 'l'
            for key, value in data.items():
                table.add_row([key, _cell(value)])
            print(table)
        else:
            table = prettytable.PrettyTable(columns)
            table.align = 'l'
            for row in data:
                table.add_row([_cell(row.get(c)) for c in columns])
            print(table)

    def url(self):
        """The store's URL for messages, without its password."""
        return sa.engine.make_url(database.connection_url(self.conf)) \
            .render_as_string(hide_password=True)
