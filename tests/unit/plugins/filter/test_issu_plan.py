import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.issu_plan import DEFAULTS, issu_plan
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_state import empty_record

COMPUTES = ['c1', 'c2', 'c3', 'c4', 'c5']
GROUPS = {'issu_task': ['v2a'], 'contrail_v1_controllers': ['v1a', 'v1b'], 'contrail_v2_controllers': ['v2a'],
          'openstack_haproxy': ['hap'], 'openstack_neutron': ['neutron1']}


def at(seconds):
    """A record timestamp ``seconds`` after 10:00:00."""
    minutes, seconds = divmod(seconds, 60)
    return '2026-12-01T10:%02d:%09.6fZ' % (minutes, seconds)


def swapped(batch, began, done, outage=None):
    host = {'status': 'v2', 'version': '4.0', 'batch': batch,
            'history': [{'status': 'upgrading', 'at': at(began)}, {'status': 'v2', 'at': at(done)}]}
    if outage is not None:
        host['timings'] = {'outage': outage, 'stop': 0.4}
    return host


def started(hosts=None, **extra):
    """A record in phase started: the start took 30 s with a 3.5 s freeze."""
    record = dict(empty_record(), phase='started', hosts=hosts or {},
                  history=[{'phase': 'starting', 'at': at(0), 'note': None},
                           {'phase': 'started', 'at': at(30), 'note': None}],
                  northbound={'state': 'open', 'since': None, 'windows': [
                      {'frozen_at': at(10), 'opened_at': at(13.5), 'note': 'start'}]})
    record.update(extra)
    return record


def check(restart=True, **extra):
    """A vrouter_swap check-mode result."""
    result = {'changed': restart, 'prestaged': False, 'version': '3.2',
              'plan': {'packages': {'contrail-vrouter-agent': {'from': '3.2', 'to': '4.0'}} if restart else {},
                       'conf': {'/etc/contrail/contrail-vrouter-agent.conf': ['CONTROL-NODE/servers']} if restart else {},
                       'restart': restart,
                       'kmod': {'reload': restart, 'reason': 'the loaded vrouter module is 3.2' if restart else None}}}
    result.update(extra)
    return result


def phase(plan, name):
    return next(p for p in plan['phases'] if p['name'] == name)


def batch_hosts(plan):
    return [[h['name'] for h in batch['hosts']] for batch in phase(plan, 'computes')['batches']]


def test_a_fresh_site_plans_every_phase_in_the_default_batches_with_the_default_times():
    plan = issu_plan(empty_record(), COMPUTES, groups=GROUPS)
    assert plan['phase'] == 'new' and 'playbooks/issu_start.yml' in plan['next']
    assert [(p['name'], p['status']) for p in plan['phases']] == [
        ('start', 'to do'), ('computes', 'to do'), ('finalize', 'to do')]
    # [1, "25%", "100%"] over 5 computes: 1, int(1.25) = 1, then the rest
    assert batch_hosts(plan) == [['c1'], ['c2'], ['c3', 'c4', 'c5']]
    assert all(figure['source'] == 'default' for figure in plan['estimates'].values())
    start = phase(plan, 'start')
    assert start['freeze'] == {'seconds': DEFAULTS['start_freeze'], 'source': 'default'}
    assert phase(plan, 'finalize')['freeze']['seconds'] == DEFAULTS['finalize_freeze']
    per_batch = DEFAULTS['between_batches'] + DEFAULTS['host_swap']
    assert [b['seconds'] for b in phase(plan, 'computes')['batches']] == [per_batch] * 3
    assert phase(plan, 'computes')['seconds'] == {'seconds': 3 * per_batch, 'source': 'default'}
    assert plan['problems'] == []


def test_each_step_names_the_hosts_it_runs_on_and_the_freeze_holds_only_its_steps():
    plan = issu_plan(empty_record(), COMPUTES, groups=GROUPS)
    start = phase(plan, 'start')['steps']
    peering = next(s for s in start if s['do'].startswith('BGP-peer'))
    assert '(v1a, v1b)' in peering['do'] and "v2's (v2a)" in peering['do'] and peering['on'] == ['v2a']
    assert [s['on'] for s in start if s['freeze']] == [['hap'], ['v2a'], ['hap']]
    assert next(s for s in start if s['do'].startswith('hold'))['on'] == ['v2a']
    finalize = phase(plan, 'finalize')['steps']
    switch = next(s for s in finalize if s['do'].startswith('switch northbound'))
    assert switch['on'] == ['hap', 'neutron1'] and switch['freeze']
    assert not any(s['skipped'] for s in start + finalize)
    computes = phase(plan, 'computes')['steps']
    assert computes[0]['do'].startswith('pre-stage') and computes[0]['on'] == COMPUTES


