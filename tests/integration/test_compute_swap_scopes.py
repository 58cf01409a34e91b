# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the vrouter role's upgrade.yml rolls back, run by ansible-playbook on this machine with
the real state role and issu_state module, the compute and the issu_task host local (issue 12).

The compute's vRouter is a stand-in: a copy of the collection whose vrouter_info and
vrouter_swap modules keep the compute's version in a file and log each swap and rollback (the
real ones are tested at module level and on the lab). Everything else - the role's tasks, their
blocks and rescues, the state record - is the collection's own.

* A state write that fails after a successful swap (the issu_task host's record directory goes
  read-only: a bind mount remounted read-only in a private mount namespace, unshare) fails the
  compute WITHOUT rolling it back, saying it is on v2 and healthy and only its record is stale;
  a re-run, once the directory is writable, skips it and records it on v2. A write that fails
  once (the issu_task host does not answer it) used to roll the compute back; it fails it the same
  way now.
* A failing post hook is still a failed swap: the compute is rolled back to v1 and recorded
  failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # stand_ins.py is beside us
from stand_ins import calls, collection_with  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'molecule', 'shared'))
import state_record  # noqa: E402  (the record read whole, each compute's entry included)

pytestmark = pytest.mark.integration

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
V1_CONTROL, V2_CONTROL = '127.0.0.11', '127.0.0.21'

# The stand-ins: the compute is WORLD/compute.json ({version}); calls are logged in
# WORLD/calls.log; WORLD/after_swap.sh, when present, runs once a forward swap is done.
COMPUTE = '''
V1_CONTROL, V2_CONTROL, V1, V2 = %(v1_control)r, %(v2_control)r, %(v1)r, %(v2)r


def compute():
    with open(os.path.join(WORLD, 'compute.json')) as handle:
        return json.load(handle)


def set_version(version):
    with open(os.path.join(WORLD, 'compute.json'), 'w') as handle:
        json.dump({'version': version}, handle)
''' % dict(v1_control=V1_CONTROL, v2_control=V2_CONTROL, v1=V1, v2=V2)

STAND_IN_BODY = {
    'vrouter_info': '''
module = AnsibleModule(dict(gather_routes=dict(type='raw')), supports_check_mode=True)
version = compute()['version']
control = V2_CONTROL if version == V2 else V1_CONTROL
module.exit_json(changed=False, version=version,
                 xmpp=[{'controller_ip': control, 'state': 'Established', 'flap_count': 0}])
''',
    'vrouter_swap': '''
module = AnsibleModule(dict((name, dict(type='raw')) for name in (
    'version', 'packages', 'control_servers', 'dns_servers', 'collectors', 'tor_agent_confs',
    'require_prestaged', 'wait_timeout', 'functional_timeout', 'rollback_on_failure', 'rollback')))
before = compute()['version']
if module.params['rollback']:
    log('rollback %s' % before)
    set_version(V1)
    module.exit_json(changed=True, version=V1, timings={'outage': 1.0})
log('swap %s -> %s' % (before, module.params['version']))
set_version(module.params['version'])
hook = os.path.join(WORLD, 'after_swap.sh')
if os.path.exists(hook):
    subprocess.check_call(['sh', hook])
module.exit_json(changed=True, version=module.params['version'],
                 timings={'stop': 0.1, 'install': 2.0, 'start': 0.2, 'outage': 1.5})
''',
}

PLAY = """
- name: The rolling play's swap of one compute (playbooks/issu_upgrade_computes.yml)
  hosts: computes
  gather_facts: false
  vars:
    state_path: %(state)s
    issu_v1_version: %(v1)s
    issu_v2_version: %(v2)s
    contrail_host_ip: 127.0.0.1
    vrouter_control_servers: [%(v2_control)s]
    issu_compute_post_hook: %(post_hook)s
  tasks:
    - name: Swap this compute to v2, or roll it back to v1 and fail
      ansible.builtin.include_role:
        name: opencontrail.issu.vrouter
        tasks_from: upgrade.yml
"""

POST_HOOK = """
- name: Note that the post hook ran
  ansible.builtin.shell: echo post-hook >>%(world)s/calls.log
  changed_when: true
%(fail)s"""

FAILING = """- name: The post hook finds the compute unfit
  ansible.builtin.fail:
    msg: test post hook refuses {{ issu_hook_host }}
"""


def unshare_works():
    try:
        return subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'true'],
                              capture_output=True, timeout=30, check=False).returncode == 0
    except OSError:
        return False


