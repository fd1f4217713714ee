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
"""Hypervisor latency: attach and detach of one NIC on real QEMU.

On an embedded QEMU (``qemu:///embed``, the test suite's
:mod:`tests.services.qemu`), each case has a running domain of its own,
of the kind that releases a hot-plugged NIC without a guest
(``pc-q35-6.0``, see :mod:`nova_attach_ifaces.compute.libvirt.demo`), and
attaches one NIC and detaches it again, round after round; the cases take
turns within each round, so that a change in the machine's load hits them
alike:

* ``direct``: the libvirt calls alone: ``attachDeviceFlags`` of the NIC's
  XML, then ``detachDeviceAlias`` and the wait for libvirt's
  DEVICE_REMOVED event.
* ``store``: the ``sql`` network backend's share of an attach by network
  (``create_port``, ``show_port``) and of its detach (``show_port``,
  ``delete_port``) on the same SQLite store, with no hypervisor: the
  store's own transactions and commits.
* ``libvirt``: POST and DELETE through the assembled app (noauth2, access
  log written) on ``[compute] driver = libvirt``, the ``sql`` network
  backend on SQLite.
* ``agents``: the same through an app on ``[compute] driver = agents``,
  with one compute agent (what ``nova-attach-ifaces-compute`` builds:
  :func:`nova_attach_ifaces.cmd.compute.build`) serving the domain over
  the machine's RabbitMQ, in a virtual host of this process's own. The
  agent runs in this process, on the same embedded QEMU (one process owns
  an embedded root), so its RPC server shares the interpreter with the
  API.

Needs QEMU, libvirt-python and root (as the QEMU tests do); the agents
case needs RabbitMQ. A missing one is named and its rows skipped.
"""

import os
import statistics
import tempfile
import time
import uuid

import yaml

from bench import env
from bench import timing

VERSION = '2.70'
HOST = 'bench-agent'
CASES = ('direct', 'store', 'libvirt', 'agents')
# (b) within this factor of (a) plus the store; (c) at most this much
# over (b), at the median of each operation.
API_FACTOR = 1.3
AGENT_BUDGET_MS = 5.0


def _stats(samples):
    if not samples:
        return None
    ordered = sorted(samples)
    return {'n': len(ordered),
            'p50_ms': 1000 * statistics.median(ordered),
            'p90_ms': 1000 * ordered[min(len(ordered) - 1,
                                         int(0.9 * len(ordered)))]}


