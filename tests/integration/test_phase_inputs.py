# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phase playbooks check the inventory and the inputs they depend on before anything changes
(issue 14), run by ansible-playbook on localhost aliases (connection local): no lab needed.

* A missing inventory group (issu_task, contrail_v2_controllers, contrail_computes, ...) used to
  end in raw Jinja errors (``object of type 'dict' has no attribute 'issu_task'``, ``can only
  concatenate list (not "UndefinedMarker") to list``), and ``issu_start.yml`` without v2
  controllers recorded ``starting`` and took a backup first. Each phase playbook now refuses with
  the collection's message in its first play, before any other task.
* Start no longer trusts that preflight ran: versions equal, or a config API that does not
  answer, stop it before it records ``starting``. The compute phase refuses a target equal to v1.
* A forced finalize (``issu_force``) records the computes it leaves on v1 and says so loudly; the
  report lists them.

The checks run no module on a node, so nothing here needs Contrail: a task that would change
something shows up as a ``TASK [`` line beyond the checks, and the state record (``state_path``,
in a temp dir) must not exist.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / 'molecule' / 'shared'))
import state_record  # noqa: E402  (the record read whole, each compute's entry included)
V1_VERSION, V2_VERSION = '3.2.14.0-37', '4.0.3.0-62'

#: group -> {host: contrail_host_ip}
GROUPS = {
    'contrail_v1_controllers': {'v1ctl': '10.0.0.11'},
    'contrail_v2_controllers': {'v2ctl': '10.0.0.21'},
    'contrail_computes': {'cmp1': '10.0.0.101', 'cmp2': '10.0.0.102'},
    'openstack_haproxy': {'hap': '10.0.0.5'},
    'issu_task': {'v2ctl': None},
}

#: playbook -> the groups it depends on
PHASE_GROUPS = {
    'issu_preflight.yml': sorted(GROUPS),
    'issu_start.yml': ['contrail_v1_controllers', 'contrail_v2_controllers', 'issu_task', 'openstack_haproxy'],
    'issu_upgrade_computes.yml': ['contrail_computes', 'contrail_v2_controllers', 'issu_task'],
    'issu_rollback_computes.yml': ['contrail_computes', 'issu_task'],
    'issu_finalize.yml': sorted(GROUPS),
    'issu_abort.yml': sorted(GROUPS),
    'issu_report.yml': ['issu_task'],
    'issu_plan.yml': ['contrail_computes', 'issu_task'],
}

#: What a template crashing on a missing group or variable prints.
RAW_ERRORS = ('has no attribute', 'UndefinedMarker', 'is undefined', "can only concatenate",
              'Error while resolving value', 'template error')


def _inventory(tmp_path, groups=None, **variables):
    groups = GROUPS if groups is None else groups
    children = {}
    for name, hosts in groups.items():
        children[name] = {'hosts': {host: ({'contrail_host_ip': ip} if ip else None)
                                    for host, ip in hosts.items()}}
    all_vars = {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'issu_v1_version': V1_VERSION, 'issu_v2_version': V2_VERSION, 'issu_asn': 64512,
        # Nothing listens on these ports: an API read fails at once (no retries).
        'issu_v1_api': {'api_server_host': '127.0.0.1', 'api_server_port': 2, 'api_retries': 0},
        'issu_v2_api': {'api_server_host': '127.0.0.1', 'api_server_port': 1, 'api_retries': 0},
    }
    all_vars.update(variables)
    path = tmp_path / 'inventory.yml'
    path.write_text(json.dumps({'all': {'vars': all_vars, 'children': children}}))
    return path


def _run(collections_path, tmp_path, playbook, inventory, *extra, limit=None):
    state = tmp_path / 'state.json'
    cmd = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
           str(REPO_ROOT / 'playbooks' / playbook) if not os.path.isabs(playbook) else playbook,
           '-e', json.dumps({'state_path': str(state)})]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    cmd += ['--limit', limit] if limit else []
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
                   ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_DEPRECATION_WARNINGS='0', ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_HOST_KEY_CHECKING='0')
    return subprocess.run(cmd, env=environ, capture_output=True, text=True, check=False,
                          timeout=300, cwd=str(tmp_path))


