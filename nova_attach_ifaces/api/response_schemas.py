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
"""JSON schemas of the responses, for the OpenAPI description.

The request schemas are :mod:`.schemas` (the ones the code validates
with); these describe what the views answer, at every microversion (keys
that only some versions have are optional), and are checked against the
service's answers by the test suite.
"""

import copy

from nova_attach_ifaces.api import schemas

_STRING = {'type': 'string'}
_NULLABLE_STRING = {'type': ['string', 'null']}
_LINKS = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {'rel': _STRING, 'href': _STRING},
        'required': ['rel', 'href'],
    },
}

#: A Nova fault: ``{"<faultName>": {"code": N, "message": "..."}}``.
FAULT = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': {
        'type': 'object',
        'properties': {'code': {'type': 'integer'}, 'message': _STRING,
                       'retryAfter': _STRING},
        'required': ['code', 'message'],
    },
}

#: Neutron's error body.
NEUTRON_ERROR = {
    'type': 'object',
    'properties': {'NeutronError': {
        'type': 'object',
        'properties': {'type': _STRING, 'message': _STRING,
                       'detail': _STRING},
        'required': ['type', 'message', 'detail'],
    }},
    'required': ['NeutronError'],
}

ATTACHMENT = {
    'type': 'object',
    'properties': {
        'net_id': _STRING,
        'port_id': _STRING,
        'mac_addr': _STRING,
        'port_state': _STRING,
        'fixed_ips': {'type': 'array', 'items': {
            'type': 'object',
            'properties': {'ip_address': _STRING, 'subnet_id': _STRING},
            'required': ['ip_address', 'subnet_id'],
            'additionalProperties': False,
        }},
        # From 2.70.
        'tag': _NULLABLE_STRING,
    },
    'required': ['net_id', 'port_id', 'mac_addr', 'port_state',
                 'fixed_ips'],
    'additionalProperties': False,
}

INTERFACE_LIST = {
    'type': 'object',
    'properties': {'interfaceAttachments': {'type': 'array',
                                            'items': ATTACHMENT}},
    'required': ['interfaceAttachments'],
    'additionalProperties': False,
}

INTERFACE = {
    'type': 'object',
    'properties': {'interfaceAttachment': ATTACHMENT},
    'required': ['interfaceAttachment'],
    'additionalProperties': False,
}

SERVER_SUMMARY = {
    'type': 'object',
    'properties': {'id': _STRING, 'name': _STRING, 'links': _LINKS},
    'required': ['id', 'name', 'links'],
    'additionalProperties': False,
}

SERVER = {
    'type': 'object',
    'properties': {
        'id': _STRING, 'name': _STRING, 'status': _STRING,
        'tenant_id': _STRING, 'user_id': _STRING, 'links': _LINKS,
        'addresses': {'type': 'object', 'additionalProperties': {
            'type': 'array', 'items': {
                'type': 'object',
                'properties': {'version': {'enum': [4, 6]},
                               'addr': _STRING},
                'required': ['version', 'addr']}}},
        'OS-EXT-STS:vm_state': _STRING,
        'OS-EXT-STS:task_state': _NULLABLE_STRING,
        # From 2.9.
        'locked': {'type': 'boolean'},
    },
    'required': ['id', 'name', 'status', 'tenant_id', 'user_id', 'links',
                 'addresses', 'created', 'updated', 'flavor', 'image',
                 'metadata', 'hostId'],
}

_SERVERS_LINKS = {'servers_links': _LINKS}

SERVER_LIST = {
    'type': 'object',
    'properties': dict({'servers': {'type': 'array',
                                    'items': SERVER_SUMMARY}},
                       **_SERVERS_LINKS),
    'required': ['servers'],
    'additionalProperties': False,
}

SERVER_DETAIL_LIST = copy.deepcopy(SERVER_LIST)
SERVER_DETAIL_LIST['properties']['servers']['items'] = SERVER

SERVER_SHOW = {
    'type': 'object',
    'properties': {'server': SERVER},
    'required': ['server'],
    'additionalProperties': False,
}

_VERSION = {
    'type': 'object',
    'properties': {'id': _STRING, 'status': _STRING, 'links': _LINKS,
                   'version': _STRING, 'min_version': _STRING},
    'required': ['id', 'status', 'links'],
}

VERSIONS = {
    'type': 'object',
    'properties': {'versions': {'type': 'array', 'items': _VERSION}},
    'required': ['versions'],
}

VERSION = {
    'type': 'object',
    'properties': {'version': _VERSION},
    'required': ['version'],
}


def neutron_collection(collection, member):
    """``{collection: [member]}`` and ``{member_key: member}`` schemas."""
    item = {'type': 'object', 'properties': {'id': _STRING}}
    return ({'type': 'object',
             'properties': {collection: {'type': 'array', 'items': item}},
             'required': [collection]},
            {'type': 'object', 'properties': {member: item},
             'required': [member]})


#: The request schemas, re-exported so that one module names them all.
ATTACH_REQUEST = schemas.create_v249
SERVERS_QUERY = schemas.servers_query
