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
"""A real Keystone (PyPI ``keystone``), one per test process.

:func:`get` starts it on first use, from its own cached virtualenv
(``tests/services/requirements/keystone.txt``), and stops it when the
process exits: SQLite and fernet keys in a temporary directory, the dict
cache (one worker) and four bcrypt rounds, so that a token costs
milliseconds, served by uWSGI. It is bootstrapped and then seeded over its
REST API with:

* projects ``demo``, ``alt``, ``empty`` and ``service`` (plus bootstrap's
  ``admin``);
* in ``demo``, ``alt`` and ``empty``: users ``<project>-member`` (member) and
  ``<project>-reader`` (reader);
* ``admin``, admin in project ``admin``;
* service users ``nova`` and ``neutron``: admin and service in ``service``;
* every password is :attr:`Keystone.password`.

Catalog entries are added with :meth:`Keystone.set_endpoint` once the
other services' ports are known (``network`` -> Neutron, ``compute`` ->
this service). Without the virtualenv the test is skipped with a message
saying how to build it; under ``CI=true`` it fails.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ksa_session

from tests.services import venvs
from tests.unit import sql_backends

NAME = 'keystone'
REGION = 'RegionOne'
PROJECTS = ('demo', 'alt', 'empty')
SERVICE_USERS = ('nova', 'neutron')

# One interpreter for the four keystone-manage steps: each process costs
# seconds of start-up, and the steps only need CONF cleared in between.
_MANAGE = textwrap.dedent('''
    import sys
    from keystone.cmd import cli
    config, url, password = sys.argv[1:4]
    steps = [
        ['db_sync'],
        ['fernet_setup', '--keystone-user', 'root',
         '--keystone-group', 'root'],
        ['credential_setup', '--keystone-user', 'root',
         '--keystone-group', 'root'],
        ['bootstrap', '--bootstrap-password', password,
         '--bootstrap-admin-url', url, '--bootstrap-public-url', url,
         '--bootstrap-internal-url', url,
         '--bootstrap-region-id', 'RegionOne'],
    ]
    for step in steps:
        cli.main(argv=['keystone-manage', '--config-file', config] + step)
        cli.CONF.clear()
''')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(url, proc, what, log, limit=60):
    """Poll ``url`` until it answers below 500; fail naming the log."""
    session = ksa_session.Session()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            resp = session.get(url, authenticated=False, raise_exc=False,
                               timeout=5)
            if resp.status_code < 500:
                return
        except ksa_exc.ConnectionError:
            pass
        time.sleep(0.2)
    with open(log, errors='replace') as f:
        tail = f.read()[-3000:]
    raise RuntimeError('%s did not start (see %s):\n%s' % (what, log, tail))


def stop_group(proc, sig=signal.SIGTERM):
    """Stop ``proc``'s process group: ``sig``, then SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    except ProcessLookupError:
        pass


