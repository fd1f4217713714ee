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
"""The ``libvirt`` driver through the assembled app, on real QEMU.

Servers are embedded QEMU domains (:mod:`tests.services.qemu`), ports come
from the ``sql`` network backend on SQLite; every answer is checked
against the domain itself and the backend's ports.
"""

import concurrent.futures
import uuid

import sqlalchemy as sa

from nova_attach_ifaces.compute.libvirt import demo
from nova_attach_ifaces.compute.sql import models
from nova_attach_ifaces import conf
from nova_attach_ifaces import wsgi
from tests.functional import libvirt_fixtures


class TestAttachDetach(libvirt_fixtures.LibvirtAPITestBase):

    def test_attach_list_detach_seen_in_the_domain(self):
        att = self.attach(tag='eth-test')
        port, mac = att['port_id'], att['mac_addr']
        self.assertEqual('eth-test', att['tag'])
        self.assertEqual(self.net, att['net_id'])
        # In the running domain and its definition, under Nova's alias.
        self.assertEqual({port: mac}, self.domain_nics())
        self.assertEqual({port: mac}, self.domain_nics(inactive=True))
        self.assertIn('macaddr=%s' % mac, self.qemu.qemu_nics(self.server))
        self.assertTrue(self.qemu.tap_exists(port))
        self.assertEqual({port: mac}, self.ports())
        self.assertEqual([(port, mac, 'ACTIVE', 'eth-test')],
                         [(a['port_id'], a['mac_addr'], a['port_state'],
                           a['tag']) for a in self.listed()])
        # 202 only once the device is gone from the running domain.
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(202, response.status_int, response.body)
        self.assertEqual({}, self.domain_nics())
        self.assertEqual({}, self.domain_nics(inactive=True))
        self.assertNotIn('ua-' + port, self.qemu.qemu_nics(self.server))
        self.assertFalse(self.qemu.tap_exists(port))
        self.assertEqual([], self.listed())
        # The port this attach created is gone with it.
        self.assertEqual(404, self.request('/' + port).status_int)
        self.assertIsNone(self.port(port))

    def test_two_apps_in_one_process_share_the_embedded_qemu(self):
        # Two apps (two drivers, two hypervisors) on the process's one
        # embedded connection: both are served, and a detach through the
        # first still sees its removal event.
        other = wsgi.load_app(conf.CONF)
        first = self.attach(app=other)
        second = self.attach()
        self.assertEqual({first['port_id'], second['port_id']},
                         set(self.domain_nics()))
        for port_id, app in ((first['port_id'], self.app),
                             (second['port_id'], other)):
            response = self.request('/' + port_id, 'DELETE', app=app)
            self.assertEqual(202, response.status_int, response.body)
        self.assertEqual({}, self.domain_nics())
        self.assertEqual([], self.listed(), self.listed())


class TestStoppedDomain(libvirt_fixtures.LibvirtAPITestBase):

    def test_attach_is_config_only_and_present_after_start(self):
        server = self.qemu.define(self, project_id=self.project, start=False)
        att = self.attach(server=server, tag='later')
        port, mac = att['port_id'], att['mac_addr']
        # In the definition only: no QEMU runs, no tap exists.
        self.assertEqual({port: mac}, self.domain_nics(server, inactive=True))
        self.assertFalse(self.qemu.tap_exists(port))
        self.assertEqual([(port, 'later')], [
            (a['port_id'], a['tag']) for a in self.listed(server)])
        self.qemu.dom(server).create()
        # Started: the NIC is live, in QEMU, with its tap; still listed.
        self.assertEqual({port: mac}, self.domain_nics(server))
        self.assertIn('macaddr=%s' % mac, self.qemu.qemu_nics(server))
        self.assertTrue(self.qemu.tap_exists(port))
        self.assertEqual([(port, 'later')], [
            (a['port_id'], a['tag']) for a in self.listed(server)])

    def test_detach_from_stopped_domain_at_once(self):
        server = self.qemu.define(self, project_id=self.project, start=False)
        port = self.attach(server=server)['port_id']
        response = self.request('/' + port, 'DELETE', server=server)
        self.assertEqual(202, response.status_int, response.body)
        self.assertEqual({}, self.domain_nics(server, inactive=True))
        self.assertEqual([], self.listed(server))
        self.assertIsNone(self.port(port))


