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
"""Fixtures that assemble the real paste pipeline around a known inventory.

The inventory every API test starts from (ids are fresh UUIDs per fixture,
exported to ``os.environ`` so gabbi YAML can say ``$ENVIRON['SERVER']``)::

    PROJECT (hex id)                      OTHER_PROJECT
    ----------------                      -------------
    NET   10.0.0.0/24 (gw 10.0.0.1)       OTHER_NET  172.16.0.0/24
    NET2  10.1.0.0/24                     SHARED_NET 192.168.100.0/24 shared
    PORT1 on NET, 10.0.0.5, tag-less      OTHER_PORT on OTHER_NET, free
      attached to SERVER                  OTHER_SERVER, active
    PORT2 on NET, 10.0.0.6, free
    SERVER          active                LONELY_PROJECT (sees SHARED_NET only)
    LOCKED_SERVER   active, locked        ---------------
    BUILDING_SERVER vm_state building     LONELY_SERVER, active
    TASK_SERVER     active, task rebooting
    STOPPED_SERVER  stopped

Callers use the dev ``noauth2`` pipeline: ``X-Auth-Token: user:project`` and
``X-Roles``.
"""

import os
import tempfile
import types
import unittest

from gabbi import fixture
from oslo_config import fixture as config_fixture
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
import webob
import yaml

from nova_attach_ifaces.api import lifetime
from nova_attach_ifaces.compute import inventory as inventory_mod
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces import conf
from nova_attach_ifaces import policy
from nova_attach_ifaces import wsgi

ID_NAMES = (
    'NET', 'NET2', 'OTHER_NET', 'SHARED_NET', 'SUBNET', 'SUBNET2',
    'OTHER_SUBNET', 'SHARED_SUBNET', 'PORT1', 'PORT2', 'OTHER_PORT',
    'SERVER', 'LOCKED_SERVER', 'BUILDING_SERVER', 'TASK_SERVER',
    'STOPPED_SERVER', 'OTHER_SERVER', 'LONELY_SERVER', 'UNKNOWN',
    # Only in the inventories of the fixtures that add them.
    'TINY_NET', 'TINY_SUBNET',
)

# The vm_states the default inventory has no server in: name -> state.
OTHER_VM_STATES = {
    'PAUSED_SERVER': 'paused',
    'SUSPENDED_SERVER': 'suspended',
    'RESCUED_SERVER': 'rescued',
    'RESIZED_SERVER': 'resized',
    'SOFT_DELETE_SERVER': 'soft-delete',
    'DELETED_SERVER': 'deleted',
    'ERROR_SERVER': 'error',
    'SHELVED_SERVER': 'shelved',
    'SHELVED_OFFLOADED_SERVER': 'shelved_offloaded',
}
ID_NAMES += tuple(OTHER_VM_STATES)


def _hex_id():
    return uuidutils.generate_uuid(dashed=False)


def build_inventory(ids):
    """The inventory of the module docstring, with ``ids`` filled in."""
    project, other, lonely = (ids['PROJECT'], ids['OTHER_PROJECT'],
                              ids['LONELY_PROJECT'])

    def server(name, project_id, **kwargs):
        return dict(id=ids[name], name=name.lower(), project_id=project_id,
                    **kwargs)

    return {
        'networks': [
            {'id': ids['NET'], 'name': 'net', 'project_id': project,
             'subnets': [{'id': ids['SUBNET'], 'cidr': '10.0.0.0/24',
                          'gateway_ip': '10.0.0.1'}]},
            {'id': ids['NET2'], 'name': 'net2', 'project_id': project,
             'subnets': [{'id': ids['SUBNET2'], 'cidr': '10.1.0.0/24',
                          'gateway_ip': '10.1.0.1'}]},
            {'id': ids['OTHER_NET'], 'name': 'other', 'project_id': other,
             'subnets': [{'id': ids['OTHER_SUBNET'],
                          'cidr': '172.16.0.0/24',
                          'gateway_ip': '172.16.0.1'}]},
            {'id': ids['SHARED_NET'], 'name': 'shared', 'project_id': other,
             'shared': True,
             'subnets': [{'id': ids['SHARED_SUBNET'],
                          'cidr': '192.168.100.0/24',
                          'gateway_ip': '192.168.100.1'}]},
        ],
        'ports': [
            {'id': ids['PORT1'], 'network_id': ids['NET'],
             'project_id': project, 'mac_address': 'fa:16:3e:4c:2c:30',
             'fixed_ips': [{'ip_address': '10.0.0.5'}]},
            {'id': ids['PORT2'], 'network_id': ids['NET'],
             'project_id': project, 'mac_address': 'fa:16:3e:4c:2c:31',
             'fixed_ips': [{'ip_address': '10.0.0.6'}]},
            {'id': ids['OTHER_PORT'], 'network_id': ids['OTHER_NET'],
             'project_id': other},
        ],
        'servers': [
            server('SERVER', project, ports=[ids['PORT1']]),
            server('LOCKED_SERVER', project, locked=True),
            server('BUILDING_SERVER', project, vm_state='building'),
            server('TASK_SERVER', project, task_state='rebooting'),
            server('STOPPED_SERVER', project, vm_state='stopped'),
            server('OTHER_SERVER', other),
            server('LONELY_SERVER', lonely),
        ],
    }


