"""The phase playbooks refuse bad input and out-of-order runs before anything changes."""
import json
import os
import re
import subprocess

import pytest

pytestmark = pytest.mark.lab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = '/var/lib/contrail-issu/state.json'


def playbook(name, *extra, inventory='inventories/lab', limit=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'), ANSIBLE_NOCOLOR='1',
               PATH=os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'])
    cmd = ['ansible-playbook', '-i', inventory, 'playbooks/%s' % name]
    for item in extra:
        cmd += ['-e', json.dumps(item)]
    cmd += ['--limit', limit] if limit else []
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def record_exists(lab):
    return lab.exec('lab-v2-ctrl1', 'test', '-e', STATE, check=False).returncode == 0


@pytest.fixture
def fresh_issu(lab):
    """No ISSU under way: the state record is absent (moved aside and restored if present)."""
    lab.exec('lab-v2-ctrl1', 'sh', '-c', 'test -e %s && mv %s %s.guards || true' % (STATE, STATE, STATE))
    yield
    lab.exec('lab-v2-ctrl1', 'sh', '-c', 'rm -f %s; test -e %s.guards && mv %s.guards %s || true'
             % (STATE, STATE, STATE, STATE))


@pytest.mark.parametrize('phase_playbook', ['issu_upgrade_computes.yml', 'issu_rollback_computes.yml',
                                            'issu_finalize.yml', 'issu_abort.yml'])
def test_out_of_order_phase_is_refused_and_names_the_next_playbook(lab, fresh_issu, phase_playbook):
    run = playbook(phase_playbook, {'issu_finalize_confirm': True})
    assert run.returncode != 0
    assert "but it is in phase 'new'" in run.stdout and 'playbooks/issu_start.yml' in run.stdout, run.stdout[-3000:]
    assert not record_exists(lab), 'a refused phase wrote the state record'


@pytest.mark.parametrize('phase_playbook', ['issu_upgrade_computes.yml', 'issu_rollback_computes.yml'])
def test_a_limit_without_issu_task_does_not_skip_the_phase_check(lab, fresh_issu, phase_playbook):
    run = playbook(phase_playbook, limit='lab-compute1')
    assert run.returncode != 0
    assert "but it is in phase 'new'" in run.stdout, run.stdout[-3000:]
    assert 'TASK [opencontrail.issu.vrouter' not in run.stdout     # no compute task ran
    assert not record_exists(lab)


def test_preflight_reports_every_bad_input_at_once(lab, fresh_issu):
    run = playbook('issu_preflight.yml',
                   {'issu_serial': [1, '0%']},
                   {'issu_asn': 65000},
                   {'issu_v2_version': '3.2.14.0-37'},
                   {'issu_v2_api': {'api_server_host': '10.99.0.21', 'api_server_port': 1, 'api_retries': 0}})
    assert run.returncode != 0
    text = run.stdout
    assert re.search(r'\d+ problem\(s\)', text), text[-3000:]
    for expected in ('issu_serial: invalid batch size', 'ASN mismatch: v1 uses another ASN than issu_asn=65000',
                     'the target version 3.2.14.0-37 equals the current one', 'cannot connect'):
        assert expected in text, (expected, text[-3000:])
    assert not record_exists(lab)


def test_preflight_refuses_overlapping_v1_and_v2(lab, fresh_issu, tmp_path):
    hosts = open(os.path.join(ROOT, 'inventories/lab/hosts.yml')).read()
    overlapping = hosts.replace('contrail_host_ip: 10.99.0.21', 'contrail_host_ip: 10.99.0.11')
    inventory = tmp_path / 'inventory'
    inventory.mkdir()
    (inventory / 'hosts.yml').write_text(overlapping)
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    run = playbook('issu_preflight.yml', inventory=str(inventory))
    assert run.returncode != 0
    assert 'v1 and v2 controllers overlap: 10.99.0.11 is used by lab-v1-ctrl1' in run.stdout, run.stdout[-3000:]


def test_wrong_credentials_are_reported(lab, fresh_issu):
    # The lab's v1 API accepts any caller (aaa_mode no-auth); point v1 at keystone auth with a
    # keystone that does not exist: the API read fails with a clear message, nothing changes.
    run = playbook('issu_preflight.yml', {'issu_v1_api': {
        'api_server_host': '10.99.0.11', 'auth_type': 'keystone', 'keystone_auth_url': 'http://10.99.0.5:1/v3',
        'username': 'admin', 'password': 'wrong-secret', 'api_retries': 0}})
    assert run.returncode != 0
    assert 'API: Contrail config API http://10.99.0.11:8082' in run.stdout, run.stdout[-3000:]
    assert 'wrong-secret' not in run.stdout


def test_finalize_refuses_while_agents_are_connected_to_v1(lab, fresh_issu):
    """The record can be wrong or incomplete (a compute missing from the inventory): the gate
    asks v1's control nodes over introspect and refuses before the freeze."""
    on_v2 = dict((name, {'status': 'v2', 'version': '4.0.3.0-62'})
                 for name in ('lab-compute1', 'lab-compute2', 'lab-compute3'))
    record = {'version': 1, 'phase': 'started', 'history': [], 'hosts': on_v2, 'steps': {},
              'northbound': {'state': 'open', 'since': None, 'windows': []}}
    lab.podman('exec', '-i', 'lab-v2-ctrl1', 'sh', '-c', 'mkdir -p %s && cat > %s'
               % (os.path.dirname(STATE), STATE), input_text=json.dumps(record))
    run = playbook('issu_finalize.yml', {'issu_finalize_confirm': True})
    assert run.returncode != 0
    assert "vRouter agent(s) are still connected to v1's control nodes" in run.stdout, run.stdout[-3000:]
    for name in on_v2:
        assert name in run.stdout
    assert 'Freeze northbound' not in run.stdout
    after = json.loads(lab.exec('lab-v2-ctrl1', 'cat', STATE).stdout)
    assert after['phase'] == 'started' and after['northbound']['state'] == 'open'
