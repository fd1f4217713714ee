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
"""A real Neutron (PyPI ``neutron``) behind the real Keystone, per process.

:func:`get` starts it on first use, from its own cached virtualenv
(``tests/services/requirements/neutron.txt``), and stops it when the
process exits:

* ML2 on a MariaDB database of its own (uniquely named, migrated with
  ``neutron-db-manage``, dropped at exit), project networks of type
  ``local``, no agents, no notifications to Nova;
* ``auth_strategy = keystone``: Neutron validates the callers' tokens with
  :mod:`tests.services.keystone`, as user ``neutron``, so project
  isolation and Neutron's policy are real;
* the mechanism driver of ``tests/services/neutron_binding`` (installed
  into the venv, once per version) binds every port with ``vif_type``
  ``bridge`` and ``bridge_name`` :attr:`Neutron.bridge` (named after the
  test process, so that two processes' QEMU NICs never share a bridge);
* served by uWSGI; the catalog's ``network`` endpoint points at it.

:meth:`Neutron.stop`, :meth:`Neutron.kill` and :meth:`Neutron.serve` let a
test take it away and bring it back on the same database;
:meth:`Neutron.pause` freezes it (connections are accepted, never
answered) until :meth:`Neutron.resume`; :meth:`Neutron.sql` runs a
statement in its database (to make it fail for real).
"""

import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
import uuid

import sqlalchemy as sa

from tests.services import keystone as ks_service
from tests.services import venvs
from tests.unit import sql_backends

NAME = 'neutron'
HERE = os.path.dirname(os.path.abspath(__file__))
BINDING_SRC = os.path.join(HERE, 'neutron_binding')


def _binding_version():
    with open(os.path.join(BINDING_SRC, 'nai_test_binding.py'), 'rb') as f:
        return '0.0.%d' % int(hashlib.sha256(f.read()).hexdigest()[:8], 16)


def install_binding_driver(venv):
    """Install the test mechanism driver into ``venv`` unless it is there.
    """
    version = _binding_version()
    python = os.path.join(venv, 'bin', 'python')
    found = subprocess.run(
        [python, '-c', 'import importlib.metadata as m; '
         'print(m.version("nai-test-binding"))'],
        capture_output=True, text=True)
    if found.stdout.strip() == version:
        return
    # Built from a copy: setuptools writes its build files next to setup.py.
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'src')
        shutil.copytree(BINDING_SRC, src)
        subprocess.run(
            [python, '-m', 'pip', 'install', '--quiet', '--no-deps',
             '--disable-pip-version-check', src],
            check=True, capture_output=True,
            env=dict(os.environ, NAI_TEST_BINDING_VERSION=version))


