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
"""The os-interface controller: one method per route.

Each method reads top to bottom in the order Nova decides which error wins:
query and body validation, then the server (404 for one the caller may not
see), then policy (403), then the request's own rules and the server's state,
then the driver. The router has already negotiated the microversion, checked
the Content-Type, parsed the body and checked the URL's project id; it turns
every exception raised here into a Nova fault.
"""

import re
import uuid

from oslo_utils import uuidutils
import webob.exc

from nova_attach_ifaces.api import microversion
from nova_attach_ifaces.api import schemas
from nova_attach_ifaces.api import validation
from nova_attach_ifaces.api import views
from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.policies import attach_interfaces as ai_policies

_CREATE = validation.Validator(schemas.create)
_CREATE_V249 = validation.Validator(schemas.create_v249)
_QUERY_V2102 = validation.Validator(schemas.query_v2102)

_CANONICAL_UUID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z')


def response(code):
    """Mark a controller method's success status (the default is 200)."""
    def decorator(func):
        func.wsgi_code = code
        return func
    return decorator


class InterfaceAttachmentController(object):
    """List, attach, show and detach the port interfaces of a server."""

    def __init__(self, compute_driver):
        self.driver = compute_driver

    def index(self, req, server_id):
        _validate_query(req)
        context = req.context
        # Read together (one query on the sql driver); nothing of it is
        # shown unless the visibility and policy checks pass.
        server, attachments = self._read_server(
            context, server_id, self.driver.get_server_interfaces)
        _check_visible(context, server, server_id)
        context.can(ai_policies.LIST, target={'project_id': server.project_id})

        return {'interfaceAttachments': [
            views.attachment(att, req.api_version) for att in attachments]}

    def show(self, req, server_id, port_id):
        _validate_query(req)
        context = req.context
        canonical_port_id = _canonical(port_id)
        if canonical_port_id is None:
            server, att = self._get_server(context, server_id), None
        else:
            # As in index: read together, shown only after the checks.
            server, att = self._read_server(
                context, server_id, self.driver.get_server_interface,
                canonical_port_id)
            _check_visible(context, server, server_id)
        context.can(ai_policies.SHOW, target={'project_id': server.project_id})

        if att is None:
            # Not attached to this server: the driver says why (no such
            # port, or attached elsewhere) with the fault to answer.
            att = self.driver.get_interface(
                context, server, _port_id(port_id))
        return {'interfaceAttachment': views.attachment(att, req.api_version)}

    def create(self, req, server_id, body):
        if req.api_version >= microversion.TAG_REQUEST_VERSION:
            schema = _CREATE_V249
        else:
            schema = _CREATE
        schema.validate(body)
        context = req.context
        server = self._get_server(context, server_id)
        context.can(ai_policies.CREATE,
                    target={'project_id': server.project_id})

        net_id, port_id, fixed_ip, tag = _requested_interface(body)
        if net_id and port_id:
            raise webob.exc.HTTPBadRequest(
                explanation='Must not input both network_id and port_id')
        if fixed_ip and not net_id:
            raise webob.exc.HTTPBadRequest(
                explanation='Must input network_id when request IP address')
        _check_server_can_change(context, server, server_id,
                                 'attach_interface')
        # NOTE: Nova validates the query string (2.102+) only after the
        # attach, by re-showing the port, so every other error wins over
        # it; we keep that order but refuse before touching anything.
        _validate_query(req)

        att = self.driver.attach_interface(
            context, server, net_id=net_id, port_id=port_id,
            fixed_ip=fixed_ip, tag=tag)
        return {'interfaceAttachment': views.attachment(att, req.api_version)}

    @response(202)
    def delete(self, req, server_id, port_id):
        context = req.context
        server = self._get_server(context, server_id)
        context.can(ai_policies.DELETE,
                    target={'project_id': server.project_id})
        _check_server_can_change(context, server, server_id,
                                 'detach_interface')

        # NOTE: detach is synchronous (Nova casts and always answers 202),
        # so a port that is not attached here gets its 404.
        self.driver.detach_interface(
            context, server, _port_id(port_id))

    def _get_server(self, context, server_id):
        """The server, if the caller may see it; else ServerNotFound."""
        server = self._read_server(context, server_id, self.driver.get_server)
        _check_visible(context, server, server_id)
        return server

    @staticmethod
    def _read_server(context, server_id, read, *args):
        """``read(context, id, *args)``, with the server id canonical.

        ServerNotFound names the id as the caller spelled it.
        """
        canonical_id = _canonical(server_id)
        if canonical_id is None:
            raise exception.ServerNotFound(server_id=server_id)
        try:
            return read(context, canonical_id, *args)
        except exception.ServerNotFound:
            raise exception.ServerNotFound(server_id=server_id)


def read_visible_server(context, server_id, read):
    """``read(context, id)``: a server, or a tuple starting with one.

    ServerNotFound unless the caller may see that server.
    """
    found = InterfaceAttachmentController._read_server(
        context, server_id, read)
    server = found[0] if isinstance(found, tuple) else found
    _check_visible(context, server, server_id)
    return found


def _check_visible(context, server, server_id):
    """ServerNotFound unless the caller may see ``server``.

    Non-admins see only their project's servers, so another project's
    server is a 404, never a 403 that would confirm it exists.
    """
    if not context.is_admin and server.project_id != context.project_id:
        raise exception.ServerNotFound(server_id=server_id)


def _validate_query(req):
    # Before 2.102 unknown query parameters are ignored, as in Nova.
    if req.api_version >= microversion.STRICT_QUERY_VERSION:
        _QUERY_V2102.validate(req.GET.dict_of_lists())


def _requested_interface(body):
    """(net_id, port_id, fixed_ip, tag) of a validated attach body."""
    attachment = (body or {}).get('interfaceAttachment') or {}
    net_id = attachment.get('net_id')
    port_id = attachment.get('port_id')
    fixed_ips = attachment.get('fixed_ips')
    fixed_ip = fixed_ips[0]['ip_address'] if fixed_ips else None
    return (_canonical(net_id) if net_id else None,
            _canonical(port_id) if port_id else None,
            fixed_ip,
            attachment.get('tag'))


def _canonical(uuid_like):
    """The canonical form of ``uuid_like``, or None if it is not a UUID.

    Ids are stored in canonical form (lower case, dashed); any spelling
    that ``uuid`` accepts (upper case, no dashes, braces) finds the same
    object. Most requests already use the canonical form, which a regex
    recognises for a fraction of the cost of parsing a UUID.
    """
    if _CANONICAL_UUID.match(uuid_like):
        return uuid_like
    if not uuidutils.is_uuid_like(uuid_like):
        return None
    return str(uuid.UUID(uuid_like))


def _port_id(port_id):
    canonical_id = _canonical(port_id)
    if canonical_id is None:
        raise exception.PortNotFound(port_id=port_id)
    return canonical_id


def _check_server_can_change(context, server, server_id, action):
    """Nova's lock and state checks for attach_interface/detach_interface."""
    if server.locked and not context.is_admin:
        raise exception.InstanceIsLocked(instance_uuid=server.id)
    if server.vm_state not in driver.ATTACHABLE_VM_STATES:
        raise exception.InstanceInvalidState(
            action=action, instance_uuid=server_id, attr='vm_state',
            state=server.vm_state)
    if server.task_state is not None:
        raise exception.InstanceInvalidState(
            action=action, instance_uuid=server_id, attr='task_state',
            state=server.task_state)
