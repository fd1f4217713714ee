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
"""libvirt's event loop, and one event registration per connection.

libvirt delivers events (a device's removal, a domain's lifecycle, the
connection closing) only to a process that registered an event loop
implementation before opening any connection, and runs the callbacks on
whichever thread runs that loop. So one daemon thread per process runs
libvirt's default loop, started before the first connection is opened;
every callback runs on it, and must never block or call back into libvirt
in a way that waits for an event.

libvirt-python registers every domain event of a connection with the same
C callback and the connection itself as its opaque value, so libvirt sees
a second registration of the same event on one connection as a duplicate
("event callback already tracked"). A process may well hold several
:class:`~.connection.Connection` objects on one ``virConnect``: the
embedded QEMU driver's connection is shared by everything in the process
(:func:`~.connection.open_embedded`), and so by every app and driver built
in it. So each ``virConnect`` gets one :class:`EventHub`, which registers
each event once and hands it to every listener subscribed to it.
"""

import threading
import time
import weakref

import libvirt
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_LOOP_LOCK = threading.Lock()
_LOOP_THREAD = None


def _quiet_error_handler(opaque, error):
    # libvirt-python's default handler prints every error to stderr, also
    # the ones callers handle (a domain not found, a detach retried); they
    # are raised as libvirtError and logged where they matter.
    pass


def _run_event_loop():
    while True:
        try:
            libvirt.virEventRunDefaultImpl()
        except Exception:
            LOG.exception('libvirt event loop iteration failed')
            time.sleep(0.1)


def start_event_loop():
    """Register libvirt's default event loop and run it on a daemon thread,
    once per process; must precede the first ``libvirt.open``.
    """
    global _LOOP_THREAD
    with _LOOP_LOCK:
        if _LOOP_THREAD is not None:
            return
        libvirt.registerErrorHandler(_quiet_error_handler, None)
        libvirt.virEventRegisterDefaultImpl()
        _LOOP_THREAD = threading.Thread(
            target=_run_event_loop, name='libvirt-event-loop', daemon=True)
        _LOOP_THREAD.start()


class EventHub:
    """The domain events of one ``virConnect``, registered once each.

    A listener is any object with the methods ``device_removed(server_id,
    alias)``, ``device_removal_failed(server_id, alias)`` and
    ``lifecycle(server_id, event, detail)``; they run on the event loop
    thread and must not block. Listeners are held weakly: one dropped
    without unsubscribing (an app that was garbage-collected) stops being
    called rather than being kept alive by the connection.

    :raises libvirt.libvirtError: the events cannot be registered.
    """

    def __init__(self, conn):
        self.conn = conn
        self._listeners = weakref.WeakSet()
        self._lock = threading.Lock()
        self._ids = [
            conn.domainEventRegisterAny(None, event, callback, None)
            for event, callback in (
                (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                 self._on_device_removed),
                (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
                 self._on_device_removal_failed),
                (libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                 self._on_lifecycle))]

    def subscribe(self, listener):
        with self._lock:
            self._listeners.add(listener)

    def unsubscribe(self, listener):
        with self._lock:
            self._listeners.discard(listener)

    def close(self):
        """Take the registrations off the connection (not closing it)."""
        ids, self._ids = self._ids, []
        for callback_id in ids:
            try:
                self.conn.domainEventDeregisterAny(callback_id)
            except libvirt.libvirtError:
                # The connection is gone, and its registrations with it.
                pass

    def _emit(self, method, *args):
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                getattr(listener, method)(*args)
            except Exception:
                LOG.exception('libvirt %s listener failed', method)

    def _on_device_removed(self, conn, dom, alias, opaque):
        self._emit('device_removed', dom.UUIDString(), alias)

    def _on_device_removal_failed(self, conn, dom, alias, opaque):
        self._emit('device_removal_failed', dom.UUIDString(), alias)

    def _on_lifecycle(self, conn, dom, event, detail, opaque):
        self._emit('lifecycle', dom.UUIDString(), event, detail)
