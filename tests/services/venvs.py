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
"""Cached virtualenvs of the real services the tests run.

Keystone, Neutron, Nova and the ``openstack`` CLI each get a virtualenv of
their own (their pins must not leak into ours), described by one pip
requirements file in ``tests/services/requirements/NAME.txt``. A venv is
built once, by ``tools/test-setup.py`` (``make test`` runs it), under
``$NOVA_ATTACH_IFACES_CACHE`` (default ``~/.cache/nova-attach-ifaces``),
in a folder named after the hash of its requirements file: changing the
pins builds a new one, and a machine that kept the cache reuses it.

Standard library only: ``tools/test-setup.py`` imports it before any
virtualenv exists.
"""

import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, 'requirements')


def cache_dir():
    return os.environ.get('NOVA_ATTACH_IFACES_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'nova-attach-ifaces')


def names():
    if not os.path.isdir(REQUIREMENTS):
        return []
    return sorted(f[:-4] for f in os.listdir(REQUIREMENTS)
                  if f.endswith('.txt'))


def _requirements(name):
    return os.path.join(REQUIREMENTS, name + '.txt')


def path(name):
    """Where the venv of ``name`` is (built or not)."""
    with open(_requirements(name), 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return os.path.join(cache_dir(), 'venvs', '%s-%s' % (name, digest))


def ready(name):
    """The venv's path if it is built, else None."""
    venv = path(name)
    return venv if os.path.exists(os.path.join(venv, '.complete')) else None


def missing_message(name):
    return ('the %s virtualenv is not built: run "python3 tools/test-setup.py"'
            ' (make test does) to build it from %s'
            % (name, os.path.relpath(_requirements(name))))


def build(name, python=sys.executable):
    """Build the venv of ``name`` unless it is there; return its path."""
    venv = path(name)
    if ready(name):
        return venv
    print('test-setup: building the %s virtualenv (once per machine)' % name,
          flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, '-m', 'venv', venv], check=True)
    pip = [os.path.join(venv, 'bin', 'pip'), 'install', '--quiet',
           '--disable-pip-version-check']
    subprocess.run(pip + ['--upgrade', 'pip'], check=True)
    subprocess.run(pip + ['-r', _requirements(name)], check=True)
    open(os.path.join(venv, '.complete'), 'w').close()
    return venv
