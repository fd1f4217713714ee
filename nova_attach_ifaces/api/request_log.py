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
"""One INFO access-log line per API request.

The line names the request id, method, path, microversion, status, body
length and duration::

    req-9f1c... 192.0.2.7 "GET /v2.1/servers/.../os-interface" status: 200
    len: 412 microversion: 2.70 time: 0.004125

The microversion is the one the API answered with (its
``OpenStack-API-Version`` header), ``-`` when the request never reached the
API (version documents, 401, 413). Headers are never logged, so no token
is ever written.
"""

import time
from urllib import parse

from oslo_context import context as oslo_context
from oslo_log import log as logging
from oslo_utils import strutils
from webob import request as webob_request

from nova_attach_ifaces.api import base

LOG = logging.getLogger(__name__)

_FORMAT = ('%(request_id)s %(remote_addr)s "%(method)s %(path)s" '
           'status: %(status)s len: %(len)s microversion: %(microversion)s '
           'time: %(time).6f')


class RequestLog(base.Filter):
    """Log each request once it is answered (placement's and Nova's idea).

    It runs inside ``request_id`` (so it knows the request id) and outside
    ``faultwrap``'s inner filters, authentication included, so requests
    refused by the pipeline are logged as well.
    """

    def __call__(self, environ, start_response):
        # Plain WSGI rather than webob.dec.wsgify: the status and headers
        # are all the line needs, so they are read as they pass by instead
        # of buffering the response into a webob Response and replaying it.
        start = time.monotonic()
        request_id = environ.get('openstack.request_id', '-')
        # oslo.log prints the thread's current context in every line;
        # replace whatever the previous request on this thread left there
        # with one that knows only this request's id. The context filter
        # replaces it again once the caller is known.
        oslo_context.RequestContext(request_id=request_id, overwrite=True)
        if not LOG.isEnabledFor(logging.INFO):
            # The line is turned off (default_log_levels): nothing to
            # watch for.
            return self.application(environ, start_response)
        answer = []

        def _start_response(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        try:
            app_iter = self.application(environ, _start_response)
        except Exception:
            # faultwrap, outside us, turns this into the 500.
            _log(environ, request_id, 500, None, start)
            raise
        if not answer:
            # An app that starts its response only as it is iterated (none
            # of ours does): run it to the end first, as webob did.
            try:
                body = list(app_iter)
            finally:
                if hasattr(app_iter, 'close'):
                    app_iter.close()
            app_iter = body
        status, headers = answer
        _log(environ, request_id, int(status.split(None, 1)[0]), headers,
             start)
        return app_iter


def _log(environ, request_id, status, headers, start):
    length = microversion = '-'
    # Two headers of a short list: a scan costs less than a header view.
    for name, value in headers or ():
        name = name.lower()
        if name == 'content-length':
            length = value
        elif name == 'openstack-api-version' and value:
            # "compute 2.70" -> "2.70"
            microversion = value.split()[-1]
    values = {
        'request_id': request_id,
        'remote_addr': environ.get('REMOTE_ADDR') or '-',
        'method': environ.get('REQUEST_METHOD'),
        'path': _path_qs(environ),
        'status': status,
        'len': length,
        'microversion': microversion,
        'time': time.monotonic() - start,
    }
    # LOG.info(_FORMAT, values), in the two public steps the standard
    # library's Logger takes for it: makeRecord() with what oslo.log's
    # adapter and findCaller() give it, then handle().
    logger = LOG.logger
    (path, line, func), extra = _RECORD_ARGS or _record_args()
    logger.handle(logger.makeRecord(logger.name, logging.INFO, path, line,
                                    _FORMAT, (values,), None, func, extra))


# What findCaller() and oslo.log's adapter give every line written by
# _log: the same each time (_log's file, name and line, which findCaller
# finds by walking the stack; the adapter's extra keys), so asked once.
_RECORD_ARGS = None


def _record_args():
    global _RECORD_ARGS
    # stacklevel=2: the frame that called us, _log.
    _RECORD_ARGS = (LOG.logger.findCaller(stacklevel=2)[:3],
                    LOG.process(_FORMAT, {})[1]['extra'])
    return _RECORD_ARGS


def _path_qs(environ):
    # webob's Request.path_qs, read straight from the environ.
    path = ''.join(
        parse.quote_from_bytes(environ.get(key, '').encode('latin-1'),
                               webob_request.PATH_SAFE)
        for key in ('SCRIPT_NAME', 'PATH_INFO'))
    query = environ.get('QUERY_STRING')
    if query:
        # A query string is the client's to choose; mask anything that
        # looks like a secret in it.
        path = strutils.mask_password(path + '?' + query)
    return path
