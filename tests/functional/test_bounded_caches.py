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
"""The request path's caches stay bounded whatever clients send.

Each cache the request path keeps is fed what a client may vary at will
(version headers, and with noauth2 the caller's identity) through the
assembled pipeline; the cache and the worker's resident memory must stop
growing.

The request path's other caches, audited for the same flaw: version
negotiation (an LRU of 256 header values; failures are not kept), policy
decisions (at most ``MAX_CACHED_DECISIONS``, then started over; with
keystone only validated callers reach it), the sql driver's statements
compiled per database dialect (a fixed set), and keystonemiddleware's
token cache (only tokens Keystone validated, each for
``token_cache_time``; deployments set ``memcached_servers``).
"""

import os

from oslotest import base
import webob

from nova_attach_ifaces.api import microversion
from nova_attach_ifaces import policy
from tests.functional import fixtures

# What the process may grow by once warmed up, while one entry kept per
# request would add tens of MiB.
RSS_SLACK = 8 * 1024 * 1024


def _rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class TestBoundedCaches(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.exists('/proc/self/statm'):
            self.skipTest('needs Linux /proc to read the RSS')
        self.env = fixtures.APIEnvironment()
        self.env.setUp()
        self.addCleanup(self.env.cleanUp)
        self.app = self.env.application()
        self.list_path = ('/v2.1/servers/%s/os-interface'
                          % self.env.ids['SERVER'])

    def _send(self, headers):
        req = webob.Request.blank(self.list_path, headers=headers)
        return req.get_response(self.app)

    def _rss_growth(self, requests):
        """RSS growth over ``requests`` (header dicts), after a warm-up."""
        requests = iter(requests)
        statuses = set()
        for _i, headers in zip(range(10000), requests):
            statuses.add(self._send(headers).status_code)
        before = _rss()
        for headers in requests:
            statuses.add(self._send(headers).status_code)
        return _rss() - before, statuses

    def test_out_of_range_versions(self):
        # 100,000 distinct well-formed versions above the maximum, each
        # answered 406 with the version echoed in its headers.
        versions = ('2.%d' % minor for minor in range(105, 100105))
        growth, statuses = self._rss_growth(
            {'X-Auth-Token': 'user:' + self.env.ids['PROJECT'],
             'OpenStack-API-Version': 'compute ' + version}
            for version in versions)
        self.assertEqual({406}, statuses)
        served = microversion._served_headers.cache_info()
        self.assertLessEqual(served.currsize, served.maxsize)
        self.assertLessEqual(microversion._negotiate.cache_info().currsize,
                             microversion._negotiate.cache_info().maxsize)
        self.assertLess(growth, RSS_SLACK)

    def test_distinct_callers(self):
        # noauth2 takes the caller from the token: 30,000 distinct users,
        # each one policy decision (context_is_admin) and one list.
        project = self.env.ids['PROJECT']
        growth, statuses = self._rss_growth(
            {'X-Auth-Token': 'user%d:%s' % (i, project)}
            for i in range(30000))
        self.assertEqual({200}, statuses)
        decisions = policy.init()._decisions
        self.assertLessEqual(len(decisions), policy.MAX_CACHED_DECISIONS)
        self.assertLess(growth, RSS_SLACK)
