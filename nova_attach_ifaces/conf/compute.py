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
"""Options of the [compute] group: which driver, and limits it enforces."""

from oslo_config import cfg

GROUP = cfg.OptGroup('compute', title='Compute driver options')

OPTS = [
    cfg.StrOpt(
        'driver',
        default='memory',
        help='Name of the compute driver, as registered in the '
             '"nova_attach_ifaces.compute_drivers" entry-point group. '
             'Built in: "memory" (an inventory file, forgotten on restart) '
             '"sql" (a database, shared by every API worker) and '
             '"libvirt" (the domains of [libvirt] connection_uri, ports '
             'from [network] backend).'),
    cfg.IntOpt(
        'max_interfaces_per_server',
        default=0,
        min=0,
        help='Most interfaces one server may have attached; an attach '
             'beyond it is refused with 403 "Maximum number of ports '
             'exceeded". 0 means no limit.'),
]


def register_opts(conf):
    # A group object per ConfigOpts: register_group() keeps a shallow copy
    # sharing its option table with the object given, so overrides on one
    # ConfigOpts would otherwise show on every other one.
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {GROUP: OPTS}
