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
"""Request schemas of os-interface, per microversion (Nova's exactly)."""

import copy

_UUID = {'type': 'string', 'format': 'uuid'}

_IP_ADDRESS = {
    'type': 'string',
    'oneOf': [{'format': 'ipv4'}, {'format': 'ipv6'}],
}

# Nova's MAX_TAG_LENGTH; "," and "/" are reserved by the device metadata.
_TAG = {
    'type': 'string',
    'pattern': '^[^,/]*$',
    'minLength': 1,
    'maxLength': 60,
}

# 2.1 - 2.48. No "required": {} and {"interfaceAttachment": {}} are valid
# and ask for an automatically chosen network.
create = {
    'type': 'object',
    'properties': {
        'interfaceAttachment': {
            'type': 'object',
            'properties': {
                'net_id': _UUID,
                'port_id': _UUID,
                'fixed_ips': {
                    'type': 'array',
                    'minItems': 1,
                    'maxItems': 1,
                    'items': {
                        'type': 'object',
                        'properties': {'ip_address': _IP_ADDRESS},
                        'required': ['ip_address'],
                        'additionalProperties': False,
                    },
                },
            },
            'additionalProperties': False,
        },
    },
    'additionalProperties': False,
}

# 2.49+: a device tag may be given.
create_v249 = copy.deepcopy(create)
create_v249['properties']['interfaceAttachment']['properties']['tag'] = _TAG

# 2.102+: list and show (and so attach) accept no query parameters.
query_v2102 = {
    'type': 'object',
    'properties': {},
    'additionalProperties': False,
}

# GET /servers and /servers/detail: the filters served (other Nova filters
# are accepted and ignored). Query values arrive as lists of strings.
_NON_NEGATIVE_INTEGER = {'type': 'string', 'pattern': '^[0-9]+$'}


def _multi(schema):
    return {'type': 'array', 'items': schema}


servers_query = {
    'type': 'object',
    'properties': {
        'name': _multi({'type': 'string'}),
        'limit': _multi(_NON_NEGATIVE_INTEGER),
        'marker': _multi({'type': 'string'}),
        'all_tenants': _multi({'type': 'string'}),
    },
    'additionalProperties': True,
}
