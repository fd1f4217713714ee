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
"""Options of the [libvirt] group, for the ``libvirt`` compute driver.

The detach options keep Nova's names and meaning, so an operator's values
carry over.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup('libvirt', title='libvirt hypervisor options')

OPTS = [
    cfg.StrOpt(
        'connection_uri',
        default='qemu:///system',
        help='libvirt connection URI of this host\'s hypervisor. '
             '"qemu:///system" reaches the host\'s libvirtd; '
             '"qemu:///embed?root=DIR" runs QEMU inside this process, with '
             'no daemon, its state under DIR (one process per DIR: a '
             'single-process service or tests only, not several API '
             'workers).'),
    cfg.StrOpt(
        'default_bridge',
        help='Linux bridge a NIC joins when its port\'s binding names '
             'none (binding:vif_details bridge_name). Unset: such a NIC is '
             'a plain tap device on the host, joined to nothing.'),
    cfg.IntOpt(
        'device_detach_attempts',
        default=8,
        min=1,
        help='How many times a detach asks the guest to release a NIC '
             'before giving up (as Nova\'s option of this name). The port '
             'stays attached and bound when the guest never releases it.'),
    cfg.IntOpt(
        'device_detach_timeout',
        default=20,
        min=1,
        help='Seconds each detach attempt waits for libvirt\'s device '
             'removal event (as Nova\'s option of this name). A DELETE '
             'answers at most attempts x timeout seconds after it arrived.'),
]


def register_opts(conf):
    # A group object per ConfigOpts: register_group() keeps a shallow copy
    # sharing its option table with the object given, so overrides on one
    # ConfigOpts would otherwise show on every other one.
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {GROUP: OPTS}
