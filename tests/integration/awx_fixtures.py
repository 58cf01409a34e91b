# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/awx_configure.yml as the controller would receive it, without a controller.

* ``configure(**overrides)``: the playbook's awx.awx task arguments rendered by Ansible's own
  templating with the play's variables (``overrides`` as ``-e`` would give them) and the
  collection's filters (in a fresh interpreter): the job templates (their block's
  ``module_defaults`` merged in), the workflow, the project, the execution environment;
* ``survey_extra_vars(questions, answers)``: the extra vars AWX hands a job for a survey - each
  question's answer, or its default, typed as AWX types it (``integer`` an int, ``float`` a
  float, ``multiselect`` a list of strings, every other type a string), and the ``awx_*`` /
  ``tower_*`` variables AWX adds to every job.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGURE = REPO_ROOT / 'playbooks' / 'awx_configure.yml'

#: What a site gives when it runs the playbook (the rest are the play's defaults).
SITE = {'awx_issu_inventory': 'site-a', 'awx_issu_credentials': ['site-a ssh', 'site-a vault']}


def trusted(data):
    """The playbook's strings as Ansible trusts a playbook's own (templates are rendered)."""
    if isinstance(data, str):
        return trust_as_template(data)
    if isinstance(data, dict):
        return dict((key, trusted(value)) for key, value in data.items())
    if isinstance(data, list):
        return [trusted(item) for item in data]
    return data


def plain(data):
    """Rendered data without Ansible's tags (plain str, int, bool, list, dict)."""
    return json.loads(json.dumps(data))


def render(overrides=None):
    """{vars, play_module_defaults, tasks}: the playbook rendered in this interpreter, which
    must have Ansible's collection loader set up (the playbook's templates call the
    collection's filters)."""
    loader = DataLoader()
    play = trusted(loader.load_from_file(str(CONFIGURE))[0])
    variables = dict(play.get('vars') or {})
    variables.update(SITE)
    variables.update(overrides or {})
    templar = Templar(loader=loader, variables=variables)
    tasks = []
    for task in play['tasks']:
        defaults = plain(templar.template(task.get('module_defaults') or {}))
        for item in task.get('block', [task]):
            module = next((key for key in item if key.startswith('awx.awx.')), None)
            if module:
                args = dict(defaults.get(module, {}))
                args.update(plain(templar.template(item[module])))
                tasks.append((module, args))
    return {'vars': plain(templar.template(variables)),
            'play_module_defaults': plain(templar.template(play.get('module_defaults') or {})),
            'tasks': tasks}


#: Run by ``rendered_json``'s fresh interpreter: this checkout as opencontrail.issu, then ``render``.
_CHILD = """
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[1])
from ansible.plugins.loader import init_plugin_loader
import awx_fixtures
with tempfile.TemporaryDirectory() as root:
    os.makedirs(os.path.join(root, 'ansible_collections', 'opencontrail'))
    os.symlink(str(awx_fixtures.REPO_ROOT), os.path.join(root, 'ansible_collections', 'opencontrail', 'issu'))
    init_plugin_loader([root])
    print(json.dumps(awx_fixtures.render(json.loads(sys.argv[2]))))
"""


@functools.lru_cache(maxsize=None)
def rendered_json(overrides):
    """``render`` in a fresh interpreter, as JSON: Ansible finds the collection's filters only
    through its collection loader, which an interpreter that already imported the collection
    as a plain package (the unit tests, in the same pytest run) cannot set up."""
    done = subprocess.run([sys.executable, '-c', _CHILD, str(Path(__file__).resolve().parent), overrides],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError('rendering %s failed:\n%s' % (CONFIGURE, done.stderr))
    return done.stdout


class Configure:
    """The rendered playbook: ``tasks`` [(module, args)], ``vars``, ``job_templates`` {playbook: args}."""

    def __init__(self, overrides=None):
        # a fresh copy each time: tests change theirs to check that a check fails
        data = json.loads(rendered_json(json.dumps(overrides or {}, sort_keys=True)))
        self.vars = data['vars']
        self.play_module_defaults = data['play_module_defaults']
        self.tasks = [tuple(task) for task in data['tasks']]

    def args(self, module):
        return [args for name, args in self.tasks if name == module]

    @property
    def job_templates(self):
        """{playbook path: job_template arguments}; a playbook named twice is kept twice in ``all_job_templates``."""
        return dict((args['playbook'], args) for args in self.args('awx.awx.job_template'))

    @property
    def workflow(self):
        (workflow,) = self.args('awx.awx.workflow_job_template')
        return workflow

    def survey(self, args):
        """{variable: question} of a job or workflow template's survey (empty when disabled)."""
        if not args.get('survey_enabled'):
            return {}
        return dict((question['variable'], question) for question in args['survey_spec']['spec'])


def configure(**overrides):
    return Configure(overrides)


#: Some of the variables AWX adds to every job's extra vars (its awx_meta_vars).
AWX_JOB_VARS = {
    'awx_job_id': 4242, 'tower_job_id': 4242, 'awx_job_launch_type': 'workflow',
    'tower_job_launch_type': 'workflow', 'awx_user_name': 'operator', 'tower_user_name': 'operator',
    'awx_inventory_name': 'site-a', 'awx_project_revision': 'HEAD',
}


def survey_extra_vars(questions, answers=None, job_template_name='ISSU'):
    """The extra vars of a job launched with this survey: answers (as typed in the form), else
    each question's default; typed as AWX types survey answers."""
    extra = dict(AWX_JOB_VARS, awx_job_template_name=job_template_name, tower_job_template_name=job_template_name)
    answers = answers or {}
    for variable, question in questions.items():
        if variable in answers:
            value = answers[variable]
        elif 'default' in question and question['default'] not in (None, ''):
            value = question['default']
        else:
            continue
        if question['type'] == 'integer':
            value = int(value)
        elif question['type'] == 'float':
            value = float(value)
        elif question['type'] == 'multiselect':
            value = [str(choice) for choice in value]
        else:
            value = str(value)
        extra[variable] = value
    return extra
