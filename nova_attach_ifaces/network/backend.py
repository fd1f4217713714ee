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
"""The network backend contract: what a compute driver asks of Neutron.

Ports, networks, addresses and which server a port is bound to are not the
hypervisor's business. A compute driver that plugs NICs into real machines
(``libvirt``, and the per-host agents) asks a network backend for them, as
Nova's compute manager asks Neutron. The calls are the ones Nova makes, so
that the ``neutron`` backend is a thin translation and every other backend
behaves as Neutron does:

======================  ==============================================
method                  Nova's Neutron call
======================  ==============================================
:meth:`show_port`       ``GET /v2.0/ports/{id}`` as the caller
:meth:`list_ports`      ``GET /v2.0/ports?device_id={server}``
:meth:`bind_port`       show, then ``PUT`` with ``device_id``,
                        ``device_owner`` and ``binding:host_id``
:meth:`create_port`     ``POST /v2.0/ports``, already bound (after a
                        network list when no network was chosen)
:meth:`unbind_port`     ``PUT`` clearing the three binding fields
:meth:`delete_port`     ``DELETE /v2.0/ports/{id}``
======================  ==============================================

A backend is chosen by ``[network] backend`` among the entry points of the
``nova_attach_ifaces.network_backends`` group, receives the service's
``ConfigOpts``, raises the exceptions of
:mod:`nova_attach_ifaces.compute.exception` for expected failures (their
``code`` is the HTTP status), and proves itself with
:mod:`nova_attach_ifaces.network.conformance`.

What the backend does not keep: which ports the compute driver created
(Nova's "preexisting" flag decides whether detach deletes or unbinds) and
the attach ``tag``. Both belong to the server, so the compute driver keeps
them with it (the ``libvirt`` driver: in the domain's metadata).

The request context is the caller's, as for compute drivers: ``project_id``
and ``is_admin`` decide visibility exactly as the caller's token would in
Neutron; a keystone deployment's context also carries the caller's token
(``auth_token``), which the ``neutron`` backend sends on calls made as the
caller. Binding needs admin rights in Neutron; a backend uses its own
service credentials for it.
"""

import abc
import dataclasses
import types
import typing

from nova_attach_ifaces.compute import driver

#: ``device_owner`` of a port bound to a server, as Nova sets it.
DEVICE_OWNER = 'compute:nova'

#: ``vif_type`` values a hypervisor knows how to plug: a Linux bridge, an
#: Open vSwitch bridge, or a plain tap device with nothing behind it.
VIF_BRIDGE = 'bridge'
VIF_OVS = 'ovs'
VIF_TAP = 'tap'
PLUGGABLE_VIF_TYPES = frozenset({VIF_BRIDGE, VIF_OVS, VIF_TAP})


def _frozen(mapping):
    return types.MappingProxyType(dict(mapping or {}))


@dataclasses.dataclass(frozen=True)
class Port:
    """A port as Neutron describes it.

    :ivar id: the port UUID.
    :ivar network_id: its network's UUID.
    :ivar project_id: the project that owns the port.
    :ivar mac_address: lower-case, colon-separated.
    :ivar fixed_ips: :class:`~nova_attach_ifaces.compute.driver.FixedIp`
        tuple, in allocation order.
    :ivar status: Neutron's ``status`` (``ACTIVE``, ``DOWN``, ``BUILD``,
        ``ERROR``): the API's ``port_state``.
    :ivar device_id: the server it is bound to, or ``''``.
    :ivar device_owner: ``compute:nova`` when bound by us, or ``''``.
    :ivar binding_host_id: ``binding:host_id``, or ``''``.
    :ivar vif_type: ``binding:vif_type``: one of
        :data:`PLUGGABLE_VIF_TYPES` once bound (Neutron also says
        ``unbound`` and ``binding_failed``).
    :ivar vif_details: ``binding:vif_details`` (read-only mapping); the
        hypervisor reads ``bridge_name`` from it.
    """

    id: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: typing.Tuple[driver.FixedIp, ...] = ()
    status: str = 'DOWN'
    device_id: str = ''
    device_owner: str = ''
    binding_host_id: str = ''
    vif_type: str = 'unbound'
    vif_details: typing.Mapping[str, typing.Any] = dataclasses.field(
        default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, 'fixed_ips', tuple(self.fixed_ips))
        object.__setattr__(self, 'vif_details', _frozen(self.vif_details))

    def attachment(self, tag=None):
        """The API's view of this port attached with ``tag``."""
        return driver.Attachment(
            port_id=self.id, net_id=self.network_id,
            mac_addr=self.mac_address, port_state=self.status,
            fixed_ips=self.fixed_ips, tag=tag)


