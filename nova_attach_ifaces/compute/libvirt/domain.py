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
"""Domain XML: what a domain says about its server and NICs, and the XML
this service writes into it.

Everything here is pure: strings and ElementTree elements in, value
objects and strings out; :mod:`.host` does the libvirt calls.

Where the facts live in a domain:

* the owner: Nova's instance metadata (:data:`NOVA_NS`), so a host built
  by Nova reads as Nova sees it; ``nova:owner/nova:project/@uuid`` is the
  project, ``nova:name`` the display name, ``nova:creationTime`` the
  creation time. A domain without an owner belongs to no project.
* the lock flag: this service's ``server`` element (:data:`SERVER_NS`).
* what each attach wanted kept (its ``tag``, and whether it created the
  port): this service's ``interfaces`` element (:data:`INTERFACES_NS`),
  one ``interface`` per port. Two elements, so that locking a server (the
  manage command, another process) and attaching to it (the API) never
  rewrite each other's element.
* the NICs themselves: the ``<interface>`` devices; those this service
  plugged carry the user alias ``ua-<port id>``.
"""

import datetime
import xml.etree.ElementTree as etree

import libvirt

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import hypervisor

#: Nova's instance metadata namespace.
NOVA_NS = 'http://openstack.org/xmlns/libvirt/nova/1.1'
#: This service's namespaces and the prefixes it writes them with.
SERVER_NS = 'http://openstack.org/xmlns/nova-attach-ifaces/server/1.0'
SERVER_PREFIX = 'nai'
INTERFACES_NS = ('http://openstack.org/xmlns/nova-attach-ifaces/'
                 'interfaces/1.0')
INTERFACES_PREFIX = 'naiif'

#: The user alias prefix libvirt requires (``ua-``), and so ours.
ALIAS_PREFIX = 'ua-'

#: vm_state (and task_state) of each libvirt domain state; documented in
#: doc/source/deployment.rst. A shut-off domain with a managed save image
#: is ``suspended`` (Nova suspends with a managed save).
VM_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: ('building', None),
    libvirt.VIR_DOMAIN_RUNNING: ('active', None),
    libvirt.VIR_DOMAIN_BLOCKED: ('active', None),
    libvirt.VIR_DOMAIN_PAUSED: ('paused', None),
    libvirt.VIR_DOMAIN_SHUTDOWN: ('active', 'powering-off'),
    libvirt.VIR_DOMAIN_SHUTOFF: ('stopped', None),
    libvirt.VIR_DOMAIN_CRASHED: ('error', None),
    libvirt.VIR_DOMAIN_PMSUSPENDED: ('suspended', None),
}


def alias(port_id):
    """The device alias of ``port_id``'s NIC."""
    return ALIAS_PREFIX + port_id


def tap_name(port_id):
    """Nova's host tap name for ``port_id`` (15 characters at most)."""
    return ('tap' + port_id)[:14]


def parse(xml):
    return etree.fromstring(xml)


def _metadata(root, namespace, name):
    return root.find('metadata/{%s}%s' % (namespace, name))


def _created_at(instance):
    text = instance.findtext('{%s}creationTime' % NOVA_NS)
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text.strip(), '%Y-%m-%d %H:%M:%S')
    except ValueError:
        return None


def server(root, state, managed_save=False):
    """The :class:`~..driver.Server` of domain XML ``root`` in libvirt
    ``state``.
    """
    project_id, name, created_at = '', root.findtext('name', ''), None
    instance = _metadata(root, NOVA_NS, 'instance')
    if instance is not None:
        project = instance.find('{%s}owner/{%s}project' % (NOVA_NS, NOVA_NS))
        if project is not None:
            project_id = project.get('uuid', '')
        name = instance.findtext('{%s}name' % NOVA_NS) or name
        created_at = _created_at(instance)
    vm_state, task_state = VM_STATES.get(state, ('error', None))
    if vm_state == 'stopped' and managed_save:
        vm_state = 'suspended'
    own = _metadata(root, SERVER_NS, 'server')
    locked = own is not None and own.get('locked') == 'true'
    return driver.Server(
        id=root.findtext('uuid'), project_id=project_id, vm_state=vm_state,
        task_state=task_state, locked=locked, name=name,
        created_at=created_at)


def server_metadata(locked):
    """This service's ``server`` element (for ``setMetadata``)."""
    return etree.tostring(etree.Element(
        'server', locked='true' if locked else 'false'), encoding='unicode')


def interface_records(root):
    """{port_id: (tag, created)} kept by the attaches."""
    own = _metadata(root, INTERFACES_NS, 'interfaces')
    records = {}
    if own is not None:
        for item in own.findall('{%s}interface' % INTERFACES_NS):
            records[item.get('port')] = (item.get('tag'),
                                         item.get('created') == 'true')
    return records


