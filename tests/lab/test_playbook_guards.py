"""The phase playbooks refuse bad input and out-of-order runs before anything changes."""
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us

pytestmark = pytest.mark.lab

from compute_fixtures import STATE, read_record  # noqa: E402  (the record read whole)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPUTES = ('lab-compute1', 'lab-compute2', 'lab-compute3')


def playbook(name, *extra, inventory='inventories/lab', limit=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    cmd = ['ansible-playbook', '-i', inventory, os.path.join('playbooks', name)]  # or an absolute path
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    cmd += ['--limit', limit] if limit else []
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def record_exists(lab):
    return lab.exec('lab-v2-ctrl1', 'test', '-e', STATE, check=False).returncode == 0


@pytest.fixture
def fresh_issu(lab):
    """No ISSU under way: the state record is absent (moved aside and restored if present)."""
    lab.exec('lab-v2-ctrl1', 'sh', '-c', 'test -e %s && mv %s %s.guards || true' % (STATE, STATE, STATE))
    yield
    lab.exec('lab-v2-ctrl1', 'sh', '-c', 'rm -f %s; test -e %s.guards && mv %s.guards %s || true'
             % (STATE, STATE, STATE, STATE))


@pytest.mark.parametrize('phase_playbook', ['issu_upgrade_computes.yml', 'issu_rollback_computes.yml',
                                            'issu_finalize.yml', 'issu_abort.yml'])
def test_out_of_order_phase_is_refused_and_names_the_next_playbook(lab, fresh_issu, phase_playbook):
    run = playbook(phase_playbook, {'issu_finalize_confirm': True})
    assert run.returncode != 0
    assert "but it is in phase 'new'" in run.stdout and 'playbooks/issu_start.yml' in run.stdout, run.stdout[-3000:]
    assert not record_exists(lab), 'a refused phase wrote the state record'


@pytest.mark.parametrize('phase_playbook', ['issu_upgrade_computes.yml', 'issu_rollback_computes.yml'])
def test_a_limit_without_issu_task_does_not_skip_the_phase_check(lab, fresh_issu, phase_playbook):
    run = playbook(phase_playbook, limit='lab-compute1')
    assert run.returncode != 0
    assert "but it is in phase 'new'" in run.stdout, run.stdout[-3000:]
    assert 'TASK [opencontrail.issu.vrouter' not in run.stdout     # no compute task ran
    assert not record_exists(lab)


def test_preflight_reports_every_bad_input_at_once(lab, fresh_issu):
    run = playbook('issu_preflight.yml',
                   {'issu_serial': [1, '0%']},
                   {'issu_asn': 65000},
                   {'issu_v2_version': '3.2.14.0-37'},
                   {'issu_v2_api': {'api_server_host': '10.99.0.21', 'api_server_port': 1, 'api_retries': 0}})
    assert run.returncode != 0
    text = run.stdout
    assert re.search(r'\d+ problem\(s\)', text), text[-3000:]
    for expected in ('issu_serial: invalid batch size', 'ASN mismatch: v1 uses another ASN than issu_asn=65000',
                     'the target version 3.2.14.0-37 equals the current one', 'cannot connect'):
        assert expected in text, (expected, text[-3000:])
    assert not record_exists(lab)


def test_preflight_reads_the_target_repository_without_adding_it(lab, fresh_issu):
    """Computes have only 3.2's apt source before the ISSU (as in production): preflight's
    repository check must read 4.0's (vrouter_apt_sources) without writing it."""
    for compute in COMPUTES:
        lab.exec(compute, 'rm', '-f', '/etc/apt/sources.list.d/contrail-issu.list')
    on_v1 = [c for c in COMPUTES if '3.2.14.0-37' in lab.exec(
        c, 'dpkg-query', '-W', '-f', '${Version}', 'contrail-vrouter-agent').stdout]
    assert on_v1, 'no compute on v1 to check'
    run = playbook('issu_preflight.yml')
    assert 'not in the configured repositories' not in run.stdout, run.stdout[-3000:]
    assert 'Check the target version is in the repositories' in run.stdout
    for compute in COMPUTES:
        listed = lab.exec(compute, 'ls', '/etc/apt/sources.list.d').stdout.split()
        assert listed == ['contrail.list'], (compute, listed)
    without = playbook('issu_preflight.yml', {'vrouter_apt_sources': []})
    assert without.returncode != 0
    for compute in on_v1:
        assert '%s: not in the configured repositories: contrail-' % compute in without.stdout, \
            without.stdout[-3000:]


def test_preflight_refuses_a_dpdk_compute_and_accepts_a_tsn(lab, fresh_issu):
    """A DPDK vRouter forwards without the kernel module the swap reloads: refused before
    anything, with the reason; a TSN runs the compute's agent and is upgraded like one."""
    conf = '/etc/contrail/contrail-vrouter-agent.conf'
    # The provisioned conf says platform=default, as 3.2's does
    marks = {'lab-compute1': 's/^platform *=.*/platform=dpdk/',
             'lab-compute2': 's/^platform *=.*/platform=default\\nagent_mode=tsn/'}
    for compute, edit in marks.items():
        lab.exec(compute, 'sh', '-c', 'cp -p %s %s.guards && sed -i "%s" %s' % (conf, conf, edit, conf))
    try:
        run = playbook('issu_preflight.yml')
    finally:
        for compute in marks:
            lab.exec(compute, 'mv', conf + '.guards', conf)
    assert run.returncode != 0
    assert re.search(r'lab-compute1: a DPDK vRouter \(platform=dpdk in %s\): it forwards without '
                     r'the vrouter kernel module' % re.escape(conf), run.stdout), run.stdout[-3000:]
    assert 'lab-compute2:' not in run.stdout.split('problem(s)')[-1], run.stdout[-3000:]
    assert not record_exists(lab)


def test_preflight_refuses_overlapping_v1_and_v2(lab, fresh_issu, tmp_path):
    hosts = open(os.path.join(ROOT, 'inventories/lab/hosts.yml')).read()
    overlapping = hosts.replace('contrail_host_ip: 10.99.0.21', 'contrail_host_ip: 10.99.0.11')
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(overlapping)
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    run = playbook('issu_preflight.yml', inventory=str(inventory))
    assert run.returncode != 0
    assert 'v1 and v2 controllers overlap: 10.99.0.11 is used by lab-v1-ctrl1' in run.stdout, run.stdout[-3000:]


def adhoc(module, args, host='lab-v2-ctrl1'):
    """Run one collection module on a lab host (ansible ad hoc)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    return subprocess.run(['ansible', '-i', 'inventories/lab', host, '-m', module, '-a', json.dumps(args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)


def test_preflight_accepts_the_services_a_failed_start_left_held(lab, fresh_issu):
    """A start that failed after holding v2's config services (the config nodemgr with them, as
    issu_process.sh does) is re-run from preflight: the held services must not be a problem."""
    adhoc('opencontrail.issu.config_service_hold', {'state': 'held'})
    try:
        run = playbook('issu_preflight.yml')
        assert 'contrail-config-nodemgr' not in run.stdout, run.stdout[-3000:]
        assert run.returncode == 0, run.stdout[-3000:]
    finally:
        adhoc('opencontrail.issu.config_service_hold', {'state': 'released'})


def test_wrong_credentials_are_reported(lab, fresh_issu):
    # The lab's v1 API accepts any caller (aaa_mode no-auth); point v1 at keystone auth with a
    # keystone that does not exist: the API read fails with a clear message, nothing changes.
    run = playbook('issu_preflight.yml', {'issu_v1_api': {
        'api_server_host': '10.99.0.11', 'auth_type': 'keystone', 'keystone_auth_url': 'http://10.99.0.5:1/v3',
        'username': 'admin', 'password': 'wrong-secret', 'api_retries': 0}})
    assert run.returncode != 0
    assert 'API: Contrail config API http://10.99.0.11:8082' in run.stdout, run.stdout[-3000:]
    assert 'wrong-secret' not in run.stdout


def test_finalize_refuses_while_agents_are_connected_to_v1(lab, fresh_issu):
    """The record can be wrong or incomplete (a compute missing from the inventory): the gate
    asks v1's control nodes over introspect and refuses before the freeze."""
    on_v2 = dict((name, {'status': 'v2', 'version': '4.0.3.0-62'})
                 for name in ('lab-compute1', 'lab-compute2', 'lab-compute3'))
    record = {'version': 1, 'phase': 'started', 'history': [], 'hosts': on_v2, 'steps': {},
              'northbound': {'state': 'open', 'since': None, 'windows': []}}
    lab.podman('exec', '-i', 'lab-v2-ctrl1', 'sh', '-c', 'mkdir -p %s && cat > %s'
               % (os.path.dirname(STATE), STATE), input_text=json.dumps(record))
    run = playbook('issu_finalize.yml', {'issu_finalize_confirm': True})
    assert run.returncode != 0
    assert "vRouter agent(s) are still connected to v1's control nodes" in run.stdout, run.stdout[-3000:]
    for name in on_v2:
        assert name in run.stdout
    assert 'Freeze northbound' not in run.stdout
    after = read_record(lab)
    assert after['phase'] == 'started' and after['northbound']['state'] == 'open'


