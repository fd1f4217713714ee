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
"""The request context handed from the pipeline to the controller."""

import operator

from oslo_context import context

from nova_attach_ifaces import policy

# What a policy decision can read of the caller: the attributes behind
# oslo.context's ``to_policy_values()`` (its deprecated aliases name the
# same attributes), plus ``is_admin``, which the deprecated Nova rules read.
_POLICY_SCALARS = operator.attrgetter(
    'user_id', 'user_domain_id', 'system_scope', 'domain_id', 'project_id',
    'project_domain_id', 'is_admin_project', 'service_user_id',
    'service_user_domain_id', 'service_project_id',
    'service_project_domain_id', 'is_admin')


class RequestContext(context.RequestContext):
    """An oslo.context RequestContext that can check policy.

    ``is_admin`` is decided once per request, from the ``context_is_admin``
    rule, when the context is built by the context filter.
    """

    def to_policy_values(self):
        values = super().to_policy_values()
        # The deprecated Nova rules say "is_admin:True"; they read it here.
        values['is_admin'] = self.is_admin
        return values

    def policy_key(self):
        """A hashable key of everything policy can read of the caller.

        Policy decisions are cached per key (see :mod:`..policy`), so that
        oslo.context's deprecation-aware ``to_policy_values()`` mapping,
        which costs more than the rest of a list request, is built only
        when a decision is not cached yet.
        """
        return (_POLICY_SCALARS(self), tuple(self.roles),
                tuple(self.service_roles))

    def can(self, action, target):
        """Raise ``policy.PolicyNotAuthorized`` unless ``action`` is allowed.

        :param target: the object acted on; for os-interface always
            ``{'project_id': <the server's project>}``.
        """
        policy.authorize(self, action, target)
