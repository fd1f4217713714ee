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
"""Domain XML in and out (no QEMU needed: pure functions)."""

import xml.etree.ElementTree as etree

import testtools

try:
    import libvirt

    from nova_attach_ifaces.compute.libvirt import demo
    from nova_attach_ifaces.compute.libvirt import domain
except ImportError:
    libvirt = None

from nova_attach_ifaces.compute import hypervisor

UUID = '6f9a4d3e-7b1c-4f25-9d0a-2c5e8b1f3a77'
PORT = '3b5c2d1e-4f6a-4b8c-9d0e-1f2a3b4c5d6e'


class DomainXMLTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if libvirt is None:
            self.skipTest('libvirt-python is not installed '
                          '(test-requirements.txt)')

    def test_server_from_nova_metadata(self):
        root = domain.parse(demo.domain_xml(
            'instance-0001', UUID, project_id='p1', display_name='web'))
        server = domain.server(root, libvirt.VIR_DOMAIN_RUNNING)
        self.assertEqual((UUID, 'p1', 'web', 'active', None, False),
                         (server.id, server.project_id, server.name,
                          server.vm_state, server.task_state, server.locked))

    def test_server_without_owner(self):
        root = domain.parse(demo.domain_xml('plain', UUID))
        server = domain.server(root, libvirt.VIR_DOMAIN_SHUTOFF)
        self.assertEqual(('', 'plain', 'stopped'),
                         (server.project_id, server.name, server.vm_state))

    def test_vm_states(self):
        root = domain.parse(demo.domain_xml('d', UUID, project_id='p'))
        expected = {
            libvirt.VIR_DOMAIN_RUNNING: ('active', None),
            libvirt.VIR_DOMAIN_BLOCKED: ('active', None),
            libvirt.VIR_DOMAIN_PAUSED: ('paused', None),
            libvirt.VIR_DOMAIN_SHUTDOWN: ('active', 'powering-off'),
            libvirt.VIR_DOMAIN_SHUTOFF: ('stopped', None),
            libvirt.VIR_DOMAIN_CRASHED: ('error', None),
            libvirt.VIR_DOMAIN_PMSUSPENDED: ('suspended', None),
            libvirt.VIR_DOMAIN_NOSTATE: ('building', None),
        }
        for state, (vm_state, task_state) in expected.items():
            server = domain.server(root, state)
            self.assertEqual((vm_state, task_state),
                             (server.vm_state, server.task_state))
        saved = domain.server(root, libvirt.VIR_DOMAIN_SHUTOFF,
                              managed_save=True)
        self.assertEqual('suspended', saved.vm_state)

    def test_creation_time(self):
        root = domain.parse(demo.domain_xml('d', UUID, project_id='p'))
        instance = root.find('metadata/{%s}instance' % domain.NOVA_NS)
        etree.SubElement(instance, '{%s}creationTime' % domain.NOVA_NS
                         ).text = '2024-05-06 07:08:09'
        server = domain.server(root, libvirt.VIR_DOMAIN_RUNNING)
        self.assertEqual('2024-05-06T07:08:09', server.created_at.isoformat())

    def _interface(self, vif_type='tap', details=None, bridge=None, bus=3):
        return etree.fromstring(domain.interface_xml(
            PORT, 'fa:16:3e:00:00:01', vif_type, details, bridge, bus))

    def test_interface_as_nova_writes_it(self):
        interface = self._interface()
        self.assertEqual('ethernet', interface.get('type'))
        self.assertEqual('fa:16:3e:00:00:01',
                         interface.find('mac').get('address'))
        self.assertEqual('tap3b5c2d1e-4f', interface.find('target').get('dev'))
        self.assertEqual('virtio', interface.find('model').get('type'))
        self.assertEqual('no', interface.find('rom').get('enabled'))
        self.assertEqual('ua-' + PORT, interface.find('alias').get('name'))
        self.assertEqual(('0x03', '0x00'),
                         (interface.find('address').get('bus'),
                          interface.find('address').get('slot')))
        self.assertIsNone(interface.find('source'))

    def test_bridge_from_binding_wins_over_default(self):
        interface = self._interface('bridge', {'bridge_name': 'brq1'}, 'br0')
        self.assertEqual('bridge', interface.get('type'))
        self.assertEqual('brq1', interface.find('source').get('bridge'))
        interface = self._interface('bridge', {}, 'br0')
        self.assertEqual('br0', interface.find('source').get('bridge'))

    def test_ovs(self):
        interface = self._interface('ovs', {})
        self.assertEqual('br-int', interface.find('source').get('bridge'))
        virtualport = interface.find('virtualport')
        self.assertEqual('openvswitch', virtualport.get('type'))
        self.assertEqual(PORT,
                         virtualport.find('parameters').get('interfaceid'))

    def test_free_root_port_is_the_lowest(self):
        root = domain.parse(demo.domain_xml('d', UUID, root_ports=0))
        devices = root.find('devices')
        # Root ports as libvirt numbers them once defined; bus 1 taken.
        for index in (3, 1, 2):
            etree.SubElement(devices, 'controller', type='pci',
                             model='pcie-root-port', index=str(index))
        devices.append(self._interface(bus=1))
        self.assertEqual([1, 2, 3], domain.root_ports(root))
        self.assertEqual(2, domain.free_root_port(root))
        config = domain.parse(etree.tostring(root))
        config.find('devices').append(etree.fromstring(domain.interface_xml(
            'other', 'fa:16:3e:00:00:02', 'tap', None, bus=2)))
        self.assertEqual(3, domain.free_root_port(root, config))
        config.find('devices').append(etree.fromstring(domain.interface_xml(
            'third', 'fa:16:3e:00:00:03', 'tap', None, bus=3)))
        self.assertIsNone(domain.free_root_port(root, config))

    def test_nics_in_slot_order_with_their_records(self):
        root = domain.parse(demo.domain_xml('d', UUID))
        devices = root.find('devices')
        devices.append(self._interface(bus=5))
        devices.append(etree.fromstring(
            "<interface type='ethernet'><mac address='52:54:00:AA:00:01'/>"
            "<address type='pci' domain='0x0000' bus='0x02' slot='0x00' "
            "function='0x0'/></interface>"))
        metadata = etree.SubElement(root, 'metadata')
        records = etree.fromstring(domain.interfaces_metadata(
            {PORT: ('db', True)}))
        records.tag = '{%s}interfaces' % domain.INTERFACES_NS
        for item in records:
            item.tag = '{%s}interface' % domain.INTERFACES_NS
        metadata.append(records)
        self.assertEqual(
            [hypervisor.Nic(None, '52:54:00:aa:00:01'),
             hypervisor.Nic(PORT, 'fa:16:3e:00:00:01', 'db', True)],
            domain.nics(root))
