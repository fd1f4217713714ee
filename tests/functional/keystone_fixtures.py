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
"""The API environment behind real keystonemiddleware, without Keystone.

:class:`KeystoneEnvironment` is :class:`~tests.functional.fixtures.
APIEnvironment` (same inventory, memory driver) with ``[api] auth_strategy
= keystone``: the shipped keystone pipeline, keystonemiddleware's
``auth_token`` included. keystonemiddleware's ``AuthTokenFixture`` stands in
for Keystone's token validation only, so header stripping, the 401 path and
the identity headers are all the real ones.

Tokens (``X-Auth-Token`` values), see :data:`PERSONAS`::

    reader-token    reader in PROJECT
    member-token    member (and reader) in PROJECT
    manager-token   manager (member, reader) in PROJECT
    admin-token     admin (manager, member, reader) in PROJECT
    other-admin-token  admin in LONELY_PROJECT (admin in any project)
    other-token     member (and reader) in OTHER_PROJECT
    system-token    system-scoped admin
    norole-token    PROJECT, with only an unrelated role "foo"
"""

from keystoneauth1 import fixture as ksa_fixture
from keystonemiddleware import fixture as ksm_fixture

from tests.functional import fixtures

WWW_AUTHENTICATE_URI = 'http://keystone.invalid/v3'

# Keystone expands implied roles (admin > manager > member > reader) into
# the token; the role lists below are what a real token would carry.
_MEMBER = ['member', 'reader']
_MANAGER = ['manager'] + _MEMBER
_ADMIN = ['admin'] + _MANAGER

#: token id -> (user id, project id key in ``ids`` or None, roles, system)
PERSONAS = {
    'reader-token': ('reader', 'PROJECT', ['reader'], False),
    'member-token': ('member', 'PROJECT', _MEMBER, False),
    'manager-token': ('manager', 'PROJECT', _MANAGER, False),
    'admin-token': ('admin', 'PROJECT', _ADMIN, False),
    'other-admin-token': ('other-admin', 'LONELY_PROJECT', _ADMIN, False),
    'other-token': ('other', 'OTHER_PROJECT', _MEMBER, False),
    'system-token': ('system-admin', None, _ADMIN, True),
    'norole-token': ('norole', 'PROJECT', ['foo'], False),
}


class KeystoneEnvironment(fixtures.APIEnvironment):
    """:class:`APIEnvironment` on the keystone pipeline, with test tokens."""

    def setUp(self):
        config = {
            ('api', 'auth_strategy'): 'keystone',
            ('keystone_authtoken', 'www_authenticate_uri'):
                WWW_AUTHENTICATE_URI,
            # The fixture validates the tokens; a plugin must be named.
            ('keystone_authtoken', 'auth_type'): 'none',
        }
        config.update(self.config)
        self.config = config
        self.auth_fixture = ksm_fixture.AuthTokenFixture()
        self.auth_fixture.setUp()
        try:
            super().setUp()
        except Exception:
            self.auth_fixture.cleanUp()
            raise
        for token_id, persona in PERSONAS.items():
            self.add_token(token_id, *persona)

    def cleanUp(self):
        try:
            super().cleanUp()
        finally:
            self.auth_fixture.cleanUp()

    def add_token(self, token_id, user_id, project_key, roles,
                  system=False):
        """Make ``token_id`` valid for that identity."""
        if system:
            token = ksa_fixture.V3Token(user_id=user_id, user_name=user_id)
            token.set_system_scope()
        else:
            project_id = self.ids[project_key]
            token = ksa_fixture.V3Token(
                user_id=user_id, user_name=user_id, project_id=project_id,
                project_name=project_key.lower())
        for role in roles:
            token.add_role(name=role)
        self.auth_fixture.add_token(token, token_id=token_id)
