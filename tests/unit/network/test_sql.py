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
"""The ``sql`` network backend on SQLite, PostgreSQL and MariaDB.

The public conformance suite on each database, then what only this backend
promises: one store with the ``sql`` driver, the inventory seeding
networks and ports (and refusing servers), a network's bridge in the
binding.
"""

import ipaddress
import os
import uuid

import fixtures
from oslotest import base
import sqlalchemy as sa
import yaml

from nova_attach_ifaces.compute import conformance as driver_conformance
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import driver as sql_driver
from nova_attach_ifaces.compute.sql import inventory_store
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces.compute.sql import ports
from nova_attach_ifaces.network import backend
from nova_attach_ifaces.network import conformance
from nova_attach_ifaces.network import sql
from tests.unit import sql_backends


class _Store:

    #: The database server (:mod:`tests.unit.sql_backends`); None: SQLite.
    database = None

    def make_conf(self):
        if self.database is None:
            url, state_dir = None, self.useFixture(fixtures.TempDir()).path
        else:
            url, state_dir = self.database.create_database(self), None
        return sql_backends.make_conf(url, state_dir)

    def start_backend(self, conf, inv=None):
        net_backend = sql.SQLBackend(conf, inventory=inv)
        self.addCleanup(net_backend.close)
        return net_backend


class _Conformance(_Store, conformance.NetworkBackendConformanceTests):

    def make_backend(self):
        self.conf = self.make_conf()
        return self.start_backend(self.conf)

    def project_id(self, project):
        return 'project-%s' % project

    def context(self, project):
        return driver_conformance.context(self.project_id(project))

    def admin_context(self):
        return driver_conformance.context('admin', is_admin=True)

    def create_network(self, project, cidr, shared=False):
        net_id, subnet_id = str(uuid.uuid4()), str(uuid.uuid4())
        inv = inventory.parse({'networks': [{
            'id': net_id, 'project_id': self.project_id(project),
            'shared': shared, 'subnets': [{
                'id': subnet_id, 'cidr': cidr,
                'gateway_ip': str(next(ipaddress.ip_network(cidr).hosts())),
            }],
        }]})
        with self.backend.db.writer() as session:
            inventory_store.load_inventory(session, inv)
        return net_id, subnet_id

    def create_port(self, network_id, project):
        with self.backend.db.writer() as session:
            net = session.get(models.Network, network_id)
            return ports.new_port(session, net,
                                  self.project_id(project)).id


class TestSQLiteConformance(_Conformance, base.BaseTestCase):
    pass


class TestPostgreSQLConformance(_Conformance, base.BaseTestCase):
    database = sql_backends.POSTGRESQL


class TestMySQLConformance(_Conformance, base.BaseTestCase):
    database = sql_backends.MYSQL


NET = driver_conformance.NET_A
PROJECT = driver_conformance.PROJECT_A
INVENTORY = {
    'networks': [
        {'id': NET, 'project_id': PROJECT, 'bridge': 'br-test',
         'subnets': [{'id': driver_conformance.SUBNET_A1,
                      'cidr': '10.0.0.0/24', 'gateway_ip': '10.0.0.1'}]},
        {'id': driver_conformance.NET_B,
         'project_id': driver_conformance.PROJECT_B,
         'subnets': [{'id': driver_conformance.SUBNET_B,
                      'cidr': '172.16.0.0/24'}]},
    ],
    'ports': [
        {'id': driver_conformance.PORT_A1, 'network_id': NET,
         'project_id': PROJECT, 'fixed_ips': [{'ip_address': '10.0.0.5'}]},
        {'id': driver_conformance.PORT_B1,
         'network_id': driver_conformance.NET_B,
         'project_id': driver_conformance.PROJECT_B},
    ],
}


