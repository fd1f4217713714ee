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
"""Several hypervisor hosts on one machine, for the multi-host tests.

Each host is an embedded QEMU root of its own (:class:`Host`) served by a
``nova-attach-ifaces-compute`` process (:class:`AgentProcess`) with its
own ``[DEFAULT] host``. An embedded root belongs to one process at a time,
so the test never opens one itself: it defines, reads and destroys its
domains with ``virsh`` while no agent runs on it (QEMU outlives the
process that started it, and the next one reattaches to it).

The API workers are gunicorn processes (:func:`api_config` is their
configuration) on the ``agents`` driver, reaching the agents through the
message bus.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from nova_attach_ifaces.compute.libvirt import connection
from nova_attach_ifaces.compute.libvirt import demo
from nova_attach_ifaces.compute.libvirt import domain

_SPLIT = '@@nai-next-domain@@'
_QEMU_NIC = re.compile(r'^ua-([0-9a-f-]+):', re.M)

BIN_DIR = os.path.dirname(sys.executable)
AGENT = os.path.join(BIN_DIR, 'nova-attach-ifaces-compute')
#: Seconds for an agent to start serving, and to stop.
START_TIMEOUT = 60
STOP_TIMEOUT = 30

_BUS = """
[DEFAULT]
transport_url = %(transport_url)s
control_exchange = %(control_exchange)s
rpc_response_timeout = %(timeout)d

[network]
backend = sql

[database]
connection = %(connection)s
"""

AGENT_CONFIG = _BUS + """
[DEFAULT]
host = %(host)s
log_file = %(log)s
# The reconciliation cycles say when they end at DEBUG only.
debug = true

[compute_agent]
report_interval = %(report_interval)d

[libvirt]
connection_uri = %(uri)s
"""

API_CONFIG = _BUS + """
[api]
auth_strategy = noauth2

[compute]
driver = agents

