"""The ISSU scenarios end to end on a fresh rehearsal lab, with the northbound workload and the
data-plane probe running for each scenario's whole length.

molecule drives the phase playbooks (converge), checks idempotence and verifies the end state
with testinfra; this test drives molecule step by step so that the workload and the probe run
around it, then asserts:

* every acknowledged northbound write is present in the cluster that serves northbound at the
  end (v2 after finalize, v1 otherwise);
* no compute lacked a route to a VM on another compute outside a swap window: its own, or the
  other compute's, whose VMs are unreachable while that vRouter restarts.
"""
import datetime
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'lab', 'tools'))
sys.path.insert(0, os.path.join(ROOT, 'molecule', 'shared'))

import labtls  # noqa: E402
import state_record as lab_record  # noqa: E402
import traffic as lab_traffic  # noqa: E402

pytestmark = pytest.mark.lab

VIP = '10.99.0.5'
V1_API, V2_API = 'http://10.99.0.11:8082', 'http://10.99.0.21:8082'
#: Sampling interval of the probe, and the slack allowed around a swap window for it.
PROBE_INTERVAL = 0.2
MARGIN = 1.0


def run(cmd, timeout=1500, check=True):
    """stdout of cmd; with check=False, (returncode, stdout)."""
    env = dict(os.environ, PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'],
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if not check:
        return proc.returncode, proc.stdout
    tail = (proc.stdout + proc.stderr)[-20000:]
    assert proc.returncode == 0, '%s failed (rc=%s):\n%s' % (' '.join(cmd), proc.returncode, tail)
    return proc.stdout


def molecule(step, scenario):
    return run(['molecule', step, '-s', scenario])


def fresh_lab(scenario):
    """molecule destroy (also resets molecule's own instance state), then create: a new lab."""
    molecule('destroy', scenario)
    molecule('create', scenario)


def playbook_changes(playbook, extra=None):
    """Run a phase playbook on the lab; return {host: changed count} from its recap."""
    cmd = ['ansible-playbook', '-i', 'inventories/lab', 'playbooks/%s' % playbook]
    if extra:
        cmd += ['-e', json.dumps(extra)]
    recap = run(cmd).split('PLAY RECAP', 1)[1]
    return dict((m.group(1), int(m.group(2))) for m in re.finditer(r'^(\S+)\s*:.*changed=(\d+)', recap, re.M))


def epoch(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def state_record():
    return json.loads(run(['podman', 'exec', lab_record.TASK_HOST] + lab_record.command()))


def swap_windows(record):
    """{compute: [(start, end)]}: from 'upgrading' or 'rolling_back' until the next status."""
    windows = {}
    for name, host in record.get('hosts', {}).items():
        history = host.get('history', [])
        for index, step in enumerate(history):
            if step['status'] in ('upgrading', 'rolling_back'):
                end = epoch(history[index + 1]['at']) if index + 1 < len(history) else float('inf')
                windows.setdefault(name, []).append((epoch(step['at']) - MARGIN, end + MARGIN))
    return windows


def outside_windows(outages, owners, windows):
    """Outages of a (compute, remote VM) pair not covered by either compute's swap windows."""
    def covered(compute, outage):
        return any(start <= outage['start'] and outage['end'] <= end for start, end in windows.get(compute, []))
    return [o for o in outages
            if not covered(o['compute'], o) and not covered(owners.get(o['vm']), o)]


@pytest.fixture
def traffic():
    """Workload through the VIP (neutron and contrail-api) and the probe on every agent."""
    state = {}

    def start(tls=False):
        """tls: the lab is a TLS lab; the workload writes HTTPS with a keystone token."""
        state['run'] = lab_traffic.Traffic(
            interval=PROBE_INTERVAL, api_url=labtls.api_url(VIP, tls),
            token=labtls.keystone_token() if tls else None, ca_file=labtls.CA_FILE if tls else None)
        state['workload'], state['probe'] = state['run'].workload, state['run'].probe

    def stop():
        return state['run'].stop()

    state['start'], state['stop'] = start, stop
    yield state
    if 'run' in state:
        state['run'].stop()


def check_traffic(traffic, serving_api, record):
    summary, probed = traffic['stop']()
    assert summary['acked'] > 50, summary
    verified = traffic['workload'].verify(serving_api)
    assert verified['passed'], 'acknowledged writes lost in %s: %s' % (serving_api, verified)
    assert probed['vms'] >= 6 and probed['samples'] > 10, probed
    stray = outside_windows(probed['outages'], traffic['probe'].owner, swap_windows(record))
    assert not stray, 'route gaps outside swap windows: %s' % stray[:10]
    return summary, probed


@pytest.fixture
def scenario_lab():
    """Each scenario's molecule create brings up a fresh lab; destroy removes it (unless LAB_KEEP)."""
    yield
    if not os.environ.get('LAB_KEEP'):
        run(['python3', 'lab/labctl', 'down'])


@pytest.mark.parametrize('scenario', [
    'default',          # 1 + 1 controllers; molecule also checks a re-run changes nothing
    'ha',               # 3 + 3 controllers (inventories/lab-ha) and TLS everywhere: HTTPS APIs
                        # with keystone, RabbitMQ over TLS (the variables of inventories/lab-tls)
])
def test_full_issu(scenario_lab, traffic, scenario):
    tls = scenario == 'ha'          # its molecule.yml sets LAB_TLS: the lab comes up with --tls
    fresh_lab(scenario)
    traffic['start'](tls=tls)
    molecule('converge', scenario)
    if scenario == 'default':
        molecule('idempotence', scenario)
    molecule('verify', scenario)
    record = state_record()
    summary, probed = check_traffic(traffic, labtls.api_url('10.99.0.21', tls), record)
    assert [w['note'] for w in record['northbound']['windows']] == ['start', 'finalize']
    assert summary['refused'] > 0, 'the workload never met a northbound freeze'
    print('\nfull ISSU (%s): %d writes acked, %d refused, freeze windows %s, max route gap %.2f s'
          % (scenario, summary['acked'], summary['refused'], [w['seconds'] for w in summary['freeze_windows']],
             probed['max_outage_seconds']))


@pytest.mark.parametrize('scenario, rerun, extra, serving', [
    ('abort', 'issu_abort.yml', None, V1_API),
    # a compute phase killed mid-batch and re-run, then a finalize failed past its point of no
    # return (northbound kept frozen) and re-run
    ('resume', 'issu_finalize.yml', {'issu_finalize_confirm': True}, V2_API),
])
def test_scenario_rerun(scenario_lab, traffic, scenario, rerun, extra, serving):
    """Scenarios with an abort or an interruption; re-running their last phase changes nothing.
    (The rollback scenario is the first half of the failed swap's test below.)"""
    fresh_lab(scenario)
    traffic['start']()
    molecule('converge', scenario)
    molecule('verify', scenario)
    assert not any(playbook_changes(rerun, extra).values())
    check_traffic(traffic, serving, state_record())


V1_BUILD, BROKEN_BUILD = '3.2.14.0-37', '4.0.3.0-63'


def agent_version(compute):
    return run(['podman', 'exec', compute, 'dpkg-query', '-W', '-f', '${Version}',
                'contrail-vrouter-agent']).strip()


def functional(compute):
    """Whether the agent reports NodeStatus Functional (introspect 8085) within 60 s."""
    code, out = run(['ansible', '-i', 'inventories/lab', compute, '-m', 'opencontrail.issu.node_status_info',
                     '-a', json.dumps({'host': '127.0.0.1', 'port': 8085, 'functional': True,
                                       'wait': True, 'wait_timeout': 60})], check=False)
    return code == 0 or out


def test_a_rollback_then_a_failed_swap_rolled_back_that_halts_its_batch(scenario_lab, traffic, tmp_path):
    """The rollback scenario: two computes upgraded, then rolled back to v1 (re-running the
    rollback changes nothing). Then, on the same ISSU, the operator upgrades again and one
    compute of the first batch gets the lab's broken v2 build (its agent dies at start): it is
    rolled back to v1 and Functional, the phase halts (issu_max_fail_percentage 0) with the
    batch's other compute on v2 and the next batch untouched, the record and the report say so;
    once the package is fixed a re-run completes. One lab for both: a fresh lab and start cost
    CI minutes, and upgrading computes that were rolled back is what an operator does next."""
    rolled_back = ['lab-compute1', 'lab-compute2']
    fresh_lab('rollback')
    traffic['start']()
    molecule('converge', 'rollback')
    molecule('verify', 'rollback')
    assert not any(playbook_changes('issu_rollback_computes.yml', {'issu_computes': rolled_back}).values())
    assert [state_record()['hosts'][name]['status'] for name in rolled_back] == ['v1', 'v1']

    # The broken build as a repository on lab-compute2, which an inventory sends there (copy:
    # puts its packages in apt's cache as a download from a mirror would; file: uses them in place).
    out = tmp_path / 'broken'
    run(['sh', 'lab/packages/build.sh', '--out', str(out), '--broken=agent'], timeout=600)
    run(['podman', 'exec', 'lab-compute2', 'mkdir', '-p', '/srv/broken'])
    run(['podman', 'cp', str(out / '4.0') + '/.', 'lab-compute2:/srv/broken'])
    run(['podman', 'exec', 'lab-compute2', 'sh', '-c', 'echo "deb [trusted=yes] copy:/srv/broken ./"'
         ' >/etc/apt/sources.list.d/broken.list && apt-get update -qq'])
    inventory = tmp_path / 'inventory'
    (inventory / 'host_vars').mkdir(parents=True)
    os.symlink(os.path.join(ROOT, 'inventories/lab/hosts.yml'), str(inventory / 'hosts.yml'))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    (inventory / 'host_vars' / 'lab-compute2.yml').write_text('issu_v2_version: %s\n' % BROKEN_BUILD)

    batches = '{"issu_serial": [2, 1]}'        # lab-compute1 + lab-compute2, then lab-compute3
    code, output = run(['ansible-playbook', '-i', str(inventory), 'playbooks/issu_upgrade_computes.yml',
                        '-e', batches], check=False)
    assert code != 0, output[-5000:]
    assert re.search(r'The upgrade of lab-compute2 failed at \S+ and it was rolled back to %s'
                     % re.escape(V1_BUILD), output), output[-5000:]
    hosts = state_record()['hosts']
    assert hosts['lab-compute1']['status'] == 'v2', hosts
    assert hosts['lab-compute2']['status'] == 'failed' and hosts['lab-compute2']['version'] == V1_BUILD
    assert hosts['lab-compute2']['error'], hosts['lab-compute2']
    assert [h['status'] for h in hosts['lab-compute2']['history']][-3:] == ['upgrading', 'rolling_back',
                                                                            'failed']
    assert hosts.get('lab-compute3', {}).get('status') in (None, 'v1'), hosts.get('lab-compute3')
    assert (agent_version('lab-compute1'), agent_version('lab-compute2'), agent_version('lab-compute3')) \
        == ('4.0.3.0-62', V1_BUILD, V1_BUILD)
    assert functional('lab-compute2') is True
    assert run(['podman', 'exec', 'lab-compute3', 'test', '!', '-e',
                '/etc/ansible/facts.d/contrail_issu.fact']) == ''       # never touched
    report = run(['ansible-playbook', '-i', 'inventories/lab', 'playbooks/issu_report.yml'])
    assert re.search(r'lab-compute2\s+failed\s+%s.*ERROR: ' % re.escape(V1_BUILD), report), report

    # The package fixed (the inventory's v2 build for every compute): the re-run completes.
    run(['podman', 'exec', 'lab-compute2', 'rm', '-rf', '/etc/apt/sources.list.d/broken.list', '/srv/broken'])
    run(['ansible-playbook', '-i', 'inventories/lab', 'playbooks/issu_upgrade_computes.yml', '-e', batches])
    record = state_record()
    assert dict((n, h['status']) for n, h in record['hosts'].items()) == dict(
        ('lab-compute%d' % n, 'v2') for n in (1, 2, 3)), record['hosts']
    assert all(agent_version('lab-compute%d' % n) == '4.0.3.0-62' for n in (1, 2, 3))
    check_traffic(traffic, V1_API, record)
