import json
import os

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state as st

ALLOWED = [
    ('new', 'starting'), ('starting', 'started'), ('starting', 'aborting'),
    ('started', 'finalizing'), ('started', 'aborting'), ('finalizing', 'finalized'),
    ('aborting', 'aborted'), ('aborted', 'starting'),
]


@pytest.mark.parametrize('current', st.PHASES)
@pytest.mark.parametrize('target', st.PHASES)
def test_transition_table(current, target):
    if current == target or (current, target) in ALLOWED:
        st.check_transition(current, target)
    else:
        with pytest.raises(st.StateError) as err:
            st.check_transition(current, target)
        assert st.NEXT_STEP[current] in str(err.value)


def test_no_rollback_or_abort_once_finalizing():
    for phase in ('finalizing', 'finalized'):
        with pytest.raises(st.StateError):
            st.check_transition(phase, 'aborting')


def test_expect_names_next_playbook():
    with pytest.raises(st.StateError) as err:
        st.check_expected('new', ['started'])
    assert 'issu_start.yml' in str(err.value)
    st.check_expected('started', ['started', 'finalizing'])
    st.check_expected('finalized', None)


def test_plan_is_idempotent_and_pure():
    record = st.empty_record()
    one = st.plan(record, phase='starting', hosts={'c1': {'status': 'v1', 'version': '3.2'}}, now='t1')
    assert record == st.empty_record()
    assert one['phase'] == 'starting' and one['history'] == [{'phase': 'starting', 'at': 't1', 'note': None}]
    assert one['hosts']['c1'] == {'status': 'v1', 'version': '3.2', 'updated_at': 't1',
                                  'history': [{'status': 'v1', 'at': 't1'}]}
    again = st.plan(one, phase='starting', hosts={'c1': {'status': 'v1'}}, now='t2')
    assert again == one


def test_plan_merges_host_facts():
    record = st.plan(st.empty_record(), hosts={'c1': {'status': 'v1', 'version': '3.2'}}, now='t1')
    record = st.plan(record, hosts={'c1': {'status': 'v2', 'version': None}}, now='t2')
    assert record['hosts']['c1'] == {'status': 'v2', 'version': '3.2', 'updated_at': 't2',
                                     'history': [{'status': 'v1', 'at': 't1'}, {'status': 'v2', 'at': 't2'}]}
    record = st.plan(record, hosts={'c1': {'timings': {'stop': 0.1}}}, now='t3')
    assert record['hosts']['c1']['history'][-1] == {'status': 'v2', 'at': 't2'}
    assert record['hosts']['c1']['timings'] == {'stop': 0.1}


def test_freeze_windows():
    record = st.plan(st.empty_record(), northbound='frozen', note='pre-sync', now='t1')
    assert record['northbound'] == {'state': 'frozen', 'since': 't1', 'windows': []}
    assert st.plan(record, northbound='frozen', now='t9') == record
    record = st.plan(record, northbound='open', note='pre-sync', now='t2')
    assert record['northbound'] == {'state': 'open', 'since': None,
                                    'windows': [{'frozen_at': 't1', 'opened_at': 't2', 'note': 'pre-sync'}]}


def test_steps_are_dated_once_and_cleared_by_a_new_start():
    record = st.plan(st.empty_record(), phase='starting', now='t1')
    for phase in ('started', 'finalizing'):
        record = st.plan(record, phase=phase, now='t2')
    record = st.plan(record, step='synced', now='t3')
    assert record['steps'] == {'synced': 't3'}
    assert st.plan(record, step='synced', now='t4') == record       # resumed run: no change
    record = st.plan(record, step='switched', now='t5')
    assert record['steps'] == {'synced': 't3', 'switched': 't5'}
    aborted = dict(st.empty_record(), phase='aborted', steps={'synced': 't3'})
    assert st.plan(aborted, phase='starting', now='t6')['steps'] == {}


