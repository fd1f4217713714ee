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
"""Nova's versioned interface notifications, received by a real
oslo.messaging listener on RabbitMQ.

The driver under the notifications is the memory driver (its data is the
conformance inventory); the hypervisor failure that ``.error`` reports is
a driver of this test that refuses the plug after the port checks, as a
real hypervisor with no free PCI slot does.
"""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
from oslotest import base

from nova_attach_ifaces.compute import conformance
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import loader
from nova_attach_ifaces.compute import memory
from nova_attach_ifaces import conf as nai_conf
from nova_attach_ifaces import notifications
from tests.services import notifications as listener
from tests.services import rabbitmq

INSTANCE_ACTION_FIELDS = {
    'uuid', 'user_id', 'tenant_id', 'reservation_id', 'display_name',
    'display_description', 'host_name', 'host', 'node', 'os_type',
    'architecture', 'availability_zone', 'flavor', 'image_uuid', 'key_name',
    'kernel_id', 'ramdisk_id', 'created_at', 'launched_at', 'terminated_at',
    'deleted_at', 'updated_at', 'state', 'power_state', 'task_state',
    'progress', 'ip_addresses', 'block_devices', 'metadata', 'locked',
    'auto_disk_config', 'request_id', 'action_initiator_user',
    'action_initiator_project', 'locked_reason', 'shares', 'fault',
}


class NoSlotDriver(memory.MemoryDriver):
    """The memory driver, whose 'hypervisor' never has a free slot."""

    def attach_interface(self, context, server, **kwargs):
        raise exception.InterfaceAttachFailed(instance_uuid=server.id)


