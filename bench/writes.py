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
"""Writes: attach + detach cycles over HTTP, every client on one network.

gunicorn with 4 sync workers serves the ``sql`` driver on PostgreSQL or
MariaDB, the access log written to a file. 1, 4, 16 and 64 clients
(threads of this process, one HTTP connection each) attach a new port to
their own server by network, all on the same network, so that every cycle
allocates an address there, and detach it again, for a fixed time.

The anchor, on PostgreSQL: pgbench replays the SQL of one such cycle, as
the driver sent it (captured at the DBAPI, psycopg2's own connection and
cursor classes, from a cycle through the assembled app), with the same
client counts. Only the values a cycle creates are made per client (the
new port's id, MAC and address; the attachment's row id becomes a lookup
by port), so that each pgbench client repeats what one API client does.
"""

import collections
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from bench import env
from bench import httpload
from bench import timing

WORKERS = 4
VERSION = '2.70'
DB_NAME = 'nai_bench_writes'
SERVERS = {
    'postgresql': 'postgresql+psycopg2://postgres@127.0.0.1:5432',
    'mysql': 'mysql+pymysql://root@127.0.0.1:3306',
}
ADMIN_DB = {'postgresql': 'postgres', 'mysql': 'mysql'}
BACKENDS = tuple(os.environ.get('NAI_BENCH_WRITES_BACKENDS',
                                'postgresql,mysql').split(','))

CONFIG = """
[DEFAULT]
debug = false
log_file = %(log)s

[api]
auth_strategy = noauth2

[compute]
driver = sql

[database]
connection = %(url)s
max_pool_size = 20
max_overflow = 50
"""


def _admin(backend, sql):
    import sqlalchemy as sa
    engine = sa.create_engine('%s/%s' % (SERVERS[backend],
                                         ADMIN_DB[backend]),
                              isolation_level='AUTOCOMMIT')
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _create_db(backend):
    """A fresh database URL, or (None, why not)."""
    try:
        _drop_db(backend)
        _admin(backend, 'CREATE DATABASE %s' % DB_NAME)
    except Exception as e:
        return None, '%s not usable at %s: %s' % (backend, SERVERS[backend],
                                                  e)
    return '%s/%s' % (SERVERS[backend], DB_NAME), None


def _drop_db(backend):
    force = ' WITH (FORCE)' if backend == 'postgresql' else ''
    _admin(backend, 'DROP DATABASE IF EXISTS %s%s' % (DB_NAME, force))


def _cycle(conn, server_id, stats):
    """One attach by network and its detach; True if both succeeded."""
    headers = dict(env.headers(VERSION), **{
        'Content-Type': 'application/json'})
    body = json.dumps({'interfaceAttachment': {'net_id': env.NET}})
    conn.request('POST', env.list_path(server_id), body, headers)
    resp = conn.getresponse()
    data = resp.read()
    stats[resp.status] += 1
    if resp.status != 200:
        return None
    attachment = json.loads(data)['interfaceAttachment']
    conn.request('DELETE', env.show_path(attachment['port_id'], server_id),
                 headers=headers)
    resp = conn.getresponse()
    resp.read()
    stats[resp.status] += 1
    return attachment if resp.status == 202 else None


