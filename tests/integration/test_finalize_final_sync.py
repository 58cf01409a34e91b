# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inside the finalize freeze issu_task stops run-sync and switches the drained northbound
(roles/finalize/tasks/switch_over.yml) while v1 stops; the final sync (sync.yml) then runs
post-sync and the ZooKeeper pass side by side, in the background, checks v2's config (gate 2)
meanwhile, and records the milestones once all three are done. The freeze then lasts the
longest of them, not their sum.

Run by ansible-playbook on this machine with stand-ins (tests/integration/stand_ins.py): the
post-sync and ZooKeeper stand-ins each wait until the other has begun and until gate 2 has run,
so a final sync that runs them one after the other fails (a stand-in gives up after WAIT
seconds and says what it did not see); run-sync's stand-in takes 3 s, so a gate 2 that ran
before its stop was done would show in the log; a failing pass fails the wait with its own
message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # stand_ins.py is beside us
from stand_ins import calls, collection_with  # noqa: E402

pytestmark = pytest.mark.integration

WAIT = 15  # seconds a stand-in waits for what must run beside it

WAIT_FOR = '''
import time


def wait_for(module, *lines):
    """Until each of ``lines`` is in the log (WAIT seconds), else fail saying which is missing."""
    deadline = time.time() + %d
    while time.time() < deadline:
        with open(os.path.join(WORLD, 'calls.log')) as handle:
            seen = handle.read().splitlines()
        missing = [line for line in lines if line not in seen]
        if not missing:
            return
        time.sleep(0.05)
    module.fail_json(msg='%%s never ran beside this' %% ', '.join(missing))


def failing(name):
    return os.path.exists(os.path.join(WORLD, 'fail-' + name))
''' % WAIT

STAND_INS = {
    'issu_run_sync': '''
import time
module = AnsibleModule(dict(state=dict(type='str'), conf=dict(type='raw')))
log('run-sync %s' % module.params['state'])
time.sleep(3)
log('run-sync %s done' % module.params['state'])
module.exit_json(changed=True)
''',
    'issu_sync': WAIT_FOR + '''
module = AnsibleModule(dict(tool=dict(type='str'), conf=dict(type='raw'), timeout=dict(type='raw')))
log('post-sync begins')
wait_for(module, 'zk begins', 'gate 2')
if failing('post'):
    module.fail_json(msg='post-sync stand-in fails as told')
log('post-sync ends')
module.exit_json(changed=True)
''',
    'issu_zk_mirror': WAIT_FOR + '''
module = AnsibleModule(dict(conf=dict(type='raw')))
log('zk begins')
wait_for(module, 'post-sync begins', 'gate 2')
log('zk ends')
module.exit_json(changed=True, created=2, updated=0, deleted=0)
''',
    'config_backup': '''
module = AnsibleModule(dict(path=dict(type='str'), mode=dict(type='str'), url=dict(type='raw')))
log('gate 2')
module.exit_json(changed=False, equal=True)
''',
    'issu_state': '''
module = AnsibleModule(dict((name, dict(type='raw')) for name in (
    'path', 'operation', 'advance', 'note', 'step', 'marks')))
log('record %s' % ','.join(module.params['step'] or []))
module.exit_json(changed=True, operation=dict(behind=['synced', 'switched']))
''',
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


def test_post_sync_and_the_zookeeper_pass_run_side_by_side_beside_gate_2(final_sync):
    rc, out = final_sync()
    assert rc == 0, out[-5000:]
    log = final_sync.calls()
    assert log[:2] == ['run-sync absent', 'run-sync absent done'], log   # first (switch_over.yml)
    assert {'post-sync begins', 'zk begins'} <= set(log[:log.index('gate 2')]), log
    assert log.index('gate 2') < log.index('post-sync ends') and log.index('gate 2') < log.index('zk ends'), log
    assert log[-1] == 'record synced,switched', log    # both milestones once all three are done


def test_a_failing_pass_fails_the_wait_with_its_message_and_records_nothing(final_sync):
    final_sync.fail('post')
    rc, out = final_sync()
    assert rc != 0, out[-5000:]
    assert 'post-sync stand-in fails as told' in out, out[-5000:]
    assert not any(line.startswith('record') for line in final_sync.calls()), final_sync.calls()
