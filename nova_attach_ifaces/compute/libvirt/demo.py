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
"""Small disk-less domains for the demo and the tests.

A domain of :func:`domain_xml` boots no operating system: 128 MiB, one
vCPU, TCG (``type='qemu'``: no hardware virtualisation needed), firmware
idling. On machine ``pc-q35-6.0`` QEMU completes a NIC's hot-unplug
without a guest (native PCIe hot-plug), so it behaves as a cooperative
guest; on plain ``q35`` (ACPI hot-plug) the unplug waits for a guest that
never answers, as a guest that ignores hot-unplug does. Each spare
``pcie-root-port`` is one hot-plug slot.
"""

import xml.etree.ElementTree as etree

from nova_attach_ifaces.compute.libvirt import domain

#: The machine type whose NICs unplug without a guest.
RELEASING_MACHINE = 'pc-q35-6.0'
#: A machine type whose NICs never unplug without a guest.
HOLDING_MACHINE = 'q35'


def domain_xml(name, uuid, project_id=None, user_id=None,
               machine=RELEASING_MACHINE, root_ports=4, serial_path=None,
               display_name=None):
    """The XML of a small domain; with ``project_id``, owned as Nova
    writes it (``nova:owner``).
    """
    root = etree.Element('domain', type='qemu')
    etree.SubElement(root, 'name').text = name
    etree.SubElement(root, 'uuid').text = uuid
    etree.SubElement(root, 'memory', unit='MiB').text = '128'
    etree.SubElement(root, 'vcpu').text = '1'
    if project_id is not None:
        metadata = etree.SubElement(root, 'metadata')
        instance = etree.SubElement(metadata,
                                    '{%s}instance' % domain.NOVA_NS)
        etree.SubElement(instance, '{%s}name' % domain.NOVA_NS).text = (
            display_name or name)
        owner = etree.SubElement(instance, '{%s}owner' % domain.NOVA_NS)
        etree.SubElement(owner, '{%s}user' % domain.NOVA_NS,
                         uuid=user_id or 'demo-user').text = 'demo'
        etree.SubElement(owner, '{%s}project' % domain.NOVA_NS,
                         uuid=project_id).text = 'demo'
    os_element = etree.SubElement(root, 'os')
    etree.SubElement(os_element, 'type', arch='x86_64',
                     machine=machine).text = 'hvm'
    features = etree.SubElement(root, 'features')
    etree.SubElement(features, 'acpi')
    devices = etree.SubElement(root, 'devices')
    etree.SubElement(devices, 'controller', type='usb', model='none')
    etree.SubElement(devices, 'controller', type='pci', index='0',
                     model='pcie-root')
    for _ in range(root_ports):
        etree.SubElement(devices, 'controller', type='pci',
                         model='pcie-root-port')
    etree.SubElement(devices, 'memballoon', model='none')
    if serial_path:
        serial = etree.SubElement(devices, 'serial', type='file')
        etree.SubElement(serial, 'source', path=serial_path)
    etree.register_namespace('nova', domain.NOVA_NS)
    return etree.tostring(root, encoding='unicode')
