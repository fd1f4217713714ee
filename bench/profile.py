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
"""Profiles of one request kind, for bench/results/notes.md (not a row).

Usage, from the repository root in the bench virtualenv::

    python -m bench.profile cprofile memory-list [--calls 2000]
    python -m bench.profile count memory-list sql-show baseline-list

``cprofile`` prints the functions with the most own time and the most
time below them, over ``--calls`` requests after a warm-up. ``count``
runs each case under valgrind's callgrind and prints the instructions per
request. Instruction counts barely move when other jobs load the machine,
so on a shared machine they are what a change is judged by (its wall
time is measured by bench/run.py's interleaved rounds). Only the measured
requests are counted: they run inside one ``functools.reduce`` call, and
callgrind collects only inside that C function
(``--toggle-collect=functools_reduce``); start-up and warm-up are not.

Cases: ``DRIVER-OP`` with DRIVER ``memory`` or ``sql`` (SQLite) and OP
``list`` or ``show``, version 2.70, dev noauth2 pipeline, the access log
written to a file as by default (``-nolog`` appended: turned off); and
``baseline-list``/``baseline-show``, the bare app of bench/baseline.py
with the same body.
"""

import argparse
import cProfile
import functools
import os
import pstats
import re
import subprocess
import sys
import tempfile

from bench import baseline
from bench import env

VERSION = '2.70'


def _calls(case):
    """(call, cleanup) for ``case``."""
    kind, op = case.split('-')[:2]
    access_log = not case.endswith('-nolog')
    inv = env.make_inventory(ports=10, attached=2)
    paths = {'list': env.list_path(), 'show': env.show_path(inv.ports[0].id)}
    svc = env.Service('memory' if kind == 'baseline' else kind, inv,
                      log=access_log)
    app = svc.start()
    body = env.request(app, 'GET', paths[op], VERSION).body
    if kind == 'baseline':
        app = baseline.make_app({op: body})
    env.set_access_log(access_log)

    def call():
        resp = env.request(app, 'GET', paths[op], VERSION)
        assert resp.body == body
    return call, svc.stop


def cprofile(case, calls, top):
    call, stop = _calls(case)
    try:
        for _ in range(200):
            call()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(calls):
            call()
        profile.disable()
    finally:
        stop()
    stats = pstats.Stats(profile)
    stats.strip_dirs()
    print('# %s: %d requests, %.0f us each under cProfile'
          % (case, calls, stats.total_tt / calls * 1e6))
    for key in ('tottime', 'cumulative'):
        stats.sort_stats(key).print_stats(top)


def _count_inner(case, calls):
    call, stop = _calls(case)
    try:
        for _ in range(200):
            call()
        # Collected by callgrind: what runs inside this one C call.
        functools.reduce(lambda _, __: call(), range(calls), None)
    finally:
        stop()


def count(case, calls, top):
    """Instructions per request of ``case``, counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix='nai-callgrind-') as tmp:
        out = os.path.join(tmp, 'callgrind.out')
        subprocess.run(
            ['valgrind', '--tool=callgrind', '--collect-atstart=no',
             '--toggle-collect=functools_reduce',
             '--callgrind-out-file=' + out, sys.executable, '-m',
             'bench.profile', '_count_inner', case, '--calls', str(calls)],
            check=True, capture_output=True,
            env=dict(os.environ, PYTHONHASHSEED='0'))
        annotated = subprocess.run(
            ['callgrind_annotate', out],
            check=True, capture_output=True, text=True).stdout
    total = int(re.search(r'^([\d,]+) \(100.0%\)\s+PROGRAM TOTALS', annotated,
                          re.M).group(1).replace(',', ''))
    print('%s: %d instructions per request (%d requests)'
          % (case, total // calls, calls), flush=True)
    if top:
        rows = [line for line in annotated.splitlines()
                if re.match(r'\s*[\d,]+ \(\s*[\d.]+%\)\s+\S', line)]
        print("\n".join(rows[1:top + 1]))
    return total / calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('mode', choices=('cprofile', 'count',
                                         '_count_inner'))
    parser.add_argument('cases', nargs='+')
    parser.add_argument('--calls', type=int, default=None)
    parser.add_argument('--top', type=int, default=25,
                        help='entries to print (count: the C functions '
                             'with the most own instructions; 0: none)')
    args = parser.parse_args()
    for case in args.cases:
        if args.mode == 'cprofile':
            cprofile(case, args.calls or 2000, args.top)
        elif args.mode == 'count':
            count(case, args.calls or 300, min(args.top, 12))
        else:
            _count_inner(case, args.calls)


if __name__ == '__main__':
    main()
