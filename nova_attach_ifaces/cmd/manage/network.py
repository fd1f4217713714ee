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
"""``network``: networks and their subnets."""

import ipaddress
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.cmd.manage import common
from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import models

args = common.args

COLUMNS = ['id', 'name', 'project_id', 'shared', 'subnets']


def subnet_spec(value):
    """``CIDR[,gateway=IP|none][,id=UUID]`` -> inventory subnet data."""
    parts = value.split(',')
    spec = {'cidr': parts[0].strip()}
    for part in parts[1:]:
        key, sep, val = part.partition('=')
        key, val = key.strip(), val.strip()
        if not sep or key not in ('gateway', 'id'):
            raise common.CommandError(
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
            first = None  # The inventory rules name the bad CIDR.
        spec['gateway_ip'] = str(first) if first is not None else None
    spec.setdefault('id', str(uuid.uuid4()))
    return spec


def _row(net):
    data = inventory_store.network_dict(net)
    data['subnets'] = ['%s %s gw %s' % (s['id'], s['cidr'],
                                        s['gateway_ip'] or '-')
                       for s in data['subnets']]
    return data


class NetworkCommands(common.CommandGroup):
    description = 'networks and subnets'

    @args('--id', help='UUID (default: generated)')
    @args('--name', default='')
    @args('--project', required=True, help='owning project id')
    @args('--shared', action='store_true', help='usable by every project')
    @args('--subnet', action='append', default=[],
          metavar='CIDR[,gateway=IP|none][,id=UUID]',
          help='a subnet, in allocation order (repeatable); the gateway '
               'defaults to the first host address')
    def create(self, id, name, project, shared, subnet):
        """Create a network."""
        inv = common.parse_inventory({'networks': [{
            'id': id or str(uuid.uuid4()), 'name': name,
            'project_id': project, 'shared': shared,
            'subnets': [subnet_spec(s) for s in subnet]}]})
        net = inv.networks[0]
        with self.db.writer() as session:
            if session.get(models.Network, net.id) is not None:
                raise common.CommandError('network %s already exists'
                                          % net.id)
            inventory_store.load_inventory(session, inv)
            result = inventory_store.network_dict(
                session.get(models.Network, net.id))
        self.emit(result)

    @args('--project', help='only this project\'s networks')
    def list(self, project):
        """List networks."""
        with self.db.reader() as session:
            query = sa.select(models.Network).options(
                orm.selectinload(models.Network.subnets)).order_by(
                models.Network.created_at, models.Network.id)
            if project:
                query = query.where(models.Network.project_id == project)
            rows = [_row(n) for n in session.scalars(query)]
        self.emit(rows, COLUMNS)

    @args('id')
    def show(self, id):
        """Show a network."""
        with self.db.reader() as session:
            result = inventory_store.network_dict(
                common.get_row(session, models.Network, id, 'network'))
        self.emit(result)

    @args('id')
    def delete(self, id):
        """Delete a network without ports."""
        with self.db.writer() as session:
            net = common.get_row(session, models.Network, id, 'network')
            ports = session.scalar(
                sa.select(sa.func.count()).select_from(models.Port)
                .where(models.Port.network_id == net.id))
            if ports:
                raise common.CommandError(
                    'network %s still has %d port(s); delete them first'
                    % (net.id, ports))
            session.delete(net)
