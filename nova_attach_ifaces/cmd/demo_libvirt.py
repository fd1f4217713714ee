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
"""``nova-attach-ifaces-api --demo-libvirt``: the demo on real QEMU.

The ``libvirt`` driver on an embedded QEMU (``qemu:///embed?root=``
``./.demo-libvirt/qemu``: no daemon), the ``sql`` network backend on
SQLite in ``./.demo-libvirt``, the development ``noauth2`` pipeline. The
demo inventory's servers become small disk-less domains owned, in Nova's
metadata, by their projects (:mod:`..compute.libvirt.demo`), with the
ports it lists attached; its networks and ports seed the backend.

Every start begins afresh: domains and store are made at start and the
domains removed at stop. (A domain's NICs present at boot would never
unplug without a guest OS, so domains are never restarted with NICs.)

Needs the Debian packages of ``bindep.txt``, libvirt-python, and root (QEMU
opens tap devices; libvirt resolves the ``libvirt-qemu`` user).
"""

import os
import shutil

from oslo_context import context as oslo_context
from oslo_log import log as logging
import yaml

from nova_attach_ifaces.compute import inventory as inventory_mod
from nova_attach_ifaces.compute import loader

LOG = logging.getLogger(__name__)

#: The demo's directory, under the working directory.
DEMO_DIR = '.demo-libvirt'


class DemoError(Exception):
    """The demo cannot run here; the message says what to do."""


def configure(conf, source):
    """Point ``conf`` at the demo's QEMU and store, seeded from the
    inventory file ``source``; return a :class:`DemoServers` to start.
    """
    root = os.path.abspath(DEMO_DIR)
    inv = inventory_mod.load(source)
    with open(source) as f:
        data = yaml.safe_load(f) or {}
    # A fresh store: the domains are new at every start.
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    networks_file = os.path.join(root, 'networks.yaml')
    with open(networks_file, 'w') as f:
        yaml.safe_dump(dict(data, servers=[]), f)
    uri = 'qemu:///embed?root=%s' % os.path.join(root, 'qemu')
    for group, name, value in (
            ('api', 'auth_strategy', 'noauth2'),
            ('compute', 'driver', 'libvirt'),
            ('network', 'backend', 'sql'),
            ('libvirt', 'connection_uri', uri),
            ('sql', 'state_dir', root),
            ('sql', 'inventory_file', networks_file)):
        conf.set_override(name, value, group=group)
    return DemoServers(conf, uri, root, inv.servers)


class DemoServers:
    """The inventory's servers as domains of the demo's QEMU."""

    def __init__(self, conf, uri, root, records):
        self.conf = conf
        self.uri = uri
        self.root = root
        self.records = records
        self.domains = []
        self.started = False

    def start(self):
        """Define the domains, start the active ones and attach their
        ports (through a driver of its own, on the app's QEMU and store).

        :raises DemoError: QEMU cannot run here.
        """
        if os.geteuid() != 0:
            raise DemoError('the libvirt demo runs QEMU with tap devices: '
                            'run it as root')
        try:
            from nova_attach_ifaces.compute.libvirt import connection
            from nova_attach_ifaces.compute.libvirt import demo
        except ImportError:
            raise DemoError('libvirt-python is not installed: install the '
                            'Debian packages of bindep.txt, then pip '
                            'install libvirt-python (make demo-libvirt '
                            'does)')
        conn = connection.open_embedded(self.uri)
        for record in self.records:
            server = record.server
            name = 'nai-demo-%s' % (server.name or server.id)
            dom = conn.defineXML(demo.domain_xml(
                name, server.id, project_id=server.project_id,
                display_name=server.name or None,
                serial_path=os.path.join(self.root, '%s.serial' % name)))
            self.domains.append(dom)
            if server.vm_state != 'stopped':
                dom.create()
        drv = loader.load_driver(self.conf)
        try:
            admin = oslo_context.RequestContext(is_admin=True,
                                                overwrite=False)
            for record in self.records:
                server = drv.get_server(admin, record.server.id)
                for port_id in record.port_ids:
                    drv.attach_interface(admin, server, port_id=port_id)
        finally:
            drv.close()
        self.started = True
        LOG.info('Demo domains: %s',
                 ', '.join(dom.name() for dom in self.domains))

    def stop(self):
        """Remove the demo's domains."""
        if not self.domains:
            return
        import libvirt

        for dom in self.domains:
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError as e:
                LOG.warning('Could not remove demo domain %s: %s',
                            dom.UUIDString(), e)
