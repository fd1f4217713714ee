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
"""A real libvirtd of the test's own, started and stopped by its PID.

For what an embedded QEMU cannot show: a second process looking at the
same domains (``virsh domiflist``; an embedded root is locked by the
process that opened it) and the daemon going away under the service.

libvirtd as root keeps its QEMU driver's state in fixed places
(``/etc/libvirt``, ``/run/libvirt``, ``/var/lib/libvirt``,
``/var/cache/libvirt``, ``/var/log/libvirt``), so two daemons on one
machine would share them. Each :class:`Libvirtd` runs in a mount
namespace of its own (``unshare --mount``) in which those directories are
bind mounts of a temporary directory: its configuration (``qemu.conf`` as
the daemon needs it without ``libvirt-daemon-system``, see
:data:`~nova_attach_ifaces.compute.libvirt.connection.EMBED_QEMU_CONF`),
its socket, its domains. The socket is reached from outside the namespace
at its real path: ``qemu+unix:///system?socket=<tmp>/run/libvirt-sock``.
``unshare`` execs the daemon, so the child's PID is libvirtd's own:
:meth:`kill` and :meth:`start` act on it as an operator's ``kill PID``
and init would. Domains outlive a daemon restart (their QEMU processes
keep running), as on a real host.

Skips (fails under ``CI=true``) without the packages of
:mod:`tests.services.qemu`, root, or a kernel that allows mount
namespaces.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

from tests.services import qemu
from tests.unit import sql_backends

try:
    import libvirt

    from nova_attach_ifaces.compute.libvirt import connection
    from nova_attach_ifaces.compute.libvirt import demo
except ImportError:
    libvirt = None

#: The directories the daemon keeps its state in, bound to ours.
STATE_DIRS = {'etc': '/etc/libvirt', 'run': '/run/libvirt',
              'lib': '/var/lib/libvirt', 'cache': '/var/cache/libvirt',
              'log': '/var/log/libvirt'}

LIBVIRTD_CONF = """\
# Written by the nova-attach-ifaces tests: a daemon of the tests' own.
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
"""

#: libvirt probes QEMU's capabilities on the first connection (several
#: seconds), then caches them under /var/cache/libvirt.
START_TIMEOUT = 90


def probe():
    """None if a libvirtd of our own can run here, else why not."""
    why = qemu.probe()
    if why is not None:
        return why
    if shutil.which('libvirtd') is None:
        return 'libvirtd is not installed; %s' % qemu.HINT
    if shutil.which('unshare') is None:
        return 'unshare (util-linux) is not installed'
    result = subprocess.run(['unshare', '--mount', 'true'],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return ('this machine refuses mount namespaces (unshare --mount: '
                '%s), which a libvirtd of the tests\' own needs; run as '
                'root on a host or a privileged container'
                % result.stderr.strip())
    return None


_DAEMON = None
_LOCK = threading.Lock()


def get(testcase):
    """This process's running :class:`Libvirtd` (one start of several
    seconds per process, stopped at its exit); skip (fail in CI) when it
    cannot run here.
    """
    global _DAEMON
    why = probe()
    if why is not None:
        sql_backends.skip_or_fail(testcase, why)
    with _LOCK:
        if _DAEMON is None:
            _DAEMON = Libvirtd()
            atexit.register(_DAEMON.close)
        if not _DAEMON.running():
            # A test that killed it and failed before its restart.
            _DAEMON.start()
    return _DAEMON


class Libvirtd(qemu.DomainChecks):
    """One libvirtd, its state under a temporary directory."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix='nai-libvirtd-')
        for name in STATE_DIRS:
            os.makedirs(os.path.join(self.base, name))
        with open(os.path.join(self.base, 'etc', 'qemu.conf'), 'w') as f:
            f.write(connection.EMBED_QEMU_CONF)
        self.conf_file = os.path.join(self.base, 'etc', 'libvirtd.conf')
        with open(self.conf_file, 'w') as f:
            f.write(LIBVIRTD_CONF)
        self.socket = os.path.join(self.base, 'run', 'libvirt-sock')
        self.uri = 'qemu+unix:///system?socket=%s' % self.socket
        self.process = None
        self._conn = None

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        """Start the daemon; return once it answers."""
        binds = []
        for name, target in STATE_DIRS.items():
            # The mount points (empty directories of the host: nothing is
            # mounted on them outside the namespace).
            os.makedirs(target, exist_ok=True)
            binds.append('mount --bind %s %s'
                         % (os.path.join(self.base, name), target))
        script = ' && '.join(binds + [
            'exec libvirtd -f %s -p /run/libvirt/libvirtd.pid'
            % self.conf_file])
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.process = subprocess.Popen(
            ['unshare', '--mount', '--propagation', 'private',
             'sh', '-c', script],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError('libvirtd exited with %d; see %s'
                                   % (self.process.returncode,
                                      self.log_file))
            if os.path.exists(self.socket):
                try:
                    self._conn = libvirt.open(self.uri)
                    self._conn.getCapabilities()
                    return
                except libvirt.libvirtError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError('libvirtd did not answer within %ds; '
                                   'see %s' % (START_TIMEOUT, self.log_file))
            time.sleep(0.1)

    @property
    def log_file(self):
        return os.path.join(self.base, 'log', 'libvirtd.log')

    @property
    def conn(self):
        return self._conn

    def kill(self, sig=signal.SIGKILL):
        """Kill the daemon by its PID (its domains keep running)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except libvirt.libvirtError:
                pass
            self._conn = None
        os.kill(self.process.pid, sig)
        self.process.wait(timeout=60)

    def close(self):
        """Remove every domain, stop the daemon, remove its directory."""
        if self.running():
            if self._conn is not None:
                for dom in self._conn.listAllDomains(0):
                    qemu.remove_domain(dom)
            self.kill(signal.SIGTERM)
        shutil.rmtree(self.base, ignore_errors=True)

    def define(self, testcase, project_id=None, start=True, **kwargs):
        """Define (and start) a domain removed at cleanup; its UUID."""
        server_id = str(uuid.uuid4())
        name = 'nai-test-%s' % server_id[:8]
        dom = self._conn.defineXML(demo.domain_xml(
            name, server_id, project_id=project_id, **kwargs))
        # Looked up again at cleanup: the daemon may have been restarted.
        testcase.addCleanup(self._remove, server_id)
        if start:
            dom.create()
        return server_id

    def _remove(self, server_id):
        if self._conn is None:
            return
        try:
            qemu.remove_domain(self.dom(server_id))
        except libvirt.libvirtError:
            pass

    def virsh(self, *args):
        """``virsh -c URI ARGS``: its output; fails the test on error."""
        return subprocess.run(['virsh', '-c', self.uri] + list(args),
                              capture_output=True, text=True, check=True,
                              timeout=60).stdout
