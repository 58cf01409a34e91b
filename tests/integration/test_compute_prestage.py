# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vrouter role's prestage.yml, run by ansible-playbook on this machine with the real state
role and issu_state module, the computes and the issu_task host local (issue 12).

The pre-stage is one module run a compute (vrouter_prestage, which also tells the version the
compute runs), not a read (vrouter_info) and two downloads: the stand-in vrouter_prestage logs
each run and answers as the compute named by its interpreter (STANDIN_HOST) is made to; a
vrouter_info stand-in logs any read. A compute that fails, that does not finish within
vrouter_prestage_timeout, or that cannot be reached is recorded failed with the version it runs
when it said it, and fails; the others are not recorded.
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

STAND_INS = {
    'vrouter_prestage': '''
import time
module = AnsibleModule(dict((name, dict(type='raw')) for name in (
    'version', 'packages', 'sources', 'sources_file', 'include_running')))
host = os.environ['STANDIN_HOST']
with open(os.path.join(WORLD, host + '.json')) as handle:
    compute = json.load(handle)
log('prestage %s version=%s include_running=%s' % (host, module.params['version'],
                                                  module.params['include_running']))
if compute.get('hang'):
    time.sleep(compute['hang'])
running = compute['version']
rollback = running not in (None, '', module.params['version']) and \\
    module.boolean(module.params['include_running'])
if compute.get('fail'):
    module.fail_json(msg=compute['fail'], running_version=running)
module.exit_json(changed=True, running_version=running,
                 running_packages={'contrail-lib': running} if rollback else {})
''',
    'vrouter_info': '''
module = AnsibleModule(dict(gather_routes=dict(type='raw')), supports_check_mode=True)
log('info %s' % os.environ['STANDIN_HOST'])
module.exit_json(changed=False, version=None)
''',
}

PLAY = """
- name: The pre-stage play (playbooks/issu_upgrade_computes.yml)
  hosts: computes
  gather_facts: false
  vars:
    state_path: %(state)s
    issu_v1_version: %(v1)s
    issu_v2_version: %(v2)s
  tasks:
    - name: Download the v2 packages outside the outage window
      ansible.builtin.include_role:
        name: opencontrail.issu.vrouter
        tasks_from: prestage.yml
"""

#: What each compute does: the version it runs, a failure, a hang (seconds).
COMPUTES = {
    'cmp1': {'version': V1},
    'cmp2': {'version': V2},
    'cmp3': {'version': V1, 'fail': 'not in the configured repositories: contrail-lib=%s' % V2},
    'cmp4': {'version': V1, 'hang': 60},
}


@pytest.fixture
def prestage(tmp_path):
    """``prestage(**extra_vars)`` -> (rc, output) of the play on cmp1-cmp4 (as COMPUTES) and
    cmp5, which cannot be reached (ssh to a closed port); ``record()``: the state record."""
    world = tmp_path / 'world'
    world.mkdir()
    collections = collection_with(tmp_path, STAND_INS, world)
    lines = ['[computes]']
    for host, compute in COMPUTES.items():
        (world / ('%s.json' % host)).write_text(json.dumps(compute))
        python = tmp_path / ('python-%s' % host)
        python.write_text('#!/bin/sh\nSTANDIN_HOST=%s exec %s "$@"\n' % (host, sys.executable))
        python.chmod(0o755)
        lines.append('%s ansible_connection=local ansible_python_interpreter=%s%s' % (
            host, python, ' vrouter_prestage_timeout=3' if compute.get('hang') else ''))
    lines += ['cmp5 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 '
              'ansible_ssh_common_args="-o ConnectTimeout=5 -o BatchMode=yes"',
              '[issu_task]', 'task ansible_connection=local ansible_python_interpreter=%s'
              % sys.executable]
    (tmp_path / 'hosts').write_text('\n'.join(lines) + '\n')
    state_dir = tmp_path / 'state'
    state_dir.mkdir()
    (tmp_path / 'play.yml').write_text(PLAY % {'state': state_dir / 'state.json', 'v1': V1,
                                               'v2': V2})
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_HOST_KEY_CHECKING='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def run(**extra_vars):
        done = subprocess.run(['ansible-playbook', '-i', str(tmp_path / 'hosts'),
                               str(tmp_path / 'play.yml'), '-e', json.dumps(extra_vars)],
                              env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, ' '.join((done.stdout + done.stderr).split())

    run.calls = lambda: calls(world)
    run.record = lambda: state_record.read(str(state_dir / 'state.json'))
    return run


def test_one_module_run_a_compute_and_every_failure_recorded(prestage):
    rc, out = prestage()
    assert rc != 0, out[-4000:]
    # one run a reachable compute, asking for the rollback's packages too; no read
    assert sorted(prestage.calls()) == [
        'prestage %s version=%s include_running=True' % (host, V2) for host in sorted(COMPUTES)]
    hosts = prestage.record()['hosts']
    assert sorted(hosts) == ['cmp3', 'cmp4', 'cmp5'], hosts            # cmp1, cmp2 went on
    assert hosts['cmp3']['status'] == 'failed' and hosts['cmp3']['version'] == V1
    assert hosts['cmp3']['error'] == 'pre-stage: not in the configured repositories: ' \
        'contrail-lib=%s' % V2
    assert hosts['cmp4']['status'] == 'failed' and hosts['cmp4'].get('version') is None
    assert hosts['cmp4']['error'].startswith('pre-stage: '), hosts['cmp4']
    assert '(3)' in hosts['cmp4']['error'] or ' 3 second' in hosts['cmp4']['error'], hosts['cmp4']
    assert hosts['cmp5']['status'] == 'failed' and hosts['cmp5'].get('version') is None
    assert hosts['cmp5']['error'].startswith('pre-stage: unreachable: '), hosts['cmp5']
    assert ('The pre-stage of cmp3 failed; its vRouter was not changed (it runs %s; at most '
            'the target\'s repository was added): not in the configured repositories' % V1) in out
    assert 'The pre-stage of cmp5 failed; its vRouter was not changed (it runs what it ran;' in out


def test_without_the_rollback_packages_the_run_does_not_ask_for_them(prestage):
    prestage(vrouter_prestage_rollback=False)
    assert sorted(prestage.calls()) == [
        'prestage %s version=%s include_running=False' % (host, V2) for host in sorted(COMPUTES)]