class TestInterfaceNotifications(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.config = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf = self.config.conf
        nai_conf.register_opts(self.conf)
        self.conf([], project='nova-attach-ifaces', default_config_files=[],
                  default_config_dirs=[])
        rabbitmq.BROKER.configure(self, self.conf)
        self.config.config(host='compute-7')
        self.config.config(group='oslo_messaging_notifications',
                           driver=['messagingv2'])
        self.listener = self.useFixture(listener.Listener(self.conf))
        self.ctx = oslo_context.RequestContext(
            user_id='alice', project_id=conformance.PROJECT_A,
            overwrite=False)

    def driver(self, cls=memory.MemoryDriver):
        drv = notifications.wrap(
            self.conf, cls.from_inventory(self.conf,
                                          conformance.build_inventory()))
        self.assertIsInstance(drv, notifications.NotifyingDriver)
        return drv

    def assertPayload(self, message, event_type, priority='INFO'):
        self.assertEqual(event_type, message['event_type'])
        self.assertEqual(priority, message['priority'])
        self.assertEqual('nova-compute:compute-7', message['publisher_id'])
        payload = message['payload']
        self.assertEqual('InstanceActionPayload',
                         payload['nova_object.name'])
        self.assertEqual('nova', payload['nova_object.namespace'])
        self.assertEqual('1.9', payload['nova_object.version'])
        data = payload['nova_object.data']
        self.assertEqual(INSTANCE_ACTION_FIELDS, set(data))
        self.assertEqual(conformance.SERVER_A1, data['uuid'])
        self.assertEqual(conformance.PROJECT_A, data['tenant_id'])
        self.assertEqual('compute-7', data['host'])
        self.assertEqual('active', data['state'])
        self.assertEqual('running', data['power_state'])
        self.assertEqual(self.ctx.request_id, data['request_id'])
        self.assertEqual('alice', data['action_initiator_user'])
        self.assertEqual(conformance.PROJECT_A,
                         data['action_initiator_project'])
        return data

    @staticmethod
    def ports(data):
        return [ip['nova_object.data']['port_uuid']
                for ip in data['ip_addresses']]

    def test_loader_wraps_only_when_a_driver_is_set(self):
        self.config.config(group='compute', driver='memory')
        self.assertIsInstance(loader.load_driver(self.conf),
                              notifications.NotifyingDriver)
        self.config.config(group='oslo_messaging_notifications',
                           driver=['noop'])
        self.assertIsInstance(loader.load_driver(self.conf),
                              memory.MemoryDriver)

    def test_attach_start_and_end(self):
        drv = self.driver()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        att = drv.attach_interface(self.ctx, server,
                                   port_id=conformance.PORT_A_FREE)
        start, end = self.listener.wait_for(2)
        data = self.assertPayload(start, 'instance.interface_attach.start')
        self.assertEqual([conformance.PORT_A1, conformance.PORT_A2],
                         self.ports(data))
        self.assertIsNone(data['fault'])
        data = self.assertPayload(end, 'instance.interface_attach.end')
        self.assertEqual([conformance.PORT_A1, conformance.PORT_A2,
                          conformance.PORT_A_FREE], self.ports(data))
        new = data['ip_addresses'][-1]
        self.assertEqual('IpPayload', new['nova_object.name'])
        self.assertEqual({
            'label': 'private-a',
            'mac': att.mac_addr,
            'meta': {},
            'port_uuid': conformance.PORT_A_FREE,
            'version': 4,
            'address': att.fixed_ips[0].ip_address,
            'device_name': 'tap' + conformance.PORT_A_FREE[:11],
        }, new['nova_object.data'])
        # The context travels as oslo.context's dict, as Nova's does.
        self.assertEqual(conformance.PROJECT_A, start['ctxt']['project_id'])

    def test_attach_error_carries_the_fault(self):
        drv = self.driver(NoSlotDriver)
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertRaises(exception.InterfaceAttachFailed,
                          drv.attach_interface, self.ctx, server,
                          port_id=conformance.PORT_A_FREE)
        start, error = self.listener.wait_for(2)
        self.assertPayload(start, 'instance.interface_attach.start')
        data = self.assertPayload(error, 'instance.interface_attach.error',
                                  priority='ERROR')
        fault = data['fault']
        self.assertEqual('ExceptionPayload', fault['nova_object.name'])
        self.assertEqual('1.1', fault['nova_object.version'])
        self.assertEqual('InterfaceAttachFailed',
                         fault['nova_object.data']['exception'])
        self.assertEqual('Failed to attach network adapter device to %s'
                         % conformance.SERVER_A1,
                         fault['nova_object.data']['exception_message'])
        self.assertEqual('attach_interface',
                         fault['nova_object.data']['function_name'])

    def test_refused_attach_sends_no_error(self):
        drv = self.driver()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertRaises(exception.PortInUse, drv.attach_interface,
                          self.ctx, server, port_id=conformance.PORT_A1)
        # Then a change that does notify: only its messages follow start.
        drv.detach_interface(self.ctx, server, conformance.PORT_A2)
        got = self.listener.wait_for(3)
        self.assertEqual(['instance.interface_attach.start',
                          'instance.interface_detach.start',
                          'instance.interface_detach.end'],
                         [m['event_type'] for m in got])

    def test_detach_start_and_end(self):
        drv = self.driver()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        drv.detach_interface(self.ctx, server, conformance.PORT_A1)
        start, end = self.listener.wait_for(2)
        data = self.assertPayload(start, 'instance.interface_detach.start')
        self.assertEqual([conformance.PORT_A1, conformance.PORT_A2],
                         self.ports(data))
        data = self.assertPayload(end, 'instance.interface_detach.end')
        self.assertEqual([conformance.PORT_A2], self.ports(data))

    def test_a_bus_that_is_away_does_not_fail_or_hold_the_change(self):
        # Nothing listens on port 9 (discard) of the loopback address: the
        # notifier gives up after [oslo_messaging_notifications] retry.
        self.config.config(transport_url='rabbit://guest:guest@127.0.0.1:9/')
        self.assertEqual(1, self.conf.oslo_messaging_notifications.retry)
        drv = self.driver()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        att = drv.attach_interface(self.ctx, server,
                                   port_id=conformance.PORT_A_FREE)
        self.assertEqual(conformance.PORT_A_FREE, att.port_id)
        self.assertIn(conformance.PORT_A_FREE,
                      [a.port_id for a in drv.list_interfaces(self.ctx,
                                                              server)])

    def test_detach_of_a_port_not_attached_sends_nothing(self):
        drv = self.driver()
        server = drv.get_server(self.ctx, conformance.SERVER_A1)
        self.assertRaises(exception.InterfaceNotAttached,
                          drv.detach_interface, self.ctx, server,
                          conformance.PORT_A_FREE)
        drv.detach_interface(self.ctx, server, conformance.PORT_A1)
        got = self.listener.wait_for(2)
        self.assertEqual(['instance.interface_detach.start',
                          'instance.interface_detach.end'],
                         [m['event_type'] for m in got])
