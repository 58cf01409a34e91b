# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalize points the computes a forced finalize left on v1 at v2's collectors (LP 1675122,
issue 12), on the lab.

The finalize role's collectors entry point alone - what cleanup.yml runs once v1's analytics is
stopped; a whole forced finalize would decommission the shared lab's v1 (as the forced gate's
test in test_playbook_guards.py) - from lab-v2-ctrl1 with a record of its own in which
lab-compute1, on v1 (3.2, collectors found through discovery), was left on v1. Its agent, ToR
agent and nodemgr confs must name v2's collector, its nodemgr be restarted and its 3.2 agent
NOT (same pid: without a control plane a restarted agent would lose its config and routes),
still Established to v1's control node; a re-run changes and restarts nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us
from compute_fixtures import (  # noqa: E402,F401 pylint: disable=unused-import
    COMPUTE, V1, V1_CONTROL, V2_CONTROL, compute, issu_started, run_on,
)

pytestmark = pytest.mark.lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASK_HOST = 'lab-v2-ctrl1'
STATE = '/var/tmp/issu-collectors-test.json'   # not the session's record
AGENT, NODEMGR = 'contrail-vrouter-agent', 'contrail-vrouter-nodemgr'
#: The vRouter's programs and pids (supervisord_vrouter's socket, wherever 3.2 put it).
PIDS = ('s=$(ls /var/run/supervisord_vrouter.sock /tmp/supervisord_vrouter.sock 2>/dev/null | head -1); '
        'supervisorctl -s unix://$s status')

PLAY = [{
    'name': 'The end of a forced finalize', 'hosts': 'issu_task', 'gather_facts': False,
    'vars': {'state_path': STATE},
    'tasks': [
        {'name': 'Read the record', 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.state', 'tasks_from': 'read.yml'}},
        {'name': "Point the computes left on v1 at v2's collectors", 'ansible.builtin.include_role': {
            'name': 'opencontrail.issu.finalize', 'tasks_from': 'collectors'}},
    ],
}]


def pids(lab, host):
    out = lab.exec(host, 'sh', '-c', PIDS).stdout
    return dict((name, int(pid)) for name, pid in re.findall(r'^(\S+)\s+RUNNING\s+pid (\d+)', out, re.M))


def playbook(path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    return subprocess.run(['ansible-playbook', '-i', 'inventories/lab', str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def left_on_v1(lab, compute):
    """A record (its own path on issu_task) of a finalize that left lab-compute1 on v1."""
    record = {'version': 1, 'phase': 'finalizing', 'history': [], 'steps': {'synced': 'x', 'switched': 'x'},
              'marks': {}, 'northbound': {'state': 'open', 'since': None, 'windows': []},
              'hosts': {compute: {'status': 'v1', 'version': V1,
                                  'left_on_v1': 'left on v1 by a forced finalize (issu_force)'}}}
    lab.podman('exec', '-i', TASK_HOST, 'sh', '-c', 'cat > %s' % STATE, input_text=json.dumps(record))
    yield compute
    lab.exec(TASK_HOST, 'rm', '-rf', STATE, STATE + '.bak', STATE + '.lock', STATE + '.hosts')


def test_a_compute_left_on_v1_reports_to_v2s_collector_without_an_agent_restart(lab, left_on_v1, run_on, tmp_path):
    before = run_on(left_on_v1, 'vrouter_info', {'gather_routes': False})
    assert before['version'] == V1 and before['agent_conf']['collectors'] == [], before['agent_conf']
    started = pids(lab, left_on_v1)
    assert AGENT in started and NODEMGR in started, started
    play = tmp_path / 'collectors.json'
    play.write_text(json.dumps(PLAY))

    run = playbook(play)
    assert run.returncode == 0, run.stdout[-4000:]
    assert ("1 compute(s) left on v1 point at v2's collectors %s: %s (%s restarted)."
            % (V2_CONTROL, left_on_v1, NODEMGR)) in run.stdout, run.stdout[-4000:]
    assert 'WARNING' not in run.stdout
    after = run_on(left_on_v1, 'vrouter_info', {'gather_routes': False})
    assert after['agent_conf']['collectors'] == ['%s:8086' % V2_CONTROL], after['agent_conf']
    assert after['nodemgr_conf']['COLLECTOR/server_list'] == '%s:8086' % V2_CONTROL
    assert after['agent_conf']['era'] == '3.x' and after['agent_conf']['discovery_server'] == V1_CONTROL
    assert after['node']['tor_agents'] == 0  # a ToR agent's conf: the module's unit tests
    now = pids(lab, left_on_v1)
    assert now[AGENT] == started[AGENT], 'the 3.2 agent was restarted'
    assert now[NODEMGR] != started[NODEMGR], 'the nodemgr was not restarted'
    assert [x['controller_ip'] for x in after['xmpp'] if x['state'] == 'Established'] == [V1_CONTROL]

    again = playbook(play)
    assert again.returncode == 0, again.stdout[-4000:]
    assert '%s (already pointing there)' % left_on_v1 in again.stdout, again.stdout[-4000:]
    assert pids(lab, left_on_v1) == now
