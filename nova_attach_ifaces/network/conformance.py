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
"""The network backend conformance suite.

Every network backend, built in or third party, proves that it behaves as
:mod:`nova_attach_ifaces.network.backend` says (and so as Nova expects of
Neutron) by running these tests. They check what a compute driver relies
on: what a call returns, what :meth:`show_port` and :meth:`list_ports`
show afterwards, that a refused call changes nothing, and that racing
calls from several threads bind a port once and never hand out an address
or MAC twice.

Using it
--------
Mix :class:`NetworkBackendConformanceTests` into a ``testtools.TestCase``
and implement the hooks:

``make_backend()``
    a backend on a fresh, empty store (called once in ``setUp``);
``context(project)``
    the request context of a member of ``project``, one of
    :data:`PROJECT_A`, :data:`PROJECT_B` and :data:`PROJECT_EMPTY` (which
    owns nothing), as the API passes it to the compute driver;
``admin_context()``
    the request context of an admin;
``project_id(project)``
    the id of ``project``;
``create_network(project, cidr, shared=False)``
    make a network of ``project`` with one IPv4 subnet of ``cidr``
    (gateway: its first address) through the store itself, not the
    backend; return ``(network_id, subnet_id)``;
``create_port(network_id, project)``
    make an unbound port on it, owned by ``project``; return its id.

A backend whose store hides the binding (``binding_host_id``,
``vif_type``, ``vif_details``) from members, as Neutron's default policy
does, sets ``member_sees_binding = False``: a member's ``show_port`` must
then leave those fields at their defaults, and the binding is checked as
the admin sees it. Everything else is checked as the member sees it.

::

    class TestAcmeConformance(conformance.NetworkBackendConformanceTests,
                              base.BaseTestCase):
        def make_backend(self):
            ...

The suite needs the test requirements (testtools); import it from tests
only.
"""

import dataclasses
import ipaddress
import threading
import uuid

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.network import backend

#: Project names the hooks map to real projects.
PROJECT_A = 'a'
PROJECT_B = 'b'
PROJECT_EMPTY = 'empty'

HOST = 'compute-1'


