# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-compute data-plane gap of a vRouter swap in the lab, with and without pre-staging.

The gap is the time the swapped compute's agent lacks routes to remote VMs (and the other
agents lack routes to its VMs), sampled every ``--interval`` seconds by h3's probe
(lab/tools/probe.py) while ``opencontrail.issu.vrouter_swap`` upgrades one compute to v2.
Each mode starts from v1 (rolled back with the same module) and ends back on v1.

    .venv/bin/python benchmarks/compute_gap.py [--compute lab-compute1] [--runs 1]

Needs the running lab (make lab-up). Prints one JSON document; no assertion on times.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(ROOT, 'lab', 'tools', 'probe.py')
V1, V2, V1_CONTROL, V2_CONTROL = '3.2.14.0-37', '4.0.3.0-62', '10.99.0.11', '10.99.0.21'
V2_SOURCE = 'deb [trusted=yes] http://10.99.0.10:8081/4.0 ./'   # computes start with 3.2's only
ENV = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'),
           ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
           ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_PYTHON_INTERPRETER='/usr/bin/python3')


def load_probe():
    spec = importlib.util.spec_from_file_location('probe', PROBE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module(host, name, args):
    """Run one collection module on a lab container; the task result."""
    play = [{'hosts': 'all', 'gather_facts': False,
             'tasks': [{'opencontrail.issu.%s' % name: args}]}]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as handle:
        json.dump(play, handle)
    try:
        out = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                              '-i', '%s,' % host, '-c', 'containers.podman.podman', handle.name],
                             env=ENV, capture_output=True, text=True, timeout=600).stdout
    finally:
        os.unlink(handle.name)
    return json.loads(out)['plays'][0]['tasks'][0]['hosts'][host]


def lab_agents():
    names = subprocess.run(['podman', 'ps', '--filter', 'name=^lab-compute', '--format',
                            '{{.Names}}'], env=ENV, capture_output=True, text=True).stdout.split()
    return dict((n, ('10.99.0.%d' % (100 + int(n[len('lab-compute'):])), 8085)) for n in names)


def to_v1(host):
    result = module(host, 'vrouter_swap', {'version': V1, 'discovery_server': V1_CONTROL,
                                           'update_cache': True, 'wait_timeout': 90})
    if result.get('failed'):
        raise SystemExit('could not put %s back on v1: %s' % (host, result.get('msg')))


def prepare(host, prestage):
    """Add v2's repository (computes start with v1's only) and pre-stage v2, or then empty the
    package cache so the swap downloads inside the outage."""
    staged = module(host, 'vrouter_prestage', {'version': V2, 'sources': [V2_SOURCE]})
    if prestage:
        return staged
    subprocess.run(['podman', 'exec', host, 'apt-get', 'clean'], env=ENV, check=True)
    return None


def gap_of(summary, host, agents_vms):
    """Longest interval the swapped compute (or any compute, towards its VMs) lacked a route."""
    seconds = [o['seconds'] for o in summary.get('outages', [])
               if o['compute'] == host or o['vm'] in agents_vms]
    return max(seconds) if seconds else 0.0


def measure(probe_module, host, prestage, interval):
    to_v1(host)
    staged = prepare(host, prestage)
    probe = probe_module.Probe(lab_agents())
    box = {}
    thread = threading.Thread(target=lambda: box.update(summary=probe.run(
        duration=120, interval=interval, discovery=10)))
    thread.start()
    time.sleep(12)                        # the probe learns the VMs first
    swap = module(host, 'vrouter_swap', {'version': V2, 'control_servers': [V2_CONTROL],
                                         'dns_servers': [V2_CONTROL], 'collectors': [V2_CONTROL],
                                         'wait_timeout': 90})
    thread.join()
    summary = box.get('summary') or {}
    own_vms = [vm for vm, owner in probe.owner.items() if owner == host]
    result = dict(prestaged=prestage, swap_failed=bool(swap.get('failed')),
                  swap_msg=swap.get('msg'), timings=swap.get('timings'),
                  downloaded=swap.get('downloaded'),
                  prestage_bytes=(staged or {}).get('bytes'),
                  gap_seconds=gap_of(summary, host, own_vms),
                  outages=[o for o in summary.get('outages', [])
                           if o['compute'] == host or o['vm'] in own_vms])
    to_v1(host)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--compute', default='lab-compute1')
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--interval', type=float, default=0.1)
    args = parser.parse_args(argv)
    probe_module = load_probe()
    # The compute phase's precondition: the ISSU started (peered, synced), so that a compute
    # moved to v2 finds its VMs in v2's config. A no-op when it has started already.
    subprocess.run(['ansible-playbook', '-i', 'inventories/lab', 'playbooks/issu_start.yml'],
                   cwd=ROOT, env=ENV, check=True, capture_output=True, timeout=900)
    results = []
    for _run in range(args.runs):
        for prestage in (True, False):
            results.append(measure(probe_module, args.compute, prestage, args.interval))
    print(json.dumps(dict(compute=args.compute, results=results), indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
