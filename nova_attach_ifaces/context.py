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

    _policy_credentials = None

    def to_policy_values(self):
        values = super().to_policy_values()
        # The deprecated Nova rules say "is_admin:True"; they read it here.
        values['is_admin'] = self.is_admin
        return values

    def policy_credentials(self):
        """The caller's policy values, and a hashable key of them.

        Policy decisions are cached per key (see :mod:`..policy`); building
        it walks oslo.context's deprecation-aware mapping, so it is done
        once per request, and again only if ``is_admin`` changes (the
        context filter sets it after the first check).
        """
        cached = self._policy_credentials
        if cached is None or cached[0] != self.is_admin:
            values = dict(self.to_policy_values().items())
            key = tuple(sorted(
                (name, tuple(value) if isinstance(value, list) else value)
                for name, value in values.items()))
            cached = self._policy_credentials = (self.is_admin, key, values)
        return cached[1], cached[2]

    def can(self, action, target):
        """Raise ``policy.PolicyNotAuthorized`` unless ``action`` is allowed.

        :param target: the object acted on; for os-interface always
            ``{'project_id': <the server's project>}``.
        """
        policy.authorize(self, action, target)
