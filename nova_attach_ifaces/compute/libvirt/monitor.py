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
"""NICs that QEMU has and libvirt lost track of, and their removal.

libvirt records a hot-plugged device once QEMU's ``device_add`` has
returned. A libvirt killed in between (the embedded driver of an agent
that was SIGKILLed, a libvirtd that crashed) comes back with a domain
whose XML lacks a device QEMU still has: its PCI slot looks free to
libvirt, and every later attach placed there fails with QEMU's "slot 0
function 0 not available ..., in use by ...,id=ua-<port>". Nothing in
libvirt's API can name that device again, so it is removed through QEMU's
monitor (QMP ``device_del`` and ``netdev_del``, as libvirt itself would);
libvirt marks the domain tainted by a monitor command, which is the truth.
"""

import json
import re
import time

import libvirt
import libvirt_qemu
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_IN_USE = re.compile(r'not available for [^,]+, in use by [^,]+,'
                     r'id=(ua-[0-9A-Za-z-]+)')
_POLL = 0.05


def lost_alias(error, known):
    """The alias of the device that QEMU's refusal ``error`` names as
    holding the slot, when libvirt does not know it (not in ``known``);
    else None.
    """
    match = _IN_USE.search(str(error))
    if match is None or match.group(1) in known:
        return None
    return match.group(1)


def _qmp(dom, command, **arguments):
    reply = libvirt_qemu.qemuMonitorCommand(
        dom, json.dumps({'execute': command, 'arguments': arguments}), 0)
    return json.loads(reply).get('return')


def present(dom, alias):
    """Whether QEMU has a device ``alias``."""
    return any(item.get('name') == alias
               for item in _qmp(dom, 'qom-list',
                                path='/machine/peripheral') or ())


def remove_lost(dom, alias, timeout):
    """Unplug the lost device ``alias`` from QEMU and drop its backend;
    whether it is gone within ``timeout`` seconds.
    """
    LOG.warning('QEMU has a NIC %(alias)s that libvirt lost track of (it '
                'stopped during that attach) in domain %(domain)s; '
                'removing it', {'alias': alias, 'domain': dom.UUIDString()})
    try:
        _qmp(dom, 'device_del', id=alias)
        deadline = time.monotonic() + timeout
        while present(dom, alias):
            if time.monotonic() > deadline:
                LOG.error('The guest of %(domain)s did not release the lost '
                          'NIC %(alias)s within %(timeout)s s',
                          {'domain': dom.UUIDString(), 'alias': alias,
                           'timeout': timeout})
                return False
            time.sleep(_POLL)
    except (libvirt.libvirtError, ValueError) as e:
        LOG.error('Could not remove the lost NIC %(alias)s from %(domain)s: '
                  '%(error)s', {'alias': alias, 'domain': dom.UUIDString(),
                                'error': e})
        return False
    try:
        # libvirt names a NIC's backend "host" + its alias; its tap goes
        # with it.
        _qmp(dom, 'netdev_del', id='host' + alias)
    except (libvirt.libvirtError, ValueError) as e:
        LOG.warning('Could not drop the backend of the lost NIC %(alias)s: '
                    '%(error)s', {'alias': alias, 'error': e})
    return True


def remove_leftovers(dom, port_ids, timeout):
    """Remove the lost NICs of ``port_ids`` (ports with an attach record
    and no device in the XML) that QEMU has.

    :returns: (the port ids removed, those QEMU no longer has).
    """
    removed, gone = [], set()
    for port_id in port_ids:
        alias = 'ua-' + port_id
        if not present(dom, alias):
            gone.add(port_id)
        elif remove_lost(dom, alias, timeout):
            gone.add(port_id)
            removed.append(port_id)
    return removed, gone
