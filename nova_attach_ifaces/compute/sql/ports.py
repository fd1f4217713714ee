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
"""Ports of the sql store: the one allocator of MACs and addresses.

The ``sql`` compute driver's attach, the ``sql`` network backend's
``create_port`` and ``nova-attach-ifaces-manage port create`` all make
ports here, inside the caller's write transaction, so that they follow one
set of rules (:mod:`nova_attach_ifaces.compute.ipam`) and one race
strategy:

* Nothing is locked. A MAC or address the allocator picks itself is a
  candidate: the lowest free address, or, after a lost race, one of the
  :data:`~nova_attach_ifaces.compute.ipam.CONTENDED_WINDOW` lowest, at
  random; a random ``fa:16:3e`` MAC. A lost race is remembered for
  :data:`CONTENTION_MEMORY` seconds per store and network, and the
  store's allocations on that network start contended meanwhile: under a
  stream of attaches on one network, the first attempts of racing
  allocations would otherwise all pick the same lowest address, and all
  but one would wait for its commit, fail and run again.
* The UNIQUE constraints (address once per network, MAC once) settle
  races: :func:`new_port` flushes, and the loser's insert fails. For a
  value the caller asked for, that is the caller's 409
  (``FixedIpAlreadyInUse``, ``MacAddressInUse``); for one the allocator
  picked, it is :class:`LostRace`, and :func:`retrying` runs the caller's
  whole transaction again, contended, up to :data:`ALLOCATION_ATTEMPTS`
  times (then 503 ``ComputeUnavailable``).
"""

import functools
import random
import time
import weakref

from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import ipam
from nova_attach_ifaces.compute.sql import models

LOG = logging.getLogger(__name__)

#: How often a transaction that lost a race for an address or MAC it chose
#: itself is tried again. Each loss means another one committed, so this
#: only runs out under a storm of allocations on one network.
ALLOCATION_ATTEMPTS = 10

#: Seconds for which a lost race on a network makes the store's next
#: allocations there draw at random among the lowest free addresses from
#: their first attempt. Long enough to outlast a burst of attaches; with
#: no race meanwhile, the lowest free address is handed out again.
CONTENTION_MEMORY = 10.0

# Per engine (one per store: a test's new store starts with no memory of
# another's races on networks of the same id), {network id: the monotonic
# time until which allocations there start contended}.
_CONTENDED = weakref.WeakKeyDictionary()
# Networks remembered per engine at most, so that a store with many
# networks does not grow this without bound.
_CONTENDED_NETWORKS = 1024


class LostRace(Exception):
    """An address or MAC the allocator chose was taken meanwhile: retry."""


def exact(row, wanted_id):
    """``row`` if its id is exactly ``wanted_id``, else None.

    MariaDB compares strings case-insensitively and ignores trailing
    spaces; ids must match exactly, as in the memory driver.
    """
    return row if row is not None and row.id == wanted_id else None


def retrying(attempt, what):
    """``attempt(contended)`` until it does not raise :class:`LostRace`.

    ``attempt`` runs a whole write transaction (a lost race rolls it
    back). The first call is uncontended; the later ones are contended, so
    that the losers of one race draw different addresses, and start after
    a random pause, so that they do not collide again.

    :param what: names the allocation in the log.
    :raises ComputeUnavailable: every attempt lost.
    """
    for number in range(1, ALLOCATION_ATTEMPTS + 1):
        try:
            return attempt(contended=number > 1)
        except LostRace as e:
            LOG.debug('%(what)s lost a race (%(why)s); attempt %(n)d',
                      {'what': what, 'why': e, 'n': number})
            time.sleep(random.uniform(0, 0.01 * number))
    LOG.error('%s kept losing address races; giving up', what)
    raise exception.ComputeUnavailable()


def contention(session):
    """The store's memory of lost races (see :data:`CONTENTION_MEMORY`).
    """
    return _CONTENDED.setdefault(session.get_bind(), {})


def recently_contended(contention, network_id):
    """Whether an allocation on the network lost a race lately."""
    until = contention.get(network_id)
    return until is not None and time.monotonic() < until


def note_lost_race(contention, network_id):
    """Remember for :data:`CONTENTION_MEMORY` that allocations race on
    the network.
    """
    now = time.monotonic()
    if len(contention) >= _CONTENDED_NETWORKS:
        for key, until in list(contention.items()):
            if until <= now:
                contention.pop(key, None)
        if len(contention) >= _CONTENDED_NETWORKS:
            contention.clear()
    contention[network_id] = now + CONTENTION_MEMORY


# What the database holds, for ipam's rules.

def taken_addresses(session, network_id):
    """Addresses in use on a network (one index range scan)."""
    return set(session.scalars(
        sa.select(models.FixedIp.ip_address)
        .where(models.FixedIp.network_id == network_id)))


def mac_taken(session, mac):
    return session.scalar(
        sa.select(models.Port.id).where(models.Port.mac_address == mac)
    ) is not None


def address_taken(session, network_id, address):
    """Whether a port of the network holds ``address``."""
    return session.scalar(
        sa.select(models.FixedIp.id)
        .where(models.FixedIp.network_id == network_id,
               models.FixedIp.ip_address == address)) is not None


