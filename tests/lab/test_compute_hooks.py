# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's hooks around each compute's swap, in the compute phase on the lab (issue 13).

playbooks/issu_upgrade_computes.yml on lab-compute1 then lab-compute2, one per batch. lab-compute1
has a pre and a post hook that note on the compute what it runs and what the hook was given;
lab-compute2 has a pre hook that notes, then fails. lab-compute1's pre hook must run before its
swap (v1, no swap record on the compute) and its post hook after (v2); lab-compute2 must be
recorded failed with its vRouter untouched and its post hook never run. Each batch's progress
is in the play's output, in the record and in the report.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us
from compute_fixtures import (  # noqa: E402,F401 pylint: disable=unused-import
    COMPUTE, V1, V2, V2_SOURCE_FILE, back_to_v1, compute, issu_started, playbook,
    read_record, run_on, write_record,
)

pytestmark = pytest.mark.lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFUSED = 'lab-compute2'
MARKS = '/var/tmp/issu-hook-test.log'
FACT = '/etc/ansible/facts.d/contrail_issu.fact'
AGENT_CONF = '/etc/contrail/contrail-vrouter-agent.conf'

# What a hook notes on its compute: the stage, the agent package it finds, whether the swap's
# record is on the compute yet, then the variables it was given.
NOTE = ('echo "{stage} $(dpkg-query -W -f \'${{Version}}\' contrail-vrouter-agent)'
        ' $(test -e %s && echo swapped || echo unswapped)'
        ' {{{{ issu_hook_host }}}} {{{{ issu_hook_batch.index }}}}/{{{{ issu_hook_batch.count }}}}'
        ' {{{{ issu_hook_batch.hosts | join(\',\') }}}} {{{{ issu_hook_state.stage }}}}'
        ' {{{{ issu_hook_state.version }}}} {{{{ issu_hook_state.target_version }}}}'
        ' {{{{ issu_hook_state.swap.changed | default(\'-\') }}}}" >>%s' % (FACT, MARKS))


def hook(stage, fail=False):
    tasks = [{'name': 'Note the %s hook' % stage, 'ansible.builtin.shell': NOTE.format(stage=stage),
              'changed_when': True}]
    if fail:
        tasks.append({'name': 'Refuse this compute',
                      'ansible.builtin.fail': {'msg': 'test pre hook refuses {{ issu_hook_host }}'}})
    return yaml.safe_dump(tasks, width=1000)


def marks(lab, host):
    proc = lab.exec(host, 'cat', MARKS, check=False)
    return proc.stdout.splitlines() if proc.returncode == 0 else []


@pytest.fixture
def hooked(lab, compute, run_on, tmp_path):
    """The lab inventory with the hooks set per compute (host_vars); the ISSU record without the
    two computes nor a progress (restored after), lab-compute2 as it was (back on v1 if a
    failure moved it, its pre-stage forgotten), no hook notes on either."""
    hooks = {}
    for name, text in (('pre_ok', hook('pre')), ('post_ok', hook('post')), ('pre_fail', hook('pre-fail', True))):
        hooks[name] = tmp_path / ('%s.yml' % name)
        hooks[name].write_text(text)
    inventory = tmp_path / 'inventory'
    (inventory / 'host_vars').mkdir(parents=True)
    os.symlink(os.path.join(ROOT, 'inventories/lab/hosts.yml'), str(inventory / 'hosts.yml'))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    (inventory / 'host_vars' / ('%s.yml' % COMPUTE)).write_text(yaml.safe_dump(
        {'issu_compute_pre_hook': str(hooks['pre_ok']), 'issu_compute_post_hook': str(hooks['post_ok'])}))
    (inventory / 'host_vars' / ('%s.yml' % REFUSED)).write_text(yaml.safe_dump(
        {'issu_compute_pre_hook': str(hooks['pre_fail']), 'issu_compute_post_hook': str(hooks['post_ok'])}))

    original = read_record(lab)
    record = json.loads(json.dumps(original))
    for name in (COMPUTE, REFUSED):
        record['hosts'].pop(name, None)
    record.pop('progress', None)
    write_record(lab, record)
    had_source = lab.exec(REFUSED, 'test', '-e', V2_SOURCE_FILE, check=False).returncode == 0
    for name in (COMPUTE, REFUSED):
        lab.exec(name, 'rm', '-f', MARKS)
    yield str(inventory)
    for name in (COMPUTE, REFUSED):
        lab.exec(name, 'rm', '-f', MARKS)
    if lab.exec(REFUSED, 'test', '-e', FACT, check=False).returncode == 0:     # moved by a failure
        back_to_v1(run_on, REFUSED)
        lab.exec(REFUSED, 'rm', '-f', FACT)
    if not had_source:
        lab.exec(REFUSED, 'sh', '-c', 'rm -f %s && apt-get clean' % V2_SOURCE_FILE)
    write_record(lab, original)


