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
against the domain itself.
"""

import os
import uuid

import fixtures as fixtures_lib
from oslo_config import fixture as config_fixture
import testtools
import yaml

from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import wsgi
from tests.functional import fixtures
from tests.services import qemu

NET = str(uuid.uuid4())
SUBNET = str(uuid.uuid4())


class TestLibvirtAPI(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.qemu = qemu.get(self)
        self.project = uuid.uuid4().hex
        self.useFixture(config_fixture.Config(conf.CONF))
        tempdir = self.useFixture(fixtures_lib.TempDir()).path
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        inventory = os.path.join(tempdir, 'inventory.yaml')
        with open(inventory, 'w') as f:
            yaml.safe_dump({'networks': [
                {'id': NET, 'name': 'net', 'project_id': self.project,
                 'subnets': [{'id': SUBNET, 'cidr': '10.9.0.0/24',
                              'gateway_ip': '10.9.0.1'}]}]}, f)
        for group, name, value in (
                ('api', 'auth_strategy', 'noauth2'),
                ('compute', 'driver', 'libvirt'),
                ('libvirt', 'connection_uri', self.qemu.uri),
                ('libvirt', 'device_detach_attempts', 2),
                ('libvirt', 'device_detach_timeout', 5),
                ('sql', 'state_dir', tempdir),
                ('sql', 'inventory_file', inventory)):
            conf.CONF.set_override(name, value, group=group)
        # The app's driver, built here so that the test can close it: a
        # process's embedded QEMU connection takes one driver's event
        # callbacks at a time.
        drv = loader.load_driver(conf.CONF)
        self.addCleanup(drv.close)
        self.useFixture(fixtures_lib.MonkeyPatch(
            'nova_attach_ifaces.api.router.loader.load_driver',
            lambda _conf: drv))
        self.app = wsgi.load_app(conf.CONF)
        self.server = self.qemu.define(self, project_id=self.project)

    def request(self, path, method='GET', body=None, project=None):
        token = 'alice:%s' % (project or self.project)
        return fixtures.json_request(
            self.app, '/v2.1/servers/%s/os-interface%s' % (self.server, path),
            method, body, headers={'X-Auth-Token': token,
                                   'OpenStack-API-Version': 'compute 2.70'})

    def test_attach_list_detach_seen_in_the_domain(self):
        response = self.request('', 'POST', {'interfaceAttachment': {
            'net_id': NET, 'tag': 'eth-test'}})
        self.assertEqual(200, response.status_int, response.body)
        att = response.json['interfaceAttachment']
        port, mac = att['port_id'], att['mac_addr']
        self.assertEqual('eth-test', att['tag'])
        self.assertEqual(NET, att['net_id'])
        # In the running domain and its definition, under Nova's alias.
        self.assertEqual(mac, self.qemu.interfaces(self.server)['ua-' + port])
        self.assertEqual(mac, self.qemu.interfaces(
            self.server, inactive=True)['ua-' + port])
        self.assertIn('macaddr=%s' % mac, self.qemu.qemu_nics(self.server))
        listed = self.request('').json['interfaceAttachments']
        self.assertEqual([(port, mac, 'ACTIVE', 'eth-test')],
                         [(a['port_id'], a['mac_addr'], a['port_state'],
                           a['tag']) for a in listed])
        # 202 only once the device is gone from the running domain.
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(202, response.status_int, response.body)
        self.assertNotIn('ua-' + port, self.qemu.interfaces(self.server))
        self.assertNotIn('ua-' + port, self.qemu.qemu_nics(self.server))
        self.assertEqual([], self.request('').json['interfaceAttachments'])
        # The port this attach created is gone with it.
        self.assertEqual(404, self.request('/' + port).status_int)

    def test_other_projects_and_unknown_servers_are_404(self):
        self.assertEqual(404, self.request(
            '', project=uuid.uuid4().hex).status_int)
        self.server = str(uuid.uuid4())
        response = self.request('')
        self.assertEqual(404, response.status_int)
        self.assertIn('itemNotFound', response.json)
