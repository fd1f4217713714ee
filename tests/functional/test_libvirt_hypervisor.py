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
"""The libvirt hypervisor against real QEMU (embedded, no daemon).

Every check reads the domain through the test's own libvirt connection:
the live and persistent XML, QEMU's monitor and the host's tap devices.
"""

import concurrent.futures
import json
import os
import subprocess
import uuid

from oslo_config import cfg
import testtools

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces import conf as nai_conf
from tests.services import qemu

try:
    import libvirt
    import libvirt_qemu

    from nova_attach_ifaces.compute.libvirt import demo
    from nova_attach_ifaces.compute.libvirt import domain
    from nova_attach_ifaces.compute.libvirt import host
except ImportError:
    libvirt = libvirt_qemu = demo = domain = host = None


def _mac(number):
    return 'fa:16:3e:00:%02x:%02x' % (number // 256, number % 256)


class HypervisorTestBase(testtools.TestCase):

    detach_attempts = 2
    detach_timeout = 1

    def setUp(self):
        super().setUp()
        self.qemu = qemu.get(self)
        self.conf = cfg.ConfigOpts()
        nai_conf.register_opts(self.conf)
        self.conf([], project='nova-attach-ifaces', default_config_files=[])
        self.conf.set_override('connection_uri', self.qemu.uri, 'libvirt')
        self.conf.set_override('device_detach_attempts',
                               self.detach_attempts, 'libvirt')
        self.conf.set_override('device_detach_timeout', self.detach_timeout,
                               'libvirt')
        self.hv = host.LibvirtHypervisor(self.conf)
        self.addCleanup(self.hv.close)
        self.project = uuid.uuid4().hex

    def port(self):
        return str(uuid.uuid4())

    def assertPlugged(self, server_id, port_id, mac, config=True):
        alias = 'ua-' + port_id
        self.assertEqual(mac, self.qemu.interfaces(server_id).get(alias))
        if config:
            self.assertEqual(mac, self.qemu.interfaces(
                server_id, inactive=True).get(alias))
        monitor = self.qemu.qemu_nics(server_id)
        self.assertIn(alias, monitor)
        self.assertIn('macaddr=%s' % mac, monitor)
        self.assertTrue(self.qemu.tap_exists(port_id))

    def assertUnplugged(self, server_id, port_id):
        alias = 'ua-' + port_id
        self.assertNotIn(alias, self.qemu.interfaces(server_id))
        self.assertNotIn(alias, self.qemu.interfaces(server_id,
                                                     inactive=True))
        if self.qemu.dom(server_id).isActive():
            self.assertNotIn(alias, self.qemu.qemu_nics(server_id))
        self.assertFalse(self.qemu.tap_exists(port_id))


class TestServers(HypervisorTestBase):

    def test_owned_domain(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     display_name='web-1')
        server = self.hv.get_server(server_id)
        self.assertEqual(server_id, server.id)
        self.assertEqual(self.project, server.project_id)
        self.assertEqual('web-1', server.name)
        self.assertEqual('active', server.vm_state)
        self.assertIsNone(server.task_state)
        self.assertFalse(server.locked)

    def test_domain_without_owner_belongs_to_no_project(self):
        server_id = self.qemu.define(self, start=False)
        server = self.hv.get_server(server_id)
        self.assertEqual('', server.project_id)
        self.assertEqual('stopped', server.vm_state)

    def test_paused(self):
        server_id = self.qemu.define(self, project_id=self.project)
        self.qemu.dom(server_id).suspend()
        self.assertEqual('paused', self.hv.get_server(server_id).vm_state)

    def test_unknown_or_malformed_id(self):
        for server_id in (str(uuid.uuid4()), 'not-a-uuid'):
            self.assertRaises(exception.ServerNotFound,
                              self.hv.get_server, server_id)
            self.assertRaises(exception.ServerNotFound,
                              self.hv.list_nics, server_id)

    def test_list_servers_by_project(self):
        mine = self.qemu.define(self, project_id=self.project, start=False)
        other = self.qemu.define(self, project_id=uuid.uuid4().hex,
                                 start=False)
        ids = [s.id for s in self.hv.list_servers(self.project)]
        self.assertEqual([mine], ids)
        every = [s.id for s in self.hv.list_servers()]
        self.assertIn(mine, every)
        self.assertIn(other, every)

    def test_lock_is_kept_in_the_domain(self):
        server_id = self.qemu.define(self, project_id=self.project)
        self.hv.set_locked(server_id, True)
        self.assertTrue(self.hv.get_server(server_id).locked)
        # In the definition too: still locked after a restart.
        dom = self.qemu.dom(server_id)
        dom.destroy()
        dom.create()
        self.assertTrue(self.hv.get_server(server_id).locked)
        self.hv.set_locked(server_id, False)
        self.assertFalse(self.hv.get_server(server_id).locked)


class TestPlugUnplug(HypervisorTestBase):

    def test_plug_then_unplug_running(self):
        server_id = self.qemu.define(self, project_id=self.project)
        port_id, mac = self.port(), _mac(1)
        nic = self.hv.plug(server_id, port_id, mac, tag='db', created=True)
        self.assertEqual(hypervisor.Nic(port_id, mac, 'db', True), nic)
        self.assertPlugged(server_id, port_id, mac)
        self.assertEqual([nic], self.hv.list_nics(server_id))
        server, nics = self.hv.get_server_nics(server_id)
        self.assertEqual(server_id, server.id)
        self.assertEqual([nic], nics)

        self.assertEqual(nic, self.hv.unplug(server_id, port_id, mac))
        # Gone everywhere the moment unplug returns.
        self.assertUnplugged(server_id, port_id)
        self.assertEqual([], self.hv.list_nics(server_id))
        self.assertRaises(exception.InterfaceNotAttached,
                          self.hv.unplug, server_id, port_id, mac)

    def test_guest_order_is_attach_order_lowest_free_slot(self):
        server_id = self.qemu.define(self, project_id=self.project)
        ports = [self.port() for _ in range(3)]
        for number, port_id in enumerate(ports):
            self.hv.plug(server_id, port_id, _mac(number))
        self.assertEqual(ports,
                         [n.port_id for n in self.hv.list_nics(server_id)])
        self.hv.unplug(server_id, ports[1])
        late = self.port()
        self.hv.plug(server_id, late, _mac(9))
        # The freed slot, between the first and the third.
        self.assertEqual([ports[0], late, ports[2]],
                         [n.port_id for n in self.hv.list_nics(server_id)])

    @staticmethod
    def _add_behind_libvirt(dom, alias, bus=None):
        """Add a NIC through QEMU's monitor: libvirt does not know it."""
        if bus is None:
            bus = domain.free_root_port(domain.parse(dom.XMLDesc(0)))
        for command, arguments in (
                ('netdev_add', {'type': 'user', 'id': 'host' + alias}),
                ('device_add', {'driver': 'virtio-net-pci', 'id': alias,
                                'netdev': 'host' + alias,
                                'bus': 'pci.%d' % bus, 'addr': '0x0'})):
            libvirt_qemu.qemuMonitorCommand(dom, json.dumps(
                {'execute': command, 'arguments': arguments}), 0)

    def test_a_nic_libvirt_lost_is_removed_from_the_slot_it_holds(self):
        # What a libvirt stopped between QEMU's device_add and recording
        # the device leaves (an agent's embedded driver SIGKILLed mid-
        # plug): QEMU has a NIC on the lowest free root port, the XML not.
        server_id = self.qemu.define(self, project_id=self.project)
        dom = self.qemu.dom(server_id)
        bus = domain.free_root_port(domain.parse(dom.XMLDesc(0)))
        lost = 'ua-' + self.port()
        self._add_behind_libvirt(dom, lost, bus)
        self.assertIn(lost, self.qemu.qemu_nics(server_id))
        self.assertEqual({}, self.qemu.interfaces(server_id))
        port_id = self.port()
        # Plugged there (QEMU refused the slot before), the lost NIC gone.
        self.hv.plug(server_id, port_id, _mac(7))
        self.assertPlugged(server_id, port_id, _mac(7))
        self.assertNotIn(lost, self.qemu.qemu_nics(server_id))
        self.assertEqual([port_id],
                         [n.port_id for n in self.hv.list_nics(server_id)])

    def test_lost_nics_of_attach_records_are_removed(self):
        server_id = self.qemu.define(self, project_id=self.project)
        kept = self.port()
        self.hv.plug(server_id, kept, _mac(3), tag='k')
        self.assertEqual([], self.hv.remove_lost_nics(server_id))
        # The attach record is written first, then QEMU adds the NIC,
        # then libvirt would record it: it stopped in between.
        lost, never = self.port(), self.port()
        dom = self.qemu.dom(server_id)
        records = domain.interface_records(domain.parse(dom.XMLDesc(0)))
        records.update({lost: (None, True), never: (None, False)})
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                        domain.interfaces_metadata(records),
                        domain.INTERFACES_PREFIX, domain.INTERFACES_NS,
                        libvirt.VIR_DOMAIN_AFFECT_LIVE |
                        libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self._add_behind_libvirt(dom, 'ua-' + lost)
        self.assertEqual([lost], self.hv.remove_lost_nics(server_id))
        monitor = self.qemu.qemu_nics(server_id)
        self.assertNotIn('ua-' + lost, monitor)
        self.assertIn('ua-' + kept, monitor)
        # Both leftover records dropped, the plugged NIC's kept.
        self.assertEqual({kept: ('k', False)}, domain.interface_records(
            domain.parse(dom.XMLDesc(0))))
        self.assertEqual([kept],
                         [n.port_id for n in self.hv.list_nics(server_id)])

    def test_no_free_slot_is_refused_and_changes_nothing(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     root_ports=1)
        first = self.port()
        self.hv.plug(server_id, first, _mac(1), tag='a')
        before = (self.qemu.interfaces(server_id),
                  self.qemu.interfaces(server_id, inactive=True),
                  self.qemu.dom(server_id).XMLDesc(0))
        second = self.port()
        self.assertRaises(exception.NoFreePciSlot, self.hv.plug, server_id,
                          second, _mac(2))
        self.assertEqual(before, (
            self.qemu.interfaces(server_id),
            self.qemu.interfaces(server_id, inactive=True),
            self.qemu.dom(server_id).XMLDesc(0)))
        self.assertFalse(self.qemu.tap_exists(second))

    def test_same_port_or_mac_twice_is_refused(self):
        server_id = self.qemu.define(self, project_id=self.project)
        port_id = self.port()
        self.hv.plug(server_id, port_id, _mac(1))
        self.assertRaises(exception.PortInUse, self.hv.plug, server_id,
                          port_id, _mac(2))
        self.assertRaises(exception.PortInUse, self.hv.plug, server_id,
                          self.port(), _mac(1))
        self.assertEqual(1, len(self.hv.list_nics(server_id)))

    def _bridge(self):
        name = 'nai-br%d' % (os.getpid() % 100000)
        subprocess.run(['ip', 'link', 'add', name, 'type', 'bridge'],
                       capture_output=True)
        subprocess.run(['ip', 'link', 'set', name, 'up'], check=True)
        self.addCleanup(subprocess.run, ['ip', 'link', 'del', name],
                        capture_output=True)
        return name

    def _master(self, port_id):
        path = '/sys/class/net/%s/master' % domain.tap_name(port_id)
        return os.path.basename(os.path.realpath(path))

    def test_bridge_from_binding_or_default(self):
        bridge = self._bridge()
        server_id = self.qemu.define(self, project_id=self.project)
        named = self.port()
        self.hv.plug(server_id, named, _mac(1), vif_type='bridge',
                     vif_details={'bridge_name': bridge})
        self.assertPlugged(server_id, named, _mac(1))
        self.assertEqual(bridge, self._master(named))
        # Unnamed: [libvirt] default_bridge, else a tap joined to nothing.
        plain = self.port()
        self.hv.plug(server_id, plain, _mac(2))
        self.assertPlugged(server_id, plain, _mac(2))
        self.assertFalse(os.path.exists(
            '/sys/class/net/%s/master' % domain.tap_name(plain)))
        self.conf.set_override('default_bridge', bridge, 'libvirt')
        default = self.port()
        self.hv.plug(server_id, default, _mac(3), vif_type='bridge')
        self.assertEqual(bridge, self._master(default))

    def test_foreign_nic_has_no_port_id(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     start=False)
        self.qemu.dom(server_id).attachDeviceFlags(
            "<interface type='ethernet'><mac address='52:54:00:00:00:01'/>"
            "<model type='virtio'/></interface>", host.CONFIG)
        self.assertEqual([hypervisor.Nic(None, '52:54:00:00:00:01')],
                         self.hv.list_nics(server_id))


class TestStopped(HypervisorTestBase):

    def test_plug_into_stopped_domain_is_config_only(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     start=False)
        port_id, mac = self.port(), _mac(1)
        self.hv.plug(server_id, port_id, mac, tag='t')
        self.assertEqual(mac, self.qemu.interfaces(server_id).get(
            'ua-' + port_id))
        self.assertFalse(self.qemu.tap_exists(port_id))
        self.assertEqual([hypervisor.Nic(port_id, mac, 't', False)],
                         self.hv.list_nics(server_id))
        self.qemu.dom(server_id).create()
        self.assertPlugged(server_id, port_id, mac)
        self.assertEqual([hypervisor.Nic(port_id, mac, 't', False)],
                         self.hv.list_nics(server_id))

    def test_unplug_from_stopped_domain_at_once(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     start=False)
        port_id = self.port()
        self.hv.plug(server_id, port_id, _mac(1))
        self.hv.unplug(server_id, port_id)
        self.assertUnplugged(server_id, port_id)
        self.assertEqual([], self.hv.list_nics(server_id))


class TestGuestThatNeverReleases(HypervisorTestBase):

    def test_detach_fails_and_nothing_changes(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     machine=demo.HOLDING_MACHINE)
        port_id, mac = self.port(), _mac(1)
        nic = self.hv.plug(server_id, port_id, mac, created=True)
        error = self.assertRaises(exception.DeviceDetachFailed,
                                  self.hv.unplug, server_id, port_id)
        self.assertEqual(409, error.code)
        self.assertIn('did not release', error.format_message())
        # Still plugged, live and in the definition, and still listed.
        self.assertPlugged(server_id, port_id, mac)
        self.assertEqual([nic], self.hv.list_nics(server_id))
        # Once the guest is off, the same unplug succeeds at once.
        self.qemu.dom(server_id).destroy()
        self.assertEqual(nic, self.hv.unplug(server_id, port_id))
        self.assertUnplugged(server_id, port_id)


class TestConcurrency(HypervisorTestBase):

    def test_eight_concurrent_plugs_then_unplugs(self):
        server_id = self.qemu.define(self, project_id=self.project,
                                     root_ports=8)
        ports = {self.port(): _mac(n) for n in range(8)}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: self.hv.plug(server_id, p, ports[p],
                                                 tag=p[:8]), ports))
        nics = self.hv.list_nics(server_id)
        self.assertEqual(sorted(ports), sorted(n.port_id for n in nics))
        self.assertEqual({p: p[:8] for p in ports},
                         {n.port_id: n.tag for n in nics})
        for port_id, mac in ports.items():
            self.assertPlugged(server_id, port_id, mac)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: self.hv.unplug(server_id, p), ports))
        self.assertEqual([], self.hv.list_nics(server_id))
        for port_id in ports:
            self.assertUnplugged(server_id, port_id)
