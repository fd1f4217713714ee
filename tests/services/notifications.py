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
"""A real oslo.messaging notification listener, as a consumer runs one.

Listens on the test process's RabbitMQ space (:mod:`.rabbitmq`) for the
topics and priorities given, and keeps every message it receives.
"""

import threading
import time
import uuid

import fixtures
import oslo_messaging


class Collector:
    """The endpoint: keeps (priority, publisher_id, event_type, payload,
    ctxt).
    """

    def __init__(self):
        self.received = []
        self.cond = threading.Condition()

    def _keep(self, priority, ctxt, publisher_id, event_type, payload,
              metadata):
        with self.cond:
            self.received.append({
                'priority': priority, 'ctxt': ctxt,
                'publisher_id': publisher_id, 'event_type': event_type,
                'payload': payload, 'metadata': metadata})
            self.cond.notify_all()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._keep('INFO', ctxt, publisher_id, event_type, payload, metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._keep('ERROR', ctxt, publisher_id, event_type, payload,
                   metadata)


class Listener(fixtures.Fixture):
    """A notification listener on ``topics``, started and stopped with the
    fixture; :meth:`wait_for` returns what it got.
    """

    def __init__(self, conf, topics=('versioned_notifications',)):
        super().__init__()
        self.conf = conf
        self.topics = topics

    def _setUp(self):
        self.collector = Collector()
        transport = oslo_messaging.get_notification_transport(self.conf)
        self.addCleanup(transport.cleanup)
        targets = [oslo_messaging.Target(topic=topic)
                   for topic in self.topics]
        # A queue of this listener's own: nothing another listener of the
        # same topics consumes, nothing left from an earlier test.
        self.listener = oslo_messaging.get_notification_listener(
            transport, targets, [self.collector], executor='threading',
            pool='nai-test-listener-%s' % uuid.uuid4().hex)
        self.listener.start()
        self.addCleanup(self.listener.wait)
        self.addCleanup(self.listener.stop)

    def wait_for(self, count, timeout=30):
        """The first ``count`` notifications, in arrival order; fewer if
        ``timeout`` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        with self.collector.cond:
            while len(self.collector.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.collector.cond.wait(left)
            return list(self.collector.received[:count])

    def received(self):
        with self.collector.cond:
            return list(self.collector.received)