def test_marks_keep_the_latest_value_and_are_cleared_by_a_new_start():
    record = st.plan(st.empty_record(), phase='starting', now='t1')
    record = st.plan(record, phase='started', now='t2')
    record = st.plan(record, marks={'run_sync_repaired': 100.5}, now='t3')
    assert record['marks'] == {'run_sync_repaired': 100.5}
    assert st.plan(record, marks={'run_sync_repaired': 100.5}, now='t4') == record
    record = st.plan(record, marks={'run_sync_repaired': 200.25}, now='t5')   # a second restart
    assert record['marks'] == {'run_sync_repaired': 200.25}
    aborted = dict(record, phase='aborted')
    assert st.plan(aborted, phase='starting', now='t6')['marks'] == {}


def test_a_record_without_steps_loads_with_none(tmp_path):
    path = tmp_path / 'state.json'
    old = st.empty_record()
    del old['steps'], old['marks']
    path.write_text(json.dumps(old))
    assert st.load(str(path))['steps'] == {}
    assert st.load(str(path))['marks'] == {}


def test_save_and_load_roundtrip_with_backup(tmp_path):
    path = str(tmp_path / 'sub' / 'state.json')
    assert st.load(path) == st.empty_record()
    first = st.save(path, st.plan(st.empty_record(), phase='starting', now='t1'))
    assert first['hosts_id'] and first['version'] == 2
    second = st.save(path, st.plan(first, phase='started', now='t2'), first)
    assert second['hosts_id'] == first['hosts_id']
    assert st.load(path) == second
    assert json.load(open(path + '.bak')) == dict(first, hosts={})   # the record's file before
    assert (tmp_path / 'sub' / 'state.json').stat().st_mode & 0o777 == 0o600


def _with_hosts(path, names):
    record = st.plan(st.plan(st.empty_record(), phase='starting', now='t1'), phase='started', now='t2')
    return st.save(path, st.plan(record, hosts=dict((n, {'status': 'v1'}) for n in names), now='t3'))


def test_each_compute_is_a_file_of_its_own_and_the_records_file_holds_none(tmp_path):
    path = str(tmp_path / 'state.json')
    record = _with_hosts(path, ['c1', 'c/2'])
    on_disk = json.loads((tmp_path / 'state.json').read_text())
    assert on_disk['hosts'] == {} and on_disk['hosts_id'] == record['hosts_id']
    directory = tmp_path / ('state.json.hosts/%s' % record['hosts_id'])
    assert sorted(p.name for p in directory.iterdir()) == ['c%2F2.json', 'c1.json']
    assert st.load(path) == record
    assert st.load(path, hosts=['c/2', 'c9'])['hosts'] == {'c/2': record['hosts']['c/2']}


def test_a_computes_write_touches_only_its_own_entry(tmp_path, monkeypatch):
    path = str(tmp_path / 'state.json')
    _with_hosts(path, ['c%d' % i for i in range(50)])
    written = []
    real = st._write_json
    monkeypatch.setattr(st, '_write_json', lambda p, *a, **k: (written.append(p), real(p, *a, **k)))
    before = st.load(path, hosts=['c7'])
    assert list(before['hosts']) == ['c7']
    after = st.save(path, st.plan(before, hosts={'c7': {'status': 'v2'}}, now='t4'), before)
    assert [os.path.basename(p) for p in written] == ['c7.json']
    assert after['hosts'] == {'c7': dict(status='v2', updated_at='t4', history=[
        {'status': 'v1', 'at': 't3'}, {'status': 'v2', 'at': 't4'}])}
    full = st.load(path)
    assert len(full['hosts']) == 50 and full['hosts']['c7']['status'] == 'v2'
    assert full['hosts']['c8'] == {'status': 'v1', 'updated_at': 't3', 'history': [{'status': 'v1', 'at': 't3'}]}