def test_the_neutron_plugin_hosts_default_to_the_haproxy_hosts():
    groups = dict(GROUPS)
    del groups['openstack_neutron']
    switch = next(s for s in phase(issu_plan(empty_record(), COMPUTES, groups=groups), 'finalize')['steps']
                  if s['do'].startswith('switch northbound'))
    assert switch['on'] == ['hap']


def test_times_measured_on_this_site_replace_the_defaults():
    hosts = {'c1': swapped('c1', 60, 72, outage=2.5),
             'c2': swapped('c2', 120, 140, outage=1.5), 'c3': swapped('c2', 120.1, 142, outage=3.5)}
    plan = issu_plan(started(hosts), COMPUTES, groups=GROUPS)
    est = plan['estimates']
    assert est['start'] == {'seconds': 30.0, 'source': 'measured'}
    assert est['start_freeze'] == {'seconds': 3.5, 'source': 'measured'}
    assert est['host_swap'] == {'seconds': 20.0, 'source': 'measured', 'samples': 3}      # median of 12, 20, 21.9
    assert est['outage'] == {'seconds': 2.5, 'source': 'measured', 'samples': 3, 'longest': 3.5}
    assert est['between_batches'] == {'seconds': 48.0, 'source': 'measured', 'samples': 1}  # 10:02:00 - 10:01:12
    assert est['finalize']['source'] == 'default' and est['finalize_freeze']['source'] == 'default'
    computes = phase(plan, 'computes')
    assert [b['seconds'] for b in computes['batches']] == [68.0]                 # c4, c5: 48 + 20
    assert computes['seconds'] == {'seconds': 68.0, 'source': 'measured'}
    assert computes['outage']['seconds'] == 2.5


def test_the_shortest_gap_between_batches_is_taken_so_a_pause_is_not_counted():
    hosts = {'c1': swapped('c1', 0, 10), 'c2': swapped('c2', 16, 26), 'c3': swapped('c3', 626, 636)}
    assert issu_plan(started(hosts), COMPUTES)['estimates']['between_batches']['seconds'] == 6.0


def test_a_finalize_measured_earlier_on_the_site_is_used():
    record = started(history=[{'phase': 'starting', 'at': at(0), 'note': None},
                              {'phase': 'started', 'at': at(30), 'note': None},
                              {'phase': 'finalizing', 'at': at(100), 'note': None},
                              {'phase': 'finalized', 'at': at(125), 'note': None}],
                     northbound={'state': 'open', 'since': None, 'windows': [
                         {'frozen_at': at(98), 'opened_at': at(110.2), 'note': 'finalize'}]},
                     phase='finalized')
    est = issu_plan(record, [])['estimates']
    assert est['finalize'] == {'seconds': 25.0, 'source': 'measured'}
    assert est['finalize_freeze'] == {'seconds': 12.2, 'source': 'measured'}
    assert est['start_freeze']['source'] == 'default'           # no window noted 'start'


def test_an_interrupted_start_is_not_a_measured_start():
    record = dict(empty_record(), phase='starting',
                  history=[{'phase': 'starting', 'at': at(0), 'note': None}])
    plan = issu_plan(record, COMPUTES)
    assert plan['estimates']['start']['source'] == 'default'
    assert phase(plan, 'start')['status'] == 'resume'


def test_mid_issu_only_what_is_left_is_planned_in_the_batches_the_rolling_play_forms():
    hosts = {'c1': swapped('c1', 60, 72), 'c3': swapped('c2', 120, 140),
             'c2': {'status': 'failed', 'version': '3.2', 'error': 'rolled back'},
             'c4': {'status': 'upgrading', 'version': '3.2'}}
    plan = issu_plan(started(hosts), COMPUTES, groups=GROUPS)
    assert phase(plan, 'start')['status'] == 'done' and phase(plan, 'start')['steps'] == []
    computes = phase(plan, 'computes')
    assert computes['done'] == ['c1', 'c3']
    # the play still batches all five: [c1], [c2], [c3, c4, c5]; c1's batch is left empty
    assert batch_hosts(plan) == [['c2'], ['c4', 'c5']]
    assert [(b['number'], b['of_run']) for b in computes['batches']] == [(1, 2), (2, 3)]
    assert [[h['status'] for h in b['hosts']] for b in computes['batches']] == [['failed'], ['upgrading', 'v1']]
    assert computes['steps'][0]['on'] == ['c2', 'c4', 'c5']
    assert not computes['steps'][1]['skipped']                  # v2 still follows v1: checked before each batch
    assert phase(plan, 'finalize')['status'] == 'to do' and 'gate refuses' in phase(plan, 'finalize')['note']


