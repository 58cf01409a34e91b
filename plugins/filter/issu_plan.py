# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: issu_plan
short_description: The ISSU as it would run now, from the state record, the batches and each compute's swap plan
version_added: 1.1.0
description:
  - Turns the ISSU state record (the C(record) returned by C(opencontrail.issu.issu_state)), the
    computes of the compute phase in play order, the batch specification, each compute's
    C(opencontrail.issu.vrouter_swap) check-mode result and the problems preflight collected
    into the plan of what is left - each phase (start, computes, finalize) with its status, its
    steps and the hosts each runs on; the compute batches as the rolling play will form them;
    estimated freeze windows and durations; and every problem. C(playbooks/issu_plan.yml) prints
    it and writes it as JSON.
  - Only what is left is planned. The phase comes from the record - a completed start or
    finalize is C(done), an interrupted one C(resume) (finalize lists the steps its recorded
    milestones skip). The batches are those the rolling play forms over every compute of the
    play (computes already on v2 are in them too, and skipped), with the computes already on v2
    left out and batches left empty dropped. A compute is on v2 when the record says so and its
    swap check, when there is one, has nothing to change, or when its check has nothing to
    change whatever the record says (the compute phase records it without a swap); a compute
    whose check would still change it is planned, whatever the record says, as the compute phase
    reads the compute, not the record, before it swaps.
  - Estimates come from what this site's record measured, else from the defaults (O(defaults)).
    A compute's swap is the time from its C(upgrading) to its C(v2) entry (the swap, the wait
    for its agent to be Functional and the records; the median of the computes measured), its
    outage the median of the swaps' C(outage) timings, the time between batches the shortest gap
    between two measured batches (the checks before each batch, without a pause), a freeze
    window the last one recorded for the phase, a phase the last complete one.
  - A batch lasts the time between batches plus one compute's swap per wave of O(forks) computes
    (Ansible runs a task on at most that many hosts at once), then the pause O(batch_pause) when
    it is a number of seconds; the phase adds up its batches (the pre-stage, in parallel before
    the first batch, is not estimated).
  - "The defaults are what the rehearsal lab measured with C(make demo) at its default size
    (README, 2 cores) - start 21 s with a 2.4 s freeze, finalize 17 s with a 14 s freeze (zk-sync
    grows it with the objects created during the ISSU: 25 s after 1432 networks), the compute
    phase 54 s for three one-compute batches with their pre-stage and a 1.9 s outage each, taken
    here as 10 s per compute's swap and 5 s between batches. A site's own figures replace them
    as soon as its record holds them: after its first batch for the computes."
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The record (the C(record) returned by C(opencontrail.issu.issu_state)); C(phase) V(new) with nothing else when there is none.
    type: dict
    required: true
  computes:
    description:
      - The computes of the compute phase, in the order of its play (C(ansible_play_hosts_all)
        of a play on the same hosts; the inventory's order).
    type: list
    elements: str
    required: true
  serial:
    description:
      - The batch specification (the operator's C(issu_serial)); null for the collection's
        default (see C(opencontrail.issu.issu_serial)). An invalid one is a problem of the plan,
        which then has no batches.
    type: raw
  swaps:
    description:
      - Compute name to its C(opencontrail.issu.vrouter_swap) check-mode result (registered with
        C(ignore_errors) and C(ignore_unreachable)); a compute missing here was not checked.
      - From a result the plan keeps C(plan), C(prestaged), C(node), C(version), and when it
        failed C(msg) and C(failed_step).
    type: dict
    default: {}
  problems:
    description: The problems preflight collected (C(preflight_all_problems)).
    type: list
    elements: str
    default: []
  groups:
    description:
      - The C(groups) magic variable, for the hosts each step runs on (C(issu_task),
        C(contrail_v1_controllers), C(contrail_v2_controllers), C(openstack_haproxy),
        O(neutron_group)).
    type: dict
    default: {}
  neutron_group:
    description: The group whose hosts hold the neutron plugin's conf (the C(northbound) role's C(northbound_neutron_group)).
    type: str
    default: openstack_neutron
  forks:
    description: How many hosts Ansible runs a task on at once (C(ansible_forks)).
    type: int
    default: 5
  batch_pause:
    description: The pause between batches (C(issu_batch_pause) - C(none), C(prompt) or seconds).
    type: raw
    default: none
  repository_added_by_prestage:
    description:
      - Whether the pre-stage writes the target's repository on the computes (C(vrouter_apt_sources)
        is set). A swap check that found the target's packages missing from a compute's
        repositories is then what is expected before the pre-stage, not a problem (preflight's
        repository check reads the target's repository).
    type: bool
    default: false
  preflight:
    description: What preflight did - V(checked), or why it did not check (for example after the point of no return).
    type: str
    default: checked
  defaults:
    description:
      - Estimates used where the record measured nothing, replacing the built-in ones, in
        seconds - C(host_swap), C(outage), C(between_batches), C(start), C(start_freeze),
        C(finalize), C(finalize_freeze).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan what is left of the ISSU
  ansible.builtin.set_fact:
    plan: >-
      {{ state_result.record | opencontrail.issu.issu_plan(
           computes=groups['contrail_computes'], serial=issu_serial | default(none),
           swaps=swap_checks, problems=preflight_all_problems, groups=groups,
           forks=ansible_forks) }}

- name: Print it
  ansible.builtin.debug:
    msg: "{{ plan.summary }}"
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    phase:
      description: The ISSU's phase now, from the record.
      type: str
    next:
      description: What to run next, as the phase machine says it.
      type: str
    phases:
      description:
        - C(start), C(computes) and C(finalize), each with its C(playbook), C(status) (V(to do),
          V(resume), V(done)), C(steps) (C(do), C(on) - the hosts it runs on, C(freeze) - inside
          the northbound freeze, C(skipped) - behind a recorded milestone) and C(seconds)
          (C(seconds), C(source) V(measured) or V(default)); start and finalize a C(freeze)
          estimate, the computes C(batches) (C(number), C(of_run) - the batch of the rolling
          play it is, C(hosts) each with its C(name), recorded C(status), C(swap) plan,
          C(prestaged), C(check) message, C(note); C(waves), C(seconds)), C(done) (computes
          already on v2) and C(outage).
      type: list
      elements: dict
    estimates:
      description: Every figure used, each with C(seconds), C(source) and, when measured, C(samples).
      type: dict
    problems:
      description: Every problem found, preflight's first.
      type: list
      elements: str
    summary:
      description: The plan as lines of text for an operator.
      type: list
      elements: str
"""

import math

from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.issu_report import (
    _seconds,
    median,
    outages,
    upgrade_span,
)
from ansible_collections.opencontrail.issu.plugins.filter.issu_serial import issu_serial
from ansible_collections.opencontrail.issu.plugins.filter.serial_batches import serial_batches
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_state import (
    NEXT_STEP,
    NO_RETURN,
    OPERATIONS,
    PHASES,
    REVERSIBLE,
)

#: Estimates where the record measured nothing (seconds): the rehearsal lab's `make demo` at its
#: default size (README); see DOCUMENTATION.
DEFAULTS = {
    'start': 21.1,
    'start_freeze': 2.4,
    'finalize': 16.8,
    'finalize_freeze': 13.9,
    'host_swap': 10.0,
    'outage': 1.9,
    'between_batches': 5.0,
}

#: The start of vrouter_swap's message when a target version is missing from the compute's
#: repositories (Swap.check_repositories): expected before the pre-stage adds the target's.
NOT_IN_REPOSITORIES = 'not in the configured repositories'

# Each phase's steps: (what it does, the groups it runs on, inside the freeze, milestone after
# which a resumed run skips it ('resuming': every resumed run skips it)). Group names are the
# inventory's; 'neutron' stands for the neutron plugin's group.
START_STEPS = (
    ("check the versions, the ASN and both config APIs; back up v1's config", ('issu_task',), False, None),
    ("hold v2's schema-transformer, svc-monitor and device-manager", ('contrail_v2_controllers',), False, None),
    ("BGP-peer v1's control nodes ({v1}) with v2's ({v2}) in both config APIs, wait until Established",
     ('issu_task',), False, None),
    ("render contrail-issu.conf; start run-sync, bound to v1's notifications", ('issu_task',), False, None),
    ('freeze northbound: drain contrail-api and neutron-server at HAProxy', ('openstack_haproxy',), True, None),
    ("pre-sync v1's config to v2 (contrail-issu-pre-sync), compare v1 and v2", ('issu_task',), True, None),
    ('open northbound, still to v1', ('openstack_haproxy',), True, None),
    ("make v2's control nodes re-read their config; check a write through the VIP reaches v2",
     ('contrail_v2_controllers', 'issu_task'), False, None),
)

FINALIZE_STEPS = (
    ('confirm (issu_finalize_confirm); refuse while a vRouter agent is still connected to v1 '
     "(asked of v1's control nodes)", ('issu_task', 'contrail_v1_controllers'), False, None),
    ("check run-sync runs with its copy done and v1's and v2's control nodes see each other",
     ('issu_task',), False, 'resuming'),
    ('freeze northbound: drain contrail-api and neutron-server at HAProxy', ('openstack_haproxy',), True,
     'switched'),
    ("gate 1: v2 equals v1 while v1 still serves; keep v1's final config; the point of no return",
     ('issu_task',), True, 'resuming'),
    ("stop v1's config services and run-sync, post-sync and zk-sync, gate 2: v2 holds v1's final config",
     ('contrail_v1_controllers', 'issu_task'), True, 'synced'),
    ('switch northbound to v2 (HAProxy, and the neutron plugin conf when it names a v1 node)',
     ('openstack_haproxy', 'neutron'), True, 'switched'),
    ('open northbound, to v2', ('openstack_haproxy',), True, None),
    ("release v2's schema-transformer, svc-monitor and device-manager", ('contrail_v2_controllers',), False, None),
    ('check a write through the VIP lands in v2', ('issu_task',), False, None),
    ("stop the rest of v1; leave v2 with its own config, analytics and database node objects and "
     "none of v1's", ('contrail_v1_controllers', 'issu_task'), False, None),
)


def _figure(seconds, source, samples=None):
    figure = {'seconds': round(float(seconds), 1), 'source': source}
    if samples is not None:
        figure['samples'] = samples
    return figure


def _last_span(history, first, done):
    """Seconds of the last complete ``first`` -> ``done`` span of the phase history, or None."""
    spans = []
    for index, entry in enumerate(history):
        if entry.get('phase') != first:
            continue
        end = next((e for e in history[index + 1:] if e.get('phase') in (done, first)), None)
        if end is not None and end['phase'] == done:
            spans.append(_seconds(entry['at'], end['at']))
    return spans[-1] if spans else None


def _last_window(northbound, note):
    windows = [w for w in (northbound or {}).get('windows', [])
               if w.get('note') == note and w.get('frozen_at') and w.get('opened_at')]
    return _seconds(windows[-1]['frozen_at'], windows[-1]['opened_at']) if windows else None


def _measured_batches(hosts):
    """[(began, done)] of each batch the record holds, in order: a batch is the computes that
    name it (by its first host, or, in older records, by the list of its hosts)."""
    spans = {}
    for host in hosts.values():
        batch = host.get('batch')
        if not batch or host.get('status') != 'v2':
            continue
        began, done = upgrade_span(host)
        if not (began and done):
            continue
        key = batch if isinstance(batch, str) else tuple(sorted(batch))
        first, last = spans.get(key, (began, done))
        spans[key] = (min(first, began), max(last, done))
    return sorted(spans.values())


def estimates(record, defaults=None):
    """Every figure the plan uses: measured from the record where it can be, else the default."""
    wanted = dict(DEFAULTS)
    for name, value in (defaults or {}).items():
        if name not in DEFAULTS:
            raise AnsibleFilterError('issu_plan: unknown default %r (known: %s)'
                                     % (name, ', '.join(sorted(DEFAULTS))))
        try:
            wanted[name] = float(value)
        except (TypeError, ValueError):
            raise AnsibleFilterError('issu_plan: the default %s must be a number of seconds, got %r'
                                     % (name, value))
    history = record.get('history') or []
    hosts = record.get('hosts') or {}
    figures = {}
    for name in ('start', 'finalize'):
        seconds = _last_span(history, OPERATIONS[name].running, OPERATIONS[name].done)
        figures[name] = _figure(seconds, 'measured') if seconds is not None else _figure(wanted[name], 'default')
        window = _last_window(record.get('northbound'), name)
        figures[name + '_freeze'] = (_figure(window, 'measured') if window is not None
                                     else _figure(wanted[name + '_freeze'], 'default'))
    swaps = []
    for host in hosts.values():
        if host.get('status') != 'v2':
            continue
        began, done = upgrade_span(host)
        if began and done and began < done and any(e.get('status') == 'upgrading' for e in host.get('history') or []):
            swaps.append(_seconds(began, done))
    figures['host_swap'] = (_figure(median(swaps), 'measured', len(swaps)) if swaps
                            else _figure(wanted['host_swap'], 'default'))
    swapped = outages(hosts)
    figures['outage'] = (_figure(median(swapped), 'measured', len(swapped)) if swapped
                         else _figure(wanted['outage'], 'default'))
    if swapped:
        figures['outage']['longest'] = round(swapped[-1], 1)
    batches = _measured_batches(hosts)
    gaps = [_seconds(before[1], after[0]) for before, after in zip(batches, batches[1:])]
    gaps = [gap for gap in gaps if gap > 0]
    figures['between_batches'] = (_figure(min(gaps), 'measured', len(gaps)) if gaps
                                  else _figure(wanted['between_batches'], 'default'))
    return figures


def _pause_seconds(batch_pause):
    text = 'none' if batch_pause is None else str(batch_pause).strip().lower()
    if text in ('none', ''):
        return 0, None
    if text == 'prompt':
        return 0, 'waits for the operator between batches (issu_batch_pause=prompt)'
    try:
        return int(text), None
    except ValueError:
        raise AnsibleFilterError('issu_plan: batch_pause must be none, prompt or a number of seconds, got %r'
                                 % (batch_pause,))


def _hosts_of(groups, names, neutron_group):
    hosts = []
    for name in names:
        group = neutron_group if name == 'neutron' else name
        members = (groups or {}).get(group) or []
        if name == 'neutron' and not members:
            members = (groups or {}).get('openstack_haproxy') or []
        hosts.extend(h for h in members if h not in hosts)
    return hosts


def _steps(table, groups, neutron_group, behind=(), resuming=False):
    words = {'v1': ', '.join((groups or {}).get('contrail_v1_controllers') or []) or 'none',
             'v2': ', '.join((groups or {}).get('contrail_v2_controllers') or []) or 'none'}
    steps = []
    for text, on, freeze, skip_after in table:
        skipped = (skip_after == 'resuming' and resuming) or (skip_after in behind)
        steps.append({'do': text.format(**words), 'on': _hosts_of(groups, on, neutron_group),
                      'freeze': freeze, 'skipped': bool(skipped)})
    return steps


def _swap_entry(result, repository_added_by_prestage):
    """What the plan keeps of a compute's vrouter_swap check-mode result: (entry, on_target)."""
    if not isinstance(result, dict) or result.get('skipped'):
        return {'swap': None, 'check': 'not checked'}, False
    if result.get('unreachable'):
        return {'swap': None, 'check': 'not reachable: %s' % (result.get('msg') or 'no answer')}, False
    entry = {'swap': result.get('plan'), 'prestaged': result.get('prestaged'),
             'version': result.get('version'), 'node': result.get('node')}
    if result.get('failed'):
        message = result.get('msg') or 'the check failed'
        if (repository_added_by_prestage and entry['swap'] is not None
                and message.startswith(NOT_IN_REPOSITORIES)):
            entry['note'] = ("the target's packages are not in its repositories yet: the pre-stage "
                             'adds the target repository (vrouter_apt_sources) first')
        else:
            entry['check'] = '%s%s' % ('at %s: ' % result['failed_step'] if result.get('failed_step') else '',
                                       message)
    plan = entry['swap']
    on_target = not result.get('failed') and isinstance(plan, dict) and not plan.get('restart')
    return entry, on_target


def _swap_words(host):
    plan = host.get('swap')
    if host.get('check'):
        return 'swap check: %s' % host['check']
    if not isinstance(plan, dict):
        return 'no swap plan'
    words = []
    packages = plan.get('packages') or {}
    if packages:
        moves = sorted(set('%s -> %s' % (c.get('from') or 'none', c.get('to')) for c in packages.values()))
        words.append('%d package(s) %s' % (len(packages), ', '.join(moves)))
    conf = plan.get('conf') or {}
    if conf:
        words.append('conf %s' % '; '.join('%s: %s' % (path, ', '.join(keys)) for path, keys in sorted(conf.items())))
    kmod = plan.get('kmod') or {}
    if kmod.get('reload'):
        words.append('rmmod vrouter (%s)' % kmod.get('reason'))
    words.append('restart' if plan.get('restart') else 'no restart')
    if packages and host.get('prestaged') is False:
        words.append('the pre-stage downloads them')
    if host.get('note'):
        words.append(host['note'])
    return ', '.join(words)


def _compute_phase(record, computes, serial, swaps, figures, forks, batch_pause, problems,
                   repository_added_by_prestage, groups):
    recorded = record.get('hosts') or {}
    pause, pause_note = _pause_seconds(batch_pause)
    entries, done = {}, []
    for name in computes:
        status = (recorded.get(name) or {}).get('status') or 'v1'
        entry, on_target = _swap_entry((swaps or {}).get(name), repository_added_by_prestage)
        entry = dict(entry, name=name, status=status)
        if (recorded.get(name) or {}).get('left_on_v1'):
            entry['left_on_v1'] = recorded[name]['left_on_v1']
        # On v2 when the record says so and the check, if it ran, has nothing to change; a
        # check that would still change it means the compute phase swaps it again.
        checked = isinstance(entry.get('swap'), dict) and not entry.get('check')
        if status == 'v2' and (on_target or not checked):
            done.append(name)
        elif on_target and status != 'v2':
            entry['note'] = 'already on target: recorded as v2 without an outage'
            done.append(name)
        entries[name] = entry
    try:
        sizes = serial_batches(issu_serial(serial), len(computes)) if computes else []
    except AnsibleFilterError as exc:
        if not any(p.startswith('issu_serial:') for p in problems):
            problems.append('issu_serial: %s' % exc)
        sizes = []
    batches, start = [], 0
    swap_seconds = figures['host_swap']['seconds']
    for index, size in enumerate(sizes, 1):
        members = computes[start:start + size]
        start += size
        left = [entries[name] for name in members if name not in done]
        if not left:
            continue
        waves = int(math.ceil(len(left) / float(max(int(forks), 1))))
        batches.append({'number': len(batches) + 1, 'of_run': index, 'hosts': left, 'waves': waves,
                        'seconds': round(figures['between_batches']['seconds'] + waves * swap_seconds, 1)})
    total = sum(b['seconds'] for b in batches) + pause * max(len(batches) - 1, 0)
    left_names = [h['name'] for b in batches for h in b['hosts']]
    # From the point of no return on, v1 has no control plane to follow or roll back to.
    after_finalize = record.get('phase') not in REVERSIBLE
    steps = []
    if left_names:
        steps.append({'do': 'pre-stage: add the target repository (vrouter_apt_sources, when set), download '
                            'the v2 packages and those of the version each runs (for its rollback), in parallel',
                      'on': left_names, 'freeze': False, 'skipped': False})
        steps.append({'do': "before each batch: check run-sync runs with its copy done and v1's and v2's "
                            'control nodes see each other (a run-sync restart is repaired)',
                      'on': list((groups or {}).get('issu_task') or []), 'freeze': False,
                      'skipped': after_finalize})
        steps.append({'do': "in each batch, on each compute at once: swap the vRouter to v2 (below), wait until "
                            'its agent is Functional; a failed swap is rolled back to v1%s'
                            % (' (after finalize it is recorded failed instead: v1 is gone)'
                               if after_finalize else ''),
                      'on': left_names, 'freeze': False, 'skipped': False})
    phase = {'name': 'computes', 'playbook': OPERATIONS['computes'].playbook,
             'status': 'to do' if left_names else 'done', 'steps': steps, 'batches': batches,
             'done': done, 'outage': figures['outage'],
             'seconds': _figure(total, _source(figures, ('host_swap', 'between_batches')))}
    notes = []
    if computes and not sizes:
        notes.append('no batches: the batch specification is invalid (see the problems)')
    if left_names and record.get('phase') == NO_RETURN:
        notes.append('after finalize completes: the compute phase does not run while it is under way')
    if pause_note and len(batches) > 1:
        notes.append(pause_note)
    if notes:
        phase['note'] = '; '.join(notes)
    return phase


def _source(figures, names):
    return 'measured' if all(figures[n]['source'] == 'measured' for n in names) else 'default'


def _status(record, operation):
    op = OPERATIONS[operation]
    phase = record['phase']
    if phase in op.complete_in:
        return 'done'
    if op.running and phase == op.running:
        return 'resume'
    return 'to do'


def _phase(record, operation, table, figures, groups, neutron_group):
    op = OPERATIONS[operation]
    status = _status(record, operation)
    steps = record.get('steps') or {}
    resuming = status == 'resume'
    behind = [m for m in op.milestones if m in steps] if resuming else []
    phase = {'name': operation, 'playbook': op.playbook, 'status': status,
             'steps': _steps(table, groups, neutron_group, behind, resuming) if status != 'done' else [],
             'seconds': figures[operation], 'freeze': figures[operation + '_freeze']}
    if behind:
        phase['behind'] = behind
    return phase


def _summary(plan):
    lines = ['ISSU plan - phase %s; next: %s' % (plan['phase'], plan['next'])]
    est = plan['estimates']
    lines.append('Estimates: a compute\'s swap %s, its outage %s, between batches %s; forks %d'
                 % (_words(est['host_swap']), _words(est['outage']), _words(est['between_batches']), plan['forks']))
    for phase in plan['phases']:
        head = '%s (%s): %s' % (phase['name'], phase['playbook'], phase['status'])
        if phase['status'] != 'done':
            head += ', about %s' % _words(phase['seconds'])
            if 'freeze' in phase:
                head += ', northbound frozen about %s' % _words(phase['freeze'])
        if phase.get('behind'):
            head += ', resumes after %s' % ', '.join(phase['behind'])
        lines.append(head)
        for number, step in enumerate(phase['steps'], 1):
            lines.append('  %d. %s%s%s - on %s' % (number, '[skipped] ' if step['skipped'] else '',
                                                   '[frozen] ' if step['freeze'] else '', step['do'],
                                                   ', '.join(step['on']) or 'no host'))
        for batch in phase.get('batches', []):
            lines.append('  batch %d (the rolling play\'s batch %d): %d compute(s), about %.1f s '
                         '(%d wave(s) of forks), each out about %.1f s'
                         % (batch['number'], batch['of_run'], len(batch['hosts']), batch['seconds'],
                            batch['waves'], phase['outage']['seconds']))
            for host in batch['hosts']:
                lines.append('    %-20s %-12s %s' % (host['name'], host['status'], _swap_words(host)))
        if phase['name'] == 'computes':
            lines.append('  already on v2: %s' % (', '.join(phase['done']) or 'none'))
        if phase.get('note'):
            lines.append('  note: %s' % phase['note'])
    lines.append('Preflight: %s' % plan['preflight'])
    if plan['problems']:
        lines.append('Problems (%d):' % len(plan['problems']))
        lines += ['  - %s' % problem for problem in plan['problems']]
    else:
        lines.append('Problems: none')
    return lines


def _words(figure):
    samples = ', %d sample(s)' % figure['samples'] if figure.get('samples') else ''
    return '%.1f s (%s%s)' % (figure['seconds'], figure['source'], samples)


def issu_plan(record, computes, serial=None, swaps=None, problems=None, groups=None,
              neutron_group='openstack_neutron', forks=5, batch_pause='none',
              repository_added_by_prestage=False, preflight='checked', defaults=None):
    if not isinstance(record, dict) or record.get('phase') not in PHASES:
        raise AnsibleFilterError('issu_plan needs the record returned by opencontrail.issu.issu_state')
    if not isinstance(computes, (list, tuple)):
        raise AnsibleFilterError('issu_plan: computes must be the list of the compute phase\'s hosts')
    try:
        forks = int(forks)
    except (TypeError, ValueError):
        raise AnsibleFilterError('issu_plan: forks must be a number, got %r' % (forks,))
    problems = list(problems or [])
    figures = estimates(record, defaults)
    phases = [
        _phase(record, 'start', START_STEPS, figures, groups, neutron_group),
        _compute_phase(record, list(computes), serial, swaps, figures, forks, batch_pause, problems,
                       repository_added_by_prestage, groups),
        _phase(record, 'finalize', FINALIZE_STEPS, figures, groups, neutron_group),
    ]
    if phases[1]['status'] == 'to do' and phases[2]['status'] == 'to do':
        phases[2]['note'] = ('after every compute is on v2: its gate refuses while one is not '
                             '(unless issu_force, which leaves it without a control plane)')
    plan = {'phase': record['phase'], 'next': NEXT_STEP[record['phase']], 'phases': phases,
            'estimates': figures, 'forks': forks, 'problems': problems, 'preflight': preflight}
    plan['summary'] = _summary(plan)
    return plan


class FilterModule(object):
    def filters(self):
        return {'issu_plan': issu_plan}
