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
"""Run the reliability checks and write their figures to Markdown.

::

    python -m tests.reliability.report [--examples N] [--soak-seconds S]
        [--crash-seconds S] [--output PATH]

(or ``make reliability``, which runs it in ``tox -e reliability``) runs
``tests.reliability`` with stestr, serially: the hypothesis fuzz of the
keystone pipeline, fault injection, the security checks, the soak with two
gunicorn workers on PostgreSQL and MariaDB, the crash durability runs on
PostgreSQL, MariaDB and SQLite, and the database outage runs (the database
behind a TCP proxy stopped and restarted mid-load) on PostgreSQL and
MariaDB. The tests write their figures (examples, operations, conflicts,
errors, crashes survived, 503s) to a temporary directory; this collects
them into ``tests/reliability/RESULTS.md`` (or ``--output``), with the
outcome of every test. The exit status is the test run's.

PostgreSQL must be running on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306
(see :mod:`tests.unit.sql_backends`); with ``CI=true`` their tests fail
rather than skip when they are not.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

from tests.reliability import common

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_OUTPUT = os.path.join(ROOT, 'tests', 'reliability', 'RESULTS.md')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--examples', type=int, default=5000,
                        help='hypothesis examples in all (default 5000)')
    parser.add_argument('--soak-seconds', type=float, default=20,
                        help='length of each soak (default 20)')
    parser.add_argument('--crash-seconds', type=float, default=12,
                        help='length of each crash and outage run '
                             '(default 12)')
    parser.add_argument('--output', default=DEFAULT_OUTPUT,
                        help='Markdown file to write (default %(default)s)')
    return parser.parse_args(argv)


def run_tests(args, results_dir):
    environ = dict(os.environ)
    environ.update({
        common.RESULTS_ENV: results_dir,
        'NOVA_ATTACH_IFACES_FUZZ_EXAMPLES': str(args.examples),
        'NOVA_ATTACH_IFACES_SOAK_SECONDS': str(args.soak_seconds),
        'NOVA_ATTACH_IFACES_CRASH_SECONDS': str(args.crash_seconds),
    })
    started = datetime.datetime.now(datetime.timezone.utc)
    process = subprocess.run(
        [sys.executable, '-m', 'stestr', 'run', '--serial',
         'tests.reliability'],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(process.stdout[-4000:])
    totals = {name.lower(): int(n) for name, n in re.findall(
        r'^ - (Passed|Failed|Skipped): (\d+)$', process.stdout, re.M)}
    return process.returncode, totals, started


def load(results_dir):
    figures = {}
    for name in sorted(os.listdir(results_dir)):
        if name.endswith('.json'):
            with open(os.path.join(results_dir, name)) as f:
                figures[name[:-5]] = json.load(f)
    return figures


def _commit():
    try:
        return subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def _statuses(counts):
    return ', '.join('%s: %d' % (status, n)
                     for status, n in sorted(counts.items()))


def render(args, figures, returncode, totals, started):
    fuzz = {k[5:]: v for k, v in figures.items() if k.startswith('fuzz-')}
    runs = [(k, v) for k, v in figures.items()
            if k.startswith(('soak-', 'crash-'))]
    examples = sum(f['examples'] for f in fuzz.values())
    fuzz_5xx = sum(n for f in fuzz.values()
                   for s, n in f['statuses'].items() if s.startswith('5'))
    lines = [
        '# Reliability figures',
        '',
        'Written by `python -m tests.reliability.report` (`make '
        'reliability`) on %s, commit %s, Python %s, %d CPUs.' % (
            started.strftime('%Y-%m-%d %H:%M UTC'), _commit(),
            platform.python_version(), os.cpu_count() or 0),
        '',
        'Test run: **%s** (%d passed, %d failed, %d skipped).' % (
            'passed' if returncode == 0 else 'FAILED',
            totals.get('passed', 0), totals.get('failed', 0),
            totals.get('skipped', 0)),
        '',
        '## Hostile input (hypothesis, keystone pipeline, real tokens)',
        '',
        '%d examples in all, %d answered 5xx.' % (examples, fuzz_5xx),
        '',
        '| test | examples | seconds | statuses |',
        '|---|---:|---:|---|',
    ]
    for name, f in sorted(fuzz.items()):
        lines.append('| %s | %d | %.1f | %s |' % (
            name, f['examples'], f['seconds'], _statuses(f['statuses'])))
    lines += [
        '',
        '## Concurrency soak and crash durability (gunicorn, 2 workers)',
        '',
        '| run | backend | seconds | clients | operations | conflicts '
        '(409) | 5xx | answers lost | crashes survived | problems |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for name, f in runs:
        lines.append('| %s | %s | %.1f | %d | %d | %d | %d | %d | %d | %d |'
                     % (name, f['backend'], f['seconds'], f['clients'],
                        f['operations'], f['conflicts'], f['server_errors'],
                        f['unknown_outcome'], f['crashes_survived'],
                        f['problems']))
    outages = [(k, v) for k, v in figures.items()
               if k.startswith('outage-')]
    lines += [
        '',
        '## Database outage (TCP proxy stopped and restarted mid-load, '
        'gunicorn, 2 workers)',
        '',
        '| run | backend | seconds | operations | outage (s) | 503 '
        '| other 5xx | answers lost | first success after (s) '
        '| 503 after recovery | same workers | problems |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ]
    for name, f in outages:
        lines.append(
            '| %s | %s | %.1f | %d | %.1f | %d | %d | %d | %s | %d | %s '
            '| %d |' % (
                name, f['backend'], f['seconds'], f['operations'],
                f['outage_seconds'], f['unavailable'],
                f['other_server_errors'], f['unknown_outcome'],
                f['recovered_in'], f['late_unavailable'],
                'yes' if f.get('same_workers') else 'no', f['problems']))
    lines += ['', 'Operations by kind and status:', '']
    for name, f in runs + outages:
        lines.append('- %s: %s; statuses %s' % (
            name, ', '.join('%s %d' % kv for kv in sorted(
                f['by_kind'].items())), _statuses(f['statuses'])))
    lines += [
        '',
        'Answers lost are requests in flight when a worker or the server '
        'was SIGKILLed: their outcome is unknown to the client, and the '
        'checks accept either outcome but never a half-applied one. In '
        'the outage runs a 503 is such an outcome too (the connection may '
        'drop after the database committed); every 2xx answer, before and '
        'after the outage, is checked to be in the store.',
        '',
    ]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix='nai-reliability-') as tmp:
        returncode, totals, started = run_tests(args, tmp)
        figures = load(tmp)
    text = render(args, figures, returncode, totals, started)
    with open(args.output, 'w') as f:
        f.write(text)
    print('\nWrote %s' % args.output)
    return returncode


if __name__ == '__main__':
    sys.exit(main())
