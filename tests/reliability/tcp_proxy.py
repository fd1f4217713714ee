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
"""A TCP proxy in front of a database server, to take it away and back.

The service reaches its database through :class:`TCPProxy` on a loopback
port. :meth:`TCPProxy.stop` is the database going away as a network
partition or a crashed server looks to a client: every open connection is
reset and new ones are refused. :meth:`TCPProxy.start` brings it back
on the same port. The database server itself is never touched, so what it
committed stays committed.

Threads, one pair per connection: the soak opens a few dozen at most.
"""

import socket
import struct
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_BUFFER = 65536


def _reset(sock):
    """End ``sock`` at once, as a dead peer's connection ends."""
    try:
        # Nothing queued is sent: an RST where the kernel can.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
        # close() alone would not wake a thread blocked in recv() on it
        # (the connection would stay up, and its client hang): shutdown()
        # does.
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class TCPProxy(object):
    """Forward 127.0.0.1:``port`` to ``target_host``:``target_port``.

    :ivar port: the listening port, chosen at the first start and kept.
    :ivar connections: how many client connections were accepted in all.
    """

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = 0
        self.connections = 0
        self._listener = None
        self._acceptor = None
        self._open = set()
        self._lock = threading.Lock()
        self._running = threading.Event()

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(128)
        # accept() wakes up to see a stop: closing a socket another thread
        # is blocked on does not wake it on Linux.
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def stop(self):
        """Refuse new connections and reset every open one."""
        self._running.clear()
        if self._acceptor is not None:
            self._acceptor.join()
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _reset(sock)

    def _accept(self):
        while self._running.is_set():
            try:
                client, _address = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError as e:
                LOG.warning('proxy: %s:%d unreachable: %s',
                            self.target[0], self.target[1], e)
                _reset(client)
                continue
            with self._lock:
                if not self._running.is_set():
                    _reset(client)
                    _reset(upstream)
                    return
                self._open.update((client, upstream))
                self.connections += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink),
                                 daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(_BUFFER)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        # One side ended: end the other, once.
        with self._lock:
            owned = [s for s in (source, sink) if s in self._open]
            self._open.difference_update(owned)
        for sock in owned:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
