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
"""``nova-attach-ifaces-manage``: manage the ``sql`` driver's store (and
the lock of the ``libvirt`` driver's servers).

::

    nova-attach-ifaces-manage [--config-file F] [--config-dir D] \\
        GROUP ACTION [options] [-f table|json|yaml]

    db sync | version
    inventory load FILE | export
    network create|list|show|delete
    port create|list|show|delete
    server create|list|show|set|delete|lock|unlock

The store is the one the ``sql`` driver uses with the same configuration:
``[database] connection``, or the SQLite file in ``[sql] state_dir``. Only
``db sync`` creates or upgrades the schema; every other command on an
empty or older schema fails, saying to run it. ``server lock|unlock``
with ``[compute] driver = libvirt`` set the flag in the
domain of ``[libvirt] connection_uri`` and need no store.

Every command is one transaction: it changes everything it says or, on any
error, nothing. Output is a table by default; ``-f json`` (or ``yaml``) is
for scripts. Errors go to stderr; the exit code is 0 on success, 1 when
the command failed (bad value, unknown id, conflict with the store, store
unreachable) and 2 for a command line that does not parse.

A command group is a class in a module of this package, listed in
:data:`GROUPS`; an action is one of its methods (see :mod:`.common`).
"""

import inspect
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from nova_attach_ifaces.cmd.manage import common
from nova_attach_ifaces.cmd.manage import db
from nova_attach_ifaces.cmd.manage import network
from nova_attach_ifaces.cmd.manage import port
from nova_attach_ifaces.cmd.manage import server
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces import conf as nai_conf

LOG = logging.getLogger(__name__)

PROG = 'nova-attach-ifaces-manage'

#: The command groups, in the order ``--help`` lists them.
GROUPS = {
    'db': db.DbCommands,
    'inventory': db.InventoryCommands,
    'network': network.NetworkCommands,
    'port': port.PortCommands,
    'server': server.ServerCommands,
}

#: What a command can fail with that is the user's to act on: one line on
#: stderr and exit code 1. Anything else is a bug and keeps its traceback.
FAILURES = (common.CommandError, inventory.InventoryError,
            migration.SchemaNotReady, db_exc.DBError, sa.exc.SQLAlchemyError)


def actions(group):
    """The (name, method) of each action of a command group class.

    In the order they are written (a subclass's own after its base's), so
    that ``--help`` lists create, list, show, ... as a reader expects.
    """
    found = {}
    for klass in reversed(group.__mro__):
        if issubclass(common.CommandGroup, klass):
            continue
        for name, func in vars(klass).items():
            if inspect.isfunction(func) and not name.startswith('_'):
                found[name] = func
    return list(found.items())


_PREFIX = 'action_param_'


def _add_action(subparsers, name, func):
    parser = subparsers.add_parser(
        name, help=(func.__doc__ or '').strip().splitlines()[0])
    parser.add_argument('-f', '--format', choices=['table', 'json', 'yaml'],
                        default='table', help='output format')
    groups = {}
    params = {}
    for names, kwargs in getattr(func, 'args', []):
        kwargs = dict(kwargs)
        group = kwargs.pop('group', None)
        target = parser
        if group is not None:
            if group not in groups:
                groups[group] = parser.add_mutually_exclusive_group()
            target = groups[group]
        # The parsed values share a namespace with oslo.config's and the
        # parser's own (name, action, format, ...): prefixed, an action's
        # parameter can be called anything.
        if names[0].startswith('-'):
            param = kwargs.get('dest') or names[0].lstrip('-').replace(
                '-', '_')
            kwargs['dest'] = _PREFIX + param
            if kwargs.get('action', 'store') in ('store', 'append'):
                kwargs.setdefault('metavar', param.upper())
        else:
            param = names[0]
            kwargs.setdefault('metavar', param)
            names = (_PREFIX + param,)
        target.add_argument(*names, **kwargs)
        params[param] = _PREFIX + param
    parser.set_defaults(action_fn=func, action_params=params)


def _add_parsers(subparsers):
    for group_name, group in GROUPS.items():
        parser = subparsers.add_parser(group_name, help=group.description)
        parser.set_defaults(group=group)
        sub = parser.add_subparsers(dest='action', required=True)
        for name, func in actions(group):
            _add_action(sub, name, func)


def _make_conf(argv):
    conf = cfg.ConfigOpts()
    nai_conf.register_opts(conf)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=_add_parsers,
        help='run "%s COMMAND --help"' % PROG))
    conf(argv, project='nova-attach-ifaces', prog=PROG)
    return conf


def _message(error, group):
    if isinstance(error, (db_exc.DBError, sa.exc.SQLAlchemyError)):
        # oslo.db keeps the driver's exception; its first line is the one a
        # person can act on ("connection refused", "no such table", ...).
        cause = getattr(error, 'inner_exception', None) or error
        cause = getattr(cause, 'orig', None) or cause
        detail = (str(cause).strip().splitlines() or [type(cause).__name__])
        return 'database %s: %s' % (group.url(), detail[0])
    return str(error)


def main(argv=None):
    """Run one command; return the exit code."""
    if argv is None:
        argv = sys.argv[1:]
    conf = _make_conf(argv)
    # stdout is the command's output (exports are piped into files): logs
    # go to stderr, and alembic's progress chatter (off by default for the
    # whole service) only with --debug.
    conf.set_default('use_stderr', True)
    if conf.debug:
        conf.set_default('default_log_levels', [
            level for level in conf.default_log_levels
            if not level.startswith('alembic=')])
    logging.setup(conf, 'nova-attach-ifaces')
    command = conf.command
    group = command.group(conf, command.format)
    kwargs = {param: getattr(command, dest)
              for param, dest in command.action_params.items()}
    try:
        command.action_fn(group, **kwargs)
        return 0
    except FAILURES as e:
        print('ERROR: %s' % _message(e, group), file=sys.stderr)
        return 1
    finally:
        group.close()
