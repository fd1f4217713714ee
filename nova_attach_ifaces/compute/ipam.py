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
"""Address management shared by the built-in drivers.

Neutron-like rules: MAC addresses are ``fa:16:3e`` plus three random octets;
addresses are handed out from the lowest free host address of a subnet,
never the gateway, and (IPv4) never the network or broadcast address.
"""

import ipaddress
import random

MAC_PREFIX = 'fa:16:3e'

_random = random.SystemRandom()


def generate_mac(is_taken):
    """Return a new ``fa:16:3e:xx:xx:xx`` MAC for which ``is_taken`` is false.

    :param is_taken: callable answering whether a MAC is already in use.
    """
    while True:
        mac = '%s:%02x:%02x:%02x' % (
            MAC_PREFIX, _random.randrange(256), _random.randrange(256),
            _random.randrange(256))
        if not is_taken(mac):
            return mac


def subnet_containing(subnets, address):
    """Return the first subnet whose CIDR contains ``address``, or None.

    :param subnets: objects with a ``cidr`` attribute.
    :param address: an IP address string (already validated).
    """
    ip = ipaddress.ip_address(address)
    for subnet in subnets:
        network = ipaddress.ip_network(subnet.cidr)
        if ip.version == network.version and ip in network:
            return subnet
    return None


def is_allocatable(subnet, address):
    """Whether ``address`` may be given to a port on ``subnet``."""
    network = ipaddress.ip_network(subnet.cidr)
    ip = ipaddress.ip_address(address)
    if ip not in network or address == subnet.gateway_ip:
        return False
    if network.version == 4 and network.prefixlen < 31:
        return ip not in (network.network_address, network.broadcast_address)
    return True


def first_free_address(subnet, taken):
    """Return the lowest allocatable address of ``subnet`` not in ``taken``.

    :param subnet: an object with ``cidr`` and ``gateway_ip`` attributes.
    :param taken: a container of address strings already in use.
    :returns: an address string, or None when the subnet is full.
    """
    for ip in ipaddress.ip_network(subnet.cidr).hosts():
        address = str(ip)
        if address != subnet.gateway_ip and address not in taken:
            return address
    return None