def write_record(lab, phase, hosts=None, steps=None):
    record = {'version': 1, 'phase': phase, 'history': [], 'hosts': hosts or {}, 'steps': steps or {},
              'northbound': {'state': 'open', 'since': None, 'windows': []}}
    lab.podman('exec', '-i', 'lab-v2-ctrl1', 'sh', '-c', 'mkdir -p %s && cat > %s'
               % (os.path.dirname(STATE), STATE), input_text=json.dumps(record))
    return record


# Issue 14: the phase playbooks check what they depend on before their first change.

def lab_inventory_without(tmp_path, group):
    """A copy of the lab inventory without one group (its hosts stay in the other groups)."""
    hosts = yaml.safe_load(open(os.path.join(ROOT, 'inventories/lab/hosts.yml')))
    hosts['all']['children'].pop(group)
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(yaml.safe_dump(hosts))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    return str(inventory)


@pytest.mark.parametrize('group', ['contrail_v2_controllers', 'issu_task'])
def test_start_without_a_group_is_refused_before_anything(lab, fresh_issu, tmp_path, group):
    run = playbook('issu_start.yml', inventory=lab_inventory_without(tmp_path, group))
    assert run.returncode != 0
    assert 'Inventory problem(s), nothing was changed: inventory group %s is missing or empty' % group \
        in run.stdout, run.stdout[-3000:]
    assert "has no attribute" not in run.stdout + run.stderr
    assert 'opencontrail.issu.config_sync' not in run.stdout     # no backup, no hold
    assert not record_exists(lab)


