#!/usr/bin/env python3
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
"""Prepare this machine for the test suite (run by ``make test``).

1. The Debian packages of ``bindep.txt``: installed with apt-get when this
   runs as root on a machine that has it; elsewhere the missing ones are
   named and the tests that need them skip (or fail under ``CI=true``).
2. The ``libvirt-qemu`` user and group, as root, when QEMU is installed:
   libvirt looks that user up before reading any qemu.conf, also with an
   embedded QEMU driver, and only Debian's ``libvirt-daemon-system``
   (which wants systemd) would create it.
3. The virtualenvs of the real services the tests start (Keystone, Neutron,
   Nova, the ``openstack`` CLI), one per file in
   ``tests/services/requirements``, built once and cached by the hash of
   that file (see :mod:`tests.services.venvs`).

Standard library only: it runs before any virtualenv exists.
"""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.services import venvs  # noqa: E402


def bindep_packages():
    """The package names of bindep.txt (first word of each entry)."""
    names = []
    with open(os.path.join(ROOT, 'bindep.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                names.append(line.split()[0])
    return names


def missing_packages(names):
    missing = []
    for name in names:
        status = subprocess.run(
            ['dpkg-query', '-W', '-f=${Status}', name],
            capture_output=True, text=True).stdout
        if 'install ok installed' not in status:
            missing.append(name)
    return missing


def install_packages():
    if shutil.which('dpkg-query') is None:
        print('test-setup: not a Debian system; install the packages of '
              'bindep.txt yourself')
        return
    missing = missing_packages(bindep_packages())
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which('apt-get') is None:
        print('test-setup: missing Debian packages (the tests that need '
              'them will skip): apt-get install %s' % ' '.join(missing))
        return
    print('test-setup: installing %s' % ' '.join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'update', '-qq'], check=True, env=env)
    subprocess.run(['apt-get', 'install', '-y', '-qq',
                    '--no-install-recommends'] + missing,
                   check=True, env=env, stdout=subprocess.DEVNULL)


def create_qemu_user():
    if os.geteuid() != 0 or shutil.which('qemu-system-x86_64') is None:
        return
    if subprocess.run(['getent', 'passwd', 'libvirt-qemu'],
                      capture_output=True).returncode == 0:
        return
    print('test-setup: creating the libvirt-qemu user', flush=True)
    if subprocess.run(['getent', 'group', 'libvirt-qemu'],
                      capture_output=True).returncode != 0:
        subprocess.run(['groupadd', '-r', 'libvirt-qemu'], check=True)
    subprocess.run(['useradd', '-r', '-g', 'libvirt-qemu', '-d',
                    '/var/lib/libvirt', '-s', '/usr/sbin/nologin',
                    'libvirt-qemu'], check=True)


def main():
    install_packages()
    create_qemu_user()
    for name in venvs.names():
        venvs.build(name)


if __name__ == '__main__':
    main()
