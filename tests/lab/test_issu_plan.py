"""playbooks/issu_plan.yml on the lab: the plan of a fresh ISSU holds the lab's computes in the
rolling play's batches, each with its swap's check-mode plan, and changes nothing - no state
record, package, apt source, conf, fact file, agent or BGP router; after the start it plans only
the computes and finalize, with the start's freeze as measured; mid-ISSU it leaves out the
computes on v2 and estimates from their measured swaps; bad inputs are listed, not fatal."""
import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the fixture modules are beside us
from compute_fixtures import (  # noqa: E402,F401 pylint: disable=unused-import
    STATE, V1, V2, back_to_v1, issu_started, read_record, run_on, state_record, write_record,
)
from lab_fixtures import V1 as V1_API, V2 as V2_API, Api  # noqa: E402

pytestmark = pytest.mark.lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISSU_TASK = 'lab-v2-ctrl1'
COMPUTES = ['lab-compute1', 'lab-compute2', 'lab-compute3']
#: What the plan must leave as it found it on a compute: every package's version, the apt
#: sources, the vRouter confs, the swap's fact file and lock, and the agent's processes (a
#: restart changes their pids; the bracket keeps this shell out of the match).
COMPUTE_STATE = ("dpkg-query -W -f '${Package}=${Version}\\n' | sort; ls -a /etc/apt/sources.list.d; "
                 "md5sum /etc/contrail/*.conf; ls -a /etc/ansible/facts.d 2>/dev/null; "
                 "cat /etc/ansible/facts.d/contrail_issu.fact 2>/dev/null; "
                 "for d in /proc/[0-9]*; do tr '\\0' ' ' <$d/cmdline 2>/dev/null | "
                 "grep -q 'contrail-vrouter-agen[t]' && echo ${d#/proc/}; done; true")


def ansible_playbook(name, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    cmd = ['ansible-playbook', '-i', 'inventories/lab', os.path.join('playbooks', name)]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)


def run_plan(tmp_path, *extra):
    """Run the plan; returns (the JSON it wrote, its output). It must succeed."""
    path = tmp_path / 'issu-plan.json'
    if path.exists():
        path.unlink()
    run = ansible_playbook('issu_plan.yml', {'issu_plan_path': str(path)}, *extra)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    recap = run.stdout.split('PLAY RECAP', 1)[1]
    changed = dict((m.group(1), int(m.group(2)))
                   for m in re.finditer(r'^(\S+)\s*:.*changed=(\d+)', recap, re.M))
    # The only change: the JSON written on the controller, by the issu_task host's play.
    assert changed.pop(ISSU_TASK) == 1 and set(changed.values()) == {0}, recap
    return json.loads(path.read_text()), run.stdout


def snapshot(lab):
    """Everything the plan must not change."""
    state = dict((host, lab.exec(host, 'sh', '-c', COMPUTE_STATE).stdout) for host in COMPUTES)
    state['record'] = lab.exec(ISSU_TASK, 'sh', '-c', 'ls -aR %s 2>/dev/null; %s'
                               % (os.path.dirname(STATE), state_record.shell())).stdout
    state['bgp-routers'] = dict((side, sorted(Api(conn).routers()))
                                for side, conn in (('v1', V1_API), ('v2', V2_API)))
    return state


def phase(plan, name):
    return next(p for p in plan['phases'] if p['name'] == name)


def batches(plan):
    return [[host['name'] for host in batch['hosts']] for batch in phase(plan, 'computes')['batches']]


@pytest.fixture
def no_record(lab):
    """No ISSU under way: the state record is absent (moved aside and restored if present)."""
    lab.exec(ISSU_TASK, 'sh', '-c', 'test -e %s && mv %s %s.plan || true' % (STATE, STATE, STATE))
    yield
    lab.exec(ISSU_TASK, 'sh', '-c', 'rm -f %s; test -e %s.plan && mv %s.plan %s || true'
             % (STATE, STATE, STATE, STATE))


