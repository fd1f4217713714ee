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
"""The libvirt connection of one process.

Events come from :mod:`.events`: libvirt's loop on one thread, and one
:class:`~.events.EventHub` per ``virConnect``, to which each
:class:`Connection` subscribes.

The connection reopens by itself: when libvirtd goes away, libvirt calls
the close callback, calls fail with :class:`ComputeUnavailable` (503) and a
background thread reopens the connection once the daemon answers again (a
request arriving meanwhile tries too). Events are registered again on
every new connection.
"""

import os
import threading
import time
import urllib.parse

import libvirt
from oslo_log import log as logging

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute.libvirt import events

LOG = logging.getLogger(__name__)

# Errors that mean the connection (not the request) failed: the daemon
# went away, its socket closed, or the RPC layer broke.
_CONNECTION_ERROR_DOMAINS = frozenset({libvirt.VIR_FROM_REMOTE,
                                       libvirt.VIR_FROM_RPC})
_CONNECTION_ERROR_CODES = frozenset({libvirt.VIR_ERR_NO_CONNECT,
                                     libvirt.VIR_ERR_INVALID_CONN})

# An embedded QEMU driver has no virtlogd to hand its output to and no
# daemon to set up users, namespaces and cgroups: QEMU runs as the service's
# own user with its output in files (the settings libvirtd needs without
# libvirt-daemon-system, see doc/source/deployment.rst).
EMBED_QEMU_CONF = """\
# Written by nova-attach-ifaces for an embedded QEMU driver (no daemon).
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
cgroup_controllers = [ ]
"""


def embed_root(uri):
    """The root directory of a ``qemu:///embed?root=DIR`` URI, else None.
    """
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme != 'qemu' or parsed.path != '/embed':
        return None
    return urllib.parse.parse_qs(parsed.query).get('root', [None])[0]


def prepare_embed_root(root):
    """Give embedded root ``root`` a qemu.conf for running without a daemon,
    unless it has one (the operator's wins).
    """
    path = os.path.join(root, 'etc', 'qemu.conf')
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(EMBED_QEMU_CONF)
    LOG.info('Wrote %s for the embedded QEMU driver', path)


_EMBEDDED = {}
_EMBEDDED_HUBS = {}
_EMBEDDED_LOCK = threading.Lock()


def open_embedded(uri):
    """The process's one connection to embedded URI ``uri``.

    libvirt registers the embedded QEMU driver again on every open, and
    gives up after about fifteen ("Too many drivers"): a process opens
    each embedded root once and shares that connection, never closed.

    :raises libvirt.libvirtError: it cannot be opened.
    """
    with _EMBEDDED_LOCK:
        conn = _EMBEDDED.get(uri)
        if conn is None:
            events.start_event_loop()
            prepare_embed_root(embed_root(uri))
            conn = _EMBEDDED[uri] = libvirt.open(uri)
        return conn


def _embedded_hub(uri):
    """The shared connection to ``uri`` and its one event hub."""
    conn = open_embedded(uri)
    with _EMBEDDED_LOCK:
        hub = _EMBEDDED_HUBS.get(uri)
        if hub is None:
            hub = _EMBEDDED_HUBS[uri] = events.EventHub(conn)
        return conn, hub


def is_connection_error(error):
    """Whether ``error`` (a ``libvirtError``) says the connection broke."""
    if error.get_error_domain() in _CONNECTION_ERROR_DOMAINS:
        return True
    return error.get_error_code() in _CONNECTION_ERROR_CODES


class _Removal:
    """A detach waiting for libvirt to report the device removed."""

    def __init__(self):
        self.done = threading.Event()
        self.failed = False


