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
"""Real QEMU through libvirt, for the ``libvirt`` driver's tests.

Each test process runs QEMU embedded (``qemu:///embed?root=DIR``, no
daemon) under a root directory of its own, removed when the process exits
with every domain in it. :func:`get` returns that process-wide
:class:`EmbeddedQemu`; :meth:`EmbeddedQemu.define` makes a small disk-less
domain (:mod:`nova_attach_ifaces.compute.libvirt.demo`) that the test's
cleanup destroys.

The checks a user would make go through a connection of the test's own
(never the service's): the live and persistent XML, QEMU's own view
(``info network`` on the monitor) and the host's tap devices.

Without the Debian packages of ``bindep.txt``, root (tap devices) or the
``libvirt-qemu`` user (libvirt resolves it even embedded), the tests skip
saying what to install, and fail under ``CI=true``.
"""

import atexit
import concurrent.futures
import os
import pwd
import shutil
import tempfile
import threading
import uuid

from tests.unit import sql_backends

try:
    import libvirt
    import libvirt_qemu

    from nova_attach_ifaces.compute.libvirt import connection
    from nova_attach_ifaces.compute.libvirt import demo
    from nova_attach_ifaces.compute.libvirt import domain
except ImportError:
    libvirt = libvirt_qemu = None

PACKAGES = ('libvirt-daemon', 'libvirt-daemon-driver-qemu',
            'libvirt-clients', 'qemu-system-x86', 'libvirt-dev')
HINT = ('install the Debian packages %s and libvirt-python (bindep.txt and '
        'test-requirements.txt; "python3 tools/test-setup.py" as root does '
        'both), run as root, and create the libvirt-qemu user and group '
        '(tools/test-setup.py does)' % ' '.join(PACKAGES))


def probe():
    """None if real QEMU can be run here, else why not."""
    if libvirt is None:
        return 'libvirt-python is not installed; %s' % HINT
    if shutil.which('qemu-system-x86_64') is None:
        return 'qemu-system-x86_64 is not installed; %s' % HINT
    if os.geteuid() != 0:
        return 'the QEMU tests make tap devices and need root; %s' % HINT
    try:
        pwd.getpwnam('libvirt-qemu')
    except KeyError:
        return 'there is no libvirt-qemu user; %s' % HINT
    return None


_QEMU = None
_LOCK = threading.Lock()


def get(testcase):
    """This process's :class:`EmbeddedQemu`; skip (fail in CI) if QEMU
    cannot run here.
    """
    global _QEMU
    why = probe()
    if why is not None:
        sql_backends.skip_or_fail(testcase, why)
    with _LOCK:
        if _QEMU is None:
            _QEMU = EmbeddedQemu()
            atexit.register(_QEMU.close)
    return _QEMU


def remove_domain(dom):
    """Destroy and undefine ``dom``, whatever state it is in."""
    try:
        if dom.isActive():
            dom.destroy()
        if dom.isPersistent():
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    except libvirt.libvirtError:
        pass


def remove_domains(doms):
    """:func:`remove_domain` each of ``doms``, together: libvirt takes a
    second or two to see a QEMU process go, most of it waiting.
    """
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(remove_domain, doms))


class DomainChecks:
    """What a user would check on the domains of ``self.conn``."""

    def dom(self, server_id):
        return self.conn.lookupByUUIDString(server_id)

    def interfaces(self, server_id, inactive=False):
        """{alias or None: mac} of the live (or persistent) XML."""
        flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
        root = domain.parse(self.dom(server_id).XMLDesc(flags))
        return {domain.nic_alias(device): domain.nic_mac(device)
                for device in root.findall('devices/interface')}

    def qemu_nics(self, server_id):
        """QEMU's ``info network`` output (the monitor's own view)."""
        return libvirt_qemu.qemuMonitorCommand(
            self.dom(server_id), 'info network',
            libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    @staticmethod
    def tap_exists(port_id):
        return os.path.exists('/sys/class/net/%s' % domain.tap_name(port_id))


class EmbeddedQemu(DomainChecks):
    """An embedded QEMU driver under a temporary root."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix='nai-qemu-')
        self.uri = 'qemu:///embed?root=%s' % self.root
        # The process's one connection to it, shared with the service's
        # (libvirt cannot open an embedded root many times).
        self.conn = connection.open_embedded(self.uri)

    def close(self):
        try:
            for dom in self.conn.listAllDomains(0):
                remove_domain(dom)
        except libvirt.libvirtError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def define(self, testcase, project_id=None, start=True, server_id=None,
               **kwargs):
        """Define (and start) a domain removed at ``testcase``'s cleanup
        (None: the caller removes it); its UUID (a new one unless
        ``server_id`` is given).
        """
        server_id = server_id or str(uuid.uuid4())
        name = 'nai-test-%s' % server_id
        xml = demo.domain_xml(
            name, server_id, project_id=project_id,
            serial_path=os.path.join(self.root, '%s.serial' % name),
            **kwargs)
        dom = self.conn.defineXML(xml)
        if testcase is not None:
            testcase.addCleanup(remove_domain, dom)
        if start:
            dom.create()
        return server_id
