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

from oslo_context import context

from nova_attach_ifaces import policy


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

    def can(self, action, target):
        """Raise ``policy.PolicyNotAuthorized`` unless ``action`` is allowed.

        :param target: the object acted on; for os-interface always
            ``{'project_id': <the server's project>}``.
        """
        policy.authorize(self, action, target)
