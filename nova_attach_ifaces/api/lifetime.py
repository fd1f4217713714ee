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
"""The compute drivers a process's apps own, closed when it stops.

The API app (:func:`~.router.app_factory`) and the drop-in filter
(:func:`~.dropin.filter_factory`) each build a compute driver, which holds
connections and threads (a database pool, libvirt's connection, an RPC
client): :meth:`~..compute.driver.ComputeDriver.close` lets them go
cleanly. paste has no shutdown hook and the WSGI servers we run under do
not share one, so the process's exit is the hook:

* ``nova-attach-ifaces-api`` (cheroot) calls :func:`close_all` itself,
  after ``server.stop()`` has finished the requests in flight and before
  logging is shut down;
* under uwsgi, gunicorn, mod_wsgi or a Nova API process (the drop-in
  filter), Python's :mod:`atexit`, which each of them runs when a worker
  exits normally, calls :func:`close_all`. A worker killed outright closes
  nothing; its connections die with it, as they would anyway.

Drivers are held weakly: an app that is dropped (tests build hundreds)
takes its driver with it, rather than this list keeping every database
pool of the process open until exit.
"""

import atexit
import threading
import weakref

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_LOCK = threading.Lock()
_OWNED = []
_HOOKED = False


def own(compute_driver):
    """Close ``compute_driver`` when the process exits; returns it."""
    global _HOOKED
    with _LOCK:
        if not _HOOKED:
            # Registered after oslo.log's and logging's own handlers, so
            # run before them (atexit is last in, first out): the close
            # can still log.
            atexit.register(close_all)
            _HOOKED = True
        _OWNED.append(weakref.ref(compute_driver))
    return compute_driver


def mark():
    """A position in the list of owned drivers, for :func:`close_all`."""
    with _LOCK:
        return len(_OWNED)


def close_all(since=0):
    """Close the drivers owned since :func:`mark` returned ``since``
    (default: all of them), the last owned first; each only once.
    """
    with _LOCK:
        refs = _OWNED[since:]
        del _OWNED[since:]
    for ref in reversed(refs):
        drv = ref()
        if drv is None:
            continue
        try:
            drv.close()
        except Exception:
            LOG.exception('Closing compute driver %r failed', drv)
