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
"""Ports a failed attach may have left in Neutron, and their cleanup.

Two kinds, both kept in this process by the ``neutron`` backend:

* *known*: a port an attach created, whose delete (the undo of an attach
  the hypervisor could not finish) could not reach Neutron. Its id is kept
  and the delete retried.
* *possible*: a create whose answer never came (a timeout, a connection
  lost, a 5xx): Neutron may have made the port all the same. Every port
  the backend creates carries a marker of its own attach in
  ``binding:profile`` (:data:`PROFILE_KEY`; only admins and services see
  that attribute), so the server's ports are listed and the one with the
  marker deleted. Nothing else is ever deleted. A possible orphan is given
  up once Neutron has been answering for ``grace`` seconds (the backend
  passes ``[neutron] timeout``) without showing it: the create never
  happened.

:meth:`Orphans.clean` runs before every call of the backend; with nothing
kept it makes no call, so the backend's call budget holds. At most
:data:`LIMIT` orphans are kept; beyond, the oldest is dropped with an
ERROR line naming it for the operator.
"""

import collections
import threading
import time

from oslo_log import log as logging

from nova_attach_ifaces.compute import exception

LOG = logging.getLogger(__name__)

#: The ``binding:profile`` key of the marker of the attach that created a
#: port.
PROFILE_KEY = 'nova_attach_ifaces_attach'

#: Orphans kept at most (a long Neutron outage under load).
LIMIT = 1000


class Orphans:
    """The orphans of one backend (see the module docstring)."""

    def __init__(self, grace):
        self._grace = grace
        # port id -> None; marker -> [server id, give-up time or None].
        self._known = collections.OrderedDict()
        self._possible = collections.OrderedDict()
        self._lock = threading.Lock()

    def add_known(self, port_id):
        with self._lock:
            self._known[port_id] = None
            self._bound(self._known, 'port %s')

    def add_possible(self, marker, server_id):
        with self._lock:
            self._possible[marker] = [server_id, None]
            self._bound(self._possible,
                        'a port of server %%s with binding:profile '
                        '{"%s": "%%s"}' % PROFILE_KEY)

    def _bound(self, kept, what):
        while len(kept) > LIMIT:
            key, value = kept.popitem(last=False)
            names = (key,) if value is None else (value[0], key)
            LOG.error('Too many ports left by failed attaches to remember; '
                      'delete %s in Neutron by hand', what % names)

    def clean(self, list_ports, delete_port):
        """Delete what Neutron confirms; keep the rest for the next call.

        ``list_ports(server_id)`` returns Neutron's JSON of the server's
        ports, ``delete_port(port_id)`` deletes one (a port already gone is
        not an error); both raise ``NetworkServiceUnavailable`` while
        Neutron is away.
        """
        if not (self._known or self._possible):
            return
        if not self._lock.acquire(blocking=False):
            return  # another request is cleaning
        try:
            self._clean_known(delete_port)
            self._clean_possible(list_ports, delete_port)
        except exception.NetworkServiceUnavailable:
            pass
        finally:
            self._lock.release()

    def _clean_known(self, delete_port):
        for port_id in list(self._known):
            _delete(delete_port, port_id)
            self._known.pop(port_id)

    def _clean_possible(self, list_ports, delete_port):
        for marker, kept in list(self._possible.items()):
            server_id, give_up = kept
            found = [port['id'] for port in list_ports(server_id)
                     if (port.get('binding:profile') or {}).get(
                         PROFILE_KEY) == marker]
            for port_id in found:
                _delete(delete_port, port_id)
            now = time.monotonic()
            if found or (give_up is not None and now >= give_up):
                self._possible.pop(marker)
            elif give_up is None:
                kept[1] = now + self._grace


def _delete(delete_port, port_id):
    try:
        delete_port(port_id)
    except exception.NetworkServiceUnavailable:
        raise
    except exception.ComputeError:
        LOG.exception('Cannot delete port %s left by a failed attach',
                      port_id)
    else:
        LOG.info('Deleted port %s left by a failed attach', port_id)
