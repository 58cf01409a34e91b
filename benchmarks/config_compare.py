# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time opencontrail.issu.config_compare on a config of N objects (issue 4: 50,000 in <= 10 s).

Seeds the v1 API with lab/tools/seed.py until it holds --count seeded objects (a re-run only
completes a partial seed), then times the module's own code path - homepage types, one
detail list per type for both clusters in parallel threads, normalise, digest, compare -
and, with --playbook, the same through ansible-playbook. Prints one JSON line.

    .venv/bin/python benchmarks/config_compare.py --v1 10.99.0.11:8082 --v2 10.99.0.21:8082

Without --v2 the v1 API is compared with itself: the same objects are read twice, by one
API server process. The realistic figure is v1 against v2 once the ISSU has started
(pre-sync copied the seed), each cluster's API server answering its own half:

    .venv/bin/python benchmarks/config_compare.py --count 50000
    ansible-playbook -i inventories/lab playbooks/issu_start.yml
    .venv/bin/python benchmarks/config_compare.py --no-seed --v2 10.99.0.21:8082 --playbook

Measured (2 cores, 2026-11-25): 50,000 seeded objects, 69,841 with the routing instances and
route targets v1's schema transformer derives: 8.8-9.0 s (fetch 8.4-8.8 s, compare 0.4 s),
11.2 s as an ansible-playbook task.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.environ.get('ISSU_COLLECTIONS_PATH', os.path.join(ROOT, '.build', 'collections'))
sys.path.insert(0, COLLECTIONS)

from ansible_collections.opencontrail.issu.plugins.module_utils import (  # noqa: E402
    config_compare as cc)
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import (  # noqa: E402
    VncClient)


def client(address):
    host, _sep, port = address.partition(':')
    return VncClient(host, int(port or 8082), timeout=300)


def seed(address, count, prefix):
    """Run the lab's seed loader; it skips objects that already exist."""
    cmd = [sys.executable, os.path.join(ROOT, 'lab', 'tools', 'seed.py'),
           '--api-server', address, '--count', str(count), '--prefix', prefix]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit('seed failed: %s%s' % (proc.stdout, proc.stderr))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_compare(v1, v2, workers):
    """Seconds of the module's code path, and its totals."""
    start = time.monotonic()
    clients = [client(v1), client(v2)]
    types = cc.select_types(clients[0])
    left, right = cc.fetch_snapshots(clients, types, workers)
    fetched = time.monotonic()
    result = cc.compare_snapshots(left, right)
    done = time.monotonic()
    return dict(seconds=round(done - start, 2), fetch_seconds=round(fetched - start, 2),
                compare_seconds=round(done - fetched, 2), types=len(types),
                totals=result.totals)


def time_playbook(v1, v2, workers):
    """Seconds of the same comparison run as a task by ansible-playbook."""
    def conn(address):
        host, _sep, port = address.partition(':')
        return {'api_server_host': host, 'api_server_port': int(port or 8082), 'timeout': 300}
    task = {'opencontrail.issu.config_compare': {'v1': conn(v1), 'v2': conn(v2),
                                                 'workers': workers, 'max_items': 10}}
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as handle:
        json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task]}], handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK='json')
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                           '-i', 'localhost,', '-c', 'local', '-e',
                           'ansible_python_interpreter=%s' % sys.executable, handle.name],
                          capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - start
    os.unlink(handle.name)
    if proc.returncode != 0:
        raise SystemExit('playbook failed: %s%s' % (proc.stdout[-2000:], proc.stderr))
    return round(elapsed, 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--v1', default='10.99.0.11:8082', help='host:port of the v1 API')
    parser.add_argument('--v2', help='host:port of the v2 API (default: --v1)')
    parser.add_argument('--count', type=int, default=50000, help='objects to seed in v1')
    parser.add_argument('--prefix', default='bench')
    parser.add_argument('--no-seed', action='store_true', help='compare what is there')
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--playbook', action='store_true', help='also time ansible-playbook')
    args = parser.parse_args(argv)
    report = {}
    if not args.no_seed:
        report['seed'] = seed(args.v1, args.count, args.prefix)
    report['compare'] = time_compare(args.v1, args.v2 or args.v1, args.workers)
    if args.playbook:
        report['playbook_seconds'] = time_playbook(args.v1, args.v2 or args.v1, args.workers)
    print(json.dumps(report))
    return 0


if __name__ == '__main__':
    sys.exit(main())
