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
"""The network backend conformance suite on the real Keystone and Neutron.

The same tests the ``sql`` backend passes, with the ``neutron`` backend:
the suite's projects are Keystone's ``demo``, ``alt`` and ``empty``, its
contexts carry real tokens of their members (and the admin's), and its
networks and ports are made in Neutron by those members over Neutron's
own API, not through the backend.

One adaptation, where Neutron owns the truth: Neutron's default policy
shows ``binding:host_id``, ``binding:vif_type`` and ``binding:vif_details``
to admins and services only, and the backend shows a port *as the caller*
(so that Neutron decides what the caller may see, at one call). A
member's show therefore has no binding; the suite checks the binding as
the admin sees it instead (``member_sees_binding``). The compute driver
never needs it from a show: it plugs with the reply of the bind or the
create, which the backend makes with its service credentials.

The suite runs twice: with the callers' tokens (a keystone deployment),
and without (``noauth2``), where the backend makes every call with its
service credentials and decides visibility itself.
"""

import uuid

from nova_attach_ifaces.network import conformance
from nova_attach_ifaces.network import neutron
from tests.functional import neutron_fixtures

#: The suite's projects -> the test Keystone's.
PROJECTS = {conformance.PROJECT_A: 'demo', conformance.PROJECT_B: 'alt',
            conformance.PROJECT_EMPTY: 'empty'}


class TestNeutronConformance(conformance.NetworkBackendConformanceTests,
                             neutron_fixtures.NeutronTestCase):

    # Neutron hides binding:* from members (module docstring).
    member_sees_binding = False

    def make_backend(self):
        made = neutron.NeutronBackend(
            neutron_fixtures.neutron_conf(self.keystone))
        self.addCleanup(made.close)
        return made

    def context(self, project, role='member', token=True):
        # The suite's hook, answered by the Keystone-backed one (the
        # suite's placeholder comes first in the method order).
        return neutron_fixtures.NeutronTestCase.context(
            self, PROJECTS.get(project, project), role, token)

    def admin_context(self):
        return neutron_fixtures.NeutronTestCase.admin_context(self)

    def project_id(self, project):
        return self.keystone.ids[PROJECTS[project]]

    def create_network(self, project, cidr, shared=False):
        # Neutron's default gateway is the subnet's first address, as the
        # suite expects.
        net = self.make_network(PROJECTS[project], cidr=cidr, shared=shared)
        subnets = list(self.sdk().network.subnets(network_id=net.id))
        return net.id, subnets[0].id

    def create_port(self, network_id, project):
        sdk = self.sdk('%s-member' % PROJECTS[project], PROJECTS[project])
        return sdk.network.create_port(
            network_id=network_id, name='port-' + uuid.uuid4().hex[:6]).id


class TestNeutronConformanceWithoutTokens(TestNeutronConformance):
    """The same suite for a deployment without Keystone tokens (noauth2).

    No caller token reaches the backend: every call is made with the
    service credentials, and the backend decides what the caller may see
    as Neutron would. Read with the service's rights, a port's binding is
    there for a member too.
    """

    member_sees_binding = True

    def context(self, project, role='member', token=False):
        return super().context(project, role, token)

    def admin_context(self):
        ctx = super().admin_context()
        ctx.auth_token = None
        return ctx
