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
"""``port``: ports that are not attached yet, for attaching by id."""

import functools

from oslo_utils import netutils
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.cmd.manage import common
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces.compute.sql import ports
from nova_attach_ifaces.compute.sql import store

args = common.args

COLUMNS = ['id', 'network_id', 'project_id', 'mac_address', 'fixed_ips',
           'status', 'server_id']


def _view(port):
    data = inventory_store.port_dict(port)
    att = port.attachment
    data['server_id'] = att.server_id if att is not None else None
    data['status'] = driver.ACTIVE if att is not None else driver.DOWN
    data['created_by_attach'] = bool(port.created_by_attach)
    data['fixed_ips'] = [
        {'ip_address': ip.ip_address, 'subnet_id': ip.subnet_id}
        for ip in port.fixed_ips]
    return data


def _load(session, port_id):
    row = session.scalars(
        sa.select(models.Port).where(models.Port.id == port_id)
        .options(orm.selectinload(models.Port.fixed_ips),
                 orm.selectinload(models.Port.attachment))).first()
    if row is None or row.id != port_id:
        raise common.CommandError('port %s not found' % port_id)
    return row


class PortCommands(common.CommandGroup):
    description = 'ports'

    @args('--network', required=True, help='network UUID')
    @args('--project', help='owning project id (default: the network\'s)')
    @args('--id', help='UUID (default: generated)')
    @args('--mac', help='MAC address (default: fa:16:3e:...)')
    @args('--fixed-ip', action='append', default=[], group='address',
          help='address (repeatable; default: the next free one)')
    @args('--no-fixed-ip', action='store_true', group='address',
          help='create the port without an address')
    def create(self, network, project, id, mac, fixed_ip, no_fixed_ip):
        """Create an unattached port."""
        port_id = common.uuid_arg(id) if id else None
        if mac is not None and not netutils.is_valid_mac(mac):
            raise common.CommandError('invalid mac_address %r' % mac)
        # The store's one allocator, as attach and the sql network backend
        # use it: the same address order, MACs and answer to a lost race
        # (a whole new attempt, not a failure).
        attempt = functools.partial(self._create, network, project, port_id,
                                    mac, fixed_ip, no_fixed_ip)
        try:
            result = ports.retrying(attempt, 'Port create on network %s'
                                    % network)
        except exception.FixedIpAlreadyInUse as e:
            # Nova's message names a server; this port has none.
            raise common.CommandError(
                'address %s is already used on network %s'
                % (e.kwargs['address'], network))
        except exception.ComputeError as e:
            raise common.CommandError(e.format_message())
        self.emit(result)

    @store.retry_on_deadlock
    def _create(self, network, project, port_id, mac, fixed_ips, no_fixed_ip,
                contended=False):
        with self.db.writer() as session:
            net = common.get_row(session, models.Network, network, 'network')
            port = ports.new_port(
                session, net, project or net.project_id,
                fixed_ips=fixed_ips or None, mac_address=mac,
                port_id=port_id, allocate=not no_fixed_ip,
                contended=contended)
            return _view(_load(session, port.id))

    @args('--network', help='only ports of this network')
    @args('--project', help='only this project\'s ports')
    def list(self, network, project):
        """List ports."""
        with self.db.reader() as session:
            query = sa.select(models.Port).options(
                orm.selectinload(models.Port.fixed_ips),
                orm.selectinload(models.Port.attachment)).order_by(
                models.Port.created_at, models.Port.id)
            if network:
                query = query.where(
                    models.Port.network_id == common.uuid_arg(network))
            if project:
                query = query.where(models.Port.project_id == project)
            rows = []
            for port in session.scalars(query):
                row = _view(port)
                row['fixed_ips'] = [ip['ip_address']
                                    for ip in row['fixed_ips']]
                rows.append(row)
        self.emit(rows, COLUMNS)

    @args('id')
    def show(self, id):
        """Show a port."""
        with self.db.reader() as session:
            result = _view(_load(session, common.uuid_arg(id)))
        self.emit(result)

    @args('id')
    def delete(self, id):
        """Delete an unattached port."""
        with self.db.writer() as session:
            port = _load(session, common.uuid_arg(id))
            if port.attachment is not None:
                raise common.CommandError(
                    'port %s is attached to server %s; detach it first'
                    % (port.id, port.attachment.server_id))
            session.delete(port)
