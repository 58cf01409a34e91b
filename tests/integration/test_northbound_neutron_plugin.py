# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/northbound neutron_plugin.yml (finalize's neutron plugin switch) on localhost.

The role's tasks run through ansible-playbook with a local connection on a temporary
ContrailPlugin.ini; the v1/v2 controllers are inventory entries only (never contacted), and
the neutron-server restart is turned off with northbound_neutron_service=''.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

V1 = ('192.0.2.11', '192.0.2.12', '192.0.2.13')
V2 = ('192.0.2.21', '192.0.2.22', '192.0.2.23')
VIP = '192.0.2.5'

PLUGIN_INI = """\
[APISERVER]
api_server_ip = {api}
api_server_port = 8082
multi_tenancy = True
contrail_extensions = ipam:neutron_plugin_contrail.plugins.opencontrail.contrail_plugin_ipam.NeutronPluginContrailIpam

[COLLECTOR]
analytics_api_ip = {analytics}
analytics_api_port = 8081

[KEYSTONE]
# not the Contrail API: must never be touched
api_server_ip = {api}
auth_url = http://{vip}:35357/v2.0
"""


def inventory(neutron_group='openstack_neutron'):
    hosts = {'localhost': {'ansible_connection': 'local',
                           'ansible_python_interpreter': sys.executable}}
    groups = {
        'contrail_v1_controllers': {'hosts': dict(('v1-ctrl%d' % (n + 1), {'contrail_host_ip': ip})
                                                  for n, ip in enumerate(V1))},
        'contrail_v2_controllers': {'hosts': dict(('v2-ctrl%d' % (n + 1), {'contrail_host_ip': ip})
                                                  for n, ip in enumerate(V2))},
        neutron_group: {'hosts': hosts},
    }
    return {'all': {'children': groups}}


@pytest.fixture
def run_neutron_plugin(collections_path, tmp_path):
    def run(conf, neutron_group='openstack_neutron', extra=None, check=False):
        inv = tmp_path / 'hosts.yml'
        inv.write_text(json.dumps(inventory(neutron_group)))
        play = tmp_path / 'play.yml'
        role_vars = dict(northbound_neutron_plugin_conf=str(conf), northbound_neutron_service='')
        role_vars.update(extra or {})
        play.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
            'name': 'neutron plugin switch',
            'ansible.builtin.include_role': {'name': 'opencontrail.issu.northbound',
                                             'tasks_from': 'neutron_plugin.yml'},
            'vars': role_vars}]}]))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path,
                   ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0')
        beside = Path(sys.executable).parent / 'ansible-playbook'
        ansible_playbook = str(beside) if beside.exists() else shutil.which('ansible-playbook')
        cmd = [ansible_playbook, '-i', str(inv), str(play)] + (['--check'] if check else [])
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        try:
            output = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError('ansible-playbook did not print JSON:\n%s\n%s'
                                 % (proc.stdout, proc.stderr))
        tasks = dict((t['task']['name'].split(' : ')[-1], t['hosts'].get('localhost', {}))
                     for t in output['plays'][0]['tasks'])
        assert proc.returncode == 0, json.dumps(tasks, indent=1)[:6000]
        return tasks
    return run


def values(conf):
    """(section, key) -> value, section by section, as the plugin reads them."""
    found, section = {}, None
    for line in conf.read_text().splitlines():
        line = line.strip()
        if line.startswith('['):
            section = line.strip('[]')
        elif '=' in line and not line.startswith('#'):
            key, value = line.split('=', 1)
            found[(section, key.strip())] = value.strip()
    return found


EDIT = 'Re-point the [APISERVER] and [COLLECTOR] keys that name a v1 controller, restart neutron-server for them'


def test_v1_addresses_move_to_v2_section_by_section_then_nothing(run_neutron_plugin, tmp_path):
    conf = tmp_path / 'ContrailPlugin.ini'
    conf.write_text(PLUGIN_INI.format(api=V1[1], analytics=V1[0], vip=VIP))

    planned = run_neutron_plugin(conf, check=True)
    assert planned[EDIT]['changed'] is True
    assert values(conf)[('APISERVER', 'api_server_ip')] == V1[1]  # check mode

    tasks = run_neutron_plugin(conf)
    assert tasks[EDIT]['changed'] is True
    found = values(conf)
    assert found[('APISERVER', 'api_server_ip')] == V2[0]
    assert found[('APISERVER', 'api_server_port')] == '8082'
    assert found[('COLLECTOR', 'analytics_api_ip')] == V2[0]
    assert found[('KEYSTONE', 'api_server_ip')] == V1[1]  # another section's key: untouched
    assert '# not the Contrail API: must never be touched' in conf.read_text()
    edited = tasks[EDIT]['results'][0]
    assert edited['restarted'] is False  # northbound_neutron_service='' in this test
    assert edited['changed_keys'] == ['APISERVER.api_server_ip', 'COLLECTOR.analytics_api_ip']
    assert Path(edited['backup_file']).read_text() == PLUGIN_INI.format(api=V1[1], analytics=V1[0], vip=VIP)

    again = run_neutron_plugin(conf)
    assert again[EDIT].get('changed') is not True
    assert values(conf) == found


def test_a_vip_is_left_alone(run_neutron_plugin, tmp_path):
    conf = tmp_path / 'ContrailPlugin.ini'
    text = PLUGIN_INI.format(api=VIP, analytics=VIP, vip=VIP)
    conf.write_text(text)
    tasks = run_neutron_plugin(conf)
    assert tasks[EDIT].get('changed') is not True
    assert conf.read_text() == text


def test_explicit_addresses_port_and_the_haproxy_fallback(run_neutron_plugin, tmp_path):
    """No openstack_neutron group: the openstack_haproxy hosts are the neutron-server hosts."""
    conf = tmp_path / 'ContrailPlugin.ini'
    conf.write_text(PLUGIN_INI.format(api=V1[0], analytics=VIP, vip=VIP))
    run_neutron_plugin(conf, neutron_group='openstack_haproxy', extra=dict(
        northbound_v2_api_ip='192.0.2.99', northbound_v2_api_port=9100))
    found = values(conf)
    assert found[('APISERVER', 'api_server_ip')] == '192.0.2.99'
    assert found[('APISERVER', 'api_server_port')] == '9100'
    assert found[('COLLECTOR', 'analytics_api_ip')] == VIP  # a VIP: left alone
