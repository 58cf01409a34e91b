# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Northbound freezes as the official vnc_api client sees them, at a given lab size.

Brings up the lab at the size asked (``labctl up``), writes an inventory that follows it, and
runs the ISSU (start, computes, finalize) while a writer using the official ``vnc_api`` client
(the one Neutron's Contrail plugin uses: it retries an HTTP 503 thirty times a second apart,
then raises) creates a virtual-network through the VIP every ``--interval`` seconds. Prints one
JSON document: per freeze the record's window, the client's longest write that overlapped it,
the client errors; whether every acknowledged write is present in v2 at the end; and per phase
where the host's CPU went (each kind of lab container by its cgroup, the rest: Ansible, the
client, podman), against what the host had (wall clock x cores).

    .venv/bin/python benchmarks/freeze.py [--computes 3] [--v1 1] [--v2 1] [--interval 0.2] [--forks N] [--keep] [--logs DIR]

Needs podman and the lab's images (make lab-images). No assertion on times.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))   # make collection links it
from ansible_collections.opencontrail.issu.plugins.filter.issu_report import median, outages, p95, window_steps  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'molecule', 'shared'))
import state_record as lab_record  # noqa: E402  (the record read whole)
VIP, V2_API = '10.99.0.5', '10.99.0.21'
ENV = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'),
           ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
           PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])


def _container_cpu(cgroup):
    """CPU seconds a container has used, from its cgroup (v1 cpuacct or v2 cpu.stat)."""
    v1 = '/sys/fs/cgroup/cpuacct%s/cpuacct.usage' % cgroup
    if os.path.exists(v1):
        with open(v1) as handle:
            return int(handle.read()) / 1e9
    with open('/sys/fs/cgroup%s/cpu.stat' % cgroup) as handle:
        return int(dict(line.split() for line in handle)['usage_usec']) / 1e6


def _kind(name):
    for prefix, kind in (('lab-compute', 'computes'), ('lab-v1-ctrl', 'v1_controllers'),
                         ('lab-v2-ctrl', 'v2_controllers')):
        if name.startswith(prefix):
            return kind
    return 'infra_and_openstack'


def cpu_sample():
    """(seconds since boot of busy CPU on the host, {kind of container: CPU seconds})."""
    names = subprocess.run(['podman', 'ps', '--format', '{{.Names}} {{.ID}}'], env=ENV,
                           capture_output=True, text=True, check=True).stdout.split('\n')
    ids = dict(line.split() for line in names if line.strip())
    paths = [] if not ids else subprocess.run(['podman', 'inspect', '--format', '{{.Name}} {{.State.CgroupPath}}']
                           + list(ids.values()), env=ENV, capture_output=True, text=True,
                           check=True).stdout.split('\n')
    kinds = {}
    for line in paths:
        if line.strip():
            name, cgroup = line.split()
            kind = _kind(name)
            kinds[kind] = kinds.get(kind, 0.0) + _container_cpu(cgroup)
    with open('/proc/stat') as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    ticks = os.sysconf('SC_CLK_TCK')
    return (sum(fields) - fields[3] - fields[4]) / float(ticks), sum(fields) / float(ticks), kinds


def cpu_used(before, after):
    """Where the host's CPU went between two samples: per kind of container, the rest (Ansible,
    the client, podman, the kernel) and what the host had (wall clock x cores)."""
    used = dict((kind, round(after[2].get(kind, 0.0) - before[2].get(kind, 0.0), 1))
                for kind in sorted(after[2]))
    busy = after[0] - before[0]
    used['ansible_client_and_host'] = round(busy - sum(used.values()), 1)
    used['busy'] = round(busy, 1)
    used['available'] = round(after[1] - before[1], 1)
    return used


def labctl(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'lab', 'labctl')] + list(args),
                          env=ENV, capture_output=True, text=True, check=True).stdout


class Writer(object):
    """Creates a virtual-network through the VIP with the official client, timing each call."""

    def __init__(self, interval):
        from vnc_api import vnc_api
        self.vnc_api = vnc_api
        self.client = vnc_api.VncApi(api_server_host=VIP, api_server_port=8082)
        self.project = self.client.project_read(fq_name=['default-domain', 'admin'])
        self.interval = interval
        self.calls, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            name = 'bench-freeze-%s' % uuid.uuid4().hex[:10]
            began = time.time()
            try:
                obj_uuid = self.client.virtual_network_create(
                    self.vnc_api.VirtualNetwork(name, parent_obj=self.project))
                error = None
            except Exception as exc:  # pylint: disable=broad-except
                obj_uuid, error = None, '%s: %s' % (type(exc).__name__, exc)
            self.calls.append({'began': began, 'ended': time.time(), 'uuid': obj_uuid, 'error': error})
            self.stop.wait(self.interval)


