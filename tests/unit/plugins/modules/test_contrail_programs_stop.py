# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrail_programs_stop against a fake supervisord (XML-RPC on a UNIX socket)."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import ServiceError
from ansible_collections.opencontrail.issu.plugins.modules import contrail_programs_stop as cps
# pylint: disable-next=unused-import
from ansible_collections.opencontrail.issu.tests.unit.plugins.supervisord_fixtures import (  # noqa: F401
    info,
    supervisord_rpc,
)


class Failed(Exception):
    pass


class FakeModule:
    """What the module uses of IssuModule; no supervisorctl is expected."""

    def __init__(self, socket, check_mode=False, timeout=5, role='config'):
        self.params = dict(role=role, socket=socket, timeout=timeout)
        self.check_mode, self.result, self.calls = check_mode, {}, []

    def run_command(self, cmd, environ_update=None):
        self.calls.append(cmd)
        return 2, '', 'unix:///nowhere refused connection'

    def fail(self, msg, exc=None, **result):
        raise Failed(msg)


def config_role(supervisord_rpc, **kwargs):
    return supervisord_rpc([info('contrail-api', 'RUNNING', group='contrail-api'),
                            info('contrail-schema', 'RUNNING'),
                            info('contrail-config-nodemgr', 'STARTING'),
                            info('contrail-device-manager', 'STOPPED')], **kwargs)


def test_stops_every_running_program_then_is_idempotent(supervisord_rpc):
    path, calls = config_role(supervisord_rpc)
    result = cps.run(FakeModule(path))
    assert result['changed'] and result['supervisord'] == 'running'
    assert result['stopped'] == ['contrail-api', 'contrail-config-nodemgr', 'contrail-schema']
    assert result['programs']['contrail-api'] == 'RUNNING'
    assert set(result['programs_after'].values()) == {'STOPPED'}
    assert 'contrail-api: RUNNING' in result['diff']['before']
    assert 'contrail-api: STOPPED' in result['diff']['after']
    assert calls.count('stopAllProcesses(False)') == 1
    again = cps.run(FakeModule(path))
    assert not again['changed'] and again['stopped'] == [] and 'programs_after' not in again
    assert calls.count('stopAllProcesses(False)') == 1


def test_check_mode_says_what_it_would_stop_and_stops_nothing(supervisord_rpc):
    path, calls = config_role(supervisord_rpc)
    result = cps.run(FakeModule(path, check_mode=True))
    assert result['changed'] and result['stopped'] == ['contrail-api', 'contrail-config-nodemgr',
                                                       'contrail-schema']
    assert 'contrail-schema: STOPPED' in result['diff']['after']
    assert 'stopAllProcesses(False)' not in calls


def test_no_supervisord_means_nothing_runs(tmp_path):
    module = FakeModule(str(tmp_path / 'supervisord_config.sock'))
    result = cps.run(module)
    assert not result['changed'] and result['supervisord'] == 'not running' and result['stopped'] == []


def test_a_program_that_does_not_stop_fails_naming_it(supervisord_rpc):
    path, _calls = config_role(supervisord_rpc, stops=False)
    with pytest.raises(ServiceError, match='contrail-api, contrail-config-nodemgr, contrail-schema '
                                           'still running 0.2s after'):
        cps.run(FakeModule(path, timeout=0.2))


@pytest.mark.parametrize('params, message', [
    (dict(timeout=-1), 'timeout must be 0 or more seconds, got -1'),
    (dict(role='../etc'), "role must be a Contrail role's name (config, control, analytics...), got ../etc"),
])
def test_bad_input_fails_before_asking_anything(supervisord_rpc, params, message):
    path, calls = config_role(supervisord_rpc)
    module = FakeModule(path if 'role' not in params else None, **params)
    with pytest.raises(Failed, match=message.replace('(', r'\(').replace(')', r'\)').replace('.', r'\.')):
        cps.run(module)
    assert calls == [] and module.calls == []