def test_a_record_holding_its_computes_is_read_whole_and_split_at_its_next_write(tmp_path):
    path = tmp_path / 'state.json'
    old = st.plan(st.plan(st.empty_record(), phase='starting', now='t1'), hosts={'c1': {'status': 'v2'}}, now='t2')
    old.update(version=1)
    del old['hosts_id']
    # an earlier record's entries at the same path are not this record's
    stale = _with_hosts(str(path), ['c1', 'c2'])
    path.write_text(json.dumps(old))
    assert st.load(str(path))['hosts'] == old['hosts']
    before = st.load(str(path), hosts=['c1'])
    assert before['hosts'] == old['hosts']          # all of them: they are in the file
    after = st.save(str(path), st.plan(before, phase='started', now='t3'), before)
    assert after['hosts_id'] != stale['hosts_id'] and after['version'] == 2
    assert st.load(str(path)) == after and list(after['hosts']) == ['c1']
    # no backup is left that still holds the computes of that moment
    assert json.loads((tmp_path / 'state.json.bak').read_text()) == dict(after, hosts={})


def test_a_record_whose_computes_are_missing_is_refused_not_read_empty(tmp_path):
    path = str(tmp_path / 'state.json')
    empty = st.save(path, st.plan(st.empty_record(), phase='starting', now='t1'))
    assert st.load(path)['hosts'] == {}          # no compute yet: its directory is there
    record = _with_hosts(str(tmp_path / 'other.json'), ['c1'])
    (tmp_path / 'copy.json').write_text(json.dumps(dict(record, hosts={})))   # the file alone
    with pytest.raises(st.StateError, match='computes of the ISSU state record .*copy.json are missing'):
        st.load(str(tmp_path / 'copy.json'))
    assert empty['hosts_id']


def test_a_broken_entry_is_named(tmp_path):
    path = str(tmp_path / 'state.json')
    record = _with_hosts(path, ['c1'])
    (tmp_path / ('state.json.hosts/%s/c1.json' % record['hosts_id'])).write_text('{')
    with pytest.raises(st.StateError, match="compute's entry .*c1.json is not valid JSON"):
        st.load(path)


def test_load_rejects_garbage(tmp_path):
    path = tmp_path / 'state.json'
    path.write_text('{not json')
    with pytest.raises(st.StateError, match='not valid JSON'):
        st.load(str(path))
    path.write_text(json.dumps({'version': 1, 'phase': 'bogus'}))
    with pytest.raises(st.StateError, match='unknown version or phase'):
        st.load(str(path))


def test_lock_in_check_mode_creates_nothing(tmp_path):
    path = str(tmp_path / 'missing' / 'state.json')
    with st.Locked(path, create=False):
        pass
    assert not (tmp_path / 'missing').exists()


def test_phase_since_is_the_epoch_of_the_last_entry_into_the_current_phase():
    record = st.empty_record()
    assert st.phase_since(record) is None
    record = st.plan(record, phase='starting', now='2026-11-24T10:00:00.000000Z')
    record = st.plan(record, phase='started', now='2026-11-24T10:03:00.500000Z')
    assert st.phase_since(record) == 1795514580.5
    assert st.epoch('1970-01-01T00:00:01.000000Z') == 1.0


# -- the phase table ------------------------------------------------------------------------------

def test_transitions_are_derived_from_the_operations():
    derived = set((a, b) for a, targets in st.TRANSITIONS.items() for b in targets)
    assert derived == set(ALLOWED)


# operation -> (phases it runs in, phases where it has nothing left to do)
RUNS = {
    'start': (('new', 'aborted', 'starting', 'started', 'finalizing', 'finalized'),
              ('started', 'finalizing', 'finalized')),
    'computes': (('started', 'finalized'), ()),
    'rollback': (('started',), ()),
    'finalize': (('started', 'finalizing', 'finalized'), ('finalized',)),
    'abort': (('starting', 'started', 'aborting', 'aborted'), ('aborted',)),
}


def record_in(phase, steps=()):
    record = st.empty_record()
    record['phase'] = phase
    record['steps'] = dict((step, 't') for step in steps)
    return record


