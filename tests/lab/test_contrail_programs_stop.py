# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrail_programs_stop on lab-v1-ctrl1's supervisor-config (the real supervisord 3.x/4.x of
the image, Contrail's supervisord_config.conf and program files): check mode stops nothing, the
stop leaves every program STOPPED and the config API closed while supervisord runs on, the
second run changes nothing; the programs are started again at the end."""

from __future__ import annotations

import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import V1 as V1_API  # noqa: E402

pytestmark = pytest.mark.lab

V1 = 'lab-v1-ctrl1'
SOCKET = 'unix:///var/run/supervisord_config.sock'


def states(lab):
    out = lab.exec(V1, 'supervisorctl', '-s', SOCKET, 'status', check=False).stdout
    return dict(line.split()[:2] for line in out.splitlines() if len(line.split()) >= 2)


def api_answers():
    try:
        socket.create_connection((V1_API['api_server_host'], V1_API['api_server_port']), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def config_programs_restarted(lab):
    yield
    lab.exec(V1, 'supervisorctl', '-s', SOCKET, 'start', 'all', check=False)
    lab.exec(V1, 'service', 'supervisor-config', 'start', check=False)


def test_every_config_program_stops_at_once_and_supervisord_runs_on(lab, run_module, config_programs_restarted):
    before = states(lab)
    assert before.get('contrail-api:0') == 'RUNNING' and api_answers(), before
    checked = run_module('contrail_programs_stop', dict(role='config'), check=True, host=V1)
    assert checked['changed'] and 'contrail-api:0' in checked['stopped'], checked
    assert states(lab) == before

    done = run_module('contrail_programs_stop', dict(role='config'), diff=True, host=V1)
    assert not done.get('failed'), done.get('msg')
    assert done['changed'] and done['socket'] == '/var/run/supervisord_config.sock'
    assert sorted(done['stopped']) == sorted(name for name, state in before.items() if state == 'RUNNING')
    assert set(done['programs_after'].values()) == {'STOPPED'}, done['programs_after']
    assert set(states(lab).values()) == {'STOPPED'} and not api_answers()
    assert lab.exec(V1, 'service', 'supervisor-config', 'status', check=False).returncode == 0

    again = run_module('contrail_programs_stop', dict(role='config'), host=V1)
    assert not again['changed'] and again['stopped'] == [], again
    # what finalize's decommission does next: supervisord itself stops, quickly now
    lab.exec(V1, 'service', 'supervisor-config', 'stop')
    gone = run_module('contrail_programs_stop', dict(role='config'), host=V1)
    assert not gone['changed'] and gone['supervisord'] == 'not running', gone
