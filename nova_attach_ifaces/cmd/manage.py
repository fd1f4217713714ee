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
"""``nova-attach-ifaces-manage``: manage the ``sql`` driver's store.

::

    nova-attach-ifaces-manage [--config-file F] [--config-dir D] \\
        CATEGORY ACTION [options] [-f table|json|yaml]

    db sync | version
    inventory load FILE | export
    network create|list|show|delete
    port create|list|show|delete
    server create|list|show|set|delete

The store is the one the ``sql`` driver uses with the same configuration:
``[database] connection``, or the SQLite file in ``[sql] state_dir``. The
schema is created or upgraded first when ``[sql] auto_migrate`` is on (the
default), as the API does at start.

Every command is one transaction: it changes everything it says or, on any
error, nothing. Output is a table by default; ``-f json`` (or ``yaml``) is
for scripts. Errors go to stderr; the exit code is 0 on success, 1 when
the command failed (bad value, unknown id, conflict with the store, store
unreachable) and 2 for a command line that does not parse.
"""

import functools
import ipaddress
import json
import sys
import uuid

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
import prettytable
import sqlalchemy as sa
from sqlalchemy import orm
import yaml

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import ipam
from nova_attach_ifaces.compute.sql import api
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces import conf as nai_conf

LOG = logging.getLogger(__name__)

PROG = 'nova-attach-ifaces-manage'


class CommandError(Exception):
    """The command cannot be carried out; the message says why."""


# Output.

def _cell(value):
    if isinstance(value, (list, tuple)):
        return '\n'.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ', '.join('%s=%s' % (k, _cell(v)) for k, v in value.items())
    if value is None:
        return ''
    return str(value)


def _emit(args, data, columns=None):
    """Print ``data`` (a dict: one item; a list: rows) as asked."""
    fmt = args.format
    if fmt == 'json':
        print(json.dumps(data, indent=2, sort_keys=False))
        return
    if fmt == 'yaml':
        print(yaml.safe_dump(data, default_flow_style=False,
                             sort_keys=False), end='')
        return
    if isinstance(data, dict):
        table = prettytable.PrettyTable(['Field', 'Value'])
        table.align = 'l'
        for key, value in data.items():
            table.add_row([key, _cell(value)])
    else:
        table = prettytable.PrettyTable(columns)
        table.align = 'l'
        for row in data:
            table.add_row([_cell(row.get(c)) for c in columns])
    print(table)


# Argument values.

def _uuid(value):
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError):
        raise CommandError('%r is not a UUID' % value)


def _subnet_spec(value):
    """``CIDR[,gateway=IP|none][,id=UUID]`` -> inventory subnet data."""
    parts = value.split(',')
    spec = {'cidr': parts[0].strip()}
    for part in parts[1:]:
        key, sep, val = part.partition('=')
        key, val = key.strip(), val.strip()
        if not sep or key not in ('gateway', 'id'):
            raise CommandError(
                'bad --subnet %r: expected CIDR[,gateway=IP|none][,id=UUID]'
                % value)
        if key == 'gateway':
            spec['gateway_ip'] = None if val.lower() == 'none' else val
        else:
            spec['id'] = val
    if 'gateway_ip' not in spec:
        # Neutron's default: the first host address.
        try:
            first = next(ipaddress.ip_network(spec['cidr']).hosts(), None)
        except ValueError:
            first = None  # inventory.parse names the bad CIDR.
        spec['gateway_ip'] = str(first) if first is not None else None
    spec.setdefault('id', str(uuid.uuid4()))
    return spec


def _parse(data):
    """Check new entries with the inventory rules (one source of truth)."""
    try:
        return inventory.parse(data, source='command line')
    except inventory.InventoryError as e:
        raise CommandError(str(e))


def _get(session, model, value, kind):
    row = session.get(model, _uuid(value))
    if row is None or row.id != _uuid(value):
        raise CommandError('%s %s not found' % (kind, value))
    return row


def _port_view(session, port):
    data = api.port_dict(port)
    att = port.attachment
    data['server_id'] = att.server_id if att is not None else None
    data['status'] = api.ACTIVE if att is not None else api.DOWN
    data['created_by_attach'] = bool(port.created_by_attach)
    data['fixed_ips'] = [
        {'ip_address': ip.ip_address, 'subnet_id': ip.subnet_id}
        for ip in port.fixed_ips]
    return data


def _server_view(session, server):
    data = api.server_dict(server)
    data['ports'] = list(session.scalars(
        sa.select(models.Attachment.port_id)
        .where(models.Attachment.server_id == server.id)
        .order_by(models.Attachment.id)))
    return data