def test_start_refuses_a_target_equal_to_the_current_version(lab, fresh_issu):
    run = playbook('issu_start.yml', {'issu_v2_version': '3.2.14.0-37'})
    assert run.returncode != 0
    assert 'the target version 3.2.14.0-37 equals the current one' in run.stdout, run.stdout[-3000:]
    for task in ('Start the ISSU', 'opencontrail.issu.config_sync', 'opencontrail.issu.bgp_peering',
                 'opencontrail.issu.northbound'):
        assert task not in run.stdout, task                      # no backup, hold, peering, freeze
    assert not record_exists(lab), 'a refused start recorded starting'


@pytest.mark.parametrize('extra, expected', [
    ({'issu_v2_api': {'api_server_host': '10.99.0.21', 'api_server_port': 1, 'api_retries': 0}},
     'API: Contrail config API http://10.99.0.21:1'),
    ({'issu_asn': 65000}, 'ASN mismatch: v1 uses another ASN than issu_asn=65000'),
])
def test_start_refuses_a_wrong_api_or_asn_before_anything(lab, fresh_issu, extra, expected):
    run = playbook('issu_start.yml', extra)
    assert run.returncode != 0
    assert "problem(s) with the ISSU's inputs, nothing was changed" in run.stdout, run.stdout[-3000:]
    assert expected in run.stdout, run.stdout[-3000:]
    for task in ('Start the ISSU', 'opencontrail.issu.config_sync', 'opencontrail.issu.bgp_peering'):
        assert task not in run.stdout, task
    assert not record_exists(lab)


def test_the_compute_phase_refuses_a_target_equal_to_the_current_version(lab, fresh_issu):
    record = write_record(lab, 'started')
    run = playbook('issu_upgrade_computes.yml', {'issu_v2_version': '3.2.14.0-37'})
    assert run.returncode != 0
    assert 'the target version 3.2.14.0-37 equals the current one' in run.stdout, run.stdout[-3000:]
    assert 'opencontrail.issu.vrouter' not in run.stdout        # no pre-stage, no swap
    assert read_record(lab) == record


FORCED_GATE = [{
    'hosts': 'issu_task', 'gather_facts': False,
    'tasks': [
        {'name': 'Read the record', 'ansible.builtin.include_role': {'name': 'opencontrail.issu.state'},
         'vars': {'state_operation': 'finalize'}},
        {'name': 'The gate, forced', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.finalize', 'tasks_from': 'gate.yml'},
         'vars': {'finalize_confirm': True, 'finalize_force': True}},
    ],
}]