def test_the_plan_of_a_fresh_issu_holds_the_computes_in_batches_and_changes_nothing(lab, no_record, tmp_path):
    before = snapshot(lab)
    plan, output = run_plan(tmp_path)
    assert snapshot(lab) == before
    assert lab.exec(ISSU_TASK, 'test', '-e', STATE, check=False).returncode != 0, 'the plan wrote the record'

    assert plan['phase'] == 'new' and 'playbooks/issu_start.yml' in plan['next']
    assert [(p['name'], p['status']) for p in plan['phases']] == [
        ('start', 'to do'), ('computes', 'to do'), ('finalize', 'to do')]
    # The lab's issu_serial [1, "25%", "100%"] over its 3 computes: one at a time.
    assert batches(plan) == [['lab-compute1'], ['lab-compute2'], ['lab-compute3']]
    for batch in phase(plan, 'computes')['batches']:
        host = batch['hosts'][0]
        assert host['status'] == 'v1' and 'check' not in host, host
        assert host['swap']['restart'] and host['swap']['kmod']['reload'], host
        assert host['swap']['packages']['contrail-vrouter-agent'] == {'from': V1, 'to': V2}
        assert set(change['to'] for change in host['swap']['packages'].values()) == {V2}
    start = phase(plan, 'start')
    assert [step['on'] for step in start['steps'] if step['freeze']] == [['lab-openstack'], [ISSU_TASK],
                                                                         ['lab-openstack']]
    assert all(figure['source'] == 'default' for figure in plan['estimates'].values())
    assert plan['problems'] == [] and plan['preflight'] == 'checked'
    assert 'ISSU plan - phase new' in output and 'lab-compute3' in output


def test_after_the_start_the_plan_is_the_computes_and_finalize(lab, issu_started, tmp_path):
    before = snapshot(lab)
    plan = run_plan(tmp_path)[0]
    assert snapshot(lab) == before

    assert plan['phase'] == 'started'
    start = phase(plan, 'start')
    assert start['status'] == 'done' and start['steps'] == []
    assert [p['status'] for p in plan['phases']] == ['done', 'to do', 'to do']
    assert plan['estimates']['start_freeze']['source'] == 'measured'
    assert plan['estimates']['start']['source'] == 'measured'
    assert batches(plan) == [['lab-compute1'], ['lab-compute2'], ['lab-compute3']]
    computes = phase(plan, 'computes')
    watch = next(step for step in computes['steps'] if step['do'].startswith('before each batch'))
    assert watch['on'] == [ISSU_TASK] and not watch['skipped']
    assert 'gate refuses' in phase(plan, 'finalize')['note']


def test_mid_issu_the_plan_leaves_out_the_computes_on_v2_and_uses_their_times(
        lab, issu_started, run_on, tmp_path):
    saved = read_record(lab)
    try:
        moved = ansible_playbook('issu_upgrade_computes.yml', {'issu_computes': ['lab-compute1']})
        assert moved.returncode == 0, moved.stdout[-4000:]
        before = snapshot(lab)
        plan = run_plan(tmp_path)[0]
        assert snapshot(lab) == before

        computes = phase(plan, 'computes')
        assert computes['done'] == ['lab-compute1']
        # The rolling play still forms [c1], [c2], [c3]; c1's batch is left empty.
        assert batches(plan) == [['lab-compute2'], ['lab-compute3']]
        assert [batch['of_run'] for batch in computes['batches']] == [2, 3]
        for name in ('host_swap', 'outage'):
            assert plan['estimates'][name]['source'] == 'measured' and plan['estimates'][name]['samples'] >= 1
        swap = plan['estimates']['host_swap']['seconds'] + plan['estimates']['between_batches']['seconds']
        assert [batch['seconds'] for batch in computes['batches']] == [round(swap, 1)] * 2
    finally:
        ansible_playbook('issu_rollback_computes.yml', {'issu_computes': ['lab-compute1']})
        back_to_v1(run_on, 'lab-compute1')
        lab.exec('lab-compute1', 'rm', '-f', '/etc/ansible/facts.d/contrail_issu.fact',
                 '/etc/apt/sources.list.d/contrail-issu.list')
        write_record(lab, saved)


def test_bad_inputs_are_listed_in_the_plan_not_fatal(lab, no_record, tmp_path):
    before = snapshot(lab)
    plan = run_plan(tmp_path, {'issu_serial': [1, '0%']}, {'issu_asn': 65000},
                    {'vrouter_wait_timeout': 'soon'})[0]
    assert snapshot(lab) == before
    problems = plan['problems']
    for expected in ('Invalid setting(s), nothing was changed: vrouter_wait_timeout must be a whole number',
                     "issu_serial: invalid batch size '0%'",
                     'ASN mismatch: v1 uses another ASN than issu_asn=65000'):
        assert any(problem.startswith(expected) for problem in problems), (expected, problems)
    assert phase(plan, 'computes')['batches'] == []