def _tasks(stdout):
    return re.findall(r'^TASK \[(.*?)\] \**$', stdout, re.M)


def _write_state(tmp_path, phase, hosts=None, steps=None):
    record = {'version': 1, 'phase': phase, 'history': [], 'hosts': hosts or {}, 'steps': steps or {},
              'northbound': {'state': 'open', 'since': None, 'windows': []}}
    (tmp_path / 'state.json').write_text(json.dumps(record))


def _assert_refused_by_the_inventory_check(run, tmp_path, *expected):
    text = run.stdout + run.stderr
    assert run.returncode != 0, text[-3000:]
    assert 'Inventory problem(s), nothing was changed: ' in run.stdout, text[-3000:]
    for message in expected:
        assert message in run.stdout, (message, text[-3000:])
    for raw in RAW_ERRORS:
        assert raw not in text, (raw, text[-3000:])
    # the include, the settings check, the inventory check: nothing else ran
    assert len(_tasks(run.stdout)) == 3, _tasks(run.stdout)
    assert not (tmp_path / 'state.json').exists()


# -- 4. missing inventory groups --------------------------------------------------------------

@pytest.mark.parametrize('playbook, group', [(playbook, group) for playbook, groups in sorted(PHASE_GROUPS.items())
                                             for group in groups])
def test_a_missing_group_is_refused_before_anything_runs(collections_path, tmp_path, playbook, group):
    groups = {name: hosts for name, hosts in GROUPS.items() if name != group}
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, groups), {'issu_finalize_confirm': True})
    _assert_refused_by_the_inventory_check(run, tmp_path, 'inventory group %s is missing or empty' % group)


@pytest.mark.parametrize('playbook', sorted(PHASE_GROUPS))
def test_an_empty_group_is_refused(collections_path, tmp_path, playbook):
    group = PHASE_GROUPS[playbook][-1]
    groups = dict(GROUPS, **{group: {}})
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, groups))
    _assert_refused_by_the_inventory_check(run, tmp_path, 'inventory group %s is missing or empty' % group)


@pytest.mark.parametrize('playbook', sorted(PHASE_GROUPS))
def test_an_empty_inventory_is_refused(collections_path, tmp_path, playbook):
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, {}))
    _assert_refused_by_the_inventory_check(run, tmp_path, 'inventory group issu_task is missing or empty')


@pytest.mark.parametrize('playbook', sorted(PHASE_GROUPS))
def test_issu_task_must_be_one_host(collections_path, tmp_path, playbook):
    groups = dict(GROUPS, issu_task={'v2ctl': None, 'v1ctl': None})
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, groups))
    _assert_refused_by_the_inventory_check(run, tmp_path, 'inventory group issu_task must hold exactly one host')


@pytest.mark.parametrize('playbook', sorted(p for p, groups in PHASE_GROUPS.items() if 'contrail_computes' in groups))
def test_a_compute_without_an_address_is_refused(collections_path, tmp_path, playbook):
    groups = dict(GROUPS, contrail_computes={'cmp1': '10.0.0.101', 'cmp2': None})
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, groups))
    _assert_refused_by_the_inventory_check(run, tmp_path, 'host cmp2 (contrail_computes) has no contrail_host_ip')


@pytest.mark.parametrize('playbook', ['issu_upgrade_computes.yml', 'issu_rollback_computes.yml'])
def test_a_limit_does_not_skip_the_inventory_check(collections_path, tmp_path, playbook):
    groups = {name: hosts for name, hosts in GROUPS.items() if name != 'issu_task'}
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path, groups), limit='cmp1')
    _assert_refused_by_the_inventory_check(run, tmp_path, 'inventory group issu_task is missing or empty')


