"""Run a compute-phase playbook and SIGKILL it in the middle of a batch, like an operator's
lost SSH session or a killed AWX job: once at least one compute is on v2 and another is
'upgrading' in the ISSU state record. Exits 0 after the kill, 1 if the run ended by itself."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import state_record  # noqa: E402  (the record read whole)

STATE = ['podman', 'exec', state_record.TASK_HOST] + state_record.command()
DEADLINE = 600


def hosts():
    proc = subprocess.run(STATE, capture_output=True, text=True, check=False)
    return json.loads(proc.stdout).get('hosts', {}) if proc.returncode == 0 else {}


def kill_modules():
    """Over SSH a killed playbook takes its modules down with it (the session's hang-up);
    podman exec leaves them running in the container. Kill them as SSH would, so no orphaned
    swap races the re-run."""
    names = subprocess.run(['podman', 'ps', '--format', '{{.Names}}'], capture_output=True,
                           text=True, check=False).stdout.split()
    for name in names:
        if name.startswith('lab-compute') or name.startswith('lab-v2-ctrl'):
            subprocess.run(['podman', 'exec', name, 'pkill', '-KILL', '-f', 'ansible-tmp-'],
                           capture_output=True, check=False)


def main(playbook):
    run = subprocess.Popen(['ansible-playbook', playbook], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    while run.poll() is None and time.monotonic() - start < DEADLINE:
        statuses = [h.get('status') for h in hosts().values()]
        if 'v2' in statuses and 'upgrading' in statuses:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
            kill_modules()
            print('killed mid-batch after %.1f s: %s' % (time.monotonic() - start, json.dumps(hosts())))
            return 0
        time.sleep(0.1)
    print('the run ended (rc=%s) before it could be killed mid-batch' % run.poll())
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
