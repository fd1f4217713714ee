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
"""Real Nova APIs (Nova from PyPI) with the os_interface filter in them.

Nova comes from the ``nova`` virtualenv (``tests/services/requirements/
nova.txt``, built by ``tools/test-setup.py``). This checkout is not
installed there: each API runs with the checkout on ``PYTHONPATH`` and a
generated ``.dist-info`` carrying the entry points of the package under
test (so ``egg:nova-attach-ifaces#os_interface`` resolves), which works in
a fresh clone and never changes the shared virtualenv.

Nova's databases are SQLite files: the API database and cells cell0 and
cell1, created once per virtualenv with ``nova-manage`` (the slow part,
about a minute) and copied for every API, whose cell mappings are then
pointed at its copies.

Each API is served by gunicorn on a loopback port chosen by the kernel,
with Nova's own ``api-paste.ini`` changed as the README says (plus the
test-only identity filter of :mod:`tests.services.nova_identity` where
``authtoken`` stands). An API is started once per test process and stopped
when the process exits.
"""

import atexit
import configparser
import fcntl
import importlib.metadata
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

from tests.services import venvs
from tests.unit import sql_backends

NAME = 'nova'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DISTRIBUTION = 'nova-attach-ifaces'
START_TIMEOUT = 240
DATABASES = ('api', 'cell0', 'cell1')

#: The os_interface line of Nova's /v2.1 pipeline, as the README shows it.
PIPELINE_TAIL = 'keystonecontext osapi_compute_app_v21'
DROPIN_TAIL = 'keystonecontext os_interface osapi_compute_app_v21'

NOVA_CONF = """
[DEFAULT]
transport_url = fake:/
state_path = %(dir)s
log_file = %(dir)s/nova-api.log
[api_database]
connection = sqlite:///%(dir)s/api.db
[database]
connection = sqlite:///%(dir)s/cell1.db
[oslo_concurrency]
lock_path = %(dir)s/locks
%(extra)s
"""


# Looked up at import: oslotest's test cases point HOME (where the cache
# lives by default) and the temporary directory at their own, removed when
# each test ends, and an API outlives the test that started it.
_VENV = venvs.ready(NAME)
_TMP = tempfile.gettempdir()


def venv():
    """The nova virtualenv's path, or None when it is not built."""
    return _VENV


def require(testcase):
    """The nova virtualenv's path; else skip (fail under CI=true)."""
    venv = _VENV
    if venv is None:
        message = venvs.missing_message(NAME)
        sql_backends.skip_or_fail(testcase, message)
    return venv


def _manage(venv, workdir, *args):
    subprocess.run(
        [os.path.join(venv, 'bin', 'nova-manage'), '--config-file',
         os.path.join(workdir, 'nova.conf')] + list(args),
        check=True, cwd=workdir, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)


def databases(venv):
    """The directory of the migrated template databases (built once)."""
    done = os.path.join(venv, 'nova-test-databases')
    if os.path.exists(os.path.join(done, '.complete')):
        return done
    with open(os.path.join(venv, '.nova-test-databases.lock'), 'w') as lock:
        # Two test processes may ask at once: one builds, one waits.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(done, '.complete')):
            return done
        shutil.rmtree(done, ignore_errors=True)
        os.makedirs(done)
        with open(os.path.join(done, 'nova.conf'), 'w') as f:
            f.write(NOVA_CONF % {'dir': done, 'extra': ''})
        _manage(venv, done, 'api_db', 'sync')
        _manage(venv, done, 'cell_v2', 'map_cell0', '--database_connection',
                'sqlite:///%s/cell0.db' % done)
        _manage(venv, done, 'db', 'sync')
        _manage(venv, done, 'cell_v2', 'create_cell', '--name', 'cell1',
                '--database_connection', 'sqlite:///%s/cell1.db' % done,
                '--transport-url', 'fake:/')
        open(os.path.join(done, '.complete'), 'w').close()
    return done


def _dist_info(site):
    """A .dist-info naming this checkout's entry points, in ``site``."""
    dist = importlib.metadata.distribution(DISTRIBUTION)
    info = os.path.join(site, 'nova_attach_ifaces-%s.dist-info'
                        % dist.version)
    os.makedirs(info)
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: %s\nVersion: %s\n'
                % (DISTRIBUTION, dist.version))
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        f.write(dist.read_text('entry_points.txt'))


def paste_file(venv, os_interface):
    """Nova's own api-paste.ini with os_interface and the identity filter.

    :param os_interface: the ``[filter:os_interface]`` local options.
    """
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(venv, 'etc', 'nova', 'api-paste.ini'))
    for section in parser.sections():
        pipeline = parser[section].get('keystone')
        if pipeline is None:
            continue
        # Where keystonemiddleware would be, the test-only identity filter.
        pipeline = pipeline.replace('authtoken', 'testidentity')
        if section == 'composite:openstack_compute_api_v21':
            assert PIPELINE_TAIL in pipeline, pipeline
            pipeline = pipeline.replace(PIPELINE_TAIL, DROPIN_TAIL)
        parser[section]['keystone'] = pipeline
    parser['filter:testidentity'] = {
        'paste.filter_factory':
            'tests.services.nova_identity:filter_factory'}
    parser['filter:os_interface'] = dict(
        {'use': 'egg:nova-attach-ifaces#os_interface'}, **os_interface)
    return parser


