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
"""Conformance: calls racing from several threads."""

import collections
import ipaddress
import sys
import threading

from nova_attach_ifaces.compute.conformance import base
from nova_attach_ifaces.compute.conformance import data
from nova_attach_ifaces.compute import inventory


#: Threads in the concurrency tests: enough to race, few enough for CI.
THREADS = 8
#: Seconds any thread of a concurrency test may take before it is a hang.
THREAD_TIMEOUT = 60


class ConcurrencyTests(base.ConformanceBase):
    """Concurrent calls neither lose nor duplicate anything."""

    # Concurrency.

    def _race(self, calls):
        """Run ``calls`` (callables) in threads started together.

        :returns: one ``('ok', value)`` or ``('error', exception)`` per call.
        """
        # Switch threads as often as possible while racing, so that a
        # missing lock shows up even in a driver that never blocks.
        self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(1e-6)
        barrier = threading.Barrier(len(calls), timeout=THREAD_TIMEOUT)
        results = [None] * len(calls)

        def run(i, call):
            try:
                barrier.wait()
                results[i] = ('ok', call())
            except Exception as e:
                results[i] = ('error', e)

        threads = [threading.Thread(target=run, args=(i, c), daemon=True)
                   for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(THREAD_TIMEOUT)
            self.assertFalse(t.is_alive(), 'a driver call hung')
        return results

    def _many_servers_driver(self):
        servers = [data._uuid(0x5e, 0x100 + i) for i in range(THREADS)]
        self.driver = self.make_driver(inventory.parse({
            'networks': [
                {'id': data.NET_A, 'project_id': data.PROJECT_A,
                 'subnets': [data._subnet(data.SUBNET_A1, '10.0.0.0/24',
                                          '10.0.0.1')]},
            ],
            'ports': [data._port(data.PORT_A_FREE, data.NET_A, data.PROJECT_A,
                                 'fa:16:3e:00:00:a3', '10.0.0.4')],
            'servers': [{'id': s, 'project_id': data.PROJECT_A}
                        for s in servers],
        }), self.conf)
        return servers

    def test_concurrent_attach_same_port(self):
        servers = self._many_servers_driver()
        results = self._race([
            (lambda s=s: self.attach(self.ctx_a, s, port_id=data.PORT_A_FREE))
            for s in servers])
        kinds = collections.Counter(
            'ok' if kind == 'ok' else type(value).__name__
            for kind, value in results)
        self.assertEqual({'ok': 1, 'PortInUse': THREADS - 1}, dict(kinds))
        winner = [s for s, (kind, _) in zip(servers, results)
                  if kind == 'ok'][0]
        for s in servers:
            expected = [data.PORT_A_FREE] if s == winner else []
            self.assertEqual(expected,
                             [a.port_id for a in self.listing(s)])

    def test_concurrent_attach_same_fixed_ip(self):
        servers = self._many_servers_driver()
        results = self._race([
            (lambda s=s: self.attach(self.ctx_a, s, net_id=data.NET_A,
                                     fixed_ip='10.0.0.50'))
            for s in servers])
        kinds = collections.Counter(
            'ok' if kind == 'ok' else type(value).__name__
            for kind, value in results)
        self.assertEqual({'ok': 1, 'FixedIpAlreadyInUse': THREADS - 1},
                         dict(kinds))
        attached = [a for s in servers for a in self.listing(s)]
        self.assertEqual(1, len(attached))
        self.assertEqual('10.0.0.50', attached[0].fixed_ips[0].ip_address)

    def test_concurrent_attach_network_unique_addresses(self):
        servers = self._many_servers_driver()
        per_thread = 24

        def work(server_id):
            atts = []
            for i in range(per_thread):
                atts.append(self.attach(self.ctx_a, server_id,
                                        net_id=data.NET_A))
                if i % 3 == 2:
                    # Detach churn frees addresses the others may take.
                    self.detach(self.ctx_a, server_id, atts[-2].port_id)
            return atts

        results = self._race([(lambda s=s: work(s)) for s in servers])
        errors = [v for kind, v in results if kind != 'ok']
        self.assertEqual([], errors)
        attached = [a for s in servers for a in self.listing(s)]
        self.assertEqual(THREADS * (per_thread - per_thread // 3),
                         len(attached))
        macs = [a.mac_addr for a in attached]
        self.assertEqual(len(macs), len(set(macs)))
        self.assertEqual(len(attached), len({a.port_id for a in attached}))
        ips = [ip.ip_address for a in attached for ip in a.fixed_ips]
        self.assertEqual(len(attached), len(ips))
        self.assertEqual(len(ips), len(set(ips)))
        self.assertNotIn('10.0.0.4', ips)
        self.assertNotIn('10.0.0.1', ips)
        subnet = ipaddress.ip_network('10.0.0.0/24')
        for ip in ips:
            self.assertIn(ipaddress.ip_address(ip), subnet)
