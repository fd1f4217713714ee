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
loaded when the store is empty.
"""

import os
import signal
import sys

from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log as logging
import yaml

from nova_attach_ifaces import conf
from nova_attach_ifaces import log
from nova_attach_ifaces import wsgi

LOG = logging.getLogger(__name__)

CLI_OPTS = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address to listen on.'),
    cfg.PortOpt('port', default=8774, help='TCP port to listen on.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Worker threads of the embedded server.'),
    cfg.BoolOpt('demo', default=False,
                help='Demo mode: sql driver on SQLite in ./state, dev '
                     'noauth2 authentication, sample inventory when empty.'),
]

DEMO_INVENTORY = os.path.join(wsgi.SHIPPED_ETC, 'inventory.yaml.sample')


def _configure_demo():
    conf.CONF.set_override('auth_strategy', 'noauth2', group='api')
    conf.CONF.set_override('driver', 'sql', group='compute')
    if not conf.CONF.sql.inventory_file:
        conf.CONF.set_override('inventory_file', DEMO_INVENTORY, group='sql')


def _demo_banner(url):
    """Copy-paste examples naming the first server of the demo inventory."""
    with open(conf.CONF.sql.inventory_file or DEMO_INVENTORY) as f:
        inventory = yaml.safe_load(f) or {}
    servers = inventory.get('servers') or [{}]
    server_id = servers[0].get('id', '<server-id>')
    project_id = servers[0].get('project_id', '<project-id>')
    token = 'demo:%s' % project_id
    return '\n'.join([
        '',
        'nova-attach-ifaces demo: os-interface API at %s/v2.1' % url,
        '(dev auth: X-Auth-Token "<user>:<project>"; data in %s)'
        % os.path.abspath(conf.CONF.sql.state_dir),
        '',
        '  curl -s -H "X-Auth-Token: %s" \\' % token,
        '    %s/v2.1/servers/%s/os-interface' % (url, server_id),
        '',
        '  # with openstacksdk installed (pip install openstacksdk):',
        '  python3 -c "import openstack; c = openstack.connect(',
        "    auth_type='admin_token', auth={'endpoint': '%s/v2.1'," % url,
        "    'token': '%s'}).compute;" % token,
        "    print(list(c.server_interfaces('%s')))\"" % server_id,
        '',
        'Ctrl-C stops the server.',
        '',
    ])


def main(argv=None):
    conf.CONF.register_cli_opts(CLI_OPTS)
    conf.CONF(sys.argv[1:] if argv is None else argv, project=wsgi.PROJECT)
    if conf.CONF.demo:
        _configure_demo()
    log.setup(conf.CONF, wsgi.PROJECT)
    app = wsgi.load_app(conf.CONF)

    server = cheroot_wsgi.Server(
        (conf.CONF.host, conf.CONF.port), app,
        numthreads=conf.CONF.threads, server_name='nova-attach-ifaces')
    server.prepare()
    host, port = server.bind_addr[:2]
    url = 'http://%s:%d' % (host if ':' not in host else '[%s]' % host,
                            port)
    LOG.info('Serving the os-interface API on %s/v2.1', url)
    if conf.CONF.demo:
        print(_demo_banner(url), flush=True)

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
    LOG.info('Stopped')
    return 0
