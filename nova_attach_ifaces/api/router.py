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
"""The API application: routing and the per-request plumbing, done once.

For every request, in the order that decides which error a client sees
(Nova's):

1. negotiate the microversion (400 malformed, 406 out of range);
2. check the Content-Type, on every method (415);
3. route (404 unknown path, 405 with ``Allow`` for a known path);
4. parse the JSON body of a POST (400);
5. check a project id in the URL against the caller's (400);
6. call the controller, which validates, authorizes and acts;
7. turn whatever it raised into a Nova fault.

Every response after step 1 carries the version headers.
"""

import http

from oslo_log import log as logging
from oslo_serialization import jsonutils
import routes
import webob
import webob.exc

from nova_attach_ifaces.api import attach_interfaces
from nova_attach_ifaces.api import auth
from nova_attach_ifaces.api import faults
from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.api import microversion
from nova_attach_ifaces.api import servers
from nova_attach_ifaces.api import validation
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import policy

LOG = logging.getLogger(__name__)

# URL -> {method: (controller, method)}. Each is also served under a
# "/{project_id}" prefix, as Nova's ProjectMapper does. In matching order:
# /servers/detail before /servers/{server_id}.
ROUTES = {
    '/servers': {
        'GET': ('servers', 'index'),
    },
    '/servers/detail': {
        'GET': ('servers', 'detail'),
    },
    '/servers/{server_id}': {
        'GET': ('servers', 'show'),
    },
    '/servers/{server_id}/os-interface': {
        'GET': ('interfaces', 'index'),
        'POST': ('interfaces', 'create'),
    },
    '/servers/{server_id}/os-interface/{port_id}': {
        'GET': ('interfaces', 'show'),
        'DELETE': ('interfaces', 'delete'),
    },
}

# Nova's project id pattern; anything else in that segment is not routed.
PROJECT_ID_PATTERN = '[0-9a-f-]+'

JSON_TYPES = ('application/json', 'application/vnd.openstack.compute+json')
# Content types whose bodies are read as JSON (no type and text/plain
# included, as in Nova).
ACCEPTED_CONTENT_TYPES = frozenset(JSON_TYPES + ('', 'text/plain'))

NOT_IMPLEMENTED = 'The requested functionality is not supported.'

# The success statuses controller methods declare.
_STATUS_LINES = {code: '%d %s' % (code, http.HTTPStatus(code).phrase)
                 for code in (200, 202)}


class Request(webob.Request):
    """A request with the attributes the controller reads.

    :ivar context: the caller's ``nova_attach_ifaces.context.RequestContext``.
    :ivar api_version: the negotiated ``microversion_parse.Version``.
    """

    context = None
    api_version = None


def make_map(declarations):
    mapper = routes.Mapper()
    for path, methods in declarations.items():
        allow = ', '.join(sorted(methods))
        for prefix in ('', '/{project_id}'):
            url = prefix + path
            requirements = {'project_id': PROJECT_ID_PATTERN}
            for method, (controller, action) in methods.items():
                mapper.connect(url, controller=controller, action=action,
                               requirements=requirements,
                               conditions={'method': [method]})
            # Matches only when no method above did: a 405.
            mapper.connect(url, controller=controller, action=None,
                           allow=allow, requirements=requirements)
    return mapper


