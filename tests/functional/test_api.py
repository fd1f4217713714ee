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
"""

import os
import unittest

from gabbi import driver

from tests.functional import fixtures

GABBITS = os.path.join(os.path.dirname(__file__), 'gabbits')

# memory: the inventory in the process; sql: SQLite, a new database file
# per YAML file.
DRIVERS = ('memory', 'sql')


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for name in DRIVERS:
        suite.addTest(driver.build_tests(
            GABBITS, loader, host=None,
            test_loader_name='%s.%s' % (__name__, name),
            intercept=fixtures.setup_app,
            fixture_module=fixtures.fixtures_for_driver(name)))
    return suite