def test_the_report_needs_only_issu_task(collections_path, tmp_path):
    run = _run(collections_path, tmp_path, 'issu_report.yml',
               _inventory(tmp_path, {'issu_task': {'v2ctl': None}}))
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'ISSU phase: new' in run.stdout


# -- 5. start and the compute phase check their inputs -----------------------------------------

def _assert_start_refused_before_starting(run, tmp_path, *expected):
    text = run.stdout + run.stderr
    assert run.returncode != 0, text[-3000:]
    assert "problem(s) with the ISSU's inputs, nothing was changed: " in run.stdout, text[-3000:]
    for message in expected:
        assert message in run.stdout, (message, text[-3000:])
    tasks = _tasks(run.stdout)
    assert tasks[-1] == 'opencontrail.issu.preflight : Refuse to go on with wrong inputs', tasks
    # read the phase, then the input checks: no 'starting', backup, hold, peering, freeze
    assert not [task for task in tasks if task.startswith(('opencontrail.issu.config_sync', 'opencontrail.issu.bgp_peering',
                                                           'opencontrail.issu.northbound', 'Start the ISSU'))], tasks
    assert not (tmp_path / 'state.json').exists()


def test_start_refuses_a_target_equal_to_the_current_version(collections_path, tmp_path):
    run = _run(collections_path, tmp_path, 'issu_start.yml', _inventory(tmp_path), {'issu_v2_version': V1_VERSION})
    _assert_start_refused_before_starting(
        run, tmp_path, 'the target version %s equals the current one' % V1_VERSION)


def test_start_refuses_unset_versions_and_a_bad_asn(collections_path, tmp_path):
    inventory = _inventory(tmp_path, issu_asn='65x')
    run = _run(collections_path, tmp_path, 'issu_start.yml', inventory, {'issu_v2_version': ''})
    _assert_start_refused_before_starting(
        run, tmp_path, 'set issu_v1_version and issu_v2_version', 'issu_asn must be an AS number')


def test_start_refuses_an_unreachable_api(collections_path, tmp_path):
    run = _run(collections_path, tmp_path, 'issu_start.yml', _inventory(tmp_path))
    _assert_start_refused_before_starting(
        run, tmp_path, 'API: Contrail config API http://127.0.0.1:1', 'cannot connect')


def test_start_refuses_the_same_api_for_v1_and_v2(collections_path, tmp_path):
    same = {'api_server_host': '127.0.0.1', 'api_server_port': 1, 'api_retries': 0}
    run = _run(collections_path, tmp_path, 'issu_start.yml', _inventory(tmp_path, issu_v1_api=same, issu_v2_api=same))
    _assert_start_refused_before_starting(run, tmp_path, 'issu_v1_api and issu_v2_api name the same API')


