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
"""Options of the per-host compute agents and of the RPC API to them.

``[compute_agent] report_interval`` is read by
``nova-attach-ifaces-compute``, the agent on each hypervisor host;
``[compute_agent] send_retries`` and ``[upgrade_levels]`` by the API
workers that call the agents. The agent's name on the bus is ``[DEFAULT]
host``.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup('compute_agent', title='Per-host compute agent options')
UPGRADE_GROUP = cfg.OptGroup('upgrade_levels',
                             title='RPC version caps, for rolling upgrades')

OPTS = [
    cfg.IntOpt(
        'report_interval',
        default=10,
        min=1,
        help='Seconds between an agent\'s full reports of its domains to '
             'the host map in the API database. A domain defined or '
             'undefined is reported at once, from libvirt\'s lifecycle '
             'event; this interval bounds how late a new domain can become '
             'usable through the API when an event was missed (the agent '
             'was reconnecting to libvirt or to the database).'),
    cfg.IntOpt(
        'send_retries',
        default=2,
        min=0,
        help='How many times an API worker reconnects to the message bus '
             'to send one call to a compute agent before it answers 503. '
             'oslo.messaging waits [oslo_messaging_rabbit] '
             'rabbit_retry_interval seconds before the first attempt and '
             'rabbit_retry_backoff more before each next one, so the '
             'default gives up after about 4 seconds, well within the '
             'rpc_response_timeout a caller waits anyway.'),
]

UPGRADE_OPTS = [
    cfg.StrOpt(
        'compute_agent',
        help='Highest RPC API version the API workers may send to compute '
             'agents, e.g. "1.0". Unset: the newest version this code '
             'knows. During a rolling upgrade that adds an RPC version, '
             'set it to the version of the oldest agent still running, '
             'upgrade every agent, then unset it. An agent ignores it.'),
]


def register_opts(conf):
    # A group object per ConfigOpts (see conf.compute).
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)
    conf.register_group(cfg.OptGroup(UPGRADE_GROUP.name,
                                     title=UPGRADE_GROUP.title))
    conf.register_opts(UPGRADE_OPTS, group=UPGRADE_GROUP.name)


def list_opts():
    return {GROUP: OPTS, UPGRADE_GROUP: UPGRADE_OPTS}
