# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults several roles share are written once, in role issu_defaults, on which every role
depends (issue 10): run by ansible-playbook on localhost aliases (connection local), no lab.

The playbook enters every entry point of every role with ``--tags`` naming no task, so only the
argument validation Ansible prepends to each entry point (tagged ``always``) runs: it must pass
with nothing set but the inventory's cluster facts (and, for each required option they do not
give, a value its meta/argument_specs.yml accepts), see the shared defaults through the role's
own knobs, follow a shared setting that is overridden, and refuse one of the wrong type or a
required option left unset.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES = REPO_ROOT / 'roles'
SHARED = yaml.safe_load((ROLES / 'issu_defaults' / 'defaults' / 'main.yml').read_text())

#: A role's knob -> the shared setting it defaults to (and the suffix it adds).
INHERITED = {
    'state_path': ('issu_work_dir', '/state.json'),
    'config_sync_backup_dir': ('issu_work_dir', ''),
    'finalize_backup_dir': ('issu_work_dir', ''),
    'config_sync_conf': ('issu_sync_conf', ''),
    'config_sync_tool_timeout': ('issu_sync_tool_timeout', ''),
    'finalize_tool_timeout': ('issu_sync_tool_timeout', ''),
    'config_sync_held_services': ('issu_v2_held_services', ''),
    'bgp_peering_introspect_port': ('issu_control_introspect_port', ''),
    'finalize_introspect_port': ('issu_control_introspect_port', ''),
    'preflight_control_introspect_port': ('issu_control_introspect_port', ''),
    'vrouter_introspect_port': ('issu_agent_introspect_port', ''),
    'preflight_agent_introspect_port': ('issu_agent_introspect_port', ''),
    'northbound_vip_port': ('issu_northbound_vip_port', ''),
}
#: The cluster facts the inventory gives every host (each host also has its contrail_host_ip).
CLUSTER_FACTS = {'issu_v1_version': '3.2.14.0-37', 'issu_v2_version': '4.0.3.0-62',
                 'issu_asn': 64512, 'issu_northbound_vip': '10.0.0.5',
                 'issu_v1_api': {'api_server_host': '10.0.0.11'},
                 'issu_v2_api': {'api_server_host': '10.0.0.21'}}
HOST_FACTS = ('contrail_host_ip',)
FROM_INVENTORY = set(CLUSTER_FACTS) | set(HOST_FACTS)
#: A value of each type an argument spec names (a type not here fails the test: add it).
SAMPLES = {'str': 'x', 'int': 1, 'float': 1.0, 'bool': True, 'path': '/x', 'raw': 'x', 'dict': {}}


def sample(spec):
    """A value ``spec`` accepts: its first choice, else one of its type; a list holds one
    element, a dict its required suboptions."""
    kind = spec.get('type', 'str')
    if kind == 'list':
        element = {key: value for key, value in spec.items() if key not in ('type', 'elements')}
        return [sample(dict(element, type=spec.get('elements', 'str')))]
    if spec.get('choices'):
        return spec['choices'][0]
    if kind == 'dict' and spec.get('options'):
        return required_values(spec['options'])
    return SAMPLES[kind]


def required_values(options, facts=()):
    """A value for each required option of an argument spec that ``facts`` do not give."""
    return {name: sample(spec) for name, spec in options.items()
            if spec.get('required') and name not in facts}


def entry_points():
    """[(role, entry point, {option: spec})] of every role's meta/argument_specs.yml."""
    found = []
    for specs in sorted(ROLES.glob('*/meta/argument_specs.yml')):
        for entry, spec in yaml.safe_load(specs.read_text())['argument_specs'].items():
            found.append((specs.parent.parent.name, entry, spec.get('options') or {}))
    return found


def include(role, entry, options, public=False, unset=None):
    """A task entering ``role`` at ``entry`` (tagged always: it runs whatever --tags says), with
    a value for each required option the inventory does not give (but ``unset``: (role, entry,
    option))."""
    args = {'name': 'opencontrail.issu.' + role, 'public': public}
    if entry != 'main':
        # The entry point's name: Ansible validates tasks_from: check against the spec 'check';
        # with tasks_from: check.yml it finds no spec and validates nothing.
        args['tasks_from'] = entry
    given = required_values(options, FROM_INVENTORY)
    if unset and unset[:2] == (role, entry):
        del given[unset[2]]
    return {'name': 'enter %s %s' % (role, entry), 'ansible.builtin.include_role': args,
            'vars': given, 'tags': ['always']}


def playbook(tmp_path, unset=None):
    """The first play enters every entry point (its roles' defaults stay private: each sees only
    its own and its dependencies'); then one play per role with inherited knobs shows them."""
    plays = [{'name': 'validate', 'hosts': 'v2ctl', 'gather_facts': False,
              'tasks': [include(*entry, unset=unset) for entry in entry_points()]}]
    for role, entry, options in entry_points():
        knobs = [knob for knob in INHERITED if knob.startswith(role + '_')]
        if knobs and role not in [play['name'] for play in plays]:
            plays.append({'name': role, 'hosts': 'v2ctl', 'gather_facts': False, 'tasks': [
                include(role, entry, options, public=True),
                {'name': 'knobs', 'tags': ['always'],
                 'ansible.builtin.debug': {'msg': {knob: '{{ %s }}' % knob for knob in knobs}}}]})
    path = tmp_path / 'play.yml'
    path.write_text(json.dumps(plays))
    return path


