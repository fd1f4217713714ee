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
"""A concurrency soak of real API worker processes on one database.

:class:`~tests.reliability.soak_server.GunicornServer` runs
``nova_attach_ifaces.wsgi.api:application`` under gunicorn (the
production server) with two worker processes on a loopback port, the
``sql`` driver on one database (PostgreSQL, or SQLite in WAL mode) and
the dev ``noauth2`` pipeline. :class:`Soak` drives it with
many client threads for a bounded time: attach existing ports (many
clients racing for the same few), attach with a requested fixed IP (racing
for the same few addresses), attach by network (exhausting a small
subnet), detach, list, show, and a foreign project looking in. Every
answer is recorded; an answer never received (the worker died, the server
was restarting) is an operation whose outcome is unknown.

:meth:`Soak.verify` then checks the store, through the API and in the
database, against the clients' own record:

* every port is attached at most once; addresses (per network) and MACs
  are unique; no port that attach created is left unattached (orphan);
* every acknowledged attach is there unless acknowledged detached later,
  with the MAC and address the client was given; every acknowledged detach
  of a port attach created left no trace; a port's final state is that of
  its last acknowledged operation when nothing overlapped it, and is
  explained by the acknowledged and unknown operations otherwise;
* ports nobody was told about exist only as the result of an operation
  whose answer was lost (never half-made);
* no 5xx, and (unless a crash was injected) no lost answers.

:meth:`Soak.crash_worker` SIGKILLs one worker (gunicorn's master starts a
new one) and :meth:`~tests.reliability.soak_server.GunicornServer.kill` /
:meth:`~tests.reliability.soak_server.GunicornServer.start`
kill and restart the whole server, so that durability is checked after
crashes in the middle of the load.
"""

import collections
import random
import threading
import time

import requests
import sqlalchemy as sa

from nova_attach_ifaces.compute.sql import models

#: Seconds a client waits for one answer.
HTTP_TIMEOUT = 30


Op = collections.namedtuple(
    'Op', 'kind server port status t0 t1 mac ip net created')


