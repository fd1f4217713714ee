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
"""What the fuzz tests send: hypothesis strategies for whole requests.

Paths with odd and foreign ids (:class:`Ref` names an inventory id, spelled
in one of several ways), query strings, headers (microversions, content
types, accept, tokens, spoofed identity headers) and bodies (valid and
near-valid attachments, raw JSON text, deep and huge bodies), drawn into
:class:`FuzzRequest` objects that build the WSGI request. Used by
:mod:`tests.reliability.test_fuzz`.
"""

import json
import urllib.parse

from hypothesis import strategies as st
import webob

from tests.functional import keystone_fixtures

# Smaller than the default 114688, so that oversized bodies are cheap
# (the fuzz tests configure the size limiter with it).
MAX_BODY = 16384


class Ref(object):
    """An id of the test inventory, resolved when the request is built.

    :param name: a key of the environment's ids (``SERVER``, ``PORT2``...).
    :param spelling: how the id is written (``uuid`` accepts them all).
    """

    def __init__(self, name, spelling='canonical'):
        self.name = name
        self.spelling = spelling

    def resolve(self, ids):
        value = ids[self.name]
        if self.spelling == 'upper':
            return value.upper()
        if self.spelling == 'hex':
            return value.replace('-', '')
        if self.spelling == 'braces':
            return '{%s}' % value
        if self.spelling == 'urn':
            return 'urn:uuid:' + value
        if self.spelling == 'space':
            return value + ' '
        if self.spelling == 'truncated':
            return value[:-1]
        return value

    def __repr__(self):
        return 'Ref(%r, %r)' % (self.name, self.spelling)


def resolve(value, ids):
    """``value`` with every :class:`Ref` in it replaced by its id."""
    if isinstance(value, Ref):
        return value.resolve(ids)
    if isinstance(value, dict):
        return {resolve(k, ids): resolve(v, ids) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v, ids) for v in value]
    return value


def named(value):
    """The inventory names of every :class:`Ref` in ``value``."""
    if isinstance(value, Ref):
        return {value.name}
    if isinstance(value, dict):
        return set().union(*(named(k) | named(v) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return set().union(*(named(v) for v in value))
    return set()


SPELLINGS = st.sampled_from(['canonical'] * 6 + [
    'upper', 'hex', 'braces', 'urn', 'space', 'truncated'])

SERVERS = ('SERVER', 'OTHER_SERVER', 'LOCKED_SERVER', 'STOPPED_SERVER',
           'BUILDING_SERVER', 'TASK_SERVER', 'LONELY_SERVER')
OWN_SERVERS = ('SERVER', 'LOCKED_SERVER', 'STOPPED_SERVER',
               'BUILDING_SERVER', 'TASK_SERVER')
PORTS = ('PORT1', 'PORT2', 'OTHER_PORT')
NETWORKS = ('NET', 'NET2', 'OTHER_NET', 'SHARED_NET')
PROJECTS = ('PROJECT', 'OTHER_PROJECT', 'LONELY_PROJECT')


def refs(names, spelled=True):
    names = st.sampled_from(names + ('UNKNOWN',))
    if not spelled:
        return names.map(Ref)
    return st.builds(Ref, names, SPELLINGS)


# Printable text a WSGI server may hand over in a header (no CR/LF).
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xff,
                  blacklist_characters='\x7f'), max_size=80)

# Path segments: anything but "/" (which a client cannot put in a segment
# other than as %2F, which a server may or may not decode: both below).
JUNK_SEGMENT = st.one_of(
    st.text(st.characters(blacklist_characters='/?#',
                          blacklist_categories=('Cs',)), max_size=40),
    st.sampled_from(['', '.', '..', '%2F', '%2f', '%00', '%', '%%', ';',
                     'os-interface', 'servers', 'null', '0', '-1',
                     '00000000-0000-0000-0000-000000000000', '\x00',
                     '\u202e', '\ufeff', 'é', '../..', 'a%2Fb', '*']),
    st.integers(1, 70).map(lambda n: 'a' * (n * 150)),
)