# Commands. Each takes (db, args) and runs in one transaction.

def db_sync(db, args):
    before = migration.current_revision(db.engine)
    after = db.upgrade(args.revision)
    _emit(args, {'previous': before, 'current': after})


def db_version(db, args):
    _emit(args, {'current': migration.current_revision(db.engine),
                 'head': migration.head_revision()})


def inventory_load(db, args):
    try:
        inv = inventory.load(args.file)
    except inventory.InventoryError as e:
        raise CommandError(str(e))
    with db.writer() as session:
        counts = api.load_inventory(session, inv)
    _emit(args, counts)


def inventory_export(db, args):
    with db.reader() as session:
        data = api.export_inventory(session)
    if args.format == 'table':
        # The point of an export is a file that loads back.
        print(yaml.safe_dump(data, default_flow_style=False,
                             sort_keys=False), end='')
    else:
        _emit(args, data)


NETWORK_COLUMNS = ['id', 'name', 'project_id', 'shared', 'subnets']


def _network_row(net):
    data = api.network_dict(net)
    data['subnets'] = ['%s %s gw %s' % (s['id'], s['cidr'],
                                        s['gateway_ip'] or '-')
                       for s in data['subnets']]
    return data


def network_create(db, args):
    data = {'id': args.id or str(uuid.uuid4()), 'name': args.display_name,
            'project_id': args.project, 'shared': args.shared,
            'subnets': [_subnet_spec(s) for s in args.subnet]}
    inv = _parse({'networks': [data]})
    with db.writer() as session:
        net = inv.networks[0]
        if session.get(models.Network, net.id) is not None:
            raise CommandError('network %s already exists' % net.id)
        api.load_inventory(session, inv)
        row = session.get(models.Network, net.id)
        result = api.network_dict(row)
    _emit(args, result)


def network_list(db, args):
    with db.reader() as session:
        query = sa.select(models.Network).options(
            orm.selectinload(models.Network.subnets)).order_by(
            models.Network.created_at, models.Network.id)
        if args.project:
            query = query.where(models.Network.project_id == args.project)
        rows = [_network_row(n) for n in session.scalars(query)]
    _emit(args, rows, NETWORK_COLUMNS)


def network_show(db, args):
    with db.reader() as session:
        result = api.network_dict(_get(session, models.Network, args.id,
                                       'network'))
    _emit(args, result)


def network_delete(db, args):
    with db.writer() as session:
        net = _get(session, models.Network, args.id, 'network')
        ports = session.scalar(
            sa.select(sa.func.count()).select_from(models.Port)
            .where(models.Port.network_id == net.id))
        if ports:
            raise CommandError('network %s still has %d port(s); delete '
                               'them first' % (net.id, ports))
        session.delete(net)


PORT_COLUMNS = ['id', 'network_id', 'project_id', 'mac_address',
                'fixed_ips', 'status', 'server_id']


def _port_row(session, port):
    data = _port_view(session, port)
    data['fixed_ips'] = [ip['ip_address'] for ip in data['fixed_ips']]
    return data


def _load_port(session, port_id):
    row = session.scalars(
        sa.select(models.Port).where(models.Port.id == port_id)
        .options(orm.selectinload(models.Port.fixed_ips),
                 orm.selectinload(models.Port.attachment))).first()
    if row is None or row.id != port_id:
        raise CommandError('port %s not found' % port_id)
    return row


def port_create(db, args):
    net_id = _uuid(args.network)
    with db.writer() as session:
        net = _get(session, models.Network, net_id, 'network')
        data = {'id': args.id or str(uuid.uuid4()), 'network_id': net.id,
                'project_id': args.project or net.project_id}
        if args.mac:
            data['mac_address'] = args.mac
        else:
            data['mac_address'] = ipam.generate_mac(
                functools.partial(api.mac_taken, session))
        if args.fixed_ip:
            data['fixed_ips'] = [{'ip_address': a} for a in args.fixed_ip]
        elif not args.no_fixed_ip and net.subnets:
            free = api.free_address(session, net)
            if free is None:
                raise CommandError('network %s has no free address'
                                   % net.id)
            data['fixed_ips'] = [{'ip_address': free.ip_address}]
        inv = _parse({'networks': [api.network_dict(net)],
                      'ports': [data]})
        port = inv.ports[0]
        if session.get(models.Port, port.id) is not None:
            raise CommandError('port %s already exists' % port.id)
        if api.mac_taken(session, port.mac_address):
            raise CommandError('MAC address %s is already used'
                               % port.mac_address)
        taken = api.taken_addresses(session, net.id)
        for ip in port.fixed_ips:
            if ip.ip_address in taken:
                raise CommandError('address %s is already used on network '
                                   '%s' % (ip.ip_address, net.id))
        api.add_port(session, port, 'port %s' % port.id)
        result = _port_view(session, _load_port(session, port.id))
    _emit(args, result)


