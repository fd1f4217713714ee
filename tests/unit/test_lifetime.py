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
"""The app's compute drivers are closed when the process stops."""

import gc
import os
import subprocess
import sys
import textwrap

import fixtures
from oslo_config import fixture as config_fixture
import testtools

from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf
from nova_attach_ifaces import wsgi

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


class RecordingDriver(memory.MemoryDriver):
    """The memory driver, noting when it is closed."""

    closed = None

    def close(self):
        self.closed.append(self)
        super().close()


class BrokenDriver(memory.MemoryDriver):
    tried = False

    def close(self):
        self.tried = True
        raise RuntimeError('cannot close')


class TestLifetime(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.mark = lifetime.mark()
        self.addCleanup(lifetime.close_all, self.mark)
        self.closed = []

    def driver(self):
        drv = RecordingDriver(conf.CONF)
        drv.closed = self.closed
        return drv

    def test_closed_last_owned_first_and_once(self):
        first, second = self.driver(), self.driver()
        self.assertIs(first, lifetime.own(first))
        lifetime.own(second)
        lifetime.close_all(self.mark)
        self.assertEqual([second, first], self.closed)
        lifetime.close_all(self.mark)
        self.assertEqual([second, first], self.closed)

    def test_only_those_owned_since_the_mark(self):
        before = lifetime.own(self.driver())
        mark = lifetime.mark()
        after = lifetime.own(self.driver())
        lifetime.close_all(mark)
        self.assertEqual([after], self.closed)
        lifetime.close_all(self.mark)
        self.assertEqual([after, before], self.closed)

    def test_a_failing_close_does_not_stop_the_others(self):
        first = lifetime.own(self.driver())
        broken = lifetime.own(BrokenDriver(conf.CONF))
        lifetime.close_all(self.mark)
        self.assertTrue(broken.tried)
        self.assertEqual([first], self.closed)

    def test_a_dropped_driver_is_not_kept_alive(self):
        lifetime.own(self.driver())
        gc.collect()
        lifetime.close_all(self.mark)
        # Nothing was left to close: the list held it weakly.
        self.assertEqual([], self.closed)

    def test_the_apps_driver_is_owned(self):
        self.useFixture(config_fixture.Config(conf.CONF))
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        conf.CONF.set_override('auth_strategy', 'noauth2', 'api')
        conf.CONF.set_override('driver', 'memory', 'compute')
        mark = lifetime.mark()
        app = wsgi.load_app(conf.CONF)
        self.assertEqual(mark + 1, lifetime.mark())
        del app

    def test_closed_at_process_exit(self):
        # What uwsgi, gunicorn and mod_wsgi rely on: a normal exit runs the
        # atexit hook.
        marker = self.useFixture(fixtures.TempDir()).join('closed')
        script = textwrap.dedent('''
            from nova_attach_ifaces.api import lifetime

            class Driver:
                def close(self):
                    open(%r, 'w').write('closed')

            driver = lifetime.own(Driver())
        ''' % marker)
        subprocess.run([sys.executable, '-c', script], cwd=REPO, check=True,
                       env=dict(os.environ, PYTHONPATH=REPO))
        with open(marker) as f:
            self.assertEqual('closed', f.read())
