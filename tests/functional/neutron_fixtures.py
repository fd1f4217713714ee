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
"""Test cases against the real Keystone and Neutron of this test process.

:class:`NeutronTestCase` gets both servers (:mod:`tests.services`), a
service configuration whose ``[neutron]`` group holds the ``nova`` service
user's credentials and finds Neutron through the catalog, and helpers to
make networks and ports as a project's member with openstacksdk, cleaned
up after the test.

:class:`NeutronAPITestCase` adds the assembled app as a deployment runs
it: the keystone pipeline (keystonemiddleware validating real tokens with
the real Keystone), the ``libvirt`` compute driver on this process's
embedded QEMU and ``[network] backend = neutron``.
"""

import atexit
import logging
import os
import subprocess
import textwrap
import threading
import uuid

import fixtures
from keystoneauth1 import loading as ks_loading
import openstack
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf as nai_conf
from nova_attach_ifaces import context as nai_context
from nova_attach_ifaces import wsgi
from tests.functional import fixtures as api_fixtures
from tests.services import keystone as ks_service
from tests.services import neutron as nt_service
from tests.services import qemu


def neutron_conf(keystone, password=None, user='nova', project='service',
                 **overrides):
    """A parsed service ConfigOpts whose [neutron] group is ``user``.

    ``overrides`` are more [neutron] options (``timeout``, ...).
    """
    conf = cfg.ConfigOpts()
    nai_conf.register_opts(conf)
    conf([], project='nova-attach-ifaces', default_config_files=[],
         default_config_dirs=[])
    # The plugin's options exist once auth_type is known (keystoneauth
    # registers them when it loads the plugin; overrides need them now).
    conf.set_override('auth_type', 'password', group='neutron')
    conf.register_opts(ks_loading.get_auth_plugin_conf_options('password'),
                       group='neutron')
    for name, value in {
            'auth_url': keystone.url,
            'username': user, 'password': password or keystone.password,
            'project_name': project, 'user_domain_id': 'default',
            'project_domain_id': 'default',
            'region_name': ks_service.REGION, **overrides}.items():
        conf.set_override(name, value, group='neutron')
    return conf


class NeutronTestCase(testtools.TestCase):
    """A test with the real Keystone and Neutron (see module docstring)."""

    def setUp(self):
        super().setUp()
        self.keystone = ks_service.get(self)
        self.neutron = nt_service.get(self)
        self._sdks = {}

    def context(self, project, role='member', token=True):
        """The request context our keystone pipeline would build."""
        user = '%s-%s' % (project, role)
        roles = ['member', 'reader'] if role == 'member' else ['reader']
        return nai_context.RequestContext(
            auth_token=self.keystone.token(user, project) if token else None,
            user_id=self.keystone.ids[user],
            project_id=self.keystone.ids[project], roles=roles)

    def admin_context(self):
        """The context of the cloud's admin (``is_admin``, admin token)."""
        return nai_context.RequestContext(
            auth_token=self.keystone.token('admin', 'admin'),
            user_id=self.keystone.ids['admin'],
            project_id=self.keystone.ids['admin-project'],
            roles=['admin', 'member', 'reader'], is_admin=True)

    def sdk(self, user='admin', project='admin'):
        """An openstacksdk connection of ``user`` through the catalog."""
        if (user, project) not in self._sdks:
            self._sdks[user, project] = openstack.connection.Connection(
                session=self.keystone.session(user, project),
                region_name=ks_service.REGION)
        return self._sdks[user, project]

    def make_network(self, project='demo', cidr='10.0.0.0/24', shared=False):
        """A network with one IPv4 subnet, made by ``project``'s member
        (by the admin for ``project``, when shared).
        """
        if shared:
            sdk = self.sdk()
            net = sdk.network.create_network(
                name='net-' + uuid.uuid4().hex[:6], shared=True,
                project_id=self.keystone.ids[project])
        else:
            sdk = self.sdk('%s-member' % project, project)
            net = sdk.network.create_network(
                name='net-' + uuid.uuid4().hex[:6])
        self.addCleanup(self._delete_network, net.id)
        sdk.network.create_subnet(network_id=net.id, cidr=cidr,
                                  ip_version=4)
        return net

    def _delete_network(self, net_id):
        admin = self.sdk()
        for port in admin.network.ports(network_id=net_id):
            admin.network.delete_port(port, ignore_missing=True)
        admin.network.delete_network(net_id, ignore_missing=True)

    def make_port(self, net, project='demo'):
        """A port on ``net`` made by ``project``'s member, unbound."""
        return self.sdk('%s-member' % project, project).network.create_port(
            network_id=net.id)

    def neutron_port(self, port_id):
        """The port as Neutron's admin sees it, or None if it is gone."""
        return self.sdk().network.find_port(port_id)

    def count_calls(self):
        """A log fixture whose ``calls()`` counts Neutron requests.

        ``requests()`` gives keystoneauth's line of each (a ``curl``
        command line, tokens shown as their SHA-256): every call this
        process makes to Neutron, whoever makes it, so count around the
        code under test only.
        """
        log = self.useFixture(fixtures.FakeLogger(
            name='keystoneauth.session', level=logging.DEBUG,
            format='%(message)s'))
        neutron_url = self.neutron.url.rstrip('/')
        log.requests = lambda: [
            line for line in log.output.splitlines()
            if line.startswith('REQ: curl') and neutron_url in line]
        log.calls = lambda: len(log.requests())
        return log


