# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inside the finalize freeze each neutron-server host re-points its own neutron Contrail plugin
(and restarts neutron-server) in the play in which v1 stops, beside issu_task's stop of run-sync
and switch of HAProxy, instead of issu_task doing it after them; the final sync then checks every
such host did, or fails (into its rescue, northbound kept frozen) naming it and why.

Run by ansible-playbook on this machine: the play is taken from playbooks/issu_finalize.yml as it
is; issu_task's part runs the finalize role's switch_over.yml with stand-ins for run-sync and
HAProxy (tests/integration/stand_ins.py), the check is sync.yml's with stand-ins for the final
sync and the record. The neutron plan is the one neutron_read.yml makes before the freeze, for a
plugin that names v1's controller; neutron-server is not restarted (no service named).

* the neutron host re-points its plugin itself (the edit is its task, not issu_task's), the check
  passes and the final sync runs;
* the neutron host unreachable, or its plugin missing: the check names it with why, the final
  sync does not run, nothing is recorded;
* a neutron host outside the play (a group of its own): issu_task re-points it, as before.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # stand_ins.py is beside us
from stand_ins import FINAL_SYNC, ROOT, calls, collection_with  # noqa: E402

pytestmark = pytest.mark.integration

STOP_PLAY = "ISSU finalize | stop v1's config services and run-sync, switch northbound to v2, all at once"
V1_IP, V2_IP = '192.0.2.11', '192.0.2.21'
PLUGIN = '[APISERVER]\napi_server_ip = %s\napi_server_port = 8082\n\n[COLLECTOR]\nanalytics_api_ip = %s\n' % (
    V1_IP, V1_IP)

STAND_INS = {
    'issu_run_sync': '''
module = AnsibleModule(dict(state=dict(type='str'), conf=dict(type='raw')))
log('run-sync %s' % module.params['state'])
module.exit_json(changed=True)
''',
    'haproxy_backend': '''
module = AnsibleModule(dict((name, dict(type='raw')) for name in (
    'socket', 'backends', 'addresses', 'add_addresses', 'server_state_file', 'config_file', 'backup')))
log('haproxy switched')
module.exit_json(changed=True)
''',
    'issu_final_sync': FINAL_SYNC,
}


def playbook(conf, planned):
    """The plan read by neutron_read.yml, or ``planned`` as it would have made it (set as it is:
    the host is gone or its plugin was removed since)."""
    with open(os.path.join(ROOT, 'playbooks', 'issu_finalize.yml')) as handle:
        plays = [play for play in yaml.safe_load(handle) if play['name'] == STOP_PLAY]
    assert len(plays) == 1
    task_vars = {'state_result': {'operation': {'behind': [], 'to_do': True}},
                 'config_sync_conf': '/nonexistent.conf', 'finalize_tool_timeout': 60,
                 'issu_v2_api': {'url': 'http://127.0.0.1:9'},
                 'finalize_v1_final_config': '/nonexistent.json'}
    return [
        {'name': 'issu_task passed the point of no return, the neutron plan made before the freeze',
         'hosts': 'issu_task', 'gather_facts': False, 'tasks': [
             {'ansible.builtin.set_fact': dict(task_vars, finalize_stop_v1=True)},
             {'ansible.builtin.include_role': {'name': 'opencontrail.issu.northbound',
                                               'tasks_from': 'neutron_read.yml'}}
             if not planned else
             {'ansible.builtin.set_fact': {'northbound_neutron_plan': dict(path=conf, service='', edits=[
                 dict(host='neutron1', settings=[dict(section='APISERVER', option='api_server_ip',
                                                      value=V2_IP)])])}}]},
        {'name': "The v1 controllers' services, as gate.yml reads them (none to stop here)",
         'hosts': 'contrail_v1_controllers', 'gather_facts': False,
         'tasks': [{'ansible.builtin.set_fact': {'ansible_facts': {'services': {}}}}]},
        plays[0],
        {'name': 'The final sync begins by checking the stops and the neutron hosts', 'hosts': 'issu_task',
         'gather_facts': False, 'tasks': [
             {'ansible.builtin.include_role': {'name': 'opencontrail.issu.finalize', 'tasks_from': 'sync.yml'}}]},
    ]


@pytest.fixture
def run(tmp_path):
    world = tmp_path / 'world'
    world.mkdir()
    (world / 'calls.log').write_text('')
    collections = collection_with(tmp_path, STAND_INS, world)
    local = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    unreachable = {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': 1,
                   'ansible_python_interpreter': sys.executable}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_HOST_KEY_CHECKING='0',
               ANSIBLE_TIMEOUT='5', ANSIBLE_STDOUT_CALLBACK='json', PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])

    def play(neutron='in the play', plugin=PLUGIN):
        conf = tmp_path / 'ContrailPlugin.ini'
        if plugin is not None:
            conf.write_text(plugin)
        neutron_group = 'openstack_neutron' if neutron != 'elsewhere' else 'neutron_elsewhere'
        inventory = {'all': {
            'vars': {'finalize_v1_services': ['issu-test-none'], 'issu_sync_conf': '/nonexistent.conf',
                     'northbound_neutron_group': neutron_group, 'northbound_neutron_plugin_conf': str(conf),
                     'northbound_neutron_service': ''},
            'children': {
                'issu_task': {'hosts': {'task': local}},
                'contrail_v1_controllers': {'hosts': {'v1ctl1': dict(local, contrail_host_ip=V1_IP)}},
                'contrail_v2_controllers': {'hosts': {'v2ctl1': dict(local, contrail_host_ip=V2_IP)}},
                'openstack_haproxy': {'hosts': {'hap': local}},
                neutron_group: {'hosts': {'neutron1': unreachable if neutron == 'unreachable' else local}}}}}
        (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
        planned = neutron == 'unreachable' or plugin is None
        (tmp_path / 'play.json').write_text(json.dumps(playbook(str(conf), planned)))
        cmd = ['ansible-playbook', '-i', str(tmp_path / 'inventory.json'), str(tmp_path / 'play.json')]
        done = subprocess.run(cmd, env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300, check=False)
        text = conf.read_text() if conf.exists() else None
        return done.returncode, done.stdout, text

    play.calls = lambda: calls(world)
    return play


def edited_by(out):
    """{host that ran the plugin edit: the hosts it edited} from the json callback's output."""
    edits = {}
    for play in json.loads(out[out.index('{'):])['plays']:
        for task in play['tasks']:
            if task['task']['name'].endswith('Re-point the [APISERVER] and [COLLECTOR] keys that name a '
                                             'v1 controller, restart neutron-server for them'):
                for host, result in task['hosts'].items():
                    changed = [item['item']['host'] for item in result.get('results', []) if item.get('changed')]
                    if changed:
                        edits[host] = sorted(set(changed))
    return edits


def test_the_neutron_host_re_points_its_own_plugin_beside_issu_task(run):
    rc, out, text = run()
    assert rc == 0, out[-5000:]
    assert 'api_server_ip = %s' % V2_IP in text and 'analytics_api_ip = %s' % V2_IP in text, text
    assert edited_by(out) == {'neutron1': ['neutron1']}, out[-5000:]       # not issu_task
    assert [line.split(' {')[0] for line in run.calls()] == [
        'run-sync absent', 'haproxy switched', 'final sync', 'record synced,switched']


def test_a_neutron_host_outside_the_play_is_re_pointed_by_issu_task(run):
    rc, out, text = run(neutron='elsewhere')
    assert rc == 0, out[-5000:]
    assert 'api_server_ip = %s' % V2_IP in text, text
    assert edited_by(out) == {'task': ['neutron1']}, out[-5000:]
    assert [line.split(' {')[0] for line in run.calls()[-2:]] == ['final sync', 'record synced,switched']


@pytest.mark.parametrize('case, why', [
    ('unreachable', 'it did not answer (unreachable?)'),
    ('no plugin', 'does not exist'),
])
def test_the_check_names_a_neutron_host_that_did_not_re_point_its_plugin(run, case, why):
    rc, out, _text = run(neutron='unreachable') if case == 'unreachable' else run(plugin=None)
    assert rc != 0, out[-5000:]
    message = re.search(r'The neutron Contrail plugin of neutron1 was not re-pointed at v2: (.*?)\. '
                        r'Northbound stays frozen', re.sub(r'\s+', ' ', out.replace('\\n', ' ')))
    assert message and why in message.group(1), out[-5000:]
    assert run.calls() == ['run-sync absent', 'haproxy switched'], run.calls()   # no final sync, no record