class Keystone:
    """One real Keystone (see the module docstring)."""

    def __init__(self, venv):
        self.venv = venv
        self.dir = tempfile.mkdtemp(prefix='nai-keystone-')
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d/v3' % self.port
        self.password = 'pw-' + uuid.uuid4().hex[:12]
        self.log = os.path.join(self.dir, 'keystone.log')
        self.config = os.path.join(self.dir, 'keystone.conf')
        self.proc = None
        self.ids = {}
        self._lock = threading.Lock()

    def _write_config(self):
        with open(self.config, 'w') as f:
            f.write(textwrap.dedent('''
                [DEFAULT]
                log_file = %(log)s
                [database]
                connection = sqlite:///%(dir)s/keystone.db
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = %(dir)s/fernet-keys
                [credential]
                key_repository = %(dir)s/credential-keys
                [cache]
                enabled = true
                backend = oslo_cache.dict
                [identity]
                password_hash_rounds = 4
                [resource]
                admin_project_name = admin
            ''') % {'dir': self.dir, 'log': self.log})

    def start(self):
        self._write_config()
        python = os.path.join(self.venv, 'bin', 'python')
        subprocess.run([python, '-c', _MANAGE, self.config, self.url,
                        self.password], check=True, capture_output=True,
                       timeout=300)
        self.serve()
        self.admin = self.session('admin', 'admin')
        self._seed()

    def serve(self):
        """Start uWSGI on the prepared database (again after stop())."""
        env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=self.dir,
                   OS_KEYSTONE_CONFIG_FILES='keystone.conf')
        out = open(os.path.join(self.dir, 'uwsgi.log'), 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(self.venv, 'bin', 'uwsgi'),
             '--http', '127.0.0.1:%d' % self.port, '--http-keepalive',
             '--module', 'keystone.wsgi.api:application', '--master',
             '--processes', '1', '--threads', '4', '--lazy-apps',
             '--need-app', '--die-on-term', '--enable-threads',
             '--no-orphans'],
            env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        wait_for(self.url, self.proc, 'Keystone',
                 os.path.join(self.dir, 'uwsgi.log'))

    def stop(self):
        stop_group(self.proc)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # REST helpers, as the admin.

    def _post(self, path, key, body):
        resp = self.admin.post(self.url + path, json={key: body})
        return resp.json()[key]['id']

    def _find(self, path, key, name):
        found = self.admin.get(self.url + path,
                               params={'name': name}).json()[key]
        return found[0]['id'] if found else None

    def _role(self, name):
        return (self._find('/roles', 'roles', name) or
                self._post('/roles', 'role', {'name': name}))

    def _grant(self, project, user, role):
        self.admin.put(self.url + '/projects/%s/users/%s/roles/%s'
                       % (self.ids[project], self.ids[user],
                          self._role(role)))

    def _user(self, name, project, roles):
        self.ids[name] = self._post('/users', 'user', {
            'name': name, 'password': self.password, 'domain_id': 'default',
            'default_project_id': self.ids[project]})
        for role in roles:
            self._grant(project, name, role)

    def _seed(self):
        self.ids['admin'] = self._find('/users', 'users', 'admin')
        self.ids['admin-project'] = self._find('/projects', 'projects',
                                               'admin')
        for project in PROJECTS + ('service',):
            self.ids[project] = self._post('/projects', 'project', {
                'name': project, 'domain_id': 'default'})
        for project in PROJECTS:
            self._user(project + '-member', project, ['member'])
            self._user(project + '-reader', project, ['reader'])
        for user in SERVICE_USERS:
            self._user(user, 'service', ['admin', 'service'])

    def set_endpoint(self, service_type, url):
        """Make ``url`` the public/internal/admin endpoint of a service."""
        with self._lock:
            service = self._find_service(service_type)
            for ep in self.admin.get(self.url + '/endpoints', params={
                    'service_id': service}).json()['endpoints']:
                self.admin.delete(self.url + '/endpoints/' + ep['id'])
            for interface in ('public', 'internal', 'admin'):
                self._post('/endpoints', 'endpoint', {
                    'service_id': service, 'interface': interface,
                    'region_id': REGION, 'url': url})

    def _find_service(self, service_type):
        for service in self.admin.get(self.url + '/services', params={
                'type': service_type}).json()['services']:
            return service['id']
        return self._post('/services', 'service', {
            'type': service_type, 'name': service_type})

    def auth(self, user, project):
        """A keystoneauth password plugin for ``user`` in ``project``."""
        return v3.Password(auth_url=self.url, username=user,
                           password=self.password, project_name=project,
                           user_domain_id='default',
                           project_domain_id='default')

    def session(self, user, project):
        return ksa_session.Session(auth=self.auth(user, project))

    def token(self, user, project):
        """A new token of ``user`` scoped to ``project``."""
        return self.session(user, project).get_token()


_KEYSTONE = None
_START_LOCK = threading.Lock()


def get(testcase):
    """This process's Keystone, started on first use; skip if not built."""
    global _KEYSTONE
    venv = venvs.ready(NAME)
    if venv is None:
        why = venvs.missing_message(NAME)
        sql_backends.skip_or_fail(testcase, why)
    with _START_LOCK:
        if _KEYSTONE is None:
            keystone = Keystone(venv)
            atexit.register(keystone.close)
            try:
                keystone.start()
            except BaseException:
                keystone.close()
                raise
            _KEYSTONE = keystone
    return _KEYSTONE


if __name__ == '__main__':
    # Manual use: python -m tests.services.keystone (Ctrl-C stops it).
    ks = Keystone(venvs.ready(NAME) or sys.exit(venvs.missing_message(NAME)))
    try:
        ks.start()
        print(ks.url, ks.password, ks.ids, flush=True)
        signal.pause()
    finally:
        ks.close()
