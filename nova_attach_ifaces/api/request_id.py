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

from oslo_middleware import request_id


class RequestId(request_id.RequestId):
    """oslo.middleware's RequestId, also answering ``x-compute-request-id``.

    tempest and novaclient read ``x-openstack-request-id``; older Nova
    clients read ``x-compute-request-id``. Both carry the same ``req-<uuid>``.
    """

    compat_headers = ['x-compute-request-id']
