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
"""The read-only servers controller: show, list and list with details.

Clients look a server up before calling os-interface (the ``openstack``
CLI and the nova CLI by id, then by name), so these answer from the
compute driver's servers, with Nova's policy rules, visibility and body
shapes. There are no write routes.
"""

import re
import urllib.parse

from oslo_utils import strutils
import webob.exc

from nova_attach_ifaces.api import attach_interfaces
from nova_attach_ifaces.api import schemas
from nova_attach_ifaces.api import server_views
from nova_attach_ifaces.api import validation
from nova_attach_ifaces.policies import servers as server_policies

_QUERY = validation.Validator(schemas.servers_query)

# Nova's [api] max_limit default: the most servers one page holds.
MAX_LIMIT = 1000


class ServersController(object):
    """``GET /servers``, ``/servers/detail`` and ``/servers/{id}``."""

    def __init__(self, compute_driver):
        self.driver = compute_driver

    def index(self, req):
        servers = self._list(req, server_policies.INDEX,
                             server_policies.INDEX_ALL_TENANTS)
        urls = _urls(req)
        return self._page(req, servers, [
            server_views.summary(server, urls) for server in servers])

    def detail(self, req):
        servers = self._list(req, server_policies.DETAIL,
                             server_policies.DETAIL_ALL_TENANTS)
        urls = _urls(req)
        views = []
        for server in servers:
            server, attachments = self.driver.get_server_interfaces(
                req.context, server.id)
            views.append(self._detail(req, server, attachments, urls))
        return self._page(req, servers, views)

    def show(self, req, server_id):
        context = req.context
        # Read together and checked as os-interface's list does.
        server, attachments = attach_interfaces.read_visible_server(
            context, server_id, self.driver.get_server_interfaces)
        context.can(server_policies.SHOW,
                    target={'project_id': server.project_id})
        return {'server': self._detail(req, server, attachments,
                                       _urls(req), show=True)}

    def _detail(self, req, server, attachments, urls, show=False):
        names = self.driver.network_names(
            req.context, {att.net_id for att in attachments})
        return server_views.detail(server, attachments, names, urls,
                                   req.api_version, show=show)

    def _list(self, req, rule, all_tenants_rule):
        """The servers the request asks for, filtered, sorted and paged."""
        query = req.GET.dict_of_lists()
        _QUERY.validate(query)
        context = req.context
        context.can(rule, target={'project_id': context.project_id})
        project_id = context.project_id
        if strutils.bool_from_string(_last(query, 'all_tenants')):
            context.can(all_tenants_rule,
                        target={'project_id': context.project_id})
            project_id = None

        servers = self.driver.list_servers(context, project_id)
        name = _last(query, 'name')
        if name is not None:
            try:
                pattern = re.compile(name)
            except re.error as e:
                raise webob.exc.HTTPBadRequest(
                    explanation='Invalid regular expression in the name '
                                'filter %r: %s' % (name, e))
            servers = [s for s in servers if pattern.search(s.name)]
        # Nova's default order: newest first, then by id.
        servers.sort(key=lambda s: (s.created_at is not None,
                                    s.created_at, s.id), reverse=True)

        marker = _last(query, 'marker')
        if marker is not None:
            ids = [s.id for s in servers]
            if marker not in ids:
                raise webob.exc.HTTPBadRequest(
                    explanation='marker [%s] not found' % marker)
            servers = servers[ids.index(marker) + 1:]
        limit = _last(query, 'limit')
        limit = MAX_LIMIT if limit is None else min(int(limit), MAX_LIMIT)
        req.page_limit = limit
        return servers[:limit]

    @staticmethod
    def _page(req, servers, views):
        body = {'servers': views}
        if servers and len(servers) == req.page_limit:
            params = [(k, v) for k, v in req.GET.items() if k != 'marker']
            params.append(('marker', servers[-1].id))
            body['servers_links'] = [{
                'rel': 'next',
                'href': '%s?%s' % (req.path_url, urllib.parse.urlencode(
                    params))}]
        return body


def _last(query, name):
    values = query.get(name)
    return values[-1] if values else None


def _urls(req):
    """(base of self links, base of bookmark links)."""
    return (req.application_url, req.host_url)
