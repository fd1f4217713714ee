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
"""Request ids, with Nova's compatibility header."""

import re

from oslo_context import context
from oslo_middleware import request_id

# The inbound global request id header, as a WSGI environ key.
_INBOUND_KEY = 'HTTP_' + request_id.INBOUND_HEADER.upper().replace('-', '_')
_ID_FORMAT = re.compile(request_id.ID_FORMAT)


class RequestId(request_id.RequestId):
    """oslo.middleware's RequestId, also answering ``x-compute-request-id``.

    tempest and novaclient read ``x-openstack-request-id``; older Nova
    clients read ``x-compute-request-id``. Both carry the same ``req-<uuid>``.
    """

    compat_headers = ['x-compute-request-id']

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        self._return_headers = tuple(
            [request_id.HTTP_RESP_HEADER_REQUEST_ID] + self.compat_headers)

    def __call__(self, environ, start_response):
        # The library's steps, as a plain WSGI call: its webob.dec.wsgify
        # version buffers the whole response of the pipeline below into a
        # webob Response and replays it, which cost more than the API
        # call itself. Headers the app already set are kept, as there.
        gr_id = environ.get(_INBOUND_KEY)
        if gr_id and _ID_FORMAT.match(gr_id):
            environ[request_id.GLOBAL_REQ_ID] = gr_id
        req_id = context.generate_request_id()
        environ[request_id.ENV_REQUEST_ID] = req_id

        def _start_response(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            headers = list(headers)
            headers.extend((header, req_id) for header in self._return_headers
                           if header not in present)
            return start_response(status, headers, exc_info)

        return self.application(environ, _start_response)