def port_list(db, args):
    with db.reader() as session:
        query = sa.select(models.Port).options(
            orm.selectinload(models.Port.fixed_ips),
            orm.selectinload(models.Port.attachment)).order_by(
            models.Port.created_at, models.Port.id)
        if args.network:
            query = query.where(models.Port.network_id == _uuid(args.network))
        if args.project:
            query = query.where(models.Port.project_id == args.project)
        rows = [_port_row(session, p) for p in session.scalars(query)]
    _emit(args, rows, PORT_COLUMNS)


def port_show(db, args):
    with db.reader() as session:
        result = _port_view(session, _load_port(session, _uuid(args.id)))
    _emit(args, result)


def port_delete(db, args):
    with db.writer() as session:
        port = _load_port(session, _uuid(args.id))
        if port.attachment is not None:
            raise CommandError('port %s is attached to server %s; detach it '
                               'first' % (port.id, port.attachment.server_id))
        session.delete(port)


SERVER_COLUMNS = ['id', 'name', 'project_id', 'vm_state', 'task_state',
                  'locked', 'ports']


def server_create(db, args):
    data = {'id': args.id or str(uuid.uuid4()), 'name': args.display_name,
            'project_id': args.project, 'vm_state': args.state,
            'task_state': args.task_state, 'locked': args.locked}
    inv = _parse({'servers': [data]})
    with db.writer() as session:
        server = inv.servers[0].server
        if session.get(models.Server, server.id) is not None:
            raise CommandError('server %s already exists' % server.id)
        api.load_inventory(session, inv)
        result = _server_view(session, session.get(models.Server, server.id))
    _emit(args, result)


def server_list(db, args):
    with db.reader() as session:
        query = sa.select(models.Server).order_by(
            models.Server.created_at, models.Server.id)
        if args.project:
            query = query.where(models.Server.project_id == args.project)
        rows = [_server_view(session, s) for s in session.scalars(query)]
    _emit(args, rows, SERVER_COLUMNS)


def server_show(db, args):
    with db.reader() as session:
        result = _server_view(session, _get(session, models.Server, args.id,
                                            'server'))
    _emit(args, result)


def server_set(db, args):
    if args.state is not None and args.state not in driver.VM_STATES:
        raise CommandError('--state must be one of: %s'
                           % ', '.join(sorted(driver.VM_STATES)))
    with db.writer() as session:
        server = _get(session, models.Server, args.id, 'server')
        if args.state is not None:
            server.vm_state = args.state
        if args.no_task_state:
            server.task_state = None
        elif args.task_state is not None:
            server.task_state = args.task_state
        if args.locked is not None:
            server.locked = args.locked
        session.flush()
        result = _server_view(session, server)
    _emit(args, result)


def server_delete(db, args):
    """Delete a server as Nova does: its own ports go, the others stay."""
    with db.writer() as session:
        server = _get(session, models.Server, args.id, 'server')
        atts = session.scalars(
            sa.select(models.Attachment)
            .where(models.Attachment.server_id == server.id)).all()
        for att in atts:
            port = att.port
            session.delete(att)
            if port.created_by_attach:
                session.delete(port)
        session.flush()
        session.delete(server)


# The command line.

def _leaf(subparsers, name, func, help):
    parser = subparsers.add_parser(name, help=help)
    parser.add_argument('-f', '--format', choices=['table', 'json', 'yaml'],
                        default='table', help='output format')
    parser.set_defaults(func=func)
    return parser


