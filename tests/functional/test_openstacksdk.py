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
"""openstacksdk's compute proxy against the assembled app (see
:mod:`tests.functional.clients`), at 2.1, 2.49, 2.70 and the SDK's
default, through both endpoint forms.
"""

import openstack
from openstack import exceptions as sdk_exc

from tests.functional import clients


class _SDKFlows(object):
    """openstacksdk's compute proxy; subclasses pick the microversion.

    :cvar microversion: ``compute_api_version`` of the connection (None:
        the SDK negotiates ``min(2.70, server max)``).
    :cvar sent_version: the microversion the SDK is expected to send.
    :cvar tagging: whether tags may be sent (pinned or negotiated >= 2.49).
    :cvar tag_shown: whether responses carry ``tag`` (>= 2.70).
    """

    microversion = None
    sent_version = '2.70'
    tagging = True
    tag_shown = True

    def connect(self, project_in_url=False, project='PROJECT'):
        kwargs = {}
        if self.microversion:
            kwargs['compute_api_version'] = self.microversion
        conn = openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': self.endpoint(project_in_url, project),
                  'token': self.token(project)},
            api_timeout=clients.HTTP_TIMEOUT, **kwargs)
        self.addCleanup(conn.close)
        return conn.compute

    def test_discovery(self):
        compute = self.connect()
        data = compute.get_endpoint_data()
        self.assertEqual((2, 1), tuple(data.min_microversion))
        self.assertEqual((2, 104), tuple(data.max_microversion))
        # keystoneauth discovers without a token; the version document
        # must not sit behind auth.
        discovery = self.recorder.find('GET', '/v2.1') + self.recorder.find(
            'GET', '/v2.1/')
        self.assertTrue(discovery)
        for exchange in discovery:
            self.assertNotIn('X-Auth-Token', exchange.headers)
            self.assertEqual(200, exchange.status)

        list(compute.server_interfaces(self.ids['SERVER']))
        sent = self.last('GET', '/os-interface')
        self.assertEqual('compute ' + self.sent_version,
                         sent.headers['Openstack-Api-Version'])
        self.assertEqual(self.sent_version,
                         sent.headers['X-Openstack-Nova-Api-Version'])
        self.assertEqual('compute ' + self.sent_version,
                         sent.response_headers['openstack-api-version'])

    def _flow(self, project_in_url):
        compute = self.connect(project_in_url)
        ids = self.ids
        sid = ids['SERVER']
        tag = {'tag': clients.TAG} if self.tagging else {}

        ifaces = list(compute.server_interfaces(sid))
        self.assertEqual(1, len(ifaces))
        first = ifaces[0]
        self.assertInitialInterface(first.port_id, first.net_id,
                                    first.mac_addr, first.fixed_ips,
                                    first.port_state)
        self.assertEqual(first.port_id, first.id)
        self.assertIsNone(first.tag)

        by_net = compute.create_server_interface(
            sid, net_id=ids['NET2'], **tag)
        by_net = compute.wait_for_status(
            by_net, status='ACTIVE', attribute='port_state', interval=0.1,
            wait=clients.WAIT_TIMEOUT)
        self.assertEqual(ids['NET2'], by_net.net_id)
        self.assertEqual([{'ip_address': clients.NET2_FIRST_FREE_IP,
                           'subnet_id': ids['SUBNET2']}], by_net.fixed_ips)
        self.assertTrue(by_net.mac_addr.startswith('fa:16:3e:'))
        self.assertNotIn(by_net.port_id, (ids['PORT1'], ids['PORT2']))
        created = self.last('POST', '/os-interface')
        self.assertEqual(200, created.status)
        self.assertEqual(self.tag_shown and self.tagging,
                         clients.TAG.encode() in created.body)

        by_port = compute.create_server_interface(sid, port_id=ids['PORT2'])
        self.assertEqual(ids['PORT2'], by_port.port_id)
        self.assertEqual(ids['NET'], by_port.net_id)
        self.assertEqual(clients.PORT2_MAC, by_port.mac_addr)
        self.assertEqual([{'ip_address': clients.PORT2_IP,
                           'subnet_id': ids['SUBNET']}], by_port.fixed_ips)
        self.assertEqual('ACTIVE', by_port.port_state)

        by_ip = compute.create_server_interface(
            sid, net_id=ids['NET'],
            fixed_ips=[{'ip_address': clients.REQUESTED_IP}])
        self.assertEqual(ids['NET'], by_ip.net_id)
        self.assertEqual([{'ip_address': clients.REQUESTED_IP,
                           'subnet_id': ids['SUBNET']}], by_ip.fixed_ips)

        shown = compute.get_server_interface(by_net.port_id, server=sid)
        self.assertEqual(by_net.port_id, shown.port_id)
        self.assertEqual(by_net.mac_addr, shown.mac_addr)
        self.assertEqual(by_net.fixed_ips, shown.fixed_ips)
        self.assertEqual(
            clients.TAG if self.tag_shown and self.tagging else None,
            shown.tag)
        shown = compute.wait_for_status(
            shown, status='ACTIVE', attribute='port_state', interval=0.1,
            wait=clients.WAIT_TIMEOUT)
        self.assertEqual('ACTIVE', shown.port_state)

        listed = {i.port_id: i for i in compute.server_interfaces(sid)}
        self.assertEqual(
            {ids['PORT1'], by_net.port_id, ids['PORT2'], by_ip.port_id},
            set(listed))
        if self.tag_shown and self.tagging:
            self.assertEqual(clients.TAG, listed[by_net.port_id].tag)
        else:
            self.assertIsNone(listed[by_net.port_id].tag)

        for iface in (by_net, by_port, by_ip):
            self.assertIsNone(compute.delete_server_interface(
                iface.port_id, server=sid, ignore_missing=False))
            deleted = self.last('DELETE', iface.port_id)
            self.assertEqual(202, deleted.status)
            self.assertEqual(b'', deleted.body)
        self.assertEqual([ids['PORT1']],
                         [i.port_id for i in compute.server_interfaces(sid)])

        # The port attach created is gone; the user's port stays, detached.
        exc = self.assertRaises(sdk_exc.NotFoundException,
                                compute.get_server_interface,
                                by_net.port_id, server=sid)
        self.assertEqual(404, exc.status_code)
        exc = self.assertRaises(sdk_exc.NotFoundException,
                                compute.get_server_interface,
                                ids['PORT2'], server=sid)
        self.assertEqual('Instance %s does not have a port with id %s'
                         % (sid, ids['PORT2']), exc.details)

        if project_in_url:
            self.assertIn('/v2.1/%s/servers/%s/os-interface'
                          % (ids['PROJECT'], sid),
                          self.last('GET', '/os-interface').path)

    def test_create_list_get_delete(self):
        self._flow(project_in_url=False)

    def test_create_list_get_delete_project_id_in_url(self):
        self._flow(project_in_url=True)

    def test_tag_per_microversion(self):
        compute = self.connect()
        sid = self.ids['SERVER']
        if not self.tagging:
            # Below 2.49 the request schema has no "tag".
            exc = self.assertRaises(
                sdk_exc.BadRequestException,
                compute.create_server_interface, sid,
                net_id=self.ids['NET2'], tag=clients.TAG)
            self.assertIn("Additional properties are not allowed ('tag' was "
                          "unexpected)", exc.details)
            return
        iface = compute.create_server_interface(
            sid, port_id=self.ids['PORT2'], tag=clients.TAG)
        body = self.last('POST', '/os-interface').body
        self.assertEqual(self.tag_shown, b'"tag"' in body)
        fetched = compute.get_server_interface(iface.port_id, server=sid)
        self.assertEqual(clients.TAG if self.tag_shown else None, fetched.tag)
        untagged = compute.get_server_interface(self.ids['PORT1'],
                                                server=sid)
        self.assertIsNone(untagged.tag)
        listed = list(compute.server_interfaces(sid))
        self.assertEqual(
            {self.ids['PORT1']: None,
             self.ids['PORT2']: clients.TAG if self.tag_shown else None},
            {i.port_id: i.tag for i in listed})
        listed = self.last('GET', '/os-interface').body
        self.assertEqual(self.tag_shown, b'"tag": null' in listed)

    def test_not_found(self):
        compute = self.connect()
        sid, unknown = self.ids['SERVER'], self.ids['UNKNOWN']
        exc = self.assertRaises(sdk_exc.NotFoundException,
                                compute.get_server_interface,
                                unknown, server=sid)
        self.assertEqual(404, exc.status_code)
        self.assertEqual('Port id %s could not be found.' % unknown,
                         exc.details)
        exc = self.assertRaises(sdk_exc.NotFoundException, list,
                                compute.server_interfaces(unknown))
        self.assertEqual('Instance %s could not be found.' % unknown,
                         exc.details)
        # Another project's server does not exist for this caller.
        exc = self.assertRaises(sdk_exc.NotFoundException, list,
                                compute.server_interfaces(
                                    self.ids['OTHER_SERVER']))
        self.assertEqual('Instance %s could not be found.'
                         % self.ids['OTHER_SERVER'], exc.details)
        exc = self.assertRaises(sdk_exc.NotFoundException,
                                compute.create_server_interface, sid,
                                net_id=self.ids['OTHER_NET'])
        self.assertEqual('Network %s could not be found.'
                         % self.ids['OTHER_NET'], exc.details)

    def test_conflict(self):
        compute = self.connect()
        ids = self.ids
        exc = self.assertRaises(sdk_exc.ConflictException,
                                compute.create_server_interface,
                                ids['STOPPED_SERVER'], port_id=ids['PORT1'])
        self.assertEqual(409, exc.status_code)
        self.assertEqual('Port %s is still in use.' % ids['PORT1'],
                         exc.details)
        exc = self.assertRaises(sdk_exc.ConflictException,
                                compute.create_server_interface,
                                ids['LOCKED_SERVER'], net_id=ids['NET'])
        self.assertEqual('Instance %s is locked' % ids['LOCKED_SERVER'],
                         exc.details)
        exc = self.assertRaises(sdk_exc.ConflictException,
                                compute.create_server_interface,
                                ids['SERVER'], net_id=ids['NET'],
                                fixed_ips=[{'ip_address': clients.PORT1_IP}])
        self.assertEqual('Fixed IP address %s is already in use on instance '
                         '%s.' % (clients.PORT1_IP, ids['SERVER']),
                         exc.details)

    def test_bad_request(self):
        compute = self.connect()
        sid = self.ids['SERVER']
        exc = self.assertRaises(sdk_exc.BadRequestException,
                                compute.create_server_interface, sid)
        self.assertEqual(clients.MULTIPLE_NETWORKS, exc.details)
        exc = self.assertRaises(sdk_exc.BadRequestException,
                                compute.create_server_interface, sid,
                                net_id=self.ids['NET'],
                                port_id=self.ids['PORT2'])
        self.assertEqual('Must not input both network_id and port_id',
                         exc.details)

    def test_delete_detached_port(self):
        compute = self.connect()
        ids = self.ids
        sid = ids['SERVER']
        compute.create_server_interface(sid, port_id=ids['PORT2'])
        compute.delete_server_interface(ids['PORT2'], server=sid)
        # ignore_missing=True (the default) swallows the 404 ...
        self.assertIsNone(compute.delete_server_interface(ids['PORT2'],
                                                          server=sid))
        self.assertEqual(404, self.last('DELETE', ids['PORT2']).status)
        # ... ignore_missing=False raises it.
        exc = self.assertRaises(sdk_exc.NotFoundException,
                                compute.delete_server_interface,
                                ids['PORT2'], server=sid,
                                ignore_missing=False)
        self.assertIn(ids['PORT2'], exc.details)
        # The port can be attached again.
        again = compute.create_server_interface(sid, port_id=ids['PORT2'])
        self.assertEqual(ids['PORT2'], again.port_id)

    def test_auto_network(self):
        compute = self.connect(project='LONELY_PROJECT')
        sid = self.ids['LONELY_SERVER']
        iface = compute.create_server_interface(sid)
        self.assertEqual(self.ids['SHARED_NET'], iface.net_id)
        self.assertEqual([{'ip_address': clients.SHARED_NET_FIRST_FREE_IP,
                           'subnet_id': self.ids['SHARED_SUBNET']}],
                         iface.fixed_ips)
        self.assertEqual('ACTIVE', iface.port_state)


class TestOpenStackSDKDefault(_SDKFlows, clients.ClientTestCase):
    """No pinned microversion: the SDK sends min(2.70, 2.104) = 2.70."""


class TestOpenStackSDK21(_SDKFlows, clients.ClientTestCase):
    microversion = '2.1'
    sent_version = '2.1'
    tagging = False
    tag_shown = False


class TestOpenStackSDK249(_SDKFlows, clients.ClientTestCase):
    microversion = '2.49'
    sent_version = '2.49'
    tag_shown = False


class TestOpenStackSDK270(_SDKFlows, clients.ClientTestCase):
    microversion = '2.70'
    sent_version = '2.70'