PREFIXES = st.one_of(
    st.just(['/v2.1']),
    st.builds(lambda p: ['/v2.1/', p], refs(PROJECTS, spelled=False)),
    st.builds(lambda p: ['/v2.1/', p], refs(PROJECTS)),
    st.builds(lambda s: ['/v2.1/', s], JUNK_SEGMENT),
    st.sampled_from([['/v2.1/'], ['/v2.1//'], ['/v2'], [''], ['/v2.1/.'],
                     ['/v2.1/..'], ['/v2.1/../v2.1'], ['//v2.1'],
                     ['/V2.1'], ['/v2.1%2F'], ['/healthcheck/..'],
                     ['/v2.1/./']]),
)

SUFFIXES = st.sampled_from(
    [''] * 8 + ['/', '//', '/.', '/..', '/x', '.json', ';a=b', '/%2F'])


@st.composite
def paths(draw, servers=refs(SERVERS), ports=refs(PORTS)):
    """A path as a list of text and :class:`Ref` parts."""
    parts = list(draw(PREFIXES))
    parts.append(draw(st.sampled_from(['/servers/'] * 8 + [
        '/servers//', '/SERVERS/', '/servers/../servers/'])))
    parts.append(draw(st.one_of(servers, servers, servers, JUNK_SEGMENT)))
    parts.append(draw(st.sampled_from(['/os-interface'] * 8 + [
        '/os-interface/', '/os-interfaces', '/os%2Dinterface',
        '/os-interface/..', '/./os-interface', '/OS-INTERFACE'])))
    if draw(st.booleans()):
        parts.extend(['/', draw(st.one_of(ports, ports, JUNK_SEGMENT))])
    parts.append(draw(SUFFIXES))
    return parts


QUERIES = st.one_of(
    st.just(''), st.just(''), st.just(''),
    st.sampled_from(['tag=x', 'all_tenants=1', 'project_id=x', 'a=1&a=2',
                     'auth_strategy=noauth2', 'password=secret', '%ZZ',
                     'x' * 5000, '=', '&&&', 'fields=port_id']),
    st.text(max_size=60).map(urllib.parse.quote),
)

MICROVERSIONS = st.one_of(
    st.sampled_from(['2.1', '2.48', '2.49', '2.69', '2.70', '2.101', '2.102',
                     '2.103', '2.104', '2.105', '2.1000', 'latest', '2',
                     '3.0', '1.1', '2.', '.2', '2.0', '02.070', ' 2.70 ',
                     '-2.1', '2.1.1', '', 'LATEST', '2.9999999999999999']),
    HEADER_TEXT)

MICROVERSION_HEADERS = st.one_of(
    st.just({}), st.just({}),
    st.builds(lambda v: {'OpenStack-API-Version': 'compute ' + v},
              MICROVERSIONS),
    st.builds(lambda v: {'OpenStack-API-Version': v}, HEADER_TEXT),
    st.builds(lambda v: {'X-OpenStack-Nova-API-Version': v}, MICROVERSIONS),
    st.builds(lambda a, b: {'OpenStack-API-Version': 'compute ' + a,
                            'X-OpenStack-Nova-API-Version': b},
              MICROVERSIONS, MICROVERSIONS),
    st.builds(lambda v: {'OpenStack-API-Version': 'volume 3.0, compute ' +
                         v}, MICROVERSIONS),
)

CONTENT_TYPES = st.one_of(
    st.none(), st.none(), st.just('application/json'),
    st.sampled_from([
        'application/json', 'application/vnd.openstack.compute+json',
        'text/plain', '', 'application/xml', 'application/json; charset=utf-8',
        'application/json; charset=latin-1', 'multipart/form-data',
        'application/x-www-form-urlencoded', 'APPLICATION/JSON', '*/*',
        'application/json, text/plain', 'application/']),
    HEADER_TEXT)

ACCEPTS = st.one_of(
    st.sampled_from([None] * 4 + [
        'application/json', 'application/vnd.openstack.compute+json',
        'application/xml', 'text/html', '*/*', 'application/*;q=0',
        'application/vnd.openstack.compute+json;q=0.1, application/json',
        ';;;', 'q=2']),
    HEADER_TEXT)

