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
"""Serve the assembled paste app on a loopback port for real clients.

Real clients (openstacksdk, python-novaclient, tempest.lib) speak HTTP over
sockets through requests or urllib3, so they cannot use wsgi-intercept the
way gabbi does. :class:`ServerFixture` runs a real threaded WSGI server
(cheroot) on ``127.0.0.1`` with an ephemeral port in a daemon thread and
stops it on cleanup::

    env = fixtures.APIEnvironment()
    env.setUp()
    self.addCleanup(env.cleanUp)
    server = self.useFixture(ServerFixture(env.application()))
    server.url      # 'http://127.0.0.1:PORT'

Wrap the app in :class:`RequestRecorder` to assert on the wire exchanges
(headers a client sent, bodies the server answered).
"""

import io
import threading
import time

from cheroot import wsgi
import fixtures

#: Seconds to wait for the server to accept connections, and to stop.
START_TIMEOUT = 10
STOP_TIMEOUT = 10


class Exchange(object):
    """One request and its response, as :class:`RequestRecorder` saw them.

    :ivar method: the request method.
    :ivar path: the full request path (no query string).
    :ivar headers: request headers, ``{'X-Auth-Token': ...}`` style keys.
    :ivar request_body: the request body (bytes).
    :ivar status: the response status code (int).
    :ivar response_headers: response headers, lower-cased names.
    :ivar body: the response body (bytes).
    """

    def __init__(self, environ):
        self.method = environ['REQUEST_METHOD']
        self.path = environ.get('SCRIPT_NAME', '') + environ.get(
            'PATH_INFO', '')
        self.headers = {
            key[5:].replace('_', '-').title(): value
            for key, value in environ.items() if key.startswith('HTTP_')}
        length = int(environ.get('CONTENT_LENGTH') or 0)
        self.request_body = (
            environ['wsgi.input'].read(length) if length else b'')
        # The app reads the body again from a copy.
        environ['wsgi.input'] = io.BytesIO(self.request_body)
        self.status = None
        self.response_headers = {}
        self.body = b''

    def __repr__(self):
        return '<%s %s -> %s>' % (self.method, self.path, self.status)


class RequestRecorder(object):
    """WSGI wrapper that records every :class:`Exchange` in ``exchanges``."""

    def __init__(self, app):
        self.app = app
        self.exchanges = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        exchange = Exchange(environ)

        def recording_start_response(status, headers, exc_info=None):
            exchange.status = int(status.split(' ', 1)[0])
            exchange.response_headers = {
                name.lower(): value for name, value in headers}
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        try:
            exchange.body = b''.join(result)
        finally:
            if hasattr(result, 'close'):
                result.close()
        with self._lock:
            self.exchanges.append(exchange)
        return [exchange.body]

    def find(self, method, path_suffix=''):
        """Exchanges with ``method`` whose path ends with ``path_suffix``."""
        with self._lock:
            return [e for e in self.exchanges
                    if e.method == method and e.path.endswith(path_suffix)]

    def clear(self):
        with self._lock:
            del self.exchanges[:]


class ServerFixture(fixtures.Fixture):
    """A cheroot WSGI server for ``app`` on 127.0.0.1, port chosen by the OS.

    :ivar url: ``http://127.0.0.1:PORT`` (no trailing slash, no path).
    :ivar port: the port the server listens on.
    """

    def __init__(self, app, host='127.0.0.1', numthreads=4):
        super().__init__()
        self.app = app
        self.host = host
        self.numthreads = numthreads

    def _setUp(self):
        self.server = wsgi.Server(
            (self.host, 0), self.app, numthreads=self.numthreads,
            server_name='nova-attach-ifaces-test', shutdown_timeout=1,
            timeout=STOP_TIMEOUT)
        # prepare() binds the socket, so the ephemeral port is known before
        # the serving thread starts; errors surface here, not in the thread.
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        self.url = 'http://%s:%d' % (self.host, self.port)
        self.thread = threading.Thread(
            target=self.server.serve, name='wsgi-%d' % self.port,
            daemon=True)
        self.thread.start()
        self.addCleanup(self._stop)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.ready:
            if time.monotonic() > deadline:
                raise RuntimeError('WSGI server on %s did not start within '
                                   '%ss' % (self.url, START_TIMEOUT))
            time.sleep(0.01)

    def _stop(self):
        self.server.stop()
        self.thread.join(STOP_TIMEOUT)
