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
"""Options of the [memory] group, for the in-memory compute driver."""

from oslo_config import cfg

GROUP = cfg.OptGroup('memory', title='In-memory compute driver options')

OPTS = [
    cfg.StrOpt(
        'inventory_file',
        help='YAML file with the networks, ports and servers the "memory" '
             'driver starts with (format: etc/nova-attach-ifaces/'
             'inventory.yaml.sample). A relative path is looked up in the '
             'configuration directories. Unset: start empty.'),
]


def register_opts(conf):
    # A group object per ConfigOpts: register_group() keeps a shallow copy
    # sharing its option table with the object given, so overrides on one
    # ConfigOpts would otherwise show on every other one.
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {GROUP: OPTS}