class NovaAPI(object):
    """One Nova API under gunicorn, with its own copy of Nova's databases.

    :param files: ``{name: text}`` written to its directory first (the
        filter's configuration, policy files).
    :param os_interface: ``[filter:os_interface]`` options; ``%(dir)s`` is
        the API's directory.
    :param nova_conf: more of ``nova.conf``.
    """

    def __init__(self, venv, workers=1, os_interface=None, files=None,
                 nova_conf=''):
        self.venv = venv
        self.workers = workers
        self.dir = tempfile.mkdtemp(prefix='nai-nova-', dir=_TMP)
        self.url = None
        self.process = None
        values = {'dir': self.dir}
        for name, text in (files or {}).items():
            with open(os.path.join(self.dir, name), 'w') as f:
                f.write(text % values)
        self.os_interface = {key: value % values
                             for key, value in (os_interface or {}).items()}
        with open(os.path.join(self.dir, 'nova.conf'), 'w') as f:
            f.write(NOVA_CONF % dict(values, extra=nova_conf))
        self.log_file = os.path.join(self.dir, 'nova-api.log')

    def _copy_databases(self):
        template = databases(self.venv)
        for name in DATABASES:
            shutil.copy(os.path.join(template, name + '.db'), self.dir)
        with sqlite3.connect(self.api_db) as db:
            for name in ('cell0', 'cell1'):
                db.execute('UPDATE cell_mappings SET database_connection = ? '
                           'WHERE name = ?',
                           ('sqlite:///%s/%s.db' % (self.dir, name), name))

    @property
    def api_db(self):
        return os.path.join(self.dir, 'api.db')

    def start(self):
        """Start gunicorn (returns at once; :meth:`wait` for it)."""
        self._copy_databases()
        site = os.path.join(self.dir, 'site')
        _dist_info(site)
        with open(os.path.join(self.dir, 'api-paste.ini'), 'w') as f:
            paste_file(self.venv, self.os_interface).write(f)
        env = dict(os.environ,
                   PYTHONPATH=os.pathsep.join([site, ROOT]),
                   OS_NOVA_CONFIG_DIR=self.dir,
                   OS_NOVA_CONFIG_FILES='api-paste.ini;nova.conf')
        self.gunicorn_log = os.path.join(self.dir, 'gunicorn.log')
        self.process = subprocess.Popen(
            [os.path.join(self.venv, 'bin', 'gunicorn'),
             '--bind', '127.0.0.1:0', '--workers', str(self.workers),
             '--timeout', '120', '--error-logfile', self.gunicorn_log,
             'tests.services.nova_wsgi:application'],
            cwd=self.dir, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        atexit.register(self.stop)

    def wait(self):
        """Wait until every worker answers; raise with the logs if not."""
        deadline = time.monotonic() + START_TIMEOUT
        while self.url is None:
            self._check_alive(deadline)
            match = re.search(r'Listening at: (http://127\.0\.0\.1:\d+)',
                              self._read(self.gunicorn_log))
            if match:
                self.url = match.group(1)
            else:
                time.sleep(0.2)
        # Every worker logs the filter's start (or its refusal) once its
        # application is loaded; then the versions document answers.
        while self.filter_lines() < self.workers:
            self._check_alive(deadline)
            time.sleep(0.2)
        with urllib.request.urlopen(self.url + '/', timeout=60) as response:
            response.read()

    def filter_lines(self):
        return len(re.findall(r'os_interface filter: (serving|.*not serving)',
                              self.log()))

    def _check_alive(self, deadline):
        if self.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError('Nova API in %s did not start:\n%s\n%s' % (
                self.dir, self._read(self.gunicorn_log)[-3000:],
                self.log()[-5000:]))

    @staticmethod
    def _read(path):
        try:
            with open(path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def log(self):
        """Nova's log so far (ours included: our loggers propagate)."""
        return self._read(self.log_file)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def add_server(self, server_id, project_id, user_id, locked=True):
        """A server that exists only in Nova's cell1 database."""
        with sqlite3.connect(self.api_db) as db:
            (cell_id,) = db.execute(
                "SELECT id FROM cell_mappings WHERE name = 'cell1'").fetchone()
            db.execute(
                'INSERT INTO instance_mappings (created_at, instance_uuid, '
                'cell_id, project_id, user_id, queued_for_delete) '
                "VALUES (datetime('now'), ?, ?, ?, ?, 0)",
                (server_id, cell_id, project_id, user_id))
        with sqlite3.connect(os.path.join(self.dir, 'cell1.db')) as db:
            db.execute(
                'INSERT INTO instances (created_at, uuid, project_id, '
                'user_id, display_name, vm_state, power_state, locked, '
                "deleted) VALUES (datetime('now'), ?, ?, ?, 'nova-only', "
                "'active', 1, ?, 0)",
                (server_id, project_id, user_id, int(locked)))