class Connection:
    """The connection to ``uri``, opened on first use and after a loss.

    :param uri: a libvirt URI (``qemu:///system``,
        ``qemu:///embed?root=DIR``, ``qemu+unix:///system?socket=...``).
    :param retry_interval: seconds between reconnection attempts while the
        daemon is away.
    """

    def __init__(self, uri, retry_interval=1.0):
        self.uri = uri
        self.retry_interval = retry_interval
        self._conn = None
        self._lock = threading.Lock()
        self._closed = False
        self._reconnecting = False
        self._removals = {}
        self._removals_lock = threading.Lock()
        self._lifecycle_listeners = []
        self._connect_listeners = []
        self.embedded = embed_root(uri) is not None
        self._hub = None
        events.start_event_loop()

    # Listeners (the agent's domain reports, the hypervisor's clean-up).

    def add_lifecycle_listener(self, callback):
        """Call ``callback(server_id, event, detail)`` on each domain
        lifecycle event (``libvirt.VIR_DOMAIN_EVENT_*``), on the event loop
        thread: it must not block.
        """
        self._lifecycle_listeners.append(callback)

    def add_connect_listener(self, callback):
        """Call ``callback()`` after each reconnection (not the first
        connection), on the thread that reconnected.
        """
        self._connect_listeners.append(callback)

    # The connection.

    def get(self):
        """The open ``virConnect``.

        :raises ComputeUnavailable: libvirt cannot be reached now.
        """
        conn = self._conn
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise exception.ComputeUnavailable()
            if self._conn is None:
                self._open()
            return self._conn

    def _open(self):
        """Open the connection (under ``_lock``); ComputeUnavailable if
        libvirt cannot be reached.
        """
        conn = None
        try:
            if self.embedded:
                conn, hub = _embedded_hub(self.uri)
            else:
                conn = libvirt.open(self.uri)
                # A daemon that hangs (rather than exits) is found out too.
                conn.setKeepAlive(5, 3)
                conn.registerCloseCallback(self._on_close, None)
                hub = events.EventHub(conn)
        except libvirt.libvirtError as e:
            LOG.warning('Cannot connect to libvirt at %s: %s', self.uri, e)
            if conn is not None and not self.embedded:
                self._close_quietly(conn, None)
            raise exception.ComputeUnavailable()
        hub.subscribe(self)
        LOG.info('Connected to libvirt at %s', self.uri)
        self._conn, self._hub = conn, hub

    @staticmethod
    def _close_quietly(conn, hub):
        try:
            if hub is not None:
                hub.close()
            conn.close()
        except libvirt.libvirtError:
            pass

    def _release(self, conn, hub):
        """Let go of ``conn``: stop listening to its events, and close it
        unless it is the process's shared embedded connection.
        """
        hub.unsubscribe(self)
        if not self.embedded:
            self._close_quietly(conn, hub)

    def lost(self, conn=None):
        """Forget the connection ``conn`` (default: the current one), found
        broken by a call, and reconnect in the background.
        """
        with self._lock:
            if self._conn is None:
                return
            if conn is not None and conn is not self._conn:
                return
            LOG.warning('Lost the libvirt connection to %s', self.uri)
            old, self._conn = self._conn, None
            hub, self._hub = self._hub, None
            self._start_reconnecting()
        # Waiting detaches re-read the domain (on a new connection, or get
        # ComputeUnavailable) instead of waiting out their timeout.
        with self._removals_lock:
            for removal in self._removals.values():
                removal.done.set()
        threading.Thread(target=self._release, args=(old, hub),
                         daemon=True).start()

    def _on_close(self, conn, reason, opaque):
        # On the event loop thread: no blocking calls here.
        LOG.warning('libvirt closed the connection to %s (reason %s)',
                    self.uri, reason)
        threading.Thread(target=self.lost, args=(conn,),
                         daemon=True).start()

    def _start_reconnecting(self):
        if self._reconnecting or self._closed:
            return
        self._reconnecting = True
        threading.Thread(target=self._reconnect_loop,
                         name='libvirt-reconnect', daemon=True).start()

    def _reconnect_loop(self):
        try:
            while not self._closed:
                try:
                    self.get()
                    break
                except exception.ComputeUnavailable:
                    time.sleep(self.retry_interval)
        finally:
            with self._lock:
                self._reconnecting = False
        if self._closed:
            return
        for callback in list(self._connect_listeners):
            try:
                callback()
            except Exception:
                LOG.exception('libvirt reconnection listener failed')

    def close(self):
        """Close the connection for good (shutdown, tests)."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            hub, self._hub = self._hub, None
        if conn is not None:
            self._release(conn, hub)

    # Device removal.

    def expect_removal(self, server_id, alias):
        """Start watching for the removal of ``alias`` from ``server_id``;
        call before asking for the detach, so that the event cannot be
        missed. :meth:`wait_removal` then waits; :meth:`forget_removal`
        stops watching.
        """
        removal = _Removal()
        with self._removals_lock:
            self._removals[(server_id, alias)] = removal
        return removal

    def forget_removal(self, server_id, alias):
        with self._removals_lock:
            self._removals.pop((server_id, alias), None)

    # Events, from this connection's hub, on the event loop thread.

    def device_removed(self, server_id, alias):
        with self._removals_lock:
            removal = self._removals.get((server_id, alias))
        if removal is not None:
            removal.done.set()

    def device_removal_failed(self, server_id, alias):
        LOG.info('The guest of %s refused to release device %s',
                 server_id, alias)
        with self._removals_lock:
            removal = self._removals.get((server_id, alias))
        if removal is not None:
            removal.failed = True
            removal.done.set()

    def lifecycle(self, server_id, event, detail):
        for callback in list(self._lifecycle_listeners):
            try:
                callback(server_id, event, detail)
            except Exception:
                LOG.exception('libvirt lifecycle listener failed')