#: Tokens that must never change anything, whatever they send.
READ_ONLY_TOKENS = ('reader-token', 'norole-token', 'system-token')
_PERSONA_TOKENS = st.sampled_from(['member-token', 'reader-token',
                                  'admin-token', 'other-token'])
TOKENS = st.one_of(
    _PERSONA_TOKENS, _PERSONA_TOKENS, _PERSONA_TOKENS, _PERSONA_TOKENS,
    _PERSONA_TOKENS, _PERSONA_TOKENS,
    st.sampled_from([
        'member-token', 'member-token', 'reader-token', 'reader-token',
        'admin-token', 'other-token', 'other-token', 'system-token',
        'norole-token', 'manager-token', 'other-admin-token', None,
        'no-such-token', 'admin', 'member-token ', ' member-token',
        'MEMBER-TOKEN', 'member-token\t', 'member', '']),
    st.builds(lambda u, p: '%s:%s' % (u, p),
              st.sampled_from(['admin', 'member']),
              refs(PROJECTS, spelled=False)),
    HEADER_TEXT.filter(lambda t: t.strip() not in
                       keystone_fixtures.PERSONAS),
)

SPOOFED = st.dictionaries(
    st.sampled_from([
        'X-Roles', 'X-Role', 'X-Project-Id', 'X-Tenant-Id', 'X-User-Id',
        'X-Identity-Status', 'X-Service-Roles', 'X-Is-Admin-Project',
        'OpenStack-System-Scope', 'X-Auth-Strategy', 'X-Service-Token',
        'X-Forwarded-Proto', 'X-Forwarded-For', 'Forwarded',
        'X-Openstack-Request-Id', 'Origin', 'Transfer-Encoding',
        'Content-Encoding', 'Expect']),
    st.one_of(st.sampled_from(['admin', 'Confirmed', 'all', 'noauth2',
                               'True', 'https', 'gzip', '100-continue',
                               'req-x', 'chunked']),
              refs(PROJECTS, spelled=False), HEADER_TEXT),
    max_size=3)

METHODS = st.sampled_from(
    ['GET'] * 5 + ['POST'] * 5 + ['DELETE'] * 3 +
    ['PUT', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'get', 'FOO', 'CONNECT'])

# JSON values, small.
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=20))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12)

ADDRESSES = st.one_of(
    st.sampled_from([
        '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.1', '10.0.0.0',
        '10.0.0.255', '10.1.0.9', '172.16.0.9', '192.168.100.9',
        '10.0.0.300', '::1', 'fe80::1%eth0', '10.0.0.07', ' 10.0.0.8',
        '010.000.000.008', '10.0.0.8/24', '0x0a000008', '', 'localhost',
        '2001:db8::1']),
    st.ip_addresses().map(str), st.text(max_size=20))


def _attachment(draw_ids):
    return st.fixed_dictionaries({}, optional={
        'port_id': draw_ids(PORTS),
        'net_id': draw_ids(NETWORKS),
        'fixed_ips': st.one_of(
            st.lists(st.fixed_dictionaries(
                {'ip_address': ADDRESSES},
                optional={'subnet_id': JSON_VALUES, 'x': JSON_VALUES}),
                max_size=2),
            JSON_VALUES),
        'tag': st.one_of(st.text(max_size=70), JSON_VALUES,
                         st.sampled_from(['a' * 60, 'a' * 61, 'a/b', 'a,b',
                                          'x\x00y', '\u00e9t\u00e9'])),
        'wat': JSON_VALUES,
    })


def _id_or_junk(names):
    return st.one_of(refs(names), refs(names), refs(names), JSON_LEAVES,
                     st.text(max_size=40))


ATTACHMENTS = _attachment(_id_or_junk)

# Valid bodies, mostly: their status depends only on token, server, state.
VALID_ATTACHMENTS = st.one_of(
    st.builds(lambda p: {'port_id': p}, refs(PORTS, spelled=False)),
    st.builds(lambda n: {'net_id': n}, refs(NETWORKS, spelled=False)),
    st.builds(lambda n, ip: {'net_id': n, 'fixed_ips': [{'ip_address': ip}]},
              refs(NETWORKS, spelled=False), ADDRESSES),
    st.just({}),
).flatmap(lambda att: st.one_of(
    st.just(att),
    st.builds(lambda tag: dict(att, tag=tag), st.text(max_size=60))))


