# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault suite: issue 14's faults and bad inputs replayed on one fresh lab, in ISSU order,
with the lab's northbound workload and data-plane probe running throughout.

Per scenario it prints what the operator saw (the message the run ended with), the end state
(the state record's phase and computes, the agents' versions) and whether the scenario held;
at the end, whether any acknowledged northbound write is missing from the cluster serving
northbound, and per scenario the longest route gap the probe saw (compute -> remote VM).

    .venv/bin/python benchmarks/faults.py [--keep] [--only NAME ...] [--logs DIR]

Scenarios, in the order they run (each leaves the lab as the next one expects):

  missing_group     start with an inventory without issu_task: the collection's own message, no record
  same_version      start with issu_v2_version = v1's version: refused before any change
  wrong_v2_api      start with v2's API on a closed port: refused before any change
  start             the ISSU's start (northbound freeze, sync), as the next scenarios need
  prestage_fails    one compute's package cannot be found: recorded failed, no compute moves
  unanswered        one compute frozen (podman pause): recorded failed within vrouter_prestage_timeout
  dead_agent        one compute of a 2-compute batch gets a v2 agent that dies at start: rolled
                    back in seconds, the batch's other compute on v2, the next batch untouched
  killed_mid_swap   the compute phase killed (SIGKILL, its whole process group) while a compute
                    is upgrading: the first re-run completes it with one outage
  forced_finalize   a compute rolled back to v1, finalize forced (issu_force): said loudly,
                    recorded, reported; the compute phase then moves it to v2

Needs podman and the lab's images (make lab-images). No assertion on times: the times printed
are the figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'lab', 'tools'))
sys.path.insert(0, os.path.join(ROOT, 'molecule', 'shared'))
import state_record as lab_record  # noqa: E402
import traffic as lab_traffic  # noqa: E402

ENV = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'),
           ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
           PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
V1_API, V2_API = 'http://10.99.0.11:8082', 'http://10.99.0.21:8082'
V1, V2, BROKEN = '3.2.14.0-37', '4.0.3.0-62', '4.0.3.0-63'
COMPUTES = ('lab-compute1', 'lab-compute2', 'lab-compute3')
LOG_DIR = None


def sh(*cmd, check=True, timeout=900):
    proc = subprocess.run(list(cmd), cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError('%s: rc=%s\n%s' % (' '.join(cmd), proc.returncode,
                                              (proc.stdout + proc.stderr)[-3000:]))
    return proc


def playbook(name, *extra, inventory='inventories/lab', log=None):
    """(rc, output) of a phase playbook; extra: dicts given as JSON extra vars."""
    cmd = ['ansible-playbook', '-i', inventory, os.path.join('playbooks', name)]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    proc = sh(*cmd, check=False, timeout=1800)
    keep_log(log or name, proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout


def keep_log(name, text):
    if LOG_DIR:
        with open(os.path.join(LOG_DIR, name.replace('.yml', '') + '.log'), 'a') as handle:
            handle.write(text)


def operator_saw(output):
    """The message the run ended with: the last failure's msg (or the recap's last error)."""
    messages = re.findall(r'^(?:fatal|failed): \[[^\]]+\][\s\S]{0,3000}?"msg": "((?:[^"\\]|\\.)*)"',
                          output, re.M)
    if messages:
        return json.loads('"%s"' % messages[-1])
    errors = re.findall(r'^\[?ERROR\]?:? ?(.*)$', output, re.M)
    return errors[-1] if errors else '(no failure message)'


def record():
    proc = sh('podman', 'exec', lab_record.TASK_HOST, *lab_record.command(), check=False)
    return (json.loads(proc.stdout) or None) if proc.returncode == 0 else None


def agent_version(compute):
    return sh('podman', 'exec', compute, 'dpkg-query', '-W', '-f', '${Version}',
              'contrail-vrouter-agent').stdout.strip()


def end_state():
    rec = record()
    return dict(phase=(rec or {}).get('phase'),
                computes=dict((name, '%s %s' % (host.get('status'), host.get('version') or ''))
                              for name, host in sorted(((rec or {}).get('hosts') or {}).items())),
                agents=dict((c, agent_version(c)) for c in COMPUTES))


def inventory_with(tmp, host_vars=None, drop_group=None):
    """A copy of the lab inventory with host variables added or a group removed."""
    hosts = yaml.safe_load(open(os.path.join(ROOT, 'inventories/lab/hosts.yml')))
    if drop_group:
        del hosts['all']['children'][drop_group]
    path = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(path, 'hosts.yml'), 'w') as handle:
        yaml.safe_dump(hosts, handle)
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), os.path.join(path, 'group_vars'))
    if host_vars:
        os.mkdir(os.path.join(path, 'host_vars'))
        for host, values in host_vars.items():
            with open(os.path.join(path, 'host_vars', host + '.yml'), 'w') as handle:
                yaml.safe_dump(values, handle)
    return path


