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
"""The RPC endpoint a compute agent serves (server side of :mod:`.rpcapi`).

Each method runs on the agent's own host, against its hypervisor, with the
caller's request context. Domain exceptions raised here travel back to the
caller as themselves (see :mod:`nova_attach_ifaces.rpc`).
"""

from oslo_log import log as logging
import oslo_messaging

from nova_attach_ifaces.agent import rpcapi

LOG = logging.getLogger(__name__)


class AgentManager:
    """The endpoint of RPC API :data:`~.rpcapi.VERSION`.

    :param host: this agent's ``[DEFAULT] host``.
    :param hypervisor: this host's hypervisor.
    """

    target = oslo_messaging.Target(version=rpcapi.VERSION)

    def __init__(self, host, hypervisor):
        self.host = host
        self.hypervisor = hypervisor

    def ping(self, context):
        return {'host': self.host, 'version': rpcapi.VERSION}
