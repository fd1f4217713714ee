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
"""Third-party middleware, bound to this service's own configuration.

keystonemiddleware and oslo.middleware read their options from the
``ConfigOpts`` they are given and fall back to oslo.config's process-global
``cfg.CONF``. This service keeps its options in a private ``ConfigOpts``
(:data:`nova_attach_ifaces.conf.CONF`), so that in drop-in mode, inside
another service's API process, the two configurations never mix. The
factories here hand our CONF to each library and still honour the options
an operator writes in the paste file's filter section (they win over the
configuration file, as with the libraries' own factories).
"""

from keystonemiddleware import auth_token
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import sizelimit
import webob
import webob.dec
import webob.exc

from nova_attach_ifaces.api import faults
from nova_attach_ifaces import conf
from nova_attach_ifaces.conf import middleware as middleware_conf

# Paste keys that would make a library build its own ConfigOpts from
# another project's files; our CONF is always the one to use.
_FOREIGN_CONFIG_KEYS = ('oslo_config_project', 'oslo_config_file',
                        'oslo_config_program', 'oslo_config_config')


def _paste_options(global_conf, local_conf):
    options = dict(global_conf or {})
    options.update(local_conf)
    for key in _FOREIGN_CONFIG_KEYS:
        options.pop(key, None)
    return options


def authtoken_filter_factory(global_conf, **local_conf):
    """paste.filter_factory: keystonemiddleware's auth_token on our CONF.

    :raises RuntimeError: no auth plugin is configured, without which
        keystonemiddleware cannot validate a single token (it would answer
        every request with a 500).
    """
    options = _paste_options(global_conf, local_conf)
    options['oslo_config_config'] = conf.CONF
    group = conf.CONF.keystone_authtoken
    if not (options.get('auth_type') or options.get('auth_section') or
            group.auth_type or group.auth_section):
        raise RuntimeError(
            '[keystone_authtoken] auth_type is not set: keystonemiddleware '
            'needs an auth plugin to validate tokens (e.g. auth_type = '
            'password, with auth_url, username, password, project_name, '
            'user_domain_name and project_domain_name of this service\'s '
            'Keystone user)')
    auth_filter = auth_token.filter_factory({}, **options)

    def _filter(app):
        return AuthUnavailableFault(auth_filter(app))
    return _filter


class AuthUnavailableFault(object):
    """Keystone unreachable: a Nova 503 fault, not an HTML page.

    keystonemiddleware answers its own plain 503 page when it cannot reach
    Keystone to validate a token; a Nova client expects
    ``{"serviceUnavailable": {...}}``. A 503 from the API behind it is
    already a JSON fault and passes through.
    """

    MESSAGE = ('The authentication service is unavailable: the token could '
               'not be validated. Please try again later.')

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        replaced = []

        def check(status, headers, exc_info=None):
            content_type = ''.join(value for name, value in headers
                                   if name.lower() == 'content-type')
            if status.startswith('503') and 'json' not in content_type:
                replaced.append(status)
                return lambda data: None
            return start_response(status, headers, exc_info)

        result = self.application(environ, check)
        if not replaced:
            return result
        if hasattr(result, 'close'):
            result.close()
        return faults.fault_response(503, self.MESSAGE)(environ,
                                                        start_response)


class _PrivateConfig(object):
    """Give an oslo.middleware class our CONF plus the paste options.

    oslo.middleware's ``ConfigurableMiddleware`` takes either a dict of
    paste options (then reads everything else from ``cfg.CONF``) or a
    ``ConfigOpts`` (then ignores the paste options). This keeps both: the
    ``ConfigOpts`` is ours, and ``self.conf``, which ``_conf_get`` consults
    first, stays the paste options the base class would have discarded.
    """

    def __init__(self, application, options=None):
        self._paste_options = _paste_options({}, options or {})
        super().__init__(application, conf.CONF)

    @property
    def conf(self):
        return self._paste_options

    @conf.setter
    def conf(self, value):
        # The base class resets it to {} when given a ConfigOpts.
        pass

    @classmethod
    def factory(cls, global_conf, **local_conf):
        options = _paste_options(global_conf, local_conf)

        def _filter(app):
            return cls(app, options)
        return _filter


