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
"""The compute agent of one host: RPC server, domain reports,
reconciliation.

Start-up, in this order, so that nothing is served before it is true:

1. the host map's schema is checked (or brought to head);
2. the host's servers are reported (replacing this host's rows), and a
   server another host reports too is logged as an error: the API refuses
   to act on it until one host no longer has it;
3. the NICs of those servers are reconciled with the network backend
   (:mod:`.reconcile`, first pass);
4. the RPC server starts on topic ``nova-attach-ifaces-compute``, server
   ``[DEFAULT] host``;
5. a thread reports the servers every ``[compute_agent] report_interval``
   seconds, and ``[DEFAULT] rpc_response_timeout`` after serving began
   runs the second reconciliation pass (ports bound without NIC).

Reconciliation then goes on while the agent serves, in cycles: at the
first report after a second pass, a first pass over the servers just
reported, and ``rpc_response_timeout`` + 1 seconds later the second pass
over what it found. A crash is not the only way to leave an attach or a
detach half-done: the message bus lost between the agent's work and its
reply makes the caller give up (503) on a plug or unplug that happened,
and the caller then releases the port of a NIC that is there, or keeps
bound the port of a NIC that is gone. A cycle puts that right within
``report_interval`` + ``rpc_response_timeout`` + 1 seconds of the end of
the cycle that was running, without a restart.

A hypervisor that sends events of servers defined, started, stopped and
undefined (:meth:`~nova_attach_ifaces.compute.hypervisor.Hypervisor.
watch_servers`, libvirt's lifecycle events) has them written to the host
map at once, by the reports thread (the hypervisor's event thread must not
wait for a database or call the hypervisor back): a server whose event
does not say whether it is still here is looked up there, and a
reconnection to the hypervisor, after which events may have been missed,
is followed by a full report. A report or
event that cannot be written (the database away) is logged; the next
report catches up.
"""

import queue
import threading
import time

from oslo_log import log as logging
import oslo_messaging

from nova_attach_ifaces.agent import hostmap as hostmap_mod
from nova_attach_ifaces.agent import manager as manager_mod
from nova_attach_ifaces.agent import reconcile
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hosted
from nova_attach_ifaces import rpc

LOG = logging.getLogger(__name__)


