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
"""The assembled app on the ``libvirt`` driver, for the API tests.

Servers are QEMU domains (embedded by default, :mod:`tests.services.qemu`;
a test may hand another QEMU, such as a daemon's), ports come from the
``sql`` network backend on SQLite. :class:`LibvirtAPITestBase` builds the
app through paste as a deployment does, with noauth2, and offers what a
user would check: the API's answers beside the domain itself and the
backend's ports.

:func:`build_servers` makes an inventory's servers real domains behind a
``libvirt`` driver, for the suites written against inventories (the driver
conformance suite, the gabbi files).
"""

import concurrent.futures
import os
import uuid

import fixtures as fixtures_lib
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
import testtools
import yaml

from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import policy
from nova_attach_ifaces import wsgi
from tests.functional import fixtures
from tests.services import qemu

MICROVERSION = 'compute 2.70'
ADMIN = oslo_context.RequestContext(is_admin=True)

#: Hot-plug slots (``pcie-root-port``) of the domains made from an
#: inventory: enough for the busiest server of the conformance suite (22
#: NICs), far below what the machine type allows.
INVENTORY_ROOT_PORTS = 24


#: The vm_states a domain can be put in (see :func:`build_servers`).
DOMAIN_STATES = ('active', 'stopped', 'paused', 'suspended')


class StateNotPossible(Exception):
    """An inventory asks for a vm_state no libvirt domain can be put in."""


def build_servers(testcase, qemu_, inv, drv):
    """Make the servers of inventory ``inv`` domains of ``qemu_`` (removed
    at the test's cleanup) and plug the ports each lists, bound in the
    network backend of ``drv`` (a ``libvirt`` driver on ``qemu_`` whose
    backend holds ``inv``'s networks and ports).

    A server's id, project and name are its domain's UUID and Nova owner
    metadata; its vm_state the domain's state (``active`` running,
    ``stopped`` shut off, ``paused`` suspended, ``suspended`` a managed
    save); ``locked`` the service's own metadata element. The ports are
    plugged once the domain runs (a NIC there at boot never unplugs
    without a guest), in the inventory's order, without the attach's
    ``[compute] max_interfaces_per_server`` check: they exist before it.

    :returns: the libvirt domains, in the inventory's order (removed
        together at cleanup).
    :raises StateNotPossible: a vm_state with no domain state (building,
        error, shelved...); nothing is left defined.
    """
    records = inv.servers
    for record in records:
        if record.server.vm_state not in DOMAIN_STATES:
            raise StateNotPossible('no libvirt domain is in vm_state %s'
                                   % record.server.vm_state)
    domains = []
    testcase.addCleanup(qemu.remove_domains, domains)
    for record in records:
        server = record.server
        qemu_.define(None, project_id=server.project_id, start=False,
                     server_id=server.id, display_name=server.name or None,
                     root_ports=INVENTORY_ROOT_PORTS)
        domains.append(qemu_.dom(server.id))
    # Started together: each start is QEMU's own process coming up.
    running = [dom for dom, record in zip(domains, records)
               if record.server.vm_state != 'stopped']
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda dom: dom.create(), running))
    for dom, record in zip(domains, records):
        server = record.server
        if server.locked:
            drv.hypervisor.set_locked(server.id, True)
        host = drv.hypervisor.server_host(server.id)
        for port_id in record.port_ids:
            port = drv.backend.bind_port(ADMIN, port_id, server.id, host)
            drv.hypervisor.plug(server.id, port.id, port.mac_address,
                                vif_type=port.vif_type,
                                vif_details=dict(port.vif_details))
        if server.vm_state == 'paused':
            dom.suspend()
        elif server.vm_state == 'suspended':
            dom.managedSave(0)
    return domains


