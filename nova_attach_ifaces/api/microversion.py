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
"""Microversions: the range we serve and how a request picks one.

Negotiation follows Nova exactly: ``OpenStack-API-Version: compute X.Y``
wins over the legacy ``X-OpenStack-Nova-API-Version``; no header means the
minimum; ``latest`` (lower case only) means the maximum. Versions are served
as Nova serves them, so every version in the range is accepted, even those
that change nothing for os-interface.
"""

import functools
import re

import microversion_parse

SERVICE_TYPE = 'compute'
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'
STANDARD_HEADER = 'OpenStack-API-Version'

# The versions that change os-interface, oldest first; every other version
# in the range behaves like the one before it.

# The base version: no header asks for it.
MIN_VERSION = microversion_parse.Version(2, 1)
# "tag" accepted in the attach request body.
TAG_REQUEST_VERSION = microversion_parse.Version(2, 49)
# "tag" shown in every interfaceAttachment (null when none was given).
TAG_RESPONSE_VERSION = microversion_parse.Version(2, 70)
# Unknown query parameters rejected with 400 on every route.
STRICT_QUERY_VERSION = microversion_parse.Version(2, 102)
# The newest version Nova serves (2026.2); nothing changed for os-interface.
MAX_VERSION = microversion_parse.Version(2, 104)

# Nova's grammar: no leading zeros in either part, so "2.01" is malformed.
_VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


class InvalidVersion(Exception):
    """Malformed version string (400, and no version headers)."""

    def __init__(self, value):
        self.value = value
        super().__init__(
            'API Version String %s is of invalid format. Must be of format '
            'MajorNum.MinorNum.' % value)


class UnsupportedVersion(Exception):
    """Well-formed but outside the range (406, echoing the version)."""

    def __init__(self, version):
        self.version = version
        super().__init__(
            'Version %s is not supported by the API. Minimum is %s and '
            'maximum is %s.' % (version, MIN_VERSION, MAX_VERSION))


# The two headers negotiation reads, as WSGI environ keys. The server has
# already joined repeated headers into one value, so microversion_parse is
# handed just these instead of every request header.
_HEADER_KEYS = tuple(
    (name, 'HTTP_' + name.upper().replace('-', '_'))
    for name in (STANDARD_HEADER, LEGACY_HEADER))


def negotiate(environ):
    """Return the ``microversion_parse.Version`` a request asks for.

    :param environ: the request's WSGI environ.
    :raises InvalidVersion, UnsupportedVersion:
    """
    return _negotiate(tuple((name, environ[key]) for name, key in _HEADER_KEYS
                            if key in environ))


# Clients send a handful of distinct headers, and negotiation costs more
# than routing the request: each answer is remembered, in a bounded cache.
# Failures are not (lru_cache does not keep exceptions).
@functools.lru_cache(maxsize=256)
def _negotiate(headers):
    requested = microversion_parse.get_version(
        dict(headers), SERVICE_TYPE, legacy_headers=[LEGACY_HEADER])
    if not requested:
        return MIN_VERSION
    if requested == 'latest':
        return MAX_VERSION
    match = _VERSION_RE.match(requested)
    if match is None:
        raise InvalidVersion(requested)
    version = microversion_parse.Version(int(match.group(1)),
                                         int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise UnsupportedVersion(version)
    return version


def response_headers(version):
    """The headers that echo ``version`` on every versioned response.

    Those of a version in the range are built once; those of the
    out-of-range version a 406 echoes are built each time, so that what a
    client sends is never kept.
    """
    if MIN_VERSION <= version <= MAX_VERSION:
        return _served_headers(version)
    return _headers(version)


# At most one entry per version served (104 today); the bound also holds
# should a caller ever pass other versions.
@functools.lru_cache(maxsize=128)
def _served_headers(version):
    return _headers(version)


def _headers(version):
    return (
        (STANDARD_HEADER, '%s %s' % (SERVICE_TYPE, version)),
        (LEGACY_HEADER, str(version)),
        # Two separate lines, as Nova sends them.
        ('Vary', STANDARD_HEADER),
        ('Vary', LEGACY_HEADER),
    )
