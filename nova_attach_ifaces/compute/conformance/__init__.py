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
"""The compute driver conformance suite.

Every compute driver, built in or third party, proves that it behaves as
the API (and therefore every Nova client) expects by running these tests.
They check what a user would check: the values a call returns, what
``list_interfaces`` and ``get_interface`` show afterwards, that a failing
call changes nothing (not the attachments, not the next address handed
out), and that concurrent calls from several threads neither lose nor
duplicate anything. The behaviour they check is
the contract's, written in :mod:`nova_attach_ifaces.compute.driver`
("Behaviour every driver follows").

Using it
--------
Mix :class:`DriverConformanceTests` into a ``testtools.TestCase`` (for
instance ``oslotest.base.BaseTestCase``) and implement one hook,
``make_driver(inventory, conf)``, returning a driver whose store holds
exactly the given :class:`~nova_attach_ifaces.compute.inventory.Inventory`
and nothing else::

    from oslotest import base

    from nova_attach_ifaces.compute import conformance
    from acme_driver import driver as acme


    class TestAcmeConformance(conformance.DriverConformanceTests,
                              base.BaseTestCase):
        def make_driver(self, inventory, conf):
            drv = acme.AcmeDriver(conf)
            drv.replace_everything_with(inventory)  # seed your store
            self.addCleanup(drv.close)
            return drv

Run it with ``stestr run`` like any other test module. ``conf`` is an
``oslo_config.cfg.ConfigOpts`` with this service's options registered (see
:func:`nova_attach_ifaces.conf.register_opts`); a test may override
``[compute] max_interfaces_per_server`` before calling the hook, and the
hook may register options of its own on it. ``make_driver`` is called
once in ``setUp`` and again by tests that need another inventory or
configuration; each call must give a fresh store. The contexts are
``oslo_context.context.RequestContext`` objects with ``project_id`` and
``is_admin`` set, as the API passes them.

The suite needs the test requirements (testtools, fixtures, oslo.config's
fixture); import it from tests only.

Layout: :mod:`.data` holds the inventory, ids and contexts (also reachable
here, as ``conformance.PORT_A1``), :mod:`.base` the hook, ``setUp`` and
helpers, and one module per concern the tests: :mod:`.reads`,
:mod:`.attach`, :mod:`.limits`, :mod:`.detach` (with failures that leave
no trace) and :mod:`.concurrency`. A driver that cannot pass a test
overrides that one method in its subclass, saying why.
"""

from nova_attach_ifaces.compute.conformance import attach
from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import concurrency
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute.conformance import detach
from nova_attach_ifaces.compute.conformance import limits
from nova_attach_ifaces.compute.conformance import reads


# The ids and the inventory stay reachable where users of the suite have
# always found them (``conformance.PORT_A1``, ``conformance.context``...).
ALL_SERVERS = data.ALL_SERVERS
ATT_A1 = data.ATT_A1
ATT_A2 = data.ATT_A2
ATT_A_FREE = data.ATT_A_FREE
ATT_B1 = data.ATT_B1
ATT_B_FREE = data.ATT_B_FREE
INVENTORY_DATA = data.INVENTORY_DATA
MAC_RE = data.MAC_RE
NET_A = data.NET_A
NET_B = data.NET_B
NET_EMPTY = data.NET_EMPTY
NET_FULL = data.NET_FULL
NET_SHARED = data.NET_SHARED
NET_UNKNOWN = data.NET_UNKNOWN
NET_V6 = data.NET_V6
PORT_A1 = data.PORT_A1
PORT_A2 = data.PORT_A2
PORT_A_FREE = data.PORT_A_FREE
PORT_A_SHARED = data.PORT_A_SHARED
PORT_B1 = data.PORT_B1
PORT_B_FREE = data.PORT_B_FREE
PORT_FULL = data.PORT_FULL
PORT_UNKNOWN = data.PORT_UNKNOWN
PORT_V6 = data.PORT_V6
PROJECT_A = data.PROJECT_A
PROJECT_ADMIN = data.PROJECT_ADMIN
PROJECT_B = data.PROJECT_B
PROJECT_C = data.PROJECT_C
PROJECT_D = data.PROJECT_D
SERVER_A1 = data.SERVER_A1
SERVER_A2 = data.SERVER_A2
SERVER_B1 = data.SERVER_B1
SERVER_C1 = data.SERVER_C1
SERVER_UNKNOWN = data.SERVER_UNKNOWN
SUBNET_A1 = data.SUBNET_A1
SUBNET_A2 = data.SUBNET_A2
SUBNET_B = data.SUBNET_B
SUBNET_FULL = data.SUBNET_FULL
SUBNET_SHARED = data.SUBNET_SHARED
SUBNET_V6 = data.SUBNET_V6
_att = data._att
_port = data._port
_subnet = data._subnet
_timeless = data._timeless
_uuid = data._uuid
build_inventory = data.build_inventory
context = data.context
THREADS = concurrency.THREADS
THREAD_TIMEOUT = concurrency.THREAD_TIMEOUT


class DriverConformanceTests(reads.ReadTests, attach.AttachTests,
                             limits.LimitTests, detach.DetachTests,
                             concurrency.ConcurrencyTests,
                             base.ConformanceBase):
    """Tests every compute driver must pass; mix into a TestCase.

    Subclasses implement :meth:`make_driver`. ``self.driver`` is the driver
    made from :func:`build_inventory` in ``setUp``; ``self.conf`` its
    configuration.
    """
