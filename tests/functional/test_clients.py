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
"""Real clients against the assembled app, served on a loopback port.

openstacksdk, python-novaclient and tempest.lib's ``InterfacesClient`` talk
to a real threaded WSGI server (:mod:`tests.functional.server`) that serves
the ``main`` paste app of a fresh :class:`~tests.functional.fixtures.
APIEnvironment` per test: memory driver, dev ``noauth2`` auth, the known
inventory of that module. Callers authenticate with
``X-Auth-Token: demo:<project>`` and no Keystone, following the recipes of
``spec/clients.md``; tempest's own os-interface tests are replayed with its
client, its response schemas (checked inside the client on every call) and
its waiter.

Each flow runs at several microversions (2.1, 2.49, 2.70 and each client's
default or ``latest``) and through both endpoint forms, ``/v2.1`` and
``/v2.1/<project_id>``.
"""

import json
import time

import fixtures
from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint
import novaclient
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
import openstack
from openstack import exceptions as sdk_exc
from tempest.common import waiters
from tempest.lib import auth as tempest_auth
from tempest.lib import exceptions as tempest_exc
from tempest.lib.services.compute import base_compute_client
from tempest.lib.services.compute import interfaces_client
import testtools

from tests.functional import fixtures as api_fixtures
from tests.functional import server as wsgi_server

#: Bound on a whole test; every client call has its own HTTP timeout too.
TEST_TIMEOUT = 60
HTTP_TIMEOUT = 10
WAIT_TIMEOUT = 5

# What the inventory of tests.functional.fixtures says about its ports.
PORT1_MAC = 'fa:16:3e:4c:2c:30'
PORT1_IP = '10.0.0.5'
PORT2_MAC = 'fa:16:3e:4c:2c:31'
PORT2_IP = '10.0.0.6'
NET2_FIRST_FREE_IP = '10.1.0.2'
SHARED_NET_FIRST_FREE_IP = '192.168.100.2'
REQUESTED_IP = '10.0.0.77'
TAG = 'nic-tag'
IFACE_KEYS = {'port_state', 'fixed_ips', 'port_id', 'net_id', 'mac_addr'}

MULTIPLE_NETWORKS = ('More than one possible network found. Specify network '
                     'ID(s) to select which one(s) to connect to.')


