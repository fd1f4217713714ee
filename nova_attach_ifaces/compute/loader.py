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
"""Load the plugins by entry-point name: compute drivers and network backends.

One place for both kinds, so that both are found, refused and reported the
same way: ``[compute] driver`` names a class of the
``nova_attach_ifaces.compute_drivers`` group, which must be a
:class:`~nova_attach_ifaces.compute.driver.ComputeDriver`; ``[network]
backend`` names one of ``nova_attach_ifaces.network_backends``, which must
be a :class:`~nova_attach_ifaces.network.backend.NetworkBackend`. Each is
instantiated with the service's ``ConfigOpts``.

A compute driver whose servers come from a hypervisor
(:attr:`~nova_attach_ifaces.compute.driver.ComputeDriver.
servers_from_hypervisor`) refuses an ``[sql] inventory_file`` that lists
servers before it starts.
"""

from oslo_log import log as logging
from stevedore import driver as stevedore_driver

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import inventory
from nova_attach_ifaces.network import backend
from nova_attach_ifaces import notifications

NAMESPACE = 'nova_attach_ifaces.compute_drivers'
NETWORK_NAMESPACE = 'nova_attach_ifaces.network_backends'

LOG = logging.getLogger(__name__)


class PluginError(Exception):
    """A configured plugin cannot be used; the message says what to fix."""


class PluginNotFound(PluginError):
    """No plugin of that name is installed in the group."""


class NotAPlugin(PluginError):
    """The entry point names something that is not of the group's kind."""


def _reraise(manager, entrypoint, error):
    # stevedore's default logs and skips a plugin that fails to import;
    # the operator must see why.
    raise error


def _plugin_class(namespace, name, base, kind, option):
    """The class registered as ``name`` in ``namespace``, checked."""
    try:
        manager = stevedore_driver.DriverManager(
            namespace, name, invoke_on_load=False,
            on_load_failure_callback=_reraise)
    except stevedore_driver.NoMatches:
        raise PluginNotFound(
            'No %s named %r is installed (entry-point group %s); check %s.'
            % (kind, name, namespace, option))
    plugin = manager.driver
    if not (isinstance(plugin, type) and issubclass(plugin, base)):
        raise NotAPlugin(
            '%s = %s names %s (entry point %r of group %s), which is not a '
            '%s.%s subclass; a %s must be one.'
            % (option, name, _qualified(plugin), manager.extensions[0]
               .entry_point.value, namespace, base.__module__,
               base.__name__, kind))
    return plugin


def _qualified(plugin):
    return '%s.%s' % (getattr(plugin, '__module__', '?'),
                      getattr(plugin, '__qualname__', repr(plugin)))


def load_driver(conf):
    """Instantiate the configured compute driver with ``conf``; with
    notifications configured, wrapped to send them
    (:mod:`nova_attach_ifaces.notifications`).

    :raises PluginError: not installed, or not a compute driver.
    :raises InventoryError: the driver's servers come from a hypervisor
        and ``[sql] inventory_file`` lists servers.
    """
    name = conf.compute.driver
    cls = _plugin_class(NAMESPACE, name, driver.ComputeDriver,
                        'compute driver', '[compute] driver')
    if cls.servers_from_hypervisor:
        inv = inventory.load_configured(conf, 'sql')
        if inv is not None:
            inventory.check_no_servers(
                inv, '[sql] inventory_file %s' % conf.sql.inventory_file,
                'compute driver %r' % name)
    drv = cls(conf)
    LOG.info('Loaded compute driver %s', name)
    return notifications.wrap(conf, drv)


def load_network_backend(conf):
    """Instantiate the network backend of ``[network] backend``.

    For the compute drivers that take one (``libvirt``, the agents).

    :raises PluginError: not installed, or not a network backend.
    """
    name = conf.network.backend
    cls = _plugin_class(NETWORK_NAMESPACE, name, backend.NetworkBackend,
                        'network backend', '[network] backend')
    instance = cls(conf)
    LOG.info('Loaded network backend %s', name)
    return instance
