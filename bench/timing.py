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
"""Microseconds per call: the median of timed rounds."""

import gc
import os
import statistics
import time


def smoke():
    """A ``bench/run.py --smoke`` run: one tiny round of everything.

    It checks that every section runs to its end (the test suite does
    this); its figures mean nothing. The environment variable carries it
    to the sections that run in processes of their own.
    """
    return bool(os.environ.get('NAI_BENCH_SMOKE'))


def per_call_us(func, rounds=7, min_round=0.15):
    """Median over ``rounds`` of the mean cost of ``func()`` in a round.

    The number of calls per round is chosen once so that a round lasts
    about ``min_round`` seconds, after as long a warm-up (a new app's first
    requests fill caches: SQLite's pages, the policy and microversion
    answers). The garbage collector stays on: a real worker pays for its
    collections too.
    """
    if smoke():
        rounds, min_round = 1, 0.002
    deadline = time.perf_counter() + min_round
    while time.perf_counter() < deadline:
        func()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_round / 4:
            break
        calls *= 2
    calls = max(1, int(calls * min_round / max(elapsed, 1e-9)))
    samples = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        for _ in range(calls):
            func()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return {'us': statistics.median(samples), 'min_us': min(samples),
            'max_us': max(samples), 'calls_per_round': calls,
            'rounds': rounds}


def paired(funcs, rounds=7, min_round=0.15):
    """Time several functions with their rounds interleaved.

    Interleaving means drift (CPU frequency, a noisy neighbour) hits every
    function alike, so the ratios between them hold even when absolute
    figures move.
    """
    if smoke():
        rounds, min_round = 1, 0.002
    results = {name: [] for name in funcs}
    calls = {}
    for name, func in funcs.items():
        calls[name] = per_call_us(func, rounds=1,
                                  min_round=min_round)['calls_per_round']
    for _ in range(rounds):
        for name, func in funcs.items():
            gc.collect()
            n = calls[name]
            start = time.perf_counter()
            for _ in range(n):
                func()
            results[name].append((time.perf_counter() - start) / n * 1e6)
    return {name: {'us': statistics.median(s), 'min_us': min(s),
                   'max_us': max(s), 'calls_per_round': calls[name],
                   'rounds': rounds, 'samples_us': s}
            for name, s in results.items()}


def paired_ratio(timed, name, reference):
    """Median over rounds of ``name``'s time over ``reference``'s.

    Each round of one is next to a round of the other, so a slow spell of
    the machine (this one shares its CPUs) lands on both and cancels out;
    the ratio of two medians does not have that property.
    """
    return statistics.median(
        a / b for a, b in zip(timed[name]['samples_us'],
                              timed[reference]['samples_us']))