[sql]
inventory_file = %(inventory)s
state_dir = %(state_dir)s
"""


def api_config(**values):
    """The configuration file text of an API worker on the agents."""
    return API_CONFIG % values


def virsh(uri, *commands, attempts=1):
    """Run ``commands`` in one ``virsh`` session on ``uri``; its output.

    A session goes on after a command that failed, and its exit status is
    the last command's: any ``error:`` it printed fails the session too.
    Read-only sessions may be run again, ``attempts`` times in all: a
    virsh that has just opened an embedded root may not have reconnected
    to every QEMU yet, and answers for that domain with an error.
    """
    for attempt in range(attempts):
        done = subprocess.run(
            ['virsh', '-q', '-c', uri, ' ; '.join(commands)],
            capture_output=True, text=True, timeout=120)
        if done.returncode == 0 and 'error:' not in done.stderr:
            return done.stdout
        if attempt + 1 < attempts:
            time.sleep(1)
    raise RuntimeError('virsh %s: exit status %d: %s' % (
        commands, done.returncode, (done.stdout + done.stderr)[-2000:]))


class Host:
    """One host's embedded QEMU root, under ``directory``.

    :param seed: another :class:`Host` whose QEMU capability cache this
        one starts from, so that libvirt probes QEMU once per test, not
        once per host (it re-probes a cache that does not fit).
    """

    def __init__(self, name, directory, seed=None):
        self.name = name
        self.root = os.path.join(directory, name)
        self.uri = 'qemu:///embed?root=%s' % self.root
        connection.prepare_embed_root(self.root)
        if seed is not None:
            shutil.copytree(os.path.join(seed.root, 'cache'),
                            os.path.join(self.root, 'cache'))
        self.servers = []

    def define(self, project_id, count, root_ports):
        """Define and start ``count`` domains of ``project_id``; their
        UUIDs.
        """
        commands = []
        for _ in range(count):
            server_id = str(uuid.uuid4())
            name = 'nai-%s-%s' % (self.name, server_id[:8])
            xml = demo.domain_xml(
                name, server_id, project_id=project_id,
                root_ports=root_ports,
                serial_path=os.path.join(self.root, '%s.serial' % name))
            path = os.path.join(self.root, '%s.xml' % name)
            with open(path, 'w') as f:
                f.write(xml)
            commands += ['define %s' % path, 'start %s' % name]
            self.servers.append(server_id)
        virsh(self.uri, *commands)
        return self.servers[-count:]

    def nics(self):
        """{server_id: {port_id: mac}} of the ``ua-`` NICs in each
        domain's live XML (no agent may be running on this root).
        """
        found = {}
        # One virsh for all: each opens the root anew.
        output = virsh(self.uri, *('dumpxml %s' % server_id
                                   for server_id in self.servers),
                       attempts=3)
        documents = [part + '</domain>'
                     for part in output.split('</domain>')[:-1]]
        for server_id, document in zip(self.servers, documents):
            root = domain.parse(document)
            if root.findtext('uuid') != server_id:
                raise RuntimeError('virsh dumpxml gave %s for %s' % (
                    root.findtext('uuid'), server_id))
            found[server_id] = {
                domain.nic_alias(device)[3:]: domain.nic_mac(device)
                for device in root.findall('devices/interface')
                if (domain.nic_alias(device) or '').startswith('ua-')}
        return found

    def qemu_nics(self):
        """{server_id: {port_id}} of the ``ua-`` NICs QEMU itself has
        (its monitor's ``info network``), known to libvirt or not.
        """
        commands = []
        for server_id in self.servers:
            commands += ['echo %s' % _SPLIT,
                         'qemu-monitor-command %s --hmp info network'
                         % server_id]
        parts = virsh(self.uri, *commands, attempts=3).split(_SPLIT)[1:]
        return {server_id: set(_QEMU_NIC.findall(part))
                for server_id, part in zip(self.servers, parts)}

    def destroy(self):
        """Stop every QEMU of this root and remove the root."""
        run_dir = os.path.join(self.root, 'run', 'qemu')
        if os.path.isdir(run_dir):
            # By their pid files: virsh cannot open a root that a dead
            # agent's half-made state keeps unusable, QEMU must go anyway.
            for entry in os.listdir(run_dir):
                if not entry.endswith('.pid') or entry == 'driver.pid':
                    continue
                try:
                    with open(os.path.join(run_dir, entry)) as f:
                        os.kill(int(f.read().strip()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


class AgentProcess:
    """``nova-attach-ifaces-compute`` serving ``host``; its log in the
    host's root.
    """

    def __init__(self, host, bus, report_interval=5):
        self.host = host
        self.config_path = os.path.join(host.root, 'agent.conf')
        self.log_path = os.path.join(host.root, 'agent.log')
        with open(self.config_path, 'w') as f:
            f.write(AGENT_CONFIG % dict(
                bus, host=host.name, log=self.log_path, uri=host.uri,
                report_interval=report_interval))
        self.process = None
        self.started_at = 0
        self.starts = 0

    def start(self):
        """Start the agent (returns at once; see :meth:`wait_serving`)."""
        self.started_at = self._size()
        environ = dict(os.environ, HOME=self.host.root)
        self.process = subprocess.Popen(
            [AGENT, '--config-file', self.config_path],
            env=environ, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.starts += 1

    def _size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log(self, since=None):
        """The log from offset ``since`` (default: this start's)."""
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(self.started_at if since is None else since)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def mark(self):
        """The log's offset now, for :meth:`wait_for`."""
        return self._size()

    def wait_for(self, text, since=None, timeout=START_TIMEOUT):
        """Wait until the log says ``text`` after offset ``since``
        (default: since this start); the offset after that line.
        """
        since = self.started_at if since is None else since
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.log(since).find(text)
            if found >= 0:
                return since + found + len(text)
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError('agent %s: no %r (exit status %s):\n%s' % (
            self.host.name, text, self.process.poll(),
            self.log(since)[-5000:]))

    def wait_serving(self):
        self.wait_for('Compute agent %s serving' % self.host.name)

    def wait_cycle(self, since):
        """Wait for a whole reconciliation cycle begun after offset
        ``since`` (:meth:`mark`).
        """
        checked = self.wait_for(
            'Compute agent %s checked the NICs' % self.host.name,
            since=since)
        self.wait_for('Compute agent %s reconciled' % self.host.name,
                      since=checked)

    def kill(self):
        """SIGKILL, as a crash or an OOM kill does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def terminate(self):
        """Send SIGTERM (a graceful stop); :meth:`stop` waits for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self):
        """SIGTERM (a graceful stop), then SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()


def workdir():
    """A directory for the hosts' roots (short: QEMU's monitor socket
    path must fit a UNIX socket address).
    """
    return tempfile.mkdtemp(prefix='nai-hosts-')
