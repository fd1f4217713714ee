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
"""The hypervisor of one host: its libvirt domains and their NICs.

:class:`LibvirtHypervisor` implements :class:`~..hypervisor.Hypervisor`
over one :class:`~.connection.Connection`. Threads: any number of callers;
plugs and unplugs of one domain run one at a time (a lock per domain, also
when callers are the RPC endpoint of an agent serving several API
workers), those of different domains in parallel; libvirt's events arrive
on the connection's event loop thread.

A detach is done when the device is gone from the running domain, never
when libvirt's call returns: ``detachDeviceAlias`` only asks the guest to
release the device. Each attempt asks, then waits for libvirt's
``DEVICE_REMOVED`` event for that alias; only then is the device dropped
from the persistent definition too, so a guest that never lets go leaves
the domain exactly as it was (live and after a restart).
"""

import collections
import threading

import libvirt
from oslo_log import log as logging

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces.compute.libvirt import connection as connection_mod
from nova_attach_ifaces.compute.libvirt import domain as domain_xml
from nova_attach_ifaces.compute.libvirt import monitor

LOG = logging.getLogger(__name__)

LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
_NO_SLOT_MESSAGES = ('No more available PCI slots',
                     'no free PCI',
                     'does not support hotplugging')

# What a lifecycle event says of a domain's presence on this host (see
# Hypervisor.watch_servers): a stopped domain is gone only if it was
# transient, and an undefined one stays while it runs, so those two are
# looked up. Other events (suspended, resumed, crashed...) change nothing.
_PRESENCE = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: True,
    libvirt.VIR_DOMAIN_EVENT_STARTED: True,
    libvirt.VIR_DOMAIN_EVENT_STOPPED: None,
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: None,
}


