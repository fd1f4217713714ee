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
"""The bare baseline: webob + routes, the same JSON body for the same URL.

This is the practical limit of a Python WSGI app built on the libraries
the service uses: route the URL, build a webob response, nothing else (no
auth, policy, microversions, validation, storage or logging). Bodies are
captured from the real app first, so both send the same bytes.

Under a WSGI server, ``application`` reads the bodies from the JSON file
named by ``NAI_BENCH_BODIES`` (``{"list": "...", "show": "...", ...}``).
"""

import json
import os

import routes
import webob
import webob.dec


def make_app(bodies):
    mapper = routes.Mapper()
    mapper.connect('/v2.1/servers/{server_id}/os-interface', action='list',
                   conditions={'method': ['GET']})
    mapper.connect('/v2.1/servers/{server_id}/os-interface', action='create',
                   conditions={'method': ['POST']})
    mapper.connect('/v2.1/servers/{server_id}/os-interface/{port_id}',
                   action='show', conditions={'method': ['GET']})
    mapper.connect('/v2.1/servers/{server_id}/os-interface/{port_id}',
                   action='delete', conditions={'method': ['DELETE']})

    @webob.dec.wsgify
    def app(req):
        match = mapper.match(environ=req.environ)
        if match is None:
            return webob.Response(status=404)
        if match['action'] == 'delete':
            return webob.Response(status=202)
        return webob.Response(body=bodies[match['action']],
                              content_type='application/json')
    return app


def _from_environment():
    path = os.environ.get('NAI_BENCH_BODIES')
    if not path:
        return None
    with open(path) as f:
        return make_app({k: v.encode() for k, v in json.load(f).items()})


application = _from_environment()
