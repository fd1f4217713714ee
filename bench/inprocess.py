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
"""In-process cost per request, and the scaling curves, without a socket.

Each request is ``webob.Request.blank(...).get_response(app)`` against the
assembled ``main`` paste app (dev noauth2 pipeline), timed beside the bare
webob + routes app (:mod:`bench.baseline`) answering the same URL with the
same body, rounds interleaved. Every case runs twice: with the access log
written to a file (one oslo.log INFO line per request, as a deployment
logs by default) and with it off (``request_log=WARN``), which is the
like-for-like comparison with the bare app, which logs nothing.
"""

import json

import sqlalchemy as sa

from bench import baseline
from bench import env
from bench import timing

VERSIONS = ('2.1', '2.70')
DRIVERS = ('memory', 'sql')


def _attach_body():
    return {'interfaceAttachment': {'net_id': env.NET}}


def _cycle(app, version):
    def cycle():
        resp = env.request(app, 'POST', env.list_path(), version,
                           body=_attach_body())
        port_id = json.loads(resp.body)['interfaceAttachment']['port_id']
        resp = env.request(app, 'DELETE', env.show_path(port_id), version)
        assert resp.status_int == 202, resp.body
    return cycle


def _get(app, path, version):
    return lambda: env.request(app, 'GET', path, version)


def _check(resp, status=200):
    if resp.status_int != status:
        raise RuntimeError('unexpected %s: %s' % (resp.status, resp.body))
    return resp.body


def per_request(quick=False):
    """Measurement 1: list, show, attach+detach vs the bare baseline."""
    # Many short rounds, interleaved: see timing.paired_ratio.
    rounds = 5 if quick else 25
    min_round = 0.03 if quick else 0.05
    results = []
    inv = env.make_inventory(ports=10, attached=2)
    port = inv.ports[0].id
    for driver in DRIVERS:
        with env.service(driver, inv) as app:
            for version in VERSIONS[-1:] if quick else VERSIONS:
                list_body = _check(env.request(app, 'GET', env.list_path(),
                                               version))
                show_body = _check(env.request(app, 'GET',
                                               env.show_path(port), version))
                resp = env.request(app, 'POST', env.list_path(), version,
                                   body=_attach_body())
                create_body = _check(resp)
                port_id = json.loads(create_body)[
                    'interfaceAttachment']['port_id']
                _check(env.request(app, 'DELETE', env.show_path(port_id),
                                   version), 202)
                base = baseline.make_app({'list': list_body,
                                          'show': show_body,
                                          'create': create_body})
                cases = {
                    'list': (_get(app, env.list_path(), version),
                             _get(base, env.list_path(), version)),
                    'show': (_get(app, env.show_path(port), version),
                             _get(base, env.show_path(port), version)),
                    'attach+detach': (_cycle(app, version),
                                      _cycle(base, version)),
                }
                for op, (app_call, base_call) in cases.items():
                    for access_log in (True, False):
                        env.set_access_log(access_log)
                        timed = timing.paired({'app': app_call,
                                               'baseline': base_call},
                                              rounds=rounds,
                                              min_round=min_round)
                        results.append({
                            'driver': driver, 'version': version, 'op': op,
                            'access_log': access_log,
                            'app_us': timed['app']['us'],
                            'baseline_us': timed['baseline']['us'],
                            'ratio': timing.paired_ratio(timed, 'app',
                                                         'baseline'),
                            'app': timed['app'],
                            'baseline': timed['baseline'],
                        })
    return results


class _StatementCounter:
    """Count the statements SQLite itself runs, on every pooled connection.

    Counted by SQLite's trace hook, below SQLAlchemy and below the sql
    driver's DBAPI read path: every SELECT, BEGIN or ping is seen.
    """

    def __init__(self):
        self.count = 0
        self._traced = []

    def __enter__(self):
        sa.event.listen(sa.pool.Pool, 'checkout', self._trace)
        return self

    def __exit__(self, *exc):
        sa.event.remove(sa.pool.Pool, 'checkout', self._trace)
        for dbapi_connection in self._traced:
            dbapi_connection.set_trace_callback(None)

    def _trace(self, dbapi_connection, record, proxy):
        if dbapi_connection not in self._traced:
            dbapi_connection.set_trace_callback(self._count)
            self._traced.append(dbapi_connection)

    def _count(self, statement):
        self.count += 1


