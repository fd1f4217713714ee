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
"""Networks, subnets and ports in Neutron's v2.0 shapes.

The store knows ids, names, projects, sharing, CIDRs, gateways, MACs,
addresses and which server a port is attached to; the other keys clients
read are present with the values a plain Neutron deployment shows (admin
state up, no security groups, no tags, revision 0), as
doc/source/differences.rst lists.
"""

import ipaddress

from nova_attach_ifaces.compute import driver

# Nova's device_owner for the ports it binds.
DEVICE_OWNER = 'compute:nova'


def _time(value):
    return value.strftime('%Y-%m-%dT%H:%M:%SZ') if value else None


def _common(row, project_id):
    created = _time(row.created_at) if hasattr(row, 'created_at') else None
    return {
        'id': row.id,
        'name': getattr(row, 'name', None) or '',
        'tenant_id': project_id,
        'project_id': project_id,
        'description': '',
        'tags': [],
        'created_at': created,
        'updated_at': created,
        'revision_number': 0,
    }


def network(net):
    view = _common(net, net.project_id)
    view.update({
        'status': 'ACTIVE',
        'admin_state_up': True,
        'shared': bool(net.shared),
        'subnets': [subnet.id for subnet in net.subnets],
        'mtu': 1500,
        'router:external': False,
        'port_security_enabled': True,
        'availability_zone_hints': [],
        'availability_zones': [],
        'ipv4_address_scope': None,
        'ipv6_address_scope': None,
        'l2_adjacency': True,
    })
    return view


def _allocation_pool(cidr, gateway_ip):
    """Neutron's default pool: the subnet's hosts less the gateway."""
    net = ipaddress.ip_network(cidr, strict=False)
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    if net.num_addresses <= 2 and net.version == 4:
        return []
    if gateway_ip is not None:
        gateway = int(ipaddress.ip_address(gateway_ip))
        if gateway == first:
            first += 1
        elif gateway == last:
            last -= 1
    if first > last:
        return []
    address = type(net.network_address)
    return [{'start': str(address(first)), 'end': str(address(last))}]


def subnet(row, project_id):
    view = _common(row, project_id)
    version = ipaddress.ip_network(row.cidr, strict=False).version
    view.update({
        'network_id': row.network_id,
        'cidr': row.cidr,
        'gateway_ip': row.gateway_ip,
        'ip_version': version,
        'enable_dhcp': True,
        'allocation_pools': _allocation_pool(row.cidr, row.gateway_ip),
        'host_routes': [],
        'dns_nameservers': [],
        'ipv6_ra_mode': None,
        'ipv6_address_mode': None,
        'subnetpool_id': None,
        'service_types': [],
        'segment_id': None,
    })
    return view


def port(row):
    attachment = row.attachment
    view = _common(row, row.project_id)
    view.update({
        'network_id': row.network_id,
        'mac_address': row.mac_address,
        'admin_state_up': True,
        'status': driver.ACTIVE if attachment is not None else driver.DOWN,
        'device_id': attachment.server_id if attachment is not None else '',
        'device_owner': DEVICE_OWNER if attachment is not None else '',
        'fixed_ips': [{'subnet_id': ip.subnet_id,
                       'ip_address': ip.ip_address} for ip in row.fixed_ips],
        'allowed_address_pairs': [],
        'extra_dhcp_opts': [],
        'security_groups': [],
        'port_security_enabled': True,
        'binding:vnic_type': 'normal',
    })
    return view
