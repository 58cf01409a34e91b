# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""neutron_contrail_plugin: keys set in place, the backup, one restart when needed, bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import ServiceError
from ansible_collections.opencontrail.issu.plugins.modules import neutron_contrail_plugin as ncp

PLUGIN = """\
[APISERVER]
# the config API
api_server_ip=10.99.0.11
api_server_port = 8082

[COLLECTOR]
analytics_api_ip=10.99.0.11

[KEYSTONE]
api_server_ip=10.99.0.11
"""
TO_V2 = [dict(section='APISERVER', option='api_server_ip', value='10.99.0.21'),
         dict(section='COLLECTOR', option='analytics_api_ip', value='10.99.0.21')]


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, path, settings=None, service='neutron-server', check_mode=False, rc=0):
        self.params = dict(path=str(path), settings=settings or TO_V2, service=service, backup=True)
        self.check_mode, self.result, self.calls, self.rc = check_mode, {}, [], rc

    def run_command(self, cmd, environ_update=None):
        self.calls.append(cmd)
        return self.rc, '', 'neutron-server: unrecognized service' if self.rc else ''

    def backup_local(self, path):
        shutil.copy(path, path + '.bak')
        return path + '.bak'

    def fail(self, msg, exc=None, **result):
        raise Failed(msg)


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'ContrailPlugin.ini'
    path.write_text(PLUGIN)
    return path


# service_manager.restart_service picks the command from the machine's init system.
RESTARTS = (['systemctl', 'restart', 'neutron-server'], ['service', 'neutron-server', 'restart'])


def test_sets_the_keys_in_place_backs_up_restarts_then_does_nothing(conf):
    module = FakeModule(conf)
    result = ncp.run(module)
    assert result['changed'] and result['restarted'] and result['restart_reason'] == 'changed'
    assert result['changed_keys'] == ['APISERVER.api_server_ip', 'COLLECTOR.analytics_api_ip']
    assert conf.read_text() == PLUGIN.replace('api_server_ip=10.99.0.11\napi_server_port',
                                              'api_server_ip=10.99.0.21\napi_server_port').replace(
        'analytics_api_ip=10.99.0.11', 'analytics_api_ip=10.99.0.21')    # [KEYSTONE] untouched
    assert open(result['backup_file']).read() == PLUGIN
    assert len(module.calls) == 1 and module.calls[0] in RESTARTS
    assert result['diff']['before'] == PLUGIN and result['diff']['after'] == conf.read_text()
    again = FakeModule(conf)
    result = ncp.run(again)
    assert not result['changed'] and not result['restarted'] and result['restart_reason'] == 'none'
    assert again.calls == [] and result['changed_keys'] == []


def test_check_mode_tells_and_touches_nothing(conf):
    module = FakeModule(conf, check_mode=True)
    result = ncp.run(module)
    assert result['changed'] and result['restarted'] and 'backup_file' not in result
    assert conf.read_text() == PLUGIN and module.calls == []


def test_no_service_no_restart(conf):
    module = FakeModule(conf, service='')
    result = ncp.run(module)
    assert result['changed'] and not result['restarted'] and module.calls == []


def test_a_neutron_server_older_than_its_conf_is_restarted_though_nothing_changes(conf):
    # An earlier run re-pointed the conf and could not restart neutron-server: a process started
    # with the conf as --config-file before the conf last changed runs a config it has not read.
    settings = [dict(section='APISERVER', option='api_server_ip', value='10.99.0.11')]
    reader = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)',
                               '--config-file', str(conf)])
    other = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)',
                              '--config-file=%s.other' % conf])
    try:
        deadline = time.time() + 10
        while reader.pid not in ncp.readers(str(conf)) and time.time() < deadline:
            time.sleep(0.05)
        assert ncp.readers(str(conf)) == [reader.pid]
        fresh = FakeModule(conf, settings=settings)
        assert ncp.run(fresh)['restart_reason'] == 'none' and fresh.calls == []
        later = time.time() + 5
        os.utime(str(conf), (later, later))
        stale = FakeModule(conf, settings=settings)
        result = ncp.run(stale)
        assert result['changed'] and result['restarted'] and result['restart_reason'] == 'stale'
        assert result['changed_keys'] == [] and len(stale.calls) == 1
    finally:
        for process in (reader, other):
            process.kill()
            process.wait()


def test_a_failed_restart_is_an_error_with_the_command(conf):
    module = FakeModule(conf, rc=1)
    with pytest.raises(ServiceError) as raised:
        ncp.run(module)
    assert '%s failed (rc=1)' % ' '.join(module.calls[0]) in str(raised.value)
    assert module.calls[0] in RESTARTS


@pytest.mark.parametrize('settings, message', [
    ([dict(section='API]SERVER', option='api_server_ip', value='x')], 'section must be a plain INI section name'),
    ([dict(section='APISERVER', option='', value='x')], 'option must be a plain INI option name'),
    ([dict(section='APISERVER', option='api_server_ip', value='a\nb')], 'APISERVER.api_server_ip spans lines'),
])
def test_bad_settings_fail_before_anything_changes(conf, settings, message):
    with pytest.raises(Failed, match=message):
        ncp.run(FakeModule(conf, settings=settings))
    assert conf.read_text() == PLUGIN


def test_a_missing_conf_says_where(tmp_path):
    with pytest.raises(Failed, match='does not exist: is this a neutron-server host'):
        ncp.run(FakeModule(tmp_path / 'nowhere.ini'))