class ClientTestCase(testtools.TestCase):
    """A fresh environment and loopback server for every test.

    :ivar ids: the inventory ids (``self.ids['SERVER']`` ...).
    :ivar recorder: the :class:`~tests.functional.server.RequestRecorder`
        in front of the app, for assertions on what went over the wire.
    :ivar url: ``http://127.0.0.1:PORT`` of the server.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.useFixture(fixtures.FakeLogger())
        env = api_fixtures.APIEnvironment()
        env.setUp()
        self.addCleanup(env.cleanUp)
        self.ids = env.ids
        self.recorder = wsgi_server.RequestRecorder(env.application())
        self.url = self.useFixture(
            wsgi_server.ServerFixture(self.recorder)).url

    def endpoint(self, project_in_url=False, project='PROJECT'):
        """The compute endpoint, optionally with the project id in it."""
        if project_in_url:
            return '%s/v2.1/%s' % (self.url, self.ids[project])
        return self.url + '/v2.1'

    def token(self, project='PROJECT'):
        return 'demo:' + self.ids[project]

    def last(self, method, path_suffix=''):
        """The last recorded exchange of ``method`` ending in the suffix."""
        found = self.recorder.find(method, path_suffix)
        self.assertTrue(found, 'no %s ...%s recorded' % (method, path_suffix))
        return found[-1]

    def assertInitialInterface(self, port_id, net_id, mac_addr, fixed_ips,
                               port_state):
        """PORT1 as the inventory attaches it to SERVER."""
        self.assertEqual(self.ids['PORT1'], port_id)
        self.assertEqual(self.ids['NET'], net_id)
        self.assertEqual(PORT1_MAC, mac_addr)
        self.assertEqual([{'ip_address': PORT1_IP,
                           'subnet_id': self.ids['SUBNET']}], fixed_ips)
        self.assertEqual('ACTIVE', port_state)


# ---------------------------------------------------------------------------
# openstacksdk


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
            api_timeout=HTTP_TIMEOUT, **kwargs)
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
        tag = {'tag': TAG} if self.tagging else {}

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
            wait=WAIT_TIMEOUT)
        self.assertEqual(ids['NET2'], by_net.net_id)
        self.assertEqual([{'ip_address': NET2_FIRST_FREE_IP,
                           'subnet_id': ids['SUBNET2']}], by_net.fixed_ips)
        self.assertTrue(by_net.mac_addr.startswith('fa:16:3e:'))
        self.assertNotIn(by_net.port_id, (ids['PORT1'], ids['PORT2']))
        created = self.last('POST', '/os-interface')
        self.assertEqual(200, created.status)
        self.assertEqual(self.tag_shown and self.tagging,
                         TAG.encode() in created.body)

        by_port = compute.create_server_interface(sid, port_id=ids['PORT2'])
        self.assertEqual(ids['PORT2'], by_port.port_id)
        self.assertEqual(ids['NET'], by_port.net_id)
        self.assertEqual(PORT2_MAC, by_port.mac_addr)
        self.assertEqual([{'ip_address': PORT2_IP,
                           'subnet_id': ids['SUBNET']}], by_port.fixed_ips)
        self.assertEqual('ACTIVE', by_port.port_state)

        by_ip = compute.create_server_interface(
            sid, net_id=ids['NET'],
            fixed_ips=[{'ip_address': REQUESTED_IP}])
        self.assertEqual(ids['NET'], by_ip.net_id)
        self.assertEqual([{'ip_address': REQUESTED_IP,
                           'subnet_id': ids['SUBNET']}], by_ip.fixed_ips)

        shown = compute.get_server_interface(by_net.port_id, server=sid)
        self.assertEqual(by_net.port_id, shown.port_id)
        self.assertEqual(by_net.mac_addr, shown.mac_addr)
        self.assertEqual(by_net.fixed_ips, shown.fixed_ips)
        self.assertEqual(TAG if self.tag_shown and self.tagging else None,
                         shown.tag)
        shown = compute.wait_for_status(
            shown, status='ACTIVE', attribute='port_state', interval=0.1,
            wait=WAIT_TIMEOUT)
        self.assertEqual('ACTIVE', shown.port_state)

        listed = {i.port_id: i for i in compute.server_interfaces(sid)}
        self.assertEqual(
            {ids['PORT1'], by_net.port_id, ids['PORT2'], by_ip.port_id},
            set(listed))
        if self.tag_shown and self.tagging:
            self.assertEqual(TAG, listed[by_net.port_id].tag)
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
                net_id=self.ids['NET2'], tag=TAG)
            self.assertIn("Additional properties are not allowed ('tag' was "
                          "unexpected)", exc.details)
            return
        iface = compute.create_server_interface(
            sid, port_id=self.ids['PORT2'], tag=TAG)
        body = self.last('POST', '/os-interface').body
        self.assertEqual(self.tag_shown, b'"tag"' in body)
        fetched = compute.get_server_interface(iface.port_id, server=sid)
        self.assertEqual(TAG if self.tag_shown else None, fetched.tag)
        untagged = compute.get_server_interface(self.ids['PORT1'],
                                                server=sid)
        self.assertIsNone(untagged.tag)
        listed = list(compute.server_interfaces(sid))
        self.assertEqual(
            {self.ids['PORT1']: None,
             self.ids['PORT2']: TAG if self.tag_shown else None},
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
                                fixed_ips=[{'ip_address': PORT1_IP}])
        self.assertEqual('Fixed IP address %s is already in use on instance '
                         '%s.' % (PORT1_IP, ids['SERVER']), exc.details)

    def test_bad_request(self):
        compute = self.connect()
        sid = self.ids['SERVER']
        exc = self.assertRaises(sdk_exc.BadRequestException,
                                compute.create_server_interface, sid)
        self.assertEqual(MULTIPLE_NETWORKS, exc.details)
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
        self.assertEqual([{'ip_address': SHARED_NET_FIRST_FREE_IP,
                           'subnet_id': self.ids['SHARED_SUBNET']}],
                         iface.fixed_ips)
        self.assertEqual('ACTIVE', iface.port_state)


class TestOpenStackSDKDefault(_SDKFlows, ClientTestCase):
    """No pinned microversion: the SDK sends min(2.70, 2.104) = 2.70."""


class TestOpenStackSDK21(_SDKFlows, ClientTestCase):
    microversion = '2.1'
    sent_version = '2.1'
    tagging = False
    tag_shown = False


class TestOpenStackSDK249(_SDKFlows, ClientTestCase):
    microversion = '2.49'
    sent_version = '2.49'
    tag_shown = False


class TestOpenStackSDK270(_SDKFlows, ClientTestCase):
    microversion = '2.70'
    sent_version = '2.70'


# ---------------------------------------------------------------------------
# python-novaclient


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
            session=ksa_session.Session(auth=auth, timeout=HTTP_TIMEOUT))

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
        tag = TAG if self.tagging else None

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
        self.assertEqual([{'ip_address': NET2_FIRST_FREE_IP,
                           'subnet_id': ids['SUBNET2']}], by_net.fixed_ips)
        self.assertEqual('ACTIVE', by_net.port_state)
        if self.tag_shown:
            self.assertEqual(TAG, by_net.to_dict()['tag'])
        else:
            self.assertNotIn('tag', by_net.to_dict())

        by_port = self.attach(nova, sid, port_id=ids['PORT2'])
        self.assertEqual(ids['PORT2'], by_port.port_id)
        self.assertEqual(PORT2_MAC, by_port.mac_addr)
        self.assertEqual(ids['NET'], by_port.net_id)

        by_ip = self.attach(nova, sid, net_id=ids['NET'],
                            fixed_ip=REQUESTED_IP)
        self.assertEqual([{'ip_address': REQUESTED_IP,
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
        self.assertEqual([{'ip_address': SHARED_NET_FIRST_FREE_IP,
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
                                sid, net_id=ids['NET'], fixed_ip=PORT1_IP)
        self.assertEqual('Fixed IP address %s is already in use on instance '
                         '%s.' % (PORT1_IP, sid), exc.message)
        exc = self.assertRaises(nova_exc.BadRequest, self.attach, nova, sid)
        self.assertEqual(400, exc.code)
        self.assertEqual(MULTIPLE_NETWORKS, exc.message)
        exc = self.assertRaises(nova_exc.BadRequest, self.attach, nova, sid,
                                port_id=ids['PORT2'], net_id=ids['NET'])
        self.assertEqual('Must not input both network_id and port_id',
                         exc.message)


class TestNovaclient21(_NovaclientFlows, ClientTestCase):
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


class TestNovaclient249(_NovaclientFlows, ClientTestCase):
    microversion = '2.49'
    tagging = True


class TestNovaclient270(_NovaclientFlows, ClientTestCase):
    microversion = '2.70'
    tagging = True
    tag_shown = True


# ---------------------------------------------------------------------------
# tempest.lib InterfacesClient


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
            build_timeout=WAIT_TIMEOUT, http_timeout=HTTP_TIMEOUT)

    def assertTagShown(self, iface, tag=None):
        if self.tag_shown:
            self.assertEqual(tag, iface['tag'])
        else:
            self.assertNotIn('tag', iface)
        self.assertEqual(IFACE_KEYS, set(iface) - {'tag'})

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
        self.assertInitialInterface(**{k: ifs[0][k] for k in IFACE_KEYS})
        self.assertTagShown(ifs[0])

        # (a) no network given: this project sees several.
        exc = self.assertRaises(tempest_exc.BadRequest,
                                client.create_interface, sid)
        self.assertEqual(400, exc.resp.status)
        self.assertEqual(MULTIPLE_NETWORKS, exc.resp_body['message'])
        self.assertIn(MULTIPLE_NETWORKS, str(exc))

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
            fixed_ips=[{'ip_address': REQUESTED_IP}])['interfaceAttachment']
        iface = waiters.wait_for_interface_status(
            client, sid, iface['port_id'], 'ACTIVE')
        self.assertEqual(REQUESTED_IP, iface['fixed_ips'][0]['ip_address'])
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
            self.assertEqual(PORT2_MAC, iface['mac_addr'])
            self.assertEqual(PORT2_IP, iface['fixed_ips'][0]['ip_address'])
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


class TestTempestNoMicroversion(_TempestFlows, ClientTestCase):
    """No microversion header: 2.1, v2.1 schemas."""

    def test_sends_no_microversion(self):
        client = self.client()
        resp = client.list_interfaces(self.ids['SERVER'])
        self.assertNotIn('X-Openstack-Nova-Api-Version',
                         self.last('GET', '/os-interface').headers)
        self.assertEqual('2.1', resp.response['x-openstack-nova-api-version'])


class TestTempest249(_TempestFlows, ClientTestCase):
    """tempest's TaggedAttachmentsTest runs at 2.49: no tag in responses."""

    microversion = '2.49'

    def test_tagged_attach(self):
        """test_device_tagging.TaggedAttachmentsTest's interface part."""
        client = self.client()
        sid = self.ids['SERVER']
        resp = client.create_interface(sid, net_id=self.ids['NET2'],
                                       tag=TAG)
        iface = resp['interfaceAttachment']
        self.assertNotIn('tag', iface)
        self.assertEqual('2.49',
                         resp.response['x-openstack-nova-api-version'])
        waiters.wait_for_interface_status(client, sid, iface['port_id'],
                                          'ACTIVE')
        sent = json.loads(self.last('POST', '/os-interface').request_body)
        self.assertEqual(TAG, sent['interfaceAttachment']['tag'])
        req_id = client.delete_interface(
            sid, iface['port_id']).response['x-openstack-request-id']
        self.assertTrue(req_id.startswith('req-'))
        self.assertEqual(req_id, self.last('DELETE', iface['port_id'])
                         .response_headers['x-openstack-request-id'])


class TestTempest270(_TempestFlows, ClientTestCase):
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
            sid, port_id=self.ids['PORT2'], tag=TAG)['interfaceAttachment']
        self.assertEqual(TAG, iface['tag'])
        self.assertEqual(TAG, client.show_interface(
            sid, self.ids['PORT2'])['interfaceAttachment']['tag'])
        tags = {i['port_id']: i['tag'] for i in
                client.list_interfaces(sid)['interfaceAttachments']}
        self.assertEqual({self.ids['PORT1']: None, self.ids['PORT2']: TAG},
                         tags)


class TestTempestLatest(_TempestFlows, ClientTestCase):
    """``latest``: the server's max (2.104), v2.70 schemas."""

    microversion = 'latest'
    tag_shown = True

    def test_latest_is_the_server_max(self):
        resp = self.client().list_interfaces(self.ids['SERVER'])
        self.assertEqual('latest', self.last(
            'GET', '/os-interface').headers['X-Openstack-Nova-Api-Version'])
        self.assertEqual('2.104',
                         resp.response['x-openstack-nova-api-version'])