def test_every_compute_on_v2_leaves_only_finalize():
    hosts = dict((name, swapped(name, 10 * i, 10 * i + 5)) for i, name in enumerate(COMPUTES))
    plan = issu_plan(started(hosts), COMPUTES)
    computes = phase(plan, 'computes')
    assert computes['status'] == 'done' and computes['batches'] == [] and computes['steps'] == []
    assert computes['seconds']['seconds'] == 0
    assert phase(plan, 'finalize')['status'] == 'to do' and 'note' not in phase(plan, 'finalize')


def test_the_swap_check_decides_over_the_record():
    swaps = {
        'c1': check(restart=False),                  # recorded v2, nothing to change: done
        'c2': check(restart=True),                   # recorded v2, yet the swap would change it: planned
        'c3': check(restart=False),                  # recorded v1 but already on target: done
        'c4': {'unreachable': True, 'msg': 'ssh: no route'},
        'c5': {'failed': True, 'failed_step': 'validate', 'msg': 'a DPDK vRouter ...'},
    }
    hosts = {'c1': swapped('c1', 0, 10), 'c2': swapped('c2', 20, 30)}
    plan = issu_plan(started(hosts), COMPUTES, swaps=swaps)
    computes = phase(plan, 'computes')
    assert computes['done'] == ['c1', 'c3']
    entries = dict((h['name'], h) for b in computes['batches'] for h in b['hosts'])
    assert sorted(entries) == ['c2', 'c4', 'c5']
    assert entries['c2']['swap']['restart'] and entries['c2']['status'] == 'v2'
    assert entries['c2']['swap']['packages'] == {'contrail-vrouter-agent': {'from': '3.2', 'to': '4.0'}}
    assert entries['c4']['check'] == 'not reachable: ssh: no route' and entries['c4']['swap'] is None
    assert entries['c5']['check'] == 'at validate: a DPDK vRouter ...'
    line = next(l for l in plan['summary'] if l.strip().startswith('c2 '))
    assert '1 package(s) 3.2 -> 4.0' in line and 'CONTROL-NODE/servers' in line
    assert 'rmmod vrouter (the loaded vrouter module is 3.2)' in line and 'restart' in line


def test_a_recorded_compute_that_could_not_be_checked_is_trusted():
    plan = issu_plan(started({'c1': swapped('c1', 0, 10)}), ['c1', 'c2'],
                     swaps={'c1': {'unreachable': True, 'msg': 'down'}})
    assert phase(plan, 'computes')['done'] == ['c1']
    assert batch_hosts(plan) == [['c2']]
    assert phase(plan, 'computes')['batches'][0]['hosts'][0]['check'] == 'not checked'


def test_missing_packages_before_the_pre_stage_adds_the_repository_are_expected():
    missing = check(failed=True, failed_step='validate',
                    msg='not in the configured repositories: contrail-vrouter-agent=4.0')
    added = issu_plan(empty_record(), ['c1'], swaps={'c1': missing}, repository_added_by_prestage=True)
    host = phase(added, 'computes')['batches'][0]['hosts'][0]
    assert 'check' not in host and 'pre-stage adds the target repository' in host['note']
    assert host['swap']['restart']
    without = issu_plan(empty_record(), ['c1'], swaps={'c1': missing})
    assert phase(without, 'computes')['batches'][0]['hosts'][0]['check'].startswith(
        'at validate: not in the configured repositories')


def test_batches_run_in_waves_of_forks_and_numeric_pauses_add_up():
    computes = ['c%d' % i for i in range(1, 11)]
    plan = issu_plan(empty_record(), computes, serial=[3, '100%'], forks=2, batch_pause=60)
    batches = phase(plan, 'computes')['batches']
    assert [len(b['hosts']) for b in batches] == [3, 7]
    assert [b['waves'] for b in batches] == [2, 4]
    swap, between = DEFAULTS['host_swap'], DEFAULTS['between_batches']
    assert [b['seconds'] for b in batches] == [between + 2 * swap, between + 4 * swap]
    assert phase(plan, 'computes')['seconds']['seconds'] == round(2 * between + 6 * swap + 60, 1)
    prompt = issu_plan(empty_record(), computes, serial=[3, '100%'], batch_pause='prompt')
    assert 'issu_batch_pause=prompt' in phase(prompt, 'computes')['note']
    with pytest.raises(AnsibleFilterError, match='batch_pause'):
        issu_plan(empty_record(), computes, batch_pause='soon')


def test_an_invalid_batch_specification_is_a_problem_not_a_failure():
    plan = issu_plan(empty_record(), COMPUTES, serial=[1, '0%'])
    assert phase(plan, 'computes')['batches'] == []
    assert 'batch specification is invalid' in phase(plan, 'computes')['note']
    assert len(plan['problems']) == 1 and plan['problems'][0].startswith("issu_serial: invalid batch size '0%'")
    # preflight already said so: not twice
    again = issu_plan(empty_record(), COMPUTES, serial=[1, '0%'], problems=['issu_serial: invalid batch size'])
    assert again['problems'] == ['issu_serial: invalid batch size']


