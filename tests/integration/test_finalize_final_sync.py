# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inside the finalize freeze issu_task stops run-sync and switches the drained northbound
(roles/finalize/tasks/switch_over.yml) while v1 stops; the final sync (sync.yml) then runs
post-sync, the ZooKeeper pass and gate 2 in one task (issu_final_sync, which runs them side by
side: tests/unit/plugins/modules/test_issu_final_sync.py) against v2's API, and records both
milestones once it is done (the module dates them itself: no task of the state role).

Run by ansible-playbook on this machine with stand-ins (tests/integration/stand_ins.py):
run-sync's stand-in takes 3 s, so a final sync that began before its stop was done would show in
the log; a failing final sync fails the play with its own message and records nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # stand_ins.py is beside us
from stand_ins import FINAL_SYNC, calls, collection_with  # noqa: E402

pytestmark = pytest.mark.integration

STAND_INS = {
    'issu_run_sync': '''
import time
module = AnsibleModule(dict(state=dict(type='str'), conf=dict(type='raw')))
log('run-sync %s' % module.params['state'])
time.sleep(3)
log('run-sync %s done' % module.params['state'])
module.exit_json(changed=True)
''',
    'issu_final_sync': FINAL_SYNC,
}

PLAY = [{
    'name': 'The final sync inside the freeze', 'hosts': 'issu_task', 'gather_facts': False,
    'vars': {'state_result': {'operation': {'behind': []}}, 'config_sync_conf': '/nonexistent.conf',
             'finalize_tool_timeout': 60, 'northbound_neutron_plugin_conf': {},
             'issu_v2_api': {'url': 'http://127.0.0.1:9'}, 'finalize_v1_final_config': '/nonexistent.json'},
    'tasks': [{'ansible.builtin.include_role': {'name': 'opencontrail.issu.finalize', 'tasks_from': entry}}
              for entry in ('switch_over.yml', 'sync.yml')],
}]


@pytest.fixture
def final_sync(tmp_path):
    """``final_sync()`` -> (rc, output) of switch_over.yml then sync.yml (issu_task's part of the
    freeze after the point of no return) on a local issu_task with no v1 controller and no
    HAProxy host (nothing to stop or switch but run-sync)."""
    world = tmp_path / 'world'
    world.mkdir()
    (world / 'calls.log').write_text('')
    collections = collection_with(tmp_path, STAND_INS, world)
    (tmp_path / 'hosts').write_text(
        '[issu_task]\ntask ansible_connection=local ansible_python_interpreter=%s\n'
        '[contrail_v1_controllers]\n[contrail_v2_controllers]\n[openstack_haproxy]\n' % sys.executable)
    (tmp_path / 'play.json').write_text(json.dumps(PLAY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def run():
        done = subprocess.run(['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.json')],
                              env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr

    run.calls = lambda: calls(world)
    run.fail = lambda name: (world / ('fail-' + name)).write_text('')
    return run


def test_the_final_sync_runs_once_run_sync_is_stopped_then_records_both_milestones(final_sync):
    rc, out = final_sync()
    assert rc == 0, out[-5000:]
    log = final_sync.calls()
    assert log[:2] == ['run-sync absent', 'run-sync absent done'], log   # first (switch_over.yml)
    assert log[2].startswith('final sync '), log
    assert json.loads(log[2][len('final sync '):]) == dict(
        conf='/nonexistent.conf', zk_sync='mirror', timeout=60, verify='/nonexistent.json',
        url='http://127.0.0.1:9',       # v2's API, by the contrail_api group's defaults
        state_path='/var/lib/contrail-issu/state.json', state_steps=['synced', 'switched']), log
    assert log[3:] == ['record synced,switched'], log    # both milestones once it is done


def test_a_failing_final_sync_fails_with_its_message_and_records_nothing(final_sync):
    final_sync.fail('final')
    rc, out = final_sync()
    assert rc != 0, out[-5000:]
    assert 'final sync stand-in fails as told' in out, out[-5000:]
    assert not any(line.startswith('record') for line in final_sync.calls()), final_sync.calls()
