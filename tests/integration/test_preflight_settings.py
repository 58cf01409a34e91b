# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight's node checks and the settings check, run by ansible-playbook on localhost aliases.

* Clock skew (issue 12a): the node's clock used to be compared with the controller's clock taken
  in the next task, after every host's reading, so Ansible's own scheduling counted as skew. A
  ``date`` that takes its time to answer (put first on PATH; connection local) makes that delay
  large and certain; the check must still pass for nodes that share the controller's clock, and
  still refuse a node whose clock is really off.
* String settings (issue 12b): ``-e name=value`` always gives strings; numeric settings must work
  as strings and a value that is not a number must be refused with a message naming it.
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
NODES = ['node1', 'node2', 'node3']

FAKE_DATE = '''#!{python}
"""date +%s.%N that reads the clock (shifted by FAKE_CLOCK_OFFSET) and answers FAKE_CLOCK_DELAY later."""
import os
import time
now = time.time() + float(os.environ.get('FAKE_CLOCK_OFFSET', '0'))
time.sleep(float(os.environ.get('FAKE_CLOCK_DELAY', '0')))
print('%.9f' % now)
'''


def _inventory(tmp_path, groups):
    """A YAML inventory of localhost aliases (connection local, this Python)."""
    children = {name: {'hosts': {host: None for host in hosts}} for name, hosts in groups.items()}
    inventory = {'all': {'vars': {'ansible_connection': 'local',
                                  'ansible_python_interpreter': sys.executable},
                         'children': children}}
    path = tmp_path / 'inventory.yml'
    path.write_text(json.dumps(inventory))
    return path


def _run(collections_path, tmp_path, playbook, inventory, extra=(), env=None, json_output=True,
         forks=5):
    cmd = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
           '--forks', str(forks), str(playbook)]
    for item in extra:
        cmd += ['-e', item]
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path,
                   ANSIBLE_STDOUT_CALLBACK='json' if json_output else 'default',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_DEPRECATION_WARNINGS='0', ANSIBLE_LOCALHOST_WARNING='0',
                   ANSIBLE_HOST_KEY_CHECKING='0', **(env or {}))
    proc = subprocess.run(cmd, env=environ, capture_output=True, text=True, check=False,
                          timeout=300, cwd=str(tmp_path))
    if not json_output:
        return proc
    try:
        return proc, json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook did not print JSON:\n%s\n%s' % (proc.stdout, proc.stderr))


