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
"""A fresh install runs every console script.

The test suite's own virtualenv has the test requirements, which hide a
runtime dependency the package forgets to declare (the manage command once
imported prettytable, which only a test requirement pulled in). So the
package is installed alone, with pip, into a new virtualenv, and each
console script it declares answers ``--help``. The scripts are read from
the installed distribution's entry points, so a new one is covered without
changing this test.
"""

import configparser
import os
import shutil
import subprocess
import sys

import fixtures
from oslotest import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DIST = 'nova-attach-ifaces'
# pip resolves and installs ~60 packages from its cache: well under a
# minute on an idle machine, more on a loaded one.
INSTALL_TIMEOUT = 420
# What building the package reads; copied so that pip builds from a clean
# tree, not from this checkout's build/ and egg-info leftovers.
SOURCES = ('setup.py', 'setup.cfg', 'pyproject.toml', 'requirements.txt',
           'README.rst', 'nova_attach_ifaces', 'etc')
_SCRIPTS = (
    'import importlib.metadata as m; '
    'print("\\n".join(sorted(e.name for e in m.distribution(%r).entry_points '
    'if e.group == "console_scripts")))' % DIST)


def declared_console_scripts():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, 'setup.cfg'))
    lines = parser.get('entry_points', 'console_scripts').splitlines()
    return sorted(line.split('=')[0].strip() for line in lines
                  if line.strip())


class TestFreshInstall(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        # Replaces the suite's per-test alarm: this test installs a venv.
        self.useFixture(fixtures.Timeout(INSTALL_TIMEOUT, gentle=True))
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.venv = os.path.join(self.tmp, 'venv')
        # Nothing of the suite's environment: no config, no PYTHONPATH.
        self.environ = {key: value for key, value in os.environ.items()
                        if not key.startswith(('OS_NOVA_ATTACH_IFACES',
                                               'PYTHON', 'VIRTUAL_ENV'))}
        self.environ['HOME'] = self.tmp
        # pbr takes the version from git otherwise; the copy has no git.
        self.environ['PBR_VERSION'] = '0.0.0'
        self.source = os.path.join(self.tmp, 'source')
        for name in SOURCES:
            path = os.path.join(ROOT, name)
            copy = os.path.join(self.source, name)
            if os.path.isdir(path):
                shutil.copytree(path, copy, ignore=shutil.ignore_patterns(
                    '__pycache__', '*.pyc'))
            else:
                os.makedirs(self.source, exist_ok=True)
                shutil.copy(path, copy)

    def run_ok(self, argv, **kwargs):
        result = subprocess.run(argv, env=self.environ, cwd=self.tmp,
                                capture_output=True, text=True, **kwargs)
        self.assertEqual(
            0, result.returncode,
            '%s failed:\n%s\n%s' % (' '.join(argv), result.stdout,
                                    result.stderr))
        return result.stdout

    def test_every_console_script_answers_help(self):
        self.run_ok([sys.executable, '-m', 'venv', self.venv])
        python = os.path.join(self.venv, 'bin', 'python')
        self.run_ok([python, '-m', 'pip', 'install', '--quiet',
                     '--disable-pip-version-check', self.source])
        scripts = self.run_ok([python, '-c', _SCRIPTS]).split()
        self.assertEqual(declared_console_scripts(), scripts)
        for script in scripts:
            out = self.run_ok([os.path.join(self.venv, 'bin', script),
                               '--help'], timeout=60)
            self.assertIn('usage: %s' % script, out)
