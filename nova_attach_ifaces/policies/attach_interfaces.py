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
"""The four os-interface rules, with Nova's names, defaults and scopes."""

from oslo_policy import policy

from nova_attach_ifaces.policies import base

POLICY_ROOT = 'os_compute_api:os-attach-interfaces:%s'
LIST = POLICY_ROOT % 'list'
SHOW = POLICY_ROOT % 'show'
CREATE = POLICY_ROOT % 'create'
DELETE = POLICY_ROOT % 'delete'

# Before Ussuri one rule guarded all four operations; operators' files that
# still override it keep working through this DeprecatedRule.
DEPRECATED_INTERFACES_POLICY = policy.DeprecatedRule(
    'os_compute_api:os-attach-interfaces',
    base.RULE_ADMIN_OR_OWNER,
    deprecated_reason=base.DEPRECATED_REASON,
    deprecated_since='21.0.0',
)

_COLLECTION = '/servers/{server_id}/os-interface'
_MEMBER = '/servers/{server_id}/os-interface/{port_id}'

rules = [
    policy.DocumentedRuleDefault(
        name=LIST,
        check_str=base.PROJECT_READER_OR_ADMIN,
        description='List port interfaces attached to a server',
        operations=[{'method': 'GET', 'path': _COLLECTION}],
        scope_types=['project'],
        deprecated_rule=DEPRECATED_INTERFACES_POLICY),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.PROJECT_READER_OR_ADMIN,
        description='Show details of a port interface attached to a server',
        operations=[{'method': 'GET', 'path': _MEMBER}],
        scope_types=['project'],
        deprecated_rule=DEPRECATED_INTERFACES_POLICY),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description='Attach an interface to a server',
        operations=[{'method': 'POST', 'path': _COLLECTION}],
        scope_types=['project'],
        deprecated_rule=DEPRECATED_INTERFACES_POLICY),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description='Detach an interface from a server',
        operations=[{'method': 'DELETE', 'path': _MEMBER}],
        scope_types=['project'],
        deprecated_rule=DEPRECATED_INTERFACES_POLICY),
]


def list_rules():
    return rules
