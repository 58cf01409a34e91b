import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.issu_report import issu_report

RECORD = {
    'version': 1, 'phase': 'finalized',
    'history': [
        {'phase': 'starting', 'at': '2026-11-24T10:00:00.000000Z', 'note': None},
        {'phase': 'started', 'at': '2026-11-24T10:00:42.500000Z', 'note': None},
        {'phase': 'finalizing', 'at': '2026-11-24T10:05:00.000000Z', 'note': None},
        {'phase': 'finalized', 'at': '2026-11-24T10:05:30.000000Z', 'note': None},
    ],
    'northbound': {'state': 'open', 'since': None, 'windows': [
        {'frozen_at': '2026-11-24T10:00:20.000000Z', 'opened_at': '2026-11-24T10:00:23.250000Z', 'note': 'start'}]},
    'hosts': {
        'c2': {'status': 'v2', 'version': '4.0', 'batch': 'c2',
               'timings': {'stop': 0.4, 'outage': 2.5},
               'history': [{'status': 'upgrading', 'at': '2026-11-24T10:02:00.000000Z'}]},
        'c3': {'status': 'v2', 'version': '4.0', 'batch': 'c2', 'error': '',
               'history': [{'status': 'upgrading', 'at': '2026-11-24T10:02:00.100000Z'}]},
        'c1': {'status': 'v2', 'version': '4.0', 'batch': 'c1', 'timings': {'outage': 2.0},
               'history': [{'status': 'upgrading', 'at': '2026-11-24T10:01:00.000000Z'}]},
    },
}


def test_summary_lists_phases_windows_hosts_and_batches():
    lines = issu_report(RECORD)
    assert lines[0] == 'ISSU phase: finalized'
    assert any(l.startswith('  start') and '42.5 s' in l for l in lines)
    assert any(l.startswith('  finalize') and '30.0 s' in l for l in lines)
    assert [l.split() for l in lines if l.endswith(' start')] == [['3.2', 's', 'start']]
    c2 = next(l for l in lines if l.startswith('  c2 '))
    assert 'outage   2.50 s' in c2 and 'stop 0.40' in c2
    assert lines[-3:] == ['Batches:', '  1. c1', '  2. c2, c3']


def test_a_compute_line_shows_every_swap_step_in_its_order():
    # The swap's steps as vrouter_swap runs them, the waits after the outage included: the
    # wait for the agent's NodeStatus Functional may take the longest part of a swap.
    timings = {'install': 5.0, 'conf': 0.1, 'prestop': 0.3, 'stop': 0.4, 'kmod': 0.05, 'start': 0.3,
               'xmpp_up': 0.5, 'routes_back': 0.2, 'outage': 1.45, 'running': 4.1, 'functional': 12.5}
    record = dict(RECORD, hosts={'c1': dict(RECORD['hosts']['c1'], timings=timings)})
    c1 = next(l for l in issu_report(record) if l.startswith('  c1 '))
    assert c1.endswith('(install 5.00, conf 0.10, prestop 0.30, stop 0.40, kmod 0.05, start 0.30, '
                       'xmpp_up 0.50, routes_back 0.20, running 4.10, functional 12.50)'), c1


def test_a_finalize_window_shows_where_its_time_went():
    record = dict(RECORD, steps={'synced': '2026-11-24T10:05:06.000000Z',
                                 'switched': '2026-11-24T10:05:07.500000Z'})
    record['northbound'] = {'state': 'open', 'since': None, 'windows': RECORD['northbound']['windows'] + [
        {'frozen_at': '2026-11-24T10:04:58.000000Z', 'opened_at': '2026-11-24T10:05:08.000000Z',
         'note': 'finalize'}]}
    lines = issu_report(record)
    at = lines.index(next(l for l in lines if l.endswith(' finalize') and '10.0 s' in l))
    assert [l.split()[:3] for l in lines[at + 1:at + 5]] == [
        ['2.0', 's', 'finalizing'], ['6.0', 's', 'synced'], ['1.5', 's', 'switched'],
        ['0.5', 's', 'opened']]
    assert 'point of no return' in lines[at + 1] and 'post-sync, zk-sync' in lines[at + 2]
    start = lines.index(next(l for l in lines if l.endswith(' start')))
    assert lines[start + 1].endswith(' finalize')            # nothing recorded inside start's


def test_milestones_dated_in_one_write_keep_the_phase_table_order():
    both = '2026-11-24T10:05:07.500000Z'
    record = dict(RECORD, steps={'switched': both, 'synced': both})
    record['northbound'] = {'state': 'open', 'since': None, 'windows': [
        {'frozen_at': '2026-11-24T10:04:58.000000Z', 'opened_at': '2026-11-24T10:05:08.000000Z',
         'note': 'finalize'}]}
    lines = issu_report(record)
    at = lines.index(next(l for l in lines if l.endswith(' finalize') and '10.0 s' in l))
    assert [l.split()[:3] for l in lines[at + 1:at + 5]] == [
        ['2.0', 's', 'finalizing'], ['7.5', 's', 'synced'], ['0.0', 's', 'switched'],
        ['0.5', 's', 'opened']]


def test_batches_of_records_that_listed_every_host_of_a_batch():
    hosts = {'c2': dict(RECORD['hosts']['c2'], batch=['c2', 'c3']),
             'c3': dict(RECORD['hosts']['c3'], batch=['c3', 'c2']),
             'c1': dict(RECORD['hosts']['c1'], batch=['c1'])}
    assert issu_report(dict(RECORD, hosts=hosts))[-3:] == ['Batches:', '  1. c1', '  2. c2, c3']