def test_a_completed_start_is_not_rechecked(collections_path, tmp_path):
    # After start (or finalize, when v1's API is gone) a re-run changes nothing and reads no API.
    _write_state(tmp_path, 'started')
    run = _run(collections_path, tmp_path, 'issu_start.yml', _inventory(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'Read both config APIs' not in run.stdout


@pytest.mark.parametrize('playbook', ['issu_upgrade_computes.yml'])
def test_the_compute_phase_refuses_a_target_equal_to_the_current_version(collections_path, tmp_path, playbook):
    _write_state(tmp_path, 'started')
    before = state_record.read(str(tmp_path / 'state.json'))
    run = _run(collections_path, tmp_path, playbook, _inventory(tmp_path), {'issu_v2_version': V1_VERSION})
    text = run.stdout + run.stderr
    assert run.returncode != 0, text[-3000:]
    assert 'the target version %s equals the current one' % V1_VERSION in run.stdout, text[-3000:]
    tasks = _tasks(run.stdout)
    assert tasks[-1] == 'opencontrail.issu.preflight : Refuse to go on with wrong inputs', tasks
    assert not [task for task in tasks if task.startswith('opencontrail.issu.vrouter')], tasks
    assert 'Read both config APIs' not in run.stdout or 'skipping' in run.stdout
    assert state_record.read(str(tmp_path / 'state.json')) == before


# -- 6. a forced finalize leaves no compute behind silently ------------------------------------

GATE_PLAYBOOK = [{
    'hosts': 'issu_task', 'gather_facts': False,
    'tasks': [
        {'name': 'Read the record', 'ansible.builtin.include_role': {'name': 'opencontrail.issu.state'},
         'vars': {'state_operation': 'finalize'}},
        {'name': 'The gate', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.finalize', 'tasks_from': 'gate.yml'},
         'vars': {'finalize_confirm': True, 'finalize_force': True,
                  # nothing to stop on localhost: keep service_facts out of the way
                  'finalize_v1_services': []}},
    ],
}]


def test_a_forced_finalize_records_and_announces_the_computes_it_leaves(collections_path, tmp_path):
    # A resumed finalize past its milestones: the gate's record-based check, then what it does
    # when forced (the introspect check runs only in phase started, that is for the lab tests).
    _write_state(tmp_path, 'finalizing', steps={'synced': 'x', 'switched': 'x'},
                 hosts={'cmp1': {'status': 'v2', 'version': V2_VERSION},
                        'cmp2': {'status': 'failed', 'version': V1_VERSION, 'error': 'swap failed'}})
    groups = dict(GROUPS, contrail_computes={'cmp1': '10.0.0.101', 'cmp2': '10.0.0.102', 'cmp3': '10.0.0.103'})
    playbook = tmp_path / 'gate.yml'
    playbook.write_text(json.dumps(GATE_PLAYBOOK))
    run = _run(collections_path, tmp_path, str(playbook), _inventory(tmp_path, groups))
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    warning = re.search(r'^changed: \[v2ctl\] => \{\n\s+"msg": "(WARNING: issu_force[^"]*)"', run.stdout, re.M)
    assert warning, run.stdout[-3000:]
    assert 'cmp2, cmp3' in warning.group(1)
    assert 'routes age out' in warning.group(1)
    hosts = state_record.read(str(tmp_path / 'state.json'))['hosts']
    assert hosts['cmp1'] == {'status': 'v2', 'version': V2_VERSION}
    assert hosts['cmp2']['status'] == 'failed' and hosts['cmp2']['left_on_v1'].startswith('left on v1 by a forced')
    assert hosts['cmp3']['status'] == 'v1' and 'left_on_v1' in hosts['cmp3']

    # The end of the finalize playbook says it again (from the record), changed, and the
    # report keeps them visible.
    state = state_record.read(str(tmp_path / 'state.json'))
    state['phase'] = 'finalized'
    (tmp_path / 'state.json').write_text(state_record.write_inline(state))
    inventory = _inventory(tmp_path, groups)
    run = _run(collections_path, tmp_path, 'issu_finalize.yml', inventory)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert _tasks(run.stdout)[-1] == 'Warn about the computes a forced finalize left on v1'
    assert re.search(r'^changed: \[v2ctl\] => \{\n\s+"msg": "WARNING: issu_force - finalize left 2 '
                     r'compute\(s\) on v1: cmp2, cmp3\.', run.stdout, re.M), run.stdout[-3000:]
    assert re.search(r'^v2ctl\s+: ok=\d+\s+changed=1 ', run.stdout, re.M), run.stdout[-1000:]
    report = _run(collections_path, tmp_path, 'issu_report.yml', inventory)
    assert report.returncode == 0, report.stdout[-3000:]
    assert 'Left on v1 by a forced finalize (issu_force) - WITHOUT A CONTROL PLANE' in report.stdout
    assert re.search(r'"  cmp2\s+failed', report.stdout) and re.search(r'"  cmp3\s+v1', report.stdout), report.stdout
