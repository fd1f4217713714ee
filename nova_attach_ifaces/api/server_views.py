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
"""How a server looks on the wire, per microversion (Nova's shapes).

A driver knows a server's id, name, project, states, lock and attached
ports; nothing about images, flavors, hosts, metadata or volumes. Those
keys are still present, because clients and tempest's schemas require
them, with the values Nova documents for "none" or "unknown" (listed in
doc/source/differences.rst).
"""

import ipaddress

# Nova's vm_state -> status, with the task states that change it.
_STATUS = {
    'active': ('ACTIVE', {
        'rebooting': 'REBOOT', 'reboot_pending': 'REBOOT',
        'reboot_started': 'REBOOT', 'rebooting_hard': 'HARD_REBOOT',
        'reboot_pending_hard': 'HARD_REBOOT',
        'reboot_started_hard': 'HARD_REBOOT',
        'updating_password': 'PASSWORD', 'rebuilding': 'REBUILD',
        'rebuild_block_device_mapping': 'REBUILD',
        'rebuild_spawning': 'REBUILD', 'migrating': 'MIGRATING',
        'resize_prep': 'RESIZE', 'resize_migrating': 'RESIZE',
        'resize_migrated': 'RESIZE', 'resize_finish': 'RESIZE'}),
    'building': ('BUILD', {}),
    'stopped': ('SHUTOFF', {
        'resize_prep': 'RESIZE', 'resize_migrating': 'RESIZE',
        'resize_migrated': 'RESIZE', 'resize_finish': 'RESIZE',
        'rebuilding': 'REBUILD'}),
    'resized': ('VERIFY_RESIZE', {'resize_reverting': 'REVERT_RESIZE'}),
    'paused': ('PAUSED', {'migrating': 'MIGRATING'}),
    'suspended': ('SUSPENDED', {}),
    'rescued': ('RESCUE', {}),
    'error': ('ERROR', {'rebuilding': 'REBUILD'}),
    'deleted': ('DELETED', {}),
    'soft-delete': ('SOFT_DELETED', {}),
    'shelved': ('SHELVED', {}),
    'shelved_offloaded': ('SHELVED_OFFLOADED', {}),
}

# Nova's power_state numbers: NOSTATE 0, RUNNING 1, PAUSED 3, SHUTDOWN 4,
# SUSPENDED 7.
_POWER_STATE = {'active': 1, 'rescued': 1, 'resized': 1, 'paused': 3,
                'stopped': 4, 'shelved': 4, 'suspended': 7}

# Statuses for which Nova shows "progress".
_PROGRESS_STATUSES = frozenset(
    {'ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'})

# Shown when the store does not know when the server was created.
UNKNOWN_TIME = '1970-01-01T00:00:00Z'


def status(server):
    default, by_task = _STATUS.get(server.vm_state, ('UNKNOWN', {}))
    return by_task.get(server.task_state, default)


def _time(server):
    if server.created_at is None:
        return UNKNOWN_TIME
    return server.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')


def links(server, urls):
    return [{'rel': 'self', 'href': '%s/servers/%s' % (urls[0], server.id)},
            {'rel': 'bookmark',
             'href': '%s/servers/%s' % (urls[1], server.id)}]


def summary(server, urls):
    """The ``GET /servers`` item."""
    return {'id': server.id, 'name': server.name,
            'links': links(server, urls)}


def addresses(attachments, network_names):
    """``{network name: [address, ...]}`` of the attached ports."""
    grouped = {}
    for att in attachments:
        label = network_names.get(att.net_id) or att.net_id
        for ip in att.fixed_ips:
            grouped.setdefault(label, []).append({
                'version': ipaddress.ip_address(ip.ip_address).version,
                'addr': ip.ip_address,
                'OS-EXT-IPS:type': 'fixed',
                'OS-EXT-IPS-MAC:mac_addr': att.mac_addr,
            })
    return grouped


def _flavor(version):
    if version >= (2, 47):
        # The embedded flavor of 2.47+: nothing is known of it.
        return {'vcpus': 0, 'ram': 0, 'disk': 0, 'ephemeral': 0, 'swap': 0,
                'original_name': ''}
    return {'id': '', 'links': []}


def detail(server, attachments, network_names, urls, version, show=False):
    """A ``GET /servers/detail`` item at microversion ``version``.

    With ``show``, the ``server`` of ``GET /servers/{id}``.
    """
    state = status(server)
    created = _time(server)
    view = {
        'id': server.id,
        'name': server.name,
        'status': state,
        'tenant_id': server.project_id,
        'user_id': '',
        'metadata': {},
        'hostId': '',
        'image': '',
        'flavor': _flavor(version),
        'created': created,
        'updated': created,
        'addresses': addresses(attachments, network_names),
        'accessIPv4': '',
        'accessIPv6': '',
        'links': links(server, urls),
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': 'nova',
        'config_drive': '',
        'key_name': None,
        'OS-SRV-USG:launched_at': None,
        'OS-SRV-USG:terminated_at': None,
        'OS-EXT-STS:task_state': server.task_state,
        'OS-EXT-STS:vm_state': server.vm_state,
        'OS-EXT-STS:power_state': _POWER_STATE.get(server.vm_state, 0),
        'os-extended-volumes:volumes_attached': [],
    }
    if state in _PROGRESS_STATUSES:
        view['progress'] = 0
    if version >= (2, 9):
        view['locked'] = server.locked
    if version >= (2, 19):
        view['description'] = None
    if version >= (2, 26):
        view['tags'] = []
    if version >= (2, 63):
        view['trusted_image_certificates'] = None
    if version >= (2, 73):
        view['locked_reason'] = None
    if version >= (2, 96):
        view['pinned_availability_zone'] = None
    if show and version >= (2, 71):
        view['server_groups'] = []
    if version >= (2, 100):
        view['scheduler_hints'] = {}
    return view
