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
"""Tests of the memory driver: the conformance suite, then its own bits."""

import dataclasses
import ipaddress
import os

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslotest import base
import yaml

from nova_attach_ifaces.compute import conformance
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import ipam
from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf as nai_conf

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                      'nova-attach-ifaces', 'inventory.yaml.sample')


class TestMemoryDriverConformance(conformance.DriverConformanceTests,
                                  base.BaseTestCase):

    def make_driver(self, inventory, conf):
        return memory.MemoryDriver.from_inventory(conf, inventory)


class TestMemoryDriver(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.config = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf = self.config.conf
        nai_conf.register_opts(self.conf)
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.ctx = conformance.context(conformance.PROJECT_A)

    def write(self, name, data):
        path = os.path.join(self.tempdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            yaml.safe_dump(data, f)
        return path

    def parse_args(self):
        conf_file = os.path.join(self.tempdir, 'nova-attach-ifaces.conf')
        with open(conf_file, 'w') as f:
            f.write('[DEFAULT]\n')
        self.conf(['--config-file', conf_file], project='nova-attach-ifaces',
                  default_config_files=[], default_config_dirs=[])

    def test_is_a_compute_driver(self):
        self.assertTrue(issubclass(memory.MemoryDriver, driver.ComputeDriver))

    def test_no_inventory_file_is_empty(self):
        drv = memory.MemoryDriver(self.conf)
        self.assertRaises(exception.ServerNotFound, drv.get_server, self.ctx,
                          conformance.SERVER_A1)

    def test_absolute_inventory_file(self):
        path = self.write('inv.yaml', conformance.INVENTORY_DATA)
        self.config.config(group='memory', inventory_file=path)
        drv = memory.MemoryDriver(self.conf)
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertEqual([conformance.ATT_A1, conformance.ATT_A2],
                         drv.list_interfaces(self.ctx, server))

    def test_relative_inventory_file_next_to_config_file(self):
        self.write('sub/inv.yaml', conformance.INVENTORY_DATA)
        self.parse_args()
        self.config.config(group='memory', inventory_file='sub/inv.yaml')
        drv = memory.MemoryDriver(self.conf)
        self.assertEqual(conformance.PROJECT_B,
                         drv.get_server(self.ctx,
                                        conformance.SERVER_B1).project_id)

    def test_relative_inventory_file_missing(self):
        self.parse_args()
        self.config.config(group='memory', inventory_file='missing.yaml')
        e = self.assertRaises(inventory.InventoryError, memory.MemoryDriver,
                              self.conf)
        self.assertIn('missing.yaml', str(e))
        self.assertIn('inventory_file', str(e))

    def test_relative_inventory_file_without_parsed_config(self):
        self.config.config(group='memory', inventory_file='inv.yaml')
        e = self.assertRaises(inventory.InventoryError, memory.MemoryDriver,
                              self.conf)
        self.assertIn('inv.yaml', str(e))

    def test_absolute_inventory_file_missing(self):
        path = os.path.join(self.tempdir, 'nope.yaml')
        self.config.config(group='memory', inventory_file=path)
        e = self.assertRaises(inventory.InventoryError, memory.MemoryDriver,
                              self.conf)
        self.assertIn(path, str(e))

    def test_invalid_inventory_file(self):
        path = self.write('bad.yaml', {'servers': [{'id': 'x'}]})
        self.config.config(group='memory', inventory_file=path)
        e = self.assertRaises(inventory.InventoryError, memory.MemoryDriver,
                              self.conf)
        self.assertIn('servers[0]', str(e))

    def test_sample_inventory(self):
        self.config.config(group='memory',
                           inventory_file=os.path.abspath(SAMPLE))
        drv = memory.MemoryDriver(self.conf)
        demo = conformance.context('6f70656e737461636b20697320636f6f')
        inv = inventory.load(SAMPLE)
        active = [r for r in inv.servers
                  if r.server.vm_state == 'active' and r.port_ids]
        self.assertTrue(active)
        server = drv.get_server(demo, active[0].server.id)
        self.assertEqual(list(active[0].port_ids),
                         [a.port_id for a in
                          drv.list_interfaces(demo, server)])

    def test_returned_values_are_frozen(self):
        drv = memory.MemoryDriver.from_inventory(
            self.conf, conformance.build_inventory())
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        att = drv.get_interface(self.ctx, server, conformance.PORT_A1)
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, att,
                          'tag', 'changed')
        self.assertRaises(dataclasses.FrozenInstanceError, setattr, server,
                          'locked', True)

    def test_unknown_server_object(self):
        drv = memory.MemoryDriver.from_inventory(
            self.conf, conformance.build_inventory())
        ghost = driver.Server(id=conformance.SERVER_UNKNOWN,
                              project_id=conformance.PROJECT_A)
        self.assertRaises(exception.ServerNotFound, drv.list_interfaces,
                          self.ctx, ghost)
        self.assertRaises(exception.ServerNotFound, drv.attach_interface,
                          self.ctx, ghost, net_id=conformance.NET_A)

    def test_no_partial_state_when_mac_generation_fails(self):
        # Nothing after the checks may fail; if something unexpected does,
        # before any change, nothing must have changed.
        drv = memory.MemoryDriver.from_inventory(
            self.conf, conformance.build_inventory())
        server = drv.get_server(self.ctx, conformance.SERVER_A2)
        self.useFixture(fixtures.MockPatch(
            'nova_attach_ifaces.compute.ipam.generate_mac',
            side_effect=RuntimeError('boom')))
        self.assertRaises(RuntimeError, drv.attach_interface, self.ctx,
                          server, net_id=conformance.NET_A)
        self.assertEqual([], drv.list_interfaces(self.ctx, server))
        self.useFixture(fixtures.MockPatch(
            'nova_attach_ifaces.compute.ipam.generate_mac',
            return_value='fa:16:3e:aa:bb:cc'))
        att = drv.attach_interface(self.ctx, server, net_id=conformance.NET_A)
        self.assertEqual('10.0.0.5', att.fixed_ips[0].ip_address)

    def test_allocation_does_not_rescan_used_addresses(self):
        # Benchmarks run with 100,000 ports: each attach must start where
        # the last one stopped instead of rescanning the used addresses,
        # and a freed address must still be found again.
        ports = [{'id': '%08x-0000-4000-8000-000000000000' % i,
                  'network_id': conformance.NET_A,
                  'project_id': conformance.PROJECT_A,
                  'fixed_ips': [{'ip_address': str(
                      ipaddress.ip_address('10.0.0.1') + i)}]}
                 for i in range(1, 501)]
        inv = inventory.parse({
            'networks': [{'id': conformance.NET_A,
                          'project_id': conformance.PROJECT_A,
                          'subnets': [{'id': conformance.SUBNET_A1,
                                       'cidr': '10.0.0.0/16',
                                       'gateway_ip': '10.0.0.1'}]}],
            'ports': ports,
            'servers': [{'id': conformance.SERVER_A1,
                         'project_id': conformance.PROJECT_A}],
        })
        drv = memory.MemoryDriver.from_inventory(self.conf, inv)
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        starts = []
        real = ipam.first_free_address

        def recording(subnet, taken, start=None):
            starts.append(start)
            return real(subnet, taken, start=start)

        self.useFixture(fixtures.MonkeyPatch(
            'nova_attach_ifaces.compute.ipam.first_free_address', recording))
        atts = [drv.attach_interface(self.ctx, server,
                                     net_id=conformance.NET_A)
                for _ in range(3)]
        self.assertEqual(['10.0.1.246', '10.0.1.247', '10.0.1.248'],
                         [a.fixed_ips[0].ip_address for a in atts])
        self.assertEqual(ipaddress.ip_address('10.0.1.247'),
                         ipaddress.ip_address(starts[1]))
        drv.detach_interface(self.ctx, server, atts[0].port_id)
        again = drv.attach_interface(self.ctx, server,
                                     net_id=conformance.NET_A)
        self.assertEqual('10.0.1.246', again.fixed_ips[0].ip_address)
        after = drv.attach_interface(self.ctx, server,
                                     net_id=conformance.NET_A)
        self.assertEqual('10.0.1.249', after.fixed_ips[0].ip_address)


class TestDriverContract(base.BaseTestCase):

    def test_close_is_part_of_the_contract(self):
        # A driver that holds nothing need not write close(); tools and
        # the service call it on every driver they shut down.
        class Minimal(driver.ComputeDriver):
            get_server = list_interfaces = get_interface = None
            attach_interface = detach_interface = None

        drv = Minimal(cfg.ConfigOpts())
        self.assertIsNone(drv.close())
        self.assertIs(driver.ComputeDriver.close, memory.MemoryDriver.close)

    def test_behaviour_is_written_once_in_the_contract(self):
        self.assertIn('Behaviour every driver follows', driver.__doc__)
        self.assertIn('``PortLimitExceeded``', driver.__doc__)
        self.assertNotIn('``PortLimitExceeded``', memory.__doc__)
        self.assertIn(':mod:`nova_attach_ifaces.compute.driver`',
                      conformance.__doc__)