class _Domain:
    """A looked-up domain and how it is: running, persistent."""

    def __init__(self, dom):
        self.dom = dom
        self.id = dom.UUIDString()
        state, _reason = dom.state()
        self.state = state
        self.active = bool(dom.isActive())
        self.persistent = bool(dom.isPersistent())

    def flags(self):
        """The affect flags that change it everywhere it exists."""
        flags = LIVE if self.active else 0
        if self.persistent:
            flags |= CONFIG
        return flags

    def xml(self):
        """Its current XML (live when running, else the definition)."""
        return domain_xml.parse(self.dom.XMLDesc(0))

    def config_xml(self):
        """Its persistent definition, or None for a transient domain."""
        if not self.persistent:
            return None
        if not self.active:
            return self.xml()
        return domain_xml.parse(
            self.dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


class LibvirtHypervisor(hypervisor.Hypervisor):
    """The domains of ``[libvirt] connection_uri``.

    :param conf: the service ``ConfigOpts`` (``[libvirt]``, ``[DEFAULT]
        host``).
    :param connection: a :class:`~.connection.Connection` to use instead of
        opening one (tests).

    The connection is opened at once when libvirt answers, else on the
    first call that needs it (which answers 503 until then).
    """

    def __init__(self, conf, connection=None):
        super().__init__(conf)
        self.connection = connection or connection_mod.Connection(
            conf.libvirt.connection_uri)
        self._locks_guard = threading.Lock()
        self._locks = collections.defaultdict(threading.Lock)
        try:
            self.connection.get()
        except exception.ComputeUnavailable:
            LOG.warning('libvirt at %s is not reachable yet; requests '
                        'answer 503 until it is', self.connection.uri)

    def close(self):
        self.connection.close()

    def watch_servers(self, callback):
        """Server events from libvirt's domain lifecycle events, and a
        call to look at every server again after each reconnection (events
        sent while the connection was down are lost).
        """
        def lifecycle(server_id, event, detail):
            # On libvirt's event loop thread: no libvirt call here (the
            # caller looks a server up on a thread of its own).
            if event in _PRESENCE:
                callback(server_id, _PRESENCE[event])

        self.connection.add_lifecycle_listener(lifecycle)
        self.connection.add_connect_listener(lambda: callback(None, None))
        return True

    def _lock(self, server_id):
        with self._locks_guard:
            return self._locks[server_id]

    # libvirt calls and their errors.

    def _call(self, server_id, func, *args):
        """``func(*args)``, its libvirt errors turned into ours:
        connection failures are ComputeUnavailable, a missing domain is
        ServerNotFound; others are raised as they are.
        """
        try:
            return func(*args)
        except libvirt.libvirtError as e:
            self._raise_unavailable(e)
            if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise exception.ServerNotFound(server_id=server_id)
            raise

    def _raise_unavailable(self, error):
        if connection_mod.is_connection_error(error):
            self.connection.lost()
            raise exception.ComputeUnavailable()

    def _domain(self, server_id):
        def lookup():
            try:
                dom = self.connection.get().lookupByUUIDString(server_id)
            except libvirt.libvirtError as e:
                if e.get_error_code() == libvirt.VIR_ERR_INVALID_ARG:
                    # Not a UUID: no such domain.
                    raise exception.ServerNotFound(server_id=server_id)
                raise
            # libvirt parses the UUID (any case, dashes optional); a
            # server id matches exactly, as on every other driver.
            if dom.UUIDString() != server_id:
                raise exception.ServerNotFound(server_id=server_id)
            return _Domain(dom)
        return self._call(server_id, lookup)

    def _server(self, domain, root):
        managed_save = False
        if domain.state == libvirt.VIR_DOMAIN_SHUTOFF:
            managed_save = bool(self._call(
                domain.id, domain.dom.hasManagedSaveImage, 0))
        return domain_xml.server(root, domain.state, managed_save)

    # Servers.

    def get_server(self, server_id):
        domain = self._domain(server_id)
        return self._server(domain, self._call(server_id, domain.xml))

    def list_servers(self, project_id=None):
        conn = self.connection.get()
        servers = []
        for dom in self._call(None, conn.listAllDomains, 0):
            try:
                domain = _Domain(dom)
                server = self._server(domain, domain.xml())
            except libvirt.libvirtError as e:
                self._raise_unavailable(e)
                # Undefined while listing: not a server any more.
                continue
            if project_id is None or server.project_id == project_id:
                servers.append(server)
        return servers

    def list_nics(self, server_id):
        domain = self._domain(server_id)
        return domain_xml.nics(self._call(server_id, domain.xml))

    def get_server_nics(self, server_id):
        domain = self._domain(server_id)
        root = self._call(server_id, domain.xml)
        return self._server(domain, root), domain_xml.nics(root)

    def set_locked(self, server_id, locked):
        domain = self._domain(server_id)
        self._call(server_id, domain.dom.setMetadata,
                   libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                   domain_xml.server_metadata(locked),
                   domain_xml.SERVER_PREFIX, domain_xml.SERVER_NS,
                   domain.flags())

    # Plug.

    def _write_records(self, domain, records):
        self._call(domain.id, domain.dom.setMetadata,
                   libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                   domain_xml.interfaces_metadata(records),
                   domain_xml.INTERFACES_PREFIX, domain_xml.INTERFACES_NS,
                   domain.flags())

    def plug(self, server_id, port_id, mac_address, vif_type='tap',
             vif_details=None, tag=None, created=False):
        with self._lock(server_id):
            domain = self._domain(server_id)
            root = self._call(server_id, domain.xml)
            roots = [root]
            config = self._call(server_id, domain.config_xml)
            if config is not None and domain.active:
                roots.append(config)
            for each in roots:
                if domain_xml.find_device(each, port_id, mac_address):
                    raise exception.PortInUse(port_id=port_id)
            bus = None
            if domain_xml.root_ports(root):
                bus = domain_xml.free_root_port(*roots)
                if bus is None:
                    raise exception.NoFreePciSlot(instance_uuid=server_id)
            device = domain_xml.interface_xml(
                port_id, mac_address, vif_type, vif_details,
                self.conf.libvirt.default_bridge, bus)
            records = domain_xml.interface_records(root)
            records[port_id] = (tag, created)
            # The attach's own facts go first: a crash after them leaves
            # a record without a device, which nothing lists.
            self._write_records(domain, records)
            try:
                self._attach(server_id, domain, root, device)
            except Exception as e:
                self._undo_records(domain, port_id)
                if isinstance(e, exception.ComputeError):
                    raise
                self._raise_attach_error(server_id, port_id, e)
            LOG.info('Plugged port %(port)s into %(server)s%(bus)s',
                     {'port': port_id, 'server': server_id,
                      'bus': '' if bus is None else ' (bus %d)' % bus})
            return hypervisor.Nic(port_id=port_id,
                                  mac_address=mac_address.lower(), tag=tag,
                                  created=created)

    def _attach(self, server_id, domain, root, device):
        try:
            self._call(server_id, domain.dom.attachDeviceFlags, device,
                       domain.flags())
        except libvirt.libvirtError as e:
            # The slot is held by a NIC libvirt lost track of: removed,
            # it is free again (see .monitor).
            alias = monitor.lost_alias(e, {
                domain_xml.nic_alias(nic)
                for nic in root.findall('devices/interface')})
            if alias is None or not monitor.remove_lost(
                    domain.dom, alias,
                    self.conf.libvirt.device_detach_timeout):
                raise
            self._call(server_id, domain.dom.attachDeviceFlags, device,
                       domain.flags())

    def remove_lost_nics(self, server_id):
        # Only a port with an attach record and no device can have a lost
        # NIC (the record is written before the attach): QEMU's monitor,
        # which taints the domain, is asked about nothing else.
        with self._lock(server_id):
            domain = self._domain(server_id)
            root = self._call(server_id, domain.xml)
            records = domain_xml.interface_records(root)
            known = {nic.port_id for nic in domain_xml.nics(root)}
            leftovers = sorted(set(records) - known)
            if not leftovers or not domain.active:
                return []
            removed, gone = monitor.remove_leftovers(
                domain.dom, leftovers,
                self.conf.libvirt.device_detach_timeout)
            self._write_records(domain, {
                port_id: record for port_id, record in records.items()
                if port_id not in gone})
            return removed

    def _undo_records(self, domain, port_id):
        try:
            records = domain_xml.interface_records(domain.xml())
            records.pop(port_id, None)
            self._write_records(domain, records)
        except Exception:
            # Harmless leftover: a record without its device is ignored.
            LOG.warning('Could not drop the interface record of port %s '
                        'from %s', port_id, domain.id)

    @staticmethod
    def _raise_attach_error(server_id, port_id, error):
        message = str(error)
        if any(text in message for text in _NO_SLOT_MESSAGES):
            raise exception.NoFreePciSlot(instance_uuid=server_id)
        LOG.error('libvirt refused to plug port %(port)s into %(server)s: '
                  '%(error)s',
                  {'port': port_id, 'server': server_id, 'error': message})
        raise exception.InterfaceAttachFailed(instance_uuid=server_id)

    # Unplug.

    def unplug(self, server_id, port_id, mac_address=None):
        with self._lock(server_id):
            domain = self._domain(server_id)
            root = self._call(server_id, domain.xml)
            device = domain_xml.find_device(root, port_id, mac_address)
            if device is None:
                raise exception.InterfaceNotAttached(server_id=server_id,
                                                     port_id=port_id)
            records = domain_xml.interface_records(root)
            tag, created = records.get(port_id, (None, False))
            nic = hypervisor.Nic(port_id=port_id,
                                 mac_address=domain_xml.nic_mac(device),
                                 tag=tag, created=created)
            if domain.active:
                self._unplug_live(domain, port_id, device)
            if domain.persistent:
                self._unplug_config(domain, port_id, mac_address)
            records.pop(port_id, None)
            try:
                self._write_records(domain, records)
            except exception.ComputeError:
                raise
            except libvirt.libvirtError as e:
                LOG.warning('Could not drop the interface record of port '
                            '%s from %s: %s', port_id, server_id, e)
            LOG.info('Unplugged port %(port)s from %(server)s',
                     {'port': port_id, 'server': server_id})
            return nic

    def _unplug_live(self, domain, port_id, device):
        """Ask the guest to release ``device`` until it is gone from the
        running domain, or raise DeviceDetachFailed.
        """
        name = domain_xml.nic_alias(device)
        mac = domain_xml.nic_mac(device)
        attempts = self.conf.libvirt.device_detach_attempts
        timeout = self.conf.libvirt.device_detach_timeout
        removal = self.connection.expect_removal(domain.id, name)
        try:
            for attempt in range(1, attempts + 1):
                removal.done.clear()
                removal.failed = False
                try:
                    self._call(domain.id, domain.dom.detachDeviceAlias,
                               name, LIVE)
                except libvirt.libvirtError as e:
                    if not self._live_device(domain, port_id, mac):
                        return
                    # QEMU refuses a second request while one is pending;
                    # the wait below still sees the removal.
                    LOG.debug('detach of %s from %s: %s', name, domain.id, e)
                removal.done.wait(timeout)
                # The event is a hint; the live XML is the truth (and a
                # lost connection shows here as ComputeUnavailable).
                if not self._live_device(domain, port_id, mac):
                    return
                LOG.info('The guest of %(server)s has not released port '
                         '%(port)s (attempt %(attempt)d of %(attempts)d)',
                         {'server': domain.id, 'port': port_id,
                          'attempt': attempt, 'attempts': attempts})
        finally:
            self.connection.forget_removal(domain.id, name)
        raise exception.DeviceDetachFailed(
            instance_uuid=domain.id, port_id=port_id, attempts=attempts,
            timeout=timeout)

    def _live_device(self, domain, port_id, mac_address):
        # Looked up again: after a reconnection the old handle is dead.
        dom = self._call(domain.id, self.connection.get().lookupByUUIDString,
                         domain.id)
        root = domain_xml.parse(self._call(domain.id, dom.XMLDesc, 0))
        return domain_xml.find_device(root, port_id, mac_address) is not None

    def _unplug_config(self, domain, port_id, mac_address):
        config = self._call(domain.id, domain.config_xml)
        device = domain_xml.find_device(config, port_id, mac_address)
        if device is None:
            return
        self._call(domain.id, domain.dom.detachDeviceFlags,
                   domain_xml.device_xml(device), CONFIG)
