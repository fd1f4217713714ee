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
"""Domain exceptions a compute driver may raise.

Each exception carries the HTTP status it stands for (``code``), following
Nova's mapping for the os-interface API, and a message template
(``msg_fmt``) filled from the keyword arguments given at construction. The
API layer turns any :class:`ComputeError` into a Nova fault with that status
and ``format_message()`` as the message, in one place, so a driver never
deals with HTTP and the controller never deals with driver internals.

A driver raises these and nothing else for expected failures. Anything else
that escapes a driver is an unexpected error (500) and is logged with its
traceback; ``NotImplementedError`` is answered with 501.
"""


class ComputeError(Exception):
    """Base class; subclasses set ``code`` and ``msg_fmt``."""

    code = 500
    msg_fmt = 'An unknown compute error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        self.message = message
        super().__init__(message)

    def format_message(self):
        return self.message


# 400: the request cannot be satisfied as asked.

class Invalid(ComputeError):
    code = 400
    msg_fmt = 'Bad request.'


class NetworkAmbiguous(Invalid):
    msg_fmt = ('More than one possible network found. Specify network ID(s) '
               'to select which one(s) to connect to.')


class InterfaceAttachFailedNoNetwork(Invalid):
    msg_fmt = ("No specific network was requested and none are available "
               "for project '%(project_id)s'.")


class NoMoreFixedIps(Invalid):
    msg_fmt = 'No fixed IP addresses available for network: %(net)s'


class FixedIpInvalidForNetwork(Invalid):
    msg_fmt = ('IP address %(address)s is not in any subnet of network '
               '%(network_id)s.')


class PortNotUsable(Invalid):
    msg_fmt = 'Port %(port_id)s not usable for instance %(instance)s.'


class AttachInterfaceNotSupported(Invalid):
    msg_fmt = ('Attaching interfaces is not supported for instance '
               '%(instance_uuid)s.')


class NetworkInterfaceTaggedAttachNotSupported(Invalid):
    msg_fmt = 'Tagged network interface attachments are not supported.'


# 403: refused by a limit.

class PortLimitExceeded(ComputeError):
    # NOTE: Nova's exception is an OverQuota (413) but its os-interface
    # controller answers 403; clients expect the 403.
    code = 403
    msg_fmt = 'Maximum number of ports exceeded'


# 404: something named in the request does not exist for this caller.

class NotFound(ComputeError):
    code = 404
    msg_fmt = 'Resource could not be found.'


class ServerNotFound(NotFound):
    msg_fmt = 'Instance %(server_id)s could not be found.'


class PortNotFound(NotFound):
    msg_fmt = 'Port id %(port_id)s could not be found.'


class NetworkNotFound(NotFound):
    msg_fmt = 'Network %(network_id)s could not be found.'


class InterfaceNotAttached(NotFound):
    msg_fmt = 'Instance %(server_id)s does not have a port with id %(port_id)s'


# 409: the request conflicts with the current state.

class Conflict(ComputeError):
    code = 409
    msg_fmt = 'Conflict.'


class PortInUse(Conflict):
    msg_fmt = 'Port %(port_id)s is still in use.'


class MacAddressInUse(Conflict):
    # Neutron's message (MacAddressInUse).
    msg_fmt = ('Unable to complete operation for network %(net_id)s. The '
               'mac address %(mac)s is in use.')


class PortExists(Conflict):
    msg_fmt = 'Port %(port_id)s already exists.'


class FixedIpAlreadyInUse(Conflict):
    msg_fmt = ('Fixed IP address %(address)s is already in use on instance '
               '%(instance_uuid)s.')


class InstanceIsLocked(Conflict):
    msg_fmt = 'Instance %(instance_uuid)s is locked'


class ServerHostAmbiguous(Conflict):
    msg_fmt = ('Instance %(server_id)s is reported by more than one host '
               '(%(hosts)s); it cannot be changed until only one host has '
               'it.')


class NoFreePciSlot(Conflict):
    msg_fmt = ('Instance %(instance_uuid)s has no free PCI slot for another '
               'network interface; detach one first, or give the server '
               'more hot-plug slots (on q35, spare pcie-root-port '
               'controllers).')


class DeviceDetachFailed(Conflict):
    # NOTE: 409, not Nova's 500: nothing is broken on our side and nothing
    # changed; the guest has not released the device yet (no guest OS, a
    # guest still booting, or one that ignores hot-unplug). The interface
    # stays attached and listed, and the same DELETE may succeed later.
    msg_fmt = ('The guest of instance %(instance_uuid)s did not release the '
               'network interface of port %(port_id)s after %(attempts)d '
               'attempt(s) of %(timeout)s seconds; it is still attached. '
               'Retry once the guest can release it.')


class InstanceInvalidState(Conflict):
    msg_fmt = ("Cannot '%(action)s' instance %(instance_uuid)s while it is in "
               "%(attr)s %(state)s")


# 500 and 503: the backend failed.

class InterfaceAttachFailed(ComputeError):
    code = 500
    msg_fmt = 'Failed to attach network adapter device to %(instance_uuid)s'


class InterfaceDetachFailed(ComputeError):
    code = 500
    msg_fmt = 'Failed to detach network adapter device from %(instance_uuid)s'


class ComputeUnavailable(ComputeError):
    code = 503
    msg_fmt = ('The compute backend is temporarily unavailable. Please retry '
               'the request later.')


class ComputeHostUnavailable(ComputeUnavailable):
    msg_fmt = ('The compute agent of host %(host)s is unavailable '
               '(%(reason)s). Please retry the request later.')


class NetworkServiceUnavailable(ComputeUnavailable):
    msg_fmt = ('The network service (Neutron) is unavailable. Please retry '
               'the request later.')


class NetworkServiceError(ComputeError):
    """Neutron refused this service (credentials, catalog): a 500.

    The details are logged, never sent to the client.
    """

    code = 500
    msg_fmt = ('The network service (Neutron) refused a request of this '
               'service. Please contact the administrator and quote request '
               'id %(request_id)s.')