def forget_pre_stage():
    """A compute phase that stopped at its pre-stage: the computes' apt as the lab made it."""
    for compute in COMPUTES:
        sh('podman', 'exec', compute, 'sh', '-c',
           'rm -f /etc/apt/sources.list.d/contrail-issu.list && apt-get clean')


# -- the scenarios: each returns (held, details) -----------------------------------------------

def missing_group(tmp):
    rc, out = playbook('issu_start.yml', inventory=inventory_with(tmp, drop_group='issu_task'),
                       log='missing_group')
    saw = operator_saw(out)
    return rc != 0 and 'issu_task' in saw and record() is None, saw


def same_version(_tmp):
    rc, out = playbook('issu_start.yml', {'issu_v2_version': V1}, log='same_version')
    saw = operator_saw(out)
    return rc != 0 and 'equals the current one' in saw and record() is None, saw


def wrong_v2_api(_tmp):
    api = {'api_server_host': '10.99.0.21', 'api_server_port': 1, 'api_retries': 0}
    rc, out = playbook('issu_start.yml', {'issu_v2_api': api}, log='wrong_v2_api')
    saw = operator_saw(out)
    return rc != 0 and record() is None, saw


def start(_tmp):
    rc, out = playbook('issu_start.yml')
    return rc == 0 and record()['phase'] == 'started', operator_saw(out) if rc else 'started'


def prestage_fails(tmp):
    inventory = inventory_with(tmp, host_vars={'lab-compute2': {
        'vrouter_packages': ['contrail-vrouter-agent', 'contrail-no-such-package']}})
    rc, out = playbook('issu_upgrade_computes.yml', inventory=inventory, log='prestage_fails')
    forget_pre_stage()
    hosts = record()['hosts']
    held = (rc != 0 and hosts.get('lab-compute2', {}).get('status') == 'failed'
            and all(agent_version(c) == V1 for c in COMPUTES))
    return held, operator_saw(out)


def unanswered(tmp):
    # The frozen compute's limit only: the others' pre-stages (downloads) take their time.
    inventory = inventory_with(tmp, host_vars={'lab-compute3': {'vrouter_prestage_timeout': 5}})
    sh('podman', 'pause', 'lab-compute3')
    began = time.time()
    try:
        rc, out = playbook('issu_upgrade_computes.yml', inventory=inventory, log='unanswered')
    finally:
        sh('podman', 'unpause', 'lab-compute3')
        forget_pre_stage()
    took = time.time() - began
    hosts = record()['hosts']
    held = rc != 0 and hosts.get('lab-compute3', {}).get('status') == 'failed' and \
        all(agent_version(c) == V1 for c in COMPUTES)
    return held, '%s (the phase ended after %.1f s)' % (operator_saw(out), took)


def dead_agent(tmp):
    out_dir = os.path.join(tmp, 'broken')
    sh('sh', 'lab/packages/build.sh', '--out', out_dir, '--broken=agent')
    sh('podman', 'exec', 'lab-compute2', 'mkdir', '-p', '/srv/broken')
    sh('podman', 'cp', os.path.join(out_dir, '4.0') + '/.', 'lab-compute2:/srv/broken')
    sh('podman', 'exec', 'lab-compute2', 'sh', '-c', 'echo "deb [trusted=yes] copy:/srv/broken ./" '
       '>/etc/apt/sources.list.d/broken.list && apt-get update -qq')
    inventory = inventory_with(tmp, host_vars={'lab-compute2': {'issu_v2_version': BROKEN}})
    try:
        rc, out = playbook('issu_upgrade_computes.yml', {'issu_serial': [2, 1]},
                           inventory=inventory, log='dead_agent')
    finally:
        sh('podman', 'exec', 'lab-compute2', 'sh', '-c',
           'rm -rf /etc/apt/sources.list.d/broken.list /srv/broken && apt-get update -qq')
    hosts = record()['hosts']
    swap = swap_seconds(hosts.get('lab-compute2', {}))
    held = (rc != 0 and hosts['lab-compute2']['status'] == 'failed'
            and agent_version('lab-compute2') == V1 and agent_version('lab-compute1') == V2
            and agent_version('lab-compute3') == V1)
    return held, '%s (lab-compute2 upgrading until back on v1: %.1f s)' % (operator_saw(out), swap)


