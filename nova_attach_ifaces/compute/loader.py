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
"""Load the compute driver named by ``[compute] driver``."""

from oslo_log import log as logging
from stevedore import driver as stevedore_driver

from nova_attach_ifaces import notifications

NAMESPACE = 'nova_attach_ifaces.compute_drivers'

LOG = logging.getLogger(__name__)


class DriverNotFound(Exception):
    """No driver of that name is installed."""


def _reraise(manager, entrypoint, error):
    # stevedore's default logs and skips a driver that fails to start; the
    # operator must see why (a bad inventory, an unreachable database).
    raise error


def load_driver(conf):
    """Instantiate the configured driver with ``conf``; with notifications
    configured, wrapped to send them (:mod:`nova_attach_ifaces.notifications`).
    """
    name = conf.compute.driver
    try:
        manager = stevedore_driver.DriverManager(
            NAMESPACE, name, invoke_on_load=True, invoke_args=(conf,),
            on_load_failure_callback=_reraise)
    except stevedore_driver.NoMatches:
        raise DriverNotFound(
            'No compute driver named %r is installed (entry-point group %s); '
            'check [compute] driver.' % (name, NAMESPACE))
    LOG.info('Loaded compute driver %s', name)
    return notifications.wrap(conf, manager.driver)
