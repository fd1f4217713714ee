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
"""tempest's own os-interface tests, replayed with tempest.lib's
``InterfacesClient`` (its response schemas checked inside the client on
every call) and its waiter, against the assembled app (see
:mod:`tests.functional.clients`), with no microversion, at 2.49, 2.70 and
``latest``.
"""

import json
import time

from tempest.common import waiters
from tempest.lib import auth as tempest_auth
from tempest.lib import exceptions as tempest_exc
from tempest.lib.services.compute import base_compute_client
from tempest.lib.services.compute import interfaces_client

from tests.functional import clients


class NoKeystoneAuthProvider(tempest_auth.AuthProvider):
    """tempest auth provider for a fixed endpoint and token (clients.md 1.4).

    ``AuthProvider`` insists on credentials; the dummy ones are never sent.
    """

    def __init__(self, base_url, token):
        super().__init__(tempest_auth.KeystoneV3Credentials(
            username='demo', password='unused', project_name='demo',
            user_domain_name='Default', project_domain_name='Default'))
        self._base = base_url.rstrip('/')
        self._token = token

    def _get_auth(self):
        return self._token, {}

    def _fill_credentials(self, auth_data_body):
        pass

    def is_expired(self, auth_data):
        return False

    def base_url(self, filters, auth_data=None):
        return self._base

    def _decorate_request(self, filters, method, url, headers=None,
                          body=None, auth_data=None):
        headers = dict(headers or {})
        headers['X-Auth-Token'] = self._token
        return '%s/%s' % (self._base, url.lstrip('/')), headers, body


