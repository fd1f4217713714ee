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
"""``nova-attach-ifaces-compute``: the compute agent of one hypervisor host.

It owns the host's libvirt connection (``[libvirt] connection_uri``),
reports the host's domains to the host map in the API database, puts right
what a crash mid-attach left, and serves the API workers' RPC calls on
topic ``nova-attach-ifaces-compute`` as ``[DEFAULT] host``
(:class:`~nova_attach_ifaces.agent.service.AgentService`). The network
backend (``[network] backend``) is the API's: the agent reads and fixes
bindings with it while reconciling, and never creates a port.

SIGTERM or SIGINT stops it gracefully: no new call is taken, the calls in
flight finish (an unplug waits for its guest), then the connections
close. A SIGKILL loses nothing that the next start does not put right.
"""

import contextlib
import signal
import sys

from oslo_log import log as logging

from nova_attach_ifaces.agent import service
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import log

LOG = logging.getLogger(__name__)

PROJECT = 'nova-attach-ifaces'
LIBVIRT_HINT = ('install libvirt-python (pip install libvirt-python, after '
                'the Debian packages libvirt-dev and pkg-config)')


def _hypervisor(config):
    # libvirt-python is needed by the agent and the libvirt driver only,
    # so it is not a requirement of the package: imported here, after the
    # arguments are parsed, so that --help works without it.
    try:
        from nova_attach_ifaces.compute.libvirt import host
    except ImportError as e:
        raise RuntimeError('the compute agent needs libvirt-python (%s); %s'
                           % (e, LIBVIRT_HINT))
    return host.LibvirtHypervisor(config)


def build(config):
    """The :class:`AgentService` of ``config`` (not started)."""
    # What is built is closed again, last first, if a later part fails.
    with contextlib.ExitStack() as built:
        backend = loader.load_network_backend(config)
        built.callback(backend.close)
        hypervisor = _hypervisor(config)
        built.callback(hypervisor.close)
        agent = service.AgentService(config, hypervisor, backend)
        built.pop_all()
    return agent


def main(argv=None):
    conf.CONF(sys.argv[1:] if argv is None else argv, project=PROJECT)
    log.setup(conf.CONF, PROJECT)
    try:
        agent = build(conf.CONF)
    except (RuntimeError, loader.PluginError) as e:
        LOG.error('Cannot start the compute agent: %s', e)
        return 1

    def stop(signum, frame):
        LOG.info('Signal %d: stopping', signum)
        agent.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        agent.start()
    except Exception:
        # The database or the broker refused (see the log line): nothing
        # was served, so nothing is left half-done.
        LOG.exception('The compute agent %s could not start', conf.CONF.host)
        agent.stop()
        return 1
    agent.wait()
    agent.stop()
    return 0
