# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""neutron_contrail_plugin on lab-openstack's neutron-server (its init script, its
ContrailPlugin.ini given as a --config-file): check mode changes nothing; the keys set to v2's
address with a backup and neutron-server restarted; a second run changes nothing; a conf changed
after neutron-server started (a run whose restart failed) restarts it though no key changes. The
conf and neutron-server are put back as they were at the end."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.lab

HOST = 'lab-openstack'
CONF = '/etc/neutron/plugins/opencontrail/ContrailPlugin.ini'


def neutron_pid(lab):
    """The pid of the process started with the plugin conf (the lab's neutron-server)."""
    out = lab.exec(HOST, 'pgrep', '-f', '--', '--config-file %s' % CONF, check=False).stdout.split()
    return out[0] if out else None


@pytest.fixture
def plugin_conf(lab):
    before = lab.exec(HOST, 'cat', CONF).stdout
    lab.exec(HOST, 'cp', '-p', CONF, '/tmp/ContrailPlugin.ini.saved')
    yield before
    lab.exec(HOST, 'cp', '-p', '/tmp/ContrailPlugin.ini.saved', CONF)
    lab.exec(HOST, 'sh', '-c', 'rm -f %s.*~ /tmp/ContrailPlugin.ini.saved' % CONF, check=False)
    lab.exec(HOST, 'service', 'neutron-server', 'restart', check=False)


def test_re_points_the_plugin_and_restarts_neutron_server_once(lab, run_module, plugin_conf):
    v1_ip = [line.split('=', 1)[1].strip() for line in plugin_conf.splitlines()
             if line.replace(' ', '').startswith('api_server_ip=')][0]
    settings = [dict(section='APISERVER', option='api_server_ip', value='10.99.0.21'),
                dict(section='COLLECTOR', option='analytics_api_ip', value='10.99.0.21')]
    pid = neutron_pid(lab)
    assert pid, 'no neutron-server runs with %s' % CONF
    checked = run_module('neutron_contrail_plugin', dict(settings=settings), check=True, diff=True, host=HOST)
    assert checked['changed'] and checked['restarted'], checked
    assert lab.exec(HOST, 'cat', CONF).stdout == plugin_conf and neutron_pid(lab) == pid

    done = run_module('neutron_contrail_plugin', dict(settings=settings), host=HOST)
    assert not done.get('failed'), done.get('msg')
    assert done['changed_keys'] == ['APISERVER.api_server_ip', 'COLLECTOR.analytics_api_ip']
    assert done['restarted'] and done['restart_reason'] == 'changed'
    assert lab.exec(HOST, 'cat', done['backup_file']).stdout == plugin_conf
    text = lab.exec(HOST, 'cat', CONF).stdout
    assert 'api_server_ip=10.99.0.21' in text and v1_ip not in text.split('[KEYSTONE]')[0]
    assert text.split('[KEYSTONE]')[1] == plugin_conf.split('[KEYSTONE]')[1]
    restarted = neutron_pid(lab)
    assert restarted and restarted != pid

    again = run_module('neutron_contrail_plugin', dict(settings=settings), host=HOST)
    assert not again['changed'] and not again['restarted'] and neutron_pid(lab) == restarted

    # The conf changes after neutron-server started, as when a run edited it and its restart
    # failed: neutron-server runs a config it has not read, and is restarted.
    time.sleep(1.5)     # /proc dates a process' start to the second
    lab.exec(HOST, 'touch', CONF)
    stale = run_module('neutron_contrail_plugin', dict(settings=settings), host=HOST)
    assert stale['changed'] and stale['restarted'] and stale['restart_reason'] == 'stale', stale
    assert stale['changed_keys'] == [] and neutron_pid(lab) not in (None, restarted)
