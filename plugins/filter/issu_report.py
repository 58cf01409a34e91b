# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: issu_report
short_description: Summarise an ISSU state record for an operator
version_added: 1.0.0
description:
  - Turns the record kept by C(opencontrail.issu.issu_state) into lines of text - each phase with
    its duration, each northbound freeze window, each compute's outage and swap steps (in the
    order C(opencontrail.issu.vrouter_swap) runs them, from C(install) to C(running) and
    C(functional), the waits after the outage), and the rolling batches in order.
  - Computes a forced finalize (C(issu_force)) left on v1 - recorded with C(left_on_v1) and not
    on v2 since - are listed in a section of their own, with what they lose.
  - The compute phase's last recorded progress - batch k of n, computes on v2, failed and
    left, time left - is one C(Progress) line.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The record (the C(record) returned by C(opencontrail.issu.issu_state)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the record
  opencontrail.issu.issu_state: {}
  register: issu
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Print the summary
  ansible.builtin.debug:
    msg: "{{ issu.record | opencontrail.issu.issu_report }}"
"""

RETURN = r"""
_value:
  description: The summary, one line per element.
  type: list
  elements: str
"""

import datetime

from ansible.errors import AnsibleFilterError
from ansible_collections.opencontrail.issu.plugins.module_utils import issu_progress, issu_state
from ansible_collections.opencontrail.issu.plugins.module_utils.vrouter_swap_plan import STEPS as SWAP_STEPS

# phase -> the phase that completes it, and the name an operator knows it by: each operation of
# the phase machine that moves the phase (start, finalize, abort).
PHASE_SPANS = tuple((op.running, op.done, name) for name, op in issu_state.OPERATIONS.items() if op.running)

# The phases from the point of no return on (finalizing, finalized).
IRREVERSIBLE = tuple(phase for phase in issu_state.PHASES if phase not in issu_state.REVERSIBLE)


def _at(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ')


def _seconds(begin, end):
    return (_at(end) - _at(begin)).total_seconds()


def phase_spans(history):
    """[(name, begun, completed)] of each phase begun in ``history``, in order; ``completed`` is
    None for one not complete."""
    spans = []
    for index, entry in enumerate(history):
        for first, done, name in PHASE_SPANS:
            if entry['phase'] != first:
                continue
            end = next((e for e in history[index + 1:] if e['phase'] == done), None)
            spans.append((name, entry['at'], end['at'] if end else None))
    return spans


def phase_lines(history):
    lines = []
    for name, begun, completed in phase_spans(history):
        if completed is None:
            lines.append('  %-9s begun %s, not complete' % (name, begun))
        else:
            lines.append('  %-9s %8.1f s  (%s -> %s)' % (name, _seconds(begun, completed), begun, completed))
    return lines


#: What a freeze window holds up to each milestone recorded inside it (finalize records its
#: point of no return, its final sync and its switch while northbound is frozen).
MILESTONES = {
    ('phase', issu_state.NO_RETURN): 'drained, v2 = v1 checked, v1 config kept (point of no return)',
    ('step', 'synced'): ("v1 and run-sync stopped while HAProxy and neutron were switched to v2, "
                         "post-sync, zk-sync, v2 = v1's final config"),
    ('step', 'switched'): 'northbound on v2 (switched during the sync and recorded with it, or here when resumed)',
    ('window', 'opened'): 'recorded, opened',
}


def _milestones(record, begin, end):
    """[(at, kind, name)] recorded between begin and end (ISO stamps compare as text)."""
    found = [(h['at'], 'phase', h['phase']) for h in record.get('history', [])]
    found += [(at, 'step', name) for name, at in (record.get('steps') or {}).items()]
    # Milestones dated in one write keep the phase table's order (synced before switched).
    order = dict((name, index) for index, (kind, name) in enumerate(MILESTONES))
    return sorted((m for m in found if begin < m[0] <= end),
                  key=lambda m: (m[0], order.get(m[2], len(order)), m[1], m[2]))


def window_steps(record, window):
    """[(milestone, seconds up to it, what it holds)] of a freeze window: the milestones recorded
    inside it, then its opening; [] when none was recorded inside it."""
    begin, end = window['frozen_at'], window['opened_at']
    inside = _milestones(record or {}, begin, end)
    if not inside:
        return []
    steps, last = [], begin
    for at, kind, name in inside + [(end, 'window', 'opened')]:
        steps.append((name, _seconds(last, at), MILESTONES.get((kind, name), '')))
        last = at
    return steps


def freeze_lines(northbound, record=None):
    """Each window with its length, and inside it the time up to each milestone recorded in it,
    so an operator sees where the window went."""
    lines = []
    for window in northbound.get('windows', []):
        if not window.get('frozen_at'):
            continue
        length = _seconds(window['frozen_at'], window['opened_at'])
        lines.append('  %8.1f s  %s' % (length, window.get('note') or ''))
        lines += ['    %8.1f s  %-10s %s' % (seconds, name, what)
                  for name, seconds, what in window_steps(record, window)]
    if northbound.get('state') == 'frozen':
        lines.append('  STILL FROZEN since %s' % northbound.get('since'))
    return lines


def host_lines(hosts):
    lines = []
    for name in sorted(hosts):
        host = hosts[name]
        timings = host.get('timings') or {}
        steps = ', '.join('%s %.2f' % (step, timings[step]) for step in SWAP_STEPS if step in timings)
        outage = ('outage %6.2f s' % timings['outage']) if 'outage' in timings else 'outage      -  '
        lines.append('  %-20s %-12s %-18s %s%s%s' % (name, host.get('status', '?'), host.get('version') or '',
                                                     outage, '  (%s)' % steps if steps else '',
                                                     '  ERROR: %s' % host['error'] if host.get('error') else ''))
    return lines


def outages(hosts):
    """The recorded outages of the computes (seconds), shortest first; none for a compute not swapped."""
    return sorted(float(host['timings']['outage']) for host in hosts.values()
                  if isinstance(host.get('timings'), dict) and 'outage' in host['timings'])


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def p95(values):
    """The 95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def outage_summary(hosts):
    """The computes' outages in one line: how many, median, p95 and longest."""
    seconds = outages(hosts)
    if not seconds:
        return []
    return ['  outages: %d computes, median %.2f s, p95 %.2f s, longest %.2f s'
            % (len(seconds), median(seconds), p95(seconds), seconds[-1])]


def _upgrades(host):
    """The stamps of a compute's 'upgrading' entries, in order."""
    return sorted(h['at'] for h in host.get('history') or [] if h.get('status') == 'upgrading')


def upgrade_span(host):
    """(began, done) of the upgrade that recorded the compute's ``batch``: ``done`` is its 'v2'
    entry (the last one that followed an 'upgrading', else the last one, else the compute's
    last update), ``began`` the last 'upgrading' before it; either may be None."""
    history = host.get('history') or []
    on_v2 = [e['at'] for e in history if e.get('status') == 'v2']
    swapped = [e['at'] for previous, e in zip(history, history[1:])
               if e.get('status') == 'v2' and previous.get('status') == 'upgrading']
    done = (swapped or on_v2 or [host.get('updated_at')])[-1]
    began = [at for at in _upgrades(host) if done is None or at <= done]
    return (began[-1] if began else host.get('updated_at')), done


def _anchor(first, began, done):
    """The stamp of the upgrade of a batch's first host that started the batch a compute
    finished at ``done`` was in: the first host's last 'upgrading' up to ``done`` (a batch
    named after it again later begins only after this one is over), else its nearest one."""
    upgrades = _upgrades(first or {})
    when = done or began
    if not upgrades or when is None:
        return None
    before = [at for at in upgrades if at <= when]
    if before:
        return before[-1]
    return min(upgrades, key=lambda at: abs(_seconds(at, when)))


def batches(hosts):
    """The batches in the order they began, each a dict: its ``hosts`` (sorted), when it
    ``began`` and when its last compute was ``done`` (None when not recorded). A compute's
    ``batch`` names its batch by the batch's first host (records written before that held the
    whole list of the batch's hosts, which is read the same way, by that list). A first host
    rolled back and upgraded again can name a later batch too, so a batch is the name plus the
    first host's own 'upgrading' entry that began it (the first host is listed in each); when
    the record has no such entry, the name alone."""
    began, done_at, members = {}, {}, {}
    for name, host in hosts.items():
        batch = host.get('batch')
        if not batch:
            continue
        start, done = upgrade_span(host)
        if isinstance(batch, str):
            anchor = _anchor(hosts.get(batch), start, done)
            key, names = ('name', batch, anchor), [name] + ([batch] if anchor else [])
        else:
            key, names, anchor = ('hosts',) + tuple(sorted(batch)), batch, None
        began.setdefault(key, []).extend(stamp for stamp in (start, anchor) if stamp)
        done_at.setdefault(key, []).extend([done] if done else [])
        members.setdefault(key, set()).update(names)
    ordered = sorted(began, key=lambda key: min(began[key] or ['']))
    return [{'hosts': sorted(members[key]), 'began': min(began[key] or [None]),
             'done': max(done_at[key] or [None])} for key in ordered]


def batch_lines(hosts):
    """The batches in the order they began, each with the computes recorded in it."""
    return ['  %d. %s' % (number, ', '.join(batch['hosts']))
            for number, batch in enumerate(batches(hosts), 1)]


def forced_lines(record):
    """The computes a forced finalize left on v1 and that are not on v2 since."""
    hosts = record.get('hosts', {})
    left = sorted(name for name, host in hosts.items()
                  if host.get('left_on_v1') and host.get('status') != 'v2')
    if not left:
        return []
    if record.get('phase') in IRREVERSIBLE:
        header = ('Left on v1 by a forced finalize (issu_force) - WITHOUT A CONTROL PLANE once v1 '
                  'stops: routes age out, no config; move them with playbooks/issu_upgrade_computes.yml:')
    else:
        header = ('Left on v1 by a forced finalize (issu_force) that has not passed its point of no '
                  'return: v1 still serves them, they lose their control plane when finalize stops it:')
    return [header] + ['  %-20s %-12s %s' % (name, hosts[name].get('status', '?'), hosts[name].get('version') or '')
                       for name in left]


def progress_lines(record):
    """The compute phase's last recorded progress, in one line; none before it began."""
    line = issu_progress.describe(record.get('progress'))
    return ['Progress: %s' % line] if line else []


def issu_report(record):
    if not isinstance(record, dict) or 'phase' not in record:
        raise AnsibleFilterError('issu_report needs the record returned by opencontrail.issu.issu_state')
    hosts = record.get('hosts', {})
    lines = ['ISSU phase: %s' % record['phase'], 'Phases:']
    lines += phase_lines(record.get('history', [])) or ['  none yet']
    lines.append('Northbound freeze windows:')
    lines += freeze_lines(record.get('northbound', {}), record) or ['  none']
    lines.append('Computes (outage = vRouter stopped until its routes are back):')
    lines += host_lines(hosts) or ['  none recorded']
    lines += outage_summary(hosts)
    lines += progress_lines(record)
    lines += forced_lines(record)
    ordered = batch_lines(hosts)
    if ordered:
        lines.append('Batches:')
        lines += ordered
    return lines


class FilterModule(object):
    def filters(self):
        return {'issu_report': issu_report}
