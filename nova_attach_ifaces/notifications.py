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
"""Nova's versioned notifications of interface attach and detach.

With ``[oslo_messaging_notifications] driver`` set, the loaded compute
driver is wrapped in :class:`NotifyingDriver`, which sends, as Nova's
compute manager does:

* ``instance.interface_attach.start`` before an attach, ``.end`` after it,
  and ``.error`` (priority ERROR, with the fault) when the hypervisor side
  failed (500, 503, or an unexpected error). An attach refused for the
  caller's input (a port in use, an unknown network: 4xx) sends no
  ``.error``, as Nova sends none for a refused port allocation.
* ``instance.interface_detach.start`` and ``.end``, only for a port that is
  attached (Nova looks the port up before its start notification).

The payload is Nova's ``InstanceActionPayload`` (version 1.9) in Nova's
wire form (``nova_object.name/namespace/version/data``), on the topics of
``[notifications] versioned_notifications_topics``, published as
``nova-compute:<host>`` where host is the server's hypervisor host. The
fields this service has no data for are null, empty, or Nova's neutral
value; ``doc/source/deployment.rst`` lists them.
"""

import sys
import traceback

from oslo_log import log as logging
from oslo_utils import netutils

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces import rpc

LOG = logging.getLogger(__name__)

PAYLOAD_VERSION = '1.9'
PUBLISHER = 'nova-compute'

# Nova's power_state names for the vm_states where one follows.
_POWER_STATES = {
    'active': 'running',
    'paused': 'paused',
    'stopped': 'shutdown',
    'suspended': 'suspended',
}


def _nova_object(name, version, data):
    return {
        'nova_object.name': name,
        'nova_object.namespace': 'nova',
        'nova_object.version': version,
        'nova_object.data': data,
    }


def tap_name(port_id):
    """The host device name Nova's libvirt driver gives a port's NIC."""
    return ('tap' + port_id)[:14]


def ip_payloads(attachments, network_names=None):
    """Nova's ``IpPayload`` list: one per address of each attachment.

    :param network_names: ``{network id: name}``; the label of a network
        missing from it is its id.
    """
    names = network_names or {}
    payloads = []
    for att in attachments:
        for fixed_ip in att.fixed_ips:
            payloads.append(_nova_object('IpPayload', '1.0', {
                'label': names.get(att.net_id, att.net_id),
                'mac': att.mac_addr,
                'meta': {},
                'port_uuid': att.port_id,
                'version': 6 if netutils.is_valid_ipv6(
                    fixed_ip.ip_address) else 4,
                'address': fixed_ip.ip_address,
                'device_name': tap_name(att.port_id),
            }))
    return payloads


def exception_payload(error, tb):
    """Nova's ``ExceptionPayload`` (1.1) of ``error`` raised at ``tb``."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    last = frames[-1] if frames else None
    module_name = 'unknown'
    if tb is not None:
        while tb.tb_next is not None:
            tb = tb.tb_next
        module_name = tb.tb_frame.f_globals.get('__name__', 'unknown')
    return _nova_object('ExceptionPayload', '1.1', {
        'module_name': module_name,
        'function_name': last.name if last else 'unknown',
        'exception': type(error).__name__,
        'exception_message': str(error),
        'traceback': ''.join(traceback.format_exception(
            type(error), error, tb)),
    })


def instance_action_payload(context, server, host, attachments, fault=None,
                            network_names=None):
    """Nova's ``InstanceActionPayload`` of ``server`` on ``host``."""
    return _nova_object('InstanceActionPayload', PAYLOAD_VERSION, {
        'uuid': server.id,
        'user_id': None,
        'tenant_id': server.project_id,
        'reservation_id': None,
        'display_name': server.name,
        'display_description': None,
        'host_name': server.name,
        'host': host,
        'node': host,
        'os_type': None,
        'architecture': None,
        'availability_zone': None,
        'flavor': None,
        'image_uuid': None,
        'key_name': None,
        'kernel_id': None,
        'ramdisk_id': None,
        'created_at': None,
        'launched_at': None,
        'terminated_at': None,
        'deleted_at': None,
        'updated_at': None,
        'state': server.vm_state,
        'power_state': _POWER_STATES.get(server.vm_state),
        'task_state': server.task_state,
        'progress': None,
        'ip_addresses': ip_payloads(attachments, network_names),
        'block_devices': [],
        'metadata': {},
        'locked': server.locked,
        'auto_disk_config': 'MANUAL',
        'request_id': getattr(context, 'request_id', None),
        'action_initiator_user': getattr(context, 'user_id', None),
        'action_initiator_project': getattr(context, 'project_id', None),
        'locked_reason': None,
        'shares': [],
        'fault': fault,
    })