class _BackendTests(_Store):
    """What only the sql backend promises, on every database."""

    def setUp(self):
        super().setUp()
        self.conf = self.make_conf()
        self.ctx = driver_conformance.context(PROJECT)
        self.device = str(uuid.uuid4())

    def write_inventory(self, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'inventory.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)
        self.conf.set_override('inventory_file', path, group='sql')
        return path

    def test_loaded_by_network_backend_option(self):
        self.assertEqual('sql', self.conf.network.backend)
        net_backend = loader.load_network_backend(self.conf)
        self.addCleanup(net_backend.close)
        self.assertIsInstance(net_backend, sql.SQLBackend)

    def test_inventory_file_seeds_networks_and_ports(self):
        self.write_inventory(INVENTORY)
        net_backend = self.start_backend(self.conf)
        port = net_backend.show_port(self.ctx, driver_conformance.PORT_A1)
        self.assertEqual([('10.0.0.5', driver_conformance.SUBNET_A1)],
                         [(ip.ip_address, ip.subnet_id)
                          for ip in port.fixed_ips])
        self.assertEqual('DOWN', port.status)
        # Loaded once: a second start on the same store changes nothing.
        self.start_backend(self.conf).delete_port(
            self.ctx, driver_conformance.PORT_A1)
        self.assertRaises(exception.PortNotFound,
                          self.start_backend(self.conf).show_port, self.ctx,
                          driver_conformance.PORT_A1)

    def test_inventory_with_servers_is_refused(self):
        path = self.write_inventory(dict(INVENTORY, servers=[
            {'id': driver_conformance.SERVER_A1, 'project_id': PROJECT}]))
        e = self.assertRaises(inventory.InventoryError, sql.SQLBackend,
                              self.conf)
        self.assertEqual(
            '[sql] inventory_file %s lists servers, but the servers of the '
            'sql network backend come from the hypervisor: keep only '
            'networks and ports in it' % path, str(e))

    def test_network_bridge_is_the_binding(self):
        net_backend = self.start_backend(
            self.conf, inventory.parse(INVENTORY))
        port = net_backend.bind_port(self.ctx, driver_conformance.PORT_A1,
                                     self.device, 'compute-1')
        self.assertEqual((backend.VIF_BRIDGE, {'bridge_name': 'br-test'}),
                         (port.vif_type, dict(port.vif_details)))
        self.assertEqual(
            port, net_backend.show_port(self.ctx, port.id))
        admin = driver_conformance.context('admin', is_admin=True)
        plain = net_backend.create_port(
            admin, self.device, driver_conformance.PROJECT_B, 'compute-1',
            net_id=driver_conformance.NET_B)
        self.assertEqual((backend.VIF_TAP, {}),
                         (plain.vif_type, dict(plain.vif_details)))

    def test_one_store_with_the_sql_driver(self):
        inv = driver_conformance.build_inventory()
        drv = sql_driver.SQLDriver(self.conf, inventory=inv)
        self.addCleanup(drv.close)
        net_backend = self.start_backend(self.conf)
        # Attached by the driver: bound for the backend, and in use.
        port = net_backend.show_port(self.ctx, driver_conformance.PORT_A1)
        self.assertEqual(driver_conformance.SERVER_A1, port.device_id)
        self.assertRaises(exception.PortInUse, net_backend.bind_port,
                          self.ctx, driver_conformance.PORT_A1, self.device,
                          'compute-1')
        # Bound by the backend: in use for the driver.
        net_backend.bind_port(self.ctx, driver_conformance.PORT_A_FREE,
                              self.device, 'compute-1')
        server = drv.get_server(self.ctx, driver_conformance.SERVER_A2)
        self.assertRaises(exception.PortInUse, drv.attach_interface,
                          self.ctx, server,
                          port_id=driver_conformance.PORT_A_FREE)
        # One allocator: the driver's next address skips the backend's.
        made = net_backend.create_port(self.ctx, self.device, PROJECT,
                                       'compute-1',
                                       net_id=driver_conformance.NET_A)
        att = drv.attach_interface(self.ctx, server,
                                   net_id=driver_conformance.NET_A)
        self.assertNotEqual(made.fixed_ips[0].ip_address,
                            att.fixed_ips[0].ip_address)
        self.assertNotEqual(made.mac_address, att.mac_addr)


class TestSQLiteBackend(_BackendTests, base.BaseTestCase):

    def test_upgrade_keeps_attachments(self):
        db = database.Database(self.conf)
        self.addCleanup(db.dispose)
        db.upgrade('3c4d5e6f7a8b')
        with db.engine.begin() as connection:
            for table, row in (
                    ('servers', {'id': 's1', 'project_id': 'p', 'name': '',
                                 'vm_state': 'active', 'locked': False,
                                 'created_at': models._now()}),
                    ('networks', {'id': 'n1', 'project_id': 'p',
                                  'name': '', 'shared': False,
                                  'created_at': models._now()}),
                    ('ports', {'id': 'p1', 'network_id': 'n1',
                               'project_id': 'p',
                               'mac_address': 'fa:16:3e:00:00:01',
                               'created_by_attach': False,
                               'created_at': models._now()}),
                    ('attachments', {'server_id': 's1', 'port_id': 'p1',
                                     'tag': 't',
                                     'created_at': models._now()})):
                connection.execute(sa.table(table, *map(sa.column, row))
                                   .insert().values(**row))
        self.assertEqual(migration.head_revision(), db.upgrade())
        net_backend = self.start_backend(self.conf)
        port = net_backend.show_port(
            driver_conformance.context('p'), 'p1')
        self.assertEqual(('s1', '', backend.VIF_TAP),
                         (port.device_id, port.binding_host_id,
                          port.vif_type))


class TestPostgreSQLBackend(_BackendTests, base.BaseTestCase):
    database = sql_backends.POSTGRESQL


class TestMySQLBackend(_BackendTests, base.BaseTestCase):
    database = sql_backends.MYSQL
