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
"""The hypervisor contract: the half of attach and detach done on a host.

A compute driver that plugs NICs into real machines is two halves: a
network backend (ports, addresses, bindings: :mod:`..network.backend`) and
a hypervisor (the servers of one host and the NICs plugged into them). The
compute driver :class:`~.hosted.HostedDriver` composes any hypervisor with
any backend; the ``libvirt`` driver is that composition with
:class:`~.libvirt.host.LibvirtHypervisor`, and the per-host agents serve a
hypervisor over RPC to an API-side driver of the same shape.

A hypervisor knows nothing of callers, policy or ports' addresses: its
methods take no request context and only plain values (strings, booleans,
dicts), so that they travel over RPC unchanged. It owns the truth about
what is plugged, and keeps with each NIC what the backend does not: the
attach ``tag`` and whether the attach created the port (Nova's
"preexisting" flag, which decides between delete and unbind on detach).

Errors are the exceptions of :mod:`.exception`: ``ServerNotFound`` for an
unknown server, ``InterfaceNotAttached`` for a port that is not plugged,
``NoFreePciSlot`` (409), ``DeviceDetachFailed`` (409) when the guest never
releases a NIC, ``InterfaceAttachFailed`` (500) for any other plug failure,
and ``ComputeUnavailable`` (503) while the hypervisor cannot be reached.
"""

import abc
import dataclasses
import typing


@dataclasses.dataclass(frozen=True)
class Nic:
    """A NIC this service plugged into a server.

    :ivar port_id: the port it stands for (from its device alias), or
        ``None`` for a NIC without one (plugged by Nova at boot): the
        compute driver then knows it by its MAC.
    :ivar mac_address: lower-case, colon-separated, as the hypervisor has it.
    :ivar tag: the attach ``tag``, or ``None``.
    :ivar created: whether the attach created the port (detach then
        deletes it; otherwise the port is only unbound).
    """

    port_id: typing.Optional[str]
    mac_address: str
    tag: typing.Optional[str] = None
    created: bool = False

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**values)


class Hypervisor(metaclass=abc.ABCMeta):
    """Base class of the hypervisor half of a hosted compute driver.

    :param conf: the service configuration (``oslo_config.cfg.ConfigOpts``),
        already parsed.

    Every method may be called concurrently from many threads. Plug and
    unplug of one server are serialised by the caller
    (:class:`~.hosted.HostedDriver`), not here.
    """

    def __init__(self, conf):
        self.conf = conf

    @property
    def host(self):
        """This host's name (``[DEFAULT] host``): ports plugged here are
        bound to it.
        """
        return self.conf.host

    def server_host(self, server_id):
        """The host ``server_id`` is on, which its ports are bound to.

        This host, for a hypervisor of one host; the API side of the
        per-host agents looks it up for each server.
        """
        return self.host

    def close(self):
        """Release connections and threads (tests, tools, shutdown)."""

    def watch_servers(self, callback):
        """Call ``callback(server_id, present)`` from now on whenever a
        server appears on this host or may have left it, from any thread
        (which the callback must not hold up).

        ``present`` is true for a server defined or started here, false
        for one undefined and gone, ``None`` when the event alone does not
        tell (a stopped server is gone if it was transient; an undefined
        one stays while it runs): the caller then looks the server up.
        ``callback(None, None)`` says events may have been missed (the
        hypervisor reconnected): every server should be looked at again.

        :returns: whether this hypervisor sends such events; the default
            sends none, and the per-host agent then finds new servers by
            its periodic reports only.
        """
        return False

    @abc.abstractmethod
    def get_server(self, server_id):
        """Return the :class:`~.driver.Server` ``server_id`` of this host.

        :raises ServerNotFound: no such server here.
        """

    @abc.abstractmethod
    def list_servers(self, project_id=None):
        """Return this host's :class:`~.driver.Server` list, of
        ``project_id`` only when it is given, in any order.
        """

    @abc.abstractmethod
    def list_nics(self, server_id):
        """Return the :class:`Nic` list of ``server_id``, in guest (PCI
        slot) order.

        What the running machine has, or its configuration when it is not
        running. A device this service did not plug is not listed.

        :raises ServerNotFound: no such server here.
        """

    def get_server_nics(self, server_id):
        """Return ``(server, nics)``, read together where the hypervisor
        can; the default calls :meth:`get_server` and :meth:`list_nics`.
        """
        return self.get_server(server_id), self.list_nics(server_id)

    @abc.abstractmethod
    def plug(self, server_id, port_id, mac_address, vif_type='tap',
             vif_details=None, tag=None, created=False):
        """Plug a NIC for port ``port_id`` into ``server_id``.

        ``vif_type`` and ``vif_details`` are the port's binding (see
        :data:`~..network.backend.PLUGGABLE_VIF_TYPES`; ``bridge_name``
        in the details names the bridge). ``tag`` and ``created`` are kept
        with the NIC. A running server gets it live and in its
        configuration; a stopped one in its configuration only. Either the
        NIC is plugged or nothing changed.

        :returns: the plugged :class:`Nic`.
        :raises NoFreePciSlot: the server has no free slot for a NIC.
        :raises InterfaceAttachFailed: the hypervisor refused otherwise.
        """

    @abc.abstractmethod
    def unplug(self, server_id, port_id, mac_address=None):
        """Unplug the NIC of ``port_id`` and return once it is really gone.

        A NIC without this service's alias is found by ``mac_address``.

        :returns: the :class:`Nic` as it was (its ``created`` flag tells
            the caller whether to delete or unbind the port).
        :raises InterfaceNotAttached: no NIC of that port on the server.
        :raises DeviceDetachFailed: the guest did not release it after
            every attempt; the NIC is still plugged and listed, and a later
            unplug may succeed.
        """

    @abc.abstractmethod
    def set_locked(self, server_id, locked):
        """Set or clear the server's lock flag (:attr:`Server.locked`).

        :raises ServerNotFound: no such server here.
        """

    def remove_lost_nics(self, server_id):
        """Remove the NICs that the machine has but the hypervisor lost
        track of (it stopped in the middle of their plug), so that their
        slots are free again and the guest has no NIC nothing lists.

        Called by a compute agent's reconciliation, under the server's
        lock. The default does nothing: a hypervisor that cannot lose a
        NIC has none.

        :returns: the port ids of the NICs removed.
        """
        return []