class TestGuestThatNeverReleases(libvirt_fixtures.LibvirtAPITestBase):

    detach_timeout = 1

    def test_detach_fails_with_state_kept_then_succeeds(self):
        server = self.qemu.define(self, project_id=self.project,
                                  machine=demo.HOLDING_MACHINE)
        att = self.attach(server=server, tag='stuck')
        port, mac = att['port_id'], att['mac_addr']
        response = self.request('/' + port, 'DELETE', server=server)
        self.assertEqual(409, response.status_int, response.body)
        message = response.json['conflictingRequest']['message']
        self.assertIn('did not release the network interface of port %s'
                      % port, message)
        self.assertIn('still attached', message)
        # Still listed, still in the domain, the port still bound to it.
        self.assertEqual([(port, mac, 'stuck')], [
            (a['port_id'], a['mac_addr'], a['tag'])
            for a in self.listed(server)])
        self.assertEqual({port: mac}, self.domain_nics(server))
        self.assertEqual({port: mac}, self.domain_nics(server,
                                                       inactive=True))
        self.assertTrue(self.qemu.tap_exists(port))
        self.assertEqual(server, self.port(port).device_id)
        # Once the guest is off (it can no longer hold on), the same
        # DELETE succeeds and takes the port created for it.
        self.qemu.dom(server).destroy()
        response = self.request('/' + port, 'DELETE', server=server)
        self.assertEqual(202, response.status_int, response.body)
        self.assertEqual({}, self.domain_nics(server))
        self.assertEqual([], self.listed(server))
        self.assertIsNone(self.port(port))


class TestNoFreeSlot(libvirt_fixtures.LibvirtAPITestBase):

    def _port_rows(self):
        with self.backend().db.reader() as session:
            return session.scalar(sa.select(sa.func.count(models.Port.id)))

    def test_409_with_message_and_nothing_changed(self):
        server = self.qemu.define(self, project_id=self.project,
                                  root_ports=1)
        first = self.attach(server=server)
        before = (self.qemu.dom(server).XMLDesc(0),
                  self.domain_nics(server, inactive=True),
                  self.ports(server), self._port_rows())
        response = self.request('', 'POST', {'interfaceAttachment': {
            'net_id': self.net}}, server=server)
        self.assertEqual(409, response.status_int, response.body)
        self.assertIn('has no free PCI slot for another network interface',
                      response.json['conflictingRequest']['message'])
        # Not the domain, not the ports (none left behind), not the list.
        self.assertEqual(before, (
            self.qemu.dom(server).XMLDesc(0),
            self.domain_nics(server, inactive=True),
            self.ports(server), self._port_rows()))
        self.assertEqual([first['port_id']],
                         [a['port_id'] for a in self.listed(server)])


class TestConcurrency(libvirt_fixtures.LibvirtAPITestBase):

    def inventory_data(self):
        data = super().inventory_data()
        self.free_port = str(uuid.uuid4())
        data['ports'] = [{'id': self.free_port, 'network_id': self.net,
                          'project_id': self.project,
                          'mac_address': 'fa:16:3e:10:00:01'}]
        return data

    def assertAgree(self, server):
        """The API's list, the domain (live and persistent) and the
        backend's bound ports name the same NICs.
        """
        listed = {a['port_id']: a['mac_addr'] for a in self.listed(server)}
        self.assertEqual(listed, self.domain_nics(server))
        self.assertEqual(listed, self.domain_nics(server, inactive=True))
        self.assertEqual(listed, self.ports(server))
        return listed

    def test_eight_concurrent_attaches_and_detaches(self):
        server = self.qemu.define(self, project_id=self.project,
                                  root_ports=8)
        old = [self.attach(server=server)['port_id'] for _ in range(4)]

        def attach(_):
            return self.request('', 'POST', {'interfaceAttachment': {
                'net_id': self.net}}, server=server)

        def detach(port_id):
            return self.request('/' + port_id, 'DELETE', server=server)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            attaches = [pool.submit(attach, n) for n in range(4)]
            detaches = [pool.submit(detach, p) for p in old]
            responses = [f.result() for f in attaches + detaches]
        self.assertEqual([200] * 4 + [202] * 4,
                         [r.status_int for r in responses],
                         [r.body for r in responses])
        new = {r.json['interfaceAttachment']['port_id']
               for r in responses[:4]}
        self.assertEqual(new, set(self.assertAgree(server)))
        for port_id in old:
            self.assertIsNone(self.port(port_id))

    def test_rapid_attach_detach_attach_of_one_port(self):
        server = self.qemu.define(self, project_id=self.project)
        for _ in range(3):
            self.attach(server=server, port_id=self.free_port)
            response = self.request('/' + self.free_port, 'DELETE',
                                    server=server)
            self.assertEqual(202, response.status_int, response.body)
            self.assertEqual({}, self.assertAgree(server))
        self.attach(server=server, port_id=self.free_port)
        self.assertEqual({self.free_port: 'fa:16:3e:10:00:01'},
                         self.assertAgree(server))
        # A port the user gave is unbound by detach, never deleted.
        self.request('/' + self.free_port, 'DELETE', server=server)
        self.assertEqual('', self.port(self.free_port).device_id)

    def test_racing_attaches_of_one_port_plug_it_once(self):
        server = self.qemu.define(self, project_id=self.project)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(
                lambda _: self.request('', 'POST', {'interfaceAttachment': {
                    'port_id': self.free_port}}, server=server), range(4)))
        self.assertEqual([200, 409, 409, 409],
                         sorted(r.status_int for r in responses))
        self.assertEqual({self.free_port: 'fa:16:3e:10:00:01'},
                         self.assertAgree(server))
