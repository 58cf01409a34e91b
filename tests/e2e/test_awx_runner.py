"""The start and the compute phase on a fresh rehearsal lab, run as AWX / Automation Controller
runs a job: by ansible-runner's Python API (AWX's executor: the job's own pty, nobody at it, so
anything that waits for an operator hangs until the job's timeout), with the extra vars the job
templates of playbooks/awx_configure.yml hand over - each survey answer typed as AWX types it
(text and multiple choice as strings, integers as ints) plus AWX's own job variables - and the
job's events read back afterwards, as AWX reads them.

The compute phase runs as the workflow runs it: the canary node (its computes limited to the
first batch), then the node for the other computes, with the operator's batch shape typed as
text (``1,25%,100%``). The state record and the events must show each phase complete.
"""
import json
import os
import sys

import ansible_runner
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)                                             # test_scenarios.py
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))      # awx_fixtures.py

from awx_fixtures import configure, survey_extra_vars  # noqa: E402
from test_scenarios import fresh_lab, scenario_lab, state_record  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab

COMPUTES = ['lab-compute1', 'lab-compute2', 'lab-compute3']
#: A job that waits for an operator nobody is there to answer fails here instead of hanging.
JOB_TIMEOUT = 1500


def run_job(tmp_path, name, playbook, extra_vars):
    """One AWX job: ansible-runner in its own private data dir, on the project checkout."""
    private = tmp_path / name
    private.mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(private), project_dir=ROOT, playbook=playbook,
        inventory=os.path.join(ROOT, 'inventories', 'lab'), extravars=extra_vars,
        envvars={'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.build', 'collections'),
                 'PATH': os.path.join(ROOT, '.venv', 'bin') + os.pathsep + os.environ['PATH'],
                 'CONTAINERS_CONF': os.path.join(ROOT, 'lab', 'containers.conf'),
                 'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'True', 'ANSIBLE_RETRY_FILES_ENABLED': 'False',
                 'ANSIBLE_NOCOLOR': '1'},
        timeout=JOB_TIMEOUT, quiet=True)
    events = list(runner.events)
    output = runner.stdout.read()
    assert runner.status == 'successful' and runner.rc == 0, '%s: %s (rc=%s)\n%s' % (
        name, runner.status, runner.rc, output[-8000:])
    failed = [e for e in events if e['event'] in ('runner_on_failed', 'runner_on_unreachable')
              and not e['event_data'].get('ignore_errors')]
    assert not failed, '%s: failed tasks %s' % (name, [(e['event_data']['host'], e['event_data']['task'])
                                                       for e in failed])
    (stats,) = [e['event_data'] for e in events if e['event'] == 'playbook_on_stats']
    assert not stats['failures'] and not stats['dark'], stats
    return events


def ran(events, task):
    """{host: result} of a task that completed (ok or changed) on each host."""
    return dict((e['event_data']['host'], e['event_data'].get('res', {})) for e in events
                if e['event'] == 'runner_on_ok' and e['event_data'].get('task') == task)


def test_start_and_computes_as_awx_jobs(scenario_lab, tmp_path):
    rendered = configure()
    templates = rendered.job_templates
    workflow_survey = rendered.survey(rendered.workflow)
    nodes = dict((n['identifier'], n) for n in rendered.workflow['workflow_nodes'])
    computes_survey = rendered.survey(templates['playbooks/issu_upgrade_computes.yml'])
    fresh_lab('default')

    # start: no survey, AWX's job variables only
    start = templates['playbooks/issu_start.yml']
    assert not rendered.survey(start)
    events = run_job(tmp_path, 'start', start['playbook'], survey_extra_vars({}, job_template_name=start['name']))
    assert ran(events, 'Record the start as complete'), 'the start did not complete'
    record = state_record()
    assert record['phase'] == 'started', record['phase']
    assert [w['note'] for w in record['northbound']['windows']] == ['start']

    # the canary node: the workflow's answers (the batch shape as JSON text) over the node's own
    workflow_answers = {'issu_serial': '[1, "25%", "100%"]', 'issu_max_fail_percentage': 0,
                        'issu_batch_pause': 'none'}
    canary_vars = survey_extra_vars(
        computes_survey, dict(nodes['computes_canary']['extra_data'], **workflow_answers),
        job_template_name=templates['playbooks/issu_upgrade_computes.yml']['name'])
    assert canary_vars['issu_serial'] == '[1, "25%", "100%"]' and canary_vars['issu_max_fail_percentage'] == 0
    assert canary_vars['issu_computes'] == 'contrail_computes[0]' and canary_vars['awx_job_id']
    assert set(workflow_answers) == set(workflow_survey)
    events = run_job(tmp_path, 'computes-canary', 'playbooks/issu_upgrade_computes.yml', canary_vars)
    (batches,) = ran(events, 'Check and show the batches this run will use').values()
    assert batches['msg'] == '1 computes in batches of [1]', batches
    hosts = state_record()['hosts']
    assert hosts['lab-compute1']['status'] == 'v2', hosts
    assert all(hosts.get(name, {}).get('status') in (None, 'v1') for name in COMPUTES[1:]), hosts
    assert set(ran(events, 'Swap this compute to v2, or roll it back to v1 and fail')) == {'lab-compute1'}

    # the other computes: the survey's default computes, the batch shape typed as plain text
    rest_vars = survey_extra_vars(computes_survey, dict(workflow_answers, issu_serial='1,25%,100%'),
                                  job_template_name=templates['playbooks/issu_upgrade_computes.yml']['name'])
    assert rest_vars['issu_computes'] == 'contrail_computes' and 'issu_computes' not in nodes['computes'].get(
        'extra_data', {})
    events = run_job(tmp_path, 'computes', 'playbooks/issu_upgrade_computes.yml', rest_vars)
    (batches,) = ran(events, 'Check and show the batches this run will use').values()
    assert batches['msg'] == '3 computes in batches of [1, 1, 1]', batches
    record = state_record()
    assert dict((name, host['status']) for name, host in record['hosts'].items()) == dict(
        (name, 'v2') for name in COMPUTES), json.dumps(record['hosts'])[:3000]
    assert record['phase'] == 'started'
    # no job waited for an operator: the pauses between batches were not taken
    assert not ran(events, "Wait for the admin's own tests before the next batch")
    assert not ran(events, 'Pause before the next batch')