class _TempestFlows(object):
    """Replays of tempest's os-interface tests (clients.md 1.3 and 1.5).

    ``InterfacesClient`` validates every response against tempest's schema
    for ``COMPUTE_MICROVERSION`` (v2.1 below 2.70, v2.70 from it and for
    ``latest``) and checks the echoed microversion header.
    """

    microversion = None
    tag_shown = False

    def setUp(self):
        super().setUp()
        saved = base_compute_client.COMPUTE_MICROVERSION
        self.addCleanup(setattr, base_compute_client, 'COMPUTE_MICROVERSION',
                        saved)
        base_compute_client.COMPUTE_MICROVERSION = self.microversion

    def client(self, project_in_url=False, project='PROJECT'):
        provider = NoKeystoneAuthProvider(
            self.endpoint(project_in_url, project), self.token(project))
        return interfaces_client.InterfacesClient(
            provider, 'compute', 'RegionOne', build_interval=0.1,
            build_timeout=clients.WAIT_TIMEOUT,
            http_timeout=clients.HTTP_TIMEOUT)

    def assertTagShown(self, iface, tag=None):
        if self.tag_shown:
            self.assertEqual(tag, iface['tag'])
        else:
            self.assertNotIn('tag', iface)
        self.assertEqual(clients.IFACE_KEYS, set(iface) - {'tag'})

    def wait_for_detach(self, client, server_id, port_id, count):
        """tempest's poll: list until the interface count changes."""
        deadline = time.monotonic() + client.build_timeout
        while True:
            ifaces = client.list_interfaces(server_id)['interfaceAttachments']
            if len(ifaces) != count:
                return ifaces
            if time.monotonic() > deadline:
                self.fail('port %s still attached after %ss'
                          % (port_id, client.build_timeout))
            time.sleep(client.build_interval)

    def _create_list_show_delete_by_network_port(self, project_in_url):
        """test_create_list_show_delete_interfaces_by_network_port."""
        client = self.client(project_in_url)
        ids = self.ids
        sid = ids['SERVER']
        ifs = client.list_interfaces(sid)['interfaceAttachments']
        self.assertGreaterEqual(len(ifs), 1)
        waiters.wait_for_interface_status(client, sid, ifs[0]['port_id'],
                                          'ACTIVE')
        self.assertInitialInterface(
            **{k: ifs[0][k] for k in clients.IFACE_KEYS})
        self.assertTagShown(ifs[0])

        # (a) no network given: this project sees several.
        exc = self.assertRaises(tempest_exc.BadRequest,
                                client.create_interface, sid)
        self.assertEqual(400, exc.resp.status)
        self.assertEqual(clients.MULTIPLE_NETWORKS, exc.resp_body['message'])
        self.assertIn(clients.MULTIPLE_NETWORKS, str(exc))

        # (b) by network.
        resp = client.create_interface(sid, net_id=ifs[0]['net_id'])
        self.assertEqual(200, resp.response.status)
        iface = resp['interfaceAttachment']
        iface = waiters.wait_for_interface_status(
            client, sid, iface['port_id'], 'ACTIVE')
        self.assertEqual(ifs[0]['net_id'], iface['net_id'])
        self.assertEqual('ACTIVE', iface['port_state'])
        self.assertTagShown(iface)
        expected = [ifs[0]['port_id'], iface['port_id']]

        # (c) by port.
        iface = client.create_interface(
            sid, port_id=ids['PORT2'])['interfaceAttachment']
        iface = waiters.wait_for_interface_status(
            client, sid, iface['port_id'], 'ACTIVE')
        self.assertEqual(ids['PORT2'], iface['port_id'])
        self.assertEqual(ids['NET'], iface['net_id'])
        expected.append(ids['PORT2'])

        # (d) list.
        ifs = client.list_interfaces(sid)['interfaceAttachments']
        self.assertEqual(sorted(expected), sorted(i['port_id'] for i in ifs))
        first = [i for i in ifs if i['port_id'] == ids['PORT1']][0]

        # (e) show.
        shown = client.show_interface(sid, ids['PORT1'])
        self.assertEqual(200, shown.response.status)
        shown = shown['interfaceAttachment']
        self.assertEqual(first['port_id'], shown['port_id'])
        self.assertEqual(first['net_id'], shown['net_id'])
        self.assertEqual(first['fixed_ips'][0]['ip_address'],
                         shown['fixed_ips'][0]['ip_address'])
        self.assertEqual(first['mac_addr'], shown['mac_addr'])

        # (f) delete one, poll until the count changes.
        victim = [i for i in ifs if i['port_id'] != ids['PORT1']][0]
        deleted = client.delete_interface(sid, victim['port_id'])
        self.assertEqual(202, deleted.response.status)
        after = self.wait_for_detach(client, sid, victim['port_id'],
                                     len(ifs))
        self.assertNotIn(victim['port_id'], [i['port_id'] for i in after])
        self.assertEqual(len(ifs) - 1, len(after))

        if project_in_url:
            self.assertIn('/v2.1/%s/servers/' % ids['PROJECT'],
                          self.last('GET', '/os-interface').path)

    def test_create_list_show_delete_interfaces_by_network_port(self):
        self._create_list_show_delete_by_network_port(project_in_url=False)

    def test_create_list_show_delete_by_network_port_project_id_in_url(self):
        self._create_list_show_delete_by_network_port(project_in_url=True)

    def test_create_list_show_delete_interfaces_by_fixed_ip(self):
        client = self.client()
        sid = self.ids['SERVER']
        ifs = client.list_interfaces(sid)['interfaceAttachments']
        net_id = ifs[0]['net_id']
        iface = client.create_interface(
            sid, net_id=net_id,
            fixed_ips=[{'ip_address': clients.REQUESTED_IP}]
        )['interfaceAttachment']
        iface = waiters.wait_for_interface_status(
            client, sid, iface['port_id'], 'ACTIVE')
        self.assertEqual(clients.REQUESTED_IP,
                         iface['fixed_ips'][0]['ip_address'])
        self.assertEqual(self.ids['SUBNET'],
                         iface['fixed_ips'][0]['subnet_id'])

        listed = client.list_interfaces(sid)['interfaceAttachments']
        self.assertEqual(sorted([ifs[0]['port_id'], iface['port_id']]),
                         sorted(i['port_id'] for i in listed))
        shown = client.show_interface(
            sid, iface['port_id'])['interfaceAttachment']
        self.assertEqual(iface, shown)

        client.delete_interface(sid, iface['port_id'])
        after = self.wait_for_detach(client, sid, iface['port_id'],
                                     len(listed))
        self.assertEqual([ifs[0]['port_id']], [i['port_id'] for i in after])

    def test_reassign_port_between_servers(self):
        client = self.client()
        port_id = self.ids['PORT2']
        for sid in (self.ids['SERVER'], self.ids['STOPPED_SERVER']):
            before = client.list_interfaces(sid)['interfaceAttachments']
            iface = client.create_interface(
                sid, port_id=port_id)['interfaceAttachment']
            self.assertEqual(port_id, iface['port_id'])
            iface = waiters.wait_for_interface_status(client, sid, port_id,
                                                      'ACTIVE')
            self.assertEqual(port_id, iface['port_id'])
            self.assertEqual(clients.PORT2_MAC, iface['mac_addr'])
            self.assertEqual(clients.PORT2_IP,
                             iface['fixed_ips'][0]['ip_address'])
            client.delete_interface(sid, port_id)
            # tempest polls Neutron until device_id is empty; here: until
            # the server no longer lists the port.
            after = self.wait_for_detach(client, sid, port_id,
                                         len(before) + 1)
            self.assertNotIn(port_id, [i['port_id'] for i in after])
            exc = self.assertRaises(tempest_exc.NotFound,
                                    client.show_interface, sid, port_id)
            self.assertEqual('Instance %s does not have a port with id %s'
                             % (sid, port_id), exc.resp_body['message'])

    def test_delete_returns_request_id_and_empty_body(self):
        client = self.client()
        sid = self.ids['SERVER']
        iface = client.create_interface(
            sid, net_id=self.ids['NET2'])['interfaceAttachment']
        resp = client.delete_interface(sid, iface['port_id'])
        self.assertEqual(202, resp.response.status)
        self.assertEqual({}, dict(resp))
        self.assertTrue(
            resp.response['x-openstack-request-id'].startswith('req-'))
        exc = self.assertRaises(tempest_exc.NotFound, client.show_interface,
                                sid, iface['port_id'])
        self.assertEqual('Port id %s could not be found.' % iface['port_id'],
                         exc.resp_body['message'])

    def test_errors(self):
        client = self.client()
        ids = self.ids
        exc = self.assertRaises(tempest_exc.NotFound,
                                client.list_interfaces, ids['UNKNOWN'])
        self.assertEqual('Instance %s could not be found.' % ids['UNKNOWN'],
                         exc.resp_body['message'])
        exc = self.assertRaises(tempest_exc.Conflict,
                                client.create_interface,
                                ids['STOPPED_SERVER'], port_id=ids['PORT1'])
        self.assertEqual('Port %s is still in use.' % ids['PORT1'],
                         exc.resp_body['message'])
        exc = self.assertRaises(tempest_exc.NotFound,
                                client.delete_interface,
                                ids['SERVER'], ids['PORT2'])
        self.assertEqual(404, exc.resp.status)


