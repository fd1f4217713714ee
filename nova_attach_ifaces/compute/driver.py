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
"""The compute driver contract.

A compute driver owns servers, networks and ports and performs the attach
and detach work. The API layer in front of it does everything that is about
HTTP or about the caller: microversions, request validation, policy, hiding
other projects' servers, and the server state and lock checks. A driver is
therefore called only for a server the caller may act on, in a state that
allows the action, and answers in the plain value objects below.

Writing a driver
----------------
1. Subclass :class:`ComputeDriver` and implement its five abstract methods.
   The constructor receives the service's ``oslo_config.cfg.ConfigOpts``;
   register any options of your own on it. If your store can read a server
   together with its interfaces, also override
   :meth:`~ComputeDriver.get_server_interfaces` and
   :meth:`~ComputeDriver.get_server_interface`, which list and show call.
   The read-only servers routes (``GET /servers[/detail]``) need
   :meth:`~ComputeDriver.list_servers`; a driver without it answers them
   with 501. :meth:`~ComputeDriver.network_names` labels a server's
   addresses (the default labels them by network id).
2. Raise the exceptions of :mod:`nova_attach_ifaces.compute.exception` for
   expected failures; their ``code`` decides the HTTP status. Anything else
   that escapes is answered with a 500 (``NotImplementedError``: 501).
3. Be safe for concurrent calls from many threads of one process, and, if
   your store is shared, from many processes.
4. Register the class under the ``nova_attach_ifaces.compute_drivers``
   entry-point group and select it with ``[compute] driver``.
5. Prove it with :mod:`nova_attach_ifaces.compute.conformance`.

Behaviour every driver follows
------------------------------
Drivers answer as Nova in front of Neutron answers the caller;
:mod:`nova_attach_ifaces.compute.conformance` tests each point:


* Visibility. A port is visible to a caller whose project owns it, or to an
  admin. A network is visible when it is shared, owned by the caller's
  project, or the caller is an admin. A port attached to a server is also
  visible through that server to whoever may act on the server (the API
  layer has checked that), so list, show and detach always agree.
* ``get_interface``: the attachment if the port is attached to this server;
  ``InterfaceNotAttached`` if the caller can see the port but it is not
  attached here; ``PortNotFound`` otherwise.
* ``attach_interface`` by ``port_id``: the port must be visible
  (``PortNotFound``) and attached nowhere, this server included
  (``PortInUse``). Its MAC and addresses are kept.
* by ``net_id``: the network must be visible (``NetworkNotFound``). A port
  owned by the server's project is created with a new unique ``fa:16:3e``
  MAC and either ``fixed_ip`` (``FixedIpAlreadyInUse`` if a port of that
  network holds it, ``FixedIpInvalidForNetwork`` if no subnet of the network
  can allocate it) or the lowest free address of the first subnet, in
  subnet order, that has one (never the gateway, the network or the IPv4
  broadcast address; ``NoMoreFixedIps`` when every subnet is full). On a
  network without subnets the port has no address.
* with neither: the networks the server's project can use (its own and the
  shared ones); exactly one is used as for ``net_id``, none is
  ``InterfaceAttachFailedNoNetwork``, several is ``NetworkAmbiguous``.
* ``[compute] max_interfaces_per_server`` (0: no limit) refuses the attach
  that would go beyond it with ``PortLimitExceeded``. "Not found" errors
  win over the limit; the limit wins over conflicts and address errors.
* An attached port's ``port_state`` is ``ACTIVE``; the attach ``tag`` is
  kept with the attachment and dropped at detach, so a re-attached port
  has the new tag or none.
* ``detach_interface``: a port that attach created is deleted, and its MAC
  and addresses are free again; a port that existed before (the user's)
  is kept, unattached, for reuse.
* ``list_interfaces`` returns the attachments in a stable order: attach
  order (ports attached before the first attach come first).

The request context
-------------------
Every method receives the caller's request context (an
``oslo_context.context.RequestContext``). A driver reads only two of its
attributes: ``project_id`` (the caller's project) and ``is_admin`` (true when
the caller passes the ``context_is_admin`` policy rule). They decide which
networks and ports the caller can see and use, exactly as Neutron would
decide for the caller's token.
"""

