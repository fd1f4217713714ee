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
"""TEST ONLY: the identity filter of :mod:`tests.services.nova`'s Nova API.

It runs inside Nova's virtualenv (so: webob and the standard library only)
and stands where keystonemiddleware's ``authtoken`` stands in Nova's
pipeline. Nova 32 removed noauth2; this sets the headers keystonemiddleware
sets for a valid token, so that Nova's own ``keystonecontext`` builds
``nova.context`` from them. The client names itself with
``X-Auth-Token: <user>:<project>:<role>,<role>``.
"""

import webob

# The headers keystonemiddleware removes from every request before it sets
# its own, so that a client cannot claim an identity.
_IDENTITY_HEADERS = (
    'X-Identity-Status', 'X-Service-Identity-Status', 'X-Domain-Id',
    'X-Domain-Name', 'X-Project-Id', 'X-Project-Name', 'X-Project-Domain-Id',
    'X-Project-Domain-Name', 'X-User-Id', 'X-User-Name', 'X-User-Domain-Id',
    'X-User-Domain-Name', 'X-Roles', 'X-Service-Roles', 'X-User',
    'X-Tenant-Id', 'X-Tenant-Name', 'X-Tenant', 'X-Role',
    'X-Is-Admin-Project', 'X-System-Scope',
)


class IdentityFilter(object):

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        for name in _IDENTITY_HEADERS:
            req.headers.pop(name, None)
        token = req.headers.get('X-Auth-Token')
        if not token or token.count(':') != 2:
            response = webob.Response(
                status=401, json_body={'error': {
                    'code': 401, 'message': 'X-Auth-Token: user:project:roles'
                }})
            return response(environ, start_response)
        user, project, roles = token.split(':')
        req.headers['X-Identity-Status'] = 'Confirmed'
        req.headers['X-User-Id'] = user
        req.headers['X-Project-Id'] = project
        req.headers['X-Roles'] = roles
        return self.application(environ, start_response)


def filter_factory(global_conf, **local_conf):
    return IdentityFilter
