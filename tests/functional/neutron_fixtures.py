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
"""

import uuid

from keystoneauth1 import loading as ks_loading
import openstack
from oslo_config import cfg
import testtools

from nova_attach_ifaces import conf as nai_conf
from nova_attach_ifaces import context as nai_context
from tests.services import keystone as ks_service
from tests.services import neutron as nt_service


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
