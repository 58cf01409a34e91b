# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ISSU as code for AWX / Automation Controller, checked without a controller (no lab).

playbooks/awx_configure.yml is rendered by Ansible's own templating (awx_fixtures) and checked
against the phase playbooks and roles it drives and against the awx.awx modules it calls:

* one job template per phase playbook that exists;
* each survey asks exactly the operator switches its playbook reads, each typed as the
  playbook reads it (preflight's settings check, the ``serial`` and ``hosts`` keywords), with
  defaults the playbooks accept, in a form AWX accepts;
* the workflow's graph, the canary limited to the first batch, node values AWX accepts;
* every awx.awx task's arguments against the module's argument spec (and the workflow's nodes
  against the module's documented node options, which the module itself does not check);
* meta/execution-environment.yml against the execution-environment schema and the pins.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.inventory.manager import InventoryManager
from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.plugin_docs import read_docstring

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # awx_fixtures.py is beside us
from awx_fixtures import CONFIGURE, REPO_ROOT, configure  # noqa: E402

PLAYBOOKS = REPO_ROOT / 'playbooks'
ROLES = REPO_ROOT / 'roles'
#: issu_full.yml runs every phase at once for the lab and `make demo`; the rest are phases.
NOT_PHASES = {'issu_full.yml'}
#: The operator's switches (docs/procedure.md, "Operator switches").
SWITCHES = {'issu_serial', 'issu_max_fail_percentage', 'issu_batch_pause', 'issu_computes',
            'issu_finalize_confirm', 'issu_force'}
#: Keywords whose value is a bare expression, not a template.
CONDITIONALS = {'when', 'that', 'changed_when', 'failed_when', 'until'}
AWX_QUESTION_TYPES = {'text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect'}

#: The workflow: node -> {edge: [nodes]}; every failure before finalize can go to an abort,
#: which an approval decides, and every path ends in the report.
WORKFLOW = {
    'preflight': {'success': ['start'], 'failure': ['report']},
    'start': {'success': ['computes_canary'], 'failure': ['approve_abort']},
    'computes_canary': {'success': ['approve_computes'], 'failure': ['approve_abort']},
    'approve_computes': {'success': ['computes'], 'failure': ['rollback_canary']},
    'computes': {'success': ['approve_finalize'], 'failure': ['approve_abort']},
    'approve_finalize': {'success': ['finalize'], 'failure': ['approve_abort']},
    'finalize': {'always': ['report']},
    'approve_abort': {'success': ['abort'], 'failure': ['report']},
    'abort': {'always': ['report']},
    'rollback_canary': {'always': ['report']},
    'report': {},
}
#: The phase playbook each job node runs (None: an approval node).
NODE_PLAYBOOKS = {
    'preflight': 'issu_preflight.yml', 'start': 'issu_start.yml',
    'computes_canary': 'issu_upgrade_computes.yml', 'approve_computes': None,
    'computes': 'issu_upgrade_computes.yml', 'approve_finalize': None, 'finalize': 'issu_finalize.yml',
    'approve_abort': None, 'abort': 'issu_abort.yml', 'rollback_canary': 'issu_rollback_computes.yml',
    'report': 'issu_report.yml',
}


# -- what the playbooks and roles accept -----------------------------------------------------

def phase_playbooks():
    return sorted(p.name for p in PLAYBOOKS.glob('issu_*.yml') if p.name not in NOT_PHASES)


class _AnyPlugin(dict):
    """Jinja's filters or tests, where any name (Ansible's and the collection's) exists."""

    def __contains__(self, name):
        return True

    def get(self, name, default=None):
        return dict.get(self, name) or (lambda *args, **kwargs: None)


JINJA = jinja2.Environment()
JINJA.filters, JINJA.tests = _AnyPlugin(JINJA.filters), _AnyPlugin(JINJA.tests)


def _template_variables(text, expression=False):
    source = '{{ (%s) }}' % text if expression else text
    if '{{' not in source and '{%' not in source:
        return set()
    return jinja2.meta.find_undeclared_variables(JINJA.parse(source))


def template_variables(node, key=None):
    """Variables the templates and conditionals of a playbook's data read."""
    if isinstance(node, dict):
        found = set()
        for name, value in node.items():
            found |= template_variables(value, name)
        return found
    if isinstance(node, list):
        return set().union(*[template_variables(item, key) for item in node]) if node else set()
    if isinstance(node, str):
        return _template_variables(node, expression=key in CONDITIONALS)
    if isinstance(node, bool) and key in CONDITIONALS:
        return set()
    return set()


@functools.lru_cache(maxsize=None)
def plays(playbook):
    return yaml.safe_load((PLAYBOOKS / playbook).read_text())


def keyword_variables(playbook, keyword):
    return set().union(*[template_variables(play.get(keyword, ''), keyword) for play in plays(playbook)])


def role_entry_points(node):
    """(role, entry point) of every role a playbook's data includes, imports or lists."""
    found = set()
    if isinstance(node, dict):
        for key in ('ansible.builtin.include_role', 'ansible.builtin.import_role'):
            if key in node:
                found.add((node[key]['name'].split('.')[-1],
                           node[key].get('tasks_from', 'main').replace('.yml', '')))
        for role in node.get('roles', []) or []:
            name = role['role'] if isinstance(role, dict) else role
            found.add((name.split('.')[-1], 'main'))
        for value in node.values():
            found |= role_entry_points(value)
    elif isinstance(node, list):
        for item in node:
            found |= role_entry_points(item)
    return found


def argspec_options(role, entry):
    specs = yaml.safe_load((ROLES / role / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    assert entry in specs, '%s has no argument spec for its entry point %s' % (role, entry)
    return specs[entry].get('options') or {}


@functools.lru_cache(maxsize=None)
def accepted(playbook):
    """{variable: argument spec option or None}: what a phase playbook reads - its own templates'
    variables, and the options of the role entry points it runs."""
    data = plays(playbook)
    found = dict((name, None) for name in template_variables(data))
    for role, entry in role_entry_points(data):
        found.update(argspec_options(role, entry))
    return found


@functools.lru_cache(maxsize=None)
def setting_kinds():
    """{setting: kind} of preflight's settings check, and {kind: regex} it applies."""
    settings = yaml.safe_load((ROLES / 'preflight' / 'defaults' / 'main.yml').read_text())['preflight_settings']
    task = yaml.safe_load((ROLES / 'preflight' / 'tasks' / 'settings.yml').read_text())[0]
    patterns = dict((kind, spec[1]) for kind, spec in task['vars']['preflight_setting_kinds'].items())
    return settings, patterns


def switch_kind(variable, playbooks):
    """How the playbooks read a switch: preflight's kind for it, else the keyword it feeds."""
    settings = setting_kinds()[0]
    if variable in settings:
        return settings[variable]
    if any(variable in keyword_variables(p, 'serial') for p in playbooks):
        return 'batches'
    if any(variable in keyword_variables(p, 'hosts') for p in playbooks):
        return 'hosts'
    raise AssertionError('no known kind for %s: add it to preflight_settings' % variable)


# -- the collection's filters and the awx.awx modules ----------------------------------------

@pytest.fixture(scope='module')
def batch_filters(collections_path):
    # In one pytest run with the unit tests the collection is already imported from .build as a
    # plain package; Ansible's collection loader would then refuse it (no collection metadata).
    if 'ansible_collections.opencontrail.issu' not in sys.modules:
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader([collections_path])
    issu_serial = importlib.import_module('ansible_collections.opencontrail.issu.plugins.filter.issu_serial')
    batches = importlib.import_module('ansible_collections.opencontrail.issu.plugins.filter.serial_batches')
    return issu_serial.issu_serial, batches.serial_batches


def awx_module_spec(module):
    """The argument spec an awx.awx module gives AnsibleModule (its auth options included)."""
    captured = {}

    class Captured(Exception):
        pass

    def capture(self, *args, **kwargs):
        captured['spec'] = kwargs['argument_spec']
        raise Captured

    name = module.split('.')[-1]
    code = importlib.import_module('ansible_collections.awx.awx.plugins.modules.%s' % name)
    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        code.main()
    except Captured:
        pass
    finally:
        basic.AnsibleModule.__init__ = original
    return captured['spec']


def doc_spec(options):
    """An argument spec from documented options (for the suboptions a module does not check)."""
    spec = {}
    for name, option in options.items():
        entry = dict((key, option[key]) for key in ('type', 'elements', 'choices', 'required', 'aliases')
                     if key in option)
        if 'suboptions' in option:
            entry['options'] = doc_spec(option['suboptions'])
        spec[name] = entry
    return spec


def validation_errors(spec, args):
    return [str(error) for error in ArgumentSpecValidator(spec).validate(args).errors]


# -- AWX's survey rules ----------------------------------------------------------------------

def choices(question):
    raw = question.get('choices', [])
    return raw.split('\n') if isinstance(raw, str) else list(raw)


def survey_problems(survey_spec):
    """What AWX's survey_spec endpoint refuses (awx/api/views: _validate_spec_data)."""
    problems = []
    for key in ('name', 'description'):
        if not isinstance(survey_spec.get(key), str):
            problems.append('%r missing' % key)
    spec = survey_spec.get('spec')
    if not isinstance(spec, list) or not spec:
        return problems + ["'spec' must be a non-empty list"]
    seen = set()
    for question in spec:
        variable = question.get('variable')
        if not question.get('question_name') or not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', variable or ''):
            problems.append('question without a name or a valid variable: %r' % question)
        if variable in seen:
            problems.append('variable %s asked twice' % variable)
        seen.add(variable)
        if question.get('type') not in AWX_QUESTION_TYPES or not isinstance(question.get('required'), bool):
            problems.append('%s: type %r, required %r' % (variable, question.get('type'), question.get('required')))
        if 'default' not in question:
            continue
        default, kind = question['default'], question['type']
        if kind in ('text', 'textarea', 'password'):
            if not isinstance(default, str) or not question.get('min', 0) <= len(default) <= question.get('max', 1024):
                problems.append('%s: text default %r out of min/max' % (variable, default))
        elif kind in ('integer', 'float'):
            number = int if kind == 'integer' else (int, float)
            if not isinstance(default, number) or isinstance(default, bool) or \
                    not question.get('min', default) <= default <= question.get('max', default):
                problems.append('%s: %s default %r out of min/max' % (variable, kind, default))
        elif kind == 'multiplechoice' and default not in choices(question):
            problems.append('%s: default %r not one of %r' % (variable, default, choices(question)))
    return problems


def answer_problems(question, value, batch_filters):
    """Why a value (a default, or a workflow node's) is not one the playbooks accept for this
    switch, as the survey would hand it over ('' when it is)."""
    patterns = setting_kinds()[1]
    kind = switch_kind(question['variable'], phase_playbooks())
    if kind in patterns and not re.match(patterns[kind], str(value).strip().lower()):
        return '%s=%r does not read as %s' % (question['variable'], value, kind)
    if kind == 'batches':
        issu_serial, serial_batches = batch_filters
        try:
            serial_batches(issu_serial(str(value)), 10)
        except AnsibleFilterError as error:
            return '%s=%r: %s' % (question['variable'], value, error)
    return ''


# -- the tests -------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def rendered():
    """The playbook rendered with the play's defaults and a site's inventory and credentials."""
    return configure()


def test_one_job_template_per_phase_playbook(rendered):
    templates = rendered.args('awx.awx.job_template')
    playbooks = sorted(Path(args['playbook']).name for args in templates)
    assert playbooks == phase_playbooks(), 'job templates %s, phase playbooks %s' % (playbooks, phase_playbooks())
    assert all(args['playbook'] == 'playbooks/%s' % Path(args['playbook']).name for args in templates)
    assert len(set(args['name'] for args in templates)) == len(templates), 'two job templates share a name'
    for args in templates:
        assert args['project'] == rendered.vars['awx_issu_project']
        assert args['inventory'] == 'site-a' and args['credentials'] == ['site-a ssh', 'site-a vault']
        assert args['execution_environment'] == rendered.vars['awx_issu_execution_environment']
        assert args['ask_variables_on_launch'] is False, 'extra vars only through the typed survey'
        assert args['allow_simultaneous'] is False, 'two ISSU jobs at once would share the state record'


@pytest.mark.parametrize('playbook', phase_playbooks())
def test_each_survey_asks_the_switches_its_playbook_reads(playbook, rendered):
    args = rendered.job_templates['playbooks/%s' % playbook]
    asked = set(rendered.survey(args))
    reads = set(accepted(playbook))
    assert asked <= reads, '%s: the survey asks %s, which the playbook does not read' % (playbook, asked - reads)
    assert asked == SWITCHES & reads, '%s: the playbook reads the switches %s, the survey asks %s' % (
        playbook, sorted(SWITCHES & reads), sorted(asked))
    if asked:
        assert args['survey_enabled'] is True and not survey_problems(args['survey_spec']), \
            survey_problems(args['survey_spec'])
    else:
        assert args['survey_enabled'] is False and args['survey_spec'] == {}, 'AWX refuses a survey without questions'


@pytest.mark.parametrize('playbook', phase_playbooks())
def test_each_question_is_typed_as_its_playbook_reads_it(playbook, rendered, batch_filters):
    for variable, question in rendered.survey(rendered.job_templates['playbooks/%s' % playbook]).items():
        kind = switch_kind(variable, phase_playbooks())
        option = accepted(playbook).get(variable) or {}
        if kind == 'bool':
            assert question['type'] == 'multiplechoice', question
            values = set(str(choice).lower() for choice in choices(question))
            assert values & {'true', 'yes'} and values & {'false', 'no'}, question
            for choice in choices(question):
                assert not answer_problems(question, choice, batch_filters)
        elif kind in ('count', 'percent', 'seconds'):
            assert question['type'] in (('integer',) if kind == 'count' else ('integer', 'float')), question
            assert question['min'] >= 0 and (kind != 'percent' or question['max'] <= 100), question
        else:
            assert question['type'] == 'text', (kind, question)   # pause, batches, hosts
        if option.get('type') == 'int':
            assert question['type'] == 'integer', (option, question)
        if 'default' in question:
            assert not answer_problems(question, question['default'], batch_filters)
        else:
            assert question['required'], '%s: an optional question without a default' % variable


def test_the_batch_question_defaults_to_the_collections_batches(rendered, batch_filters):
    issu_serial = batch_filters[0]
    defaults = set(json.dumps(issu_serial(rendered.survey(args)['issu_serial']['default']))
                   for args in rendered.args('awx.awx.job_template') + [rendered.workflow]
                   if 'issu_serial' in rendered.survey(args))
    assert defaults == {json.dumps(issu_serial(None))}


def _scalars(node):
    if isinstance(node, dict):
        return [s for value in node.values() for s in _scalars(value)]
    if isinstance(node, list):
        return [s for item in node for s in _scalars(item)]
    return [node] if isinstance(node, str) else []


def test_the_batch_question_default_comes_from_the_collections_default(rendered, batch_filters):
    """The survey's default is DEFAULT_SERIAL itself, templated from the issu_serial filter: no
    value of the playbook is a copy of it, which would stay behind when the default changes."""
    spec = importlib.import_module('ansible_collections.opencontrail.issu.plugins.plugin_utils.batch_spec')
    copies = []
    for value in _scalars(yaml.safe_load(CONFIGURE.read_text())):
        if '{{' in value:
            continue
        try:
            if spec.parse(value) == list(spec.DEFAULT_SERIAL):
                copies.append(value)
        except AnsibleFilterError:
            pass
    assert not copies, 'awx_configure.yml copies the default batch shape: %s' % copies
    for args in rendered.args('awx.awx.job_template') + [rendered.workflow]:
        question = rendered.survey(args).get('issu_serial')
        if question:
            assert isinstance(question['default'], str), question
            assert spec.parse(question['default']) == list(spec.DEFAULT_SERIAL), question


def test_the_workflow_graph(rendered):
    nodes = dict((node['identifier'], node) for node in rendered.workflow['workflow_nodes'])
    graph = dict((name, dict((edge[:-len('_nodes')], [n['identifier'] for n in targets])
                             for edge, targets in node.get('related', {}).items() if targets))
                 for name, node in nodes.items())
    assert graph == WORKFLOW
    names = dict((Path(args['playbook']).name, args['name']) for args in rendered.args('awx.awx.job_template'))
    for name, playbook in NODE_PLAYBOOKS.items():
        template = nodes[name]['unified_job_template']
        if playbook is None:
            assert template['type'] == 'workflow_approval' and template['name'] and template['description']
            assert template['timeout'] == 0
        else:
            assert template['type'] == 'job_template' and template['name'] == names[playbook], (name, template)
            assert template['organization']['name'] == rendered.vars['awx_issu_organization']
    # every node is reached from preflight, and every path ends in the report
    reached, todo = set(), ['preflight']
    while todo:
        name = todo.pop()
        reached.add(name)
        todo += [n for targets in WORKFLOW[name].values() for n in targets if n not in reached]
    assert reached == set(WORKFLOW)
    assert [name for name, edges in WORKFLOW.items() if not edges] == ['report']


def test_the_workflow_hands_each_job_values_its_survey_accepts(rendered, batch_filters):
    workflow_survey = rendered.survey(rendered.workflow)
    templates = dict((args['name'], args) for args in rendered.args('awx.awx.job_template'))
    assert set(workflow_survey) == {'issu_serial', 'issu_max_fail_percentage', 'issu_batch_pause'}
    assert not survey_problems(rendered.workflow['survey_spec'])
    for node in rendered.workflow['workflow_nodes']:
        if node['unified_job_template']['type'] != 'job_template':
            continue
        survey = rendered.survey(templates[node['unified_job_template']['name']])
        extra = node.get('extra_data', {})
        # AWX drops a node's variable its job template's survey does not ask
        assert set(extra) <= set(survey), (node['identifier'], extra)
        # the workflow's own answers override a node's: they must not overlap
        assert not set(extra) & set(workflow_survey), (node['identifier'], extra)
        for variable, value in extra.items():
            assert isinstance(value, str) and survey[variable]['type'] in ('text', 'multiplechoice')
            if survey[variable]['type'] == 'multiplechoice':
                assert value in choices(survey[variable]), (node['identifier'], variable, value)
            assert not answer_problems(survey[variable], value, batch_filters)
        # a required question without a default must be answered by the node or the workflow
        for variable, question in survey.items():
            if question['required'] and 'default' not in question:
                assert variable in extra or variable in workflow_survey, (node['identifier'], variable)
        # the workflow's questions are the job templates' own
        for variable in set(workflow_survey) & set(survey):
            assert workflow_survey[variable] == survey[variable], variable
    nodes = dict((node['identifier'], node) for node in rendered.workflow['workflow_nodes'])
    assert nodes['finalize']['extra_data'] == {'issu_finalize_confirm': 'true'}, 'the approval is the confirmation'
    assert nodes['rollback_canary']['extra_data'] == nodes['computes_canary']['extra_data']
    assert 'extra_data' not in nodes['computes'], 'the other computes: the survey default, every compute'


@pytest.mark.parametrize('inventory', ['lab', 'example'])
def test_the_canary_is_the_first_batch(inventory, rendered, batch_filters):
    """The canary node's computes are the first batch of the batch shape the workflow asks
    by default, in the inventory's order."""
    issu_serial, serial_batches = batch_filters
    canary = dict((n['identifier'], n) for n in rendered.workflow['workflow_nodes'])['computes_canary']
    hosts = InventoryManager(loader=DataLoader(), sources=[str(REPO_ROOT / 'inventories' / inventory / 'hosts.yml')])
    computes = [host.name for host in hosts.get_hosts('contrail_computes')]
    shape = issu_serial(rendered.survey(rendered.workflow)['issu_serial']['default'])
    first = serial_batches(shape, len(computes))[0]
    assert [host.name for host in hosts.get_hosts(canary['extra_data']['issu_computes'])] == computes[:first]


@pytest.mark.parametrize('overrides', [{}, {'awx_issu_ee_image': 'registry.example.net/issu-ee:1.0.0',
                                            'awx_issu_scm_credential': 'git', 'controller_host': 'https://awx'}])
def test_the_awx_task_arguments_are_what_the_modules_accept(overrides):
    rendered = configure(**overrides)
    modules = [task[0] for task in rendered.tasks]
    assert set(modules) == {'awx.awx.execution_environment', 'awx.awx.project', 'awx.awx.job_template',
                            'awx.awx.workflow_job_template'}
    group_defaults = rendered.play_module_defaults['group/awx.awx.controller']
    assert group_defaults['validate_certs'] is True
    assert set(group_defaults) - {'validate_certs'} == ({'controller_host'} if overrides else set()), \
        'unset controller settings are omitted (the modules read CONTROLLER_* then)'
    for module, args in rendered.tasks:
        spec = awx_module_spec(module)
        assert not validation_errors(spec, dict(group_defaults, **args)), (module, args)
        for secret in ('controller_password', 'controller_oauthtoken'):
            assert spec[secret].get('no_log'), '%s must hide %s' % (module, secret)
    project = rendered.args('awx.awx.project')[0]
    assert project['default_environment'] == rendered.vars['awx_issu_execution_environment']
    assert ('credential' in project) == bool(overrides)
    doc = read_docstring(importlib.import_module(
        'ansible_collections.awx.awx.plugins.modules.workflow_job_template').__file__)['doc']
    node_spec = {'workflow_nodes': doc_spec({'workflow_nodes': doc['options']['workflow_nodes']})['workflow_nodes']}
    assert not validation_errors(node_spec, {'workflow_nodes': rendered.workflow['workflow_nodes']})


def _computes_question(rendered, variable):
    spec = rendered.job_templates['playbooks/issu_upgrade_computes.yml']['survey_spec']['spec']
    return spec, [q for q in spec if q['variable'] == variable][0]


def test_the_checks_fail_when_a_template_or_a_question_goes_missing(batch_filters):
    """Each check above fails on the playbook with one thing missing or wrong."""
    without_abort = configure()
    without_abort.tasks = [(m, a) for m, a in without_abort.tasks if a.get('playbook') != 'playbooks/issu_abort.yml']
    with pytest.raises(AssertionError, match='job templates'):
        test_one_job_template_per_phase_playbook(without_abort)

    without_pause = configure()
    spec, pause = _computes_question(without_pause, 'issu_batch_pause')
    spec.remove(pause)
    with pytest.raises(AssertionError, match='issu_batch_pause'):
        test_each_survey_asks_the_switches_its_playbook_reads('issu_upgrade_computes.yml', without_pause)

    not_read = configure()
    spec = _computes_question(not_read, 'issu_serial')[0]
    spec.append(dict(_computes_question(not_read, 'issu_computes')[1], variable='issu_force'))
    with pytest.raises(AssertionError, match='does not read'):
        test_each_survey_asks_the_switches_its_playbook_reads('issu_upgrade_computes.yml', not_read)

    as_text = configure()
    _computes_question(as_text, 'issu_max_fail_percentage')[1]['type'] = 'text'
    with pytest.raises(AssertionError):
        test_each_question_is_typed_as_its_playbook_reads_it('issu_upgrade_computes.yml', as_text, batch_filters)

    prompt = configure()
    _computes_question(prompt, 'issu_batch_pause')[1]['default'] = 'later'
    with pytest.raises(AssertionError):
        test_each_question_is_typed_as_its_playbook_reads_it('issu_upgrade_computes.yml', prompt, batch_filters)

    no_report = configure()
    no_report.workflow['workflow_nodes'][0]['related']['failure_nodes'] = []
    with pytest.raises(AssertionError):
        test_the_workflow_graph(no_report)


def test_make_lint_checks_the_awx_task_arguments():
    """make lint runs ansible-lint on the playbook with args (each task's arguments against its
    module's spec), which the production profile leaves out, failing on it (--strict)."""
    recipe = re.search(r'^ansible-lint:.*\n((?:\t.*\n)+)', (REPO_ROOT / 'Makefile').read_text(), re.M).group(1)
    assert re.search(r'^\tansible-lint .*--strict .*--enable-list args .*playbooks/awx_configure\.yml$', recipe, re.M), \
        recipe
    config = yaml.safe_load((REPO_ROOT / '.ansible-lint').read_text())
    assert not any(str(path).strip('/') in ('playbooks', 'meta') for path in config.get('exclude_paths', []))


# -- the execution environment -----------------------------------------------------------------

def pins():
    found = {}
    for line in (REPO_ROOT / 'requirements' / 'dev.txt').read_text().splitlines():
        match = re.match(r'^([A-Za-z0-9_.\[\]-]+)==(\S+)', line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_execution_environment_file():
    import jsonschema
    import ansiblelint.schemas
    schema_file = Path(ansiblelint.schemas.__file__).parent / 'execution-environment.json'
    definition = yaml.safe_load((REPO_ROOT / 'meta' / 'execution-environment.yml').read_text())
    jsonschema.validate(definition, json.loads(schema_file.read_text()))
    assert definition['version'] == 3
    deps = definition['dependencies']
    assert deps['ansible_core']['package_pip'] == 'ansible-core==%s' % pins()['ansible-core']
    assert deps['ansible_runner']['package_pip'] == 'ansible-runner==%s' % pins()['ansible-runner']
    # ansible-builder reads a collection's meta/execution-environment.yml for its own
    # requirements: dependencies.python and .system, inline lists (or absent)
    for key in ('python', 'system'):
        assert isinstance(deps.get(key, []), list)
    for line in deps.get('system', []):
        assert re.match(r'^[A-Za-z0-9_.+-]+( \[platform:[a-z]+\])?$', line), line
    galaxy = yaml.safe_load((REPO_ROOT / 'galaxy.yml').read_text())
    collections = dict((c['name'], c) for c in deps['galaxy']['collections'])
    for name, version in galaxy['dependencies'].items():
        assert collections[name]['version'] == version
    tarball = 'opencontrail-issu-%s.tar.gz' % galaxy['version']
    (built,) = [c for c in collections.values() if c.get('type') == 'file']
    (copied,) = definition['additional_build_files']
    assert (REPO_ROOT / 'meta' / copied['src']).resolve() == REPO_ROOT / '.build' / 'dist' / tarball
    assert built['name'] == '%s/%s' % (copied['dest'], tarball)
    assert '--output-path $(BUILD)/dist' in (REPO_ROOT / 'Makefile').read_text()
    assert not any(pattern in ('meta', 'meta/*', 'meta/execution-environment.yml')
                   for pattern in galaxy['build_ignore']), 'the file must ship in the collection'
