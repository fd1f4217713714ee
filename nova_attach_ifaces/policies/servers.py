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
"""The rules of the read-only servers routes, with Nova's names and
defaults (the servers routes clients call before os-interface)."""

from oslo_policy import policy

from nova_attach_ifaces.policies import base

POLICY_ROOT = 'os_compute_api:servers:%s'
INDEX = POLICY_ROOT % 'index'
DETAIL = POLICY_ROOT % 'detail'
SHOW = POLICY_ROOT % 'show'
INDEX_ALL_TENANTS = POLICY_ROOT % 'index:get_all_tenants'
DETAIL_ALL_TENANTS = POLICY_ROOT % 'detail:get_all_tenants'

# Nova's base.ADMIN.
_ADMIN = 'rule:context_is_admin'

rules = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.PROJECT_READER_OR_ADMIN,
        description='List all servers',
        operations=[{'method': 'GET', 'path': '/servers'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=DETAIL,
        check_str=base.PROJECT_READER_OR_ADMIN,
        description='List all servers with detailed information',
        operations=[{'method': 'GET', 'path': '/servers/detail'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=INDEX_ALL_TENANTS,
        check_str=_ADMIN,
        description='List all servers for all projects',
        operations=[{'method': 'GET', 'path': '/servers'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=DETAIL_ALL_TENANTS,
        check_str=_ADMIN,
        description='List all servers with detailed information for all '
                    'projects',
        operations=[{'method': 'GET', 'path': '/servers/detail'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.PROJECT_READER_OR_ADMIN,
        description='Show a server',
        operations=[{'method': 'GET', 'path': '/servers/{server_id}'}],
        scope_types=['project']),
]


def list_rules():
    return rules
