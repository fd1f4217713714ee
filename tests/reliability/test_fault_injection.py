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
"""Failing drivers: unexpected errors and garbage answers.

Through the keystone pipeline, with the compute driver injected: a driver
that raises anything unexpected, or answers garbage, gives a Nova
``computeFault`` 500 quoting the request id, nothing of the error in the
body, the traceback in the log under that request id; the next request
is answered normally. (:mod:`tests.reliability.test_db_faults`: a
database that hangs or is lost mid-request.)
"""

import fixtures

from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf
from tests.reliability import common
from tests.reliability import fault_case

UNEXPECTED = ('Unexpected API Error. Please contact the administrator and '
              'quote request id %s.')
REQUEST_ID_PATTERN = r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'


class Boom(Exception):
    pass


class Unprintable(Exception):
    def __str__(self):
        raise ValueError('cannot print me')


# What a broken driver may throw; the messages are full of what must not
# reach a client.
ERRORS = [
    RuntimeError('boom in /srv/nova_attach_ifaces/compute/x.py line 3'),
    KeyError("<class 'nova_attach_ifaces.compute.driver.Server'>"),
    TypeError('Traceback (most recent call last): File "x.py"'),
    ValueError('sqlalchemy.exc.InternalError: password=secret'),
    MemoryError(),
    RecursionError('maximum recursion depth exceeded'),
    UnicodeDecodeError('utf-8', b'\xff', 0, 1, 'invalid start byte'),
    AttributeError("'NoneType' object has no attribute 'id'"),
    Boom('psycopg2.OperationalError'),
    Unprintable(),
    NotImplementedError,
]


class FailingDriver(object):
    """A backing driver whose every method raises ``error``."""

    def __init__(self, error):
        self.error = error

    def _raise(self, *args, **kwargs):
        raise self.error

    get_server = list_interfaces = get_interface = _raise
    attach_interface = detach_interface = _raise


class GarbageDriver(memory.MemoryDriver):
    """A memory driver that answers with objects the API cannot show."""

    def list_interfaces(self, context, server):
        return [object()]

    def get_interface(self, context, server, port_id):
        return {'port_id': port_id}

    def attach_interface(self, context, server, **kwargs):
        return None


class TestUnexpectedErrors(fault_case.FaultTestCase):

    def assertUnexpected(self, response, error=None):
        message = self.assertFault(response, 500, 'computeFault')
        request_id = response.headers['x-openstack-request-id']
        self.assertRegex(request_id, REQUEST_ID_PATTERN)
        self.assertEqual(UNEXPECTED % request_id, message)
        self.assertEqual([], common.leaks(response.text, ''))
        # The log has the traceback, in the record of that request.
        lines = self.logs.output.splitlines()
        first = [i for i, line in enumerate(lines)
                 if 'Unexpected error' in line and request_id in line]
        self.assertEqual(1, len(first), self.logs.output)
        record = '\n'.join(lines[first[0]:first[0] + 40])
        self.assertIn('Traceback (most recent call last):', record)
        if error is not None:
            self.assertIn(type(error).__name__, record)

    def test_every_route_every_error(self):
        for error in ERRORS:
            self.driver.inner = FailingDriver(error)
            for method, path, body in self.routes():
                response = self.request(path, method, body)
                if error is NotImplementedError:
                    self.assertFault(response, 501, 'notImplemented')
                    continue
                self.assertUnexpected(response, error)
        # The backend is back: answered normally, without a restart.
        self.driver.reset()
        statuses = [self.request(path, method, body).status_int
                    for method, path, body in self.routes()]
        self.assertEqual([200, 200, 200, 202], statuses)

    def test_garbage_from_the_driver(self):
        self.driver.inner = GarbageDriver(conf.CONF)
        for method, path, body in self.routes()[:3]:
            response = self.request(path, method, body)
            self.assertUnexpected(response)

    def test_error_in_the_pipeline(self):
        # Something below faultwrap that is not the API app: the context
        # filter failing.
        self.useFixture(fixtures.MockPatch(
            'nova_attach_ifaces.context.RequestContext.from_environ',
            side_effect=RuntimeError('/x/nova_attach_ifaces/context.py')))
        response = self.request(self.url())
        message = self.assertFault(response, 500, 'computeFault')
        request_id = response.headers['x-openstack-request-id']
        self.assertEqual(UNEXPECTED % request_id, message)
        self.assertIn('Traceback (most recent call last)', self.logs.output)
        self.assertIn(request_id, self.logs.output)

    def test_no_token_in_the_error_logs(self):
        self.driver.inner = FailingDriver(RuntimeError('boom'))
        self.request(self.url(), token='member-token')
        self.assertIn('Traceback', self.logs.output)
        self.assertNotIn('member-token', self.logs.output)
