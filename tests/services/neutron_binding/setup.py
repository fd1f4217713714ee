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
"""Packaging of the test mechanism driver, installed into Neutron's venv.

The version is given by tests/services/neutron.py (the hash of the
driver's source), so an edited driver is installed again.
"""

import os

import setuptools

setuptools.setup(
    name='nai-test-binding',
    version=os.environ['NAI_TEST_BINDING_VERSION'],
    py_modules=['nai_test_binding'],
    entry_points={'neutron.ml2.mechanism_drivers': [
        'nai_test_binding = nai_test_binding:BindEverything']},
)
