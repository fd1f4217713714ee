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
"""The host map on SQLite and on PostgreSQL: reports, events, and the same
server on two hosts."""

import fixtures
from oslotest import base

from nova_attach_ifaces.agent import hostmap
from nova_attach_ifaces.compute import exception
from tests.unit import sql_backends

S1 = '5e000000-0000-4000-8000-000000000001'
S2 = '5e000000-0000-4000-8000-000000000002'
S3 = '5e000000-0000-4000-8000-000000000003'


class HostMapTests:

    def setUp(self):
        super().setUp()
        self.conf = sql_backends.make_conf(**self.store())
        self.map = hostmap.HostMap(self.conf)
        self.addCleanup(self.map.close)
        self.map.prepare()

    def test_report_replaces_the_hosts_list(self):
        self.assertEqual({}, self.map.report('h1', [S1, S2]))
        self.assertEqual('h1', self.map.host_of(S1))
        self.assertEqual({}, self.map.report('h1', [S2, S3]))
        self.assertRaises(exception.ServerNotFound, self.map.host_of, S1)
        self.assertEqual([S2, S3], self.map.servers_of('h1'))
        # Another host's report leaves h1's rows alone.
        self.map.report('h2', [S1])
        self.assertEqual('h2', self.map.host_of(S1))
        self.assertEqual([S2, S3], self.map.servers_of('h1'))
        self.map.report('h1', [])
        self.assertEqual([], self.map.servers_of('h1'))

    def test_events_add_and_remove(self):
        self.map.add('h1', S1)
        self.map.add('h1', S1)
        self.assertEqual('h1', self.map.host_of(S1))
        self.map.remove('h1', S1)
        self.map.remove('h1', S1)
        self.assertRaises(exception.ServerNotFound, self.map.host_of, S1)

    def test_same_server_on_two_hosts_is_an_error(self):
        self.map.report('h1', [S1, S2])
        self.assertEqual({S1: ['h1']}, self.map.report('h2', [S1]))
        e = self.assertRaises(exception.ServerHostAmbiguous,
                              self.map.host_of, S1)
        self.assertEqual(409, e.code)
        self.assertIn('h1, h2', e.format_message())
        self.assertEqual({S1: ['h2']}, self.map.add('h1', S1))
        # Once one host no longer has it, it is usable again.
        self.map.remove('h2', S1)
        self.assertEqual('h1', self.map.host_of(S1))


class TestHostMapSQLite(HostMapTests, base.BaseTestCase):

    def store(self):
        return {'state_dir': self.useFixture(fixtures.TempDir()).path}


class TestHostMapPostgreSQL(HostMapTests, base.BaseTestCase):

    def store(self):
        return {'connection':
                sql_backends.POSTGRESQL.create_database(self)}
