"""The compute phase's progress: batch k of n, computes done / failed / left, time left."""
import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_progress as pg
from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state as st

HOSTS = ['c%02d' % n for n in range(1, 11)]      # 10 computes
SIZES = [1, 2, 7]                               # [1, "25%", "100%"] for 10
T0 = '2026-11-24T10:00:00.000000Z'


def at(seconds):
    """The record stamp ``seconds`` after T0."""
    return '2026-11-24T10:%02d:%02d.000000Z' % (seconds // 60, seconds % 60)


def record(statuses=None, progress=None, upgrading=None):
    """A record whose computes have ``statuses``; ``upgrading``: host -> when its swap began."""
    rec = st.empty_record()
    rec['phase'] = 'started'
    for host, status in (statuses or {}).items():
        history = [{'status': 'upgrading', 'at': upgrading[host]}] if host in (upgrading or {}) else []
        rec['hosts'][host] = {'status': status, 'history': history + [{'status': status, 'at': at(0)}]}
    if progress is not None:
        rec['progress'] = progress
    return rec


def begin(rec, member, now=T0, forks=5):
    return pg.update(rec, 'begin', HOSTS, SIZES, member, forks=forks, now=now)


def end(rec, member, began_at, now, forks=5):
    return pg.update(rec, 'end', HOSTS, SIZES, member, forks=forks, began_at=began_at, now=now)


def test_batch_of_follows_ansibles_serial_batches():
    assert pg.batch_of(HOSTS, SIZES, 'c01') == (1, ['c01'])
    assert pg.batch_of(HOSTS, SIZES, 'c03') == (2, ['c02', 'c03'])
    assert pg.batch_of(HOSTS, SIZES, 'c10') == (3, HOSTS[3:])


@pytest.mark.parametrize('sizes, member, words', [
    ([1, 2], 'c01', 'do not split the 10 computes'),
    ([5, 0, 5], 'c01', 'do not split the 10 computes'),
    (SIZES, 'other', 'other is not one of the computes'),
])
def test_batch_of_refuses_what_does_not_match_the_play(sizes, member, words):
    with pytest.raises(st.StateError) as err:
        pg.batch_of(HOSTS, sizes, member)
    assert words in str(err.value)


@pytest.mark.parametrize('count, forks, expected', [
    (0, 5, 0), (1, 5, 1), (5, 5, 1), (6, 5, 2), (11, 5, 3), (7, None, 1), (7, 0, 1),
])
def test_rounds_of_a_batch(count, forks, expected):
    assert pg.rounds(count, forks) == expected


def test_the_first_begin_counts_everything_left_and_knows_no_time_yet():
    entry, write, batch = begin(record(), 'c01')
    assert write
    assert batch == {'index': 1, 'count': 3, 'hosts': ['c01']}
    assert (entry['batch'], entry['batches'], entry['batch_first'], entry['state']) == (1, 3, 'c01', 'running')
    assert (entry['done'], entry['failed'], entry['left']) == (0, 0, 10)
    assert entry['eta_seconds'] is None and entry['began_at'] == T0 == entry['updated_at']
    assert pg.message(entry, batch) == (
        'Batch 1 of 3 begins (c01): 0 on v2, 0 failed, 10 left; time left not known yet '
        '(measured from the batches that move computes)')


def test_an_end_measures_the_batch_and_estimates_the_rounds_left():
    began, _write, _batch = begin(record(), 'c01')
    rec = record({'c01': 'v2'}, progress=began, upgrading={'c01': at(1)})
    entry, write, batch = end(rec, 'c01', began['began_at'], now=at(100))
    assert write
    assert (entry['state'], entry['seconds'], entry['measured']) == ('done', 100.0, {'seconds': 100.0, 'rounds': 1})
    assert (entry['done'], entry['failed'], entry['left']) == (1, 0, 9)
    # batches 2 (2 computes: 1 round of 5) and 3 (7 computes: 2 rounds) at 100 s a round
    assert entry['eta_seconds'] == 300.0
    assert pg.message(entry, batch) == 'Batch 1 of 3 done in 1 min 40 s: 1 on v2, 0 failed, 9 left; about 5 min 00 s left'


def test_the_next_begin_keeps_the_measure_and_counts_its_own_batch_as_left():
    done = {'batch': 1, 'batches': 3, 'batch_first': 'c01', 'state': 'done', 'began_at': T0,
            'seconds': 100.0, 'measured': {'seconds': 100.0, 'rounds': 1}}
    entry, write, batch = begin(record({'c01': 'v2'}, progress=done), 'c02', now=at(110))
    assert write and batch['hosts'] == ['c02', 'c03']
    assert (entry['done'], entry['failed'], entry['left'], entry['eta_seconds']) == (1, 0, 9, 300.0)
    assert entry['measured'] == {'seconds': 100.0, 'rounds': 1}


def test_unknown_forks_count_one_round_per_batch():
    began, _write, _batch = begin(record(), 'c01', forks=None)
    rec = record({'c01': 'v2'}, progress=began, upgrading={'c01': at(1)})
    entry, _write, _batch = end(rec, 'c01', began['began_at'], now=at(60), forks=None)
    assert entry['eta_seconds'] == 120.0                    # two batches left, 60 s each


def test_failed_computes_of_the_batches_that_ran_and_left_ones_of_a_later_batch():
    # c03 failed in batch 2; c05 failed in an earlier run, its batch (3) is still to run
    progress = {'batch': 2, 'batches': 3, 'batch_first': 'c02', 'state': 'running', 'began_at': at(110),
                'measured': {'seconds': 100.0, 'rounds': 1}}
    rec = record({'c01': 'v2', 'c02': 'v2', 'c03': 'failed', 'c05': 'failed'}, progress=progress,
                 upgrading={'c02': at(111), 'c03': at(111)})
    entry, write, _batch = end(rec, 'c02', at(110), now=at(230))
    assert write
    assert (entry['done'], entry['failed'], entry['left']) == (2, 1, 7)
    # 120 s for this batch's round: 220 s over 2 rounds; batch 3 has 7 to move, 2 rounds
    assert entry['measured'] == {'seconds': 220.0, 'rounds': 2} and entry['eta_seconds'] == 220.0


def test_a_batch_the_record_has_on_v2_writes_no_begin_and_its_end_nothing():
    last = {'batch': 3, 'batches': 3, 'batch_first': 'c04', 'state': 'done', 'began_at': at(230),
            'seconds': 200.0, 'measured': {'seconds': 420.0, 'rounds': 4}}
    rec = record(dict((h, 'v2') for h in HOSTS), progress=last, upgrading={'c01': at(1)})
    entry, write, batch = begin(rec, 'c01', now=at(900))
    assert not write
    assert (entry['done'], entry['failed'], entry['left'], entry['eta_seconds']) == (10, 0, 0, 0.0)
    assert pg.message(entry, batch, written=False) == (
        'Batch 1 of 3 (c01): on v2 already by the record; 10 on v2, 0 failed, 0 left; nothing left')
    # the end gets the began_at of a begin that was not written: nothing either
    entry, write, _batch = end(rec, 'c01', entry['began_at'], now=at(905))
    assert not write and entry['seconds'] is None


def test_an_end_writes_only_for_the_begin_recorded():
    stale = {'batch': 2, 'batches': 3, 'batch_first': 'c02', 'state': 'running', 'began_at': at(110),
             'measured': {'seconds': 100.0, 'rounds': 1}}
    rec = record({'c01': 'v2', 'c02': 'v2', 'c03': 'v2'}, progress=stale)
    assert not end(rec, 'c02', at(500), now=at(600))[1]          # another begin (check mode)
    assert not end(rec, 'c02', None, now=at(600))[1]
    assert not end(rec, 'c01', at(110), now=at(600))[1]          # another batch
    done = dict(stale, state='done')
    assert not end(record({'c02': 'v2'}, progress=done), 'c02', at(110), now=at(600))[1]


def test_a_batch_that_moved_no_compute_measures_nothing():
    # the record had c01 on v1, the compute was on v2 already: recorded v2 with no swap
    began, _write, _batch = begin(record({'c01': 'v1'}), 'c01')
    entry, write, _batch = end(record({'c01': 'v2'}, progress=began), 'c01', began['began_at'], now=at(5))
    assert write and entry['seconds'] == 5.0
    assert entry['measured'] == {'seconds': 0.0, 'rounds': 0} and entry['eta_seconds'] is None


def test_an_unknown_event_is_refused():
    with pytest.raises(st.StateError):
        pg.update(record(), 'middle', HOSTS, SIZES, 'c01')


@pytest.mark.parametrize('seconds, text', [
    (44.6, '45 s'), (89, '89 s'), (90, '1 min 30 s'), (599, '9 min 59 s'), (600, '10 min'), (5340, '89 min'), (5400, '1 h 30 min'), (11100, '3 h 05 min'),
])
def test_durations(seconds, text):
    assert pg.duration(seconds) == text


def test_describe_for_the_report():
    assert pg.describe(None) is None
    running = {'batch': 2, 'batches': 3, 'state': 'running', 'began_at': at(110), 'done': 1, 'failed': 0,
               'left': 9, 'eta_seconds': 300.0, 'updated_at': at(110)}
    assert pg.describe(running) == (
        'batch 2 of 3 began %s, not recorded done (running, or stopped by a failure: see the computes): '
        '1 on v2, 0 failed, 9 left; about 5 min 00 s left' % at(110))
    done = dict(running, state='done', seconds=120.0, updated_at=at(230), done=3, left=7, eta_seconds=None)
    assert pg.describe(done) == ('batch 2 of 3 done in 2 min 00 s at %s: 3 on v2, 0 failed, 7 left; time left '
                                 'not known yet (measured from the batches that move computes)' % at(230))


def test_the_record_keeps_one_progress_entry_and_a_new_issu_drops_it():
    entry, _write, _batch = begin(record(), 'c01')
    rec = st.plan(record(), progress=entry, now=T0)
    assert rec['progress'] == entry
    assert st.plan(rec, progress=entry) == rec                  # the same entry: no change
    later = dict(entry, updated_at=at(5))
    assert st.plan(rec, progress=later)['progress'] == later
    aborted = dict(rec, phase='aborted')
    assert 'progress' not in st.plan(aborted, phase='starting', now=at(9))
