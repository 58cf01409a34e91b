# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IssuModule: shared option groups, the error shape, the result so far and the diff rule,
run as Ansible runs a module (arguments in, JSON out)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.module_utils import module_base
from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import PlanError
from ansible_collections.opencontrail.issu.plugins.module_utils.contrail_objects import CleanupError
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError
from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_config import NotFound
from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_runtime import HAProxyError
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import IntrospectError
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_state import StateError
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_sync import ConfError
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.pkg_manager import PackageError
from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import (
    GaveUp, ServiceError,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncError
from ansible_collections.opencontrail.issu.plugins.module_utils.vrouter import CommandTimeout, VrouterError
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import WaitTimeout

API = dict(api_server_host='10.99.0.11')


def build(args, spec=None, **kwargs):
    with patch_module_args(args):
        return IssuModule(spec or {}, **kwargs)


def outcome(capsys, run, args=None, spec=None, errors=(), **kwargs):
    """The JSON result of ``IssuModule(spec, **kwargs).run_and_exit(run, errors)``."""
    with patch_module_args(args or {}), pytest.raises(SystemExit):
        IssuModule(spec or {}, **kwargs).run_and_exit(run, errors=errors)
    result = json.loads(capsys.readouterr().out)
    result.pop('invocation', None)
    return result


def raising(exc):
    def run(module):
        raise exc
    return run


# -- the AnsibleModule ---------------------------------------------------------------------

def test_groups_and_own_options_make_one_spec_with_the_groups_defaults():
    module = build(dict(API, name='r1'), dict(name=dict(type='str', required=True)),
                   groups=('vnc_api', 'wait'))
    assert module.params['name'] == 'r1'
    assert module.params['api_server_port'] == 8082 and module.params['wait_timeout'] == 120
    assert module.check_mode is False and module.diff_mode is False


def test_an_own_option_replaces_the_groups_option_of_that_name():
    module = build({}, dict(wait_timeout=dict(type='int', default=60)), groups=('wait',))
    assert module.params['wait_timeout'] == 60 and module.params['wait_interval'] == 1.0


def test_the_vnc_api_group_brings_its_required_if_beside_the_modules_own(capsys):
    args = dict(API, auth_type='keystone', username='admin', password='pw')
    with patch_module_args(args), pytest.raises(SystemExit):
        IssuModule({}, groups=('vnc_api',))
    failure = json.loads(capsys.readouterr().out)
    assert failure['failed'] and 'keystone_auth_url' in failure['msg']

    spec = dict(state=dict(type='str'), name=dict(type='str'))
    with patch_module_args(dict(API, state='present')), pytest.raises(SystemExit):
        IssuModule(spec, groups=('vnc_api',), required_if=[('state', 'present', ('name',))])
    assert 'state is present but all of the following are missing: name' in \
        json.loads(capsys.readouterr().out)['msg']


@pytest.mark.parametrize('groups, message', [
    (('vnc_api', 'introspect'), "argument group 'introspect' repeats options of another group: "
                                'ca_cert, timeout, validate_certs'),
    (('vnc',), "unknown argument group 'vnc'"),
])
def test_groups_that_overlap_or_do_not_exist_are_a_programming_error(groups, message):
    with pytest.raises(ValueError) as error:
        build(API, groups=groups)
    assert str(error.value).startswith(message)


def test_connections_are_validated_and_defaulted_like_the_vnc_api_group():
    module = build(dict(v1=API), dict(v1=dict(type='dict', required=True)), connections=('v1',))
    assert module.params['v1']['api_server_port'] == 8082
    assert module.params['v1']['auth_type'] == 'noauth'


def test_check_mode_is_supported_unless_the_module_says_otherwise(capsys):
    assert build(dict(_ansible_check_mode=True)).check_mode is True
    with patch_module_args(dict(_ansible_check_mode=True)), pytest.raises(SystemExit):
        IssuModule({}, supports_check_mode=False)
    assert json.loads(capsys.readouterr().out)['skipped']


def test_attributes_of_the_ansible_module_are_read_through():
    module = build(dict(name='x'), dict(name=dict(type='str')))
    assert module.params is module.module.params
    assert module.run_command == module.module.run_command
    with pytest.raises(AttributeError):
        module.no_such_attribute  # pylint: disable=pointless-statement


# -- results --------------------------------------------------------------------------------

def test_the_result_is_returned_with_changed_false_by_default(capsys):
    assert outcome(capsys, lambda module: dict(answer=42)) == dict(answer=42, changed=False)


@pytest.mark.parametrize('diff', [False, True])
def test_a_diff_is_shown_in_diff_mode_only(capsys, diff):
    result = outcome(capsys, lambda module: dict(changed=True, diff=dict(before='a', after='b')),
                     args=dict(_ansible_diff=diff))
    assert ('diff' in result) is diff and result['changed']

    def failing_with_diff(module):
        module.fail('no', diff=dict(before='a', after='b'))
    assert ('diff' in outcome(capsys, failing_with_diff, args=dict(_ansible_diff=diff))) is diff


def test_the_result_so_far_goes_with_a_failure_and_under_the_final_result(capsys):
    def fails_late(module):
        module.result.update(tool='pre', changed=True)
        raise VncError('refused', status=409)
    assert outcome(capsys, fails_late) == dict(failed=True, msg='HTTP 409: refused', tool='pre',
                                               changed=True, status=409)

    def succeeds(module):
        module.result.update(tool='pre', changed=True)
        return dict(changed=False, rc=0)
    assert outcome(capsys, succeeds) == dict(tool='pre', changed=False, rc=0)


def test_fail_takes_the_given_fields_over_the_errors_and_the_result_so_far(capsys):
    def run(module):
        module.result.update(status='so far', step='one')
        module.fail('custom', VncError('gone', status=404), step='two')
    assert outcome(capsys, run) == dict(failed=True, msg='custom', status=404, step='two')


# -- the error shape ------------------------------------------------------------------------

@pytest.mark.parametrize('exc, fields', [
    (WaitTimeout('peers to be Established', 5, 3, last_value=['Idle']),
     dict(wait=dict(describe='peers to be Established', timeout=5, attempts=3,
                    last_value=['Idle'], last_error=None))),
    (PackageError('apt-get failed', cmd=['apt-get', 'install'], rc=100, stderr='E: no'),
     dict(command=dict(msg='apt-get failed', cmd=['apt-get', 'install'], rc=100,
                       stdout_lines=[], stderr_lines=['E: no']))),
    (ServiceError('supervisorctl failed', cmd=['supervisorctl', 'start'], rc=7, output='ERROR'),
     dict(command=dict(msg='supervisorctl failed', cmd=['supervisorctl', 'start'], rc=7,
                       output_lines=['ERROR']))),
    (CommandTimeout(['dkms', 'build'], 300, 'the kernel module build'),
     dict(command=dict(msg="['dkms', 'build'] did not return in 300s and was killed: it was "
                           'waiting for the kernel module build',
                       cmd=['dkms', 'build'], timeout=300,
                       waiting_for='the kernel module build', output_lines=[]))),
    (GaveUp('contrail-vrouter-agent', 'FATAL', 'supervisor', 'exited too quickly', 7.08),
     dict(gave_up=dict(program='contrail-vrouter-agent', state='FATAL', manager='supervisor',
                       reason='exited too quickly', after=7.1))),
    (VncError('cannot connect', method='GET', url='http://10.99.0.11:8082/'),
     dict(status=None)),
    (VncError('conflict', status=409), dict(status=409)),
    (IntrospectError('no answer'), {}),
    (StateError("the ISSU is in phase 'new'"), {}),
    (ConfError('no [DEFAULTS] in /etc/contrail/contrail-issu.conf'), {}),
    (PlanError('router r1 exists with another address'), {}),
    (CleanupError('node ctrl1 is still referenced'), {}),
    (HAProxyError('socket refused'), {}),
    (NotFound('backend nope not found'), {}),
    (VrouterError('cannot tell the Contrail release'), {}),
])
def test_each_error_of_the_collection_fails_with_its_text_and_its_fields(capsys, exc, fields):
    assert outcome(capsys, raising(exc)) == dict(fields, failed=True, msg=str(exc))


def test_the_collections_errors_are_issu_errors_and_declare_their_field():
    assert all(issubclass(cls, IssuError) for cls in (
        WaitTimeout, PackageError, ServiceError, CommandTimeout, GaveUp, VncError,
        IntrospectError, StateError, ConfError, PlanError, CleanupError, HAProxyError,
        NotFound, VrouterError))
    assert issubclass(ConfError, ValueError)    # callers that catch ValueError still do
    assert [cls.result_key for cls in (WaitTimeout, PackageError, ServiceError, CommandTimeout,
                                       GaveUp)] == ['wait', 'command', 'command', 'command', 'gave_up']
    assert module_base.COLLECTION_ERRORS == (IssuError,)
    assert module_base.error_fields(OSError('x')) == {}


class _Own(IssuError):
    result_key = 'own'

    def to_dict(self):
        return dict(text=str(self))


def test_an_issu_error_of_a_module_fails_through_the_base_with_its_field(capsys):
    assert outcome(capsys, raising(_Own('broke'))) == dict(failed=True, msg='broke',
                                                           own=dict(text='broke'))


def test_the_base_does_not_bring_the_module_utils_a_module_does_not_use():
    code = ('import sys\n'
            'from ansible_collections.opencontrail.issu.plugins.modules import node_status_info\n'
            "print(' '.join(sorted(n.rsplit('.', 1)[-1] for n in sys.modules\n"
            "                      if n.startswith('ansible_collections.opencontrail.issu.plugins.module_utils.'))))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    loaded = subprocess.run([sys.executable, '-c', code], env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    assert 'module_base' in loaded and 'errors' in loaded and 'introspect' in loaded
    for unused in ('pkg_manager', 'service_manager', 'service_actions', 'bgp', 'issu_state',
                   'issu_sync', 'haproxy_runtime', 'contrail_objects'):
        assert unused not in loaded, unused


def test_other_errors_fail_only_when_the_module_names_them(capsys):
    assert outcome(capsys, raising(OSError(13, 'Permission denied')), errors=(OSError,)) == \
        dict(failed=True, msg='[Errno 13] Permission denied')
    with patch_module_args({}), pytest.raises(KeyError):
        IssuModule({}).run_and_exit(raising(KeyError('bug')))


def test_failing_puts_its_context_before_the_errors_it_names_and_lets_others_through(capsys):
    def run(module):
        with module.failing('config API not usable: ', (VncError,)):
            if module.params['step'] == 'homepage':
                raise VncError('cannot connect', status=None)
        with module.failing('cannot write /x: ', (OSError,)):
            raise StateError('refused')
    spec = dict(step=dict(type='str'))
    assert outcome(capsys, run, dict(step='homepage'), spec) == dict(
        failed=True, msg='config API not usable: cannot connect', status=None)
    assert outcome(capsys, run, dict(step='write'), spec) == dict(failed=True, msg='refused')


# -- groups and doc fragments ---------------------------------------------------------------

def fragment_options(name):
    """The options the doc fragment ``opencontrail.issu.<name>`` documents."""
    module, _dot, var = name.partition('.')
    fragment = importlib.import_module(
        'ansible_collections.opencontrail.issu.plugins.doc_fragments.%s' % module)
    return yaml.safe_load(getattr(fragment.ModuleDocFragment, (var or 'documentation').upper()))['options']


@pytest.mark.parametrize('group', sorted(module_base.ARGUMENT_GROUPS))
def test_each_group_is_what_the_doc_fragment_of_its_name_documents(group):
    documented = fragment_options(group)
    if group == 'vrouter':      # host_argument_spec() includes the package manager
        documented.update(fragment_options('vrouter.package_manager'))
    spec = module_base.ARGUMENT_GROUPS[group][0]()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name].get('type', 'str') == option.get('type', 'str'), name
        assert documented[name].get('default') == option.get('default'), name