@pytest.mark.parametrize('operation', sorted(RUNS))
@pytest.mark.parametrize('phase', st.PHASES)
def test_each_operation_runs_only_in_its_phases(operation, phase):
    runs_in, complete_in = RUNS[operation]
    if phase in runs_in:
        answer = st.answer(record_in(phase), operation)
        assert answer['to_do'] == (phase not in complete_in)
        assert answer['name'] == operation
    else:
        with pytest.raises(st.StateError) as err:
            st.answer(record_in(phase), operation)
        assert "but it is in phase %r" % phase in str(err.value)
        assert st.OPERATIONS[operation].playbook in str(err.value)
        assert st.NEXT_STEP[phase] in str(err.value)


def test_no_rollback_past_the_point_of_no_return():
    assert st.answer(record_in('started'), 'computes')['rollback_allowed']
    for phase in ('finalizing', 'finalized'):
        answer = st.answer(record_in(phase), 'finalize')
        assert answer['irreversible'] and not answer['rollback_allowed']
    assert not st.answer(record_in('finalized'), 'computes')['rollback_allowed']
    with pytest.raises(st.StateError):
        st.answer(record_in('finalizing'), 'abort')


def test_a_resumed_finalize_knows_its_milestones_and_keeps_northbound_frozen_until_switched():
    fresh = st.answer(record_in('started'), 'finalize')
    assert not fresh['resuming'] and fresh['behind'] == [] and fresh['northbound_may_open']
    assert fresh['follows_v1']
    synced = st.answer(record_in('finalizing', ['synced']), 'finalize')
    assert synced['resuming'] and synced['behind'] == ['synced']
    assert not synced['northbound_may_open'] and not synced['follows_v1']
    switched = st.answer(record_in('finalizing', ['synced', 'switched']), 'finalize')
    assert switched['behind'] == ['synced', 'switched'] and switched['northbound_may_open']
    # A start resumed in 'starting' may always open northbound again (v1 serves).
    assert st.answer(record_in('starting'), 'start')['northbound_may_open']


def test_advance_begins_resumes_and_completes():
    began = st.advance(record_in('started'), 'finalize', 'begin', now='t1')
    assert began['phase'] == 'finalizing' and began['history'][-1]['at'] == 't1'
    assert st.advance(began, 'finalize', 'begin', now='t2') == began      # resuming: no change
    done = st.advance(began, 'finalize', 'complete', now='t3')
    assert done['phase'] == 'finalized'
    assert st.advance(done, 'finalize', 'complete', now='t4') == done
    restarted = st.advance(record_in('aborted', ['synced']), 'start', 'begin', now='t5')
    assert restarted['phase'] == 'starting' and restarted['steps'] == {}
    with pytest.raises(st.StateError, match='cannot begin'):
        st.advance(record_in('new'), 'finalize', 'begin')
    with pytest.raises(st.StateError, match='cannot complete'):
        st.advance(record_in('started'), 'abort', 'complete')
    with pytest.raises(st.StateError, match='does not move'):
        st.advance(record_in('started'), 'computes', 'begin')


def test_several_steps_are_dated_at_once_and_in_the_milestones_order():
    record = dict(st.empty_record(), phase='finalizing')
    both = st.plan(record, step=['synced', 'switched'], now='t1')
    assert both['steps'] == {'synced': 't1', 'switched': 't1'}
    st.check_step('finalize', ['synced', 'switched'], record)
    st.check_step('finalize', 'switched', both)
    with pytest.raises(st.StateError) as failure:
        st.check_step('finalize', 'switched', record)
    assert 'switched cannot be recorded before synced' in str(failure.value)


def test_steps_must_be_milestones_of_the_operation():
    st.check_step('finalize', 'synced')
    with pytest.raises(st.StateError, match="'synched' is not a milestone of finalize"):
        st.check_step('finalize', 'synched')