def test_problems_are_listed_and_summarised():
    plan = issu_plan(empty_record(), COMPUTES, problems=['c2: no XMPP session Established', 'API: refused'])
    assert plan['problems'] == ['c2: no XMPP session Established', 'API: refused']
    assert plan['summary'][-3:] == ['Problems (2):', '  - c2: no XMPP session Established', '  - API: refused']
    assert issu_plan(empty_record(), COMPUTES)['summary'][-1] == 'Problems: none'


def test_a_resumed_finalize_skips_what_its_milestones_put_behind_it():
    record = started({'c1': swapped('c1', 0, 10)}, phase='finalizing', steps={'synced': at(200)})
    plan = issu_plan(record, ['c1'], groups=GROUPS)
    assert phase(plan, 'start')['status'] == 'done'
    finalize = phase(plan, 'finalize')
    assert finalize['status'] == 'resume' and finalize['behind'] == ['synced']
    skipped = [s['do'].split(':')[0].split(' (')[0] for s in finalize['steps'] if s['skipped']]
    assert skipped == ['check run-sync runs with its copy done and v1\'s and v2\'s control nodes see each other',
                       'gate 1', "stop v1's config services and run-sync, post-sync and zk-sync, gate 2"]
    assert not next(s for s in finalize['steps'] if s['do'].startswith('freeze'))['skipped']
    assert phase(plan, 'computes')['status'] == 'done'
    left = issu_plan(record, ['c1', 'c2'])
    assert 'after finalize completes' in phase(left, 'computes')['note']
    switched = issu_plan(dict(record, steps={'synced': at(200), 'switched': at(201)}), ['c1'], groups=GROUPS)
    assert all(s['skipped'] for s in phase(switched, 'finalize')['steps']
               if s['do'].startswith(('freeze', 'switch')))
    assert 'resumes after synced, switched' in next(l for l in switched['summary'] if l.startswith('finalize'))


def test_after_a_forced_finalize_the_computes_left_on_v1_are_planned_without_rollback():
    hosts = {'c1': swapped('c1', 0, 10), 'c2': {'status': 'v1', 'left_on_v1': 'left on v1 by a forced finalize'}}
    record = started(hosts, phase='finalized')
    plan = issu_plan(record, ['c1', 'c2'], groups=GROUPS)
    assert [p['status'] for p in plan['phases']] == ['done', 'to do', 'done']
    computes = phase(plan, 'computes')
    assert batch_hosts(plan) == [['c2']]
    assert computes['batches'][0]['hosts'][0]['left_on_v1']
    assert computes['steps'][1]['skipped']                      # v1 is gone: nothing to follow
    assert 'recorded failed instead' in computes['steps'][2]['do']
    assert plan['next'] == 'nothing: the ISSU is complete'


def test_defaults_can_be_given_and_are_checked():
    plan = issu_plan(empty_record(), COMPUTES, defaults={'host_swap': 40, 'start_freeze': '5'})
    assert plan['estimates']['host_swap'] == {'seconds': 40.0, 'source': 'default'}
    assert phase(plan, 'start')['freeze']['seconds'] == 5.0
    with pytest.raises(AnsibleFilterError, match='unknown default'):
        issu_plan(empty_record(), COMPUTES, defaults={'swap': 40})
    with pytest.raises(AnsibleFilterError, match='number of seconds'):
        issu_plan(empty_record(), COMPUTES, defaults={'outage': 'long'})


def test_rejects_other_input():
    with pytest.raises(AnsibleFilterError, match='record'):
        issu_plan({'no': 'phase'}, COMPUTES)
    with pytest.raises(AnsibleFilterError, match='computes'):
        issu_plan(empty_record(), 'c1')
    with pytest.raises(AnsibleFilterError, match='forks'):
        issu_plan(empty_record(), COMPUTES, forks='many')


def test_the_summary_reads_as_the_plan():
    plan = issu_plan(empty_record(), ['c1', 'c2'], groups=GROUPS, swaps={'c1': check()})
    text = '\n'.join(plan['summary'])
    assert text.startswith('ISSU plan - phase new; next: run playbooks/issu_preflight.yml')
    assert 'start (playbooks/issu_start.yml): to do, about 21.1 s (default), northbound frozen about 2.4 s (default)' in text
    assert "  batch 1 (the rolling play's batch 1): 1 compute(s)" in text
    assert '  5. [frozen] freeze northbound' in text and '- on hap' in text
    assert '  already on v2: none' in text
