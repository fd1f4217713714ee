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
"""The ``neutron`` network backend: ports from a real Neutron.

Two kinds of call, as in Nova:

* *as the caller*, with the caller's own token (the context's
  ``auth_token``), so Neutron's own policy decides what the caller sees:
  showing a port before binding it, checking a chosen network;
* *as this service*, with the ``[neutron]`` service credentials (admin in
  Neutron): binding, creating a bound port, unbinding, deleting, listing a
  server's ports, listing a project's networks.

A deployment without Keystone tokens (``noauth2``) has no caller token;
the service credentials are used for every call then, and what the caller
may see is decided here as Neutron would (their project's resources, and
shared networks; everything for an admin).

Neutron calls per backend call (the call budget):

==================  =====================================================
``list_ports``      1 (``GET ports?device_id=``)
``show_port``       1
``bind_port``       2 (show as the caller, ``PUT``)
``create_port``     1 (``POST``), +1 network check when a non-admin
                    names the network, +2 network lists without a network
``unbind_port``     1 (``PUT``)
``delete_port``     1 (``DELETE``)
==================  =====================================================

Faults: Neutron unreachable, timing out or answering 5xx is
``NetworkServiceUnavailable`` (503). Neutron or Keystone refusing the
service credentials, or no Neutron in the catalog, is logged as an ERROR
naming the ``[neutron]`` options to check, and answered with
``NetworkServiceError`` (500, request id only).

Orphans: a port created by an attach that fails later (the hypervisor
could not plug it) is deleted by the compute driver through
:meth:`delete_port`; when that delete cannot reach Neutron, or a create's
answer never came, the port is found and deleted before a later call of
this backend, in this process (:mod:`.neutron_orphans`). Each port this
backend creates carries its attach's marker in ``binding:profile`` for
that.
"""

import threading

from keystoneauth1 import adapter as ksa_adapter
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import token_endpoint
from oslo_log import log as logging
from oslo_utils import uuidutils

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.conf import neutron as neutron_conf
from nova_attach_ifaces.network import backend
from nova_attach_ifaces.network import neutron_orphans

LOG = logging.getLogger(__name__)

PORTS = '/v2.0/ports'
#: Binds of one port in this process run one at a time (see bind_port);
#: a fixed set of locks, chosen by the port id's hash, bounds the memory.
BIND_LOCKS = 64
NETWORKS = '/v2.0/networks'


class _Refused(Exception):
    """A 4xx answer of Neutron, for the calling method to translate."""

    def __init__(self, status, error_type, message):
        super().__init__(message)
        self.status = status
        self.type = error_type
        self.message = message


def _refusal(error):
    try:
        fault = error.response.json().get('NeutronError') or {}
    except (AttributeError, ValueError):
        fault = {}
    return _Refused(error.http_status, fault.get('type'),
                    fault.get('message') or error.message)


def to_port(body):
    """A :class:`~.backend.Port` from Neutron's JSON of a port."""
    return backend.Port(
        id=body['id'],
        network_id=body['network_id'],
        project_id=body.get('project_id') or body.get('tenant_id') or '',
        mac_address=body['mac_address'].lower(),
        fixed_ips=tuple(driver.FixedIp(ip['ip_address'], ip['subnet_id'])
                        for ip in body.get('fixed_ips') or ()),
        status=body.get('status') or 'DOWN',
        device_id=body.get('device_id') or '',
        device_owner=body.get('device_owner') or '',
        binding_host_id=body.get('binding:host_id') or '',
        vif_type=body.get('binding:vif_type') or 'unbound',
        vif_details=body.get('binding:vif_details') or {})