def free_address(session, network, contended=False):
    """A free :class:`driver.FixedIp` of ``network`` to try, or None.

    Subnets are tried in order; the gateway, network and broadcast
    addresses are never handed out. The address is the lowest free one,
    or, when ``contended``, one of the lowest drawn at random
    (:func:`ipam.candidate_address`); nothing reserves it: the UNIQUE
    constraint on (network, address) settles races.
    """
    taken = taken_addresses(session, network.id)
    for subnet in network.subnets:
        address = ipam.candidate_address(subnet, taken, contended)
        if address is not None:
            return driver.FixedIp(address, subnet.id)
    return None


def usable_network(session, context, project_id, net_id=None):
    """The network a new port of ``project_id`` goes on, subnets loaded.

    ``net_id`` must be visible to the caller (``NetworkNotFound``).
    Without it, Nova's rule: the project's own networks and the shared
    ones, exactly one (``InterfaceAttachFailedNoNetwork`` for none,
    ``NetworkAmbiguous`` for several). Read, not locked: allocations on one
    network run side by side.
    """
    if net_id is None:
        # Two ids are enough to know.
        ids = session.scalars(
            sa.select(models.Network.id)
            .where(sa.or_(models.Network.project_id == project_id,
                          models.Network.shared.is_(True)))
            .limit(2)).all()
        if not ids:
            raise exception.InterfaceAttachFailedNoNetwork(
                project_id=project_id)
        if len(ids) > 1:
            raise exception.NetworkAmbiguous()
        chosen = ids[0]
    else:
        chosen = net_id
    net = exact(session.scalars(
        sa.select(models.Network).where(models.Network.id == chosen)
        .options(orm.selectinload(models.Network.subnets))).first(), chosen)
    if net_id is not None and (net is None or not (
            net.shared or driver.visible(context, net.project_id))):
        raise exception.NetworkNotFound(network_id=net_id)
    return net


def new_port(session, network, project_id, fixed_ips=None,
             mac_address=None, port_id=None, allocate=True, contended=False,
             created_by_attach=False, server_id=None):
    """Insert a port on ``network`` (from :func:`usable_network`), flushed.

    :param fixed_ips: addresses the caller asks for (each must be an
        allocatable address of a subnet: ``FixedIpInvalidForNetwork``, and
        free: ``FixedIpAlreadyInUse``). Without them, the first free
        address in subnet order (``NoMoreFixedIps`` when every subnet is
        full; none on a network without subnets), unless ``allocate`` is
        false.
    :param mac_address: the MAC the caller asks for (``MacAddressInUse``
        when taken); without it, a new random one.
    :param port_id: the new port's id (``PortExists`` when taken);
        without it, a new UUID.
    :param contended: pick the address as after a lost race (also done
        when the store lost one on this network lately).
    :param created_by_attach: whether detaching it deletes it.
    :param server_id: the server the port is for, named in the messages.
    :returns: the new :class:`models.Port`, fixed IPs loaded.
    :raises LostRace: a MAC or address this call picked was taken
        meanwhile; the caller's transaction must be retried
        (:func:`retrying`).
    """
    is_taken = functools.partial(address_taken, session, network.id)
    # Both read now: after a failed flush the session has no bind and
    # its rows are expired.
    races, network_id = contention(session), network.id
    if fixed_ips:
        chosen = [ipam.requested_fixed_ip(network, address, is_taken,
                                          server_id)
                  for address in fixed_ips]
    elif allocate and network.subnets:
        free = free_address(session, network, contended or
                            recently_contended(races, network_id))
        if free is None:
            raise exception.NoMoreFixedIps(net=network.id)
        chosen = [free]
    else:
        chosen = []
    if port_id is not None and session.get(models.Port, port_id) is not None:
        raise exception.PortExists(port_id=port_id)
    if mac_address is None:
        mac = ipam.generate_mac(functools.partial(mac_taken, session))
    else:
        mac = mac_address.lower()
        if mac_taken(session, mac):
            raise exception.MacAddressInUse(mac=mac, net_id=network.id)
    port = models.Port(
        id=port_id or uuidutils.generate_uuid(), network_id=network.id,
        project_id=project_id, mac_address=mac,
        created_by_attach=created_by_attach,
        fixed_ips=[models.FixedIp(network_id=network.id,
                                  subnet_id=ip.subnet_id,
                                  ip_address=ip.ip_address)
                   for ip in chosen])
    session.add(port)
    try:
        session.flush()
    except db_exc.DBDuplicateEntry as e:
        columns = e.columns or ()
        if fixed_ips and 'ip_address' in columns:
            raise exception.FixedIpAlreadyInUse(
                address=', '.join(ip.ip_address for ip in chosen),
                instance_uuid=server_id)
        if mac_address is not None and 'mac_address' in columns:
            raise exception.MacAddressInUse(mac=mac, net_id=network_id)
        # A new port id racing with another insert of the same id ends
        # here too; the next attempt finds it (PortExists).
        note_lost_race(races, network_id)
        raise LostRace('duplicate %s' % ', '.join(columns))
    return port
