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
"""Nova-shaped faults, and the last-resort fault wrapper middleware.

Every error this service produces is ``{"<faultName>": {"code": N,
"message": "..."}}``, the body all Nova clients parse. Messages are written
for the person reading them; no traceback, file path or internal class name
ever reaches a response (the log has them, under the request id).
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob

from nova_attach_ifaces.api import base

LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}

FAULT_CONTENT_TYPE = 'application/json; charset=UTF-8'

UNEXPECTED_ERROR = ('Unexpected API Error. Please contact the administrator '
                    'and quote request id %s.')


def fault_response(code, message, headers=(), retry_after=None):
    """Build the webob response for a fault.

    :param headers: extra (name, value) pairs, e.g. version headers.
    :param retry_after: seconds, for 413/429 (Nova's ``retryAfter``).
    """
    name = FAULT_NAMES.get(code, 'computeFault')
    fault = {'code': code, 'message': message}
    if retry_after is not None and code in (413, 429):
        fault['retryAfter'] = str(retry_after)
    response = webob.Response(
        status=code,
        body=jsonutils.dump_as_bytes({name: fault}),
        content_type=FAULT_CONTENT_TYPE)
    for header, value in headers:
        response.headerlist.append((header, value))
    if retry_after is not None and code in (413, 429):
        response.headers['Retry-After'] = str(retry_after)
    return response


def unexpected_error_response(environ, headers=()):
    """A 500 that says only how to find the details in the log."""
    request_id = environ.get('openstack.request_id', 'unknown')
    return fault_response(500, UNEXPECTED_ERROR % request_id, headers)


class FaultWrapper(base.Filter):
    """Turn any exception that escapes the pipeline into a Nova 500 fault.

    The API app already answers every error it foresees; this catches the
    rest (a bug, a driver failing in an unexpected way), logs it with its
    traceback, and answers without leaking it.
    """

    def __call__(self, environ, start_response):
        # Plain WSGI rather than webob.dec.wsgify: nothing to do on the
        # way out, so the response is not buffered and replayed. The app
        # below (a webob app) answers before start_response is called, so
        # an exception always comes before any response was started.
        try:
            return self.application(environ, start_response)
        except Exception:
            req = webob.Request(environ)
            LOG.exception('Unexpected error serving %s %s', req.method,
                          req.path)
            return unexpected_error_response(environ)(environ,
                                                      start_response)