def _queries_per_call(func, calls=10):
    with _StatementCounter() as counter:
        for _ in range(calls):
            func()
    return counter.count / calls


def scaling_ports(quick=False):
    """Measurement 3a: list and show cost against the inventory size."""
    sizes = (10, 1000, 20000) if quick else (10, 1000, 100000)
    if timing.smoke():
        sizes = (10, 100)
    rounds = 3 if quick else 9
    min_round = 0.03 if quick else 0.1
    results = []
    for driver in DRIVERS:
        for size in sizes:
            inv = env.make_inventory(ports=size, attached=2)
            # The shown port is the last attached one; the inventory's
            # other ports are free ports of the same project and network.
            port = inv.ports[1].id
            with env.service(driver, inv) as app:
                # The code path alone: the log line does not depend on
                # the inventory, and its file adds noise.
                env.set_access_log(False)
                for op, path in (('list', env.list_path()),
                                 ('show', env.show_path(port))):
                    call = _get(app, path, '2.70')
                    _check(call())
                    timed = timing.per_call_us(call, rounds=rounds,
                                               min_round=min_round)
                    entry = {'driver': driver, 'ports': size, 'op': op,
                             'us': timed['us'], 'timing': timed}
                    if driver == 'sql':
                        entry['queries'] = _queries_per_call(call)
                    results.append(entry)
    for entry in results:
        ref = next(e for e in results if e['driver'] == entry['driver'] and
                   e['op'] == entry['op'] and e['ports'] == sizes[0])
        # Sizes cannot share interleaved rounds (each is its own app), so
        # they are compared by their best round, which a busy spell of the
        # machine can only make slower, never faster.
        entry['ratio_to_smallest'] = (entry['timing']['min_us'] /
                                      ref['timing']['min_us'])
    return results


def scaling_attachments(quick=False):
    """Measurement 3b: list cost against the attachments of one server."""
    counts = (1, 10, 100) if quick else (1, 10, 100, 500)
    if timing.smoke():
        counts = (1, 10)
    rounds = 3 if quick else 5
    min_round = 0.05 if quick else 0.1
    results = []
    for driver in DRIVERS:
        for count in counts:
            inv = env.make_inventory(ports=count, attached=count)
            with env.service(driver, inv) as app:
                env.set_access_log(False)
                call = _get(app, env.list_path(), '2.70')
                body = json.loads(_check(call()))
                assert len(body['interfaceAttachments']) == count
                timed = timing.per_call_us(call, rounds=rounds,
                                           min_round=min_round)
                entry = {'driver': driver, 'attachments': count,
                         'us': timed['us'], 'timing': timed}
                if driver == 'sql':
                    entry['queries'] = _queries_per_call(call)
                results.append(entry)
    for driver in DRIVERS:
        rows = [e for e in results if e['driver'] == driver]
        # Least-squares line through the points; linear means the points
        # sit on it (r^2 close to 1), whatever the fixed cost is.
        xs = [e['attachments'] for e in rows]
        ys = [e['us'] for e in rows]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y)
                    for x, y in zip(xs, ys)) / sxx
        intercept = mean_y - slope * mean_x
        ss_res = sum((y - (intercept + slope * x)) ** 2
                     for x, y in zip(xs, ys))
        ss_tot = sum((y - mean_y) ** 2 for y in ys)
        for entry in rows:
            entry['us_per_attachment'] = slope
            entry['fixed_us'] = intercept
            entry['r_squared'] = 1 - ss_res / ss_tot if ss_tot else 1.0
    return results
