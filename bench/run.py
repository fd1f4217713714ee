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
"""Run the benchmark suite; write bench/results/*.json, summary.md, plots.

Usage (from the repository root, in the venv with the package and
``bench/requirements.txt`` installed; ``wrk`` from the distribution)::

    python bench/run.py            # the whole suite, about 8 minutes
    python bench/run.py --quick    # 2.70 only, fewer rounds, smaller sizes
    python bench/run.py --only inprocess,scaling
    python bench/run.py --only ""       # summary.md again, from the JSON
    python bench/run.py --smoke --results /tmp/x   # does it run? (no figures)

Nothing is installed by this script; missing tools are reported and their
section is skipped.

A row from a module of its own: add a :class:`Section` to
:data:`SECTIONS` naming ``module:function``; ``function(quick)`` returns
what goes into ``results/NAME.json``. If the module has a
``summarise(data, lines, targets)`` function, the summary calls it (see
:func:`bench.report.write`). ``own_process=True`` runs the function in a
child process (``bench/run.py --child NAME``), for code that leaves
process-wide state behind (options registered on the global
configuration, logging handlers, monkeypatches).
"""

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

RESULTS = os.path.join(REPO, 'bench', 'results')


class Section:
    """One JSON file of results: what measures it, and where it runs."""

    def __init__(self, name, message, target, own_process=False):
        self.name = name
        self.message = message
        self.module, self.function = target.split(':')
        self.own_process = own_process

    def selected(self, only):
        # "--only scaling" selects scaling_ports and scaling_attachments.
        return any(self.name == s or self.name.startswith(s + '_')
                   for s in only)

    def summariser(self):
        summarise = getattr(importlib.import_module(self.module),
                            'summarise', None)
        return (self.name, summarise) if summarise else None

    def run(self, quick):
        if not self.own_process:
            return getattr(importlib.import_module(self.module),
                           self.function)(quick)
        argv = [sys.executable, os.path.abspath(__file__), '--child',
                self.name] + (['--quick'] if quick else [])
        out = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE,
                             text=True, check=True,
                             env=dict(os.environ, PYTHONPATH=REPO))
        *printed, result = out.stdout.strip().splitlines()
        for line in printed:
            print(line, flush=True)
        return json.loads(result)


SECTIONS = (
    Section('inprocess', 'in-process cost per request',
            'bench.inprocess:per_request'),
    # keystonemiddleware registers options on the global configuration
    # that ConfigOpts.reset() keeps (a required auth_url among them).
    Section('keystone', 'in-process list through keystonemiddleware',
            'bench.keystone:run', own_process=True),
    Section('scaling_ports', 'scaling: inventory size',
            'bench.inprocess:scaling_ports'),
    Section('scaling_attachments', 'scaling: attachments',
            'bench.inprocess:scaling_attachments'),
    Section('concurrency', 'concurrent attach+detach',
            'bench.concurrency:run'),
    Section('http', 'HTTP with wrk', 'bench.httpload:run'),
    Section('writes', 'writes: attach + detach on one network, gunicorn',
            'bench.writes:run'),
    Section('rss', 'RSS', 'bench.rss:run'),
    # Global configuration, logging, the embedded QEMU and an agent's RPC
    # server: all left behind in the process that ran them.
    Section('hypervisor', 'hypervisor latency: one NIC on embedded QEMU',
            'bench.hypervisor:run', own_process=True),
)


def _missing_python_modules():
    missing = []
    for module, package in (('matplotlib', 'matplotlib'),
                            ('psutil', 'psutil'),
                            ('nova_attach_ifaces', 'nova-attach-ifaces '
                                                   '(pip install -e .)')):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    return missing


def machine():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = 'unknown'
    return {'nproc': os.cpu_count(), 'cpu': model,
            'python': platform.python_version(),
            'platform': platform.platform(), 'commit': commit,
            'date': time.strftime('%Y-%m-%d %H:%M:%S %Z')}


def _measured_on(results):
    try:
        with open(os.path.join(results, 'inprocess.json')) as f:
            return json.load(f)['machine']
    except (OSError, ValueError, KeyError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer rounds and sizes (under a minute)')
    parser.add_argument('--only', default=','.join(s.name for s in
                                                   SECTIONS),
                        help='comma-separated sections: %s (a prefix '
                             'before "_" selects a group, e.g. scaling)'
                             % ', '.join(s.name for s in SECTIONS))
    parser.add_argument('--smoke', action='store_true',
                        help='one tiny round of every section: checks '
                             'that the suite runs; the figures mean nothing')
    parser.add_argument('--results', default=RESULTS,
                        help='output directory (default bench/results)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.quick = True
        os.environ['NAI_BENCH_SMOKE'] = '1'
    if args.child:
        section = next(s for s in SECTIONS if s.name == args.child)
        section.own_process = False
        print(json.dumps(section.run(args.quick)))
        return

    missing = _missing_python_modules()
    if missing:
        sys.exit('Missing Python packages: %s. Install them into this '
                 'environment (pip install -r bench/requirements.txt); '
                 'this script installs nothing.' % ', '.join(missing))

    from bench import report

    os.makedirs(args.results, exist_ok=True)
    only = [s for s in args.only.split(',') if s]
    unknown = [s for s in only if not any(x.selected([s]) for x in SECTIONS)]
    if unknown:
        parser.error('no such section: %s' % ', '.join(unknown))
    sections = [s for s in SECTIONS if s.selected(only)]
    started = time.monotonic()
    meta = dict(machine(), quick=args.quick, smoke=args.smoke)
    if not sections:
        # Only the summary, again (after editing notes.md): it names the
        # machine and commit of the measurements, not of now.
        meta = _measured_on(args.results) or meta

    def save(name, data):
        with open(os.path.join(args.results, name + '.json'), 'w') as f:
            json.dump({'machine': meta, 'results': data}, f, indent=1,
                      sort_keys=True)
        print('  wrote %s.json (%.0fs)' % (name, time.monotonic() - started),
              flush=True)

    for section in sections:
        print('%s ...' % section.message, flush=True)
        result = section.run(args.quick)
        if isinstance(result, dict) and result.get('skipped') and \
                isinstance(result['skipped'], str):
            print('  SKIPPED: %s' % result['skipped'], flush=True)
        save(section.name, result)

    report.write(args.results, meta,
                 [x for x in (s.summariser() for s in SECTIONS) if x])
    print('summary: %s (%.0fs in all)' % (
        os.path.join(args.results, 'summary.md'),
        time.monotonic() - started))


if __name__ == '__main__':
    main()
