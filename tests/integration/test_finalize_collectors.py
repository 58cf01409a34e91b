# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalize points the computes a forced finalize left on v1 at v2's collectors (LP 1675122,
issue 12), run by ansible-playbook on this machine: the finalize role's collectors entry point
(what cleanup.yml runs once v1's analytics is stopped) with the real state role and record.

vrouter_collectors is a stand-in (the module is tested on a scripted compute in
tests/unit/plugins/modules/test_vrouter_collectors.py and on the lab): it logs the compute it
runs on (each compute's Python says its name) and what it was asked, and fails on the computes
listed in WORLD/failing. The computes:

* cmp1 left on v1 and moved to v2 since: not touched;
* cmp2 left on v1: pointed at v2's collectors, with no agent restart (reload keep_agents);
* cmp3 left on v1, whose module fails; cmp4 left on v1 and unreachable (SSH to a closed port);
  cmp5 left on v1 but not in the inventory: each reported in a WARNING, and finalize goes on
  on issu_task (an unreachable delegate must not take issu_task out of the play).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # stand_ins.py is beside us
from stand_ins import calls, collection_with  # noqa: E402

pytestmark = pytest.mark.integration

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
LEFT = 'left on v1 by a forced finalize (issu_force)'

COLLECTORS = '''
module = AnsibleModule(dict(collectors=dict(type='list', elements='str'), reload=dict(type='str')),
                       supports_check_mode=True)
host = os.environ['ISSU_TEST_HOST']
log('%s collectors=%s reload=%s' % (host, ','.join(module.params['collectors']), module.params['reload']))
failing = os.path.join(WORLD, 'failing')
if os.path.exists(failing) and host in open(failing).read().split():
    module.fail_json(msg='cannot tell how this host runs the vrouter role')
module.exit_json(changed=True, changed_files={'/etc/contrail/contrail-vrouter-agent.conf': ['DEFAULT/collectors']},
                 reloaded=['contrail-vrouter-nodemgr:restart'], not_reloaded=['contrail-vrouter-agent'])
'''

PLAY = [{
    'name': 'The end of finalize on issu_task', 'hosts': 'issu_task', 'gather_facts': False,
    'tasks': [
        {'name': 'Read the record', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.state', 'tasks_from': 'read.yml'}},
        {'name': 'Point the computes left on v1 at v2\'s collectors', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.finalize', 'tasks_from': 'collectors'}},
        {'name': 'Finalize goes on', 'ansible.builtin.debug': {'msg': 'still on issu_task'}},
    ],
}]


@pytest.fixture
def finalize(tmp_path):
    """``finalize(*extra_vars)`` -> (rc, output); ``calls()``: what the stand-in was asked."""
    world = tmp_path / 'world'
    world.mkdir()
    (world / 'failing').write_text('cmp3\n')
    collections = collection_with(tmp_path, {'vrouter_collectors': COLLECTORS}, world)
    state = tmp_path / 'state.json'
    hosts = {'cmp1': {'status': 'v2', 'version': V2, 'left_on_v1': LEFT},
             'cmp2': {'status': 'v1', 'left_on_v1': LEFT},
             'cmp3': {'status': 'failed', 'version': V1, 'left_on_v1': LEFT},
             'cmp4': {'status': 'v1', 'left_on_v1': LEFT},
             'cmp5': {'status': 'v1', 'left_on_v1': LEFT},
             'cmp6': {'status': 'v2', 'version': V2}}
    state.write_text(json.dumps({
        'version': 1, 'phase': 'finalizing', 'history': [], 'hosts': hosts, 'steps': {'synced': 'x', 'switched': 'x'},
        'marks': {}, 'northbound': {'state': 'open', 'since': None, 'windows': []}}))
    pythons = {}
    for host in ('task', 'cmp1', 'cmp2', 'cmp3', 'cmp4', 'cmp6'):
        pythons[host] = tmp_path / ('python-%s' % host)
        pythons[host].write_text('#!/bin/sh\nISSU_TEST_HOST=%s exec %s "$@"\n' % (host, sys.executable))
        pythons[host].chmod(0o755)
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'state_path': str(state)},
        'children': {
            'issu_task': {'hosts': {'task': {'ansible_python_interpreter': str(pythons['task'])}}},
            'contrail_v2_controllers': {'hosts': {'v2ctl1': {'contrail_host_ip': '10.0.0.21'},
                                                  'v2ctl2': {'contrail_host_ip': '10.0.0.22'}}},
            'contrail_computes': {'hosts': dict(
                [(name, {'ansible_python_interpreter': str(pythons[name])})
                 for name in ('cmp1', 'cmp2', 'cmp3', 'cmp6')]
                + [('cmp4', {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': 1,
                             'ansible_python_interpreter': str(pythons['cmp4'])})])},
        }}}
    (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
    (tmp_path / 'play.json').write_text(json.dumps(PLAY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_HOST_KEY_CHECKING='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def run(*extra):
        cmd = ['ansible-playbook', '-i', str(tmp_path / 'inventory.json'), str(tmp_path / 'play.json')]
        for item in extra:
            cmd += ['-e', item]
        done = subprocess.run(cmd, env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr

    run.calls = lambda: calls(world)
    return run


def message(output, start):
    """The msg of the debug task whose message starts with ``start``, unfolded."""
    found = re.search(r'"msg": "(%s[^"]*)"' % re.escape(start), output)
    assert found, output[-4000:]
    return found.group(1)


def test_the_computes_left_on_v1_are_pointed_at_v2s_collectors_without_an_agent_restart(finalize):
    rc, out = finalize()
    assert rc == 0, out[-4000:]
    # every compute left on v1 that the inventory reaches, and none other, asked with keep_agents
    asked = sorted(finalize.calls())
    assert asked == ['cmp2 collectors=10.0.0.21,10.0.0.22 reload=keep_agents',
                     'cmp3 collectors=10.0.0.21,10.0.0.22 reload=keep_agents'], asked
    said = message(out, '1 compute(s) left on v1 point at')
    assert "v2's collectors 10.0.0.21, 10.0.0.22: cmp2 (contrail-vrouter-nodemgr restarted)." in said, said
    warning = message(out, 'WARNING: 3 compute(s) left on v1 could not be pointed')
    assert 'cmp3: cannot tell how this host runs the vrouter role' in warning, warning
    assert 'cmp4: unreachable' in warning
    assert 'cmp5: not in contrail_computes, not reached' in warning
    assert 'collectors=10.0.0.21,10.0.0.22, reload=keep_agents' in warning
    assert re.search(r'^changed: \[task\] => \{\n\s+"msg": "WARNING: 3 compute', out, re.M), out[-4000:]
    # an unreachable compute did not take issu_task out of the play
    assert '"msg": "still on issu_task"' in out
    assert re.search(r'^task\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0', out, re.M), out[-2000:]


def test_the_collectors_follow_the_computes_settings(finalize):
    rc, out = finalize('{"vrouter_collectors": ["10.0.0.31", "10.0.0.32:8087"]}')
    assert rc == 0, out[-4000:]
    assert 'cmp2 collectors=10.0.0.31,10.0.0.32:8087 reload=keep_agents' in finalize.calls()


def test_the_operator_may_leave_them_alone(finalize):
    rc, out = finalize('finalize_switch_collectors=false')     # -e gives a string
    assert rc == 0, out[-4000:]
    assert finalize.calls() == []
    assert 'WARNING' not in out and '"msg": "still on issu_task"' in out
