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
"""python-novaclient's Python API against the assembled app (see
:mod:`tests.functional.clients`), at 2.1, 2.49 and 2.70, through both
endpoint forms.
"""

import json

from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint
import novaclient
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from tests.functional import clients


class _NovaclientFlows(object):
    """novaclient's Python API; subclasses pick the microversion."""

    microversion = '2.1'
    tagging = False
    tag_shown = False

    def client(self, project_in_url=False, project='PROJECT',
               version=None):
        auth = token_endpoint.Token(self.endpoint(project_in_url, project),
                                    self.token(project))
        return nova_client.Client(
            version or self.microversion,
            session=ksa_session.Session(auth=auth,
                                        timeout=clients.HTTP_TIMEOUT))

    def assertRequestIds(self, result):
        self.assertEqual(1, len(result.request_ids))
        self.assertTrue(result.request_ids[0].startswith('req-'),
                        result.request_ids)

    def attach(self, nova, server, port_id=None, net_id=None, fixed_ip=None,
               tag=None):
        if self.tagging:
            return nova.servers.interface_attach(server, port_id, net_id,
                                                 fixed_ip, tag=tag)
        return nova.servers.interface_attach(server, port_id, net_id,
                                             fixed_ip)

    def _flow(self, project_in_url):
        nova = self.client(project_in_url)
        ids = self.ids
        sid = ids['SERVER']
        tag = clients.TAG if self.tagging else None

        ifaces = nova.servers.interface_list(sid)
        self.assertRequestIds(ifaces)
        self.assertEqual(1, len(ifaces))
        first = ifaces[0]
        self.assertEqual(first.port_id, first.id)
        self.assertInitialInterface(first.port_id, first.net_id,
                                    first.mac_addr, first.fixed_ips,
                                    first.port_state)
        sent = self.last('GET', '/os-interface').headers
        self.assertEqual(self.microversion,
                         sent['X-Openstack-Nova-Api-Version'])

        by_net = self.attach(nova, sid, net_id=ids['NET2'], tag=tag)
        self.assertRequestIds(by_net)
        self.assertEqual(ids['NET2'], by_net.net_id)
        self.assertEqual([{'ip_address': clients.NET2_FIRST_FREE_IP,
                           'subnet_id': ids['SUBNET2']}], by_net.fixed_ips)
        self.assertEqual('ACTIVE', by_net.port_state)
        if self.tag_shown:
            self.assertEqual(clients.TAG, by_net.to_dict()['tag'])
        else:
            self.assertNotIn('tag', by_net.to_dict())

        by_port = self.attach(nova, sid, port_id=ids['PORT2'])
        self.assertEqual(ids['PORT2'], by_port.port_id)
        self.assertEqual(clients.PORT2_MAC, by_port.mac_addr)
        self.assertEqual(ids['NET'], by_port.net_id)

        by_ip = self.attach(nova, sid, net_id=ids['NET'],
                            fixed_ip=clients.REQUESTED_IP)
        self.assertEqual([{'ip_address': clients.REQUESTED_IP,
                           'subnet_id': ids['SUBNET']}], by_ip.fixed_ips)

        listed = nova.servers.interface_list(sid)
        self.assertEqual(
            sorted([ids['PORT1'], by_net.port_id, ids['PORT2'],
                    by_ip.port_id]),
            sorted(i.port_id for i in listed))
        for iface in listed:
            self.assertEqual(self.tag_shown, 'tag' in iface.to_dict())

        for iface in (by_net, by_port, by_ip):
            result = nova.servers.interface_detach(sid, iface.port_id)
            self.assertEqual((), tuple(result))
            self.assertRequestIds(result)
            self.assertEqual(202, self.last('DELETE', iface.port_id).status)
        self.assertEqual([ids['PORT1']],
                         [i.port_id for i in nova.servers.interface_list(sid)])

        if project_in_url:
            self.assertIn('/v2.1/%s/servers/' % ids['PROJECT'],
                          self.last('GET', '/os-interface').path)

    def test_attach_list_detach(self):
        self._flow(project_in_url=False)

    def test_attach_list_detach_project_id_in_url(self):
        self._flow(project_in_url=True)

    def test_attach_no_arguments_picks_the_only_network(self):
        nova = self.client(project='LONELY_PROJECT')
        sid = self.ids['LONELY_SERVER']
        iface = self.attach(nova, sid)
        self.assertEqual({'interfaceAttachment': {}}, json.loads(
            self.last('POST', '/os-interface').request_body))
        self.assertEqual(self.ids['SHARED_NET'], iface.net_id)
        self.assertEqual([{'ip_address': clients.SHARED_NET_FIRST_FREE_IP,
                           'subnet_id': self.ids['SHARED_SUBNET']}],
                         iface.fixed_ips)
        self.assertEqual([iface.port_id],
                         [i.port_id for i in
                          nova.servers.interface_list(sid)])

    def test_errors(self):
        nova = self.client()
        ids = self.ids
        sid = ids['SERVER']
        exc = self.assertRaises(nova_exc.NotFound,
                                nova.servers.interface_detach,
                                sid, ids['PORT2'])
        self.assertEqual(404, exc.code)
        message = ('Instance %s does not have a port with id %s'
                   % (sid, ids['PORT2']))
        self.assertEqual(message, exc.message)
        self.assertIn(message + ' (HTTP 404) (Request-ID: req-', str(exc))
        exc = self.assertRaises(nova_exc.NotFound,
                                nova.servers.interface_list, ids['UNKNOWN'])
        self.assertEqual('Instance %s could not be found.' % ids['UNKNOWN'],
                         exc.message)
        exc = self.assertRaises(nova_exc.Conflict, self.attach, nova,
                                ids['LOCKED_SERVER'], net_id=ids['NET'])
        self.assertEqual(409, exc.code)
        self.assertEqual('Instance %s is locked' % ids['LOCKED_SERVER'],
                         exc.message)
        exc = self.assertRaises(nova_exc.Conflict, self.attach, nova,
                                sid, net_id=ids['NET'],
                                fixed_ip=clients.PORT1_IP)
        self.assertEqual('Fixed IP address %s is already in use on instance '
                         '%s.' % (clients.PORT1_IP, sid), exc.message)
        exc = self.assertRaises(nova_exc.BadRequest, self.attach, nova, sid)
        self.assertEqual(400, exc.code)
        self.assertEqual(clients.MULTIPLE_NETWORKS, exc.message)
        exc = self.assertRaises(nova_exc.BadRequest, self.attach, nova, sid,
                                port_id=ids['PORT2'], net_id=ids['NET'])
        self.assertEqual('Must not input both network_id and port_id',
                         exc.message)


class TestNovaclient21(_NovaclientFlows, clients.ClientTestCase):
    microversion = '2.1'

    def test_discover_version(self):
        for project_in_url in (False, True):
            nova = self.client(project_in_url)
            version = api_versions.discover_version(
                nova, api_versions.APIVersion('2.latest'))
            # The server's max (2.104) is above novaclient's own, 2.96.
            self.assertEqual(api_versions.APIVersion('2.96'), version)
            self.assertEqual(novaclient.API_MAX_VERSION, version)
            pinned = api_versions.discover_version(
                nova, api_versions.APIVersion('2.70'))
            self.assertEqual(api_versions.APIVersion('2.70'), pinned)


class TestNovaclient249(_NovaclientFlows, clients.ClientTestCase):
    microversion = '2.49'
    tagging = True


class TestNovaclient270(_NovaclientFlows, clients.ClientTestCase):
    microversion = '2.70'
    tagging = True
    tag_shown = True