class NeutronBackend(backend.NetworkBackend):
    """Network backend talking to Neutron (see the module docstring)."""

    def __init__(self, conf):
        super().__init__(conf)
        group = neutron_conf.GROUP.name
        auth = ks_loading.load_auth_from_conf_options(conf, group)
        if auth is None:
            raise ValueError('[neutron] auth_type is not set: the neutron '
                             'network backend needs service credentials '
                             'to bind ports')
        self._session = ks_loading.load_session_from_conf_options(
            conf, group, auth=auth)
        self._service = ks_loading.load_adapter_from_conf_options(
            conf, group, session=self._session, auth=auth)
        self._orphans = neutron_orphans.Orphans(
            grace=conf[group].timeout or neutron_conf.DEFAULT_TIMEOUT)
        self._bind_locks = [threading.Lock() for _ in range(BIND_LOCKS)]

    def close(self):
        self._session.session.close()

    # Calls, and their faults, in one place.

    def _caller(self, context):
        """An adapter carrying the caller's token, or None without one."""
        token = getattr(context, 'auth_token', None)
        if not token:
            return None
        # The endpoint the service credentials found (catalog or
        # endpoint_override): the caller's token carries no catalog here.
        endpoint = self._call(context, self._service.get_endpoint)
        return ksa_adapter.Adapter(
            self._session, auth=token_endpoint.Token(endpoint, token),
            endpoint_override=endpoint)

    def _request(self, context, method, url, as_caller=False, **kwargs):
        adapter = self._caller(context) if as_caller else None
        if adapter is None:
            adapter, as_caller = self._service, False
        response = self._call(
            context, adapter.request, url, method, as_caller=as_caller,
            global_request_id=getattr(context, 'global_id', None), **kwargs)
        return response.json() if response.content else None

    def _call(self, context, function, *args, as_caller=False, **kwargs):
        request_id = getattr(context, 'request_id', None)
        try:
            return function(*args, **kwargs)
        except ksa_exc.HttpError as e:
            if e.http_status >= 500:
                LOG.warning('Neutron answered %s: %s', e.http_status,
                            e.message)
                raise exception.NetworkServiceUnavailable()
            if e.http_status in (401, 403) and not as_caller:
                LOG.error('Neutron (or Keystone) refused the service '
                          'credentials of [neutron] with HTTP %s (%s); '
                          'check its auth options and that the user has '
                          'the admin role in Neutron', e.http_status,
                          e.message)
                raise exception.NetworkServiceError(request_id=request_id)
            raise _refusal(e)
        except ksa_exc.ConnectionError as e:
            LOG.warning('Neutron unreachable: %s', e)
            raise exception.NetworkServiceUnavailable()
        except ksa_exc.ClientException as e:
            # No network endpoint in the catalog, discovery failures, ...
            LOG.error('Cannot use Neutron with the [neutron] options (%s: '
                      '%s); check endpoint_override, region_name, '
                      'valid_interfaces and the auth options',
                      type(e).__name__, e)
            raise exception.NetworkServiceError(request_id=request_id)

    def _unexpected(self, context, refused):
        """Translate a refusal no method foresaw, as Nova passes them on."""
        if refused.status == 400:
            return exception.Invalid(refused.message)
        if refused.status == 404:
            return exception.NotFound(refused.message)
        if refused.status == 409:
            return exception.Conflict(refused.message)
        LOG.error('Neutron refused a call as the caller with HTTP %s: %s',
                  refused.status, refused.message)
        return exception.NetworkServiceError(
            request_id=getattr(context, 'request_id', None))

    def _delete_orphans(self, context):
        self._orphans.clean(
            lambda server_id: self._request(
                context, 'GET', PORTS, params={'device_id': server_id}
            )['ports'],
            lambda port_id: self._delete(context, port_id))

    def _delete(self, context, port_id):
        try:
            self._request(context, 'DELETE', '%s/%s' % (PORTS, port_id))
        except _Refused as e:
            if e.status != 404:
                raise self._unexpected(context, e)

    # The contract.

    def _show(self, context, port_id):
        """Neutron's JSON of a port, as the caller sees it."""
        self._delete_orphans(context)
        try:
            body = self._request(context, 'GET', '%s/%s' % (PORTS, port_id),
                                 as_caller=True)['port']
        except _Refused as e:
            if e.status == 404:
                raise exception.PortNotFound(port_id=port_id)
            raise self._unexpected(context, e)
        # Without a token to let Neutron decide, Neutron's rule, here.
        if not getattr(context, 'auth_token', None) and not driver.visible(
                context, body.get('project_id')):
            raise exception.PortNotFound(port_id=port_id)
        return body

    def show_port(self, context, port_id):
        # As the caller, binding:* included only when Neutron shows it to
        # them (admins, services): reading it with the service's rights
        # would cost a second call, or let this service decide visibility
        # instead of Neutron. No caller of show_port needs the binding
        # (plugs use the bind's or create's reply).
        return to_port(self._show(context, port_id))

    def list_ports(self, context, device_id):
        self._delete_orphans(context)
        body = self._request(context, 'GET', PORTS,
                             params={'device_id': device_id})
        return [to_port(port) for port in body['ports']]

    def bind_port(self, context, port_id, device_id, host):
        # Neutron's If-Match is checked against what the transaction read,
        # so two PUTs racing with the same revision can both pass it. Binds
        # in this process are therefore serialised per port (the second
        # then sees the port in use); If-Match still refuses a bind when
        # the port changed since it was shown, e.g. by another process.
        with self._bind_locks[hash(port_id) % BIND_LOCKS]:
            return self._bind(context, port_id, device_id, host)

    def _bind(self, context, port_id, device_id, host):
        shown = self._show(context, port_id)
        if shown.get('device_id'):
            raise exception.PortInUse(port_id=port_id)
        body = {'port': {'device_id': device_id,
                         'device_owner': backend.DEVICE_OWNER,
                         'binding:host_id': host}}
        try:
            # If-Match: the PUT applies only to the port as shown.
            updated = self._request(
                context, 'PUT', '%s/%s' % (PORTS, port_id), json=body,
                headers={'If-Match': 'revision_number=%s'
                         % shown['revision_number']})
        except _Refused as e:
            if e.status == 412:
                raise exception.PortInUse(port_id=port_id)
            if e.status == 404:
                raise exception.PortNotFound(port_id=port_id)
            raise self._unexpected(context, e)
        return to_port(updated['port'])

    def create_port(self, context, device_id, project_id, host, net_id=None,
                    fixed_ip=None):
        self._delete_orphans(context)
        if net_id is None:
            net_id = self._usable_network(context, project_id)
        elif not context.is_admin:
            self._check_network(context, net_id)
        port = {'network_id': net_id, 'project_id': project_id,
                'device_id': device_id,
                'device_owner': backend.DEVICE_OWNER,
                'binding:host_id': host}
        if fixed_ip is not None:
            port['fixed_ips'] = [{'ip_address': fixed_ip}]
        # Finds the port if the answer is lost (see neutron_orphans).
        marker = uuidutils.generate_uuid(dashed=False)
        port['binding:profile'] = {neutron_orphans.PROFILE_KEY: marker}
        try:
            body = self._request(context, 'POST', PORTS,
                                 json={'port': port})
        except _Refused as e:
            raise self._create_refused(context, e, device_id, net_id,
                                       fixed_ip)
        except exception.NetworkServiceUnavailable:
            self._orphans.add_possible(marker, device_id)
            raise
        return to_port(body['port'])

    def _create_refused(self, context, refused, device_id, net_id,
                        fixed_ip):
        if refused.type == 'IpAddressAlreadyAllocated':
            return exception.FixedIpAlreadyInUse(address=fixed_ip,
                                                 instance_uuid=device_id)
        if refused.type in ('InvalidIpForSubnet', 'InvalidIpForNetwork'):
            return exception.FixedIpInvalidForNetwork(address=fixed_ip,
                                                      network_id=net_id)
        if refused.type == 'IpAddressGenerationFailure':
            return exception.NoMoreFixedIps(net=net_id)
        if refused.type == 'OverQuota':
            return exception.PortLimitExceeded()
        if refused.status == 404:
            return exception.NetworkNotFound(network_id=net_id)
        return self._unexpected(context, refused)

    def check_network(self, context, net_id):
        self._check_network(context, net_id)

    def _check_network(self, context, net_id):
        """NetworkNotFound unless the caller can see network ``net_id``.

        Ports are created with the service's rights (a bound port needs
        them), which would reach any project's network.
        """
        try:
            body = self._request(context, 'GET', '%s/%s' % (NETWORKS, net_id),
                                 as_caller=True, params={
                                     'fields': ['id', 'project_id',
                                                'shared']})['network']
        except _Refused as e:
            if e.status == 404:
                raise exception.NetworkNotFound(network_id=net_id)
            raise self._unexpected(context, e)
        if not getattr(context, 'auth_token', None) and not (
                body.get('shared') or
                driver.visible(context, body.get('project_id'))):
            raise exception.NetworkNotFound(network_id=net_id)

    def _usable_network(self, context, project_id):
        """The one network ``project_id`` owns or shares (Nova's two lists).
        """
        found = set()
        for params in ({'project_id': project_id}, {'shared': True}):
            params['fields'] = 'id'
            body = self._request(context, 'GET', NETWORKS, params=params)
            found.update(net['id'] for net in body['networks'])
        if not found:
            raise exception.InterfaceAttachFailedNoNetwork(
                project_id=project_id)
        if len(found) > 1:
            raise exception.NetworkAmbiguous()
        return found.pop()

    def unbind_port(self, context, port_id):
        self._delete_orphans(context)
        body = {'port': {'device_id': '', 'device_owner': '',
                         'binding:host_id': None}}
        try:
            self._request(context, 'PUT', '%s/%s' % (PORTS, port_id),
                          json=body)
        except _Refused as e:
            if e.status != 404:
                raise self._unexpected(context, e)

    def delete_port(self, context, port_id):
        self._delete_orphans(context)
        try:
            self._delete(context, port_id)
        except exception.NetworkServiceUnavailable:
            # The attach that created it failed and Neutron is away: keep
            # it, to delete it when Neutron answers again (module doc).
            self._orphans.add_known(port_id)
            raise
