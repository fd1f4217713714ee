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
"""The ``libvirt`` driver on a real libvirtd (:mod:`tests.services.libvirtd`).

What an embedded QEMU cannot show: another process (``virsh``) seeing the
NICs the API plugs, and the daemon killed and restarted under a running
app.
"""

import time

import sqlalchemy as sa

from nova_attach_ifaces.compute.sql import models
from tests.functional import libvirt_fixtures
from tests.services import libvirtd

#: How long the app may take to find the restarted daemon (it retries
#: every second).
RECOVERY_DEADLINE = 60


def domiflist(daemon, server_id):
    """{mac: (interface, type)} of ``virsh domiflist``."""
    rows = {}
    for line in daemon.virsh('domiflist', server_id).splitlines()[2:]:
        fields = line.split()
        if len(fields) == 5:
            interface, kind, _source, _model, mac = fields
            rows[mac] = (interface, kind)
    return rows


class TestOnLibvirtd(libvirt_fixtures.LibvirtAPITestBase):

    def get_qemu(self):
        return libvirtd.get(self)

    def _port_rows(self):
        with self.backend().db.reader() as session:
            return session.scalar(sa.select(sa.func.count(models.Port.id)))

    def test_nic_in_virsh_domiflist_until_delete_answers(self):
        att = self.attach()
        port, mac = att['port_id'], att['mac_addr']
        self.assertEqual({mac: ('tap' + port[:11], 'ethernet')},
                         domiflist(self.qemu, self.server))
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(202, response.status_int, response.body)
        self.assertEqual({}, domiflist(self.qemu, self.server))

    def assertUnavailable(self, response):
        self.assertEqual(503, response.status_int, response.body)
        self.assertIn('serviceUnavailable', response.json)

    def test_libvirtd_killed_then_restarted(self):
        att = self.attach()
        port, mac = att['port_id'], att['mac_addr']
        rows = self._port_rows()
        self.addCleanup(self._restart)
        self.qemu.kill()

        # While it is away: 503 for every call, never 500, and nothing
        # changes (no port created, the attached one still bound).
        self.assertUnavailable(self.request())
        self.assertUnavailable(self.request('/' + port))
        self.assertUnavailable(self.request('', 'POST', {
            'interfaceAttachment': {'net_id': self.net}}))
        self.assertUnavailable(self.request('/' + port, 'DELETE'))
        self.assertEqual(rows, self._port_rows())
        self.assertEqual({port: mac}, self.ports())

        # Back: the same app serves again, without a restart of its own,
        # and finds the NIC where it was (the domain kept running).
        self.qemu.start()
        self.assertEqual([port], [a['port_id'] for a in self._recovered()])
        self.assertEqual({port: mac}, self.domain_nics())
        self.assertEqual({port: mac}, self.ports())
        second = self.attach()['port_id']
        for each in (port, second):
            response = self.request('/' + each, 'DELETE')
            self.assertEqual(202, response.status_int, response.body)
        # No orphan: no NIC, no port bound, no port left of the attaches.
        self.assertEqual({}, self.domain_nics())
        self.assertEqual({}, domiflist(self.qemu, self.server))
        self.assertEqual({}, self.ports())
        self.assertEqual(rows - 1, self._port_rows())

    def _recovered(self):
        """The list once the app answers it again (polled)."""
        deadline = time.monotonic() + RECOVERY_DEADLINE
        while True:
            response = self.request()
            if response.status_int == 200:
                return response.json['interfaceAttachments']
            self.assertUnavailable(response)
            if time.monotonic() > deadline:
                self.fail('the app did not reconnect within %ds'
                          % RECOVERY_DEADLINE)
            time.sleep(0.2)

    def _restart(self):
        if not self.qemu.running():
            self.qemu.start()