def _json_text(value, ensure_ascii):
    return json.dumps(value, ensure_ascii=ensure_ascii).encode('utf-8')


RAW_BODIES = st.one_of(
    # Duplicate keys: the last one wins in json.loads.
    st.sampled_from([
        b'{"interfaceAttachment": {"port_id": "{PORT2}", '
        b'"port_id": "{OTHER_PORT}"}}',
        b'{"interfaceAttachment": {"net_id": "{NET}"}, '
        b'"interfaceAttachment": {"port_id": "{OTHER_PORT}"}}',
        b'{"interfaceAttachment": {"port_id": "{OTHER_PORT}"}, '
        b'"interfaceAttachment": {"port_id": "{PORT2}"}}',
        b'{"interfaceAttachment": {"net_id": "{NET}", "net_id": null}}',
        b'{"interfaceAttachment": {"tag": "a", "tag": "b", "tag": 1}}',
        b'{"interfaceAttachment": {"port_id": "{PORT2}"}}\x00',
        b'{"interfaceAttachment": {"port_id": "{PORT2}\\u0000"}}',
        b'{"interfaceAttachment": {"tag": "\\ud800"}}',
        b'{"interfaceAttachment": {"tag": "\xff\xfe"}}',
        b'\xef\xbb\xbf{"interfaceAttachment": {}}',
        b'\xff\xfe{\x00}\x00',
        b'{"interfaceAttachment": {"net_id": "{NET}", "fixed_ips": '
        b'[{"ip_address": "10.0.0.9"}, {"ip_address": "10.0.0.9"}]}}',
        b'{"interfaceAttachment": NaN}', b'{"interfaceAttachment": '
        b'Infinity}', b'{"interfaceAttachment": 1e999}',
        b'{"interfaceAttachment": {"tag": 123456789012345678901234567890}}',
        b'{"interfaceAttachment": {}', b'{"interfaceAttachment"}', b'[]',
        b'null', b'""', b'0', b'{}', b'{"a": 1}', b' ', b'\n',
        b'{"interfaceAttachment": {"port_id": "{PORT2}"}} trailing',
    ]),
    st.binary(max_size=64),
    st.text(max_size=64).map(lambda t: t.encode('utf-8', 'surrogatepass')),
)


@st.composite
def deep_bodies(draw):
    depth = draw(st.sampled_from([10, 100, 500, 990, 1000, 1100, 3000,
                                  8000]))
    kind = draw(st.sampled_from(['list', 'object', 'tag', 'fixed_ips']))
    if kind == 'list':
        return b'[' * depth + b']' * depth
    if kind == 'object':
        return b'{"a": ' * depth + b'1' + b'}' * depth
    nested = b'[' * depth + b']' * depth
    if kind == 'tag':
        return b'{"interfaceAttachment": {"tag": %s}}' % nested
    return (b'{"interfaceAttachment": {"net_id": "{NET}", "fixed_ips": '
            b'[{"ip_address": %s}]}}' % nested)


@st.composite
def huge_bodies(draw):
    size = draw(st.sampled_from([1000, 10000, MAX_BODY - 100, MAX_BODY,
                                 MAX_BODY + 1, 3 * MAX_BODY]))
    char = draw(st.sampled_from(['x', '\u00e9', '\u2603', '\\u0000', '"']))
    where = draw(st.sampled_from(['tag', 'port_id', 'net_id', 'key',
                                  'ip']))
    text = (char * size)
    if char == '"':
        text = text.replace('"', '\\"')
    if where == 'key':
        value = '{"interfaceAttachment": {"%s": 1}}' % text
    elif where == 'ip':
        value = ('{"interfaceAttachment": {"net_id": "{NET}", "fixed_ips": '
                 '[{"ip_address": "%s"}]}}' % text)
    else:
        value = '{"interfaceAttachment": {"%s": "%s"}}' % (where, text)
    return value.encode('utf-8')


def _with_wrapper(attachment):
    return st.one_of(
        st.just({'interfaceAttachment': attachment}),
        st.just({'interfaceAttachment': attachment, 'extra': 1}),
        st.just({'interfaceattachment': attachment}),
        st.just({'interfaceAttachments': [attachment]}),
        st.just([attachment]),
        st.just(attachment))


