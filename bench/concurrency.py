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
"""Attach + detach cycles per second with concurrent clients.

Each client is a process with its own assembled app (as each API worker
has), attaching a new port to its own server on its own network and
detaching it again, through the whole pipeline, for a fixed time. All
clients share one store: a SQLite file (WAL) or a PostgreSQL database.
"""

import multiprocessing
import time

from bench import env
from bench import timing

PG_ADMIN_URL = 'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'
PG_DB = 'nai_bench'


def _client(index, db_url, inv, duration, barrier, queue):
    import json

    svc = env.Service('sql', inv, db_url=db_url, load=False)
    app = svc.start()
    server = env.bench_id('server', index)
    net = env.bench_id('net', index)
    body = {'interfaceAttachment': {'net_id': net}}
    barrier.wait()
    cycles = errors = 0
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        resp = env.request(app, 'POST', env.list_path(server), '2.70',
                           body=body)
        if resp.status_int != 200:
            errors += 1
            continue
        port = json.loads(resp.body)['interfaceAttachment']['port_id']
        resp = env.request(app, 'DELETE', env.show_path(port, server),
                           '2.70')
        if resp.status_int != 202:
            errors += 1
            continue
        cycles += 1
    queue.put((cycles, errors))
    svc.stop()


def _run(db_url, clients, duration):
    inv = env.make_inventory(ports=10, attached=2, servers=clients,
                             networks_per_client=True)
    env.bulk_load_sql(db_url, inv)
    ctx = multiprocessing.get_context('fork')
    barrier = ctx.Barrier(clients + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client,
                         args=(i, db_url, inv, duration, barrier, queue))
             for i in range(clients)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    start = time.monotonic()
    totals = [queue.get(timeout=duration + 120) for _ in procs]
    elapsed = max(time.monotonic() - start, duration)
    for proc in procs:
        proc.join(timeout=30)
    cycles = sum(c for c, _ in totals)
    return {'clients': clients, 'cycles': cycles,
            'errors': sum(e for _, e in totals),
            'cycles_per_s': cycles / elapsed}


def _pg_database():
    """A fresh PostgreSQL database URL, or (None, why not)."""
    try:
        import sqlalchemy as sa
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level='AUTOCOMMIT')
        with engine.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS %s' % PG_DB)
            conn.exec_driver_sql('CREATE DATABASE %s' % PG_DB)
        engine.dispose()
    except Exception as e:
        return None, 'PostgreSQL not usable at %s: %s' % (PG_ADMIN_URL, e)
    return PG_ADMIN_URL.rsplit('/', 1)[0] + '/' + PG_DB, None


def _drop_pg():
    import sqlalchemy as sa
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level='AUTOCOMMIT')
    with engine.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                             % PG_DB)
    engine.dispose()


def run(quick=False, tmpdir=None):
    import os
    import tempfile

    duration = 0.3 if timing.smoke() else 1.0 if quick else 4.0
    levels = (1, 16) if quick else (1, 4, 16)
    results = {'sqlite': [], 'postgresql': [], 'skipped': {}}
    with tempfile.TemporaryDirectory(prefix='nai-bench-conc-') as tmp:
        for clients in levels:
            path = os.path.join(tmp, 'conc-%d.sqlite' % clients)
            results['sqlite'].append(
                _run('sqlite:///%s' % path, clients, duration))
    for clients in levels:
        url, why = _pg_database()
        if url is None:
            results['skipped']['postgresql'] = why
            results['postgresql'] = []
            break
        try:
            results['postgresql'].append(_run(url, clients, duration))
        finally:
            _drop_pg()
    return results
