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
"""Per-host compute agents: the hypervisor half of attach and detach, done
on the server's own host, reached over oslo.messaging RPC.

Layout, API side to host side:

* :mod:`.rpcapi`: the versioned RPC client the API workers use, one
  server name per host, with the ``[upgrade_levels] compute_agent`` cap;
* :mod:`.hostmap`: which host has which server, in the API database;
* :mod:`.manager`: the RPC endpoint the agent serves, over its host's
  hypervisor;
* :mod:`.service`: the agent process (``nova-attach-ifaces-compute``):
  RPC server, domain reports, reconciliation at start.
"""