def _http_run(port, clients, duration):
    stats = collections.Counter()
    latencies = []
    cycles = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(index):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        local, mine = collections.Counter(), []
        start.wait()
        while time.monotonic() < deadline[0]:
            began = time.monotonic()
            if _cycle(conn, env.bench_id('server', index), local):
                mine.append(time.monotonic() - began)
        conn.close()
        with lock:
            stats.update(local)
            latencies.extend(mine)
            cycles[0] += len(mine)

    threads = [threading.Thread(target=client, args=(i,))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + duration
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(duration + 120)
    elapsed = max(time.monotonic() - began, duration)
    latencies.sort()
    return {'clients': clients, 'cycles': cycles[0],
            'cycles_per_s': cycles[0] / elapsed,
            'statuses': {str(k): v for k, v in sorted(stats.items())},
            'p50_ms': 1000 * latencies[len(latencies) // 2]
            if latencies else None}


def _capture_cycle(url, inv):
    """The SQL statements of one attach + detach, as psycopg2 sent them.

    Returns (statements, the attachment made).
    """
    import psycopg2
    from psycopg2 import extensions

    log = []

    class Cursor(extensions.cursor):
        def execute(self, query, args=None):
            sql = self.mogrify(query, args).decode()
            if (not self.connection.autocommit and
                    self.connection.status == extensions.STATUS_READY):
                log.append('BEGIN')
            log.append(' '.join(sql.split()))
            return super().execute(query, args)

        def executemany(self, query, args_list):
            for args in args_list:
                self.execute(query, args)

    class Connection(extensions.connection):
        def cursor(self, *args, **kwargs):
            kwargs.setdefault('cursor_factory', Cursor)
            return super().cursor(*args, **kwargs)

        def _end(self, word):
            if self.status != extensions.STATUS_READY:
                log.append(word)

        def commit(self):
            self._end('COMMIT')
            return super().commit()

        def rollback(self):
            self._end('ROLLBACK')
            return super().rollback()

    connect = psycopg2.connect
    psycopg2.connect = lambda *a, **k: connect(
        *a, connection_factory=Connection, **k)
    svc = env.Service('sql', inv, db_url=url, load=False)
    try:
        app = svc.start()
        body = {'interfaceAttachment': {'net_id': env.NET}}
        server = env.bench_id('server', 0)
        made = None
        for _warm_up_then_captured in range(2):
            del log[:]
            resp = env.request(app, 'POST', env.list_path(server), VERSION,
                               body=body)
            made = json.loads(resp.body)['interfaceAttachment']
            resp = env.request(app, 'DELETE',
                               env.show_path(made['port_id'], server),
                               VERSION)
            assert resp.status_int == 202, resp.body
        return list(log), made, server
    finally:
        psycopg2.connect = connect
        svc.stop()


def pgbench_script(statements, made, server_id):
    """The captured cycle with what it creates made per pgbench client.

    Each pgbench client works on its own server, as each API client does
    (``client-<n>``, looked up by name).
    """
    server = "(SELECT id FROM servers WHERE name = 'client-' || :client_id)"
    port = ("('00000000-0000-4000-8000-' || "
            "lpad(CAST(:client_id AS text), 12, '0'))")
    mac = ("('fa:16:3f:00:' || lpad(to_hex(:client_id / 256), 2, '0') || "
           "':' || lpad(to_hex(:client_id % 256), 2, '0'))")
    address = "('10.255.' || (:client_id / 256) || '.' || (:client_id % 256))"
    ip = made['fixed_ips'][0]['ip_address'] if made['fixed_ips'] else None
    lines = []
    for sql in statements:
        sql = sql.replace("'%s'" % server_id, server)
        sql = sql.replace("'%s'" % made['port_id'], port)
        sql = sql.replace("'%s'" % made['mac_addr'], mac)
        if ip:
            sql = sql.replace("'%s'" % ip, address)
        sql = re.sub(r'attachments\.id = \d+',
                     'attachments.id = (SELECT id FROM attachments WHERE '
                     'port_id = %s)' % port, sql)
        lines.append(sql.rstrip(';') + ';')
    return '\n'.join(lines) + '\n'


def _pgbench(url, script_path, clients, duration):
    import sqlalchemy as sa
    u = sa.engine.make_url(url)
    out = subprocess.run(
        ['pgbench', '-n', '-c', str(clients), '-j', str(min(clients, 2)),
         '-T', str(duration), '-f', script_path, '-h', u.host,
         '-p', str(u.port or 5432), '-U', u.username, u.database],
        capture_output=True, text=True, timeout=duration + 120)
    tps = re.search(r'tps = ([\d.]+) \(without initial', out.stdout)
    failed = re.search(r'number of failed transactions: (\d+)', out.stdout)
    return {'clients': clients, 'cycles_per_s': float(tps.group(1))
            if tps else None,
            'failed': int(failed.group(1)) if failed else None,
            'error': None if tps else (out.stderr or out.stdout)[-500:]}


def _backend_run(backend, levels, duration, tmp):
    url, why = _create_db(backend)
    if url is None:
        return None, why
    try:
        inv = env.make_inventory(ports=10, attached=2,
                                 servers=max(levels))
        env.bulk_load_sql(url, inv)
        conf_path = os.path.join(tmp, 'writes-%s.conf' % backend)
        with open(conf_path, 'w') as f:
            f.write(CONFIG % {'log': os.path.join(tmp, 'writes-api.log'),
                              'url': url})
        port = httpload._free_port()
        environ = dict(os.environ,
                       OS_NOVA_ATTACH_IFACES_CONFIG_FILES=conf_path,
                       PYTHONPATH=httpload.REPO)
        argv = [os.path.join(httpload.BIN, 'gunicorn'), '--workers',
                str(WORKERS), '--bind', '127.0.0.1:%d' % port, '--chdir',
                httpload.REPO, httpload.APPLICATION]
        proc = httpload.Server(argv, environ,
                               os.path.join(tmp, 'writes-server.log'), port)
        runs = []
        try:
            proc.wait_ready(env.list_path())
            _http_run(port, 1, 1)   # warm-up: every worker's pool
            for clients in levels:
                runs.append(_http_run(port, clients, duration))
        finally:
            proc.stop()
        result = {'api': runs}
        if backend == 'postgresql' and shutil.which('pgbench'):
            statements, made, server = _capture_cycle(url, inv)
            script = pgbench_script(statements, made, server)
            script_path = os.path.join(tmp, 'cycle.sql')
            with open(script_path, 'w') as f:
                f.write(script)
            result['replay_script'] = script
            result['replay'] = [_pgbench(url, script_path, clients, duration)
                                for clients in levels]
        elif backend == 'postgresql':
            result['replay_skipped'] = 'pgbench not found (Debian: ' \
                'postgresql-client)'
        return result, None
    finally:
        _drop_db(backend)


def run(quick=False):
    duration = 1 if timing.smoke() else 2 if quick else 5
    levels = (1, 16) if quick else (1, 4, 16, 64)
    results = {'workers': WORKERS, 'duration_s': duration, 'skipped': {}}
    if not os.path.exists(os.path.join(httpload.BIN, 'gunicorn')):
        results['skipped']['all'] = ('gunicorn not in %s (pip install -r '
                                     'bench/requirements.txt)' % httpload.BIN)
        return results
    with tempfile.TemporaryDirectory(prefix='nai-bench-writes-') as tmp:
        for backend in BACKENDS:
            result, why = _backend_run(backend, levels, duration, tmp)
            if result is None:
                results['skipped'][backend] = why
            else:
                results[backend] = result
    return results
