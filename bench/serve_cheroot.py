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
"""Serve ``module:attr`` on cheroot as ``nova-attach-ifaces-api`` does.

Usage: ``python -m bench.serve_cheroot bench.baseline:application PORT``
(loopback only; the same thread count and server settings as the
embedded server of the main job, for a like-for-like baseline).
"""

import importlib
import signal
import sys

from cheroot import wsgi as cheroot_wsgi


def main():
    target, port = sys.argv[1], int(sys.argv[2])
    module, attr = target.split(':')
    app = getattr(importlib.import_module(module), attr)
    server = cheroot_wsgi.Server(('127.0.0.1', port), app, numthreads=16,
                                 server_name='nova-attach-ifaces')
    signal.signal(signal.SIGTERM, lambda signum, frame: server.stop())
    try:
        server.safe_start()
    finally:
        server.stop()


if __name__ == '__main__':
    main()
