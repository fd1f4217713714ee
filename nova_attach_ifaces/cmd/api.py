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
"""``nova-attach-ifaces-api``: serve the API on an embedded WSGI server.

The server is cheroot (the WSGI server of CherryPy): pure Python, threaded,
HTTP/1.1 with keep-alive, bounded request queue, and a clean ``stop()`` that
finishes the requests in flight. It is the production-grade choice that
needs no C compiler and no separate process manager; deployments that want
several processes run ``nova_attach_ifaces.wsgi.api:application`` under
uwsgi or gunicorn instead.

``--demo`` is for first contact: the ``sql`` driver on SQLite in
``./state``, the development ``noauth2`` pipeline, and the sample inventory
loaded when the store is empty. ``--demo-libvirt`` is the same demo on real
QEMU (:mod:`.demo_libvirt`).
"""

import os
import signal
import sys

from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log as logging
from oslo_serialization import jsonutils
import yaml

from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.cmd import demo_libvirt
from nova_attach_ifaces import conf
from nova_attach_ifaces import log
from nova_attach_ifaces import wsgi

LOG = logging.getLogger(__name__)

CLI_OPTS = [
    # Not "host": that is [DEFAULT] host, the name of this host.
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address to listen on.'),
    cfg.PortOpt('port', default=8774, help='TCP port to listen on.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Worker threads of the embedded server.'),
    cfg.StrOpt('app', default='main',
               help='The paste application to serve: "main" (the compute '
                    'API, with the Neutron view at /networking) or '
                    '"networking" (the Neutron view alone, at the root).'),
    cfg.BoolOpt('demo', default=False,
                help='Demo mode: sql driver on SQLite in ./state, dev '
                     'noauth2 authentication, sample inventory when empty.'),
    cfg.BoolOpt('demo-libvirt', default=False,
                help='Demo mode on real QEMU: the libvirt driver on an '
                     'embedded QEMU under ./.demo-libvirt, the sample '
                     'inventory\'s servers made domains at start (removed '
                     'at stop), its networks and ports in the sql network '
                     'backend. Needs root and the packages of bindep.txt.'),
]

DEMO_INVENTORY = os.path.join(wsgi.SHIPPED_ETC, 'inventory.yaml.sample')
DEMO_LIBVIRT_INVENTORY = os.path.join(wsgi.SHIPPED_ETC,
                                      'inventory-libvirt.yaml.sample')
#: The cloud name of the clouds.yaml the demo writes (and the sample).
DEMO_CLOUD = 'nova-attach-ifaces-demo'


def _configure_demo():
    conf.CONF.set_override('auth_strategy', 'noauth2', group='api')
    conf.CONF.set_override('driver', 'sql', group='compute')
    if not conf.CONF.sql.inventory_file:
        conf.CONF.set_override('inventory_file', DEMO_INVENTORY, group='sql')


def demo_clouds(url, token):
    """A clouds.yaml for the openstack CLI and openstacksdk, no Keystone.

    ``admin_token`` sends ``token`` as X-Auth-Token (the dev pipeline reads
    the caller from it); the endpoints are given, since there is no
    catalog; compute at 2.70, the os-interface version with tags.
    """
    return {'clouds': {DEMO_CLOUD: {
        'auth_type': 'admin_token',
        'auth': {'endpoint': url + '/v2.1', 'token': token},
        'compute_endpoint_override': url + '/v2.1',
        'network_endpoint_override': url + '/networking',
        'compute_api_version': '2.70',
    }}}


class DemoInventory(object):
    """What the banner names: a server, a free port and networks."""

    def __init__(self, path):
        with open(path) as f:
            inventory = yaml.safe_load(f) or {}
        servers = inventory.get('servers') or [{}]
        self.server = servers[0]
        self.project_id = self.server.get('project_id', '<project-id>')
        attached = {port_id for server in servers
                    for port_id in server.get('ports') or ()}
        free = [port for port in inventory.get('ports') or ()
                if port.get('project_id') == self.project_id and
                port.get('id') not in attached]
        self.free_port = free[0] if free else {}
        networks = {net.get('id'): net
                    for net in inventory.get('networks') or ()}
        self.free_port_network = networks.get(
            self.free_port.get('network_id'), {})
        own = [net for net in networks.values()
               if net.get('project_id') == self.project_id]
        self.network = own[0] if own else {}