class _Direct:
    """attachDeviceFlags, detachDeviceAlias and the removal event."""

    def __init__(self, uri, server_id):
        import libvirt

        from nova_attach_ifaces.compute.libvirt import connection
        from nova_attach_ifaces.compute.libvirt import domain

        # A Connection of our own on the process's embedded connection:
        # it subscribes to the one event hub, as the drivers' do.
        self.connection = connection.Connection(uri)
        self.dom = self.connection.get().lookupByUUIDString(server_id)
        self.server_id = server_id
        self.flags = (libvirt.VIR_DOMAIN_AFFECT_LIVE |
                      libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self.port_id = str(uuid.uuid4())
        self.alias = domain.alias(self.port_id)
        root = domain.parse(self.dom.XMLDesc(0))
        self.xml = domain.interface_xml(
            self.port_id, 'fa:16:3e:0b:e0:01', 'tap', None,
            bus=domain.free_root_port(root))

    def attach(self):
        self.dom.attachDeviceFlags(self.xml, self.flags)

    def detach(self):
        removal = self.connection.expect_removal(self.server_id, self.alias)
        try:
            self.dom.detachDeviceAlias(self.alias, self.flags)
            if not removal.done.wait(30) or removal.failed:
                raise RuntimeError('QEMU did not release %s' % self.alias)
        finally:
            self.connection.forget_removal(self.server_id, self.alias)

    def close(self):
        self.connection.close()


class _Store:
    """The sql network backend's calls of an attach and of its detach."""

    def __init__(self, backend, context):
        self.backend, self.context = backend, context
        self.device = str(uuid.uuid4())
        self.port_id = None

    def attach(self):
        port = self.backend.create_port(self.context, self.device,
                                        env.PROJECT, HOST, net_id=env.NET)
        self.backend.show_port(self.context, port.id)
        self.port_id = port.id

    def detach(self):
        self.backend.show_port(self.context, self.port_id)
        self.backend.delete_port(self.context, self.port_id)

    def close(self):
        pass


class _Api:
    """POST by network and DELETE through an assembled app."""

    def __init__(self, app, server_id):
        self.app, self.server_id = app, server_id
        self.port_id = None

    def attach(self):
        resp = env.request(self.app, 'POST', env.list_path(self.server_id),
                           VERSION, body={'interfaceAttachment': {
                               'net_id': env.NET}})
        if resp.status_int != 200:
            raise RuntimeError('attach: %s %s' % (resp.status, resp.body))
        self.port_id = resp.json['interfaceAttachment']['port_id']

    def detach(self):
        resp = env.request(self.app, 'DELETE', env.show_path(
            self.port_id, self.server_id), VERSION)
        if resp.status_int != 202:
            raise RuntimeError('detach: %s %s' % (resp.status, resp.body))

    def close(self):
        pass


def _define(qemu, made):
    from nova_attach_ifaces.compute.libvirt import demo

    server_id = str(uuid.uuid4())
    name = 'nai-bench-%s' % server_id[:8]
    dom = qemu.conn.defineXML(demo.domain_xml(
        name, server_id, project_id=env.PROJECT,
        serial_path=os.path.join(qemu.root, name + '.serial')))
    made.append(dom)
    dom.create()
    return server_id


def _configure(state, qemu, inventory_path):
    from nova_attach_ifaces import conf

    conf.CONF.reset()
    conf.CONF([], project='nova-attach-ifaces', default_config_files=[])
    for group, name, value in (
            ('api', 'auth_strategy', 'noauth2'),
            ('compute', 'driver', 'libvirt'),
            ('network', 'backend', 'sql'),
            ('libvirt', 'connection_uri', qemu.uri),
            ('oslo_policy', 'policy_file',
             os.path.join(state, 'policy.yaml')),
            ('sql', 'state_dir', state),
            ('sql', 'inventory_file', inventory_path),
            (None, 'log_file', os.path.join(state, 'api.log'))):
        conf.CONF.set_override(name, value, group=group)
    return conf.CONF


def _agent(state, qemu, broker):
    """The started compute agent of host HOST and its configuration."""
    from nova_attach_ifaces.cmd import compute
    from tests.unit import sql_backends

    agent_conf = sql_backends.make_conf(state_dir=state)
    broker.configure(None, agent_conf)
    for group, name, value in (
            (None, 'host', HOST),
            ('compute_agent', 'report_interval', 3600),
            ('network', 'backend', 'sql'),
            ('libvirt', 'connection_uri', qemu.uri)):
        agent_conf.set_override(name, value, group=group)
    agent = compute.build(agent_conf)
    agent.start()
    return agent


def _wait_mapped(app, server_id, timeout=60):
    """Until the agents app finds the server (the agent's first report)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = env.request(app, 'GET', env.list_path(server_id), VERSION)
        if resp.status_int == 200:
            return
        time.sleep(0.2)
    raise RuntimeError('the agent never reported %s' % server_id)


def _measure(cases, rounds):
    samples = {name: {'attach': [], 'detach': []} for name in cases}
    for number in range(rounds + 1):
        for name, case in cases.items():
            began = time.perf_counter()
            case.attach()
            attached = time.perf_counter()
            case.detach()
            done = time.perf_counter()
            if number:   # round 0 warms every path up
                samples[name]['attach'].append(attached - began)
                samples[name]['detach'].append(done - attached)
    return {name: {op: _stats(values) for op, values in ops.items()}
            for name, ops in samples.items()}


def run(quick=False):
    from tests.services import qemu as qemu_service
    from tests.services import rabbitmq

    why = qemu_service.probe()
    if why is not None:
        return {'skipped': why}
    from nova_attach_ifaces.api import lifetime
    from nova_attach_ifaces.compute import loader
    from nova_attach_ifaces import log
    from nova_attach_ifaces import policy
    from nova_attach_ifaces import wsgi

    rounds = 2 if timing.smoke() else 10 if quick else 30
    skipped = {}
    qemu = qemu_service.EmbeddedQemu()
    made, closing, agent = [], [], None
    mark = lifetime.mark()
    try:
        with tempfile.TemporaryDirectory(prefix='nai-bench-hyp-') as state:
            inventory_path = os.path.join(state, 'inventory.yaml')
            with open(inventory_path, 'w') as f:
                yaml.safe_dump({'networks': [
                    {'id': env.NET, 'name': 'bench',
                     'project_id': env.PROJECT,
                     'subnets': [{'id': env.SUBNET, 'cidr': '10.77.0.0/16',
                                  'gateway_ip': '10.77.0.1'}]}]}, f)
            config = _configure(state, qemu, inventory_path)
            log.setup(config, 'nova-attach-ifaces')
            env.set_access_log(True)
            policy.reset()
            cases = {}
            cases['direct'] = _Direct(qemu.uri, _define(qemu, made))
            closing.append(cases['direct'])
            libvirt_app = wsgi.load_app(config)
            backend = loader.load_network_backend(config)
            closing.append(backend)
            from nova_attach_ifaces.agent import reconcile
            cases['store'] = _Store(backend, reconcile.admin_context())
            cases['libvirt'] = _Api(libvirt_app, _define(qemu, made))
            if rabbitmq.BROKER.probe() is None:
                agents_server = _define(qemu, made)
                agent = _agent(state, qemu, rabbitmq.BROKER)
                rabbitmq.BROKER.configure(None, config)
                config.set_override('driver', 'agents', group='compute')
                agents_app = wsgi.load_app(config)
                _wait_mapped(agents_app, agents_server)
                cases['agents'] = _Api(agents_app, agents_server)
            else:
                skipped['agents'] = rabbitmq.BROKER.probe()
            result = _measure(cases, rounds)
            if agent is not None:
                agent.stop()
                agent = None
            lifetime.close_all(mark)
            for each in closing:
                each.close()
    finally:
        if agent is not None:
            agent.stop()
        for dom in made:
            qemu_service.remove_domain(dom)
        qemu.close()
    return {'rounds': rounds, 'cases': result, 'skipped': skipped}


def summarise(data, lines, targets):
    """Rows for summary.md, and the two targets per operation."""
    if not data:
        return
    lines += ['## Hypervisor latency: one NIC on embedded QEMU', '']
    if isinstance(data.get('skipped'), str):
        lines += ['Skipped: %s' % data['skipped'], '']
        return
    cases = data['cases']
    lines += ['Milliseconds per operation, %d rounds, the cases taking '
              'turns in each round (bench/hypervisor.py says what each '
              'case runs).' % data['rounds'], '',
              '| case | attach p50 | attach p90 | detach p50 | '
              'detach p90 |', '|---|---:|---:|---:|---:|']
    for name in CASES:
        row = cases.get(name)
        if row:
            lines.append('| %s | %.1f | %.1f | %.1f | %.1f |' % (
                name, row['attach']['p50_ms'], row['attach']['p90_ms'],
                row['detach']['p50_ms'], row['detach']['p90_ms']))
    for name, why in (data.get('skipped') or {}).items():
        lines.append('| %s | skipped: %s | | | |' % (name, why))
    lines.append('')
    bound = ('the assembled request on top of the libvirt calls: the '
             'domain XML read twice, the metadata write, the store, the '
             'access log; notes.md')
    for op in ('attach', 'detach'):
        p50 = {name: row[op]['p50_ms'] for name, row in cases.items()}
        if {'direct', 'store', 'libvirt'} <= set(p50):
            allowed = API_FACTOR * (p50['direct'] + p50['store'])
            targets.append((
                'hypervisor %s through the libvirt driver within %.1fx of '
                'the libvirt calls plus the store (p50)' % (op, API_FACTOR),
                '%.1f ms vs %.1f ms' % (p50['libvirt'], allowed),
                p50['libvirt'] <= allowed, bound))
        if {'libvirt', 'agents'} <= set(p50):
            extra = p50['agents'] - p50['libvirt']
            targets.append((
                'hypervisor %s through the agents driver at most %.0f ms '
                'over the libvirt driver (p50)' % (op, AGENT_BUDGET_MS),
                '%+.1f ms' % extra, extra <= AGENT_BUDGET_MS,
                'the RPC call over RabbitMQ (a round trip through the '
                'broker) and the agent\'s own port lookups; notes.md'))