class Soak(object):
    """Client threads against ``url`` for ``seconds``; then verify.

    :ivar ops: every operation, as :data:`Op` (status None: no answer).
    """

    def __init__(self, url, inv, clients=16, seconds=20, seed=0):
        self.url = url + '/v2.1'
        self.inv = inv
        self.clients = clients
        self.seconds = seconds
        self.seed = seed
        self.ops = []
        self._lock = threading.Lock()
        # port id -> server id, as the clients last heard (for choosing).
        self._known = {}
        self._stop = threading.Event()
        self.crashes = 0

    # Client side.

    def _headers(self, project=None):
        return {'X-Auth-Token': 'soak:%s' % (project or self.inv.project_a),
                'X-Roles': 'member,reader',
                'OpenStack-API-Version': 'compute 2.70'}

    def _record(self, op):
        with self._lock:
            self.ops.append(op)
            if op.status == 200 and op.kind.startswith('attach'):
                self._known[op.port] = op.server
            elif op.status == 202 and op.kind == 'detach':
                self._known.pop(op.port, None)
        return op.status

    def _call(self, session, method, path, body=None, project=None):
        try:
            response = session.request(
                method, self.url + path, json=body, timeout=HTTP_TIMEOUT,
                headers=self._headers(project))
        except requests.RequestException:
            return None, None
        try:
            doc = response.json() if response.content else None
        except ValueError:
            doc = None
        return response.status_code, doc

    def _attach(self, session, rng, kind):
        inv = self.inv
        server = rng.choice(inv.servers_a)
        if kind == 'attach_port':
            body = {'port_id': rng.choice(inv.ports)}
        elif kind == 'attach_ip':
            body = {'net_id': inv.big,
                    'fixed_ips': [{'ip_address': rng.choice(inv.RACED_IPS)}]}
        else:
            body = {'net_id': inv.small}
        t0 = time.monotonic()
        status, doc = self._call(
            session, 'POST', '/servers/%s/os-interface' % server,
            {'interfaceAttachment': body})
        t1 = time.monotonic()
        port = mac = ip = None
        if status == 200:
            att = doc['interfaceAttachment']
            port, mac = att['port_id'], att['mac_addr']
            ip = att['fixed_ips'][0]['ip_address'] if att['fixed_ips'] \
                else None
        elif kind == 'attach_port':
            port = body['port_id']
        return self._record(Op(kind, server, port or body.get('port_id'),
                               status,
                               t0, t1, mac, ip, body.get('net_id'),
                               kind != 'attach_port'))

    def _detach(self, session, rng):
        with self._lock:
            known = list(self._known.items())
        if not known or rng.random() < 0.1:
            port, server = rng.choice(self.inv.ports), rng.choice(
                self.inv.servers_a)
        else:
            port, server = rng.choice(known)
        t0 = time.monotonic()
        status, _doc = self._call(
            session, 'DELETE', '/servers/%s/os-interface/%s' % (server, port))
        return self._record(Op('detach', server, port, status, t0,
                               time.monotonic(), None, None, None, None))

    def _read(self, session, rng, kind):
        inv = self.inv
        t0 = time.monotonic()
        if kind == 'list':
            server = rng.choice(inv.servers_a)
            status, doc = self._call(session, 'GET',
                                     '/servers/%s/os-interface' % server)
            port = None
            if status == 200:
                ports = [a['port_id'] for a in doc['interfaceAttachments']]
                if len(ports) != len(set(ports)):
                    status = 'duplicate'
        elif kind == 'show':
            with self._lock:
                known = list(self._known.items())
            port, server = (rng.choice(known) if known else
                            (rng.choice(inv.ports), inv.servers_a[0]))
            status, _doc = self._call(
                session, 'GET',
                '/servers/%s/os-interface/%s' % (server, port))
        else:
            # Project B looks at A's servers and ports: always 404.
            server, port = rng.choice(inv.servers_a), rng.choice(inv.ports)
            status, _doc = self._call(
                session, 'GET',
                '/servers/%s/os-interface/%s' % (server, port),
                project=inv.project_b)
            if status not in (404, None):
                status = 'foreign-%s' % status
        return self._record(Op(kind, server, port, status, t0,
                               time.monotonic(), None, None, None, None))

    KINDS = (['attach_port'] * 4 + ['attach_ip'] * 2 + ['attach_net'] * 2 +
             ['detach'] * 6 + ['list'] * 3 + ['show'] * 2 + ['foreign'])

    def _client(self, index):
        rng = random.Random('%s-%d' % (self.seed, index))
        with requests.Session() as session:
            while not self._stop.is_set():
                kind = rng.choice(self.KINDS)
                if kind.startswith('attach'):
                    status = self._attach(session, rng, kind)
                elif kind == 'detach':
                    status = self._detach(session, rng)
                else:
                    status = self._read(session, rng, kind)
                if status is None:
                    # The server is restarting: do not spin.
                    time.sleep(0.05)

    def run(self, events=()):
        """Run the clients for ``seconds``.

        :param events: (fraction of the time, callable) pairs, e.g. a
            crash half-way through; the callable gets this soak.
        """
        threads = [threading.Thread(target=self._client, args=(i,),
                                    daemon=True)
                   for i in range(self.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for fraction, action in sorted(events, key=lambda e: e[0]):
            delay = started + fraction * self.seconds - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action(self)
        remaining = started + self.seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        self._stop.set()
        for thread in threads:
            thread.join(HTTP_TIMEOUT + 5)
        self.elapsed = time.monotonic() - started
        if any(thread.is_alive() for thread in threads):
            raise RuntimeError('soak clients did not stop')

    # Figures.

    def figures(self):
        statuses = collections.Counter(
            'no answer' if op.status is None else str(op.status)
            for op in self.ops)
        kinds = collections.Counter(op.kind for op in self.ops)
        return {
            'operations': len(self.ops),
            'seconds': round(self.elapsed, 1),
            'clients': self.clients,
            'by_kind': dict(kinds),
            'statuses': dict(statuses),
            'conflicts': statuses.get('409', 0),
            'server_errors': sum(n for s, n in statuses.items()
                                 if s.startswith('5')),
            'unknown_outcome': statuses.get('no answer', 0),
            'crashes_survived': self.crashes,
        }

    # Verification.

    def final_state(self, url=None):
        """{server id: [attachment dicts]} through the API, as admin."""
        url = (url + '/v2.1') if url else self.url
        state = {}
        with requests.Session() as session:
            for server, project in ([(s, self.inv.project_a)
                                     for s in self.inv.servers_a] +
                                    [(self.inv.server_b,
                                      self.inv.project_b)]):
                response = session.get(
                    '%s/servers/%s/os-interface' % (url, server),
                    headers={'X-Auth-Token': 'admin:%s' % project},
                    timeout=HTTP_TIMEOUT)
                response.raise_for_status()
                state[server] = response.json()['interfaceAttachments']
        return state

    def verify(self, connection, url=None, allow_lost_answers=False):
        """Check the store against the record; return the problems."""
        problems = []
        api_state = self.final_state(url)
        engine = sa.create_engine(connection, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                rows = {
                    'ports': conn.execute(sa.select(
                        models.Port.id, models.Port.mac_address,
                        models.Port.created_by_attach)).all(),
                    'fixed_ips': conn.execute(sa.select(
                        models.FixedIp.port_id, models.FixedIp.network_id,
                        models.FixedIp.ip_address)).all(),
                    'attachments': conn.execute(sa.select(
                        models.Attachment.server_id,
                        models.Attachment.port_id)).all(),
                }
        finally:
            engine.dispose()
        problems += self._check_store(api_state, rows)
        problems += self._check_record(rows)
        figures = self.figures()
        if figures['server_errors']:
            problems.append('%d 5xx answers' % figures['server_errors'])
        bad = {s: n for s, n in figures['statuses'].items()
               if s in ('duplicate',) or s.startswith('foreign')}
        if bad:
            problems.append('bad reads: %s' % bad)
        if figures['unknown_outcome'] and not allow_lost_answers:
            problems.append('%d answers lost without a crash'
                            % figures['unknown_outcome'])
        return problems

    def _check_store(self, api_state, rows):
        problems = []
        db_attached = collections.defaultdict(set)
        port_servers = collections.Counter()
        for server, port in rows['attachments']:
            db_attached[server].add(port)
            port_servers[port] += 1
        for server, attachments in api_state.items():
            ports = [a['port_id'] for a in attachments]
            if set(ports) != db_attached.get(server, set()):
                problems.append('API and database disagree on %s' % server)
            if len(ports) != len(set(ports)):
                problems.append('port listed twice on %s' % server)
        twice = [p for p, n in port_servers.items() if n > 1]
        if twice:
            problems.append('ports attached more than once: %s' % twice)
        macs = collections.Counter(mac for _p, mac, _c in rows['ports'])
        if any(n > 1 for n in macs.values()):
            problems.append('duplicate MACs')
        addresses = collections.Counter(
            (net, ip) for _p, net, ip in rows['fixed_ips'])
        if any(n > 1 for n in addresses.values()):
            problems.append('duplicate addresses')
        orphans = [p for p, _mac, created in rows['ports']
                   if created and p not in port_servers]
        if orphans:
            problems.append('orphan ports (made by attach, not attached): '
                            '%s' % orphans)
        return problems

    def _check_record(self, rows):
        problems = []
        attached_to = {port: server for server, port in rows['attachments']}
        ports = {p: mac for p, mac, _c in rows['ports']}
        ips = collections.defaultdict(set)
        for port, _net, ip in rows['fixed_ips']:
            ips[port].add(ip)
        by_port = collections.defaultdict(list)
        for op in self.ops:
            if op.kind in ('attach_port', 'detach') and op.port:
                by_port[op.port].append(op)
        # Existing ports: final state explained by the operations on it.
        for port in self.inv.ports:
            problems += self._explain(port, by_port.get(port, []),
                                      attached_to.get(port))
        # Ports attach created, as acknowledged.
        created = [op for op in self.ops
                   if op.created and op.status == 200]
        detached = {op.port for op in self.ops
                    if op.kind == 'detach' and op.status == 202}
        unknown_detach = {op.port for op in self.ops
                          if op.kind == 'detach' and op.status is None}
        for op in created:
            if op.port in detached:
                if op.port in ports:
                    problems.append('detached port %s still exists'
                                    % op.port)
            elif op.port not in ports:
                if op.port not in unknown_detach:
                    problems.append('acknowledged attach of %s lost'
                                    % op.port)
            else:
                if attached_to.get(op.port) != op.server:
                    problems.append('port %s not on %s' % (op.port,
                                                           op.server))
                if ports[op.port] != op.mac or (
                        op.ip and ips[op.port] != {op.ip}):
                    problems.append('port %s changed MAC or address'
                                    % op.port)
        # Ports nobody was told about: only from answers that were lost.
        told = {op.port for op in created}
        unknown_creates = sum(1 for op in self.ops
                              if op.created and op.status is None)
        strangers = [p for p in ports
                     if p not in told and p not in self.inv.ports and
                     p != self.inv.port_b]
        if len(strangers) > unknown_creates:
            problems.append('%d ports nobody asked for (%d answers lost)'
                            % (len(strangers), unknown_creates))
        return problems

    @staticmethod
    def _explain(port, ops, final_server):
        """Problems with the final state of an existing port."""
        acked = [op for op in ops if op.status in (200, 202)]
        unknown = [op for op in ops if op.status is None]
        attaches = sum(1 for op in acked if op.kind == 'attach_port')
        detaches = len(acked) - attaches
        unknown_attaches = sum(1 for op in unknown
                               if op.kind == 'attach_port')
        unknown_detaches = len(unknown) - unknown_attaches
        final = 0 if final_server is None else 1
        low = attaches - detaches - unknown_detaches
        high = attaches - detaches + unknown_attaches
        problems = []
        if not low <= final <= high:
            problems.append(
                'port %s: attached=%d but %d attaches, %d detaches '
                'acknowledged, %d/%d unknown' % (
                    port, final, attaches, detaches, unknown_attaches,
                    unknown_detaches))
        if final and final_server not in {op.server for op in ops
                                          if op.kind == 'attach_port' and
                                          op.status in (200, None)}:
            problems.append('port %s on %s, never attached there'
                            % (port, final_server))
        if acked:
            last = max(acked, key=lambda op: op.t1)
            overlapped = any(op is not last and op.t1 > last.t0
                             for op in acked + unknown)
            if not overlapped:
                expected = (last.server if last.kind == 'attach_port'
                            else None)
                if final_server != expected:
                    problems.append(
                        'port %s: last acknowledged %s on %s, but now on '
                        '%s' % (port, last.kind, last.server, final_server))
        return problems