class APIEnvironment(object):
    """Configure the service (noauth2, ``driver``) and load its app.

    Used by the gabbi fixtures and by Python tests alike; ``app()`` returns
    the assembled ``main`` paste application.
    """

    def __init__(self, enforce_new_defaults=True, policy_rules=None,
                 config=None, inventory=None, driver='memory'):
        self.driver = driver
        self.enforce_new_defaults = enforce_new_defaults
        self.policy_rules = policy_rules
        self.config = config or {}
        self.inventory = inventory
        self.ids = {}
        self._application = None
        self._cleanups = []

    # What the libvirt helpers ask of a test case, for gabbi's fixtures.

    def addCleanup(self, function, *args):
        self._cleanups.append((function, args))

    def skipTest(self, why):
        raise unittest.SkipTest(why)

    def fail(self, why):
        raise AssertionError(why)

    def setUp(self):
        # The drivers of the apps loaded from here on are closed at
        # cleanUp, as the process's exit would close them.
        self.drivers_mark = lifetime.mark()
        self.tempdir = tempfile.TemporaryDirectory(prefix='nai-test-')
        self.conf_fixture = config_fixture.Config(conf.CONF)
        self.conf_fixture.setUp()
        conf.CONF([], project='nova-attach-ifaces', default_config_files=[])

        self.ids = {name: uuidutils.generate_uuid() for name in ID_NAMES}
        for name in ('PROJECT', 'OTHER_PROJECT', 'LONELY_PROJECT'):
            self.ids[name] = _hex_id()
        inventory = full_inventory = (self.inventory or build_inventory)(
            self.ids)
        if self.driver == 'libvirt':
            # The servers become domains; the backend takes the rest.
            inventory = dict(inventory, servers=[])
        inventory_file = os.path.join(self.tempdir.name, 'inventory.yaml')
        with open(inventory_file, 'w') as f:
            yaml.safe_dump(inventory, f)

        policy_file = os.path.join(self.tempdir.name, 'policy.yaml')
        if self.policy_rules:
            with open(policy_file, 'w') as f:
                yaml.safe_dump(self.policy_rules, f)

        self.conf_fixture.config(group='api', auth_strategy='noauth2')
        self.conf_fixture.config(group='compute', driver=self.driver)
        # Each driver starts from the same inventory file.
        if self.driver == 'memory':
            self.conf_fixture.config(group='memory',
                                     inventory_file=inventory_file)
        elif self.driver in ('sql', 'libvirt'):
            # A new SQLite database in the temporary directory, migrated
            # and loaded with the inventory when the app starts.
            self.conf_fixture.config(group='sql',
                                     state_dir=self.tempdir.name,
                                     inventory_file=inventory_file)
        else:
            raise ValueError('no API environment for driver %s' % self.driver)
        self.conf_fixture.config(
            group='oslo_policy', policy_file=policy_file,
            enforce_new_defaults=self.enforce_new_defaults)
        for (group, name), value in self.config.items():
            self.conf_fixture.config(group=group, **{name: value})
        policy.reset()
        if self.driver == 'libvirt':
            try:
                self._build_domains(full_inventory)
            except BaseException:
                # gabbi stops only the fixtures that started.
                self.cleanUp()
                raise

    def _build_domains(self, inventory):
        """The inventory's servers as domains of the process's embedded
        QEMU, the ports they list plugged (through a driver of this
        environment's own, on the same QEMU and store as the app's).

        A server in a state no domain can be in (building, a task
        running...) is left out: the files that use one do not run on
        this driver (see test_api.py).
        """
        # Imported here: libvirt-python is needed only on this driver.
        from tests.functional import libvirt_fixtures
        from tests.services import qemu

        qemu_ = qemu.get(self)
        self.conf_fixture.config(group='network', backend='sql')
        self.conf_fixture.config(group='libvirt', connection_uri=qemu_.uri)
        drv = loader.load_driver(conf.CONF)
        self.addCleanup(drv.close)

        def possible(server):
            return (server.get('vm_state', 'active') in
                    libvirt_fixtures.DOMAIN_STATES and
                    not server.get('task_state'))

        inventory = dict(inventory, servers=[
            server for server in inventory['servers'] if possible(server)])
        libvirt_fixtures.build_servers(
            self, qemu_, inventory_mod.parse(inventory), drv)

    def cleanUp(self):
        while self._cleanups:
            function, args = self._cleanups.pop()
            function(*args)
        lifetime.close_all(self.drivers_mark)
        policy.reset()
        self.conf_fixture.cleanUp()
        self.tempdir.cleanup()

    def app(self):
        """A newly loaded ``main`` paste application."""
        return wsgi.load_app(conf.CONF)

    def application(self):
        """The one app of this environment, loaded on first use."""
        if self._application is None:
            self._application = self.app()
        return self._application


