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
"""Version documents, served without authentication for discovery.

openstacksdk and novaclient discover the API by GETting the endpoint
(``/v2.1`` or ``/v2.1/``) with no token; ``/`` lists the versions.
"""

from oslo_serialization import jsonutils
import webob
import webob.dec

from nova_attach_ifaces.api import faults
from nova_attach_ifaces.api import microversion

UPDATED = '2013-07-23T11:33:21Z'


def _v21(base_url):
    return {
        'id': 'v2.1',
        'status': 'CURRENT',
        'version': str(microversion.MAX_VERSION),
        'min_version': str(microversion.MIN_VERSION),
        'updated': UPDATED,
        'links': [{'rel': 'self', 'href': base_url + '/v2.1/'}],
    }


class Versions(object):
    """``GET /`` lists the versions; ``GET /v2.1[/]`` describes v2.1."""

    @webob.dec.wsgify
    def __call__(self, req):
        if req.path_info not in ('', '/'):
            return faults.fault_response(
                404, 'The resource could not be found.')
        if req.method not in ('GET', 'HEAD'):
            return faults.fault_response(
                405, 'The method %s is not allowed for this resource. '
                     'Allowed: GET.' % req.method, headers=[('Allow', 'GET')])
        # The application URL of a mount ends in /v2.1; of the root, not.
        url = req.application_url
        if url.endswith('/v2.1'):
            version = _v21(url[:-len('/v2.1')])
            version['links'].append({
                'rel': 'describedby', 'type': 'text/html',
                'href': 'https://docs.openstack.org/'})
            version['media-types'] = [{
                'base': 'application/json',
                'type': 'application/vnd.openstack.compute+json;version=2.1'}]
            body = {'version': version}
        else:
            body = {'versions': [_v21(url)]}
        return webob.Response(body=jsonutils.dump_as_bytes(body),
                              content_type='application/json')


def app_factory(global_config, **local_config):
    """paste.app_factory for the version documents."""
    return Versions()


class VersionsOrAPI(object):
    """Send ``<mount>`` and ``<mount>/`` to the versions, the rest to the API.

    Discovery carries no token, so the version document must not sit behind
    the authenticated pipeline that serves everything under the same mount.
    """

    def __init__(self, versions, api):
        self.versions = versions
        self.api = api

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in ('', '/'):
            return self.versions(environ, start_response)
        return self.api(environ, start_response)


def versions_or_api_factory(loader, global_config, versions, api):
    """paste.composite_factory for :class:`VersionsOrAPI`."""
    return VersionsOrAPI(loader.get_app(versions), loader.get_app(api))