def epoch(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def playbook(inv, name, *extra):
    began = time.time()
    proc = subprocess.run(['ansible-playbook', '-i', inv, os.path.join(ROOT, 'playbooks', name)] + list(extra),
                          cwd=ROOT, env=ENV, capture_output=True, text=True)
    if LOG_DIR:
        with open(os.path.join(LOG_DIR, name.replace('.yml', '.log')), 'w') as handle:
            handle.write(proc.stdout)
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s' % (name, proc.stdout[-4000:]))
    return round(time.time() - began, 1)


#: --logs: where each playbook's output is kept (with the profile_tasks callback's times).
LOG_DIR = None


def present_in_v2(calls):
    from vnc_api import vnc_api
    client = vnc_api.VncApi(api_server_host=V2_API, api_server_port=8082)
    acked = [c['uuid'] for c in calls if c['uuid']]
    missing = []
    for obj_uuid in acked:
        try:
            client.virtual_network_read(id=obj_uuid)
        except vnc_api.NoIdError:
            missing.append(obj_uuid)
    return len(acked), missing


def freeze_report(record, calls):
    out = []
    for window in record['northbound']['windows']:
        frozen, opened = epoch(window['frozen_at']), epoch(window['opened_at'])
        overlapping = [c for c in calls if c['ended'] >= frozen and c['began'] <= opened]
        out.append({'freeze': window.get('note'), 'record_seconds': round(opened - frozen, 2),
                    'steps': [{'until': name, 'seconds': round(seconds, 2), 'what': what}
                              for name, seconds, what in window_steps(record, window)],
                    'client_longest_write_seconds': round(max([c['ended'] - c['began'] for c in overlapping] or [0]), 2),
                    'client_errors': [c['error'] for c in overlapping if c['error']]})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--computes', type=int, default=3)
    parser.add_argument('--v1', type=int, default=1)
    parser.add_argument('--v2', type=int, default=1)
    parser.add_argument('--interval', type=float, default=0.2)
    parser.add_argument('--keep', action='store_true', help='leave the lab up at the end')
    parser.add_argument('--forks', type=int, help='ansible-playbook --forks (default: ansible.cfg, 5)')
    parser.add_argument('--logs', help="keep each playbook's output, with per-task times, in this directory")
    args = parser.parse_args(argv)
    if args.logs:
        global LOG_DIR  # pylint: disable=global-statement
        LOG_DIR = args.logs
        os.makedirs(LOG_DIR, exist_ok=True)
        ENV['ANSIBLE_CALLBACKS_ENABLED'] = 'ansible.posix.profile_tasks'
    if args.forks:
        ENV['ANSIBLE_FORKS'] = str(args.forks)
    labctl('down')
    labctl('up', '--computes', str(args.computes), '--v1-controllers', str(args.v1),
           '--v2-controllers', str(args.v2))
    inv = labctl('inventory', '--out', tempfile.mkdtemp(prefix='freeze-inv-')).strip()
    writer = Writer(args.interval)
    writer.thread.start()
    times, cpu = {}, {}
    try:
        for phase, name, extra in (('start', 'issu_start.yml', ()),
                                   ('computes', 'issu_upgrade_computes.yml', ()),
                                   ('finalize', 'issu_finalize.yml',
                                    ('-e', 'issu_finalize_confirm=true'))):
            before = cpu_sample()
            times[phase] = playbook(inv, name, *extra)
            cpu[phase] = cpu_used(before, cpu_sample())
    finally:
        writer.stop.set()
        writer.thread.join(60)
    record = json.loads(subprocess.run(['podman', 'exec', lab_record.TASK_HOST] + lab_record.command(),
                                       env=ENV, capture_output=True, text=True, check=True).stdout)
    if LOG_DIR:     # the record as the run left it: each compute's swap steps, the windows' steps
        with open(os.path.join(LOG_DIR, 'state.json'), 'w') as handle:
            json.dump(record, handle, indent=1)
    acked, missing = present_in_v2(writer.calls)
    swapped = outages(record.get('hosts', {}))
    print(json.dumps({'size': {'computes': args.computes, 'v1': args.v1, 'v2': args.v2},
                      'forks': args.forks, 'playbook_seconds': times,
                      'issu_seconds': round(sum(times.values()), 1),
                      'compute_outage_seconds': {
                          'count': len(swapped), 'median': median(swapped) if swapped else None,
                          'p95': p95(swapped) if swapped else None,
                          'longest': swapped[-1] if swapped else None}, 'freezes': freeze_report(record, writer.calls),
                      'cpu_seconds': cpu,
                      'client': {'writes': len(writer.calls), 'acknowledged': acked,
                                 'errors': sum(1 for c in writer.calls if c['error']),
                                 'acknowledged_missing_in_v2': len(missing)}}, indent=2))
    if not args.keep:
        labctl('down')
    return 0


if __name__ == '__main__':
    sys.exit(main())
