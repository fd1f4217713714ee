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
"""``server``: the servers of the ``sql`` store, their state and lock.

``lock`` and ``unlock`` also serve the ``libvirt`` driver, whose servers
are the domains of ``[libvirt] connection_uri``: the flag is this
service's own metadata element in the domain (live and persistent), which
the driver reads on every request. With any other driver they act on
the store, as ``set --lock|--unlock`` does.
"""

import uuid

import sqlalchemy as sa

from nova_attach_ifaces.cmd.manage import common
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import models

args = common.args

COLUMNS = ['id', 'name', 'project_id', 'vm_state', 'task_state', 'locked',
           'ports']

#: The drivers whose servers are libvirt domains.
LIBVIRT_DRIVERS = ('libvirt',)


def _view(session, server):
    data = inventory_store.server_dict(server)
    data['ports'] = list(session.scalars(
        sa.select(models.Attachment.port_id)
        .where(models.Attachment.server_id == server.id)
        .order_by(models.Attachment.id)))
    return data


class ServerCommands(common.CommandGroup):
    description = 'servers'

    @args('--id', help='UUID (default: generated)')
    @args('--name', default='')
    @args('--project', required=True, help='owning project id')
    @args('--state', default='active', help='vm_state (default: active)')
    @args('--task-state', default=None)
    @args('--locked', action='store_true')
    def create(self, id, name, project, state, task_state,
               locked):
        """Create a server."""
        inv = common.parse_inventory({'servers': [{
            'id': id or str(uuid.uuid4()), 'name': name,
            'project_id': project, 'vm_state': state,
            'task_state': task_state, 'locked': locked}]})
        server = inv.servers[0].server
        with self.db.writer() as session:
            if session.get(models.Server, server.id) is not None:
                raise common.CommandError('server %s already exists'
                                          % server.id)
            inventory_store.load_inventory(session, inv)
            result = _view(session, session.get(models.Server, server.id))
        self.emit(result)

    @args('--project', help='only this project\'s servers')
    def list(self, project):
        """List servers."""
        with self.db.reader() as session:
            query = sa.select(models.Server).order_by(
                models.Server.created_at, models.Server.id)
            if project:
                query = query.where(models.Server.project_id == project)
            rows = [_view(session, s) for s in session.scalars(query)]
        self.emit(rows, COLUMNS)

    @args('id')
    def show(self, id):
        """Show a server."""
        with self.db.reader() as session:
            result = _view(session, common.get_row(
                session, models.Server, id, 'server'))
        self.emit(result)

    @args('id')
    @args('--state', help='vm_state')
    @args('--task-state', group='task')
    @args('--no-task-state', action='store_true', group='task',
          help='clear the task state')
    @args('--lock', dest='locked', action='store_const', const=True,
          default=None, group='lock')
    @args('--unlock', dest='locked', action='store_const', const=False,
          group='lock')
    def set(self, id, state, task_state, no_task_state, locked):
        """Change state, task state or lock."""
        if state is not None and state not in driver.VM_STATES:
            raise common.CommandError('--state must be one of: %s'
                                      % ', '.join(sorted(driver.VM_STATES)))
        with self.db.writer() as session:
            server = common.get_row(session, models.Server, id, 'server')
            if state is not None:
                server.vm_state = state
            if no_task_state:
                server.task_state = None
            elif task_state is not None:
                server.task_state = task_state
            if locked is not None:
                server.locked = locked
            session.flush()
            result = _view(session, server)
        self.emit(result)

    @args('id')
    def delete(self, id):
        """Delete a server; ports its attaches created go with it."""
        # As Nova does: its own ports go, the ports a user gave stay.
        with self.db.writer() as session:
            server = common.get_row(session, models.Server, id, 'server')
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

    @args('id')
    def lock(self, id):
        """Lock a server: only admins may then attach or detach."""
        self._set_lock(id, True)

    @args('id')
    def unlock(self, id):
        """Unlock a server."""
        self._set_lock(id, False)

    def _set_lock(self, id, locked):
        server_id = common.uuid_arg(id)
        if self.conf.compute.driver in LIBVIRT_DRIVERS:
            self.emit(_set_domain_lock(self.conf, server_id, locked))
        else:
            # The store's server, as every other command of the group.
            self.set(server_id, None, None, False, locked)


def _set_domain_lock(conf, server_id, locked):
    """Set the lock of domain ``server_id``; the server as it is now."""
    try:
        from nova_attach_ifaces.compute.libvirt import connection
        from nova_attach_ifaces.compute.libvirt import host
    except ImportError as e:
        raise common.CommandError(
            'the libvirt driver needs libvirt-python (%s)' % e)
    hypervisor = host.LibvirtHypervisor(conf)
    try:
        hypervisor.set_locked(server_id, locked)
        server = hypervisor.get_server(server_id)
    except exception.ServerNotFound:
        raise common.CommandError('server %s not found at %s'
                                  % (server_id, conf.libvirt.connection_uri))
    except exception.ComputeUnavailable:
        uri = conf.libvirt.connection_uri
        hint = ''
        if connection.embed_root(uri) is not None:
            hint = ('; an embedded root is used by one process at a time: '
                    'stop the service first, or run it on libvirtd')
        raise common.CommandError(
            'cannot reach libvirt at %s ([libvirt] connection_uri)%s'
            % (uri, hint))
    finally:
        hypervisor.close()
    return {'id': server.id, 'name': server.name,
            'project_id': server.project_id, 'vm_state': server.vm_state,
            'task_state': server.task_state, 'locked': server.locked}
