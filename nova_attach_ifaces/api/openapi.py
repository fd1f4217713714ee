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
"""The OpenAPI 3.1 description of every route, served at /openapi.json.

Built from the route tables (:data:`.router.ROUTES`,
:data:`.networking.RESOURCES`) and from the JSON schemas the code
validates requests with (:mod:`.schemas`), plus the response schemas of
:mod:`.response_schemas`: adding a route or changing a schema changes the
description, so the two cannot drift. The compute routes are also served
under ``/v2.1/{project_id}``; microversions are chosen with the
``OpenStack-API-Version: compute X.Y`` header.
"""

import copy

from oslo_serialization import jsonutils
import webob
import webob.dec

from nova_attach_ifaces.api import microversion
from nova_attach_ifaces.api import networking
from nova_attach_ifaces.api import response_schemas as rs
from nova_attach_ifaces.api import router
from nova_attach_ifaces.api import schemas

_JSON = 'application/json'

# (controller, action) -> (status, response schema, summary).
_COMPUTE = {
    ('servers', 'index'): (200, rs.SERVER_LIST, 'List servers'),
    ('servers', 'detail'): (200, rs.SERVER_DETAIL_LIST,
                            'List servers with details'),
    ('servers', 'show'): (200, rs.SERVER_SHOW, 'Show a server'),
    ('interfaces', 'index'): (200, rs.INTERFACE_LIST,
                              'List the port interfaces of a server'),
    ('interfaces', 'create'): (200, rs.INTERFACE,
                               'Attach a port interface'),
    ('interfaces', 'show'): (200, rs.INTERFACE,
                             'Show a port interface'),
    ('interfaces', 'delete'): (202, None, 'Detach a port interface'),
}


def _content(schema):
    return {_JSON: {'schema': copy.deepcopy(schema)}}


def _query_parameters(query_schema):
    """OpenAPI query parameters of a query schema (values are arrays)."""
    return [{'name': name, 'in': 'query', 'required': False,
             'schema': copy.deepcopy(prop['items'])}
            for name, prop in query_schema['properties'].items()]


def _path_parameters(path):
    names = [part[1:-1] for part in path.split('/')
             if part.startswith('{')]
    return [{'name': name, 'in': 'path', 'required': True,
             'schema': {'type': 'string', 'minLength': 1,
                        'pattern': '^[^/]+$'}} for name in names]


def _compute_paths():
    paths = {}
    for path, methods in router.ROUTES.items():
        item = {'parameters': _path_parameters(path)}
        for method, key in methods.items():
            status, schema, summary = _COMPUTE[key]
            success = {'description': summary}
            if schema is not None:
                success['content'] = _content(schema)
            operation = {
                'summary': summary,
                'operationId': '%s_%s' % key,
                'responses': {
                    str(status): success,
                    'default': {'description': 'A Nova fault',
                                'content': _content(rs.FAULT)},
                },
            }
            if key in (('servers', 'index'), ('servers', 'detail')):
                operation['parameters'] = _query_parameters(
                    schemas.servers_query)
            if method == 'POST':
                operation['requestBody'] = {
                    'required': True,
                    'content': _content(schemas.create_v249)}
            item[method.lower()] = operation
        paths['/v2.1' + path] = item
    return paths


def _networking_paths():
    paths = {}
    error = {'default': {'description': 'A Neutron error',
                         'content': _content(rs.NEUTRON_ERROR)}}
    for collection, (member, _type, label) in networking.RESOURCES.items():
        listed, shown = rs.neutron_collection(collection, member)
        paths['/networking/v2.0/%s' % collection] = {'get': {
            'summary': 'List %s' % collection,
            'operationId': 'networking_list_%s' % collection,
            'responses': dict({'200': {'description': 'The %s' % collection,
                                       'content': _content(listed)}},
                              **error)}}
        paths['/networking/v2.0/%s/{id}' % collection] = {
            'parameters': _path_parameters('/{id}'),
            'get': {
                'summary': 'Show a %s' % label.lower(),
                'operationId': 'networking_show_%s' % member,
                'responses': dict({'200': {'description': label,
                                           'content': _content(shown)}},
                                  **error)}}
    return paths


def _version_paths():
    def doc(summary, schema, operation_id):
        return {'get': {
            'summary': summary, 'operationId': operation_id,
            'security': [],
            'responses': {'200': {'description': summary,
                                  'content': _content(schema)}}}}
    return {
        '/': doc('Compute API versions', rs.VERSIONS, 'versions'),
        '/v2.1/': doc('The v2.1 version document', rs.VERSION, 'version'),
        '/networking/': doc('Networking API versions', rs.VERSIONS,
                            'networking_versions'),
    }


def description():
    """The OpenAPI 3.1 document (a dict)."""
    paths = _version_paths()
    paths.update(_compute_paths())
    paths.update(_networking_paths())
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'nova-attach-ifaces',
            'version': str(microversion.MAX_VERSION),
            'description': (
                "Nova's os-interface API and the servers reads (compute "
                'microversions %s to %s, header OpenStack-API-Version: '
                'compute X.Y; every compute path is also served under '
                '/v2.1/{project_id}), and a read-only Neutron v2.0 view of '
                'the sql store.' % (microversion.MIN_VERSION,
                                    microversion.MAX_VERSION)),
        },
        'components': {'securitySchemes': {'token': {
            'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token'}}},
        'security': [{'token': []}],
        'paths': paths,
    }


class OpenAPI(object):
    """``GET /openapi.json``: the description, no token needed."""

    def __init__(self):
        self.body = jsonutils.dump_as_bytes(description())

    @webob.dec.wsgify
    def __call__(self, req):
        return webob.Response(body=self.body, content_type=_JSON,
                              charset=None)


def app_factory(global_config, **local_config):
    """paste.app_factory for :class:`OpenAPI`."""
    return OpenAPI()
