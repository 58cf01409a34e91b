# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: issu_timeline_svg
short_description: Draw an ISSU state record as a timeline picture (SVG)
version_added: 1.0.0
description:
  - Turns the record kept by C(opencontrail.issu.issu_state) into a standalone SVG document a
    browser shows as it is - on one time axis, the phases (start, finalize, abort) and their
    milestones, the northbound freeze windows, the compute batches, and one row per compute with
    its upgrade, its outage, its rollbacks and its failures, each labelled in text.
  - It reads the record the way C(opencontrail.issu.issu_report) does and never fails. An ISSU
    under way, interrupted or aborted is drawn as far as it went (what is still going on, dashed,
    past a line at the last record); a part it cannot draw (missing or unreadable times, no
    record at all) is replaced by a line "Not drawn - what, and why".
  - A compute's outage is placed after its last 'upgrading' entry by the swap's step timings
    (install, conf and prestop come before the outage; running and functional, the waits for
    its daemons RUNNING and its agent's NodeStatus Functional, after it), within the time it
    went on v2.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The record (the C(record) returned by C(opencontrail.issu.issu_state)); anything else draws a picture saying so.
    type: raw
    required: true
  not_read:
    description: Why the record could not be read (the read's error), drawn instead of the timeline.
    type: str
"""

EXAMPLES = r"""
- name: Read the record; a failed read is drawn too, saying why
  opencontrail.issu.issu_state: {}
  register: issu
  ignore_errors: true
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Write the timeline picture on the controller
  ansible.builtin.copy:
    content: >-
      {{ issu.record | default(none)
         | opencontrail.issu.issu_timeline_svg(not_read=issu.msg if issu is failed else none) }}
    dest: ./issu-report.svg
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The SVG document (UTF-8 text).
  type: str
"""

import datetime
import math
import re

from xml.sax.saxutils import escape, quoteattr

from ansible_collections.opencontrail.issu.plugins.filter.issu_report import (
    batches, phase_spans, upgrade_span)
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_state import OPERATIONS
from ansible_collections.opencontrail.issu.plugins.module_utils.vrouter_swap_plan import OUTAGE_STEPS, STEPS

# The phases of an operation begun and not complete (starting, finalizing, aborting).
RUNNING = tuple(op.running for op in OPERATIONS.values() if op.running)

# Geometry (px): the lane names on the left, the time axis in the middle, each compute's last
# status on the right.
WIDTH = 1200
PLOT_LEFT = 190
PLOT_WIDTH = 680
STATUS_LEFT = PLOT_LEFT + PLOT_WIDTH + 16
ROW = 26
COMPUTE_ROW = 32    # a compute's row: small labels above its bars
FONT = 12
CHAR = 6.6          # average width of a character at FONT px (label placement only)

COLOURS = {
    'start': '#90caf9', 'finalize': '#a5d6a7', 'abort': '#e0e0e0', 'milestone': '#1b5e20',
    'freeze': '#e53935', 'batch': ('#7986cb', '#3f51b5'), 'upgrading': '#ffb300',
    'outage': '#8b0000', 'rollback': '#8e24aa', 'v2': '#43a047', 'v1': '#9e9e9e',
    'failed': '#d50000', 'grid': '#eeeeee', 'axis': '#616161', 'text': '#212121',
    'note': '#b71c1c',
}
LEGEND = (('start', 'start phase'), ('finalize', 'finalize phase'), ('abort', 'abort phase'),
          ('freeze', 'northbound frozen'), ('upgrading', 'upgrading'), ('outage', 'outage'),
          ('rollback', 'rolling back'), ('v2', 'on v2'), ('failed', 'failure'))

TIME_FORMATS = ('%Y-%m-%dT%H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%SZ')
#: The swap's steps before its outage begins (vrouter_swap: install, conf, prestop, then stop),
#: and those after it ends, before the compute is on v2 (running, then functional).
BEFORE_OUTAGE = STEPS[:STEPS.index(OUTAGE_STEPS[0])]
AFTER_OUTAGE = STEPS[STEPS.index(OUTAGE_STEPS[-1]) + 1:]
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
# Characters XML 1.0 (or UTF-8) does not allow (an error message may carry terminal escapes).
_NOT_XML = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _epoch(stamp):
    """Epoch seconds of a record time, or None when it is missing or unreadable."""
    if not isinstance(stamp, str):
        return None
    for form in TIME_FORMATS:
        try:
            return (datetime.datetime.strptime(stamp, form) - datetime.datetime(1970, 1, 1)).total_seconds()
        except ValueError:
            continue
    return None


def _text(value, limit=None):
    """``value`` as text fit for XML, cut to ``limit`` characters."""
    text = _NOT_XML.sub(' ', u'%s' % (value,)).replace('\n', ' ')
    if limit and len(text) > limit:
        text = text[:limit - 3] + '...'
    return text


def _seconds(seconds):
    return '%.1f s' % seconds


def _clock(seconds):
    seconds = int(round(seconds))
    if seconds >= 3600:
        return '%d:%02d:%02d' % (seconds // 3600, seconds % 3600 // 60, seconds % 60)
    return '%d:%02d' % (seconds // 60, seconds % 60)


def _dicts(value):
    """The tables of a list in the record (anything else in it, or no list, is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _table(value):
    return value if isinstance(value, dict) else {}


def _stamps(record):
    """Every readable time in the record."""
    found = [h.get('at') for h in _dicts(record.get('history'))]
    found += list(_table(record.get('steps')).values())
    northbound = _table(record.get('northbound'))
    found.append(northbound.get('since'))
    for window in _dicts(northbound.get('windows')):
        found += [window.get('frozen_at'), window.get('opened_at')]
    for host in _table(record.get('hosts')).values():
        if isinstance(host, dict):
            found.append(host.get('updated_at'))
            found += [e.get('at') for e in _dicts(host.get('history'))]
    return [t for t in (_epoch(s) for s in found) if t is not None]


def _under_way(record):
    """Whether the record has something still going on: a phase begun and not complete, northbound
    frozen, a compute upgrading or rolling back."""
    if _table(record.get('northbound')).get('state') == 'frozen':
        return True
    if record.get('phase') in RUNNING:
        return True
    for host in _table(record.get('hosts')).values():
        history = sorted(_dicts(host.get('history')) if isinstance(host, dict) else [],
                         key=lambda entry: '%s' % (entry.get('at'),))
        if history and history[-1].get('status') in ('upgrading', 'rolling_back'):
            return True
    return False


class Picture(object):
    """The SVG being drawn: its elements, the lines of what could not be drawn, the time axis."""

    def __init__(self, record):
        self.record = record
        self.body = []
        self.notes = []
        self.y = 0
        self.grid = []      # x of each tick: grid lines drawn behind the lanes, from axis_y
        self.axis_y = 0
        stamps = _stamps(record) if isinstance(record, dict) else []
        self.t0 = min(stamps) if stamps else None
        self.t_end = max(stamps) if stamps else None
        self.span = max((self.t_end - self.t0) if stamps else 0, 1.0)
        # What is still under way is drawn past the last record, up to ``t_open``.
        self.t_open = self.t_end
        if stamps and _under_way(record):
            self.t_open = self.t_end + max(self.span * 0.05, 1.0)
            self.span = self.t_open - self.t0

    # -- drawing primitives ------------------------------------------------------------------
    def x(self, epoch):
        return round(PLOT_LEFT + (epoch - self.t0) / self.span * PLOT_WIDTH, 2)

    def add(self, element):
        self.body.append(element)

    def text(self, x, y, value, cls='label', anchor='start', size=None, colour=None, title=None, limit=None):
        attrs = ' class=%s x="%s" y="%s"' % (quoteattr(cls), x, y)
        if anchor != 'start':
            attrs += ' text-anchor="%s"' % anchor
        if size:
            attrs += ' font-size="%s"' % size
        attrs += ' fill="%s"' % (colour or COLOURS['text'])
        inner = escape(_text(value, limit))
        if title:
            inner = '<title>%s</title>%s' % (escape(_text(title)), inner)
        self.add('<text%s>%s</text>' % (attrs, inner))

    def rect(self, x1, x2, y, height, fill, cls, title, data=None, dashed=False, opacity=None):
        width = max(x2 - x1, 2)          # a window of a fraction of a pixel stays visible
        attrs = ' class=%s x="%s" y="%s" width="%s" height="%s" fill="%s"' % (
            quoteattr(cls), x1, y, round(width, 2), height, fill)
        for name, value in sorted((data or {}).items()):
            attrs += ' data-%s=%s' % (name, quoteattr(_text(value)))
        if dashed:
            attrs += ' stroke="%s" stroke-width="1.5" stroke-dasharray="4 3"' % COLOURS['text']
        if opacity is not None:
            attrs += ' fill-opacity="%s"' % opacity
        self.add('<rect%s><title>%s</title></rect>' % (attrs, escape(_text(title))))
        return x1 + width

    def cross(self, x, y, size, title, data=None):
        """A failure mark: an X centred on (x, y)."""
        attrs = ''.join(' data-%s=%s' % (name, quoteattr(_text(value))) for name, value in sorted((data or {}).items()))
        half = size / 2.0
        self.add('<path class="failure" d="M%s %sL%s %sM%s %sL%s %s" stroke="%s" stroke-width="3"%s>'
                 '<title>%s</title></path>' % (
                     x - half, y - half, x + half, y + half, x - half, y + half, x + half, y - half,
                     COLOURS['failed'], attrs, escape(_text(title))))

    def label_above(self, x, y, value, colour=None):
        """A small label of an event at ``x``, ending there when it would leave the plot."""
        if x + 2 + len(value) * CHAR * 0.75 <= PLOT_LEFT + PLOT_WIDTH + 8:
            self.text(round(x + 2, 2), y, value, cls='event', size=9, colour=colour)
        else:
            self.text(x, y, value, cls='event', size=9, colour=colour, anchor='end')

    def label_beside(self, x1, x2, y, value, colour=None, limit=60):
        """A bar's label right of it, or left of it when it would leave the plot."""
        value = _text(value, limit)
        if x2 + 4 + len(value) * CHAR <= PLOT_LEFT + PLOT_WIDTH + 8:
            self.text(round(x2 + 4, 2), y, value, colour=colour)
        else:
            self.text(round(x1 - 4, 2), y, value, anchor='end', colour=colour)

    def not_drawn(self, what, why):
        self.notes.append('Not drawn: %s - %s' % (what, why))

    def lane(self, name, height=ROW):
        """Start a lane: its name in the left column; returns its top."""
        top = self.y
        self.text(8, top + height / 2.0 + 4, name, cls='lane', limit=26)
        self.add('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>' % (
            PLOT_LEFT, top + height, PLOT_LEFT + PLOT_WIDTH, top + height, COLOURS['grid']))
        self.y += height
        return top

    def part(self, what, draw, *args):
        """Draw one part; whatever goes wrong in it is said, not raised."""
        try:
            draw(*args)
        except Exception as exc:  # pylint: disable=broad-except
            self.not_drawn(what, 'the record could not be read there (%s: %s)' % (type(exc).__name__, exc))


def _header(pic, record, not_read):
    pic.text(8, 22, 'ISSU timeline', cls='title', size=16)
    if not_read:
        pic.not_drawn('the timeline', 'the ISSU state record could not be read: %s' % not_read)
    elif not isinstance(record, dict):
        pic.not_drawn('the timeline', 'no ISSU state record (got %s)' % type(record).__name__)
    elif pic.t0 is None:
        pic.not_drawn('the timeline', 'nothing dated in the record yet (phase %s)' % record.get('phase'))
    else:
        first = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=pic.t0)
        pic.text(150, 22, 'phase %s  -  %s UTC + %s (first to last recorded event)' % (
            record.get('phase'), first.strftime('%Y-%m-%d %H:%M:%S'), _seconds(pic.t_end - pic.t0)), cls='subtitle')
    pic.y = 36


def _axis(pic):
    """Tick labels (minutes:seconds since the first event) and grid lines behind the lanes."""
    step = next((s for s in TICK_STEPS if pic.span / s <= 10), math.ceil(pic.span / 10.0))
    top = pic.y
    pic.text(8, top + 14, 'time (m:ss)', cls='lane')
    tick = 0
    while tick <= pic.span + 1e-6:
        x = pic.x(pic.t0 + tick)
        pic.text(x, top + 14, _clock(tick), cls='tick', anchor='middle', size=10, colour=COLOURS['axis'])
        pic.grid.append(x)
        tick += step
    pic.add('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>' % (
        PLOT_LEFT, top + 18, PLOT_LEFT + PLOT_WIDTH, top + 18, COLOURS['axis']))
    pic.axis_y = top + 18
    pic.y = top + 20


def _phases(pic, record):
    top = pic.lane('Phases')
    history = _dicts(record.get('history'))
    times = sorted(t for t in (_epoch(h.get('at')) for h in history) if t is not None)
    spans = phase_spans(history)
    for name, begun, completed in spans:
        start, end = _epoch(begun), _epoch(completed)
        if start is None:
            pic.not_drawn('the %s phase' % name, 'its begin time %r is unreadable' % (begun,))
            continue
        if completed is not None and end is None:
            pic.not_drawn('the end of the %s phase' % name, 'its time %r is unreadable' % (completed,))
        # A phase not complete ended when the next one began (an abort), or is still under way.
        later = [t for t in times if t > start]
        if end is not None:
            until, label, title = end, '%s %s' % (name, _seconds(end - start)), '%s -> %s' % (begun, completed)
        elif completed is None and later:
            until, label, title = later[0], '%s interrupted' % name, '%s, interrupted after %s' % (
                begun, _seconds(later[0] - start))
        else:
            until, label, title = pic.t_open, '%s not complete' % name, '%s, not complete' % begun
        x1, x2 = pic.x(start), pic.x(until)
        x2 = pic.rect(x1, x2, top + 5, ROW - 10, COLOURS.get(name, COLOURS['abort']), 'phase',
                      '%s: %s' % (name, title), data={'phase': name}, dashed=end is None)
        if x2 - x1 >= len(label) * CHAR + 8:
            pic.text(round((x1 + x2) / 2.0, 2), top + ROW / 2.0 + 4, label, anchor='middle')
        else:
            pic.label_beside(x1, x2, top + ROW / 2.0 + 4, label)
    # The milestones a phase dates (finalize's synced and switched), as ticks with their name.
    for step, at in sorted(_table(record.get('steps')).items(), key=lambda item: '%s' % (item[1],)):
        when = _epoch(at)
        if when is None:
            pic.not_drawn('the milestone %s' % step, 'its time %r is unreadable' % (at,))
            continue
        x = pic.x(when)
        pic.add('<line class="milestone" data-step=%s x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" '
                'stroke-width="2"><title>%s</title></line>' % (
                    quoteattr(_text(step)), x, top + 2, x, top + ROW - 2, COLOURS['milestone'],
                    escape(_text('%s at %s' % (step, at)))))
    if not spans:
        pic.text(PLOT_LEFT + 4, top + ROW / 2.0 + 4, 'none begun yet', colour=COLOURS['axis'])


def _freezes(pic, record):
    top = pic.lane('Northbound frozen')
    northbound = _table(record.get('northbound'))
    drawn = 0
    for window in _dicts(northbound.get('windows')):
        note = window.get('note') or 'window'
        frozen, opened = _epoch(window.get('frozen_at')), _epoch(window.get('opened_at'))
        if frozen is None or opened is None:
            kind, value = ('freeze', window.get('frozen_at')) if frozen is None else ('opening', window.get('opened_at'))
            pic.not_drawn('the %s freeze window' % note, 'no %s time recorded' % kind if value is None
                          else 'its %s time %r is unreadable' % (kind, value))
            continue
        x1, x2 = pic.x(frozen), pic.x(opened)
        label = '%s %s' % (note, _seconds(opened - frozen))
        x2 = pic.rect(x1, x2, top + 4, ROW - 8, COLOURS['freeze'], 'freeze', 'northbound frozen for %s: %s -> %s' % (
            note, window.get('frozen_at'), window.get('opened_at')), data={'note': note})
        pic.label_beside(x1, x2, top + ROW / 2.0 + 4, label, colour=COLOURS['note'])
        drawn += 1
    if northbound.get('state') == 'frozen':
        since = _epoch(northbound.get('since'))
        if since is None:
            pic.not_drawn('the open freeze window', 'northbound is frozen since %r, an unreadable time'
                          % (northbound.get('since'),))
        else:
            x1, x2 = pic.x(since), pic.x(pic.t_open)
            x2 = pic.rect(x1, x2, top + 4, ROW - 8, COLOURS['freeze'], 'freeze open',
                          'northbound STILL FROZEN since %s' % northbound.get('since'), data={'note': 'still frozen'},
                          dashed=True, opacity=0.6)
            pic.label_beside(x1, x2, top + ROW / 2.0 + 4, 'STILL FROZEN at the last record',
                             colour=COLOURS['note'])
            drawn += 1
    if not drawn:
        pic.text(PLOT_LEFT + 4, top + ROW / 2.0 + 4, 'never frozen', colour=COLOURS['axis'])


def _batches(pic, record):
    hosts = dict((n, h) for n, h in _table(record.get('hosts')).items() if isinstance(h, dict))
    # A compute with an unreadable time cannot be placed in its batch (its row says why).
    unread = sorted(n for n, h in hosts.items() if h.get('batch') and any(
        _epoch(e.get('at')) is None for e in _dicts(h.get('history'))))
    if unread:
        pic.not_drawn('the batch of %s' % ', '.join(unread), 'unreadable time(s) in the record')
    ordered = batches(dict((n, h) for n, h in hosts.items() if n not in unread))
    if not ordered:
        return
    top = pic.lane('Batches')
    for number, batch in enumerate(ordered, 1):
        began, done = _epoch(batch['began']), _epoch(batch['done'])
        if began is None:
            pic.not_drawn('batch %d (%s)' % (number, ', '.join(batch['hosts'])), 'no time its upgrade began')
            continue
        x1, x2 = pic.x(began), pic.x(done if done is not None else pic.t_open)
        x2 = pic.rect(x1, x2, top + 8, ROW - 12, COLOURS['batch'][number % 2], 'batch', 'batch %d: %s' % (
            number, ', '.join(batch['hosts'])), data={'batch': number, 'hosts': ' '.join(batch['hosts'])},
            dashed=done is None)
        pic.text(round((x1 + x2) / 2.0, 2), top + 7, '%d' % number, anchor='middle', size=9)


def _host_order(item):
    stamps = sorted(t for t in (_epoch(e.get('at')) for e in _dicts(item[1].get('history'))) if t is not None)
    return (stamps[0] if stamps else float('inf'), item[0])


def _status_text(host):
    timings = host.get('timings') or {}
    words = [host.get('status') or '?', host.get('version') or '']
    if 'outage' in timings:
        outage = timings['outage']
        words.append(('outage %.2f s' if isinstance(outage, (int, float)) else 'outage %s') % outage)
    if host.get('left_on_v1') and host.get('status') != 'v2':
        words.append('LEFT ON V1 (forced finalize)')
    if host.get('error'):
        words.append('ERROR: %s' % host['error'])
    return '  '.join(w for w in words if w)


def _compute(pic, name, host):
    top = pic.y
    pic.add('<g class="compute" data-host=%s>' % quoteattr(_text(name)))
    try:
        pic.lane(name, COMPUTE_ROW)
        pic.text(STATUS_LEFT, top + COMPUTE_ROW / 2.0 + 4, _status_text(host), cls='status', limit=44,
                 title=_status_text(host),
                 colour=COLOURS['failed'] if host.get('status') == 'failed' else None)
        _compute_history(pic, name, host, top)
        _outage(pic, name, host, top)
    finally:
        pic.add('</g>')


def _compute_history(pic, name, host, top):
    """Each status change of the compute: what it went through, its failures and rollbacks."""
    history = [(e.get('status'), e.get('at'), _epoch(e.get('at'))) for e in _dicts(host.get('history'))]
    unread = [at for _status, at, when in history if when is None]
    if unread:
        pic.not_drawn('%s: %d status change(s)' % (name, len(unread)), 'unreadable time(s) %s' % ', '.join(
            repr(at) for at in unread[:3]))
    history = sorted((when, status, at) for status, at, when in history if when is not None)
    if not history:
        if not unread:
            pic.not_drawn('%s' % name, 'no dated status change recorded (status %s)' % host.get('status'))
        return
    middle, above = top + 20, top + 10
    for index, (when, status, at) in enumerate(history):
        last = index + 1 == len(history)
        until = pic.t_open if last else history[index + 1][0]
        x1, x2 = pic.x(when), pic.x(until)
        title = '%s: %s from %s' % (name, status, at)
        if status == 'upgrading':
            pic.rect(x1, x2, middle - 6, 12, COLOURS['upgrading'], 'upgrading', title, dashed=last)
            if last:
                pic.label_above(x1, above, 'upgrading, not complete')
        elif status == 'rolling_back':
            pic.rect(x1, x2, middle - 6, 12, COLOURS['rollback'], 'rollback', title, dashed=last,
                     data={'host': name})
            pic.label_above(x1, above, 'rollback' + (', not complete' if last else ''), colour=COLOURS['rollback'])
        elif status in ('v2', 'v1', 'failed'):
            pic.rect(x1, x2, middle - 2, 4, COLOURS[status], 'on-%s' % status, title)
        if status == 'failed':
            pic.cross(x1, middle, 10, '%s failed at %s: %s' % (name, at, host.get('error') or ''), data={'host': name})
            pic.label_above(x1 + 4, above, 'failed', colour=COLOURS['failed'])
        if status == 'v2':
            pic.add('<circle class="reached-v2" cx="%s" cy="%s" r="4" fill="%s"><title>%s</title></circle>' % (
                x1, middle, COLOURS['v2'], escape(_text(title))))


def _outage(pic, name, host, top):
    """The outage of the compute's last swap, placed by its step timings."""
    timings = host.get('timings') or {}
    if 'outage' not in timings:
        return
    began, done = upgrade_span(host)
    began, done = _epoch(began), _epoch(done)
    outage = float(timings['outage'])
    if began is None and done is None:
        pic.not_drawn('the outage of %s (%.2f s)' % (name, outage), 'no time its upgrade began or ended')
        return
    start = began + sum(float(timings.get(step) or 0) for step in BEFORE_OUTAGE) if began is not None else None
    if done is not None and (start is None or start + outage > done):
        start = done - outage - sum(float(timings.get(step) or 0) for step in AFTER_OUTAGE)
    start = max(start, began if began is not None else start, pic.t0)
    x1, x2 = pic.x(start), pic.x(min(start + outage, pic.t_open))
    pic.rect(x1, x2, top + 12, 16, COLOURS['outage'], 'outage', '%s: outage %.2f s (vRouter stopped until '
             'its routes were back), placed by the swap step timings' % (name, outage), data={'host': name})


def _computes(pic, record):
    hosts = record.get('hosts') or {}
    if not isinstance(hosts, dict):
        pic.not_drawn('the computes', 'the record holds no table of computes')
        return
    if not hosts:
        top = pic.lane('Computes')
        pic.text(PLOT_LEFT + 4, top + ROW / 2.0 + 4, 'none recorded', colour=COLOURS['axis'])
        return
    pic.text(8, pic.y + 16, 'Computes', cls='lane', size=13)
    pic.text(STATUS_LEFT, pic.y + 16, 'status now', cls='lane', size=13)
    pic.y += 22
    good = dict((n, h) for n, h in hosts.items() if isinstance(h, dict))
    for name in sorted(set(hosts) - set(good)):
        pic.not_drawn('%s' % name, 'its entry is not a table of facts')
    for name, host in sorted(good.items(), key=_host_order):
        pic.part('%s' % name, _compute, pic, name, host)


def _legend(pic):
    top = pic.y + 14
    x = PLOT_LEFT
    for key, label in LEGEND:
        pic.add('<rect class="legend" x="%s" y="%s" width="12" height="12" fill="%s"/>' % (x, top, COLOURS[key]))
        pic.text(x + 16, top + 10, label, cls='legend', size=11)
        x += 16 + len(label) * 6.2 + 14
    pic.y = top + 20


def _notes(pic):
    for note in pic.notes:
        pic.y += 16
        pic.text(8, pic.y, note, cls='not-drawn', colour=COLOURS['note'], limit=180)
    pic.y += 12


def _draw(record, not_read):
    pic = Picture(record if not not_read else None)
    _header(pic, record, not_read)
    if pic.t0 is not None:
        pic.part('the time axis', _axis, pic)
        pic.part('the phases', _phases, pic, record)
        pic.part('the northbound freeze windows', _freezes, pic, record)
        pic.part('the batches', _batches, pic, record)
    if isinstance(record, dict) and not not_read:
        pic.part('the computes', _computes, pic, record)
    grid = ['<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>' % (
        x, pic.axis_y, x, pic.y, COLOURS['grid']) for x in pic.grid]
    if pic.t0 is not None and pic.t_open > pic.t_end:
        # Under way: what goes on past the last record is drawn dashed beyond this line.
        x = pic.x(pic.t_end)
        pic.add('<line class="last-record" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="3 3">'
                '<title>the last record</title></line>' % (x, pic.axis_y, x, pic.y + 4, COLOURS['axis']))
        pic.y += 12
        pic.text(x, pic.y, 'last record', cls='event', size=9, anchor='middle', colour=COLOURS['axis'])
    if pic.t0 is not None:
        _legend(pic)
    _notes(pic)
    return grid + pic.body, int(pic.y) + 8


def _document(elements, height):
    return (u'<?xml version="1.0" encoding="UTF-8"?>\n'
            u'<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
            u'font-family="DejaVu Sans, Arial, sans-serif" font-size="%d">\n'
            u'<title>ISSU timeline</title>\n'
            u'<rect class="background" x="0" y="0" width="%d" height="%d" fill="#ffffff"/>\n'
            u'%s\n</svg>\n' % (WIDTH, height, WIDTH, height, FONT, WIDTH, height, '\n'.join(elements)))


def issu_timeline_svg(record, not_read=None):
    try:
        return _document(*_draw(record, not_read))
    except Exception as exc:  # pylint: disable=broad-except
        # Never fail the report: what went wrong, in the picture.
        pic = Picture(None)
        pic.text(8, 22, 'ISSU timeline', cls='title', size=16)
        pic.y = 36
        pic.not_drawn('the timeline', 'the record could not be read (%s: %s)' % (type(exc).__name__, exc))
        _notes(pic)
        return _document(pic.body, int(pic.y) + 8)


class FilterModule(object):
    def filters(self):
        return {'issu_timeline_svg': issu_timeline_svg}
