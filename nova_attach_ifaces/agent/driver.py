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
"""The ``agents`` compute driver: the API side of the per-host agents.

``[compute] driver = agents`` is :class:`AgentsDriver`.
:class:`AgentHypervisor` is a hypervisor whose servers are those of every
host with an agent: each call is looked up in the host map (which host
reported the server) and sent to that host's agent over RPC. The driver
is :class:`~nova_attach_ifaces.compute.hosted.HostedDriver` over it and the
configured network backend, so that policy, the state and lock checks and
the port work stay in the API, and an agent only plugs and unplugs.

A server the host map does not know is 404; one that two hosts report is
409 until one of them no longer has it; a host whose agent does not answer
is 503 naming the host. Lists of servers ask every host in parallel and
leave out, with a warning, the hosts that do not answer.
"""

from concurrent import futures
import contextlib

from oslo_context import context as oslo_context
from oslo_log import log as logging

from nova_attach_ifaces.agent import hostmap as hostmap_mod
from nova_attach_ifaces.agent import rpcapi
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hosted
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import context as nai_context

LOG = logging.getLogger(__name__)

# Hosts asked at once for a list of servers.
_LIST_WORKERS = 8


def _rpc_context():
    """The context an RPC call carries: the caller's identity and request
    ids, for the agent's log; never the caller's token, which the agent
    has no use for.
    """
    current = oslo_context.get_current()
    if current is None:
        return nai_context.RequestContext(overwrite=False)
    return nai_context.RequestContext(
        user_id=current.user_id, project_id=current.project_id,
        request_id=current.request_id,
        global_request_id=current.global_request_id,
        is_admin=current.is_admin, overwrite=False)


class AgentHypervisor(hypervisor.Hypervisor):
    """Every host's hypervisor, behind its agent (see the module
    docstring).
    """

    def __init__(self, conf, hostmap=None, agents=None):
        super().__init__(conf)
        self.hostmap = hostmap or hostmap_mod.HostMap(conf)
        self.agents = agents or rpcapi.AgentAPI(conf)

    def close(self):
        self.agents.close()
        self.hostmap.close()

    def server_host(self, server_id):
        return self.hostmap.host_of(server_id)

    def _call(self, method, server_id, **kwargs):
        host = self.hostmap.host_of(server_id)
        return getattr(self.agents, method)(_rpc_context(), host, server_id,
                                            **kwargs)

    def get_server(self, server_id):
        return self._call('get_server', server_id)

    def list_servers(self, project_id=None):
        hosts = self.hostmap.hosts()
        if not hosts:
            return []
        context = _rpc_context()
        found = {}
        workers = min(len(hosts), _LIST_WORKERS)
        with futures.ThreadPoolExecutor(workers) as pool:
            answers = [(host, pool.submit(self.agents.list_servers, context,
                                          host, project_id))
                       for host in hosts]
            for host, answer in answers:
                try:
                    servers = answer.result()
                except exception.ComputeHostUnavailable as e:
                    LOG.warning('Servers of host %(host)s left out of a '
                                'list: %(error)s',
                                {'host': host, 'error': e.format_message()})
                    continue
                for server in servers:
                    found.setdefault(server.id, server)
        return list(found.values())

    def list_nics(self, server_id):
        return self._call('list_nics', server_id)

    def get_server_nics(self, server_id):
        return self._call('get_server_nics', server_id)

    def plug(self, server_id, port_id, mac_address, vif_type='tap',
             vif_details=None, tag=None, created=False):
        return self._call('plug', server_id, port_id=port_id,
                          mac_address=mac_address, vif_type=vif_type,
                          vif_details=dict(vif_details or {}), tag=tag,
                          created=created)

    def unplug(self, server_id, port_id, mac_address=None):
        return self._call('unplug', server_id, port_id=port_id,
                          mac_address=mac_address)

    def set_locked(self, server_id, locked):
        return self._call('set_locked', server_id, locked=locked)


class AgentsDriver(hosted.HostedDriver):
    """``[compute] driver = agents``: the servers of every host with an
    agent (:class:`AgentHypervisor`, over ``[DEFAULT] transport_url``),
    ports from ``[network] backend``.

    The host map's schema is checked (or, with ``[sql] auto_migrate``,
    brought to head) before anything else, so that a worker on a database
    without the ``server_hosts`` table fails at start saying so, not on
    its first request.
    """

    def __init__(self, conf):
        # What is built is closed again, last first, if a later part fails.
        with contextlib.ExitStack() as built:
            hostmap = hostmap_mod.HostMap(conf)
            built.callback(hostmap.close)
            hostmap.prepare()
            backend = loader.load_network_backend(conf)
            built.callback(backend.close)
            agents = AgentHypervisor(conf, hostmap=hostmap)
            built.pop_all()
        super().__init__(conf, agents, backend)
