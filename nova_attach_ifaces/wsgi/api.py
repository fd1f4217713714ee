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
"""WSGI entry point: ``nova_attach_ifaces.wsgi.api:application``.

Point uwsgi, gunicorn or mod_wsgi at ``application``; it is built once per
process, at import, from the environment described in
:mod:`nova_attach_ifaces.wsgi`.
"""

import threading

from nova_attach_ifaces import wsgi

_LOCK = threading.Lock()
_APPLICATION = None


def init_application():
    global _APPLICATION
    with _LOCK:
        if _APPLICATION is None:
            _APPLICATION = wsgi.init_application()
    return _APPLICATION


application = init_application()