class AgentService:
    """The agent of ``hypervisor``'s host (``[DEFAULT] host``).

    :param conf: the agent's parsed ``ConfigOpts``.
    :param hypervisor: this host's hypervisor; the service closes it.
    :param backend: the network backend (the API's); the service closes
        it.
    :param hostmap: the host map (default: in ``[database]``).
    :param transport: the RPC transport (default: ``[DEFAULT]
        transport_url``).
    """

    def __init__(self, conf, hypervisor, backend, hostmap=None,
                 transport=None):
        self.conf = conf
        self.host = conf.host
        self.hypervisor = hypervisor
        self.backend = backend
        self.hostmap = hostmap or hostmap_mod.HostMap(conf)
        self.transport = transport or rpc.get_rpc_transport(conf)
        self.server_lock = hosted.ServerLocks()
        self.manager = manager_mod.AgentManager(
            self.host, hypervisor, self.server_lock, backend=backend)
        self.reconciler = reconcile.Reconciler(
            self.host, hypervisor, backend, self.server_lock)
        self.rpc_server = None
        self._stopping = threading.Event()
        self._events = queue.Queue()
        self._thread = None

    def start(self):
        self.hostmap.prepare()
        servers = self.hypervisor.list_servers()
        self._report(servers)
        pending = self.reconciler.check_nics(servers)
        target = oslo_messaging.Target(topic=rpc.TOPIC, server=self.host)
        self.rpc_server = oslo_messaging.get_rpc_server(
            self.transport, target, [self.manager], executor='threading',
            serializer=rpc.Serializer())
        self.rpc_server.start()
        served_at = time.monotonic()
        LOG.info('Compute agent %(host)s serving %(topic)s with %(count)d '
                 'server(s)', {'host': self.host, 'topic': rpc.TOPIC,
                               'count': len(servers)})
        if self.hypervisor.watch_servers(self._server_event):
            LOG.info('Reporting servers defined and undefined as they are')
        self._thread = threading.Thread(
            target=self._periodic, args=(served_at, pending),
            name='agent-reports', daemon=True)
        self._thread.start()

    def request_stop(self):
        """Make :meth:`wait` return (safe in a signal handler)."""
        self._stopping.set()
        self._events.put(None)

    def stop(self):
        """Stop serving (finishing the calls in flight), then close."""
        self.request_stop()
        if self.rpc_server is not None:
            self.rpc_server.stop()
            self.rpc_server.wait()
        if self._thread is not None:
            self._thread.join()
        self.hypervisor.close()
        self.backend.close()
        self.hostmap.close()
        self.transport.cleanup()
        LOG.info('Compute agent %s stopped', self.host)

    def wait(self):
        """Block until :meth:`request_stop` or :meth:`stop` is called."""
        while not self._stopping.wait(3600):
            pass

    def _periodic(self, served_at, pending):
        # A port bound without NIC is released only once every call sent
        # before it was seen has answered or expired (see .reconcile).
        delay = self.conf.rpc_response_timeout + 1
        release_at = served_at + delay
        interval = self.conf.compute_agent.report_interval
        next_report = time.monotonic() + interval
        cycles = 0
        while not self._stopping.is_set():
            now = time.monotonic()
            if pending is not None and now >= release_at:
                self.reconciler.release(pending)
                pending = None
                # Once at INFO (the start is put right), then each cycle
                # at DEBUG.
                log = LOG.debug if cycles else LOG.info
                log('Compute agent %s reconciled', self.host)
                cycles += 1
            if now >= next_report:
                servers = self._report_now()
                if pending is None and servers is not None:
                    pending = self._check_nics(servers)
                    release_at = time.monotonic() + delay
                next_report = now + interval
            wake = next_report if pending is None else min(next_report,
                                                           release_at)
            try:
                event = self._events.get(timeout=max(0, wake - now))
            except queue.Empty:
                continue
            if event is not None:
                self._record(*event)

    def _report(self, servers):
        others = self.hostmap.report(self.host,
                                     [server.id for server in servers])
        self._log_others(others)

    def _report_now(self):
        """Report the servers; them, or None when that failed."""
        try:
            servers = self.hypervisor.list_servers()
            self._report(servers)
            return servers
        except Exception as e:
            LOG.warning('Could not report the servers of host %s: %s',
                        self.host, e)
            return None

    def _check_nics(self, servers):
        """The first pass of a cycle: its pending ports."""
        # check_nics() logs and skips a server it cannot reconcile.
        pending = self.reconciler.check_nics(servers)
        LOG.debug('Compute agent %s checked the NICs of %d server(s)',
                  self.host, len(servers))
        return pending

    def _server_event(self, server_id, present):
        # On the hypervisor's event thread, which must not wait for the
        # database: the reports thread writes it.
        self._events.put((server_id, present))

    def _record(self, server_id, present):
        if server_id is None:
            # Events may have been lost (libvirt reconnected): the whole
            # list again, as a periodic report.
            self._report_now()
            return
        try:
            if present is None:
                present = self._present(server_id)
            if present:
                self._log_others(self.hostmap.add(self.host, server_id))
            else:
                self.hostmap.remove(self.host, server_id)
        except Exception as e:
            LOG.warning('Could not record the change of server %s on host '
                        '%s (the next report will): %s', server_id,
                        self.host, e)

    def _present(self, server_id):
        try:
            self.hypervisor.get_server(server_id)
            return True
        except exception.ServerNotFound:
            return False

    @staticmethod
    def _log_others(others):
        for server_id, hosts in sorted(others.items()):
            LOG.error('Server %(server)s is on this host and on %(hosts)s: '
                      'the API refuses to change it until only one host '
                      'has it', {'server': server_id,
                                 'hosts': ', '.join(hosts)})
