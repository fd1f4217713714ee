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
"""Every regex assertion in the gabbits can fail.

A gabbi value written ``/.../`` is a regular expression the response must
match (``re.search``), and a regex is easy to get wrong in a way that
matches everything: a check that a second MAC differs from the first once
passed for a repeated MAC. Each regex in ``gabbits/`` is listed below with
answers it must accept and answers it must refuse, and is run against
both. A regex added to a gabbit without an entry here fails the audit.

Substitutions (``$HISTORY[...]``, ``$ENVIRON[...]``) are made as gabbi
makes them in a regex, escaped, with the value of ``EARLIER``.
"""

import os
import re

import testtools
import yaml

GABBITS = os.path.join(os.path.dirname(__file__), 'gabbits')

# The value an earlier response's substitution stands for.
EARLIER = {
    'mac': 'fa:16:3e:2a:5b:07',
    'request_id': 'req-0b6e4f4c-7f0e-4d53-9d1e-3c7f8f5c1a20',
}

UUID = '4d9b1c2e-8f3a-4b6c-9d0e-1f2a3b4c5d6e'
REQUEST_ID = 'req-7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
VARY = 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'
REQUEST_ID_CHECK = {
    'accept': [REQUEST_ID],
    'refuse': ['', 'req-', REQUEST_ID + '0', 'x' + REQUEST_ID,
               REQUEST_ID.replace('req-', 'request-'),
               REQUEST_ID.upper()],
}
VARY_CHECK = {
    'accept': [VARY],
    'refuse': ['OpenStack-API-Version', 'X-OpenStack-Nova-API-Version',
               VARY + ', Accept', 'X-OpenStack-Nova-API-Version, '
               'OpenStack-API-Version'],
}

# (file, test name, response key, header or JSON path) -> what the regex
# must accept and refuse; "earlier" names the EARLIER value it refers to.
CHECKS = {
    ('servers.yaml', 'a broken regex is a 400', 'response_json_paths',
     '$.badRequest.message'): {
        'accept': ["Invalid regular expression in the name filter '(': "
                   "missing ), unterminated subpattern at position 0"],
        'refuse': ['marker [(] not found', 'Invalid input for field'],
    },
    ('servers.yaml', 'first page of two', 'response_json_paths',
     '$.servers_links[0].href'): {
        'accept': ['http://h/v2.1/servers?limit=2&marker=' + UUID],
        'refuse': ['http://h/v2.1/servers?limit=2'],
    },
    ('servers.yaml', 'the name filter is a regex', 'response_json_paths',
     '$.servers[*].status'): {
        'accept': ['ACTIVE', 'SHUTOFF'],
        'refuse': ['BUILD', 'REBOOT'],
    },
    ('attach.yaml', 'attach by network', 'response_json_paths',
     '$.interfaceAttachment.port_id'): {
        'accept': [UUID],
        'refuse': [UUID.upper(), UUID.replace('-', ''), UUID + '0',
                   'x' + UUID, '', 'None'],
    },
    ('attach.yaml', 'attach by network', 'response_json_paths',
     '$.interfaceAttachment.mac_addr'): {
        'accept': ['fa:16:3e:00:9c:ff'],
        'refuse': ['fa:16:3e:00:9c', 'fa:16:3e:00:9c:ff:01',
                   'FA:16:3E:00:9C:FF', 'fa:16:3f:00:9c:ff',
                   '52:54:00:00:9c:ff', 'fa-16-3e-00-9c-ff'],
    },
    # The MAC of a second port attached by network differs from the first.
    ('attach.yaml', 'attach by network again takes the next address',
     'response_json_paths', '$.interfaceAttachment.mac_addr'): {
        'earlier': 'mac',
        'accept': ['fa:16:3e:2a:5b:08', 'fa:16:3e:00:00:00'],
        'refuse': [EARLIER['mac'], 'fa:16:3e:2a:5b', '52:54:00:2a:5b:08',
                   'fa:16:3e:2a:5b:08:00'],
    },
    ('attach.yaml', 'auto network for a project with one usable network',
     'response_json_paths', '$.interfaceAttachment.mac_addr'): {
        'accept': ['fa:16:3e:00:9c:ff'],
        'refuse': ['52:54:00:00:9c:ff', 'xfa:16:3e:00:9c:ff', 'fa:16:3e'],
    },
    ('basic-http.yaml', 'list interfaces of a server', 'response_headers',
     'x-openstack-request-id'): REQUEST_ID_CHECK,
    ('basic-http.yaml', 'list interfaces of a server', 'response_headers',
     'x-compute-request-id'): REQUEST_ID_CHECK,
    ('basic-http.yaml', 'request ids on a fault', 'response_headers',
     'x-openstack-request-id'): REQUEST_ID_CHECK,
    ('basic-http.yaml', 'request ids on a fault', 'response_headers',
     'x-compute-request-id'): REQUEST_ID_CHECK,
    # A new request gets a new id.
    ('basic-http.yaml', 'request ids differ between requests',
     'response_headers', 'x-openstack-request-id'): {
        'earlier': 'request_id',
        'accept': [REQUEST_ID],
        'refuse': [EARLIER['request_id'], 'x' + REQUEST_ID, ''],
    },
    ('basic-http.yaml', 'request ids differ between requests',
     'response_headers', 'x-compute-request-id'): {
        'earlier': 'request_id',
        'accept': [REQUEST_ID],
        'refuse': [EARLIER['request_id'], 'x' + REQUEST_ID, ''],
    },
    ('basic-http.yaml', 'delete with a malformed body is ignored and empty',
     'response_headers', 'x-openstack-request-id'): {
        'accept': [REQUEST_ID],
        'refuse': ['', 'x' + REQUEST_ID, UUID],
    },
    ('microversion.yaml', 'no version header is 2.1', 'response_headers',
     'vary'): VARY_CHECK,
    ('microversion.yaml', 'version above the maximum', 'response_headers',
     'vary'): VARY_CHECK,
    ('microversion.yaml', 'version headers on a 404 fault',
     'response_headers', 'vary'): VARY_CHECK,
    ('microversion.yaml', 'version headers on a 405 fault',
     'response_headers', 'vary'): VARY_CHECK,
    ('versions.yaml', 'root lists the versions', 'response_json_paths',
     '$.versions[0].updated'): {
        'accept': ['2013-07-23T11:33:21Z'],
        'refuse': ['2013-07-23', '2013-07-23T11:33:21', '2013-07-23 11:33:21Z',
                   '2013-07-23T11:33:21.000000Z', '2013-07-23T11:33:21Z '],
    },
    ('versions.yaml', 'root lists the versions', 'response_headers',
     'x-openstack-request-id'): REQUEST_ID_CHECK,
}

