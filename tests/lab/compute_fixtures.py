# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the compute-side module tests against the lab (import them in a test module).

* ``run_on``: ``run_module`` (tests/conftest.py) on a host of the lab inventory (over SSH,
  the way the playbooks reach computes), host first;
* ``compute``: lab-compute1, put back on v1 (3.2, discovery) before and after the test with
  the module under test's rollback path, so a failed test leaves the shared lab as it found it;
* ``read_record`` / ``write_record``: the ISSU state record on issu_task, as JSON;
  ``playbook``: a phase playbook run with the lab's collection, extra vars as JSON;
* ``broken_repo``: the v2 build 4.0.3.0-63 with a broken agent (h6's build.sh --broken),
  offered to the compute by a second apt source for the duration of the test;
  ``broken_dkms_repo``: the same with a kernel module that does not build (--broken=dkms).

Computes have only their own release's apt source (3.2); ``compute`` adds v2's in the file the
ISSU's pre-stage writes (``V2_SOURCE_FILE``), as a compute in the compute phase has it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / 'molecule' / 'shared'))
import state_record  # noqa: E402  (the record read whole, computes' entries included)

V1, V2, BROKEN = '3.2.14.0-37', '4.0.3.0-62', '4.0.3.0-63'
V1_CONTROL, V2_CONTROL = '10.99.0.11', '10.99.0.21'
COMPUTE = 'lab-compute1'
BROKEN_SOURCE = '/etc/apt/sources.list.d/itest-h8-broken.list'
BROKEN_DIR = '/srv/itest-h8-broken'
V2_SOURCE = 'deb [trusted=yes] http://10.99.0.10:8081/4.0 ./'
V2_SOURCE_FILE = '/etc/apt/sources.list.d/contrail-issu.list'
STATE = state_record.PATH
TASK_HOST = state_record.TASK_HOST


def read_record(lab):
    return json.loads(lab.exec(TASK_HOST, *state_record.command()).stdout)


def write_record(lab, record):
    """Write ``record`` (its computes inside) over the record's file."""
    lab.podman('exec', '-i', TASK_HOST, 'sh', '-c', 'mkdir -p %s && cat > %s' % (os.path.dirname(STATE), STATE),
               input_text=state_record.write_inline(record))


def playbook(inventory, name, *extra):
    """ansible-playbook playbooks/NAME on INVENTORY with the checkout's collection; each of EXTRA
    (a dict) one ``-e`` as JSON, so values keep their types."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / '.build' / 'collections'),
               CONTAINERS_CONF=str(REPO_ROOT / 'lab' / 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=str(REPO_ROOT / '.venv' / 'bin') + os.pathsep + os.environ['PATH'])
    cmd = ['ansible-playbook', '-i', str(inventory), os.path.join('playbooks', name)]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    return subprocess.run(cmd, cwd=str(REPO_ROOT), env=env, capture_output=True, text=True,
                          timeout=1500, check=False)


@pytest.fixture
def run_on(run_module):
    """``run_on(host, module, args, **run_module options)`` -> task result dict."""
    def run(host, module, args, **kwargs):
        return run_module(module, args, host=host, **kwargs)
    return run


def back_to_v1(run_on, host):
    """Rollback through the recorded state when there is one, else explicit v1 parameters; a
    3.2 agent finds its collectors through discovery, so explicit ones a test left are removed."""
    info = run_on(host, 'vrouter_info', {'gather_routes': False})
    if not (info.get('version') == V1 and info['agent_conf']['era'] == '3.x'
            and info['service']['state'] == 'running'):
        result = run_on(host, 'vrouter_swap', {'version': V1, 'discovery_server': V1_CONTROL,
                                               'update_cache': True, 'route_check': 'none'})
        assert not result.get('failed'), result.get('msg')
        info = run_on(host, 'vrouter_info', {'gather_routes': False})
    if info['agent_conf'].get('collectors'):
        result = run_on(host, 'vrouter_collectors', {'state': 'absent'})
        assert not result.get('failed'), result.get('msg')
        info = run_on(host, 'vrouter_info', {'gather_routes': False})
    return info


@pytest.fixture(scope='session')
def issu_started(lab):
    """The compute phase's precondition: the ISSU started (v1/v2 peered, config synced, run-sync
    running), so that a compute moved to v2 finds its VMs in v2's config. Re-running the start
    playbook on a started ISSU changes nothing."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / '.build' / 'collections'),
               CONTAINERS_CONF=str(REPO_ROOT / 'lab' / 'containers.conf'),
               PATH=str(REPO_ROOT / '.venv' / 'bin') + os.pathsep + os.environ['PATH'])
    proc = subprocess.run(['ansible-playbook', '-i', 'inventories/lab', 'playbooks/issu_start.yml'],
                          cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.fixture
def compute(lab, issu_started, run_on):
    """lab-compute1 on v1 with no ISSU record and nothing pre-staged, before and after the test
    (a lab test that ran the compute phase on it earlier in the session, the hooks' or the
    plan's, left the v2 packages in apt's cache: the pre-stage then fetched nothing)."""
    lab.exec(COMPUTE, 'rm', '-f', '/etc/ansible/facts.d/contrail_issu.fact')
    lab.exec(COMPUTE, 'apt-get', 'clean')
    back_to_v1(run_on, COMPUTE)
    lab.exec(COMPUTE, 'sh', '-c', 'echo "%s" >%s' % (V2_SOURCE, V2_SOURCE_FILE))
    yield COMPUTE
    lab.exec(COMPUTE, 'rm', '-f', BROKEN_SOURCE, check=False)
    back_to_v1(run_on, COMPUTE)
    lab.exec(COMPUTE, 'rm', '-f', '/etc/ansible/facts.d/contrail_issu.fact', V2_SOURCE_FILE)


@pytest.fixture
def broken_repo(lab, compute, tmp_path):
    """Publish 4.0.3.0-63 (agent dies at start) to the compute as a file: apt source."""
    yield from _publish_broken(lab, compute, tmp_path, 'agent')


@pytest.fixture
def broken_dkms_repo(lab, compute, tmp_path):
    """Publish 4.0.3.0-63 whose kernel module fails to build (the postinst ignores it)."""
    yield from _publish_broken(lab, compute, tmp_path, 'dkms')


def _publish_broken(lab, compute, tmp_path, mode):
    out = tmp_path / 'repo'
    subprocess.run(['sh', str(REPO_ROOT / 'lab/packages/build.sh'), '--out', str(out),
                    '--broken=' + mode], check=True, capture_output=True, timeout=300)
    lab.exec(compute, 'mkdir', '-p', BROKEN_DIR)
    lab.podman('cp', str(out / '4.0') + '/.', '%s:%s' % (compute, BROKEN_DIR))
    lab.exec(compute, 'sh', '-c', 'echo "deb [trusted=yes] file:%s ./" >%s && apt-get update -qq'
             % (BROKEN_DIR, BROKEN_SOURCE))
    yield BROKEN
    lab.exec(compute, 'sh', '-c', 'rm -rf %s %s && apt-get update -qq' % (BROKEN_SOURCE, BROKEN_DIR),
             check=False)