BODIES = st.one_of(
    st.none(), st.none(),
    st.tuples(st.one_of(VALID_ATTACHMENTS, ATTACHMENTS, ATTACHMENTS)
              .flatmap(_with_wrapper), st.booleans()),
    st.tuples(st.builds(lambda v: {'interfaceAttachment': v}, JSON_VALUES),
              st.booleans()),
    st.tuples(JSON_VALUES, st.booleans()),
    RAW_BODIES, deep_bodies(), huge_bodies(),
)

ATTACH_BODIES = st.one_of(
    st.tuples(VALID_ATTACHMENTS.map(
        lambda a: {'interfaceAttachment': a}), st.booleans()),
    st.tuples(VALID_ATTACHMENTS.map(
        lambda a: {'interfaceAttachment': a}), st.booleans()),
    st.tuples(ATTACHMENTS.flatmap(_with_wrapper), st.booleans()),
    RAW_BODIES, deep_bodies(), huge_bodies(),
)


class FuzzRequest(object):
    """One generated request, ready to be made into a WSGI environ."""

    def __init__(self, method, path, query, token, headers, body,
                 content_type=None, accept=None):
        self.method = method
        self.path = path
        self.query = query
        self.token = token
        self.headers = headers
        self.body = body
        self.content_type = content_type
        self.accept = accept

    def build(self, ids):
        """(environ, text of everything the client sent)."""
        path = ''.join(resolve(part, ids) for part in self.path)
        req = webob.Request.blank('/')
        env = req.environ
        env['REQUEST_METHOD'] = self.method
        # What a WSGI server does: percent-decoded, then bytes as latin-1.
        env['PATH_INFO'] = path.encode(
            'utf-8', 'surrogatepass').decode('latin-1')
        env['QUERY_STRING'] = self.query
        env['RAW_URI'] = urllib.parse.quote(path) + (
            '?' + self.query if self.query else '')
        headers = {}
        if self.token is not None:
            headers['X-Auth-Token'] = resolve(self.token, ids)
        for name, value in self.headers.items():
            headers[name] = resolve(value, ids)
        if self.content_type is not None:
            headers['Content-Type'] = self.content_type
        if self.accept is not None:
            headers['Accept'] = self.accept
        for name, value in headers.items():
            key = name.upper().replace('-', '_')
            if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                key = 'HTTP_' + key
            env[key] = value.encode('utf-8').decode('latin-1')
        body = self._body(ids)
        if body is not None:
            req.body = body
        sent = [path, self.query, body.decode('utf-8', 'replace')
                if body else '', urllib.parse.unquote(self.query)]
        sent.extend('%s: %s' % item for item in headers.items())
        # Messages quote an id in its canonical form whatever spelling the
        # request used (a documented difference from Nova): an id the
        # request named in any spelling counts as sent.
        body_value = self.body[0] if isinstance(self.body, tuple) else None
        sent.extend(ids[name] for name in sorted(
            named(self.path) | named(self.token) | named(self.headers) |
            named(body_value)))
        return env, '\n'.join(sent)

    def _body(self, ids):
        if self.body is None:
            return None
        if isinstance(self.body, bytes):
            body = self.body
            for name, value in ids.items():
                body = body.replace(b'{%s}' % name.encode(), value.encode())
            return body
        value, ensure_ascii = self.body
        return _json_text(resolve(value, ids), ensure_ascii)

    def __repr__(self):
        return 'FuzzRequest(%r)' % ((
            self.method, self.path, self.query, self.token, self.headers,
            self.body, self.content_type, self.accept),)


def requests(methods=METHODS, path=paths(), bodies=BODIES, tokens=TOKENS):
    return st.builds(
        FuzzRequest, methods, path, QUERIES, tokens,
        st.one_of(MICROVERSION_HEADERS, MICROVERSION_HEADERS,
                  st.builds(lambda a, b: dict(a, **b), MICROVERSION_HEADERS,
                            SPOOFED)),
        bodies, CONTENT_TYPES, ACCEPTS)
