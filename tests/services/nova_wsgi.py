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
"""TEST ONLY: Nova's WSGI entry point for :mod:`tests.services.nova`.

Nova parses ``sys.argv`` as its own command line when its application is
imported, and gunicorn's options are not Nova's: hide them meanwhile (as
uwsgi's ``--pyargv`` would).
"""

import sys

_argv, sys.argv[:] = list(sys.argv), sys.argv[:1]
try:
    from nova.wsgi import osapi_compute
finally:
    sys.argv[:] = _argv

application = osapi_compute.application
