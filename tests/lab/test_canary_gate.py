"""The canary gate (roles/vrouter/tasks/canary.yml) on the lab's computes, read as they run.

Driven directly, with lab-compute1 as the canary and the other computes as its peers: the state
"before the swap" is a real read taken just before the gate; the same state passes, and a canary
with fewer routes than it had before (its before given more) is stopped with the difference in
the message. The whole compute phase runs the gate in every end-to-end scenario (on by default).
"""
import os
import re
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
V1_CONTROL = '10.99.0.11'
FIRST = "inventory_hostname == ansible_play_hosts_all | first"


def run_gate(tmp_path, extra_routes):
    play = [{
        'name': 'canary gate on lab-compute1, the later computes as its peers',
        'hosts': 'contrail_computes',
        'gather_facts': False,
        'serial': 1,
        'tasks': [
            {'name': 'Read the canary as before its swap',
             'opencontrail.issu.vrouter_info': {'gather_routes': True},
             'register': 'gate_read', 'when': FIRST},
            {'name': 'Show the flaps it had',
             'ansible.builtin.debug': {'msg': "flaps before: {{ gate_read.xmpp | map(attribute='flap_count') | sum }}"},
             'when': FIRST},
            {'name': 'Take it as the state before the swap',
             'ansible.builtin.set_fact': {
                 'vrouter_before': "{{ gate_read | combine({'routes': {'total': gate_read.routes.total + %d}},"
                                   " recursive=true) }}" % extra_routes},
             'when': FIRST},
            # The lab's computes run v1 here: the canary is judged against the v1 control node.
            {'name': 'Run the gate',
             'ansible.builtin.include_role': {'name': 'opencontrail.issu.vrouter', 'tasks_from': 'canary.yml'},
             'vars': {'vrouter_control_servers': [V1_CONTROL], 'vrouter_canary_observe': 2},
             'when': FIRST},
        ],
    }]
    path = tmp_path / 'gate.yml'
    path.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    return subprocess.run(['ansible-playbook', '-i', 'inventories/lab', str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_same_state_passes_and_the_peers_are_read(lab, tmp_path):
    run = run_gate(tmp_path, 0)
    flaps = int(re.search(r'flaps before: (\d+)', run.stdout).group(1))
    if flaps:   # an earlier test flapped this v1 agent's XMPP: that and only that is found
        assert run.returncode != 0 and re.search(r'canary gate: .*: %d XMPP flap\(s\) since the swap"' % flaps,
                                                 run.stdout), run.stdout[-3000:]
    else:
        assert run.returncode == 0, run.stdout[-3000:]
    for peer in ('lab-compute2', 'lab-compute3'):
        assert re.search(r'ok: \[lab-compute1 -> %s' % peer, run.stdout), run.stdout[-3000:]


def test_a_canary_with_fewer_routes_than_before_its_swap_is_stopped_with_the_difference(lab, tmp_path):
    run = run_gate(tmp_path, 1000)
    assert run.returncode != 0
    found = re.search(r'canary gate: lab-compute1 on v2 is worse than before its swap or than the computes '
                      r'still on v1 \(lab-compute2, lab-compute3\), after 2 s: .*?(\d+) routes, (\d+) before the swap',
                      run.stdout)
    assert found, run.stdout[-3000:]
    assert int(found.group(2)) == int(found.group(1)) + 1000