class APIRouter(object):
    """The API as a WSGI app, behind the context filter.

    :param controllers: ``{name: controller}`` for the names in ROUTES.
    """

    def __init__(self, controllers):
        self.controllers = controllers
        self.mapper = make_map(ROUTES)

    def __call__(self, environ, start_response):
        # Plain WSGI rather than webob.dec.wsgify: a success is answered
        # with a header list built here, since building and replaying a
        # webob Response cost as much as the controller itself. Faults, the
        # rare case, are webob Responses.
        req = Request(environ)
        try:
            req.api_version = microversion.negotiate(environ)
        except microversion.InvalidVersion as e:
            return faults.fault_response(400, str(e))(
                environ, start_response)
        except microversion.UnsupportedVersion as e:
            return faults.fault_response(
                406, str(e), microversion.response_headers(e.version))(
                    environ, start_response)

        version_headers = microversion.response_headers(req.api_version)
        try:
            status, body = self._dispatch(req)
        except (exception.ComputeError, policy.PolicyNotAuthorized) as e:
            response = faults.fault_response(e.code, e.format_message())
        except validation.ValidationError as e:
            response = faults.fault_response(400, str(e))
        except webob.exc.HTTPException as e:
            response = faults.fault_response(
                e.code, e.explanation, headers=_allow_header(e))
        except NotImplementedError:
            response = faults.fault_response(501, NOT_IMPLEMENTED)
        except Exception:
            LOG.exception('Unexpected error in %s %s', req.method, req.path)
            response = faults.unexpected_error_response(environ)
        else:
            headers = [('Content-Type', _response_type(req)),
                       ('Content-Length', str(len(body)))]
            headers.extend(version_headers)
            start_response(_STATUS_LINES[status], headers)
            return [body]
        response.headerlist.extend(version_headers)
        return response(environ, start_response)

    def _dispatch(self, req):
        if req.content_type not in ACCEPTED_CONTENT_TYPES:
            raise webob.exc.HTTPUnsupportedMediaType(
                explanation='Unsupported Content-Type')

        match = self.mapper.match(environ=req.environ)
        if match is None:
            raise webob.exc.HTTPNotFound(
                explanation='The resource could not be found.')
        action = match['action']
        if action is None:
            raise webob.exc.HTTPMethodNotAllowed(
                explanation='The method %s is not allowed for this resource.'
                            ' Allowed: %s.' % (req.method, match['allow']),
                headers=[('Allow', match['allow'])])

        kwargs = {name: match[name] for name in ('server_id', 'port_id')
                  if name in match}
        if action == 'create':
            kwargs['body'] = _json_body(req)

        req.context = auth.context_from_environ(req.environ)
        url_project_id = match.get('project_id')
        if (url_project_id is not None and
                url_project_id != req.context.project_id):
            raise webob.exc.HTTPBadRequest(
                explanation="Malformed request URL: URL's project_id '%s' "
                            "doesn't match Context's project_id '%s'"
                            % (url_project_id, req.context.project_id))

        method = getattr(self.controllers[match['controller']], action)
        result = method(req, **kwargs)
        return (getattr(method, 'wsgi_code', 200),
                b'' if result is None else jsonutils.dump_as_bytes(result))


def _json_body(req):
    # An empty body is None, which the schema then rejects with Nova's
    # "None is not of type 'object'".
    if not req.body:
        return None
    try:
        return jsonutils.loads(req.body)
    except (ValueError, RecursionError):
        raise webob.exc.HTTPBadRequest(explanation='Malformed request body')


def _response_type(req):
    # Nova answers with the Accept-preferred one of its two JSON types.
    accept = req.environ.get('HTTP_ACCEPT', '')
    if JSON_TYPES[1] not in accept:
        return JSON_TYPES[0]
    offers = req.accept.acceptable_offers(JSON_TYPES)
    return offers[0][0] if offers else JSON_TYPES[0]


def _allow_header(error):
    allow = error.headers.get('Allow')
    return [('Allow', allow)] if allow else []


def app_factory(global_config, **local_config):
    """paste.app_factory: the API with the configured compute driver,
    closed when the process exits (:mod:`.lifetime`).
    """
    policy.init(conf.CONF)
    return build(lifetime.own(loader.load_driver(conf.CONF)))


def build(compute_driver):
    """The API serving ``compute_driver``'s servers."""
    return APIRouter({
        'interfaces': attach_interfaces.InterfaceAttachmentController(
            compute_driver),
        'servers': servers.ServersController(compute_driver),
    })
