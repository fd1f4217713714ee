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
"""Helpers shared by the reliability tests.

* :func:`record_figures`: where a test reports what it ran (examples,
  operations, conflicts, errors, crashes survived); the report command
  collects them into ``RESULTS.md``.
* :class:`SwappableDriver`: the compute driver an API under test is given
  (through :func:`inject_driver`), whose backing driver a test can reset
  or replace by a failing one.
* :func:`memory_dump` and :func:`sql_dump`: deterministic, byte-comparable
  snapshots of a store.
* :func:`fault_problems`: what is wrong with an error response, if
  anything (a Nova fault, or keystonemiddleware's 401).
"""

import contextlib
import datetime
import json
import os
import threading

import fixtures
import sqlalchemy as sa

from nova_attach_ifaces.api import faults
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute.sql import models

#: Directory the report command asks the tests to write figures to.
RESULTS_ENV = 'NOVA_ATTACH_IFACES_RELIABILITY_RESULTS'

#: Fault names a Nova client may see in an error body.
FAULT_NAMES = frozenset(faults.FAULT_NAMES.values()) | {'computeFault'}

#: Text that must never reach a client unless the client sent it itself:
#: traceback lines, file paths, Python class reprs, our module names.
LEAK_MARKERS = ('Traceback', 'File "', '.py', 'nova_attach_ifaces',
                "Error'>", '<class', 'sqlalchemy', 'psycopg2', 'sqlite3',
                'oslo_db', 'webob', 'keystonemiddleware.')


def record_figures(name, **figures):
    """Report figures for the report command (no-op unless it asked)."""
    directory = os.environ.get(RESULTS_ENV)
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, '%s.json' % name), 'w') as f:
        json.dump(figures, f, indent=1, sort_keys=True)


def fault_problems(status, body):
    """Why ``body`` is not an acceptable error body for ``status``.

    Acceptable: ``{"<fault>": {"code": status, "message": "..."}}`` with a
    fault name Nova clients know, or keystonemiddleware's
    ``{"error": {"code": 401, "title": ..., "message": ...}}`` for a 401.

    :returns: a list of problems (empty when the body is fine).
    """
    try:
        doc = json.loads(body)
    except ValueError:
        return ['error body is not JSON: %r' % body[:200]]
    if not isinstance(doc, dict) or len(doc) != 1:
        return ['error body is not a single-key object: %r' % body[:200]]
    (name, fault), = doc.items()
    problems = []
    if name == 'error' and status == 401:
        if not isinstance(fault, dict) or fault.get('code') != 401:
            problems.append('bad keystonemiddleware 401 body %r' % body)
        return problems
    if name not in FAULT_NAMES:
        problems.append('unknown fault name %r' % name)
    if not isinstance(fault, dict):
        return problems + ['fault is not an object: %r' % body[:200]]
    code = fault.get('code')
    if type(code) is not int or code != status:
        problems.append('fault code %r != status %d' % (code, status))
    if not isinstance(fault.get('message'), str):
        problems.append('fault message is not a string: %r' % body[:200])
    return problems


def leaks(body_text, request_text):
    """Leak markers in a response that the request did not contain."""
    return [marker for marker in LEAK_MARKERS
            if marker in body_text and marker not in request_text]


class SwappableDriver(driver.ComputeDriver):
    """A compute driver that delegates to a replaceable backing driver.

    :param factory: builds a backing driver (``factory()``); called now and
        by :meth:`reset`.
    """

    def __init__(self, factory):
        super().__init__(None)
        self.factory = factory
        self.inner = factory()
        self.calls = 0

    def reset(self):
        """Replace the backing driver by a new one from the factory."""
        self.inner = self.factory()

    def _call(self, name, *args, **kwargs):
        self.calls += 1
        return getattr(self.inner, name)(*args, **kwargs)

    def get_server(self, context, server_id):
        return self._call('get_server', context, server_id)

    def list_interfaces(self, context, server):
        return self._call('list_interfaces', context, server)

    def get_interface(self, context, server, port_id):
        return self._call('get_interface', context, server, port_id)

    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        return self._call('attach_interface', context, server,
                          net_id=net_id, port_id=port_id,
                          fixed_ip=fixed_ip, tag=tag)

    def detach_interface(self, context, server, port_id):
        return self._call('detach_interface', context, server, port_id)


@contextlib.contextmanager
def inject_driver(compute_driver):
    """While active, the API app factory gets ``compute_driver``.

    Apps loaded meanwhile (``wsgi.load_app``) keep it for their lifetime.
    """
    with fixtures.MonkeyPatch(
            'nova_attach_ifaces.compute.loader.load_driver',
            lambda conf: compute_driver):
        yield compute_driver


def memory_dump(drv):
    """Every record of a memory driver, as deterministic JSON bytes."""
    with drv._lock:
        ports = sorted(
            (p.id, p.network_id, p.project_id, p.mac_address,
             [(ip.ip_address, ip.subnet_id) for ip in p.fixed_ips],
             p.created, p.server_id, p.tag)
            for p in drv._ports.values())
        state = {
            'servers': sorted((s.id, s.project_id, s.vm_state, s.task_state,
                               s.locked) for s in drv._servers.values()),
            'attached': {server_id: list(port_ids)
                         for server_id, port_ids in drv._attached.items()},
            'ports': ports,
            'macs': sorted(drv._macs),
            'addresses': {net_id: sorted(addresses) for net_id, addresses
                          in drv._addresses.items()},
        }
    return json.dumps(state, sort_keys=True).encode()


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def sql_rows(session):
    """{table name: [row tuples in primary key order]} of the sql store."""
    rows = {}
    for table in models.Base.metadata.sorted_tables:
        result = session.execute(
            sa.select(table).order_by(*table.primary_key.columns))
        rows[table.name] = [[_plain(v) for v in row] for row in result]
    return rows


def sql_dump(db):
    """Every row of every table of a sql store, as deterministic bytes."""
    with db.reader() as session:
        return json.dumps(sql_rows(session), sort_keys=True).encode()


def sql_restore(db, dump):
    """Put back exactly the rows of an earlier :func:`sql_dump`."""
    rows = json.loads(dump)
    tables = models.Base.metadata.sorted_tables
    with db.writer() as session:
        for table in reversed(tables):
            session.execute(sa.delete(table))
        for table in tables:
            names = [c.name for c in table.columns]
            values = []
            for row in rows[table.name]:
                value = dict(zip(names, row))
                for column in table.columns:
                    if (isinstance(column.type, sa.DateTime) and
                            value[column.name] is not None):
                        value[column.name] = datetime.datetime.fromisoformat(
                            value[column.name])
                values.append(value)
            if values:
                session.execute(sa.insert(table), values)


class Counter(object):
    """A thread-safe multiset of outcome names."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts = {}

    def add(self, name, n=1):
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def __getitem__(self, name):
        with self._lock:
            return self.counts.get(name, 0)