@pytest.fixture
def swap(tmp_path):
    """``swap(post_hook_fails=False, after_swap=None, read_only_state=False)`` -> (rc, output)
    of the play on compute cmp1, whose stand-in starts on v1. ``world``: the compute's files;
    ``record()``: the state record."""
    world = tmp_path / 'world'
    world.mkdir()
    collections = collection_with(tmp_path, dict((name, COMPUTE + body) for name, body in STAND_IN_BODY.items()),
                                  world)
    (world / 'compute.json').write_text(json.dumps({'version': V1}))
    state_dir = tmp_path / 'state'
    state_dir.mkdir()
    # The issu_task host's Python: once WORLD/task-down exists, the next module run on it fails
    # as a lost connection would, once (the file is removed).
    task_python = tmp_path / 'task-python'
    task_python.write_text('#!/bin/sh\nif [ -e %(down)s ]; then rm -f %(down)s; '
                           'echo "ssh: connect to host task port 22: Connection timed out" >&2; exit 255; fi\n'
                           'exec %(python)s "$@"\n' % {'down': world / 'task-down', 'python': sys.executable})
    task_python.chmod(0o755)
    (tmp_path / 'hosts').write_text(
        '[computes]\ncmp1 ansible_python_interpreter=%s\n[issu_task]\ntask ansible_python_interpreter=%s\n'
        '[all:vars]\nansible_connection=local\n' % (sys.executable, task_python))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def run(post_hook_fails=False, after_swap=None, read_only_state=False):
        hook = tmp_path / 'post_hook.yml'
        hook.write_text(POST_HOOK % {'world': world, 'fail': FAILING if post_hook_fails else ''})
        (tmp_path / 'play.yml').write_text(PLAY % {
            'state': state_dir / 'state.json', 'v1': V1, 'v2': V2, 'v2_control': V2_CONTROL,
            'post_hook': hook})
        if after_swap:
            (world / 'after_swap.sh').write_text(after_swap)
        elif (world / 'after_swap.sh').exists():
            (world / 'after_swap.sh').unlink()
        cmd = ['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.yml')]
        if read_only_state:
            # A private mount namespace in which the state directory is its own mount, so that
            # after_swap.sh may remount it read-only (as a disk error's errors=remount-ro
            # would) for this run only.
            cmd = ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c',
                   'mount --bind "$0" "$0" && exec "$@"', str(state_dir)] + cmd
        done = subprocess.run(cmd, env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, ' '.join((done.stdout + done.stderr).split())

    run.world = world
    run.state_dir = state_dir
    run.calls = lambda: calls(world)
    run.version = lambda: json.loads((world / 'compute.json').read_text())['version']
    run.record = lambda: state_record.read(str(state_dir / 'state.json'))
    return run


@pytest.mark.skipif(not unshare_works(), reason='needs unshare --user --mount (a private mount namespace)')
def test_a_failed_record_after_a_good_swap_leaves_the_compute_on_v2_and_a_rerun_records_it(swap):
    rc, out = swap(read_only_state=True, after_swap='mount -o remount,bind,ro %s\n' % swap.state_dir)
    assert rc != 0, out[-4000:]

    # on v2, its post hook done, never rolled back
    assert swap.calls() == ['swap %s -> %s' % (V1, V2), 'post-hook'], out[-4000:]
    assert swap.version() == V2
    assert ('cmp1 is on %s and healthy (its agent Functional, its post hook done): it was not rolled back'
            % V2) in out, out[-4000:]
    assert 'Only its record could not be written: cannot write the ISSU state record %s' % (
        swap.state_dir / 'state.json') in out
    assert 'Read-only file system' in out
    assert ('re-run playbooks/issu_upgrade_computes.yml: it skips this compute, already on v2, '
            'and records it') in out
    assert 'Roll the compute back' not in out

    # the record, written before the swap, still says upgrading
    entry = swap.record()['hosts']['cmp1']
    assert entry['status'] == 'upgrading' and entry['version'] == V1, entry

    # the directory writable again, a re-run skips the compute and records it on v2
    rc, out = swap()
    assert rc == 0, out[-4000:]
    assert swap.calls() == ['swap %s -> %s' % (V1, V2), 'post-hook']
    entry = swap.record()['hosts']['cmp1']
    assert entry['status'] == 'v2' and entry['version'] == V2, entry
    assert [h['status'] for h in entry['history']] == ['upgrading', 'v2']


def test_a_good_swap_is_recorded_on_v2_once_its_post_hook_ran(swap):
    rc, out = swap()
    assert rc == 0, out[-4000:]
    assert swap.calls() == ['swap %s -> %s' % (V1, V2), 'post-hook']
    entry = swap.record()['hosts']['cmp1']
    assert entry['status'] == 'v2' and entry['version'] == V2, entry
    assert entry['timings'] == {'stop': 0.1, 'install': 2.0, 'start': 0.2, 'outage': 1.5}
    assert entry['batch'] == 'cmp1'
    assert [h['status'] for h in entry['history']] == ['upgrading', 'v2']


def test_a_failing_post_hook_still_rolls_the_compute_back(swap):
    rc, out = swap(post_hook_fails=True)
    assert rc != 0, out[-4000:]
    assert swap.calls() == ['swap %s -> %s' % (V1, V2), 'post-hook', 'rollback %s' % V2], out[-4000:]
    assert swap.version() == V1
    assert 'failed at post_hook and it was rolled back to %s' % V1 in out, out[-4000:]
    assert 'test post hook refuses cmp1' in out
    entry = swap.record()['hosts']['cmp1']
    assert entry['status'] == 'failed' and entry['version'] == V1, entry
    assert [h['status'] for h in entry['history']][-2:] == ['rolling_back', 'failed']


def test_a_write_that_fails_once_after_a_good_swap_does_not_roll_the_compute_back(swap):
    # the issu_task host does not answer the one write after the swap; it answers again at once
    rc, out = swap(after_swap='touch %s\n' % (swap.world / 'task-down'))
    assert rc != 0, out[-4000:]
    assert swap.calls() == ['swap %s -> %s' % (V1, V2), 'post-hook'], out[-4000:]
    assert swap.version() == V2
    assert 'cmp1 is on %s and healthy' % V2 in out, out[-4000:]
    assert 'Connection timed out' in out
    entry = swap.record()['hosts']['cmp1']
    assert entry['status'] == 'upgrading', entry
