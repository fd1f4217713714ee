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
"""Every success response checked against tempest's compute schemas.

tempest validates Nova's responses with the schemas in
``tempest.lib.api_schema.response.compute``; a client that runs tempest
against this service must see no difference. The app is the assembled
paste pipeline of :mod:`tests.functional.fixtures`, driven in process.

tempest's 2.70 schema lets ``tag`` be absent; Nova's own response schema
requires it from 2.70, so the 2.70+ responses are also checked against a
copy of tempest's schema that requires it.
"""

import copy
import uuid

from oslo_serialization import jsonutils
from oslotest import base
from tempest.lib.api_schema.response.compute.v2_1 import (
    interfaces as v21_schemas)
from tempest.lib.api_schema.response.compute.v2_70 import (
    interfaces as v270_schemas)
from tempest.lib.common import rest_client
from tempest.lib import exceptions as tempest_exceptions
import webob

from tests.functional import fixtures

VERSIONS = ('2.1', '2.49', '2.70', 'latest')


def _require_tag(schema, *path):
    strict = copy.deepcopy(schema)
    node = strict['response_body']
    for key in path:
        node = node['properties'][key]
        if node.get('type') == 'array':
            node = node['items']
    node['required'] = node['required'] + ['tag']
    return strict


V270_LIST_STRICT = _require_tag(v270_schemas.list_interfaces,
                                'interfaceAttachments')
V270_SHOW_STRICT = _require_tag(v270_schemas.get_create_interfaces,
                                'interfaceAttachment')


class Response(dict):
    """What ``RestClient.validate_response`` reads: a status and headers."""

    def __init__(self, webob_response):
        super().__init__((name.lower(), value)
                         for name, value in webob_response.headerlist)
        self.status = webob_response.status_int


def _validate(schema, resp, body):
    rest_client.RestClient.validate_response(schema, resp, body)
    # tempest declares the ids "format: uuid" but its checker skips that
    # format; check it here, in the canonical form Nova's samples show.
    if isinstance(body, dict):
        attachments = (body.get('interfaceAttachments') or
                       [body.get('interfaceAttachment')])
        for att in filter(None, attachments):
            ids = [att['port_id'], att['net_id']]
            ids += [ip['subnet_id'] for ip in att['fixed_ips'] or ()]
            for value in ids:
                try:
                    canonical = str(uuid.UUID(value))
                except ValueError:
                    canonical = None
                if value != canonical:
                    raise tempest_exceptions.InvalidHTTPResponseBody(
                        '%s is not a canonical uuid' % value)


class TempestSchemaTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.env = fixtures.APIEnvironment()
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.ids = self.env.ids

    def request(self, method, path, body=None, version=None,
                project='PROJECT'):
        req = webob.Request.blank('/v2.1' + path, method=method)
        req.headers['X-Auth-Token'] = 'user:%s' % self.ids[project]
        if version:
            req.headers['OpenStack-API-Version'] = 'compute %s' % version
        if body is not None:
            req.content_type = 'application/json'
            req.body = jsonutils.dump_as_bytes(body)
        resp = req.get_response(self.app)
        self.assertLess(resp.status_int, 300, resp.text)
        parsed = jsonutils.loads(resp.body) if resp.body else resp.text
        return Response(resp), parsed

    def servers_path(self, server='SERVER'):
        return '/servers/%s/os-interface' % self.ids[server]

    def attach(self, version, **attachment):
        return self.request('POST', self.servers_path(),
                            {'interfaceAttachment': attachment}, version)

    @staticmethod
    def schemas(version):
        """(list, show/create) schemas tempest uses at ``version``."""
        if version == 'latest' or tuple(map(int, version.split('.'))) >= (
                2, 70):
            return V270_LIST_STRICT, V270_SHOW_STRICT
        return v21_schemas.list_interfaces, v21_schemas.get_create_interfaces


class TestSuccessResponses(TempestSchemaTestCase):

    def test_list(self):
        # A tagged port and an untagged one, so both tag forms are listed.
        self.attach('2.49', net_id=self.ids['NET2'], tag='public')
        for version in VERSIONS:
            list_schema, _ = self.schemas(version)
            resp, body = self.request('GET', self.servers_path(),
                                      version=version)
            self.assertEqual(2, len(body['interfaceAttachments']))
            _validate(list_schema, resp, body)
            # Looser tempest schema of the same version passes too.
            _validate(v21_schemas.list_interfaces
                      if list_schema is v21_schemas.list_interfaces
                      else v270_schemas.list_interfaces, resp, body)

    def test_list_empty(self):
        for version in VERSIONS:
            list_schema, _ = self.schemas(version)
            resp, body = self.request(
                'GET', self.servers_path('STOPPED_SERVER'), version=version)
            self.assertEqual({'interfaceAttachments': []}, body)
            _validate(list_schema, resp, body)

    def test_show(self):
        for version in VERSIONS:
            _, show_schema = self.schemas(version)
            resp, body = self.request(
                'GET', '%s/%s' % (self.servers_path(), self.ids['PORT1']),
                version=version)
            _validate(show_schema, resp, body)

    def test_create_by_port(self):
        for version in VERSIONS:
            _, create_schema = self.schemas(version)
            tag = {} if version == '2.1' else {'tag': 'public'}
            resp, body = self.attach(version, port_id=self.ids['PORT2'],
                                     **tag)
            _validate(create_schema, resp, body)
            resp, body = self.request(
                'DELETE', '%s/%s' % (self.servers_path(), self.ids['PORT2']),
                version=version)
            _validate(v21_schemas.delete_interface, resp, body)

    def test_create_by_network(self):
        for version in VERSIONS:
            _, create_schema = self.schemas(version)
            resp, body = self.attach(
                version, net_id=self.ids['NET'],
                fixed_ips=[{'ip_address': '10.0.0.50'}])
            _validate(create_schema, resp, body)
            port_id = body['interfaceAttachment']['port_id']

            resp, body = self.request(
                'GET', '%s/%s' % (self.servers_path(), port_id),
                version=version)
            _validate(create_schema, resp, body)

            resp, body = self.request(
                'DELETE', '%s/%s' % (self.servers_path(), port_id),
                version=version)
            _validate(v270_schemas.delete_interface, resp, body)

    def test_create_auto_network(self):
        for version in VERSIONS:
            _, create_schema = self.schemas(version)
            path = self.servers_path('LONELY_SERVER')
            resp, body = self.request('POST', path, {}, version,
                                      project='LONELY_PROJECT')
            _validate(create_schema, resp, body)

    def test_delete(self):
        resp, body = self.request(
            'DELETE', '%s/%s' % (self.servers_path(), self.ids['PORT1']))
        self.assertEqual(202, resp.status)
        self.assertEqual('', body)
        self.assertEqual('0', resp['content-length'])
        _validate(v21_schemas.delete_interface, resp, body)
        _validate(v270_schemas.delete_interface, resp, body)


