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
"""Benchmark environments: inventories, stores and the assembled app.

Every benchmark talks to the real ``main`` paste application (the shipped
``api-paste.ini``, dev ``noauth2`` pipeline, policy, schemas, request id,
request log). Only how the store is filled differs from a deployment:
inventories of 100,000 ports are built as inventory objects and bulk
inserted, because the YAML loader would take minutes to read them.
"""

import contextlib
import ipaddress
import json
import os
import tempfile
import uuid

import webob

PROJECT = '6f70656e737461636b20697320636f6f'
TOKEN = 'bench:%s' % PROJECT
# Deterministic ids, so that bodies compare equal between runs and apps.
_NS = uuid.UUID('2f1c3a7e-0b6d-4c53-9a57-6a0f5e0b1e00')


def bench_id(*parts):
    return str(uuid.uuid5(_NS, '/'.join(str(p) for p in parts)))


NET = bench_id('net')
SUBNET = bench_id('subnet')
SERVER = bench_id('server')


def make_inventory(ports=10, attached=2, servers=1, networks_per_client=0,
                   project=PROJECT):
    """An :class:`inventory.Inventory` with ``ports`` ports in all.

    Everything belongs to ``project``.

    ``attached`` of them are attached to :data:`SERVER`; the rest are free
    ports of the same project. ``servers`` extra servers
    (``bench_id('server', i)``) each get their own project network
    (``bench_id('net', i)``) when ``networks_per_client`` is set, for the
    concurrency runs (one client, one server, one network).
    """
    from nova_attach_ifaces.compute import driver
    from nova_attach_ifaces.compute import inventory

    big = ipaddress.ip_network('10.0.0.0/8')
    base = int(big.network_address)
    networks = [inventory.Network(
        id=NET, project_id=project, name='bench',
        subnets=(inventory.Subnet(id=SUBNET, network_id=NET,
                                  cidr=str(big), gateway_ip='10.0.0.1'),))]
    port_list = []
    for i in range(ports):
        port_list.append(inventory.Port(
            id=bench_id('port', i), network_id=NET, project_id=project,
            mac_address='fa:16:3e:%02x:%02x:%02x' % (
                (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
            fixed_ips=(driver.FixedIp(
                str(ipaddress.ip_address(base + 16 + i)), SUBNET),)))
    records = [inventory.ServerRecord(
        server=driver.Server(id=SERVER, project_id=project, name='bench'),
        port_ids=tuple(p.id for p in port_list[:attached]))]
    for i in range(servers):
        records.append(inventory.ServerRecord(server=driver.Server(
            id=bench_id('server', i), project_id=project,
            name='client-%d' % i)))
        if networks_per_client:
            net_id = bench_id('net', i)
            sub_id = bench_id('subnet', i)
            cidr = ipaddress.ip_network('172.%d.0.0/16' % (16 + i % 16))
            if i >= 16:
                cidr = ipaddress.ip_network('192.168.%d.0/24' % i)
            networks.append(inventory.Network(
                id=net_id, project_id=project, name='client-%d' % i,
                subnets=(inventory.Subnet(
                    id=sub_id, network_id=net_id, cidr=str(cidr),
                    gateway_ip=str(cidr.network_address + 1)),)))
    return inventory.Inventory(networks=tuple(networks),
                               ports=tuple(port_list),
                               servers=tuple(records))


def inventory_dict(inv):
    """``inv`` as inventory YAML data (for servers started as processes)."""
    return {
        'networks': [{'id': n.id, 'project_id': n.project_id,
                      'name': n.name, 'shared': n.shared,
                      'subnets': [{'id': s.id, 'cidr': s.cidr,
                                   'gateway_ip': s.gateway_ip}
                                  for s in n.subnets]}
                     for n in inv.networks],
        'ports': [{'id': p.id, 'network_id': p.network_id,
                   'project_id': p.project_id,
                   'mac_address': p.mac_address,
                   'fixed_ips': [{'ip_address': ip.ip_address}
                                 for ip in p.fixed_ips]}
                  for p in inv.ports],
        'servers': [{'id': r.server.id, 'project_id': r.server.project_id,
                     'name': r.server.name, 'ports': list(r.port_ids)}
                    for r in inv.servers],
    }


def bulk_load_sql(url, inv):
    """Create the schema at ``url`` and insert ``inv`` with Core inserts."""
    import sqlalchemy as sa

    from nova_attach_ifaces.compute.sql import migration
    from nova_attach_ifaces.compute.sql import models

    engine = sa.create_engine(url)
    try:
        migration.upgrade(engine, 'head')
        with engine.begin() as conn:
            conn.execute(sa.insert(models.Network), [
                {'id': n.id, 'project_id': n.project_id, 'name': n.name,
                 'shared': n.shared} for n in inv.networks])
            conn.execute(sa.insert(models.Subnet), [
                {'id': s.id, 'network_id': n.id, 'position': i,
                 'cidr': s.cidr, 'gateway_ip': s.gateway_ip}
                for n in inv.networks for i, s in enumerate(n.subnets)])
            for chunk in _chunks(inv.ports, 20000):
                conn.execute(sa.insert(models.Port), [
                    {'id': p.id, 'network_id': p.network_id,
                     'project_id': p.project_id,
                     'mac_address': p.mac_address,
                     'created_by_attach': False} for p in chunk])
                conn.execute(sa.insert(models.FixedIp), [
                    {'port_id': p.id, 'network_id': p.network_id,
                     'subnet_id': ip.subnet_id, 'ip_address': ip.ip_address}
                    for p in chunk for ip in p.fixed_ips])
            conn.execute(sa.insert(models.Server), [
                {'id': r.server.id, 'project_id': r.server.project_id,
                 'name': r.server.name, 'vm_state': r.server.vm_state,
                 'locked': False} for r in inv.servers])
            attachments = [{'server_id': r.server.id, 'port_id': port_id}
                           for r in inv.servers for port_id in r.port_ids]
            if attachments:
                conn.execute(sa.insert(models.Attachment), attachments)
    finally:
        engine.dispose()


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Service:
    """The service configured in process, with the app loaded.

    :param driver: ``memory`` or ``sql``.
    :param inv: the inventory to start from.
    :param db_url: for ``sql``; default a SQLite file in the temp dir.
    :param log: write the access log to a file in the temp dir, one INFO
        line per request, as a deployment does.
    :param load: for ``sql``, create and fill the store first (False: the
        caller did, e.g. once for several client processes).
    """

    def __init__(self, driver, inv, db_url=None, log=True, load=True):
        self.driver_name = driver
        self.load = load
        self.inv = inv
        self.tmp = tempfile.TemporaryDirectory(prefix='nai-bench-')
        self.db_url = db_url or 'sqlite:///%s' % os.path.join(
            self.tmp.name, 'bench.sqlite')
        self.log = log
        self.app = None

    def start(self):
        from nova_attach_ifaces.compute import loader
        from nova_attach_ifaces.compute import memory
        from nova_attach_ifaces import conf
        from nova_attach_ifaces import log
        from nova_attach_ifaces import policy
        from nova_attach_ifaces import wsgi

        conf.CONF.reset()
        conf.CONF.clear_override('log_file')
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
        conf.CONF.set_override('auth_strategy', 'noauth2', group='api')
        conf.CONF.set_override('driver', self.driver_name, group='compute')
        conf.CONF.set_override('policy_file',
                               os.path.join(self.tmp.name, 'policy.yaml'),
                               group='oslo_policy')
        if self.log:
            # A deployment logs one INFO line per request to a file.
            conf.CONF.set_override('log_file',
                                   os.path.join(self.tmp.name, 'api.log'))
            log.setup(conf.CONF, 'nova-attach-ifaces')
        # Whatever an earlier measurement in this process set.
        set_access_log(self.log)
        policy.reset()
        if self.driver_name == 'sql':
            if self.load:
                bulk_load_sql(self.db_url, self.inv)
            conf.CONF.set_override('connection', self.db_url,
                                   group='database')
            self.app = wsgi.load_app(conf.CONF)
        else:
            # Built from the inventory object: the YAML file of a 100,000
            # port inventory would take minutes to parse.
            original = loader.load_driver
            loader.load_driver = lambda c: memory.MemoryDriver.from_inventory(
                c, self.inv)
            try:
                self.app = wsgi.load_app(conf.CONF)
            finally:
                loader.load_driver = original
        return self.app

    def stop(self):
        import logging as std_logging

        from nova_attach_ifaces import policy
        policy.reset()
        # The log file goes with the temp dir; so must its handler.
        root = std_logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, std_logging.FileHandler):
                root.removeHandler(handler)
                handler.close()
        self.app = None
        self.tmp.cleanup()


@contextlib.contextmanager
def service(driver, inv, **kwargs):
    svc = Service(driver, inv, **kwargs)
    try:
        yield svc.start()
    finally:
        svc.stop()


#: The access-log logger; its level is what an operator sets with
#: ``default_log_levels = ...,nova_attach_ifaces.api.request_log=WARN``.
ACCESS_LOGGER = 'nova_attach_ifaces.api.request_log'


def set_access_log(enabled):
    """Write the one INFO line per request (True) or not (False)."""
    import logging as std_logging
    std_logging.getLogger(ACCESS_LOGGER).setLevel(
        std_logging.INFO if enabled else std_logging.WARNING)


def headers(version, token=TOKEN):
    return {'X-Auth-Token': token,
            'OpenStack-API-Version': 'compute %s' % version,
            'Accept': 'application/json'}


def list_path(server=SERVER):
    return '/v2.1/servers/%s/os-interface' % server


def show_path(port_id, server=SERVER):
    return '/v2.1/servers/%s/os-interface/%s' % (server, port_id)


def request(app, method, path, version, body=None, token=TOKEN):
    """``webob.Request.blank(...).get_response(app)``."""
    kwargs = {'method': method, 'headers': headers(version, token)}
    if body is not None:
        kwargs['body'] = json.dumps(body).encode()
        kwargs['content_type'] = 'application/json'
    return webob.Request.blank(path, **kwargs).get_response(app)
