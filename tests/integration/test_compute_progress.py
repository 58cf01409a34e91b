# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute phase's progress (state role, progress.yml) in a rolling play run by
ansible-playbook on this machine, the computes and the issu_task host local: once per batch in
the play's output and in the record, the batch handed to every compute, a re-run that moves
nothing changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'molecule', 'shared'))
import state_record  # noqa: E402  (the record read whole, each compute's entry included)

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# As playbooks/issu_upgrade_computes.yml's rolling play: progress as the batch begins, the
# compute's swap (a stand-in recording upgrading then v2, skipping a compute on v2 as the
# vrouter role does), progress as it ends.
ROLLING = """
- name: Rolling play
  hosts: computes
  gather_facts: false
  serial: [1, 2]
  vars:
    state_path: %(state)s
  pre_tasks:
    - name: Progress as the batch begins
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: progress.yml
      vars:
        state_progress_event: begin
        state_progress_batches: "{{ [1, 2] | opencontrail.issu.serial_batches(ansible_play_hosts_all | length) }}"
  tasks:
    - name: Every compute of the batch has the batch
      ansible.builtin.assert:
        that:
          - inventory_hostname in state_progress_result.batch.hosts
          - state_progress_result.batch.count == 2
          - state_progress_result.batch.index == (1 if inventory_hostname == 'h1' else 2)
    - name: Read the record
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: read.yml
    - name: Skip a compute on v2
      ansible.builtin.meta: end_host
      when: (state_result.record.hosts[inventory_hostname] | default({})).status | default('') == 'v2'
    - name: Swap begins
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: host.yml
      vars:
        state_host_status: upgrading
    - name: The swap takes a second
      ansible.builtin.pause:
        seconds: 1
    - name: Swap done
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: host.yml
      vars:
        state_host_status: v2
    - name: Progress as the batch ends
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: progress.yml
      vars:
        state_progress_event: end
        state_progress_began_at: "{{ state_progress_result.progress.began_at }}"
        state_progress_batches: "{{ [1, 2] | opencontrail.issu.serial_batches(ansible_play_hosts_all | length) }}"
"""


def ansible_env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
                ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
                ANSIBLE_LOCALHOST_WARNING='0',
                PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])


@pytest.fixture
def rolling(tmp_path):
    """``rolling()`` -> (rc, output, record) of the rolling play over h1, h2, h3."""
    state = tmp_path / 'state.json'
    (tmp_path / 'hosts').write_text(
        '[computes]\nh1\nh2\nh3\n[issu_task]\ntask\n'
        '[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'play.yml').write_text(ROLLING % {'state': state})

    def run():
        done = subprocess.run(['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.yml')],
                              env=ansible_env(), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=180, check=False)
        return done.returncode, done.stdout + done.stderr, state_record.read(str(state))
    return run


def shown(output):
    """The progress messages the play showed, in order."""
    return re.findall(r'"msg": "(Batch \d of \d[^"]*)"', output)


def test_each_batch_shows_and_records_its_progress_and_a_rerun_changes_nothing(rolling):
    rc, output, record = rolling()
    assert rc == 0, output[-3000:]
    messages = shown(output)
    assert len(messages) == 4, messages                   # begin and end of each batch, once
    assert messages[0] == ('Batch 1 of 2 begins (h1): 0 on v2, 0 failed, 3 left; time left not known '
                           'yet (measured from the batches that move computes)')
    assert re.match(r'Batch 1 of 2 done in \d+ s: 1 on v2, 0 failed, 2 left; about \d+ s left$', messages[1]), messages
    assert re.match(r'Batch 2 of 2 begins \(h2, h3\): 1 on v2, 0 failed, 2 left; about \d+ s left$', messages[2])
    assert re.match(r'Batch 2 of 2 done in \d+ s: 3 on v2, 0 failed, 0 left; nothing left$', messages[3])

    progress = record['progress']
    assert (progress['batch'], progress['batches'], progress['state']) == (2, 2, 'done')
    assert (progress['done'], progress['failed'], progress['left'], progress['eta_seconds']) == (3, 0, 0, 0.0)
    assert progress['measured']['rounds'] == 2 and progress['measured']['seconds'] >= 2.0
    assert set(record['hosts']) == {'h1', 'h2', 'h3'}     # one progress entry, nothing per compute

    rc, output, again = rolling()
    assert rc == 0, output[-3000:]
    assert again == record, 'a re-run that moved nothing changed the record'
    assert re.findall(r'^\S+\s*:.*changed=(\d+)', output.split('PLAY RECAP', 1)[1], re.M) == ['0'] * 3
    assert shown(output) == ['Batch 1 of 2 (h1): on v2 already by the record; 3 on v2, 0 failed, 0 left; nothing left',
                             'Batch 2 of 2 (h2, h3): on v2 already by the record; 3 on v2, 0 failed, 0 left; '
                             'nothing left']


# As the compute playbook's rolling play begins each batch: one call reads the phase and records
# the progress.
ASKED = """
- name: The record's phase, as the phases before left it
  hosts: task
  gather_facts: false
  tasks:
    - name: Move the record through the phases
      opencontrail.issu.issu_state:
        path: %(state)s
        phase: "{{ item }}"
      loop: %(phases)s

- name: Rolling play asking the phase table in the progress call
  hosts: computes
  gather_facts: false
  serial: 1
  vars:
    state_path: %(state)s
  pre_tasks:
    - name: Progress as the batch begins, with the phase table's answer
      ansible.builtin.include_role:
        name: opencontrail.issu.state
        tasks_from: progress.yml
      vars:
        state_progress_operation: computes
        state_progress_event: begin
        state_progress_batches: "{{ 1 | opencontrail.issu.serial_batches(ansible_play_hosts_all | length) }}"
  tasks:
    - name: Show the answer
      ansible.builtin.debug:
        msg: "rollback_allowed={{ state_progress_result.operation.rollback_allowed }}"
"""


@pytest.mark.parametrize('phases, allowed', [(['starting', 'started'], True),
                                             (['starting', 'started', 'finalizing', 'finalized'], False)])
def test_the_progress_call_answers_for_the_phase(tmp_path, phases, allowed):
    state = tmp_path / 'state.json'
    (tmp_path / 'hosts').write_text(
        '[computes]\nh1\nh2\n[issu_task]\ntask\n'
        '[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'play.yml').write_text(ASKED % {'state': state, 'phases': json.dumps(phases)})
    done = subprocess.run(['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.yml')],
                          env=ansible_env(), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert output.count('"msg": "rollback_allowed=%s"' % allowed) == 2, output[-3000:]
    assert json.loads(state.read_text())['progress']['batches'] == 2


def test_the_progress_call_refuses_a_phase_the_table_does_not_allow(tmp_path):
    state = tmp_path / 'state.json'
    (tmp_path / 'hosts').write_text(
        '[computes]\nh1\n[issu_task]\ntask\n'
        '[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'play.yml').write_text(ASKED % {'state': state, 'phases': '[starting]'})
    done = subprocess.run(['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.yml')],
                          env=ansible_env(), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert 'playbooks/issu_start.yml' in output, output[-3000:]
    assert 'progress' not in json.loads(state.read_text()), 'a refused batch recorded its progress'
