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
"""A read-only Neutron v2.0 view of the ``sql`` store's networks.

The ``openstack`` CLI resolves a port or network by id, then by name,
through Neutron (``GET /v2.0/ports/{id}``, ``GET /v2.0/ports?name=...``)
before it calls os-interface, and lists a server's ports with
``GET /v2.0/ports?device_id=...``. With the ``sql`` store there is no
Neutron; this app answers those reads from the store the compute API
attaches from, in Neutron's shapes:

* ``GET /v2.0/{networks,subnets,ports}`` and ``GET .../{id}``;
* Neutron's filters: any attribute of the resource, repeated values
  meaning "any of"; ``fields`` (repeated) picks the keys shown; an
  attribute the resource does not have is a 400;
* Neutron's visibility: an admin sees everything; others see shared
  networks (and their subnets) and their own project's networks, subnets
  and ports;
* errors as ``{"NeutronError": {"type", "message", "detail"}}``.

It is mounted at ``/networking`` by the shipped paste file, behind the same
authentication pipelines as the compute API, and can be served alone
(``nova-attach-ifaces-api --app networking``). With any other store than
``sql`` (``[compute] driver``, and ``[network] backend``), real Neutron
holds the ports, and every request here is a 404 naming Neutron, the
version document at the root included.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import strutils
import routes
import webob
import webob.dec

from nova_attach_ifaces.api import auth
from nova_attach_ifaces.api import network_views
from nova_attach_ifaces.compute.sql import database
from nova_attach_ifaces.compute.sql import network_reads
from nova_attach_ifaces import conf

LOG = logging.getLogger(__name__)

# Query parameters that are not attribute filters.
_NOT_FILTERS = frozenset(
    {'fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse'})

# collection -> (member key, Neutron's not-found type and name).
RESOURCES = {
    'networks': ('network', 'NetworkNotFound', 'Network'),
    'subnets': ('subnet', 'SubnetNotFound', 'Subnet'),
    'ports': ('port', 'PortNotFound', 'Port'),
}


def neutron_error(status, error_type, message):
    body = {'NeutronError': {'type': error_type, 'message': message,
                             'detail': ''}}
    return webob.Response(status=status, json_body=body,
                          content_type='application/json', charset=None)


class BadFilter(Exception):
    """A filter names an attribute the resource does not have."""


def _matches(view, name, wanted):
    if name == 'fixed_ips':
        # Neutron's "fixed_ips=ip_address=10.0.0.5" / "subnet_id=...".
        for condition in wanted:
            key, _sep, value = condition.partition('=')
            if not any(ip.get(key) == value for ip in view['fixed_ips']):
                return False
        return True
    value = view[name]
    if isinstance(value, bool):
        return any(strutils.bool_from_string(w) == value for w in wanted)
    return ('' if value is None else str(value)) in wanted


def _filtered(views, query, sample_keys):
    filters = {name: values for name, values in query.items()
               if name not in _NOT_FILTERS}
    unknown = sorted(set(filters) - set(sample_keys))
    if unknown:
        raise BadFilter('%s is invalid attribute for filtering' % unknown)
    return [view for view in views
            if all(_matches(view, name, values)
                   for name, values in filters.items())]


def _fields(view, fields):
    return {k: v for k, v in view.items() if k in fields} if fields else view


class NetworkingAPI(object):
    """``GET /v2.0/{networks,subnets,ports}[/{id}]`` from the store."""

    def __init__(self, db):
        self.db = db
        self.mapper = routes.Mapper()
        for collection in RESOURCES:
            self.mapper.connect('/v2.0/%s' % collection,
                                collection=collection, member=None)
            self.mapper.connect('/v2.0/%s/{id}' % collection,
                                collection=collection)

    @webob.dec.wsgify
    def __call__(self, req):
        match = self.mapper.match(req.path_info)
        if match is None:
            return neutron_error(404, 'HTTPNotFound',
                                 'The resource could not be found.')
        if req.method not in ('GET', 'HEAD'):
            return neutron_error(
                405, 'HTTPMethodNotAllowed',
                'The method %s is not allowed for this resource: this '
                'Neutron view is read-only.' % req.method)
        context = auth.context_from_environ(req.environ)
        collection, member_id = match['collection'], match.get('id')
        key, not_found, label = RESOURCES[collection]
        query = req.GET.dict_of_lists()
        ids = [member_id] if member_id else query.get('id')
        with self.db.reader() as session:
            views = getattr(self, '_' + collection)(session, context, ids,
                                                    query)
        fields = query.get('fields')
        if member_id is not None:
            if not views or views[0]['id'] != member_id:
                return neutron_error(
                    404, not_found,
                    '%s %s could not be found.' % (label, member_id))
            body = {key: _fields(views[0], fields)}
        else:
            try:
                views = _filtered(views, query, _SAMPLE_KEYS[collection])
            except BadFilter as e:
                return neutron_error(400, 'HTTPBadRequest', str(e))
            body = {collection: [_fields(view, fields) for view in views]}
        return webob.Response(body=jsonutils.dump_as_bytes(body),
                              content_type='application/json', charset=None)

    @staticmethod
    def _networks(session, context, ids, query):
        return [network_views.network(net)
                for net in network_reads.networks(session, ids)
                if _sees_network(context, net.project_id, net.shared)]

    @staticmethod
    def _subnets(session, context, ids, query):
        return [network_views.subnet(subnet, project_id)
                for subnet, project_id, shared in network_reads.subnets(
                    session, ids, query.get('network_id'))
                if _sees_network(context, project_id, shared)]

    @staticmethod
    def _ports(session, context, ids, query):
        return [network_views.port(port)
                for port in network_reads.ports(
                    session, ids, query.get('network_id'),
                    query.get('device_id'))
                if context.is_admin or port.project_id == context.project_id]


def _sees_network(context, project_id, shared):
    return bool(context.is_admin or shared or
                project_id == context.project_id)


def _sample_keys():
    # Every attribute a filter may name, from the views themselves.
    class Row(object):
        id = name = project_id = network_id = mac_address = ''
        cidr = '10.0.0.0/24'
        gateway_ip = None
        shared = False
        subnets = fixed_ips = ()
        attachment = None
        created_at = None
    return {'networks': set(network_views.network(Row())),
            'subnets': set(network_views.subnet(Row(), '')),
            'ports': set(network_views.port(Row()))}


_SAMPLE_KEYS = _sample_keys()


class NetworkVersions(object):
    """``GET /``: Neutron's version document (no token needed)."""

    @webob.dec.wsgify
    def __call__(self, req):
        if req.path_info not in ('', '/'):
            return neutron_error(404, 'HTTPNotFound',
                                 'The resource could not be found.')
        body = {'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': req.application_url + '/v2.0/'}]}]}
        return webob.Response(body=jsonutils.dump_as_bytes(body),
                              content_type='application/json', charset=None)


class NotServed(object):
    """What answers when real Neutron holds the ports."""

    @webob.dec.wsgify
    def __call__(self, req):
        return neutron_error(
            404, 'HTTPNotFound',
            'This service shows the networks of its sql store only; ask '
            'the Neutron of this deployment.')


def _served(config):
    network = getattr(config, 'network', None)
    backend = getattr(network, 'backend', None) if network else None
    return config.compute.driver == 'sql' and backend in (None, 'sql')


def app_factory(global_config, **local_config):
    """paste.app_factory: the Neutron view, or a 404 without a sql store."""
    if not _served(conf.CONF):
        LOG.info('Neutron view not served: the ports are not in the sql '
                 'store')
        return NotServed()
    return NetworkingAPI(database.Database(conf.CONF))


def versions_factory(global_config, **local_config):
    """paste.app_factory: Neutron's version document, or a 404 without a
    sql store: a client pointed at this mount would otherwise discover a
    Neutron API here and meet 404s only on its first real call.
    """
    if not _served(conf.CONF):
        return NotServed()
    return NetworkVersions()
