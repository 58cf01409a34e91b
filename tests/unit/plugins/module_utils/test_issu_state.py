import json

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
    first = st.plan(st.empty_record(), phase='starting', now='t1')
    st.save(path, first)
    second = st.plan(first, phase='started', now='t2')
    st.save(path, second)
    assert st.load(path) == second
    assert st.load(path + '.bak') == first
    assert (tmp_path / 'sub' / 'state.json').stat().st_mode & 0o777 == 0o600


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
