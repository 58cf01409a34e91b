#!/usr/bin/env python3
"""The state record's per-compute cost as the number of computes grows (no lab needed).

Replays, on a temporary record, what the compute phase writes (``upgrading`` for a batch's
computes in one write, then ``v2`` for each compute with its swap timings and its batch) with the
collection's own record code (load of just the computes written, plan, save of what changed,
under the lock, as opencontrail.issu.issu_state does for a call that only records computes), in
batches of the default shape ([1, 25%, 100%]), and prints per size the record's size on disk
(its file and every compute's entry), the record time per compute (all writes / computes), the
last write's time and one whole read (what the report and the plan do once).

    python benchmarks/state_record.py [--sizes 30 300 1000]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))   # make collection links it
from ansible_collections.opencontrail.issu.plugins.filter.serial_batches import serial_batches  # noqa: E402
from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state  # noqa: E402

TIMINGS = {'install': 0.9, 'conf': 0.002, 'prestop': 0.15, 'stop': 1.3, 'kmod': 0.04,
           'start': 0.33, 'xmpp_up': 0.1, 'routes_back': 0.05, 'outage': 1.85, 'running': 5.0,
           'functional': 0.2}


def update(path, hosts):
    """One issu_state call ({host: facts}), as the module does it -> seconds."""
    began = time.perf_counter()
    with issu_state.Locked(path):
        before = issu_state.load(path, hosts=list(hosts))
        after = issu_state.plan(before, hosts=hosts)
        if after != before:
            issu_state.save(path, after, before)
    return time.perf_counter() - began


def disk_bytes(directory):
    return sum(os.path.getsize(os.path.join(top, name))
               for top, _dirs, names in os.walk(directory) for name in names)


def run(size):
    directory = tempfile.mkdtemp(prefix='state-bench-')
    path = os.path.join(directory, 'state.json')
    record = issu_state.plan(issu_state.empty_record(), phase='starting')
    issu_state.save(path, issu_state.plan(record, phase='started'))
    hosts_id = issu_state.load(path)['hosts_id']
    hosts = ['compute%04d' % i for i in range(1, size + 1)]
    seconds, done = [], 0
    for batch_size in serial_batches([1, '25%', '100%'], size):
        batch = hosts[done:done + batch_size]
        done += batch_size
        seconds.append(update(path, dict((host, {'status': 'upgrading', 'version': '3.2.14.0-37'})
                                         for host in batch)))
        for host in batch:
            seconds.append(update(path, {host: {
                'status': 'v2', 'version': '4.0.3.0-62', 'timings': TIMINGS,
                'batch': batch[0]}}))
    began = time.perf_counter()
    whole = issu_state.load(path)
    read = time.perf_counter() - began
    assert len(whole['hosts']) == size and whole['hosts_id'] == hosts_id
    result = {'computes': size, 'record_bytes': disk_bytes(directory),
              'record_file_bytes': os.path.getsize(path),
              'per_compute_ms': round(1000 * sum(seconds) / size, 2),
              'last_write_ms': round(1000 * seconds[-1], 2),
              'whole_read_ms': round(1000 * read, 1)}
    shutil.rmtree(directory)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[30, 300, 1000])
    args = parser.parse_args(argv)
    print(json.dumps([run(n) for n in args.sizes], indent=1))


if __name__ == '__main__':
    main()
