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
"""Load the gabbi YAML files in ``gabbits/`` as tests, once per driver.

Every file runs against each compute driver below: an API user must not be
able to tell which one serves them. A test's id names its driver, e.g.
``tests.functional.test_api.sql.attach_attach_by_network``.

On ``libvirt`` (real embedded QEMU: the inventory's servers are domains,
its ports and networks in the ``sql`` network backend) the files of
:data:`LIBVIRT_GABBITS` run: those whose answers depend on the driver
(list, show, attach and detach, the interface limit, address exhaustion,
no network). The others do not apply or add nothing there:

* ``server-state``, ``servers``, ``validation`` and ``vm-states`` use
  servers that are ``building``, have a task running, or are ``rescued``,
  ``shelved``, ``error``...: states no libvirt domain can be put in
  (Nova's own bookkeeping, not the hypervisor's), so their fixtures leave
  those servers out and the files' expectations would not hold;
* the others (versions, microversions, content types, HTTP, policy and
  project-id routing) are answered by the API layer before any driver
  call, the same on every driver; memory and sql run them.
"""

import os
import unittest

from gabbi import driver

from tests.functional import fixtures

GABBITS = os.path.join(os.path.dirname(__file__), 'gabbits')

# memory: the inventory in the process; sql: SQLite, a new database file
# per YAML file; libvirt: domains of the process's embedded QEMU, made
# again for each YAML file.
DRIVERS = ('memory', 'sql', 'libvirt')

#: The files that run on ``libvirt`` (see the module docstring).
LIBVIRT_GABBITS = frozenset({
    'attach', 'attach-no-network', 'detach', 'interfaces', 'limits',
    'no-more-fixed-ips'})


def _file_suites(suite):
    """{file name: the suite of its tests} of gabbi's ``build_tests``."""
    files = {}
    for file_suite in suite:
        for test in file_suite:
            files[test.test_base_name] = file_suite
            break
    return files


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for name in DRIVERS:
        built = driver.build_tests(
            GABBITS, loader, host=None,
            test_loader_name='%s.%s' % (__name__, name),
            intercept=fixtures.setup_app,
            fixture_module=fixtures.fixtures_for_driver(name))
        if name == 'libvirt':
            built = unittest.TestSuite(
                file_suite for file_name, file_suite in sorted(
                    _file_suites(built).items())
                if file_name in LIBVIRT_GABBITS)
        suite.addTest(built)
    return suite
