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
"""The machine's RabbitMQ, with a virtual host of its own per test process.

Tests talk to the real broker (``127.0.0.1:5672``, guest/guest; override
with ``NOVA_ATTACH_IFACES_TEST_RABBITMQ_URL``). So that two test runs on one
machine (two stestr workers, two developers' runs, CI beside a session)
never see each other's queues, exchanges or notifications, each test
process makes its own virtual host with ``rabbitmqctl`` and deletes it when
the process exits; virtual hosts left by processes that died are deleted
by the next one. Where ``rabbitmqctl`` cannot be used (a remote broker, no
rights), the default virtual host is used and the isolation comes from a
control exchange of the process's own, which every RPC topic and
notification of ours lives in.

When the broker does not answer, the test is skipped with a message saying
what to start, and fails under ``CI=true``.
"""

import atexit
import os
import shutil
import subprocess
import threading
import uuid

import kombu

from tests.unit import sql_backends

ENV = 'NOVA_ATTACH_IFACES_TEST_RABBITMQ_URL'
DEFAULT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
HINT = ('start it (e.g. "rabbitmq-server -detached" or "systemctl start '
        'rabbitmq-server") with user guest/guest on 127.0.0.1:5672, or set '
        '%s' % ENV)
VHOST_PREFIX = 'nai-test-'


def _rabbitmqctl(*args):
    return subprocess.run(['rabbitmqctl', '--quiet'] + list(args),
                          capture_output=True, text=True, timeout=60)


class Broker:
    """The broker as seen by one test process (see the module docstring)."""

    def __init__(self):
        self.server_url = (os.environ.get(ENV) or DEFAULT_URL).rstrip('/')
        self.control_exchange = 'nai-test-%d-%s' % (os.getpid(),
                                                    uuid.uuid4().hex[:8])
        self.vhost = None
        self._probe = None
        self._lock = threading.Lock()

    def probe(self):
        """None if the broker accepts a login, else why not (cached)."""
        if self._probe is None:
            connection = kombu.Connection(self._kombu_url('/'),
                                          connect_timeout=5)
            try:
                connection.connect()
                self._probe = ''
            except Exception as e:
                self._probe = 'RabbitMQ not reachable at %s (%s); %s' % (
                    self.server_url.rsplit('@', 1)[-1], e, HINT)
            finally:
                connection.release()
        return self._probe or None

    def require(self, testcase):
        """Skip (or, in CI, fail) ``testcase`` if the broker is down."""
        why = self.probe()
        if why is None:
            return
        sql_backends.skip_or_fail(testcase, why)

    def _kombu_url(self, vhost):
        # kombu spells the scheme amqp and the default vhost as an empty
        # path; oslo.messaging's rabbit:// is the same URL otherwise.
        base = 'amqp' + self.server_url[len('rabbit'):]
        return '%s/%s' % (base, '' if vhost == '/' else vhost)

    def _local(self):
        return (shutil.which('rabbitmqctl') is not None and
                ('@127.0.0.1:' in self.server_url or
                 '@localhost:' in self.server_url))

    def _make_vhost(self):
        if not self._local():
            return '/'
        self._delete_orphans()
        name = '%s%d-%s' % (VHOST_PREFIX, os.getpid(), uuid.uuid4().hex[:8])
        user = self.server_url.split('//', 1)[1].split(':', 1)[0]
        made = _rabbitmqctl('add_vhost', name)
        if made.returncode != 0:
            return '/'
        _rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*')
        atexit.register(_rabbitmqctl, 'delete_vhost', name)
        return name

    @staticmethod
    def _delete_orphans():
        listed = _rabbitmqctl('list_vhosts', 'name')
        for name in listed.stdout.split():
            if not name.startswith(VHOST_PREFIX):
                continue
            try:
                pid = int(name[len(VHOST_PREFIX):].split('-', 1)[0])
                os.kill(pid, 0)
            except ProcessLookupError:
                _rabbitmqctl('delete_vhost', name)
            except (ValueError, PermissionError):
                pass

    def transport_url(self, testcase):
        """The transport URL of this process's virtual host."""
        self.require(testcase)
        with self._lock:
            if self.vhost is None:
                self.vhost = self._make_vhost()
        if self.vhost == '/':
            return self.server_url + '/'
        return '%s/%s' % (self.server_url, self.vhost)

    def configure(self, testcase, conf):
        """Point ``conf`` (any ConfigOpts with oslo.messaging's options
        registered, or about to be) at this process's broker space.
        """
        conf.set_override('transport_url', self.transport_url(testcase))
        conf.set_override('control_exchange', self.control_exchange)

    def close_connections(self, reason='test'):
        """Close every client connection of this process's virtual host
        (the broker stays up); False when that cannot be done here.
        """
        if self.vhost in (None, '/'):
            return False
        done = _rabbitmqctl('close_all_connections', '--vhost', self.vhost,
                            reason)
        return done.returncode == 0


BROKER = Broker()