class TestValidatorRejects(TempestSchemaTestCase):
    """The schemas really check: tampered bodies of real responses fail."""

    def show(self, version):
        return self.request(
            'GET', '%s/%s' % (self.servers_path(), self.ids['PORT1']),
            version=version)

    def assertRejected(self, schema, resp, body):
        self.assertRaises(tempest_exceptions.InvalidHTTPResponseBody,
                          _validate, schema, resp, body)

    def test_tag_at_2_1_is_rejected(self):
        resp, body = self.show('2.1')
        _validate(v21_schemas.get_create_interfaces, resp, body)
        body['interfaceAttachment']['tag'] = None
        self.assertRejected(v21_schemas.get_create_interfaces, resp, body)

    def test_tag_in_a_2_1_list_is_rejected(self):
        resp, body = self.request('GET', self.servers_path())
        body['interfaceAttachments'][0]['tag'] = 'public'
        self.assertRejected(v21_schemas.list_interfaces, resp, body)

    def test_missing_tag_at_2_70_is_rejected_by_the_strict_schema(self):
        resp, body = self.show('2.1')
        _validate(v270_schemas.get_create_interfaces, resp, body)
        self.assertRejected(V270_SHOW_STRICT, resp, body)

    def test_bad_tag_type_is_rejected(self):
        resp, body = self.show('2.70')
        body['interfaceAttachment']['tag'] = 5
        self.assertRejected(v270_schemas.get_create_interfaces, resp, body)

    def test_bad_fields_are_rejected(self):
        # tempest's format checker knows no "uuid": ids are only typed.
        tampered = {
            'port_id': None,
            'net_id': 7,
            'mac_addr': 'not a mac',
            'port_state': None,
            'fixed_ips': [{'ip_address': '10.0.0.5'}],
        }
        for field, value in tampered.items():
            resp, body = self.show('2.70')
            body['interfaceAttachment'][field] = value
            self.assertRejected(V270_SHOW_STRICT, resp, body)

    def test_non_uuid_ids_are_rejected(self):
        for field in ('port_id', 'net_id'):
            for value in ('not-a-uuid', self.ids['NET'].upper()):
                resp, body = self.show('2.70')
                body['interfaceAttachment'][field] = value
                self.assertRejected(V270_SHOW_STRICT, resp, body)

    def test_bad_address_is_rejected(self):
        resp, body = self.show('2.1')
        body['interfaceAttachment']['fixed_ips'][0]['ip_address'] = 'abc'
        self.assertRejected(v21_schemas.get_create_interfaces, resp, body)

    def test_missing_field_is_rejected(self):
        for field in ('port_id', 'net_id', 'mac_addr', 'port_state',
                      'fixed_ips'):
            resp, body = self.show('2.1')
            del body['interfaceAttachment'][field]
            self.assertRejected(v21_schemas.get_create_interfaces, resp, body)

    def test_extra_field_is_rejected(self):
        resp, body = self.show('2.70')
        body['interfaceAttachment']['subnet_id'] = self.ids['SUBNET']
        self.assertRejected(v270_schemas.get_create_interfaces, resp, body)

    def test_body_on_delete_is_rejected(self):
        resp, body = self.request(
            'DELETE', '%s/%s' % (self.servers_path(), self.ids['PORT1']))
        self.assertRejected(v21_schemas.delete_interface, resp,
                            {'interfaceAttachment': None})

    def test_wrong_status_is_rejected(self):
        resp, body = self.show('2.1')
        resp.status = 201
        self.assertRaises(tempest_exceptions.InvalidHttpSuccessCode,
                          _validate, v21_schemas.get_create_interfaces,
                          resp, body)
        resp, body = self.request(
            'DELETE', '%s/%s' % (self.servers_path(), self.ids['PORT1']))
        resp.status = 200
        self.assertRaises(tempest_exceptions.InvalidHttpSuccessCode,
                          _validate, v21_schemas.delete_interface, resp, body)