def interfaces_metadata(records):
    """The ``interfaces`` element for ``records`` (as
    :func:`interface_records` returns them).
    """
    element = etree.Element('interfaces')
    for port_id in sorted(records):
        tag, created = records[port_id]
        item = etree.SubElement(element, 'interface', port=port_id,
                                created='true' if created else 'false')
        if tag is not None:
            item.set('tag', tag)
    return etree.tostring(element, encoding='unicode')


def _pci_key(device):
    address = device.find('address')
    if address is None or address.get('type') != 'pci':
        # Not placed yet (a config-only definition): after the placed ones.
        return (1 << 32,)
    return tuple(int(address.get(part, '0'), 16)
                 for part in ('domain', 'bus', 'slot', 'function'))


def interface_devices(root):
    """The ``<interface>`` elements of ``root``, in PCI slot order."""
    return sorted(root.findall('devices/interface'), key=_pci_key)


def nic_alias(device):
    element = device.find('alias')
    return None if element is None else element.get('name')


def nic_mac(device):
    element = device.find('mac')
    return None if element is None else element.get('address', '').lower()


def nics(root):
    """The :class:`~..hypervisor.Nic` list of ``root``, in guest order.

    A NIC without this service's alias (plugged at boot by Nova) is listed
    with ``port_id`` None: the compute driver knows it by its MAC, or not
    at all.
    """
    records = interface_records(root)
    found = []
    for device in interface_devices(root):
        name = nic_alias(device) or ''
        port_id = (name[len(ALIAS_PREFIX):]
                   if name.startswith(ALIAS_PREFIX) else None)
        tag, created = records.get(port_id, (None, False))
        found.append(hypervisor.Nic(port_id=port_id,
                                    mac_address=nic_mac(device) or '',
                                    tag=tag, created=created))
    return found


def find_device(root, port_id, mac_address=None):
    """The ``<interface>`` of ``port_id`` (by alias, else by MAC)."""
    devices = root.findall('devices/interface')
    for device in devices:
        if nic_alias(device) == alias(port_id):
            return device
    if mac_address:
        for device in devices:
            if nic_mac(device) == mac_address.lower():
                return device
    return None


def _used_buses(root):
    return {int(address.get('bus', '0'), 16)
            for address in root.iter('address')
            if address.get('type') == 'pci'}


def root_ports(root):
    """Indexes of the domain's ``pcie-root-port`` controllers, sorted."""
    return sorted(int(controller.get('index'))
                  for controller in root.findall(
                      "devices/controller[@model='pcie-root-port']")
                  if controller.get('type') == 'pci')


def free_root_port(*roots):
    """The lowest ``pcie-root-port`` bus with nothing plugged in any of
    ``roots`` (live and persistent XML), or None when every port is taken.
    A hot-plugged PCIe device sits alone in slot 0 of its root port's bus.
    """
    used = set()
    for root in roots:
        used |= _used_buses(root)
    for index in root_ports(roots[0]):
        if index not in used:
            return index
    return None


def interface_xml(port_id, mac_address, vif_type, vif_details,
                  default_bridge=None, bus=None):
    """The ``<interface>`` to hot-plug for a port, as Nova writes it.

    A bridge named by the port's binding (``bridge_name``), else
    ``default_bridge``, makes a bridge NIC (Open vSwitch's for ``ovs``);
    with neither, a plain tap (``ethernet``). ``bus`` places it on that
    root port's bus, slot 0.
    """
    details = vif_details or {}
    bridge = details.get('bridge_name') or default_bridge
    if vif_type == 'ovs':
        bridge = bridge or 'br-int'
    interface = etree.Element('interface',
                              type='bridge' if bridge else 'ethernet')
    etree.SubElement(interface, 'mac', address=mac_address)
    if bridge:
        etree.SubElement(interface, 'source', bridge=bridge)
    if vif_type == 'ovs':
        virtualport = etree.SubElement(interface, 'virtualport',
                                       type='openvswitch')
        etree.SubElement(virtualport, 'parameters', interfaceid=port_id)
    etree.SubElement(interface, 'target', dev=tap_name(port_id))
    etree.SubElement(interface, 'model', type='virtio')
    # Nothing network-boots from a hot-plugged NIC; no option ROM needed.
    etree.SubElement(interface, 'rom', enabled='no')
    etree.SubElement(interface, 'alias', name=alias(port_id))
    if bus is not None:
        etree.SubElement(interface, 'address', type='pci', domain='0x0000',
                         bus='0x%02x' % bus, slot='0x00', function='0x0')
    return etree.tostring(interface, encoding='unicode')


def device_xml(device):
    return etree.tostring(device, encoding='unicode')