class NetworkBackend(metaclass=abc.ABCMeta):
    """Base class of every network backend.

    :param conf: the service configuration (``oslo_config.cfg.ConfigOpts``),
        already parsed.
    """

    def __init__(self, conf):
        self.conf = conf

    def close(self):
        """Release connections and sessions (tests, tools, shutdown)."""

    @abc.abstractmethod
    def show_port(self, context, port_id):
        """Return the :class:`Port` ``port_id`` as the caller sees it.

        What the caller sees may leave out the binding: Neutron's default
        policy shows ``binding:*`` to admins and services only, so a
        member's show has ``binding_host_id``, ``vif_type`` and
        ``vif_details`` at their defaults. A compute driver plugs with the
        binding :meth:`bind_port` or :meth:`create_port` returned (made
        with the backend's own rights), never with a show's.

        :raises PortNotFound: no such port, or not visible to the caller.
        """

    @abc.abstractmethod
    def list_ports(self, context, device_id):
        """Return the :class:`Port` list bound to ``device_id``, in one call.

        Called for a server the caller may act on (the API checked that), so
        every port bound to it is returned whoever owns it. Order is the
        backend's; the compute driver orders by what the hypervisor has.
        """

    @abc.abstractmethod
    def bind_port(self, context, port_id, device_id, host):
        """Bind the existing port ``port_id`` to server ``device_id``.

        Shown as the caller first: a port the caller cannot see is
        ``PortNotFound``; a port bound to any device already, this server
        included, is ``PortInUse``. Then ``device_id``, ``device_owner``
        (:data:`DEVICE_OWNER`) and ``binding:host_id`` (``host``) are set
        with the backend's own (admin) rights. Two racing binds of one port:
        exactly one wins, the other gets ``PortInUse``.

        :returns: the bound :class:`Port` (its ``vif_type`` tells how to plug
            it).
        """

    @abc.abstractmethod
    def create_port(self, context, device_id, project_id, host, net_id=None,
                    fixed_ip=None):
        """Create a port for server ``device_id`` of ``project_id``, bound.

        ``net_id`` names the network, which must be visible to the caller
        (``NetworkNotFound``). Without it, the networks ``project_id`` can
        use (its own and the shared ones) are listed and exactly one must
        exist (``InterfaceAttachFailedNoNetwork`` for none,
        ``NetworkAmbiguous`` for several). The port gets a new unique MAC and
        ``fixed_ip`` (``FixedIpAlreadyInUse`` when another port holds it,
        ``FixedIpInvalidForNetwork`` when no subnet of the network can give
        it) or the network's next free address (``NoMoreFixedIps``).

        :returns: the new, bound :class:`Port`.
        """

    def check_network(self, context, net_id):
        """Raise ``NetworkNotFound`` unless network ``net_id`` is visible to
        the caller (shared, the caller's project's, or the caller an admin).

        Asked only by an attach the interface limit refuses, since "not
        found" wins over the limit. Optional: the default checks nothing
        (that attach then answers with the limit).
        """

    @abc.abstractmethod
    def unbind_port(self, context, port_id):
        """Clear ``device_id``, ``device_owner`` and ``binding:host_id``.

        A port that is already unbound, or gone, is not an error: undoing an
        attach and detaching must be safe to repeat.
        """

    @abc.abstractmethod
    def delete_port(self, context, port_id):
        """Delete ``port_id``; a port that is already gone is not an error.
        """
