# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/issu_plan.yml end to end on localhost aliases (connection local): no lab, no
Contrail. Every check preflight makes fails here (no API, no introspect, no vRouter), and the
plan must still be made - listing those problems instead of failing - from the state record and
the batches, and write nothing but its JSON: no state record, no directory or lock beside it.

The nodes' addresses are in TEST-NET-1 (192.0.2.0/24, never routed): introspect reads fail or
time out; the APIs are on ports of 127.0.0.1 where nothing listens. The target's repository is
given (vrouter_apt_sources), so preflight's repository check reads it in a temporary copy and
never refreshes this machine's package lists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / 'molecule' / 'shared'))
import state_record  # noqa: E402  (the record read whole, each compute's entry included)
GROUPS = {
    'contrail_v1_controllers': {'v1ctl': '192.0.2.11'},
    'contrail_v2_controllers': {'v2ctl': '192.0.2.21'},
    'contrail_computes': {'cmp1': '192.0.2.101', 'cmp2': '192.0.2.102'},
    'openstack_haproxy': {'hap': '192.0.2.5'},
    'issu_task': {'v2ctl': None},
}


def run_plan(collections_path, tmp_path, *extra):
    children = dict((name, {'hosts': dict((host, {'contrail_host_ip': ip} if ip else None)
                                          for host, ip in hosts.items())})
                    for name, hosts in GROUPS.items())
    variables = {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'issu_v1_version': '3.2.14.0-37', 'issu_v2_version': '4.0.3.0-62', 'issu_asn': 64512,
        'issu_v1_api': {'api_server_host': '127.0.0.1', 'api_server_port': 2, 'api_retries': 0},
        'issu_v2_api': {'api_server_host': '127.0.0.1', 'api_server_port': 1, 'api_retries': 0},
        'vrouter_apt_sources': ['deb [trusted=yes] http://127.0.0.1:9/contrail ./'],
        'preflight_bgp_timeout': 1,
        'state_path': str(tmp_path / 'state' / 'state.json'),
        'issu_plan_path': str(tmp_path / 'plan.json'),
    }
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps({'all': {'vars': variables, 'children': children}}))
    cmd = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
           str(REPO_ROOT / 'playbooks' / 'issu_plan.yml')]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
                   ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_DEPRECATION_WARNINGS='0', ANSIBLE_LOCALHOST_WARNING='0')
    run = subprocess.run(cmd, env=environ, capture_output=True, text=True, check=False, timeout=600,
                         cwd=str(tmp_path))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return json.loads((tmp_path / 'plan.json').read_text()), run.stdout


def batches(plan):
    computes = next(p for p in plan['phases'] if p['name'] == 'computes')
    return [[host['name'] for host in batch['hosts']] for batch in computes['batches']]


def test_the_plan_lists_every_failed_check_and_changes_nothing(collections_path, tmp_path):
    plan, output = run_plan(collections_path, tmp_path)
    assert not (tmp_path / 'state').exists(), 'the plan created the state record, its directory or lock'
    assert plan['phase'] == 'new' and plan['preflight'] == 'checked'
    assert [p['status'] for p in plan['phases']] == ['to do', 'to do', 'to do']
    assert batches(plan) == [['cmp1'], ['cmp2']]                  # [1, "25%", "100%"] over 2 computes
    problems = plan['problems']
    for expected in ('API: ', 'missing on v2ctl: /usr/bin/contrail-issu-pre-sync', 'cmp1: ', 'cmp2: ', 'v1ctl: '):
        assert any(problem.startswith(expected) for problem in problems), (expected, problems)
    hosts = [host for batch in next(p for p in plan['phases'] if p['name'] == 'computes')['batches']
             for host in batch['hosts']]
    assert all(host['check'] for host in hosts), hosts             # no vRouter here to plan a swap on
    assert 'ISSU plan - phase new' in output and 'Problems (%d):' % len(problems) in output


def test_mid_issu_the_plan_is_what_is_left_and_a_bad_setting_is_listed(collections_path, tmp_path):
    (tmp_path / 'state').mkdir()
    record = {'version': 1, 'phase': 'started', 'steps': {}, 'marks': {},
              'history': [{'phase': 'starting', 'at': '2026-12-01T10:00:00.000000Z', 'note': None},
                          {'phase': 'started', 'at': '2026-12-01T10:00:30.000000Z', 'note': None}],
              'northbound': {'state': 'open', 'since': None, 'windows': [
                  {'frozen_at': '2026-12-01T10:00:10.000000Z', 'opened_at': '2026-12-01T10:00:12.500000Z',
                   'note': 'start'}]},
              'hosts': {'cmp1': {'status': 'v2', 'version': '4.0.3.0-62', 'batch': 'cmp1',
                                 'timings': {'outage': 2.2},
                                 'history': [{'status': 'upgrading', 'at': '2026-12-01T10:01:00.000000Z'},
                                             {'status': 'v2', 'at': '2026-12-01T10:01:14.000000Z'}]}}}
    state = tmp_path / 'state' / 'state.json'
    state.write_text(json.dumps(record))
    plan = run_plan(collections_path, tmp_path, {'vrouter_query_timeout': 'soon'})[0]
    assert state_record.read(str(state)) == record and sorted(os.listdir(str(tmp_path / 'state'))) == ['state.json']
    assert [p['status'] for p in plan['phases']] == ['done', 'to do', 'to do']
    assert batches(plan) == [['cmp2']]
    computes = next(p for p in plan['phases'] if p['name'] == 'computes')
    assert computes['done'] == ['cmp1'] and computes['batches'][0]['of_run'] == 2
    assert plan['estimates']['host_swap'] == {'seconds': 14.0, 'source': 'measured', 'samples': 1}
    assert plan['estimates']['start_freeze'] == {'seconds': 2.5, 'source': 'measured'}
    assert any(problem.startswith('Invalid setting(s), nothing was changed: vrouter_query_timeout must be')
               for problem in plan['problems']), plan['problems']