#: ``[DEFAULT] host`` of the app: the ``binding:host_id`` of its ports.
HOST = 'nai-compute-1'
MICROVERSION = 'compute 2.70'

_CONFIG = textwrap.dedent('''
    [DEFAULT]
    host = %(host)s
    [api]
    auth_strategy = keystone
    [compute]
    driver = libvirt
    [libvirt]
    connection_uri = %(qemu)s
    device_detach_attempts = 2
    device_detach_timeout = 5
    [network]
    backend = neutron
    [keystone_authtoken]
    www_authenticate_uri = %(keystone)s
    %(credentials)s
    [neutron]
    region_name = %(region)s
    %(credentials)s
''')

_CREDENTIALS = textwrap.dedent('''\
    auth_type = password
    auth_url = %(keystone)s
    username = nova
    password = %(password)s
    project_name = service
    user_domain_id = default
    project_domain_id = default''')

_BRIDGE_LOCK = threading.Lock()
_BRIDGES = set()


def ensure_bridge(name):
    """Make the Linux bridge ``name`` once per process (gone at exit).

    The test Neutron binds every port to it; libvirt puts a bridge NIC's
    tap into it, so it must exist before a plug.
    """
    with _BRIDGE_LOCK:
        if name in _BRIDGES:
            return
        subprocess.run(['ip', 'link', 'add', name, 'type', 'bridge'],
                       capture_output=True)
        subprocess.run(['ip', 'link', 'set', name, 'up'], check=True,
                       capture_output=True)
        atexit.register(subprocess.run, ['ip', 'link', 'del', name],
                        capture_output=True)
        _BRIDGES.add(name)


def _unregister_plugin_opts():
    # keystonemiddleware and the neutron backend register the password
    # plugin's options on the global CONF when they load it; a later test
    # parsing CONF without them must not see them.
    nai_conf.CONF.reset()
    for group in ('keystone_authtoken', 'neutron'):
        nai_conf.CONF.unregister_opts(
            ks_loading.get_auth_plugin_conf_options('password'), group=group)


class NeutronAPITestCase(NeutronTestCase):
    """The assembled app on real Keystone, Neutron and QEMU.

    Configured by a configuration file as a deployment is (see
    ``_CONFIG``); :attr:`driver` is the app's compute driver (its
    ``backend`` the neutron backend, its ``hypervisor`` the libvirt one).
    """

    def setUp(self):
        super().setUp()
        self.qemu = qemu.get(self)
        ensure_bridge(self.neutron.bridge)
        self._tokens = {}
        self.useFixture(config_fixture.Config(nai_conf.CONF))
        self.addCleanup(_unregister_plugin_opts)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'nova-attach-ifaces.conf')
        values = {'keystone': self.keystone.url,
                  'password': self.keystone.password}
        with open(path, 'w') as f:
            f.write(_CONFIG % dict(
                values, host=HOST, qemu=self.qemu.uri,
                region=ks_service.REGION,
                credentials=_CREDENTIALS % values))
        nai_conf.CONF(['--config-file', path], project='nova-attach-ifaces',
                      default_config_files=[], default_config_dirs=[])
        # The app's driver, built here so that the test can close it and
        # reach its parts: a process's embedded QEMU connection takes one
        # driver's event callbacks at a time.
        self.driver = loader.load_driver(nai_conf.CONF)
        self.addCleanup(self.driver.close)
        self.useFixture(fixtures.MonkeyPatch(
            'nova_attach_ifaces.api.router.loader.load_driver',
            lambda _conf: self.driver))
        self.app = wsgi.load_app(nai_conf.CONF)

    def define(self, project='demo', **kwargs):
        """A running QEMU domain of ``project``: its server id."""
        return self.qemu.define(self, project_id=self.keystone.ids[project],
                                **kwargs)

    def token(self, user, project):
        if (user, project) not in self._tokens:
            self._tokens[user, project] = self.keystone.token(user, project)
        return self._tokens[user, project]

    def request(self, server, path='', method='GET', body=None,
                project='demo', user=None):
        """``/v2.1/servers/<server>/os-interface<path>`` with a real token
        of ``user`` (default: ``project``'s member) in ``project``.
        """
        token = self.token(user or '%s-member' % project, project)
        return api_fixtures.json_request(
            self.app, '/v2.1/servers/%s/os-interface%s' % (server, path),
            method, body, headers={'X-Auth-Token': token,
                                   'OpenStack-API-Version': MICROVERSION})

    def attach(self, server, project='demo', **attachment):
        return self.request(server, '', 'POST',
                            {'interfaceAttachment': attachment},
                            project=project)

    def nics(self, server):
        """{port id: MAC} of the NICs in the running domain."""
        return {alias[len('ua-'):]: mac for alias, mac in
                self.qemu.interfaces(server).items()
                if alias and alias.startswith('ua-')}