def test_hooks_run_around_the_swap_and_a_failing_pre_hook_leaves_its_compute_untouched(lab, hooked):
    conf_before = lab.exec(REFUSED, 'md5sum', AGENT_CONF).stdout
    run = playbook(hooked, 'issu_upgrade_computes.yml', {'issu_computes': [COMPUTE, REFUSED]}, {'issu_serial': [1]})
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-5000:]

    # lab-compute1: the pre hook on v1 before the swap, the post hook on v2 after it, each with
    # its batch (1 of 2) and state
    assert marks(lab, COMPUTE) == [
        'pre %s unswapped %s 1/2 %s pre %s %s -' % (V1, COMPUTE, COMPUTE, V1, V2),
        'post %s swapped %s 1/2 %s post %s %s True' % (V2, COMPUTE, COMPUTE, V2, V2)]
    record = read_record(lab)
    swapped = record['hosts'][COMPUTE]
    assert swapped['status'] == 'v2' and swapped['version'] == V2, swapped
    assert [h['status'] for h in swapped['history']] == ['upgrading', 'v2']

    # lab-compute2: recorded failed by its pre hook, its vRouter untouched, no post hook
    assert "of %s failed at 'Refuse this compute': test pre hook refuses %s" % (REFUSED, REFUSED) in out, out[-5000:]
    assert 'Its vRouter was not changed (it runs %s)' % V1 in out
    assert marks(lab, REFUSED) == ['pre-fail %s unswapped %s 2/2 %s pre %s %s -' % (V1, REFUSED, REFUSED, V1, V2)]
    refused = record['hosts'][REFUSED]
    assert refused['status'] == 'failed' and refused['version'] == V1, refused
    assert refused['error'].startswith('pre hook: test pre hook refuses %s' % REFUSED), refused
    assert 'upgrading' not in [h['status'] for h in refused['history']]
    assert lab.exec(REFUSED, 'dpkg-query', '-W', '-f', '${Version}', 'contrail-vrouter-agent').stdout == V1
    assert lab.exec(REFUSED, 'test', '-e', FACT, check=False).returncode != 0       # never swapped
    assert lab.exec(REFUSED, 'md5sum', AGENT_CONF).stdout == conf_before

    # progress: once per batch in the output; the record keeps the batch the failure stopped
    assert 'Batch 1 of 2 begins (%s): 0 on v2, 0 failed, 2 left' % COMPUTE in out, out[-5000:]
    assert 'Batch 1 of 2 done in ' in out and ': 1 on v2, 0 failed, 1 left; about ' in out
    assert 'Batch 2 of 2 begins (%s): 1 on v2, 0 failed, 1 left; about ' % REFUSED in out
    assert 'Batch 2 of 2 done' not in out
    progress = record['progress']
    assert (progress['batch'], progress['batches'], progress['state']) == (2, 2, 'running'), progress
    assert (progress['done'], progress['failed'], progress['left']) == (1, 0, 1)
    assert progress['measured']['rounds'] == 1 and progress['eta_seconds'] > 0

    report = playbook(hooked, 'issu_report.yml')
    assert report.returncode == 0, report.stdout[-3000:]
    assert 'Progress: batch 2 of 2 began %s, not recorded done' % progress['began_at'] in report.stdout