def _add_parsers(subparsers):
    db = subparsers.add_parser('db', help='database schema')
    sub = db.add_subparsers(dest='action', required=True)
    p = _leaf(sub, 'sync', db_sync, 'create or upgrade the schema')
    p.add_argument('--revision', default='head',
                   help='alembic revision to upgrade to')
    _leaf(sub, 'version', db_version, 'show schema revision')

    inv = subparsers.add_parser('inventory', help='inventory YAML files')
    sub = inv.add_subparsers(dest='action', required=True)
    p = _leaf(sub, 'load', inventory_load,
              'add what a YAML inventory holds (idempotent)')
    p.add_argument('file', help='inventory YAML file')
    _leaf(sub, 'export', inventory_export,
          'print the store as inventory YAML')

    net = subparsers.add_parser('network', help='networks and subnets')
    sub = net.add_subparsers(dest='action', required=True)
    p = _leaf(sub, 'create', network_create, 'create a network')
    p.add_argument('--id', help='UUID (default: generated)')
    p.add_argument('--name', dest='display_name', default='')
    p.add_argument('--project', required=True, help='owning project id')
    p.add_argument('--shared', action='store_true',
                   help='usable by every project')
    p.add_argument('--subnet', action='append', default=[],
                   metavar='CIDR[,gateway=IP|none][,id=UUID]',
                   help='a subnet, in allocation order (repeatable); the '
                        'gateway defaults to the first host address')
    p = _leaf(sub, 'list', network_list, 'list networks')
    p.add_argument('--project', help='only this project\'s networks')
    p = _leaf(sub, 'show', network_show, 'show a network')
    p.add_argument('id')
    p = _leaf(sub, 'delete', network_delete, 'delete a network without ports')
    p.add_argument('id')

    port = subparsers.add_parser('port', help='ports')
    sub = port.add_subparsers(dest='action', required=True)
    p = _leaf(sub, 'create', port_create, 'create an unattached port')
    p.add_argument('--network', required=True, help='network UUID')
    p.add_argument('--project',
                   help='owning project id (default: the network\'s)')
    p.add_argument('--id', help='UUID (default: generated)')
    p.add_argument('--mac', help='MAC address (default: fa:16:3e:...)')
    p.add_argument('--fixed-ip', action='append', default=[],
                   help='address (repeatable; default: the next free one)')
    p.add_argument('--no-fixed-ip', action='store_true',
                   help='create the port without an address')
    p = _leaf(sub, 'list', port_list, 'list ports')
    p.add_argument('--network', help='only ports of this network')
    p.add_argument('--project', help='only this project\'s ports')
    p = _leaf(sub, 'show', port_show, 'show a port')
    p.add_argument('id')
    p = _leaf(sub, 'delete', port_delete, 'delete an unattached port')
    p.add_argument('id')

    srv = subparsers.add_parser('server', help='servers')
    sub = srv.add_subparsers(dest='action', required=True)
    p = _leaf(sub, 'create', server_create, 'create a server')
    p.add_argument('--id', help='UUID (default: generated)')
    p.add_argument('--name', dest='display_name', default='')
    p.add_argument('--project', required=True, help='owning project id')
    p.add_argument('--state', default='active',
                   help='vm_state (default: active)')
    p.add_argument('--task-state', default=None)
    p.add_argument('--locked', action='store_true')
    p = _leaf(sub, 'list', server_list, 'list servers')
    p.add_argument('--project', help='only this project\'s servers')
    p = _leaf(sub, 'show', server_show, 'show a server')
    p.add_argument('id')
    p = _leaf(sub, 'set', server_set, 'change state, task state or lock')
    p.add_argument('id')
    p.add_argument('--state', help='vm_state')
    task = p.add_mutually_exclusive_group()
    task.add_argument('--task-state')
    task.add_argument('--no-task-state', action='store_true',
                      help='clear the task state')
    lock = p.add_mutually_exclusive_group()
    lock.add_argument('--lock', dest='locked', action='store_const',
                      const=True, default=None)
    lock.add_argument('--unlock', dest='locked', action='store_const',
                      const=False)
    p = _leaf(sub, 'delete', server_delete,
              'delete a server; ports its attaches created go with it')
    p.add_argument('id')


def _make_conf(argv):
    conf = cfg.ConfigOpts()
    nai_conf.register_opts(conf)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=_add_parsers,
        help='run "%s COMMAND --help"' % PROG))
    conf(argv, project='nova-attach-ifaces', prog=PROG)
    return conf


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
    args = conf.command
    db = api.Database(conf)
    try:
        if args.name != 'db':
            # As the API does at start, so that a fresh store just works.
            db.bootstrap(auto_migrate=conf.sql.auto_migrate)
        args.func(db, args)
        return 0
    except CommandError as e:
        print('ERROR: %s' % e, file=sys.stderr)
    except inventory.InventoryError as e:
        print('ERROR: %s' % e, file=sys.stderr)
    except migration.SchemaNotReady as e:
        print('ERROR: %s' % e, file=sys.stderr)
    except db_exc.DBError as e:
        print('ERROR: database %s: %s' % (db.url, e), file=sys.stderr)
    except sa.exc.OperationalError as e:
        print('ERROR: database %s unreachable: %s' % (db.url, e.orig),
              file=sys.stderr)
    finally:
        db.dispose()
    return 1


if __name__ == '__main__':
    sys.exit(main())
