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
"""HTTP throughput and latency on loopback, with wrk, under real servers.

For each server (the embedded cheroot server of ``nova-attach-ifaces-api``,
uwsgi with the shipped ini, gunicorn with 2 sync workers) the service and
the bare baseline app run in turn, with the same server settings, and wrk
loads each for a bounded time on 127.0.0.1 only. The baseline sends the
bytes the service sent for the same URL.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

from bench import env
from bench import timing

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
APPLICATION = 'nova_attach_ifaces.wsgi.api:application'
BASELINE = 'bench.baseline:application'
UWSGI_INI = os.path.join(REPO, 'etc', 'nova-attach-ifaces',
                         'nova-attach-ifaces-uwsgi.ini')
VERSION = '2.70'
CONNECTIONS = 8
WRK_THREADS = 2

CONFIG = """
[DEFAULT]
debug = false
log_file = %(log)s
%(log_levels)s

[api]
auth_strategy = noauth2

[compute]
driver = %(driver)s

[memory]
inventory_file = %(inventory)s

[sql]
inventory_file = %(inventory)s

[database]
connection = sqlite:///%(db)s
"""


def _log_levels(access_log):
    """The config line that turns the access log off (or nothing)."""
    if access_log:
        return ''
    from oslo_log import log as logging
    return 'default_log_levels = %s' % ','.join(
        logging.get_default_log_levels() + [env.ACCESS_LOGGER + '=WARN'])


def missing_tools():
    """What this section needs and cannot find (nothing is installed)."""
    missing = []
    if not shutil.which('wrk'):
        missing.append('wrk (Debian: apt-get install wrk)')
    for name in ('uwsgi', 'gunicorn', 'nova-attach-ifaces-api'):
        if not os.path.exists(os.path.join(BIN, name)):
            missing.append('%s in %s (pip install -r bench/requirements.txt'
                           ' and the package itself)' % (name, BIN))
    return missing


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Server:
    """A server process group, stopped by the id of the process we ran."""

    def __init__(self, argv, environ, log_path, port):
        self.port = port
        self.log = open(log_path, 'ab')
        self.proc = subprocess.Popen(argv, env=environ, cwd=REPO,
                                     stdout=self.log, stderr=self.log,
                                     start_new_session=True)

    def wait_ready(self, path, timeout=60):
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('server exited with %s; see %s'
                                   % (self.proc.returncode, self.log.name))
            try:
                req = urllib.request.Request(url,
                                             headers=env.headers(VERSION))
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return resp.read()
            except OSError:
                time.sleep(0.2)
        raise RuntimeError('server not ready after %ds; see %s'
                           % (timeout, self.log.name))

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def _argv(server, app, port, tmp):
    if server == 'embedded':
        if app == APPLICATION:
            return [os.path.join(BIN, 'nova-attach-ifaces-api'),
                    '--config-file', os.path.join(tmp, 'api.conf'),
                    '--port', str(port)]
        # The same cheroot settings as nova-attach-ifaces-api.
        return [sys.executable, '-m', 'bench.serve_cheroot', app, str(port)]
    if server == 'uwsgi':
        with open(UWSGI_INI) as f:
            ini = f.read()
        ini = re.sub(r'(?m)^module = .*$', 'module = %s\npythonpath = %s'
                     % (app, REPO), ini)
        path = os.path.join(tmp, 'uwsgi-%d.ini' % port)
        with open(path, 'w') as f:
            f.write(ini)
        return [os.path.join(BIN, 'uwsgi'), '--ini', path,
                '--http-socket', '127.0.0.1:%d' % port]
    if server == 'gunicorn':
        return [os.path.join(BIN, 'gunicorn'), '--workers', '2',
                '--bind', '127.0.0.1:%d' % port, '--chdir', REPO, app]
    raise ValueError(server)


_UNITS = {'us': 1e-3, 'ms': 1.0, 's': 1e3}


def _ms(text):
    number, unit = re.match(r'([\d.]+)(us|ms|s)$', text).groups()
    return float(number) * _UNITS[unit]


def wrk(url, duration):
    argv = ['wrk', '-t%d' % WRK_THREADS, '-c%d' % CONNECTIONS,
            '-d%ds' % duration, '--latency']
    for name, value in env.headers(VERSION).items():
        argv += ['-H', '%s: %s' % (name, value)]
    out = subprocess.run(argv + [url], capture_output=True, text=True,
                         timeout=duration + 60, check=True).stdout
    result = {'rps': float(re.search(r'Requests/sec:\s+([\d.]+)',
                                     out).group(1))}
    for pct in ('50', '75', '90', '99'):
        match = re.search(r'^\s+%s%%\s+(\S+)' % pct, out, re.M)
        result['p%s_ms' % pct] = _ms(match.group(1))
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    result['non_2xx'] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r'Socket errors: (.*)', out)
    result['socket_errors'] = errors.group(1) if errors else ''
    result['requests'] = int(re.search(r'(\d+) requests in', out).group(1))
    return result


def run(quick=False):
    missing = missing_tools()
    if missing:
        return {'skipped': 'missing: ' + '; '.join(missing), 'runs': []}
    duration = 1 if timing.smoke() else 2 if quick else 5
    # (server, driver, access log written). uwsgi runs both ways: with the
    # one oslo.log INFO line per request, and without it, as the bare app.
    plan = [('uwsgi', 'memory', True), ('uwsgi', 'memory', False)] if quick \
        else [('embedded', 'memory', True), ('uwsgi', 'memory', True),
              ('uwsgi', 'memory', False), ('gunicorn', 'memory', True),
              ('uwsgi', 'sql', True), ('uwsgi', 'sql', False)]
    inv = env.make_inventory(ports=10, attached=2)
    port_id = inv.ports[0].id
    paths = {'list': env.list_path(), 'show': env.show_path(port_id)}
    if quick:
        del paths['show']
    runs = []
    with tempfile.TemporaryDirectory(prefix='nai-bench-http-') as tmp:
        inventory = os.path.join(tmp, 'inventory.yaml')
        with open(inventory, 'w') as f:
            yaml.safe_dump(env.inventory_dict(inv), f)
        for server, driver, access_log in plan:
            db = os.path.join(tmp, 'http-%s-%s-%s.sqlite'
                              % (server, driver, access_log))
            with open(os.path.join(tmp, 'api.conf'), 'w') as f:
                f.write(CONFIG % {'log': os.path.join(tmp, 'api.log'),
                                  'log_levels': _log_levels(access_log),
                                  'driver': driver, 'inventory': inventory,
                                  'db': db})
            environ = dict(os.environ,
                           OS_NOVA_ATTACH_IFACES_CONFIG_FILES=os.path.join(
                               tmp, 'api.conf'),
                           NAI_BENCH_BODIES=os.path.join(tmp, 'bodies.json'),
                           PYTHONPATH=REPO)
            bodies = {}
            for app in (APPLICATION, BASELINE):
                port = _free_port()
                proc = Server(_argv(server, app, port, tmp), environ,
                              os.path.join(tmp, 'server.log'), port)
                try:
                    for op, path in paths.items():
                        body = proc.wait_ready(path)
                        if app == APPLICATION:
                            bodies[op] = body.decode()
                        elif body.decode() != bodies[op]:
                            raise RuntimeError('baseline body differs')
                    if app == APPLICATION:
                        with open(environ['NAI_BENCH_BODIES'], 'w') as f:
                            json.dump(bodies, f)
                    for op, path in paths.items():
                        if not quick:
                            # Warm up, then measure.
                            wrk('http://127.0.0.1:%d%s' % (port, path), 1)
                        result = wrk('http://127.0.0.1:%d%s' % (port, path),
                                     duration)
                        result.update(server=server, driver=driver, op=op,
                                      access_log=access_log,
                                      app='service' if app == APPLICATION
                                      else 'baseline')
                        runs.append(result)
                finally:
                    proc.stop()
    for entry in runs:
        if entry['app'] != 'service':
            continue
        base = next(e for e in runs if e['app'] == 'baseline' and
                    all(e[key] == entry[key] for key in
                        ('server', 'driver', 'op', 'access_log')))
        entry['rps_vs_baseline'] = entry['rps'] / base['rps']
    return {'duration_s': duration, 'connections': CONNECTIONS,
            'wrk_threads': WRK_THREADS, 'runs': runs}