class TestTempestNoMicroversion(_TempestFlows, clients.ClientTestCase):
    """No microversion header: 2.1, v2.1 schemas."""

    def test_sends_no_microversion(self):
        client = self.client()
        resp = client.list_interfaces(self.ids['SERVER'])
        self.assertNotIn('X-Openstack-Nova-Api-Version',
                         self.last('GET', '/os-interface').headers)
        self.assertEqual('2.1', resp.response['x-openstack-nova-api-version'])


class TestTempest249(_TempestFlows, clients.ClientTestCase):
    """tempest's TaggedAttachmentsTest runs at 2.49: no tag in responses."""

    microversion = '2.49'

    def test_tagged_attach(self):
        """test_device_tagging.TaggedAttachmentsTest's interface part."""
        client = self.client()
        sid = self.ids['SERVER']
        resp = client.create_interface(sid, net_id=self.ids['NET2'],
                                       tag=clients.TAG)
        iface = resp['interfaceAttachment']
        self.assertNotIn('tag', iface)
        self.assertEqual('2.49',
                         resp.response['x-openstack-nova-api-version'])
        waiters.wait_for_interface_status(client, sid, iface['port_id'],
                                          'ACTIVE')
        sent = json.loads(self.last('POST', '/os-interface').request_body)
        self.assertEqual(clients.TAG, sent['interfaceAttachment']['tag'])
        req_id = client.delete_interface(
            sid, iface['port_id']).response['x-openstack-request-id']
        self.assertTrue(req_id.startswith('req-'))
        self.assertEqual(req_id, self.last('DELETE', iface['port_id'])
                         .response_headers['x-openstack-request-id'])


class TestTempest270(_TempestFlows, clients.ClientTestCase):
    """AttachInterfacesV270Test: the v2.70 schemas, with tag."""

    microversion = '2.70'
    tag_shown = True

    def test_create_get_list_interfaces(self):
        """AttachInterfacesV270Test.test_create_get_list_interfaces."""
        client = self.client(project='LONELY_PROJECT')
        sid = self.ids['LONELY_SERVER']
        iface = client.create_interface(sid)['interfaceAttachment']
        iface = waiters.wait_for_interface_status(
            client, sid, iface['port_id'], 'ACTIVE')
        self.assertEqual(self.ids['SHARED_NET'], iface['net_id'])
        self.assertIn('tag', iface)
        self.assertIsNone(iface['tag'])
        shown = client.show_interface(sid, iface['port_id'])
        self.assertEqual(iface, shown['interfaceAttachment'])
        listed = client.list_interfaces(sid)['interfaceAttachments']
        self.assertEqual([iface], listed)

    def test_tagged_attach_shows_tag(self):
        client = self.client()
        sid = self.ids['SERVER']
        iface = client.create_interface(
            sid, port_id=self.ids['PORT2'], tag=clients.TAG
        )['interfaceAttachment']
        self.assertEqual(clients.TAG, iface['tag'])
        self.assertEqual(clients.TAG, client.show_interface(
            sid, self.ids['PORT2'])['interfaceAttachment']['tag'])
        tags = {i['port_id']: i['tag'] for i in
                client.list_interfaces(sid)['interfaceAttachments']}
        self.assertEqual(
            {self.ids['PORT1']: None, self.ids['PORT2']: clients.TAG},
            tags)


class TestTempestLatest(_TempestFlows, clients.ClientTestCase):
    """``latest``: the server's max (2.104), v2.70 schemas."""

    microversion = 'latest'
    tag_shown = True

    def test_latest_is_the_server_max(self):
        resp = self.client().list_interfaces(self.ids['SERVER'])
        self.assertEqual('latest', self.last(
            'GET', '/os-interface').headers['X-Openstack-Nova-Api-Version'])
        self.assertEqual('2.104',
                         resp.response['x-openstack-nova-api-version'])