NODE_PLAYBOOK = [{
    'hosts': 'clock_nodes', 'gather_facts': False,
    'vars': {'issu_v1_version': '3.2.14.0-37', 'issu_v2_version': '4.0.3.0-62',
             'preflight_free_space_path': '/tmp'},
    'tasks': [
        {'name': 'node checks', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.preflight', 'tasks_from': 'node.yml'}},
        {'name': 'problems', 'ansible.builtin.debug': {'var': 'preflight_node_problems'}},
    ],
}]


def _node_checks(collections_path, tmp_path, extra=(), offset=0.0, delay=0.0):
    """Run node.yml on the three nodes one at a time (forks=1); {host: problems}."""
    fakebin = tmp_path / 'fakebin'
    fakebin.mkdir(exist_ok=True)
    date = fakebin / 'date'
    date.write_text(FAKE_DATE.format(python=sys.executable))
    date.chmod(0o755)
    inventory = _inventory(tmp_path, {'clock_nodes': NODES, 'contrail_v1_controllers': [],
                                      'contrail_v2_controllers': [], 'contrail_computes': []})
    playbook = tmp_path / 'node.yml'
    playbook.write_text(json.dumps(NODE_PLAYBOOK))
    env = {'PATH': '%s%s%s' % (fakebin, os.pathsep, os.environ['PATH']),
           'FAKE_CLOCK_OFFSET': str(offset), 'FAKE_CLOCK_DELAY': str(delay)}
    proc, output = _run(collections_path, tmp_path, playbook, inventory, extra, env, forks=1)
    tasks = output['plays'][0]['tasks']
    failed = {host: result.get('msg') for task in tasks for host, result in task['hosts'].items()
              if result.get('failed')}
    assert proc.returncode == 0 and not failed, (failed, proc.stderr[-2000:])
    return {host: result['preflight_node_problems'] for host, result in tasks[-1]['hosts'].items()}


def test_ansible_scheduling_delay_is_not_clock_skew(collections_path, tmp_path):
    # Each reading answers 1.5 s after it was taken and the three nodes run one after the
    # other: the old check saw node1 3+ s behind (three answers) and node3 1.5+ s behind.
    problems = _node_checks(collections_path, tmp_path, delay=1.5,
                            extra=['{"preflight_max_clock_skew": 1, "preflight_min_free_mb": 1}'])
    assert problems == {host: [] for host in NODES}


@pytest.mark.parametrize('offset', [30.0, -30.0])
def test_a_node_whose_clock_is_off_is_still_refused(collections_path, tmp_path, offset):
    problems = _node_checks(collections_path, tmp_path, offset=offset, delay=0.5,
                            extra=['{"preflight_max_clock_skew": 5, "preflight_min_free_mb": 1}'])
    for host in NODES:
        assert len(problems[host]) == 1, problems
        found = re.match(r'^%s: clock differs by (-?[0-9.]+) to (-?[0-9.]+) s from the Ansible '
                         r'controller \(at most 5 s allowed\)$' % host, problems[host][0])
        assert found, problems[host]
        low, high = float(found.group(1)), float(found.group(2))
        # the true skew lies within the measured interval (bounds rounded to 0.1 s)
        assert low - 0.05 <= offset <= high + 0.05, (offset, problems[host])


def test_numeric_settings_given_as_strings_are_converted(collections_path, tmp_path):
    # -e name=value: strings. The old comparisons failed with "'<=' not supported between
    # instances of 'float' and '_AnsibleTaggedStr'".
    problems = _node_checks(collections_path, tmp_path,
                            extra=['preflight_max_clock_skew=120', 'preflight_min_free_mb=1'])
    assert problems == {host: [] for host in NODES}


def test_a_free_space_limit_given_as_a_string_is_compared_as_a_number(collections_path, tmp_path):
    # '9' > '10' as strings: a string comparison would let the check pass or fail wrongly.
    problems = _node_checks(collections_path, tmp_path,
                            extra=['preflight_max_clock_skew=120', 'preflight_min_free_mb=999999999'])
    for host in NODES:
        assert len(problems[host]) == 1 and 'MiB free in /tmp, needs 999999999' in problems[host][0], problems


SETTINGS_PLAYBOOK = [{
    'hosts': 'issu_task', 'gather_facts': False,
    'tasks': [{'name': 'settings', 'ansible.builtin.include_role': {
        'name': 'opencontrail.issu.preflight', 'tasks_from': 'settings.yml'}}],
}]


def _settings(collections_path, tmp_path, extra):
    inventory = _inventory(tmp_path, {'issu_task': ['node1']})
    playbook = tmp_path / 'settings.yml'
    playbook.write_text(json.dumps(SETTINGS_PLAYBOOK))
    proc, output = _run(collections_path, tmp_path, playbook, inventory, extra)
    return proc, output['plays'][0]['tasks'][-1]['hosts']['node1']


def test_settings_given_as_strings_pass(collections_path, tmp_path):
    proc, result = _settings(collections_path, tmp_path, [
        'preflight_max_clock_skew=2.5', 'preflight_min_free_mb=1',
        'issu_max_fail_percentage=0', 'issu_batch_pause=30', 'issu_finalize_confirm=true',
        'issu_force=no', 'vrouter_wait_timeout=300', 'northbound_drain_timeout=60',
        'finalize_catch_up_timeout=10', 'bgp_peering_wait_timeout=180', 'issu_northbound_vip_port=8082',
        'finalize_zk_sync=tool'])
    assert proc.returncode == 0 and not result.get('failed'), result


def test_settings_that_are_not_numbers_or_booleans_are_refused_by_name(collections_path, tmp_path):
    proc, result = _settings(collections_path, tmp_path, [
        'preflight_max_clock_skew=abc', 'issu_max_fail_percentage=110', 'issu_batch_pause=soon',
        'issu_finalize_confirm=maybe', 'vrouter_wait_timeout=5m', 'preflight_min_free_mb=1',
        'finalize_zk_sync=mirorr'])
    assert proc.returncode != 0 and result.get('failed'), result
    assert result['msg'].startswith('Invalid setting(s), nothing was changed: '), result['msg']
    for expected in ('preflight_max_clock_skew must be a number of seconds, got "abc"',
                     'issu_max_fail_percentage must be a percentage from 0 to 100, got "110"',
                     'issu_batch_pause must be "none", "prompt" or a whole number of seconds, got "soon"',
                     'issu_finalize_confirm must be true or false, got "maybe"',
                     'vrouter_wait_timeout must be a whole number, got "5m"',
                     'finalize_zk_sync must be "mirror" or "tool", got "mirorr"'):
        assert expected in result['msg'], (expected, result['msg'])
    assert 'preflight_min_free_mb' not in result['msg']


def test_a_prompt_pause_is_refused_in_an_awx_job(collections_path, tmp_path):
    """An AWX/Tower job has no terminal: a prompt between batches could never be answered."""
    proc, result = _settings(collections_path, tmp_path, ['issu_batch_pause=prompt',
                                                          'awx_job_id=42'])
    assert proc.returncode != 0 and result.get('failed'), result
    assert ('issu_batch_pause=prompt cannot wait in an AWX/Tower job (no terminal): give a number '
            'of seconds, or put an approval node') in result['msg'], result['msg']
    proc, result = _settings(collections_path, tmp_path, ['issu_batch_pause=prompt'])
    assert proc.returncode == 0 and not result.get('failed'), result


@pytest.mark.parametrize('playbook, extra, next_task', [
    ('issu_preflight.yml', 'preflight_max_clock_skew=abc', 'Read the ISSU phase'),
    ('issu_start.yml', 'bgp_peering_wait_timeout=3min', 'opencontrail.issu.state'),
    ('issu_upgrade_computes.yml', 'issu_batch_pause=soon', 'Check the ISSU phase'),
    ('issu_rollback_computes.yml', 'vrouter_wait_timeout=abc', 'Check the ISSU phase'),
    ('issu_finalize.yml', 'issu_finalize_confirm=maybe', 'opencontrail.issu.state'),
    ('issu_abort.yml', 'issu_force=abc', 'opencontrail.issu.state'),
])
def test_phase_playbooks_refuse_a_bad_setting_before_anything_else(collections_path, tmp_path,
                                                                   playbook, extra, next_task):
    inventory = _inventory(tmp_path, {'issu_task': ['node1'], 'contrail_computes': ['node2'],
                                      'contrail_v1_controllers': ['node3'],
                                      'contrail_v2_controllers': ['node1'], 'openstack_haproxy': []})
    proc = _run(collections_path, tmp_path, REPO_ROOT / 'playbooks' / playbook, inventory,
                [extra, 'state_path=%s' % (tmp_path / 'state.json')], json_output=False)
    name = extra.split('=')[0]
    assert proc.returncode != 0
    assert 'Invalid setting(s), nothing was changed: %s must be' % name in proc.stdout, proc.stdout[-3000:]
    assert next_task not in proc.stdout.split('Invalid setting(s)')[-1], proc.stdout[-3000:]
    assert len(re.findall(r'^TASK \[', proc.stdout, re.M)) == 2, proc.stdout   # the include and the check
    assert not (tmp_path / 'state.json').exists()