def _hypervisor_failure(error):
    """Whether Nova would have sent ``.error`` for ``error``: the
    hypervisor side failed, not the caller's request.
    """
    if isinstance(error, exception.ComputeError):
        return error.code >= 500
    return not isinstance(error, NotImplementedError)


class NotifyingDriver(driver.ComputeDriver):
    """Any compute driver, with the notifications of the module docstring.

    Every method of the contract is passed on (the base class's defaults
    must not shadow the wrapped driver's overrides); reads go straight to
    the wrapped driver; attach and detach read the
    server's interfaces before and after for the payloads (two reads more
    per change, only when notifications are on).
    """

    def __init__(self, wrapped, notifier):
        super().__init__(wrapped.conf)
        self.wrapped = wrapped
        self.notifier = notifier

    def __getattr__(self, name):
        # Anything beyond the contract (a driver's own tools).
        return getattr(self.wrapped, name)

    @property
    def servers_from_hypervisor(self):
        return self.wrapped.servers_from_hypervisor

    def close(self):
        self.wrapped.close()

    def server_host(self, server):
        return self.wrapped.server_host(server)

    def get_server(self, context, server_id):
        return self.wrapped.get_server(context, server_id)

    def list_servers(self, context, project_id=None):
        return self.wrapped.list_servers(context, project_id)

    def network_names(self, context, network_ids):
        return self.wrapped.network_names(context, network_ids)

    def list_interfaces(self, context, server):
        return self.wrapped.list_interfaces(context, server)

    def get_server_interfaces(self, context, server_id):
        return self.wrapped.get_server_interfaces(context, server_id)

    def get_server_interface(self, context, server_id, port_id):
        return self.wrapped.get_server_interface(context, server_id,
                                                 port_id)

    def get_interface(self, context, server, port_id):
        return self.wrapped.get_interface(context, server, port_id)

    def _emit(self, context, server, event_type, attachments, fault=None):
        host = self.wrapped.server_host(server)
        try:
            names = self.wrapped.network_names(
                context, sorted({att.net_id for att in attachments}))
        except exception.ComputeError:
            names = {}
        payload = instance_action_payload(context, server, host,
                                          attachments, fault, names)
        notifier = self.notifier.prepare(
            publisher_id='%s:%s' % (PUBLISHER, host))
        # A broken notification bus must not fail the change it reports.
        try:
            if fault is None:
                notifier.info(context, event_type, payload)
            else:
                notifier.error(context, event_type, payload)
        except Exception:
            LOG.exception('Could not send %s for server %s', event_type,
                          server.id)

    def attach_interface(self, context, server, net_id=None, port_id=None,
                         fixed_ip=None, tag=None):
        before = self.wrapped.list_interfaces(context, server)
        self._emit(context, server, 'instance.interface_attach.start',
                   before)
        try:
            att = self.wrapped.attach_interface(
                context, server, net_id=net_id, port_id=port_id,
                fixed_ip=fixed_ip, tag=tag)
        except Exception as e:
            if _hypervisor_failure(e):
                self._emit(context, server,
                           'instance.interface_attach.error', before,
                           fault=exception_payload(e, sys.exc_info()[2]))
            raise
        self._emit(context, server, 'instance.interface_attach.end',
                   self._after(context, server, list(before) + [att]))
        return att

    def detach_interface(self, context, server, port_id):
        before = self.wrapped.list_interfaces(context, server)
        if not any(att.port_id == port_id for att in before):
            # Not attached: the driver says why, and Nova sends nothing.
            return self.wrapped.detach_interface(context, server, port_id)
        self._emit(context, server, 'instance.interface_detach.start',
                   before)
        self.wrapped.detach_interface(context, server, port_id)
        self._emit(context, server, 'instance.interface_detach.end',
                   self._after(context, server, [
                       att for att in before if att.port_id != port_id]))

    def _after(self, context, server, expected):
        try:
            return self.wrapped.list_interfaces(context, server)
        except exception.ComputeError:
            # The change is done; a failed re-read only costs the payload
            # the freshest list, so send what the change must have left.
            return expected


def wrap(conf, compute_driver):
    """``compute_driver``, wrapped when notifications are configured."""
    notifier = rpc.get_versioned_notifier(conf)
    if notifier is None:
        return compute_driver
    LOG.info('Sending versioned notifications on %s',
             ', '.join(conf.notifications.versioned_notifications_topics))
    return NotifyingDriver(compute_driver, notifier)
