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
"""The option list for oslo-config-generator (``oslo.config.opts``)."""

from nova_attach_ifaces import conf


def list_opts():
    """[(group, [opts])] of this service's own groups, sorted by group."""
    opts = {}
    for module in conf.MODULES:
        for group, group_opts in module.list_opts().items():
            opts.setdefault(group, []).extend(group_opts)
    return sorted(opts.items(), key=lambda item: item[0].name)