class CORS(_PrivateConfig, cors.CORS):
    """oslo.middleware CORS (``[cors]``), with Nova's header lists.

    Without ``[cors] allowed_origin`` it adds nothing to a response.
    """

    def __init__(self, application, options=None):
        middleware_conf.set_cors_defaults(conf.CONF)
        super().__init__(application, options)

    def __call__(self, environ, start_response):
        # Without an Origin header the library adds nothing to a response
        # but an OPTIONS one; skip its webob round trip (and the
        # inspect.getfullargspec it runs on every request) then.
        if ('HTTP_ORIGIN' not in environ and
                environ.get('REQUEST_METHOD') != 'OPTIONS'):
            return self.application(environ, start_response)
        return super().__call__(environ, start_response)


class HTTPProxyToWSGI(_PrivateConfig, http_proxy_to_wsgi.HTTPProxyToWSGI):
    """Honour X-Forwarded-Proto / Forwarded from a TLS-terminating proxy.

    Off unless ``[oslo_middleware] enable_proxy_headers_parsing`` is true.
    """

    def __init__(self, application, options=None):
        super().__init__(application, options)
        # Read once: the library reads it on every request, re-applying a
        # paste option as a config override each time.
        self.enabled = self._conf_get('enable_proxy_headers_parsing')

    def __call__(self, environ, start_response):
        # The library only rewrites the environ; as plain WSGI the
        # response is not buffered and replayed by webob.
        if self.enabled:
            self.process_request(webob.Request(environ))
        return self.application(environ, start_response)


class RequestBodySizeLimiter(_PrivateConfig,
                             sizelimit.RequestBodySizeLimiter):
    """413 for a body over ``[oslo_middleware] max_request_body_size``.

    It sits before authentication, so an oversized body costs no token
    validation. The refusal is a Nova ``overLimit`` fault naming the limit,
    where oslo.middleware (and so Nova) answers a plain-text page whose
    message carries an unformatted ``%s``.
    """

    def __init__(self, application, options=None):
        super().__init__(application, options)
        # Read once: the library reads it on every request, re-applying a
        # paste option as a config override each time.
        self.max_size = self._conf_get('max_request_body_size')

    def __call__(self, environ, start_response):
        # The library's checks as plain WSGI, so that the response is not
        # buffered and replayed by webob; an oversized Content-Length goes
        # through the library itself, which logs the refusal.
        length = _content_length(environ)
        if length is not None and length > self.max_size:
            return self._refuse(environ, start_response)
        if length is None:
            req = webob.Request(environ)
            if req.is_body_readable:
                # No length (chunked): count what the app reads.
                req.body_file = sizelimit.LimitingReader(req.body_file,
                                                         self.max_size)
        try:
            return self.application(environ, start_response)
        except webob.exc.HTTPRequestEntityTooLarge:
            return self._too_large()(environ, start_response)
        except webob.exc.HTTPException as e:
            # What webob.dec.wsgify did with it.
            return e(environ, start_response)

    @webob.dec.wsgify
    def _refuse(self, req):
        try:
            return super().__call__(req)
        except webob.exc.HTTPRequestEntityTooLarge:
            return self._too_large()

    def _too_large(self):
        return faults.fault_response(
            413, 'Request is too large. Larger than '
                 'max_request_body_size (%d bytes).' % self.max_size)


def _content_length(environ):
    # As webob's Request.content_length reads it, without building one.
    value = environ.get('CONTENT_LENGTH')
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class Healthcheck(_PrivateConfig, healthcheck.Healthcheck):
    """``/healthcheck`` (``[healthcheck]`` options), as an app."""

    @classmethod
    def app_factory(cls, global_conf, **local_conf):
        middleware_conf.set_healthcheck_defaults(conf.CONF)
        return cls(None, _paste_options(global_conf, local_conf))
