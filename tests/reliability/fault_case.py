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
"""What the fault-injection tests share: the app, requests, fault checks."""

import functools
import logging

import fixtures
from oslo_log import formatters
from oslo_serialization import jsonutils
from oslotest import base
import webob

from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf
from tests.functional import keystone_fixtures
from tests.reliability import common

TEST_TIMEOUT = 90
#: Seconds a request thread may take before the test gives up on it.
REQUEST_WAIT = 30


class FaultTestCase(base.BaseTestCase):
    """The keystone pipeline on a driver a test can swap (see
    :class:`~tests.reliability.common.SwappableDriver`), and requests
    and fault checks through it.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        # oslo.log's own formatter, as a deployment logs: every line
        # carries the request context (request id, user, project).
        self.logs = self.useFixture(fixtures.FakeLogger(
            level=logging.INFO, format='%(message)s',
            formatter=functools.partial(formatters.ContextFormatter,
                                        config=conf.CONF)))
        self.env = keystone_fixtures.KeystoneEnvironment(
            config=self.config())
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.ids = self.env.ids
        self.inventory_path = self.env.tempdir.name + '/inventory.yaml'
        self.driver = common.SwappableDriver(self.make_driver)
        with common.inject_driver(self.driver):
            self.app = self.env.app()

    def config(self):
        return {}

    def make_driver(self):
        return memory.MemoryDriver(conf.CONF)

    def request(self, path, method='GET', body=None, token='member-token',
                headers=None):
        req = webob.Request.blank(path, method=method)
        req.headers['X-Auth-Token'] = token
        if body is not None:
            req.body = jsonutils.dump_as_bytes(body)
            req.content_type = 'application/json'
        for name, value in (headers or {}).items():
            req.headers[name] = value
        return req.get_response(self.app)

    def url(self, server='SERVER', port=None):
        url = '/v2.1/servers/%s/os-interface' % self.ids[server]
        return url + ('/' + self.ids[port] if port else '')

    def routes(self):
        """(method, path, body) of each of the four API routes."""
        return [
            ('GET', self.url(), None),
            ('GET', self.url(port='PORT1'), None),
            ('POST', self.url(),
             {'interfaceAttachment': {'port_id': self.ids['PORT2']}}),
            ('DELETE', self.url(port='PORT1'), None),
        ]

    def assertFault(self, response, status, name):
        self.assertEqual(status, response.status_int, response.body)
        self.assertEqual([], common.fault_problems(status, response.body))
        fault = jsonutils.loads(response.body)
        self.assertEqual([name], list(fault))
        return fault[name]['message']
