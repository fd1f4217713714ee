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
"""Options of the ``[DEFAULT]`` group that are this service's own."""

import socket

from oslo_config import cfg

GROUP = cfg.OptGroup('DEFAULT')

OPTS = [
    cfg.StrOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<current_hostname>',
        help='Name of this host, as Nova names compute hosts. A per-host '
             'compute agent serves RPC under this name, the API records '
             'which servers it has under it, ports it plugs are bound to '
             'it (binding:host_id), and notifications name it. It must be '
             'unique among the agents on one transport and stable across '
             'restarts.'),
    cfg.IntOpt(
        'long_rpc_timeout',
        default=1800,
        min=1,
        help='Seconds an API worker waits for a compute agent\'s answer to '
             'a call that may take long: unplugging a NIC, which waits for '
             'the guest to release it (on the agent, [libvirt] '
             'device_detach_timeout times device_detach_attempts). Meanwhile '
             'the agent sends a heartbeat every few seconds, and a call '
             'whose agent sends none for [DEFAULT] rpc_response_timeout '
             'seconds fails at once: a dead agent is found as fast as for '
             'any other call. Nova\'s option of the same name.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return {GROUP: OPTS}