class NetworkBackendConformanceTests(object):
    """Tests every network backend must pass; mix into a TestCase."""

    #: Whether a member's :meth:`show_port` includes the binding (see
    #: the module docstring).
    member_sees_binding = True

    def make_backend(self):
        raise NotImplementedError('make_backend() must be implemented by %s'
                                  % type(self).__name__)

    def context(self, project):
        raise NotImplementedError()

    def admin_context(self):
        raise NotImplementedError()

    def project_id(self, project):
        raise NotImplementedError()

    def create_network(self, project, cidr, shared=False):
        raise NotImplementedError()

    def create_port(self, network_id, project):
        raise NotImplementedError()

    def setUp(self):
        super().setUp()
        self.backend = self.make_backend()
        self.ctx_a = self.context(PROJECT_A)
        self.ctx_b = self.context(PROJECT_B)
        self.device = str(uuid.uuid4())

    # Helpers.

    def network(self, project=PROJECT_A, cidr='10.20.0.0/24', shared=False):
        return self.create_network(project, cidr, shared=shared)

    def port(self, project=PROJECT_A, **kwargs):
        net_id, _subnet = self.network(project, **kwargs)
        return self.create_port(net_id, project)

    def assertBound(self, port, device_id, host=HOST):
        self.assertIsInstance(port, backend.Port)
        self.assertEqual(
            (device_id, backend.DEVICE_OWNER, host),
            (port.device_id, port.device_owner, port.binding_host_id))
        self.assertIn(port.vif_type, backend.PLUGGABLE_VIF_TYPES)
        if port.vif_type == backend.VIF_BRIDGE:
            self.assertTrue(port.vif_details.get('bridge_name'))

    def as_member_sees(self, port):
        """``port`` as a member's :meth:`show_port` gives it."""
        if self.member_sees_binding:
            return port
        return dataclasses.replace(port, binding_host_id='',
                                   vif_type='unbound', vif_details={})

    def assertShownBound(self, port_id, device_id):
        """A member's :meth:`show_port` of ``port_id``: bound to
        ``device_id``, binding included or (``member_sees_binding`` False)
        left at its defaults and checked as the admin sees it.
        """
        shown = self.backend.show_port(self.ctx_a, port_id)
        full = shown
        if not self.member_sees_binding:
            self.assertEqual(self.as_member_sees(shown), shown)
            full = self.backend.show_port(self.admin_context(), port_id)
        self.assertBound(full, device_id)
        self.assertEqual((device_id, backend.DEVICE_OWNER),
                         (shown.device_id, shown.device_owner))
        return shown

    def assertUnbound(self, port):
        self.assertEqual(('', ''), (port.device_id, port.device_owner))
        self.assertEqual('DOWN', port.status)

    def listed(self, device_id=None):
        return sorted(port.id for port in self.backend.list_ports(
            self.ctx_a, device_id or self.device))

    # show_port.

    def test_show_unbound_port(self):
        net_id, subnet_id = self.network()
        port_id = self.create_port(net_id, PROJECT_A)
        port = self.backend.show_port(self.ctx_a, port_id)
        self.assertEqual((port_id, net_id, self.project_id(PROJECT_A)),
                         (port.id, port.network_id, port.project_id))
        self.assertUnbound(port)
        self.assertEqual(port.mac_address.lower(), port.mac_address)
        self.assertEqual([subnet_id], [ip.subnet_id for ip in port.fixed_ips])
        self.assertIn(ipaddress.ip_address(port.fixed_ips[0].ip_address),
                      ipaddress.ip_network('10.20.0.0/24'))

    def test_show_missing_port(self):
        self.assertRaises(exception.PortNotFound, self.backend.show_port,
                          self.ctx_a, str(uuid.uuid4()))

    def test_show_other_projects_port(self):
        port_id = self.port(PROJECT_B)
        self.assertRaises(exception.PortNotFound, self.backend.show_port,
                          self.ctx_a, port_id)
        self.assertEqual(port_id, self.backend.show_port(
            self.admin_context(), port_id).id)

    # bind_port.

    def test_bind(self):
        port_id = self.port()
        bound = self.backend.bind_port(self.ctx_a, port_id, self.device,
                                       HOST)
        self.assertBound(bound, self.device)
        shown = self.assertShownBound(port_id, self.device)
        self.assertEqual(bound.mac_address, shown.mac_address)
        self.assertEqual(bound.fixed_ips, shown.fixed_ips)
        self.assertEqual([port_id], self.listed())

    def test_bind_bound_port_is_in_use(self):
        port_id = self.port()
        self.backend.bind_port(self.ctx_a, port_id, self.device, HOST)
        for device in (self.device, str(uuid.uuid4())):
            self.assertRaises(exception.PortInUse, self.backend.bind_port,
                              self.ctx_a, port_id, device, HOST)
        self.assertShownBound(port_id, self.device)

    def test_bind_other_projects_port_is_not_found(self):
        port_id = self.port(PROJECT_B)
        self.assertRaises(exception.PortNotFound, self.backend.bind_port,
                          self.ctx_a, port_id, self.device, HOST)
        self.assertUnbound(self.backend.show_port(self.ctx_b, port_id))
        self.assertEqual([], self.listed())

    def test_bind_missing_port(self):
        self.assertRaises(exception.PortNotFound, self.backend.bind_port,
                          self.ctx_a, str(uuid.uuid4()), self.device, HOST)

    def test_racing_binds_one_wins(self):
        port_id = self.port()
        devices = [str(uuid.uuid4()) for _ in range(4)]
        results = self._race([
            (lambda d=d: self.backend.bind_port(self.ctx_a, port_id, d,
                                                HOST))
            for d in devices])
        won = [r for r in results if isinstance(r, backend.Port)]
        self.assertEqual(1, len(won), results)
        for r in results:
            if r is not won[0]:
                self.assertIsInstance(r, exception.PortInUse)
        self.assertEqual(won[0].device_id, self.backend.show_port(
            self.ctx_a, port_id).device_id)

    def _race(self, calls):
        results = [None] * len(calls)
        start = threading.Barrier(len(calls))

        def run(i, call):
            start.wait()
            try:
                results[i] = call()
            except Exception as e:
                results[i] = e

        threads = [threading.Thread(target=run, args=(i, c))
                   for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    # create_port.

    def test_create_on_network(self):
        net_id, subnet_id = self.network()
        port = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id)
        self.assertBound(port, self.device)
        self.assertEqual((net_id, self.project_id(PROJECT_A)),
                         (port.network_id, port.project_id))
        self.assertEqual([subnet_id], [ip.subnet_id for ip in port.fixed_ips])
        self.assertEqual(self.as_member_sees(port),
                         self.backend.show_port(self.ctx_a, port.id))
        if not self.member_sees_binding:
            self.assertEqual(port, self.backend.show_port(
                self.admin_context(), port.id))
        self.assertEqual([port.id], self.listed())

    def test_create_gives_distinct_macs_and_addresses(self):
        net_id, _subnet = self.network()
        ports = [self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id) for _ in range(3)]
        self.assertEqual(3, len({p.mac_address for p in ports}))
        self.assertEqual(3, len({p.fixed_ips[0].ip_address for p in ports}))
        self.assertEqual(sorted(p.id for p in ports), self.listed())

    def test_racing_creates_never_share_an_address(self):
        net_id, _subnet = self.network()
        results = self._race([
            (lambda: self.backend.create_port(
                self.ctx_a, str(uuid.uuid4()), self.project_id(PROJECT_A),
                HOST, net_id=net_id))
            for _ in range(4)])
        for r in results:
            self.assertIsInstance(r, backend.Port)
        self.assertEqual(4, len({r.fixed_ips[0].ip_address
                                 for r in results}))
        self.assertEqual(4, len({r.mac_address for r in results}))

    def test_create_with_fixed_ip(self):
        net_id, subnet_id = self.network()
        port = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='10.20.0.77')
        self.assertEqual([('10.20.0.77', subnet_id)],
                         [(ip.ip_address, ip.subnet_id)
                          for ip in port.fixed_ips])

    def test_create_with_fixed_ip_in_use(self):
        net_id, _subnet = self.network()
        self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='10.20.0.77')
        other = str(uuid.uuid4())
        self.assertRaises(
            exception.FixedIpAlreadyInUse, self.backend.create_port,
            self.ctx_a, other, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='10.20.0.77')
        self.assertEqual([], self.listed(other))

    def test_create_with_fixed_ip_outside_the_network(self):
        net_id, _subnet = self.network()
        self.assertRaises(
            exception.FixedIpInvalidForNetwork, self.backend.create_port,
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='192.168.99.5')
        self.assertEqual([], self.listed())

    def test_create_on_full_network(self):
        # A /30 with its gateway has one address to give.
        net_id, _subnet = self.network(cidr='10.20.0.0/30')
        self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id)
        other = str(uuid.uuid4())
        self.assertRaises(
            exception.NoMoreFixedIps, self.backend.create_port,
            self.ctx_a, other, self.project_id(PROJECT_A), HOST,
            net_id=net_id)
        self.assertEqual([], self.listed(other))

    def test_create_on_other_projects_network_is_not_found(self):
        net_id, _subnet = self.network(PROJECT_B)
        self.assertRaises(
            exception.NetworkNotFound, self.backend.create_port,
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id)
        self.assertEqual([], self.listed())

    def test_create_on_missing_network_is_not_found(self):
        self.assertRaises(
            exception.NetworkNotFound, self.backend.create_port,
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=str(uuid.uuid4()))

    def test_create_on_shared_network(self):
        net_id, _subnet = self.network(PROJECT_B, shared=True)
        port = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id)
        self.assertEqual((net_id, self.project_id(PROJECT_A)),
                         (port.network_id, port.project_id))

    def test_create_without_network_uses_the_only_one(self):
        net_id, _subnet = self.network()
        port = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST)
        self.assertEqual(net_id, port.network_id)

    def test_create_without_network_and_none_usable(self):
        self.network(PROJECT_B)
        ctx = self.context(PROJECT_EMPTY)
        self.assertRaises(
            exception.InterfaceAttachFailedNoNetwork,
            self.backend.create_port, ctx, self.device,
            self.project_id(PROJECT_EMPTY), HOST)

    def test_create_without_network_and_several(self):
        self.network()
        self.network(cidr='10.21.0.0/24')
        self.assertRaises(
            exception.NetworkAmbiguous, self.backend.create_port,
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST)
        self.assertEqual([], self.listed())

    # unbind_port and delete_port.

    def test_unbind(self):
        port_id = self.port()
        before = self.backend.show_port(self.ctx_a, port_id)
        self.backend.bind_port(self.ctx_a, port_id, self.device, HOST)
        self.backend.unbind_port(self.ctx_a, port_id)
        after = self.backend.show_port(self.ctx_a, port_id)
        self.assertUnbound(after)
        self.assertEqual((before.mac_address, before.fixed_ips),
                         (after.mac_address, after.fixed_ips))
        self.assertEqual([], self.listed())
        # Again, and bindable again.
        self.backend.unbind_port(self.ctx_a, port_id)
        self.assertBound(self.backend.bind_port(
            self.ctx_a, port_id, self.device, HOST), self.device)

    def test_unbind_missing_port(self):
        self.backend.unbind_port(self.ctx_a, str(uuid.uuid4()))

    def test_delete(self):
        net_id, _subnet = self.network()
        port = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='10.20.0.77')
        self.backend.delete_port(self.ctx_a, port.id)
        self.assertRaises(exception.PortNotFound, self.backend.show_port,
                          self.ctx_a, port.id)
        self.assertEqual([], self.listed())
        self.backend.delete_port(self.ctx_a, port.id)
        # Its address is free again.
        again = self.backend.create_port(
            self.ctx_a, self.device, self.project_id(PROJECT_A), HOST,
            net_id=net_id, fixed_ip='10.20.0.77')
        self.assertEqual('10.20.0.77', again.fixed_ips[0].ip_address)

    # list_ports.

    def test_list_ports_of_one_device_only(self):
        mine, other = self.port(), self.port(cidr='10.21.0.0/24')
        other_device = str(uuid.uuid4())
        self.backend.bind_port(self.ctx_a, mine, self.device, HOST)
        self.backend.bind_port(self.ctx_a, other, other_device, HOST)
        self.assertEqual([mine], self.listed())
        self.assertEqual([other], self.listed(other_device))
        self.assertEqual([], self.listed(str(uuid.uuid4())))

    def test_list_ports_of_every_owner(self):
        port_b = self.port(PROJECT_B)
        self.backend.bind_port(self.ctx_b, port_b, self.device, HOST)
        # Asked by a project that does not own it: the API checked that
        # the caller may act on the device.
        self.assertEqual([port_b], self.listed())