class APIFixture(fixture.GabbiFixture):
    """The default API environment, ids exported to ``os.environ``."""

    environment_args = {}
    # Overridden per driver by fixtures_for_driver().
    driver = 'memory'

    def start_fixture(self):
        global _ENVIRONMENT
        self.env = APIEnvironment(driver=self.driver, **self.environment_args)
        self.env.setUp()
        self.saved_environ = dict(os.environ)
        os.environ.update(self.env.ids)
        _ENVIRONMENT = self.env

    def stop_fixture(self):
        global _ENVIRONMENT
        _ENVIRONMENT = None
        os.environ.clear()
        os.environ.update(self.saved_environ)
        self.env.cleanUp()


class LegacyRBACFixture(APIFixture):
    """``[oslo_policy] enforce_new_defaults = False``: Nova's old rules too."""

    environment_args = {'enforce_new_defaults': False}


class DeprecatedOverrideFixture(APIFixture):
    """A policy file that overrides only Nova's pre-Ussuri base rule."""

    environment_args = {'policy_rules': {
        'os_compute_api:os-attach-interfaces': 'rule:admin_api'}}


class ShowDeniedFixture(APIFixture):
    """A policy file that denies show to everyone, and nothing else."""

    environment_args = {'policy_rules': {
        'os_compute_api:os-attach-interfaces:show': '!'}}


class InterfaceLimitFixture(APIFixture):
    """``[compute] max_interfaces_per_server = 2``."""

    environment_args = {
        'config': {('compute', 'max_interfaces_per_server'): 2}}


def build_inventory_without_shared_network(ids):
    """The usual inventory, but SHARED_NET is private to OTHER_PROJECT.

    LONELY_PROJECT then has no network it can use.
    """
    inventory = build_inventory(ids)
    for network in inventory['networks']:
        network['shared'] = False
    return inventory


def build_inventory_with_every_state(ids):
    """The usual inventory plus the PROJECT servers of OTHER_VM_STATES."""
    inventory = build_inventory(ids)
    for name, state in OTHER_VM_STATES.items():
        inventory['servers'].append(dict(
            id=ids[name], name=name.lower(), project_id=ids['PROJECT'],
            vm_state=state))
    return inventory


def build_inventory_with_tiny_subnet(ids):
    """The usual inventory plus TINY_NET (PROJECT), 10.2.0.0/30.

    Its only allocatable address is 10.2.0.2 (.1 is the gateway).
    """
    inventory = build_inventory(ids)
    inventory['networks'].append(
        {'id': ids['TINY_NET'], 'name': 'tiny', 'project_id': ids['PROJECT'],
         'subnets': [{'id': ids['TINY_SUBNET'], 'cidr': '10.2.0.0/30',
                      'gateway_ip': '10.2.0.1'}]})
    return inventory


class EveryStateFixture(APIFixture):
    """A server of PROJECT in every vm_state Nova has."""

    environment_args = {'inventory': build_inventory_with_every_state}


class TinySubnetFixture(APIFixture):
    """PROJECT also has TINY_NET, with a single free address."""

    environment_args = {'inventory': build_inventory_with_tiny_subnet}


class NoNetworkFixture(APIFixture):
    """No shared network: LONELY_PROJECT can use no network at all."""

    environment_args = {
        'inventory': build_inventory_without_shared_network}


def fixtures_for_driver(driver):
    """A gabbi fixture module: every fixture above, on ``driver``.

    The same YAML files then run against each driver, whose behaviour must
    not differ.
    """
    module = types.ModuleType('%s_%s' % (__name__, driver))
    for name, value in list(globals().items()):
        if isinstance(value, type) and issubclass(value, APIFixture):
            setattr(module, name, type(name, (value,), {'driver': driver}))
    return module


_ENVIRONMENT = None


def json_request(app, path, method='GET', body=None, headers=None):
    """Send ``path`` through the WSGI ``app`` in process.

    ``body`` is sent as it is if it is bytes, else as JSON.
    """
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = (body if isinstance(body, bytes)
                    else jsonutils.dump_as_bytes(body))
        req.content_type = 'application/json'
    for name, value in (headers or {}).items():
        req.headers[name] = value
    return req.get_response(app)


def setup_app():
    """The gabbi intercept: the app of the fixture running now.

    gabbi asks for the intercept before any fixture has started, and
    wsgi-intercept asks again for every connection, so this returns a
    dispatcher to the app that the running file's fixture built (once).
    """
    return _current_app


def _current_app(environ, start_response):
    return _ENVIRONMENT.application()(environ, start_response)
