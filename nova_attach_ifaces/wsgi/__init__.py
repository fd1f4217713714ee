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
"""Build the WSGI application from configuration files.

Configuration comes from the files named in
``OS_NOVA_ATTACH_IFACES_CONFIG_FILES`` (comma-separated) or, failing that,
every ``*.conf`` file in
``OS_NOVA_ATTACH_IFACES_CONFIG_DIR`` (default ``/etc/nova-attach-ifaces``,
where ``nova-attach-ifaces.conf`` is read if present).
"""

import os
import sys

from oslo_log import log as logging
from paste import deploy

from nova_attach_ifaces import conf
from nova_attach_ifaces import log

LOG = logging.getLogger(__name__)

PROJECT = 'nova-attach-ifaces'
CONFIG_FILES_ENV = 'OS_NOVA_ATTACH_IFACES_CONFIG_FILES'
CONFIG_DIR_ENV = 'OS_NOVA_ATTACH_IFACES_CONFIG_DIR'
DEFAULT_CONFIG_DIR = '/etc/nova-attach-ifaces'

# The etc/ files shipped with the package, used when no configuration
# directory has them: in a source checkout (the demo, tests), or where pip
# installed the setup.cfg data_files (<prefix>/etc/nova-attach-ifaces).
SOURCE_ETC = os.path.abspath(os.path.join(
    os.path.dirname(__file__), '..', '..', 'etc', PROJECT))
INSTALLED_ETC = os.path.join(sys.prefix, 'etc', PROJECT)
SHIPPED_ETC = SOURCE_ETC if os.path.isdir(SOURCE_ETC) else INSTALLED_ETC


def config_args(environ=os.environ):
    """The oslo.config command-line arguments the environment asks for."""
    files = [f for f in environ.get(CONFIG_FILES_ENV, '').split(',') if f]
    if files:
        args = []
        for path in files:
            args.extend(['--config-file', path])
        return args
    config_dir = environ.get(CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR)
    if os.path.isdir(config_dir):
        return ['--config-dir', config_dir]
    return []


def find_paste_config(config):
    """The absolute path of ``[wsgi] api_paste_config``.

    :raises RuntimeError: not found anywhere (message says where we looked).
    """
    name = config.wsgi.api_paste_config
    if os.path.isabs(name):
        if os.path.exists(name):
            return name
        raise RuntimeError('[wsgi] api_paste_config %s does not exist' % name)
    found = config.find_file(name)
    if found:
        return os.path.abspath(found)
    shipped = os.path.join(SHIPPED_ETC, name)
    if os.path.exists(shipped):
        return shipped
    raise RuntimeError(
        'Cannot find the paste config %r in the configuration directories '
        'or in %s; set [wsgi] api_paste_config.' % (name, SHIPPED_ETC))


def load_app(config=None, name='main'):
    """Load the paste application ``name`` for an already parsed config."""
    config = config or conf.CONF
    paste_file = find_paste_config(config)
    LOG.debug('Loading app %s from %s', name, paste_file)
    return deploy.loadapp('config:%s' % paste_file, name=name)


def init_application(argv=None, environ=os.environ):
    """Parse configuration, set up logging and return the WSGI app."""
    args = config_args(environ) if argv is None else argv
    conf.CONF(args, project=PROJECT)
    log.setup(conf.CONF, PROJECT)
    conf.CONF.log_opt_values(LOG, logging.DEBUG)
    return load_app(conf.CONF)
