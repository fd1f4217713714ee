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
"""The plugin loader, through real entry points of an installed package.

Each test installs a throw-away distribution (a ``.dist-info`` with its
``entry_points.txt`` and a module) in a new directory on ``sys.path``, so
that stevedore finds it as it finds any installed plugin. stevedore's
file cache is keyed on ``sys.path``, so the new directory means a fresh
scan; its in-process cache (``ExtensionManager.ENTRY_POINT_CACHE``, per
group) is emptied before and after each test: nothing cached earlier can
make these tests pass, and no other test sees these plugins.
"""

import importlib
import os
import sys
import textwrap
import uuid

import fixtures
from oslo_config import cfg
from oslotest import base
from stevedore import extension
import yaml

from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf as nai_conf

MODULE = '''
from nova_attach_ifaces.compute import hosted
from nova_attach_ifaces.network import backend


class NotADriver:
    def __init__(self, conf):
        raise AssertionError('must not be instantiated')


class NotABackend(NotADriver):
    pass


class Backend(backend.NetworkBackend):
    show_port = list_ports = bind_port = create_port = None
    unbind_port = delete_port = None


class Hosted(hosted.HostedDriver):
    def __init__(self, conf):
        super().__init__(conf, None, Backend(conf))
'''

ENTRY_POINTS = '''
[nova_attach_ifaces.compute_drivers]
not-a-driver = {module}:NotADriver
hosted = {module}:Hosted
[nova_attach_ifaces.network_backends]
not-a-backend = {module}:NotABackend
good = {module}:Backend
'''


class TestLoader(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        where = self.useFixture(fixtures.TempDir()).path
        # A module name of its own per test: sys.modules outlives the test.
        self.module = 'nai_test_plugins_%s' % os.path.basename(where)[-8:]
        self.module = ''.join(c if c.isalnum() else '_' for c in self.module)
        with open(os.path.join(where, self.module + '.py'), 'w') as f:
            f.write(MODULE)
        info = os.path.join(where, 'nai_test_plugins-1.0.dist-info')
        os.mkdir(info)
        with open(os.path.join(info, 'METADATA'), 'w') as f:
            f.write('Metadata-Version: 2.1\nName: nai-test-plugins\n'
                    'Version: 1.0\n')
        with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
            f.write(textwrap.dedent(ENTRY_POINTS.format(module=self.module)))
        self.useFixture(fixtures.MonkeyPatch('sys.path',
                                             [where] + sys.path))
        # The import system's directory listings may predate the files.
        importlib.invalidate_caches()
        self._forget_entry_points()
        self.addCleanup(self._forget_entry_points)
        self.addCleanup(sys.modules.pop, self.module, None)
        self.conf = cfg.ConfigOpts()
        nai_conf.register_opts(self.conf)
        self.conf([], project='nova-attach-ifaces', default_config_files=[],
                  default_config_dirs=[])
        self.where = where

    @staticmethod
    def _forget_entry_points():
        for group in (loader.NAMESPACE, loader.NETWORK_NAMESPACE):
            extension.ExtensionManager.ENTRY_POINT_CACHE.pop(group, None)

    def test_installed_backend_is_loaded(self):
        self.conf.set_override('backend', 'good', group='network')
        loaded = loader.load_network_backend(self.conf)
        self.assertEqual('%s.Backend' % self.module,
                         '%s.%s' % (type(loaded).__module__,
                                    type(loaded).__name__))

    def test_class_that_is_not_a_backend_is_refused(self):
        self.conf.set_override('backend', 'not-a-backend', group='network')
        e = self.assertRaises(loader.NotAPlugin,
                              loader.load_network_backend, self.conf)
        self.assertEqual(
            "[network] backend = not-a-backend names {m}.NotABackend (entry "
            "point '{m}:NotABackend' of group "
            "nova_attach_ifaces.network_backends), which is not a "
            "nova_attach_ifaces.network.backend.NetworkBackend subclass; a "
            "network backend must be one.".format(m=self.module), str(e))

    def test_class_that_is_not_a_driver_is_refused(self):
        self.conf.set_override('driver', 'not-a-driver', group='compute')
        e = self.assertRaises(loader.NotAPlugin, loader.load_driver,
                              self.conf)
        self.assertIn('[compute] driver = not-a-driver names %s.NotADriver'
                      % self.module, str(e))
        self.assertIn('not a nova_attach_ifaces.compute.driver.ComputeDriver '
                      'subclass; a compute driver must be one.', str(e))

    def test_unknown_names(self):
        self.conf.set_override('driver', 'nope', group='compute')
        e = self.assertRaises(loader.PluginNotFound, loader.load_driver,
                              self.conf)
        self.assertEqual(
            "No compute driver named 'nope' is installed (entry-point group "
            "nova_attach_ifaces.compute_drivers); check [compute] driver.",
            str(e))
        self.conf.set_override('backend', 'nope', group='network')
        self.assertRaises(loader.PluginNotFound,
                          loader.load_network_backend, self.conf)

    def test_built_in_plugins(self):
        self.assertIsInstance(loader.load_driver(self.conf),
                              memory.MemoryDriver)

    def test_servers_of_a_hypervisor_refuse_inventory_servers(self):
        path = os.path.join(self.where, 'inventory.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump({'servers': [{'id': str(uuid.uuid4()),
                                        'project_id': 'p'}]}, f)
        self.conf.set_override('inventory_file', path, group='sql')
        self.conf.set_override('driver', 'hosted', group='compute')
        e = self.assertRaises(inventory.InventoryError, loader.load_driver,
                              self.conf)
        self.assertIn("lists servers, but the servers of compute driver "
                      "'hosted' come from the hypervisor", str(e))
        with open(path, 'w') as f:
            yaml.safe_dump({'networks': []}, f)
        self.assertTrue(loader.load_driver(self.conf).servers_from_hypervisor)