import abc
import dataclasses
import datetime
import typing

from nova_attach_ifaces.compute import exception

#: ``port_state`` of a port attached to a server, and of one attached
#: nowhere, in the stores that keep no other port status (memory, sql).
ACTIVE = 'ACTIVE'
DOWN = 'DOWN'


def visible(context, project_id):
    """Whether the caller sees a port or network of ``project_id``.

    Neutron's rule for a caller's token: admins see everything, others what
    their project owns (a network may also be shared: the caller checks
    that).
    """
    return bool(context.is_admin) or context.project_id == project_id


#: ``vm_state`` values in which interfaces may be attached or detached
#: (Nova's ``check_instance_state`` for attach_interface/detach_interface).
ATTACHABLE_VM_STATES = frozenset({'active', 'paused', 'stopped'})

#: Every ``vm_state`` Nova knows; an inventory may use any of them.
VM_STATES = frozenset({
    'active', 'building', 'paused', 'suspended', 'stopped', 'rescued',
    'resized', 'soft-delete', 'deleted', 'error', 'shelved',
    'shelved_offloaded',
})


@dataclasses.dataclass(frozen=True)
class Server:
    """A server as the API layer needs it.

    :ivar id: the server UUID, as stored.
    :ivar project_id: the project that owns the server.
    :ivar vm_state: one of :data:`VM_STATES`.
    :ivar task_state: ``None`` when no task is running, else the task name.
    :ivar locked: whether the server is locked (only admins may then act).
    :ivar name: display name (``GET /servers?name=`` matches it).
    :ivar created_at: when the server was created (naive UTC
        ``datetime``), or ``None`` when the store does not know; the
        servers routes show it and list the newest first.
    """

    id: str
    project_id: str
    vm_state: str = 'active'
    task_state: typing.Optional[str] = None
    locked: bool = False
    name: str = ''
    created_at: typing.Optional[datetime.datetime] = None