class Neutron:
    """One real Neutron (see the module docstring)."""

    def __init__(self, venv, keystone):
        self.venv = venv
        self.keystone = keystone
        self.dir = tempfile.mkdtemp(prefix='nai-neutron-')
        self.port = ks_service.free_port()
        self.url = 'http://127.0.0.1:%d/' % self.port
        self.database = 'nai_neutron_%s' % uuid.uuid4().hex[:12]
        self.log = os.path.join(self.dir, 'uwsgi.log')
        self.bridge = 'br-nai-%d' % (os.getpid() % 100000)
        self.proc = None

    def _config(self):
        db_url = sql_backends.MYSQL.server_url.set(
            database=self.database, query={'charset': 'utf8'})
        values = {
            'dir': self.dir,
            'paste': os.path.join(self.venv, 'etc', 'neutron',
                                  'api-paste.ini'),
            'db': db_url.render_as_string(hide_password=False),
            'keystone': self.keystone.url,
            'password': self.keystone.password,
            'bridge': self.bridge,
        }
        with open(os.path.join(self.dir, 'neutron.conf'), 'w') as f:
            f.write(textwrap.dedent('''
                [DEFAULT]
                core_plugin = ml2
                service_plugins =
                auth_strategy = keystone
                api_paste_config = %(paste)s
                state_path = %(dir)s
                log_file = %(dir)s/neutron.log
                transport_url = rabbit://guest:guest@127.0.0.1:5672/
                notify_nova_on_port_status_changes = false
                notify_nova_on_port_data_changes = false
                dhcp_agent_notification = false
                api_workers = 1
                rpc_workers = 0
                [database]
                connection = %(db)s
                [oslo_concurrency]
                lock_path = %(dir)s/lock
                [keystone_authtoken]
                www_authenticate_uri = %(keystone)s
                auth_url = %(keystone)s
                auth_type = password
                username = neutron
                password = %(password)s
                project_name = service
                user_domain_id = default
                project_domain_id = default
                [nai_test_binding]
                vif_type = bridge
                bridge_name = %(bridge)s
            ''') % values)
        with open(os.path.join(self.dir, 'ml2_conf.ini'), 'w') as f:
            f.write(textwrap.dedent('''
                [ml2]
                type_drivers = flat,vlan,local
                tenant_network_types = local
                mechanism_drivers = nai_test_binding
                extension_drivers = port_security
            '''))

    def _admin_engine(self):
        return sql_backends.MYSQL._admin_engine()

    def _sql(self, statement):
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def start(self):
        install_binding_driver(self.venv)
        self._config()
        self._sql('CREATE DATABASE `%s` CHARACTER SET utf8' % self.database)
        subprocess.run(
            [os.path.join(self.venv, 'bin', 'neutron-db-manage'),
             '--config-file', os.path.join(self.dir, 'neutron.conf'),
             '--config-file', os.path.join(self.dir, 'ml2_conf.ini'),
             'upgrade', 'heads'],
            check=True, capture_output=True, timeout=300)
        self.serve()
        self.keystone.set_endpoint('network', self.url)

    def serve(self):
        """Start uWSGI on the migrated database (again after stop/kill)."""
        env = dict(os.environ, OS_NEUTRON_CONFIG_DIR=self.dir,
                   OS_NEUTRON_CONFIG_FILES='neutron.conf;ml2_conf.ini')
        out = open(self.log, 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(self.venv, 'bin', 'uwsgi'),
             '--http11-socket', '127.0.0.1:%d' % self.port,
             '--module', 'neutron.wsgi.api:application', '--master',
             '--processes', '1', '--threads', '4', '--lazy-apps',
             '--need-app', '--die-on-term', '--enable-threads',
             '--no-orphans', '--buffer-size', '65535'],
            env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        ks_service.wait_for(self.url, self.proc, 'Neutron', self.log)

    def stop(self):
        """Stop the server cleanly (the database stays)."""
        ks_service.stop_group(self.proc)

    def kill(self):
        """SIGKILL the server, as a crash would."""
        ks_service.stop_group(self.proc, signal.SIGKILL)

    def pause(self):
        """SIGSTOP the server: callers wait until their timeout."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        """SIGCONT the server; harmless when it runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def sql(self, statement):
        """Run ``statement`` in Neutron's database (``{db}`` is its name).
        """
        self._sql(statement.format(db='`%s`' % self.database))

    def close(self):
        self.resume()
        self.stop()
        try:
            self._sql('DROP DATABASE IF EXISTS `%s`' % self.database)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


_NEUTRON = None
_START_LOCK = threading.Lock()


def get(testcase):
    """This process's Neutron, started on first use; skip if not possible.
    """
    global _NEUTRON
    keystone = ks_service.get(testcase)
    venv = venvs.ready(NAME)
    if venv is None:
        why = venvs.missing_message(NAME)
        sql_backends.skip_or_fail(testcase, why)
    sql_backends.MYSQL.require(testcase)
    with _START_LOCK:
        if _NEUTRON is None:
            neutron = Neutron(venv, keystone)
            atexit.register(neutron.close)
            try:
                neutron.start()
            except BaseException:
                neutron.close()
                raise
            _NEUTRON = neutron
    if _NEUTRON.proc.poll() is not None:
        # A test that stopped it failed before bringing it back.
        _NEUTRON.serve()
    _NEUTRON.resume()
    return _NEUTRON
