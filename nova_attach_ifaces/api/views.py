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
"""How an attachment looks on the wire, per microversion."""

from nova_attach_ifaces.api import microversion


def attachment(att, version):
    """Return the JSON-ready view of an ``Attachment`` at ``version``.

    Keys in Nova's order; ``tag`` is present (possibly ``None``) from 2.70
    and absent before, even when the attach request carried one (2.49-2.69).
    """
    view = {
        'net_id': att.net_id,
        'port_id': att.port_id,
        'mac_addr': att.mac_addr,
        'port_state': att.port_state,
        'fixed_ips': [{'ip_address': ip.ip_address,
                       'subnet_id': ip.subnet_id} for ip in att.fixed_ips],
    }
    if version >= microversion.TAG_RESPONSE_VERSION:
        view['tag'] = att.tag
    return view
