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
"""``bench/run.py --smoke``: the keystone row and the rows after it run,
and the hypervisor latency section on real QEMU.

The in-process sections share one Python process, so one that leaves
process-wide state behind breaks every section after it: the keystone
row's keystonemiddleware options (a required ``auth_url``) once made the
scaling rows fail to start, and ``make bench`` stopped there. This runs
the keystone row against the real Keystone and then the scaling rows,
one tiny round each (the figures mean nothing), and checks that each
wrote its rows and the summary. Bounded by Keystone's start (~40 s on a
loaded 2-core machine). ``make bench-smoke`` runs every section so.
"""

import json
import os
import subprocess
import sys
import tempfile

from oslotest import base

from tests.services import venvs
from tests.unit import sql_backends

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SECTIONS = 'keystone,scaling'
# Under the test runner's own timeout (OS_TEST_TIMEOUT, 160 s).
TIMEOUT = 140

# Found at import: the test base gives each test a temporary HOME, where
# the cache of virtualenvs is not.
CACHE = venvs.cache_dir()
KEYSTONE = venvs.ready('keystone')


class TestBenchSmoke(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        missing = []
        for module in ('matplotlib', 'psutil'):
            try:
                __import__(module)
            except ImportError:
                missing.append(module)
        why = None
        if missing:
            why = ('%s not installed (pip install -r bench/requirements.txt)'
                   % ', '.join(missing))
        elif KEYSTONE is None:
            # Without it the row falls back to keystonemiddleware's
            # fixture, which registers no required option: the case this
            # test is for would not be run.
            why = venvs.missing_message('keystone')
        if why:
            sql_backends.skip_or_fail(self, why)

    def test_keystone_row_then_scaling_rows(self):
        results = tempfile.mkdtemp(prefix='nai-bench-smoke-')
        self.addCleanup(subprocess.run, ['rm', '-rf', results])
        proc = subprocess.run(
            [sys.executable, os.path.join(REPO, 'bench', 'run.py'),
             '--smoke', '--only', SECTIONS, '--results', results],
            cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
            env=dict(os.environ, NOVA_ATTACH_IFACES_CACHE=CACHE))
        self.assertEqual(0, proc.returncode,
                         proc.stdout[-3000:] + proc.stderr[-3000:])
        for name in ('keystone', 'scaling_ports', 'scaling_attachments'):
            with open(os.path.join(results, name + '.json')) as f:
                self.assertTrue(json.load(f)['results'], name)
        with open(os.path.join(results, 'keystone.json')) as f:
            row, = json.load(f)['results']
        self.assertEqual('Keystone (real), cached token', row['validated_by'])
        with open(os.path.join(results, 'summary.md')) as f:
            summary = f.read()
        for heading in ('## Targets', '## Through the keystone pipeline',
                        '## Scaling: inventory size',
                        '## Scaling: attachments of one server'):
            self.assertIn(heading, summary)


class TestHypervisorBenchSmoke(base.BaseTestCase):
    """The hypervisor latency section, one tiny round on real QEMU."""

    def setUp(self):
        super().setUp()
        from tests.services import qemu
        from tests.services import rabbitmq

        why = qemu.probe()
        if why is None:
            for module in ('matplotlib', 'psutil'):
                try:
                    __import__(module)
                except ImportError:
                    why = ('%s not installed (pip install -r '
                           'bench/requirements.txt)' % module)
        if why:
            sql_backends.skip_or_fail(self, why)
        # The agents case needs the broker: without it, not every case
        # would be shown to run.
        rabbitmq.BROKER.require(self)

    def test_every_case_runs_and_is_summarised(self):
        results = tempfile.mkdtemp(prefix='nai-bench-smoke-')
        self.addCleanup(subprocess.run, ['rm', '-rf', results])
        proc = subprocess.run(
            [sys.executable, os.path.join(REPO, 'bench', 'run.py'),
             '--smoke', '--only', 'hypervisor', '--results', results],
            cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(0, proc.returncode,
                         proc.stdout[-3000:] + proc.stderr[-3000:])
        with open(os.path.join(results, 'hypervisor.json')) as f:
            data = json.load(f)['results']
        self.assertEqual({}, data['skipped'])
        self.assertEqual(['agents', 'direct', 'libvirt', 'store'],
                         sorted(data['cases']))
        for case in data['cases'].values():
            for op in ('attach', 'detach'):
                self.assertEqual(data['rounds'], case[op]['n'])
        with open(os.path.join(results, 'summary.md')) as f:
            summary = f.read()
        self.assertIn('## Hypervisor latency', summary)
        for row in ('attach through the libvirt driver',
                    'detach through the agents driver'):
            self.assertIn(row, summary)