def inventory(tmp_path):
    hosts = {'v1ctl': '10.0.0.11', 'v2ctl': '10.0.0.21', 'cmp1': '10.0.0.101', 'hap': '10.0.0.5'}
    groups = {'contrail_v1_controllers': ['v1ctl'], 'contrail_v2_controllers': ['v2ctl'],
              'contrail_computes': ['cmp1'], 'openstack_haproxy': ['hap'], 'issu_task': ['v2ctl']}
    path = tmp_path / 'inventory.yml'
    path.write_text(json.dumps({'all': {
        'vars': dict(CLUSTER_FACTS, ansible_connection='local', ansible_python_interpreter=sys.executable,
                     # What the state role registers before config_sync's watch (config_sync_watch_since).
                     state_result={'phase_since': 0, 'record': {'marks': {}}}),
        'children': {group: {'hosts': {host: {'contrail_host_ip': hosts[host]} for host in members}}
                     for group, members in groups.items()}}}))
    return path


def run(collections_path, tmp_path, *extra, unset=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_STDOUT_CALLBACK='json',
               ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_DEPRECATION_WARNINGS='0')
    cmd = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory(tmp_path)),
           str(playbook(tmp_path, unset)), '--tags', 'nothing-but-the-argument-validation'] + list(extra)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        plays = json.loads(proc.stdout)['plays']
    except (ValueError, KeyError):
        raise AssertionError('ansible-playbook did not print its JSON:\n%s\n%s' % (proc.stdout, proc.stderr))
    results = [(task['task']['name'], task['hosts']['v2ctl']) for task in plays[0]['tasks']]
    knobs = {}
    for play in plays[1:]:
        for task in play['tasks']:
            result = task['hosts']['v2ctl']
            if task['task']['name'] == 'knobs' and not result.get('failed'):
                knobs.update(result['msg'])
            elif result.get('failed'):
                results.append((task['task']['name'], result))
    return results, knobs


def test_every_entry_point_validates_with_the_shared_defaults(collections_path, tmp_path):
    results, knobs = run(collections_path, tmp_path)
    validations = [(name, result) for name, result in results if 'Validating arguments' in name]
    failed = [(name, result.get('msg')) for name, result in results if result.get('failed')]
    assert not failed, failed
    validated = [re.match(r"opencontrail\.issu\.(\w+) : Validating arguments against arg spec '(\w+)'",
                          name).groups() for name, result in validations]
    # Every entry point's validation ran, once; issu_defaults has no tasks and no spec: depending
    # on it adds no task to a play.
    assert validated == [(role, entry) for role, entry, options in entry_points()]
    assert 'issu_defaults' not in [role for role, entry in validated]
    ran = {name for name, result in results} - {name for name, result in validations} \
        - {'enter %s %s' % (role, entry) for role, entry, options in entry_points()}
    assert not ran, 'tasks other than the validation ran: %s' % sorted(ran)
    assert sorted(knobs) == sorted(INHERITED)
    for knob, (shared, suffix) in INHERITED.items():
        want = SHARED[shared] + suffix if suffix else SHARED[shared]
        assert knobs[knob] == want, (knob, knobs[knob], want)


def test_a_shared_setting_moves_every_role_a_role_knob_only_its_role(collections_path, tmp_path):
    results, knobs = run(collections_path, tmp_path, '-e', 'issu_work_dir=/srv/issu',
                         '-e', 'issu_control_introspect_port=18083', '-e', 'finalize_backup_dir=/srv/final')
    assert not [name for name, result in results if result.get('failed')]
    assert knobs['state_path'] == '/srv/issu/state.json'
    assert knobs['config_sync_backup_dir'] == '/srv/issu' and knobs['finalize_backup_dir'] == '/srv/final'
    assert {knobs[name] for name in ('bgp_peering_introspect_port', 'finalize_introspect_port',
                                     'preflight_control_introspect_port')} <= {18083, '18083'}
    assert knobs['vrouter_introspect_port'] == SHARED['issu_agent_introspect_port']


def test_a_shared_setting_of_the_wrong_type_is_refused_at_role_entry(collections_path, tmp_path):
    results, _knobs = run(collections_path, tmp_path, '-e', 'issu_agent_introspect_port=eighty')
    failed = [(name, result) for name, result in results if result.get('failed')]
    # Refused by the validation of the first role entered whose knob inherits it.
    assert failed and 'Validating arguments' in failed[0][0], results
    inheriting = [knob for knob, (shared, suffix) in INHERITED.items() if shared == 'issu_agent_introspect_port']
    assert any("argument '%s' is of type" % knob in failed[0][1]['msg'] for knob in inheriting), failed[0][1]['msg']


def test_a_required_option_left_unset_is_refused_at_role_entry(collections_path, tmp_path):
    # The values the test gives come from the specs; leaving one out must fail its validation
    # (and a required cluster fact the inventory lacked would fail the tests above likewise).
    role, entry, name = next((role, entry, name) for role, entry, options in entry_points()
                             for name in required_values(options, FROM_INVENTORY))
    results, _knobs = run(collections_path, tmp_path, unset=(role, entry, name))
    failed = [(task, result) for task, result in results if result.get('failed')]
    assert failed, results
    task, result = failed[0]
    assert "opencontrail.issu.%s : Validating arguments against arg spec '%s'" % (role, entry) in task, task
    assert 'missing required arguments: %s' % name in result['msg'], result['msg']
