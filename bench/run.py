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

Nothing is installed by this script; missing tools are reported and their
section is skipped.
"""

import argparse
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
SECTIONS = ('inprocess', 'scaling', 'concurrency', 'http', 'writes', 'rss')


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


def _rss(quick):
    runs = []
    plan = [('memory', 10000)] if quick else [('memory', 100000),
                                              ('sql', 20000)]
    for driver, requests in plan:
        out = subprocess.run(
            [sys.executable, '-m', 'bench.rss', driver, str(requests)],
            cwd=REPO, capture_output=True, text=True, check=True,
            env=dict(os.environ, PYTHONPATH=REPO))
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer rounds and sizes (under a minute)')
    parser.add_argument('--only', default=','.join(SECTIONS),
                        help='comma-separated sections: %s'
                             % ', '.join(SECTIONS))
    parser.add_argument('--results', default=RESULTS,
                        help='output directory (default bench/results)')
    args = parser.parse_args(argv)

    missing = _missing_python_modules()
    if missing:
        sys.exit('Missing Python packages: %s. Install them into this '
                 'environment (pip install -r bench/requirements.txt); '
                 'this script installs nothing.' % ', '.join(missing))

    from bench import concurrency
    from bench import httpload
    from bench import inprocess
    from bench import report
    from bench import writes

    os.makedirs(args.results, exist_ok=True)
    sections = [s for s in args.only.split(',') if s]
    started = time.monotonic()
    meta = dict(machine(), quick=args.quick)
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

    if 'inprocess' in sections:
        print('in-process cost per request ...', flush=True)
        save('inprocess', inprocess.per_request(args.quick) +
             inprocess.keystone(args.quick))
    if 'scaling' in sections:
        print('scaling: inventory size ...', flush=True)
        save('scaling_ports', inprocess.scaling_ports(args.quick))
        print('scaling: attachments ...', flush=True)
        save('scaling_attachments',
             inprocess.scaling_attachments(args.quick))
    if 'concurrency' in sections:
        print('concurrent attach+detach ...', flush=True)
        save('concurrency', concurrency.run(args.quick))
    if 'http' in sections:
        print('HTTP with wrk ...', flush=True)
        result = httpload.run(args.quick)
        if result.get('skipped'):
            print('  SKIPPED: %s' % result['skipped'], flush=True)
        save('http', result)
    if 'writes' in sections:
        print('writes: attach + detach on one network, gunicorn ...',
              flush=True)
        save('writes', writes.run(args.quick))
    if 'rss' in sections:
        print('RSS ...', flush=True)
        save('rss', _rss(args.quick))

    report.write(args.results, meta)
    print('summary: %s (%.0fs in all)' % (
        os.path.join(args.results, 'summary.md'),
        time.monotonic() - started))


if __name__ == '__main__':
    main()
