# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timeline picture of the ISSU report: one element per compute, the freeze windows where
their times put them, failures and rollbacks marked, and a picture (saying what it could not
draw) for every record, however incomplete."""
import copy
import os
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.opencontrail.issu.plugins.filter import issu_timeline_svg as timeline
from ansible_collections.opencontrail.issu.plugins.filter.issu_report import batches
from ansible_collections.opencontrail.issu.plugins.filter.issu_timeline_svg import (
    PLOT_LEFT, PLOT_WIDTH, issu_timeline_svg)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # issu_records.py is beside us
from issu_records import (  # noqa: E402 pylint: disable=wrong-import-position
    ABORTED, FROZEN, FULL, MID_COMPUTES, ROLLBACK_AND_FAILURE, at)

NS = '{http://www.w3.org/2000/svg}'


def draw(record, **kwargs):
    """The picture, parsed: a malformed document fails here."""
    text = issu_timeline_svg(record, **kwargs)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = ET.fromstring(text.encode('utf-8'))
    assert root.tag == NS + 'svg'
    assert int(root.get('width')) > 0 and int(root.get('height')) > 0
    return root


def elements(root, tag, cls=None):
    return [e for e in root.iter(NS + tag) if cls is None or cls in (e.get('class') or '').split()]


def texts(root):
    return [''.join(e.itertext()) for e in elements(root, 'text')]


def labels(root):
    """The visible text (a <title> inside a <text> is its tooltip)."""
    return [(e.text or '') + ''.join(c.tail or '' for c in e) for e in elements(root, 'text')]


def not_drawn(root):
    return [t for t in labels(root) if t.startswith('Not drawn: ')]


def x_at(clock, first='10:00:00', last='10:05:30'):
    """Where a time falls on the axis from ``first`` to ``last`` (independent of the filter)."""
    def seconds(value):
        hours, minutes, secs = value.split(':')
        return int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return PLOT_LEFT + (seconds(clock) - seconds(first)) / (seconds(last) - seconds(first)) * PLOT_WIDTH


def rect_span(rect):
    return float(rect.get('x')), float(rect.get('x')) + float(rect.get('width'))


# -- a whole ISSU -------------------------------------------------------------------------------

def test_each_compute_has_its_row_with_its_name_and_status():
    root = draw(FULL)
    rows = dict((g.get('data-host'), g) for g in elements(root, 'g', 'compute'))
    assert sorted(rows) == ['compute1', 'compute2', 'compute3']
    for name, row in rows.items():
        assert name in labels(row)
        assert any(t.startswith('v2  4.0.3.0-62  outage') for t in labels(row)), labels(row)
        assert len(elements(row, 'rect', 'upgrading')) == 1
        assert len(elements(row, 'circle', 'reached-v2')) == 1
    assert not not_drawn(root)


def test_both_freeze_windows_sit_where_their_times_put_them():
    freezes = dict((r.get('data-note'), rect_span(r)) for r in elements(draw(FULL), 'rect', 'freeze'))
    assert sorted(freezes) == ['finalize', 'start']
    assert freezes['start'] == pytest.approx((x_at('10:00:20'), x_at('10:00:23.25')), abs=0.02)
    assert freezes['finalize'] == pytest.approx((x_at('10:04:58'), x_at('10:05:08')), abs=0.02)
    # 20 s into 330 s, and 298 s into it: the proportion, not just the order.
    assert (freezes['start'][0] - PLOT_LEFT) / PLOT_WIDTH == pytest.approx(20 / 330.0, abs=1e-4)
    assert (freezes['finalize'][0] - PLOT_LEFT) / PLOT_WIDTH == pytest.approx(298 / 330.0, abs=1e-4)


def test_phases_milestones_and_labels():
    root = draw(FULL)
    phases = dict((r.get('data-phase'), rect_span(r)) for r in elements(root, 'rect', 'phase'))
    assert phases['start'] == pytest.approx((x_at('10:00:00'), x_at('10:00:42.5')), abs=0.02)
    assert phases['finalize'] == pytest.approx((x_at('10:05:00'), x_at('10:05:30')), abs=0.02)
    ticks = dict((line.get('data-step'), float(line.get('x1'))) for line in elements(root, 'line', 'milestone'))
    assert ticks == pytest.approx({'synced': x_at('10:05:06'), 'switched': x_at('10:05:07.5')}, abs=0.02)
    shown = labels(root)
    for label in ('start 42.5 s', 'finalize 30.0 s', 'start 3.2 s', 'finalize 10.0 s', 'Phases',
                  'Northbound frozen', 'Batches', '0:00', '5:00'):
        assert label in shown, (label, shown)


def test_each_outage_is_placed_after_the_steps_that_precede_it():
    root = draw(FULL)
    outages = dict((r.get('data-host'), rect_span(r)) for r in elements(root, 'rect', 'outage'))
    # compute1: upgrading at 10:01:00, then install 5.0 + conf 0.1 + prestop 0.3, then 2.0 s down
    assert outages['compute1'] == pytest.approx((x_at('10:01:05.4'), x_at('10:01:07.4')), abs=0.02)
    assert outages['compute2'] == pytest.approx((x_at('10:02:04'), x_at('10:02:06.5')), abs=0.02)


def test_an_outage_longer_than_its_upgrade_ends_when_the_compute_is_on_v2():
    record = copy.deepcopy(FULL)
    record['hosts']['compute2']['timings'] = {'install': 30.0, 'outage': 5.0}    # past its v2 at :20
    outage = next(r for r in elements(draw(record), 'rect', 'outage') if r.get('data-host') == 'compute2')
    assert rect_span(outage) == pytest.approx((x_at('10:02:15'), x_at('10:02:20')), abs=0.02)


def test_an_outage_placed_from_the_end_leaves_the_waits_after_it_before_v2():
    # The swap waits for its daemons RUNNING, then for the agent's NodeStatus Functional, after
    # its outage and before the compute is recorded on v2: placed back from its v2 entry (its
    # steps before the outage overrun its upgrade), the outage ends before both waits.
    record = copy.deepcopy(FULL)
    record['hosts']['compute2']['timings'] = {'install': 30.0, 'outage': 5.0, 'running': 1.0,
                                              'functional': 2.0}
    outage = next(r for r in elements(draw(record), 'rect', 'outage') if r.get('data-host') == 'compute2')
    assert rect_span(outage) == pytest.approx((x_at('10:02:12'), x_at('10:02:17')), abs=0.02)


def test_batches_in_the_order_they_began():
    bars = elements(draw(FULL), 'rect', 'batch')
    assert [b.get('data-hosts') for b in bars] == ['compute1', 'compute2 compute3']
    assert rect_span(bars[1]) == pytest.approx((x_at('10:02:00'), x_at('10:02:22')), abs=0.02)
    assert batches(FULL['hosts']) == [
        {'hosts': ['compute1'], 'began': at('10:01:00'), 'done': at('10:01:15')},
        {'hosts': ['compute2', 'compute3'], 'began': at('10:02:00'), 'done': at('10:02:22')}]


def test_the_same_record_draws_the_same_picture():
    assert issu_timeline_svg(FULL) == issu_timeline_svg(copy.deepcopy(FULL))


# -- failures and rollbacks ----------------------------------------------------------------------

def test_failures_and_rollbacks_are_marked_on_their_compute():
    root = draw(ROLLBACK_AND_FAILURE)
    rows = dict((g.get('data-host'), g) for g in elements(root, 'g', 'compute'))
    assert sorted(rows) == ['compute1', 'compute2', 'compute3']
    last = '10:03:30'
    # compute2: its swap failed, rolled back by the rescue, recorded failed
    failure = elements(rows['compute2'], 'path', 'failure')
    assert len(failure) == 1 and failure[0].get('data-host') == 'compute2'
    assert float(failure[0].get('d')[1:].split()[0]) == pytest.approx(x_at('10:02:45', last=last) - 5, abs=0.02)
    rollback = elements(rows['compute2'], 'rect', 'rollback')
    assert [rect_span(r) for r in rollback] == [
        pytest.approx((x_at('10:02:30', last=last), x_at('10:02:45', last=last)), abs=0.02)]
    assert 'rollback' in labels(rows['compute2']) and 'failed' in labels(rows['compute2'])
    status = next(e for e in elements(rows['compute2'], 'text', 'status'))
    assert labels(status)[0].startswith('failed  3.2.14.0-37  ERROR: swap failed a')      # cut to fit,
    assert 'ERROR: swap failed at xmpp_up: <no XMPP> & gone' in status.find(NS + 'title').text    # whole here
    # compute3: failed without an upgrade (not read)
    assert len(elements(rows['compute3'], 'path', 'failure')) == 1
    assert not elements(rows['compute3'], 'rect', 'upgrading')
    # compute1: to v2, then the rollback playbook took it back to v1; no failure
    assert len(elements(rows['compute1'], 'rect', 'rollback')) == 1
    assert not elements(rows['compute1'], 'path', 'failure')
    assert elements(rows['compute1'], 'rect', 'on-v1')
    assert not not_drawn(root)


def test_text_from_the_record_is_escaped_and_stripped_of_control_characters():
    text = issu_timeline_svg(ROLLBACK_AND_FAILURE)
    assert '\x1b' not in text and '&lt;no XMPP&gt; &amp; gone' in text


# -- an ISSU under way, aborted, interrupted ------------------------------------------------------

def test_mid_compute_phase_draws_what_is_under_way_past_the_last_record():
    root = draw(MID_COMPUTES)
    rows = dict((g.get('data-host'), g) for g in elements(root, 'g', 'compute'))
    assert sorted(rows) == ['compute1', 'compute2', 'compute3']
    line = elements(root, 'line', 'last-record')
    assert len(line) == 1 and 'last record' in labels(root)
    upgrading = elements(rows['compute2'], 'rect', 'upgrading')
    assert len(upgrading) == 1 and upgrading[0].get('stroke-dasharray')
    start, end = rect_span(upgrading[0])
    assert start == pytest.approx(float(line[0].get('x1')), abs=0.02) and end > start + 10
    assert 'upgrading, not complete' in labels(rows['compute2'])
    # compute3 is recorded without a dated change: its row says so, and the picture too
    assert 'v1  3.2.14.0-37' in labels(rows['compute3'])
    assert not_drawn(root) == ['Not drawn: compute3 - no dated status change recorded (status v1)']


def test_an_interrupted_start_and_its_abort():
    root = draw(ABORTED)
    phases = dict((r.get('data-phase'), rect_span(r)) for r in elements(root, 'rect', 'phase'))
    assert phases['start'] == pytest.approx((x_at('10:00:00', last='10:00:50'), x_at('10:00:30', last='10:00:50')),
                                            abs=0.02)
    assert 'start interrupted' in labels(root) and 'abort 20.0 s' in labels(root)
    assert [r.get('data-note') for r in elements(root, 'rect', 'freeze')] == ['abort']
    assert 'none recorded' in labels(root)
    assert not elements(root, 'line', 'last-record')
    assert not not_drawn(root)


def test_a_freeze_still_open_is_drawn_to_the_end_and_said():
    root = draw(FROZEN)
    frozen = elements(root, 'rect', 'freeze')
    assert [f.get('data-note') for f in frozen] == ['still frozen']
    assert rect_span(frozen[0])[1] == pytest.approx(PLOT_LEFT + PLOT_WIDTH, abs=0.02)
    assert 'STILL FROZEN at the last record' in labels(root) and 'start not complete' in labels(root)


# -- what cannot be drawn is said ---------------------------------------------------------------------

def test_missing_and_unreadable_times_are_said_and_the_rest_drawn():
    record = copy.deepcopy(FULL)
    record['northbound']['windows'][0]['frozen_at'] = None
    record['northbound']['windows'][1]['opened_at'] = 'yesterday'
    record['hosts']['compute2']['history'] = [{'status': 'upgrading', 'at': 'soon'}]
    record['hosts']['compute4'] = 'not a table'
    root = draw(record)
    assert not elements(root, 'rect', 'freeze')
    assert not_drawn(root) == [
        'Not drawn: the start freeze window - no freeze time recorded',
        "Not drawn: the finalize freeze window - its opening time 'yesterday' is unreadable",
        'Not drawn: the batch of compute2 - unreadable time(s) in the record',
        'Not drawn: compute4 - its entry is not a table of facts',
        "Not drawn: compute2: 1 status change(s) - unreadable time(s) 'soon'",
    ]
    assert sorted(g.get('data-host') for g in elements(root, 'g', 'compute')) == ['compute1', 'compute2', 'compute3']
    assert len(elements(root, 'rect', 'phase')) == 2
    assert [b.get('data-hosts') for b in elements(root, 'rect', 'batch')] == ['compute1', 'compute3']


def test_a_part_that_cannot_be_read_is_said_and_the_others_drawn():
    record = copy.deepcopy(FULL)
    del record['history'][2]['at']                         # finalizing without its time
    record['hosts']['compute1']['timings']['outage'] = 'long'
    root = draw(record)
    assert not_drawn(root) == [
        "Not drawn: the phases - the record could not be read there (KeyError: 'at')",
        "Not drawn: compute1 - the record could not be read there (ValueError: could not convert string to float: 'long')"]
    assert len(elements(root, 'rect', 'freeze')) == 2
    assert len(elements(root, 'g', 'compute')) == 3
    row = next(g for g in elements(root, 'g', 'compute') if g.get('data-host') == 'compute1')
    assert 'v2  4.0.3.0-62  outage long' in labels(row) and elements(row, 'rect', 'upgrading')


@pytest.mark.parametrize('record, reason', [
    ({'version': 1, 'phase': 'new', 'history': [], 'hosts': {}, 'steps': {}, 'marks': {},
      'northbound': {'state': 'open', 'since': None, 'windows': []}}, 'nothing dated in the record yet (phase new)'),
    (None, 'no ISSU state record (got NoneType)'),
    ('a string', 'no ISSU state record (got str)'),
    ({'phase': 'started', 'history': 'lost', 'northbound': 5, 'hosts': []}, 'nothing dated in the record yet (phase started)'),
])
def test_a_record_with_nothing_to_draw_still_gives_a_picture(record, reason):
    root = draw(record)
    assert not_drawn(root)[0] == 'Not drawn: the timeline - %s' % reason
    assert not elements(root, 'rect', 'freeze') and not elements(root, 'line', 'axis')


def test_a_record_that_could_not_be_read_is_said():
    root = draw(None, not_read='the ISSU state record /var/x is not valid JSON (<bad>)')
    assert not_drawn(root) == [
        'Not drawn: the timeline - the ISSU state record could not be read: the ISSU state record /var/x is not '
        'valid JSON (<bad>)']


def test_whatever_goes_wrong_the_filter_returns_a_picture(monkeypatch):
    def broken(record, not_read):
        raise RuntimeError('drawing broke')
    monkeypatch.setattr(timeline, '_draw', broken)
    assert not_drawn(draw(FULL)) == [
        'Not drawn: the timeline - the record could not be read (RuntimeError: drawing broke)']