class LibvirtAPITestBase(testtools.TestCase):
    """The app on a QEMU, one running domain ``self.server`` owned by
    ``self.project``, and a network ``self.net`` of that project.
    """

    detach_attempts = 2
    detach_timeout = 5
    policy_rules = None

    def get_qemu(self):
        return qemu.get(self)

    def setUp(self):
        super().setUp()
        self.qemu = self.get_qemu()
        self.project = uuid.uuid4().hex
        self.net, self.subnet = str(uuid.uuid4()), str(uuid.uuid4())
        self.useFixture(config_fixture.Config(conf.CONF))
        self.tempdir = self.useFixture(fixtures_lib.TempDir()).path
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        self.inventory = os.path.join(self.tempdir, 'inventory.yaml')
        with open(self.inventory, 'w') as f:
            yaml.safe_dump(self.inventory_data(), f)
        policy_file = os.path.join(self.tempdir, 'policy.yaml')
        with open(policy_file, 'w') as f:
            yaml.safe_dump(self.policy_rules or {}, f)
        for group, name, value in (
                ('api', 'auth_strategy', 'noauth2'),
                ('compute', 'driver', 'libvirt'),
                ('libvirt', 'connection_uri', self.qemu.uri),
                ('libvirt', 'device_detach_attempts', self.detach_attempts),
                ('libvirt', 'device_detach_timeout', self.detach_timeout),
                ('oslo_policy', 'policy_file', policy_file),
                ('sql', 'state_dir', self.tempdir),
                ('sql', 'inventory_file', self.inventory)):
            conf.CONF.set_override(name, value, group=group)
        policy.reset()
        self.addCleanup(policy.reset)
        # The drivers of the apps built here, closed as the process's exit
        # would close them.
        self.addCleanup(lifetime.close_all, lifetime.mark())
        self.app = wsgi.load_app(conf.CONF)
        self.server = self.qemu.define(self, project_id=self.project)

    def inventory_data(self):
        return {'networks': [
            {'id': self.net, 'name': 'net', 'project_id': self.project,
             'subnets': [{'id': self.subnet, 'cidr': '10.9.0.0/24',
                          'gateway_ip': '10.9.0.1'}]}]}

    # The API.

    def request(self, path='', method='GET', body=None, project=None,
                user='alice', server=None, app=None):
        token = '%s:%s' % (user, project or self.project)
        return fixtures.json_request(
            app or self.app, '/v2.1/servers/%s/os-interface%s'
            % (server or self.server, path), method, body,
            headers={'X-Auth-Token': token,
                     'OpenStack-API-Version': MICROVERSION})

    def attach(self, expected=200, **kwargs):
        """POST an attach by network (``net_id`` given by default)."""
        body = dict(kwargs)
        server = body.pop('server', None)
        project = body.pop('project', None)
        user = body.pop('user', 'alice')
        app = body.pop('app', None)
        if 'port_id' not in body:
            body.setdefault('net_id', self.net)
        response = self.request('', 'POST', {'interfaceAttachment': body},
                                project=project, user=user, server=server,
                                app=app)
        self.assertEqual(expected, response.status_int, response.body)
        return response.json.get('interfaceAttachment', response.json)

    def listed(self, server=None):
        response = self.request(server=server)
        self.assertEqual(200, response.status_int, response.body)
        return response.json['interfaceAttachments']

    # The backend's view: its ports, through a network backend of the
    # test's own on the same store.

    def ports(self, server=None):
        """{port_id: mac} of the ports bound to the server, as the Neutron
        view of the store would list them.
        """
        return {port.id: port.mac_address
                for port in self.backend().list_ports(
                    ADMIN, server or self.server)}

    def backend(self):
        if getattr(self, '_backend', None) is None:
            self._backend = loader.load_network_backend(conf.CONF)
            self.addCleanup(self._backend.close)
        return self._backend

    def port(self, port_id):
        """The backend's port ``port_id``, or None."""
        try:
            return self.backend().show_port(ADMIN, port_id)
        except exception.PortNotFound:
            return None

    def domain_nics(self, server=None, inactive=False):
        """{port_id: mac} of the domain's ``ua-`` NICs."""
        return {alias[3:]: mac for alias, mac in self.qemu.interfaces(
            server or self.server, inactive=inactive).items()
            if alias and alias.startswith('ua-')}
