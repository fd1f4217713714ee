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
"""Who is calling: the context filter, the dev noauth2 filter, pipelines."""

from oslo_log import log as logging

from nova_attach_ifaces.api import base
from nova_attach_ifaces.api import faults
from nova_attach_ifaces import conf
from nova_attach_ifaces import context
from nova_attach_ifaces import policy

LOG = logging.getLogger(__name__)

#: Where the context filter leaves the caller's context for the API app.
CONTEXT_KEY = 'nova_attach_ifaces.context'

# The identity headers keystonemiddleware sets; noauth2 clears any a client
# sent before setting its own, as keystonemiddleware does.
_IDENTITY_HEADERS = (
    'X-User-Id', 'X-User', 'X-User-Name', 'X-User-Domain-Id',
    'X-Project-Id', 'X-Tenant-Id', 'X-Tenant', 'X-Project-Name',
    'X-Project-Domain-Id', 'X-Domain-Id', 'X-Roles', 'X-Role',
    'X-Identity-Status', 'X-Service-Roles', 'X-Is-Admin-Project',
)
# The same, as WSGI environ keys.
_IDENTITY_KEYS = tuple('HTTP_' + header.upper().replace('-', '_')
                       for header in _IDENTITY_HEADERS)


def context_from_environ(environ):
    """The caller's :class:`~nova_attach_ifaces.context.RequestContext`.

    :raises RuntimeError: the pipeline has no context filter (a deployment
        error, answered with a 500 and logged).
    """
    ctx = environ.get(CONTEXT_KEY)
    if ctx is None:
        raise RuntimeError('No request context in the WSGI environment: the '
                           'paste pipeline must run the "context" filter '
                           '(or the os_interface filter) before the API app.')
    return ctx


def context_from_headers(environ):
    """The context keystonemiddleware's headers describe, or None.

    None when they name no user (no token was checked).
    """
    ctx = context.RequestContext.from_environ(environ)
    if not ctx.user_id:
        LOG.debug('Neither X-User-Id nor X-User found in request')
        return None
    ctx.is_admin = policy.check_is_admin(ctx)
    return ctx


def unauthorized(environ, start_response):
    """The 401 of a request no identity came with."""
    return faults.fault_response(
        401, 'The request you have made requires authentication.'
    )(environ, start_response)


class KeystoneContext(base.Filter):
    """Build the request context from keystonemiddleware's headers."""

    def __call__(self, environ, start_response):
        ctx = context_from_headers(environ)
        if ctx is None:
            return unauthorized(environ, start_response)
        environ[CONTEXT_KEY] = ctx
        return self.application(environ, start_response)


class NoAuthMiddleware(base.Filter):
    """DEVELOPMENT ONLY: trust the identity the client claims.

    ``X-Auth-Token: <user>[:<project>]`` names the caller (the project
    defaults to the user); ``X-Roles`` lists roles, and when it is absent
    the user named ``admin`` gets ``admin`` and anyone else
    ``member,reader``. ``OpenStack-System-Scope: all`` makes a system-scoped
    caller. It sets the same headers keystonemiddleware would, so the rest of
    the pipeline cannot tell the difference.
    """

    def __call__(self, environ, start_response):
        # Straight on the environ (the WSGI spelling of the headers, as
        # keystonemiddleware sets them): a webob header view cost more
        # than the rest of this filter.
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if not token:
            return faults.fault_response(
                401, 'Authentication required: with auth_strategy noauth2 '
                     'send "X-Auth-Token: <user>:<project>".'
            )(environ, start_response)
        user_id, _sep, project_id = token.partition(':')
        roles = environ.get('HTTP_X_ROLES')
        if roles is None:
            roles = 'admin' if user_id == 'admin' else 'member,reader'
        system_scope = environ.get('HTTP_OPENSTACK_SYSTEM_SCOPE')
        for key in _IDENTITY_KEYS:
            environ.pop(key, None)
        environ['HTTP_X_USER_ID'] = user_id
        environ['HTTP_X_ROLES'] = roles
        if not system_scope:
            environ['HTTP_X_PROJECT_ID'] = project_id or user_id
        return self.application(environ, start_response)


def pipeline_factory(loader, global_config, **pipelines):
    """paste composite: the pipeline named by ``[api] auth_strategy``."""
    strategy = conf.CONF.api.auth_strategy
    if strategy == 'noauth2':
        LOG.warning('auth_strategy is noauth2: every client can claim any '
                    'identity. Never use it outside development.')
    names = pipelines[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app
