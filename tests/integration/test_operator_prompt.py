# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pause between compute batches (opencontrail.issu.operator_prompt through the vrouter
role's batch_pause.yml), run by ansible-playbook with and without a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAY = """
- name: Two batches of one host, as the compute phase's rolling play
  hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: Stand-in for the swap
      ansible.builtin.debug:
        msg: "swapped {{ inventory_hostname }}"
    - name: Pause between batches
      ansible.builtin.include_role:
        name: opencontrail.issu.vrouter
        tasks_from: batch_pause.yml
      vars:
        vrouter_batch_pause: "%s"
"""


@pytest.fixture
def batches(tmp_path):
    """``batches(pause, keys=None)`` -> (rc, output) of the play over h1 and h2: without a
    terminal (stdin /dev/null), or in one whose operator types ``keys`` at the prompt."""
    (tmp_path / 'hosts').write_text(
        'h1\nh2\n[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n'
        % sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def run(pause, keys=None):
        (tmp_path / 'play.yml').write_text(PLAY % pause)
        cmd = ['ansible-playbook', '-i', str(tmp_path / 'hosts'), str(tmp_path / 'play.yml')]
        if keys is None:
            done = subprocess.run(cmd, env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=120, check=False)
            return done.returncode, done.stdout + done.stderr
        return in_terminal(cmd, env, str(tmp_path), keys)
    return run


def in_terminal(cmd, env, cwd, keys, timeout=120):
    """Run cmd with a pseudo-terminal as its controlling terminal; type each of ``keys`` once
    the output shows the prompt (the first) or asks to continue or abort (the next)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: session leader with the terminal, as a shell would start it
        os.chdir(cwd)
        os.execvpe(cmd[0], cmd, env)
    output, typed, deadline = b'', 0, time.time() + timeout
    waits = (b'press Enter to continue', b"Press 'C' to continue")
    try:
        while time.time() < deadline:
            if typed < len(keys) and waits[min(typed, 1)] in output.split(b'swapped h1', 1)[-1]:
                time.sleep(0.5)  # the prompt flushes the input before it reads
                os.write(fd, keys[typed])
                typed += 1
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                output += data
    finally:
        _pid, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors='replace')


def test_prompt_without_a_terminal_stops_after_the_batch_saying_how_to_go_on(batches):
    rc, out = batches('prompt')
    assert rc != 0, out
    assert 'No terminal to ask the operator' in out, out
    assert 'Batch h1 is on v2 and recorded done; the next batch has not started' in out, out
    assert 'issu_batch_pause=<seconds>' in out, out
    assert 'swapped h1' in out and 'swapped h2' not in out, out


def test_prompt_at_a_terminal_waits_for_enter_once_between_batches(batches):
    rc, out = batches('prompt', [b'\r'])
    assert rc == 0, out
    assert out.count('Batch h1 is on v2. Test it, then press Enter to continue') == 1, out
    assert 'Batch h2 is on v2' not in out, out   # no pause after the last batch
    assert out.index('swapped h1') < out.index('press Enter') < out.index('swapped h2'), out


def test_prompt_interrupted_and_aborted_stops_the_phase(batches):
    rc, out = batches('prompt', [b'\x03', b'a'])
    assert rc != 0, out
    assert 'Stopped by the operator at the prompt' in out, out
    assert 'swapped h2' not in out, out


def test_seconds_pause_runs_without_a_terminal(batches):
    rc, out = batches('1')
    assert rc == 0, out
    assert 'Pausing for 1 seconds' in out and 'swapped h2' in out, out