# gabbi's substitutions, e.g. $HISTORY['name'].$RESPONSE['$.a.b'],
# $HEADERS['x-name'], $ENVIRON['NAME'].
_SUBSTITUTION = re.compile(
    r"\$(?:HISTORY\['[^']*'\]\.)?\$?(?:RESPONSE|HEADERS|ENVIRON)\['[^']*'\]")
_RESPONSE_KEYS = ('response_json_paths', 'response_headers',
                  'response_strings')


def _is_regex(value):
    # gabbi's own test (handlers.base.ResponseHandler.is_regex).
    return (isinstance(value, str) and value.startswith('/') and
            value.endswith('/') and len(value) > 1)


def gabbit_regexes():
    """{(file, test name, response key, item): regex} of every gabbit."""
    found = {}
    for name in sorted(os.listdir(GABBITS)):
        if not name.endswith('.yaml'):
            continue
        with open(os.path.join(GABBITS, name)) as f:
            tests = yaml.safe_load(f).get('tests', [])
        for test in tests:
            for key in _RESPONSE_KEYS:
                expected = test.get(key) or {}
                items = (expected.items() if isinstance(expected, dict)
                         else enumerate(expected))
                for item, value in items:
                    if _is_regex(value):
                        found[(name, test['name'], key, item)] = value
    return found


def compiled(regex, earlier=None):
    """The pattern gabbi runs for ``regex``, substitutions made."""
    body = regex[1:-1]
    if _SUBSTITUTION.search(body):
        if earlier is None:
            raise AssertionError('%s substitutes an earlier value: name it '
                                 'with "earlier"' % regex)
        body = _SUBSTITUTION.sub(lambda m: re.escape(EARLIER[earlier]), body)
    return re.compile(body)


class TestGabbitRegexes(testtools.TestCase):

    def test_every_regex_is_audited(self):
        self.assertEqual(sorted(CHECKS), sorted(gabbit_regexes()))

    def test_each_regex_accepts_right_and_refuses_wrong_answers(self):
        failures = []
        for where, regex in sorted(gabbit_regexes().items()):
            check = CHECKS.get(where)
            if check is None:
                continue
            pattern = compiled(regex, check.get('earlier'))
            for value in check['accept']:
                if not pattern.search(value):
                    failures.append('%s %s refuses %r' % (where, regex,
                                                          value))
            for value in check['refuse']:
                if pattern.search(value):
                    failures.append('%s %s accepts %r' % (where, regex,
                                                          value))
        self.assertEqual([], failures)
