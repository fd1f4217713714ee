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
"""Options of the [network] group: which network backend.

Read by the compute drivers that take a network backend (those whose
servers are a hypervisor's); the ``memory`` and ``sql`` drivers keep their
ports themselves and ignore it.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup(
    'network', title='Network backend options',
    help='Where the compute drivers that plug NICs into real machines '
         '(libvirt, the per-host agents) get ports, addresses and '
         'bindings from.')

OPTS = [
    cfg.StrOpt(
        'backend',
        default='sql',
        help='Name of the network backend, as registered in the '
             '"nova_attach_ifaces.network_backends" entry-point group. '
             'Built in: "sql" (networks and ports in the [database] store, '
             'seeded from [sql] inventory_file; a network may name its '
             'Linux bridge) and "neutron" (a real Neutron, reached with '
             'the [neutron] options).'),
]


def register_opts(conf):
    # A group object per ConfigOpts: register_group() keeps a shallow copy
    # sharing its option table with the object given.
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title,
                                     help=GROUP.help))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {GROUP: OPTS}