def test_incomplete_phase_and_open_freeze_are_loud():
    record = dict(RECORD, phase='starting', history=RECORD['history'][:1],
                  northbound={'state': 'frozen', 'since': '2026-11-24T10:00:20.000000Z', 'windows': []}, hosts={})
    lines = issu_report(record)
    assert '  start     begun 2026-11-24T10:00:00.000000Z, not complete' in lines
    assert '  STILL FROZEN since 2026-11-24T10:00:20.000000Z' in lines
    assert '  none recorded' in lines


def test_rejects_other_input():
    with pytest.raises(AnsibleFilterError):
        issu_report({'no': 'phase'})


FORCED = dict(RECORD, hosts=dict(
    RECORD['hosts'],
    c4={'status': 'v1', 'left_on_v1': 'left on v1 by a forced finalize'},
    c5={'status': 'failed', 'version': '3.2', 'left_on_v1': 'left on v1 by a forced finalize'},
    c6={'status': 'v2', 'version': '4.0', 'left_on_v1': 'left on v1 by a forced finalize'}))


def test_computes_left_on_v1_by_a_forced_finalize_stay_visible():
    lines = issu_report(FORCED)
    start = next(i for i, l in enumerate(lines) if l.startswith('Left on v1 by a forced finalize'))
    assert 'WITHOUT A CONTROL PLANE' in lines[start] and 'routes age out, no config' in lines[start]
    assert [l.split()[:2] for l in lines[start + 1:start + 3]] == [['c4', 'v1'], ['c5', 'failed']]
    # moved to v2 since: no longer listed
    assert not any(l.startswith('  c6 ') for l in lines[start + 1:])
    assert lines[-3:] == ['Batches:', '  1. c1', '  2. c2, c3']


def test_forced_computes_before_the_point_of_no_return():
    lines = issu_report(dict(FORCED, phase='started'))
    header = next(l for l in lines if l.startswith('Left on v1 by a forced finalize'))
    assert 'not passed its point of no return' in header


def test_no_forced_section_without_forced_computes():
    assert not any(l.startswith('Left on v1') for l in issu_report(RECORD))


def _history(*entries):
    return [{'status': status, 'at': '2026-11-24T%s.000000Z' % at} for status, at in entries]


def test_a_first_host_upgraded_again_names_a_new_batch_not_the_old_one():
    # compute1 leads batch A (with compute2), is rolled back, compute4 moves alone, then
    # compute1 leads batch B (with compute3): both batches are named 'compute1'.
    hosts = {
        'compute1': {'status': 'v2', 'version': '4.0', 'batch': 'compute1', 'updated_at': '2026-11-24T10:07:00.000000Z',
                     'history': _history(('upgrading', '10:01:00'), ('v2', '10:01:40'), ('rolling_back', '10:03:00'),
                                         ('v1', '10:03:30'), ('upgrading', '10:06:00'), ('v2', '10:07:00'))},
        'compute2': {'status': 'v2', 'version': '4.0', 'batch': 'compute1', 'updated_at': '2026-11-24T10:01:42.000000Z',
                     'history': _history(('upgrading', '10:00:59'), ('v2', '10:01:42'))},
        'compute4': {'status': 'v2', 'version': '4.0', 'batch': 'compute4', 'updated_at': '2026-11-24T10:04:40.000000Z',
                     'history': _history(('upgrading', '10:04:00'), ('v2', '10:04:40'))},
        'compute3': {'status': 'v2', 'version': '4.0', 'batch': 'compute1', 'updated_at': '2026-11-24T10:06:50.000000Z',
                     'history': _history(('upgrading', '10:06:00'), ('v2', '10:06:50'))},
    }
    assert issu_report(dict(RECORD, hosts=hosts))[-4:] == [
        'Batches:', '  1. compute1, compute2', '  2. compute4', '  3. compute1, compute3']


def test_the_compute_phases_progress_is_one_line_after_the_computes():
    assert not [l for l in issu_report(RECORD) if l.startswith('Progress')]
    progress = {'batch': 2, 'batches': 2, 'batch_first': 'c2', 'state': 'done', 'began_at': '2026-11-24T10:02:00.000000Z',
                'seconds': 95.0, 'done': 3, 'failed': 0, 'left': 0, 'eta_seconds': 0.0,
                'measured': {'seconds': 155.0, 'rounds': 2}, 'updated_at': '2026-11-24T10:03:35.000000Z'}
    lines = issu_report(dict(RECORD, progress=progress))
    at = lines.index('Progress: batch 2 of 2 done in 1 min 35 s at 2026-11-24T10:03:35.000000Z: '
                     '3 on v2, 0 failed, 0 left; nothing left')
    assert lines[at - 2].startswith('  c3 ') and lines[at - 1].startswith('  outages: ')
    assert lines[at + 1] == 'Batches:'


def test_the_outages_are_summed_up_as_median_p95_and_longest():
    """At 30 computes the per-host lines scroll by: the operator reads the distribution in one line."""
    hosts = {'c%02d' % i: {'status': 'v2', 'version': '4.0', 'timings': {'outage': 1.0 + i / 10.0}}
             for i in range(1, 21)}
    hosts['c99'] = {'status': 'v1', 'version': '3.2'}          # not swapped: no outage to count
    lines = issu_report({'phase': 'computes', 'hosts': hosts})
    summary = [line for line in lines if line.strip().startswith('outages:')]
    # 20 outages 1.1 .. 3.0 s: median 2.05, p95 (nearest rank, the 19th) 2.9, longest 3.0
    assert summary == ['  outages: 20 computes, median 2.05 s, p95 2.90 s, longest 3.00 s']


def test_no_outage_summary_before_any_swap():
    lines = issu_report({'phase': 'started', 'hosts': {'c1': {'status': 'v1'}}})
    assert not [line for line in lines if 'outages:' in line]