@dataclasses.dataclass(frozen=True)
class FixedIp:
    """One address of a port, on one subnet."""

    ip_address: str
    subnet_id: str


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A port attached to a server, as the API shows it.

    :ivar port_id: the port UUID.
    :ivar net_id: the UUID of the port's network.
    :ivar mac_addr: lower-case, colon-separated MAC address.
    :ivar port_state: Neutron's operational status of the port (``ACTIVE``,
        ``DOWN``, ``BUILD``, ``ERROR`` or ``N/A``).
    :ivar fixed_ips: the port's addresses, in allocation order.
    :ivar tag: the device tag given at attach time, or ``None``.
    """

    port_id: str
    net_id: str
    mac_addr: str
    port_state: str
    fixed_ips: typing.Tuple[FixedIp, ...] = ()
    tag: typing.Optional[str] = None


class ComputeDriver(metaclass=abc.ABCMeta):
    """Base class of every compute driver.

    :param conf: the service configuration (``oslo_config.cfg.ConfigOpts``),
        already parsed.
    """

    #: Whether the servers are a hypervisor's (libvirt domains, the
    #: agents' hosts) rather than the driver's own store. Such a driver
    #: takes only networks and ports from an inventory: the loader refuses
    #: an ``[sql] inventory_file`` that lists servers.
    servers_from_hypervisor = False

    def __init__(self, conf):
        self.conf = conf

    def close(self):
        """Release what the driver holds (connections, threads).

        Called once when the service or a tool shuts the driver down; no
        other method is called after it. The default holds nothing.
        """

    @abc.abstractmethod
    def get_server(self, context, server_id):
        """Return the :class:`Server` whose id is ``server_id``.

        Servers of every project are returned: hiding other projects'
        servers from non-admin callers is the API layer's job.

        :raises ServerNotFound: no such server.
        """

    def list_servers(self, context, project_id=None):
        """Return the :class:`Server` list of ``project_id``, or of every
        project when it is ``None``, in any order.

        As :meth:`get_server`, this does not hide anything from the caller:
        the API layer asks for the caller's project unless the caller may
        list every project's. Filters, order and pages are the API layer's.
        The default raises ``NotImplementedError`` (the routes answer 501).
        """
        raise NotImplementedError()

    def network_names(self, context, network_ids):
        """Return ``{network id: name}`` for those of ``network_ids`` the
        store knows.

        A server's addresses are grouped under their network's name, as in
        Nova; the default returns ``{}``, and the addresses are grouped
        under the network ids.
        """
        return {}

    @abc.abstractmethod
    def list_interfaces(self, context, server):
        """Return the :class:`Attachment` list of ``server``.

        The order must be stable between calls (attach order is the natural
        choice). An empty list when nothing is attached.
        """

    def get_server_interfaces(self, context, server_id):
        """Return ``(server, attachments)``: :meth:`get_server` and then
        :meth:`list_interfaces` of it, read together.

        The API's list needs both; a driver that can read them at once
        overrides this (the ``sql`` driver: one query instead of two).
        The default calls the two methods.

        :raises ServerNotFound: no such server.
        """
        server = self.get_server(context, server_id)
        return server, self.list_interfaces(context, server)

    def get_server_interface(self, context, server_id, port_id):
        """Return ``(server, attachment)``: :meth:`get_server`, and the
        :class:`Attachment` of ``port_id`` if it is attached to that server,
        else ``None``, read together.

        The API's show needs both; ``None`` sends it to
        :meth:`get_interface` for the error that says why. A driver that can
        read them at once overrides this (the ``sql`` driver: one query).
        The default calls the two methods.

        :raises ServerNotFound: no such server.
        """
        server = self.get_server(context, server_id)
        try:
            return server, self.get_interface(context, server, port_id)
        except (exception.PortNotFound, exception.InterfaceNotAttached):
            return server, None

    def server_host(self, server):
        """The name of the hypervisor host ``server`` is on.

        Notifications name it (payload ``host``, publisher id). The default
        is this service's ``[DEFAULT] host``; a driver whose servers live
        on several hosts (``agents``) answers for each server.
        """
        return self.conf.host

    @abc.abstractmethod
    def get_interface(self, context, server, port_id):
        """Return the :class:`Attachment` of ``port_id`` on ``server``.

        :raises PortNotFound: the caller cannot see a port with that id.
        :raises InterfaceNotAttached: the port exists but is not attached to
            this server.
        """

    @abc.abstractmethod
    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        """Attach a port to ``server`` and return its :class:`Attachment`.

        Exactly one of three forms is used (the API layer rejects the rest):

        * ``port_id``: attach that existing port. It must be visible to the
          caller and not attached to any server.
        * ``net_id`` (optionally with ``fixed_ip``): create a port on that
          network for the server's project, with a new unique MAC address
          and ``fixed_ip`` or the next free address, and attach it.
        * neither: as ``net_id``, on the only network the server's project
          can use (its own networks and the shared ones).

        ``tag`` is kept with the attachment and shown from microversion 2.70.
        The whole attach happens or nothing does.

        :raises PortNotFound, NetworkNotFound: not visible to the caller.
        :raises PortInUse: the port is attached to a server already.
        :raises FixedIpAlreadyInUse: ``fixed_ip`` is taken on that network.
        :raises FixedIpInvalidForNetwork: ``fixed_ip`` is in no subnet of the
            network.
        :raises NoMoreFixedIps: the network has no free address.
        :raises NetworkAmbiguous, InterfaceAttachFailedNoNetwork: no network
            was given and the project has several or none.
        :raises PortLimitExceeded: ``[compute] max_interfaces_per_server``
            would be exceeded.
        """

    @abc.abstractmethod
    def detach_interface(self, context, server, port_id):
        """Detach ``port_id`` from ``server``.

        A port that attach created is deleted; a port the caller supplied is
        kept, unattached, for reuse. Detach is synchronous: when this method
        returns, the port no longer appears in :meth:`list_interfaces`.

        :raises PortNotFound: the caller cannot see a port with that id.
        :raises InterfaceNotAttached: the port is not attached to ``server``.
        """