def test_a_forced_finalize_records_the_agents_it_leaves_on_v1(lab, fresh_issu, tmp_path):
    """The gate alone (a whole forced finalize would decommission the lab's v1): the record says
    every compute is on v2, v1's introspect shows the agents still on v1. Forced, the gate goes
    on, records them as left on v1 (status v1) and says so in a task reported changed; the
    report lists them."""
    on_v2 = dict((name, {'status': 'v2', 'version': '4.0.3.0-62'})
                 for name in ('lab-compute1', 'lab-compute2', 'lab-compute3'))
    write_record(lab, 'started', hosts=on_v2)
    gate = tmp_path / 'gate.yml'
    gate.write_text(json.dumps(FORCED_GATE))
    run = playbook(str(gate))
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r'^changed: \[lab-v2-ctrl1\] => \{\n\s+"msg": "WARNING: issu_force', run.stdout, re.M), run.stdout[-3000:]
    hosts = read_record(lab)['hosts']
    for name in on_v2:
        assert hosts[name]['status'] == 'v1' and hosts[name]['left_on_v1'], hosts
    assert read_record(lab)['phase'] == 'started'
    report = playbook('issu_report.yml')
    assert 'Left on v1 by a forced finalize (issu_force) that has not passed its point of no return' \
        in report.stdout, report.stdout[-3000:]
    for name in on_v2:
        assert re.search(r'"  %s\s+v1' % name, report.stdout), report.stdout[-3000:]


def forget_pre_stage(lab):
    """The other computes' pre-stage did run: leave their apt as the lab made it, so the compute
    tests that follow pre-stage from an empty cache."""
    for compute in COMPUTES:
        lab.exec(compute, 'sh', '-c', 'rm -f /etc/apt/sources.list.d/contrail-issu.list && apt-get clean')


def assert_only_failed_at_pre_stage(lab, run, compute):
    """The phase stopped at the pre-stage of ``compute`` alone: no compute moved, and it is the
    only one recorded, failed -> its recorded error."""
    assert run.returncode != 0
    assert 'The pre-stage of %s failed; its vRouter was not changed' % compute in run.stdout, run.stdout[-3000:]
    assert 'Swap the vRouter to v2' not in run.stdout                 # no compute moved
    record = read_record(lab)
    assert record['hosts'][compute]['status'] == 'failed', record['hosts']
    assert set(record['hosts']) == {compute}
    return record['hosts'][compute]['error']


def test_a_compute_that_does_not_answer_is_recorded_and_does_not_hang_the_phase(
        lab, fresh_issu, tmp_path):
    """Issue 14 (7): a compute that cannot be reached dropped out of the play unrecorded, and a
    frozen one hung it; its pre-stage (one module run, issue 12) has a limit
    (vrouter_prestage_timeout) and a compute that does not answer is recorded failed and
    untouched, and no compute moves."""
    write_record(lab, 'started')
    hosts = yaml.safe_load(open(os.path.join(ROOT, 'inventories/lab/hosts.yml')))
    # the frozen compute's limit only: the others' pre-stages download within the default's
    hosts['all']['children']['contrail_computes']['hosts']['lab-compute2']['vrouter_prestage_timeout'] = 5
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(yaml.safe_dump(hosts))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    lab.podman('pause', 'lab-compute2')
    try:
        run = playbook('issu_upgrade_computes.yml', inventory=str(inventory))
    finally:
        lab.podman('unpause', 'lab-compute2')
        forget_pre_stage(lab)
    error = assert_only_failed_at_pre_stage(lab, run, 'lab-compute2')
    # podman refuses an exec into a paused container (unreachable); over SSH a frozen host
    # hangs the connection until the task's limit (vrouter_prestage_timeout)
    assert re.match(r'pre-stage: (unreachable|.*(expected time frame \(5\)|[Tt]imed out after 5 second))', error), error


def test_a_compute_whose_pre_stage_fails_is_recorded_and_stops_the_phase(lab, fresh_issu, tmp_path):
    """A pre-stage failure used to drop the compute out of the rolling play silently: the others
    were upgraded even with max_fail_percentage 0 and the record never listed it."""
    write_record(lab, 'started')
    hosts = yaml.safe_load(open(os.path.join(ROOT, 'inventories/lab/hosts.yml')))
    hosts['all']['children']['contrail_computes']['hosts']['lab-compute2']['vrouter_packages'] = \
        ['contrail-vrouter-agent', 'contrail-no-such-package']
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(yaml.safe_dump(hosts))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    try:
        run = playbook('issu_upgrade_computes.yml', inventory=str(inventory))
    finally:
        forget_pre_stage(lab)
    error = assert_only_failed_at_pre_stage(lab, run, 'lab-compute2')
    assert error.startswith('pre-stage:') and 'contrail-no-such-package' in error, error
