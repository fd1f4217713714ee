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
"""What a reader of the repository can follow.

Nothing points at documents outside the repository (an issue number, a
section of a specification a reader cannot open), and every command the
documentation gives works as written in a fresh clone: ``make TARGET``
names a Makefile target, and tox is run from where ``make`` installs it.
"""

import os
import re
import subprocess

import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# Written so that this file does not match itself.
OUTSIDE_REFERENCES = re.compile(
    r'\b(issue|spec|bug)' r' (section )?#?[0-9]+(\.[0-9]+)*\b|'
    r'/work/' r'shared', re.IGNORECASE)

DOCS = ('README.rst', 'doc', 'etc', 'api-ref', 'releasenotes', 'bench',
        'tests/reliability')


def tracked_files():
    out = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True,
                         text=True)
    if out.returncode != 0:
        return None
    return [f for f in out.stdout.splitlines()
            if not f.endswith(('.png', '.json', '.svg'))]


def read(path):
    try:
        with open(os.path.join(ROOT, path), encoding='utf-8') as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return ''


def makefile_targets():
    text = read('Makefile')
    targets = set(re.findall(r'^([a-z][a-z0-9-]*):', text, re.MULTILINE))
    for line in re.findall(r'^TOX_ENVS = (.*)$', text, re.MULTILINE):
        targets.update(line.split())
    return targets


class TestRepositoryText(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.files = tracked_files()
        if self.files is None:
            self.skipTest('not a git checkout')

    def test_no_references_outside_the_repository(self):
        found = []
        for path in self.files:
            for number, line in enumerate(read(path).splitlines(), 1):
                if OUTSIDE_REFERENCES.search(line):
                    found.append('%s:%d: %s' % (path, number, line.strip()))
        self.assertEqual([], found)

    def doc_lines(self):
        for path in self.files:
            if path.startswith(DOCS) and path.endswith(('.rst', '.md',
                                                        '.sample')):
                for number, line in enumerate(read(path).splitlines(), 1):
                    yield '%s:%d' % (path, number), line

    def test_make_targets_in_the_docs_exist(self):
        targets = makefile_targets()
        self.assertIn('demo', targets)
        missing = []
        for where, line in self.doc_lines():
            for target in re.findall(r'\bmake ([a-z][a-z0-9-]*)', line):
                if target not in targets and target not in ('for', 'sure'):
                    missing.append('%s: make %s' % (where, target))
        self.assertEqual([], missing)

    def test_tox_is_run_from_where_make_installs_it(self):
        bare = [where for where, line in self.doc_lines()
                if re.search(r'(?<![/\w])tox -e', line)]
        self.assertEqual([], bare)

    def test_make_installs_quietly(self):
        # Recent pip prints every build-backend warning with one -q.
        installs = [line for line in read('Makefile').splitlines()
                    if 'pip install' in line]
        self.assertNotEqual([], installs)
        for line in installs:
            self.assertIn('--quiet --quiet', line)