def killed_mid_swap(_tmp):
    proc = subprocess.Popen(['ansible-playbook', '-i', 'inventories/lab',
                             'playbooks/issu_upgrade_computes.yml'], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    victim, deadline = None, time.time() + 600
    while victim is None and time.time() < deadline and proc.poll() is None:
        hosts = (record() or {}).get('hosts') or {}
        victim = next((n for n in ('lab-compute2', 'lab-compute3')
                       if hosts.get(n, {}).get('status') == 'upgrading'), None)
        time.sleep(0.3)
    if victim is None:
        proc.wait()
        return False, 'no compute was seen upgrading (rc=%s)' % proc.returncode
    time.sleep(2.0)                      # into the swap: packages installing or the outage
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = agent_version(victim)
    rc, out = playbook('issu_upgrade_computes.yml', log='killed_mid_swap')
    hosts = record()['hosts']
    held = rc == 0 and all(hosts[c]['status'] == 'v2' and agent_version(c) == V2 for c in COMPUTES)
    return held, ('killed while %s was upgrading (its agent package then %s); the re-run %s: %s'
                  % (victim, killed_at, 'completed' if rc == 0 else 'FAILED',
                     swap_windows_text(hosts.get(victim, {}))))


def forced_finalize(_tmp):
    rc, out = playbook('issu_rollback_computes.yml', {'issu_computes': ['lab-compute1']},
                       log='forced_finalize')
    if rc != 0:
        return False, 'the rollback of lab-compute1 failed: %s' % operator_saw(out)
    rc, out = playbook('issu_finalize.yml', {'issu_finalize_confirm': True, 'issu_force': True},
                       log='forced_finalize')
    warning = re.findall(r'WARNING: issu_force[^"]*', out)
    _rc, report = playbook('issu_report.yml', log='forced_finalize')
    listed = 'Left on v1 by a forced finalize' in report
    moved, _out = playbook('issu_upgrade_computes.yml', log='forced_finalize')
    held = rc == 0 and warning and listed and moved == 0 and agent_version('lab-compute1') == V2
    return held, '%s | report lists it: %s | compute phase after finalize: %s' % (
        warning[-1] if warning else operator_saw(out), listed, 'moved it to v2' if moved == 0 else 'FAILED')


SCENARIOS = [missing_group, same_version, wrong_v2_api, start, prestage_fails, unanswered,
             dead_agent, killed_mid_swap, forced_finalize]


# -- helpers on the record ----------------------------------------------------------------------

def _stamp(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def swap_seconds(host):
    """From the last 'upgrading' to the entry after it (back on v1 or on v2)."""
    history = host.get('history') or []
    for index in range(len(history) - 1, -1, -1):
        if history[index]['status'] == 'upgrading' and index + 1 < len(history):
            return _stamp(history[-1]['at']) - _stamp(history[index]['at'])
    return float('nan')


def swap_windows_text(host):
    history = host.get('history') or []
    return ' -> '.join(step['status'] for step in history)


def main(argv=None):
    global LOG_DIR  # pylint: disable=global-statement
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keep', action='store_true', help='leave the lab up at the end')
    parser.add_argument('--only', nargs='*', help='run these scenarios (and start) only')
    parser.add_argument('--logs', help='keep each playbook run\'s output in this directory')
    args = parser.parse_args(argv)
    LOG_DIR = args.logs
    if LOG_DIR:
        os.makedirs(LOG_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='issu-faults-')
    sh(sys.executable, 'lab/labctl', 'down')
    sh(sys.executable, 'lab/labctl', 'up')
    traffic = lab_traffic.Traffic(duration=3600, count=50000)
    results = []
    try:
        for scenario in SCENARIOS:
            if args.only and scenario.__name__ not in args.only and scenario is not start:
                continue
            began = time.time()
            try:
                held, saw = scenario(tmp)
            except Exception as exc:  # pylint: disable=broad-except
                held, saw = False, 'the scenario itself failed: %s' % exc
            results.append(dict(scenario=scenario.__name__, held=bool(held),
                                seconds=round(time.time() - began, 1), operator_saw=saw,
                                end_state=end_state(), began=began, ended=time.time()))
            print(json.dumps(dict((k, v) for k, v in results[-1].items()
                                  if k not in ('began', 'ended'))), flush=True)
    finally:
        summary, probed = traffic.stop()
        serving = V2_API if (record() or {}).get('phase') == 'finalized' else V1_API
        verified = traffic.workload.verify(serving)
        gaps = {}
        for result in results:
            during = [o for o in probed.get('outages', [])
                      if result['began'] <= o['start'] <= result['ended']]
            worst = max(during, key=lambda o: o['seconds'], default=None)
            gaps[result['scenario']] = ('%.2f s (%s -> VM %s)' % (worst['seconds'], worst['compute'],
                                                                    worst['vm']) if worst else 'none')
        print(json.dumps(dict(
            scenarios_held='%d/%d' % (sum(r['held'] for r in results), len(results)),
            northbound=dict(acked=summary['acked'], refused=summary.get('refused'),
                            serving=serving, acked_writes_missing=verified.get('missing', verified)
                            if not verified['passed'] else 0),
            longest_route_gap_per_scenario=gaps)), flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            sh(sys.executable, 'lab/labctl', 'down', check=False)
    return 0 if results and all(r['held'] for r in results) and verified['passed'] else 1


if __name__ == '__main__':
    sys.exit(main())
