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
Where allocations race (several processes, no lock), the caller asks for
:func:`candidate_address` instead, which draws at random among the lowest
free addresses, as Neutron's IPAM draws from a window of free addresses.
"""

import ipaddress
import itertools
import random

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception

MAC_PREFIX = 'fa:16:3e'

#: How many of the lowest free addresses a contended allocation draws
#: from: few enough to stay near the bottom of the pool (an address far
#: above the allocated ones stays free for whoever asks for it), enough
#: for the three losers of a race of four to draw three different ones
#: nine times in ten.
CONTENDED_WINDOW = 32

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


def normalise_address(value):
    """Return ``value`` as a normalised IP address string, or None.

    ``ipaddress`` decides, not ``netutils.is_valid_ip``: the latter accepts
    forms (``010.0.0.1``, ``1.2.3``) that ``ipaddress`` then refuses.
    Scoped IPv6 addresses (``fe80::1%eth0``) are not port addresses.
    """
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if getattr(ip, 'scope_id', None):
        return None
    return str(ip)


def requested_fixed_ip(network, requested, is_taken, server_id):
    """The :class:`~driver.FixedIp` for an address a caller asked for.

    :param network: an object with ``id`` and ``subnets``.
    :param requested: the address as the caller wrote it.
    :param is_taken: callable answering whether a (normalised) address is
        already held on ``network``.
    :param server_id: the server being attached to, for the message.
    :raises FixedIpInvalidForNetwork: not an address of any subnet.
    :raises FixedIpAlreadyInUse: held by another port of the network.
    """
    address = normalise_address(requested)
    if address is None:
        raise exception.FixedIpInvalidForNetwork(address=requested,
                                                 network_id=network.id)
    if is_taken(address):
        raise exception.FixedIpAlreadyInUse(address=address,
                                            instance_uuid=server_id)
    subnet = subnet_containing(network.subnets, address)
    if subnet is None or not is_allocatable(subnet, address):
        raise exception.FixedIpInvalidForNetwork(address=address,
                                                 network_id=network.id)
    return driver.FixedIp(address, subnet.id)


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


def _host_bounds(network):
    """Return the lowest and highest allocatable integer address of a CIDR.

    These are Neutron's default allocation pool bounds: IPv4 loses the
    network and broadcast addresses (except on /31 and /32, RFC 3021), IPv6
    loses the Subnet-Router anycast address (the network address, RFC 4291)
    except on /127 and /128. They match what ``ipaddress``' ``hosts()``
    yields, so an address :func:`first_free_address` would never hand out
    is also refused by :func:`is_allocatable`.
    """
    first = int(network.network_address)
    last = int(network.broadcast_address)
    if network.version == 4:
        if network.prefixlen < 31:
            first, last = first + 1, last - 1
    elif network.prefixlen < 127:
        first += 1
    return first, last


def _is_gateway(subnet, ip):
    # Compare as addresses, not strings: '2001:DB8::1' is '2001:db8::1'.
    return (subnet.gateway_ip is not None and
            ip == ipaddress.ip_address(subnet.gateway_ip))


def is_allocatable(subnet, address):
    """Whether ``address`` may be given to a port on ``subnet``."""
    network = ipaddress.ip_network(subnet.cidr)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    # The version check matters: ``in`` does not compare versions.
    if ip.version != network.version or ip not in network:
        return False
    if _is_gateway(subnet, ip):
        return False
    first, last = _host_bounds(network)
    return first <= int(ip) <= last


def free_addresses(subnet, taken, start=None):
    """Yield the allocatable addresses of ``subnet`` not in ``taken``.

    Lowest first; the parameters are :func:`first_free_address`'s.
    """
    network = ipaddress.ip_network(subnet.cidr)
    first, last = _host_bounds(network)
    if start is not None:
        first = max(first, int(ipaddress.ip_address(start)))
    make = type(network.network_address)
    gateway = (None if subnet.gateway_ip is None
               else str(ipaddress.ip_address(subnet.gateway_ip)))
    for value in range(first, last + 1):
        address = str(make(value))
        if address != gateway and address not in taken:
            yield address


def first_free_address(subnet, taken, start=None):
    """Return the lowest allocatable address of ``subnet`` not in ``taken``.

    :param subnet: an object with ``cidr`` and ``gateway_ip`` attributes.
    :param taken: a container of (normalised) address strings in use.
    :param start: optional lower bound (address string or integer): the
        caller knows every allocatable address below it is taken, so the
        search can skip them. Without it the scan starts at the bottom of
        the subnet, which costs O(addresses in use) per allocation.
    :returns: an address string, or None when the subnet is full.
    """
    return next(free_addresses(subnet, taken, start), None)


def candidate_address(subnet, taken, contended):
    """The address to try for a new port: a candidate, not a reservation.

    :param contended: other allocations on this network are racing with
        this one: draw at random among the :data:`CONTENDED_WINDOW` lowest
        free addresses, so that racing allocations rarely pick the same
        one; otherwise the lowest free address.
    :returns: an address string, or None when the subnet is full.
    """
    if not contended:
        return first_free_address(subnet, taken)
    window = list(itertools.islice(free_addresses(subnet, taken),
                                   CONTENDED_WINDOW))
    return _random.choice(window) if window else None
