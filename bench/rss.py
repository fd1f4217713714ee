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
"""Resident set size of one API worker, after start and after N requests.

Run as its own process (``python -m bench.rss DRIVER REQUESTS``), so that
nothing else measured in the suite is counted; it prints one JSON object.
The mix: 40% list, 40% show, 10% attach, 10% detach.
"""

import json
import os
import subprocess
import sys

import psutil

from bench import env
from bench import timing

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rss_mib():
    return psutil.Process().memory_info().rss / 2 ** 20


def main():
    driver, requests = sys.argv[1], int(sys.argv[2])
    inv = env.make_inventory(ports=10, attached=2)
    show = env.show_path(inv.ports[0].id)
    body = {'interfaceAttachment': {'net_id': env.NET}}
    with env.service(driver, inv) as app:
        after_start = _rss_mib()
        samples = []
        done = 0
        while done < requests:
            for _ in range(4):
                env.request(app, 'GET', env.list_path(), '2.70')
                env.request(app, 'GET', show, '2.70')
            resp = env.request(app, 'POST', env.list_path(), '2.70',
                               body=body)
            port = json.loads(resp.body)['interfaceAttachment']['port_id']
            env.request(app, 'DELETE', env.show_path(port), '2.70')
            done += 10
            if done % (requests // 10) == 0:
                samples.append((done, _rss_mib()))
        warm = samples[0][1]
        print(json.dumps({
            'driver': driver, 'requests': done,
            'rss_after_start_mib': after_start,
            'rss_samples_mib': samples,
            'rss_after_requests_mib': samples[-1][1],
            # Growth after the first tenth (caches and pools filled).
            'growth_after_warmup_mib': samples[-1][1] - warm,
        }))


def run(quick=False):
    """Each driver's worker in a process of its own; the JSON they print."""
    runs = []
    plan = [('memory', 10000)] if quick else [('memory', 100000),
                                              ('sql', 20000)]
    if timing.smoke():
        plan = [('memory', 100)]
    for driver, requests in plan:
        out = subprocess.run(
            [sys.executable, '-m', 'bench.rss', driver, str(requests)],
            cwd=REPO, capture_output=True, text=True, check=True,
            env=dict(os.environ, PYTHONPATH=REPO))
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


if __name__ == '__main__':
    main()
