# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API connections given as plain dict options: validation, defaults and secrets."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import (
    connection_module, connection_params,
)

SECRET = 's3cr3t-Pw'
KEYSTONE = dict(api_server_host='10.99.0.11', auth_type='keystone', username='admin',
                password=SECRET, keystone_auth_url='http://10.99.0.5:35357/v3')


class Failed(Exception):
    """What FakeModule.fail_json raises."""


class FakeModule:
    """The part of AnsibleModule that connection_params uses."""

    def __init__(self):
        self.no_log_values = set()

    def fail_json(self, msg):
        raise Failed(msg)


def test_connection_params_fills_defaults_and_registers_the_password():
    module = FakeModule()
    conn = connection_params(module, dict(KEYSTONE, project_name='demo'), 'v1')
    assert conn['api_server_port'] == 8082 and conn['timeout'] == 30
    assert conn['tenant_name'] == 'demo'
    assert module.no_log_values == {SECRET}


@pytest.mark.parametrize('value, message', [
    ({}, 'v1: missing required arguments: api_server_host'),
    (dict(api_server_host='h', bogus=1), 'v1: unsupported parameters: bogus.'),
    (dict(api_server_host='h', auth_type='keystone', password=SECRET),
     'v1: auth_type is keystone but all of the following are missing: keystone_auth_url, username'),
    (dict(api_server_host='h', api_server_port='http'), "v1: argument 'api_server_port' is of type"),
])
def test_connection_params_names_the_option_on_bad_input(value, message):
    module = FakeModule()
    with pytest.raises(Failed) as failure:
        connection_params(module, value, 'v1')
    assert str(failure.value).startswith(message)


SPEC = dict(v1=dict(type='dict', required=True), reads=dict(type='list', elements='dict'),
            other=dict(type='str'))


@pytest.fixture
def target_log(monkeypatch):
    """What the module writes to the target's log (journal or syslog)."""
    lines = []
    monkeypatch.setattr(basic, 'has_journal', False)
    monkeypatch.setattr(basic.AnsibleModule, '_log_to_syslog', lambda self, msg: lines.append(msg))
    return lines


def build(args):
    with patch_module_args(args):
        return connection_module(SPEC, ('v1', 'reads'))


def exit_output(args, capsys):
    """The JSON a module built with ``args`` prints when it exits."""
    with patch_module_args(args), pytest.raises(SystemExit):
        connection_module(SPEC, ('v1', 'reads')).exit_json(changed=False)
    return capsys.readouterr().out


def test_connection_module_validates_every_connection_in_place(target_log):
    module = build(dict(v1=KEYSTONE, reads=[dict(api_server_host='10.99.0.21'), KEYSTONE],
                        other='x'))
    assert module.params['v1']['api_server_port'] == 8082
    assert [conn['api_retries'] for conn in module.params['reads']] == [3, 3]
    assert module.params['other'] == 'x'


def test_passwords_never_reach_the_output_or_the_target_log(target_log, capsys):
    output = exit_output(dict(v1=KEYSTONE, reads=[dict(KEYSTONE, password='other-' + SECRET)]),
                         capsys)
    assert len(target_log) == 1 and target_log[0].startswith('Invoked with')
    assert '10.99.0.11' in target_log[0] and SECRET not in target_log[0]
    assert SECRET not in output
    args = json.loads(output)['invocation']['module_args']
    assert args['v1']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert args['reads'][0]['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert args['v1']['api_server_host'] == '10.99.0.11'


def test_a_bad_connection_fails_the_module_without_showing_its_password(target_log, capsys):
    output = exit_output(dict(v1=KEYSTONE, reads=[dict(password=SECRET)]), capsys)
    assert json.loads(output)['msg'] == 'reads[0]: missing required arguments: api_server_host'
    assert SECRET not in output and target_log == []


def test_an_omitted_optional_connection_stays_none(target_log):
    assert build(dict(v1=dict(api_server_host='h'))).params['reads'] is None