def _demo_banner(url, clouds_file, source):
    """Copy-paste examples naming the demo inventory's server and port."""
    demo = DemoInventory(source)
    server_id = demo.server.get('id', '<server-id>')
    server_name = demo.server.get('name') or server_id
    port_id = demo.free_port.get('id', '<port-id>')
    token = 'demo:%s' % demo.project_id
    interfaces = '%s/v2.1/servers/%s/os-interface' % (url, server_id)
    attach = jsonutils.dumps({'interfaceAttachment': {'port_id': port_id}})
    return '\n'.join([
        '',
        'nova-attach-ifaces demo: compute API (os-interface, servers) at '
        '%s/v2.1,' % url,
        'read-only Neutron view of its networks and ports at '
        '%s/networking' % url,
        'Dev auth: X-Auth-Token "<user>:<project>"; the user "admin" acts '
        'as admin.',
        'Data in %s' % os.path.abspath(conf.CONF.sql.state_dir),
        '',
        'Demo project %s: server %s (%s), free port %s on network %s,'
        % (demo.project_id, server_name, server_id, port_id,
           demo.free_port_network.get('name', '?')),
        'own network %s (%s).' % (demo.network.get('name', '?'),
                                  demo.network.get('id', '?')),
        '',
        '  curl -s -H "X-Auth-Token: %s" \\' % token,
        '    %s' % interfaces,
        "  curl -s -H \"X-Auth-Token: %s\" -H 'Content-Type: "
        "application/json' \\" % token,
        "    -d '%s' \\" % attach,
        '    %s' % interfaces,
        '  curl -s -X DELETE -H "X-Auth-Token: %s" \\' % token,
        '    %s/%s' % (interfaces, port_id),
        '  # as admin: -H "X-Auth-Token: admin:%s"' % demo.project_id,
        '',
        '  # the openstack CLI (pip install python-openstackclient):',
        '  export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=%s'
        % (clouds_file, DEMO_CLOUD),
        '  openstack server add port %s %s' % (server_name, port_id),
        '  openstack port list --server %s' % server_name,
        '  openstack server remove port %s %s' % (server_name, port_id),
        '',
        '  # openstacksdk (pip install openstacksdk), same clouds.yaml:',
        '  python3 -c "%s"' % sdk_example(server_id),
        '',
        'Ctrl-C stops the server.',
        '',
    ])


def sdk_example(server_id):
    """One line of Python (pasted into a shell, so no indentation)."""
    return ("import openstack; c = openstack.connect(cloud='%s').compute; "
            "print([i.port_id for i in c.server_interfaces('%s')])"
            % (DEMO_CLOUD, server_id))


def _write_demo_clouds(url, source):
    demo = DemoInventory(source)
    path = os.path.abspath(os.path.join(conf.CONF.sql.state_dir,
                                        'clouds.yaml'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        yaml.safe_dump(demo_clouds(url, 'demo:%s' % demo.project_id), f,
                       default_flow_style=False)
    return path


def main(argv=None):
    conf.CONF.register_cli_opts(CLI_OPTS)
    conf.CONF(sys.argv[1:] if argv is None else argv, project=wsgi.PROJECT)
    # The inventory the banner names (--demo-libvirt gives the store its
    # networks and ports only).
    source = conf.CONF.sql.inventory_file or (
        DEMO_LIBVIRT_INVENTORY if conf.CONF.demo_libvirt else DEMO_INVENTORY)
    demo_servers = None
    if conf.CONF.demo:
        _configure_demo()
    elif conf.CONF.demo_libvirt:
        demo_servers = demo_libvirt.configure(conf.CONF, source)
    log.setup(conf.CONF, wsgi.PROJECT)
    if demo_servers is not None:
        try:
            demo_servers.start()
        except demo_libvirt.DemoError as e:
            print('nova-attach-ifaces-api: %s' % e, file=sys.stderr,
                  flush=True)
            return 1
        finally:
            if not demo_servers.started:
                # No QEMU left running behind a failed start.
                demo_servers.stop()
    try:
        return _serve(source)
    finally:
        if demo_servers is not None:
            demo_servers.stop()


def _serve(source):
    app = wsgi.load_app(conf.CONF, name=conf.CONF.app)

    server = cheroot_wsgi.Server(
        (conf.CONF.bind_host, conf.CONF.port), app,
        numthreads=conf.CONF.threads, server_name='nova-attach-ifaces')
    try:
        server.prepare()
    except OSError as e:
        # A port in use is an everyday mistake: say what to do, in one
        # line, without a traceback.
        print('nova-attach-ifaces-api: cannot listen on %s:%d (%s); choose '
              'another port with --port N (make demo ARGS="--port N")'
              % (conf.CONF.bind_host, conf.CONF.port, e.strerror or e),
              file=sys.stderr, flush=True)
        return 1
    host, port = server.bind_addr[:2]
    url = 'http://%s:%d' % (host if ':' not in host else '[%s]' % host,
                            port)
    LOG.info('Serving the %s application on %s', conf.CONF.app, url)
    if conf.CONF.demo or conf.CONF.demo_libvirt:
        print(_demo_banner(url, _write_demo_clouds(url, source), source),
              flush=True)

    def stop(signum, frame):
        # Leave serve() through an exception (cheroot lets SystemExit out
        # of its loop); stop() below then finishes the requests in flight.
        # Every acknowledged change is already committed by the driver.
        LOG.info('Signal %d: stopping', signum)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
        # Once no request is in flight: the driver's connections and
        # threads (see nova_attach_ifaces.api.lifetime).
        lifetime.close_all()
    LOG.info('Stopped')
    return 0
