#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: issu_state
short_description: Read and advance the ISSU state record on the issu_task host
version_added: 1.0.0
description:
  - Keeps the one record of an OpenContrail ISSU, a JSON file on the C(issu_task) host, with the
    phase, its history, the status and versions of each compute and the northbound freeze windows.
  - Checks every phase change against the allowed transitions
    (C(new) -> C(starting) -> C(started) -> C(finalizing) -> C(finalized), and C(starting)/C(started)
    -> C(aborting) -> C(aborted) -> C(starting)). A refused change fails before anything is written,
    and the message names the playbook to run next.
  - With O(operation) it answers for one of the ISSU's operations, from the collection's one
    phase table - whether it may run now (it fails otherwise, naming the playbook to run instead),
    whether anything is left to do, whether it resumes, which milestones are behind it, and
    whether northbound may open after a failure - and O(advance) begins or completes it.
  - Without O(phase), O(advance), O(hosts), O(northbound), O(step), O(marks) or O(progress)
    the module only reads the record.
  - Writers are serialised with a lock file, so the hosts of one rolling batch may update the
    record in parallel through C(delegate_to).
  - The record's file at O(path) holds all but the computes; each compute's entry is a file of
    its own under C(<path>.hosts/). A call that only records computes (O(hosts) and none of
    O(operation), O(progress), O(advance), O(phase), O(northbound), O(step), O(marks)) reads
    and writes just their entries and the record's small file, so its cost stays the same
    however many computes the ISSU has.
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Computes and returns the new record without writing it.
  diff_mode:
    support: full
    description: Shows the record before and after.
  platform:
    description: Runs on the C(issu_task) host, which holds the record.
options:
  path:
    description: Where the record lives on the target host.
    type: path
    default: /var/lib/contrail-issu/state.json
  operation:
    description:
      - The operation this step belongs to; the module fails, naming the playbook to run
        instead, unless the current phase allows it. The answer is returned as RV(operation).
      - V(start) runs in C(new), C(aborted) (begins), C(starting) (resumes), and is complete
        in C(started), C(finalizing), C(finalized). V(computes) runs in C(started) and
        C(finalized). V(rollback) runs in C(started). V(finalize) begins in C(started), resumes
        in C(finalizing), is complete in C(finalized). V(abort) begins in C(starting) or
        C(started), resumes in C(aborting), is complete in C(aborted).
    type: str
    choices: [start, computes, rollback, finalize, abort]
  advance:
    description:
      - V(begin) moves the ISSU into the running phase of O(operation) (nothing when it is
        there already, a resumed run); V(complete) moves it to the phase O(operation) ends in.
    type: str
    choices: [begin, complete]
  expect:
    description:
      - Phases the ISSU must be in for this step to run. The module fails, naming the next
        playbook, when the current phase is not one of them.
    type: list
    elements: str
    choices: [new, starting, started, finalizing, finalized, aborting, aborted]
  phase:
    description: The phase to move to; staying in the current phase is always allowed.
    type: str
    choices: [new, starting, started, finalizing, finalized, aborting, aborted]
  hosts:
    description:
      - Per-compute facts to merge into the record, keyed by inventory hostname. Keys that are
        not given keep their recorded value.
    type: dict
  northbound:
    description:
      - Records the northbound freeze. C(frozen) starts a window, C(open) closes it.
    type: str
    choices: [open, frozen]
  note:
    description: Free text kept in the history entry or freeze window this call creates.
    type: str
  step:
    description:
      - Milestones of the current phase to record with their time, once (C(synced), C(switched)
        in finalize). A resumed run reads C(record.steps) to skip what must not run twice.
        Moving to C(starting) clears them.
      - Several given at once are dated with the same time, in one write.
      - With O(operation), each must be one of the operation's milestones, and every milestone
        before it must be behind or given with it (C(switched) needs C(synced)).
    type: list
    elements: str
  marks:
    description:
      - Named values of the current phase to keep in C(record.marks), each replacing the one
        recorded before (unlike O(step), recorded once). C(run_sync_repaired) is the start time
        of the run-sync whose restart v2 was last repaired for; later checks compare with it, so
        a restart is repaired once. Moving to C(starting) clears them.
    type: dict
  progress:
    description:
      - The compute phase's progress as one of its batches begins or ends - the batch and how
        many there are, the computes on v2, failed and left, and the time left - kept in
        C(record.progress) (one entry, replaced each time) and returned as RV(progress),
        RV(batch) and RV(message).
      - Given once per batch by the rolling play (C(run_once)), never per compute. A batch
        whose computes the record has on v2 already writes no begin, and an end is written only
        for the begin this run wrote, so a re-run that moves nothing changes nothing.
      - The time left is the seconds per round of the batches measured so far (those that
        moved a compute; a batch of n moving computes takes ceil(n / O(progress.forks)) rounds)
        times the rounds of the batches still to run; null before any was measured. Moving to
        C(starting) clears the entry.
    type: dict
    suboptions:
      event:
        description: V(begin) as the batch begins, V(end) once its computes are done.
        type: str
        choices: [begin, end]
        required: true
      hosts:
        description: The computes of the play, in order (C(ansible_play_hosts_all)).
        type: list
        elements: str
        required: true
      batches:
        description:
          - The size of each batch, in order (the C(opencontrail.issu.serial_batches) filter's
            answer for the play's C(serial) and its number of computes).
        type: list
        elements: int
        required: true
      member:
        description: A compute of the batch (the first of C(ansible_play_batch)).
        type: str
        required: true
      forks:
        description: How many computes a batch runs at a time (C(ansible_forks)); unknown counts one round per batch.
        type: int
      began_at:
        description: With V(end), the C(began_at) of the progress the batch's V(begin) returned.
        type: str
"""

EXAMPLES = r"""
- name: Refuse to finalize unless the ISSU has started, and ask what is left to do
  opencontrail.issu.issu_state:
    operation: finalize
  delegate_to: "{{ groups['issu_task'][0] }}"
  register: issu

- name: Enter the point of no return (or resume it)
  opencontrail.issu.issu_state:
    operation: finalize
    advance: begin
  delegate_to: "{{ groups['issu_task'][0] }}"
  when: issu.operation.to_do

- name: Record that v2 holds v1's final config
  opencontrail.issu.issu_state:
    operation: finalize
    step: synced
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Refuse unless the ISSU is in one of these phases (the low-level form)
  opencontrail.issu.issu_state:
    expect: [started, finalizing]
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Record that a compute runs v2
  opencontrail.issu.issu_state:
    expect: [started]
    hosts:
      "{{ inventory_hostname }}":
        status: v2
        version: 4.0.3.0-62
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Record that v2 was repaired for the run-sync that started at 1796317236.68
  opencontrail.issu.issu_state:
    expect: [started]
    marks:
      run_sync_repaired: 1796317236.68
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Record the northbound freeze
  opencontrail.issu.issu_state:
    northbound: frozen
    note: pre-sync
  delegate_to: "{{ groups['issu_task'][0] }}"

- name: Record that this batch of the rolling play begins, and say how far the phase is
  opencontrail.issu.issu_state:
    progress:
      event: begin
      hosts: "{{ ansible_play_hosts_all }}"
      batches: "{{ [1, '25%', '100%'] | opencontrail.issu.serial_batches(ansible_play_hosts_all | length) }}"
      member: "{{ ansible_play_batch | first }}"
      forks: "{{ ansible_forks }}"
  delegate_to: "{{ groups['issu_task'][0] }}"
  run_once: true
  register: batch_progress

- name: Say it
  ansible.builtin.debug:
    msg: "{{ batch_progress.message }}"
  run_once: true
"""

RETURN = r"""
record:
  description:
    - The record after the change (or as read), every compute's entry in C(hosts).
    - For a call that only records computes (O(hosts) and none of O(operation), O(progress),
      O(advance), O(phase), O(northbound), O(step), O(marks)), C(hosts) holds just those computes.
  returned: always
  type: dict
  sample:
    version: 2
    hosts_id: 0f6b3c2a9d4e4f7a8b1c2d3e4f5a6b7c
    phase: started
    history:
      - {phase: starting, at: "2026-11-24T10:00:00.000000Z", note: null}
      - {phase: started, at: "2026-11-24T10:03:00.000000Z", note: null}
    hosts:
      compute1: {status: v2, version: 4.0.3.0-62, updated_at: "2026-11-24T10:09:00.000000Z"}
    northbound: {state: open, since: null, windows: []}
    steps: {}
    marks: {}
phase:
  description: The phase after the change.
  returned: always
  type: str
  sample: started
phase_since:
  description:
    - Epoch seconds at which the ISSU entered its current phase (after the change); null in
      phase C(new). For example what a run-sync start after C(started) is compared with.
  returned: always
  type: float
  sample: 1795426980.0
operation:
  description: What the phase table answers O(operation), about the record after the change.
  returned: when O(operation) is given
  type: dict
  contains:
    name:
      description: The operation.
      type: str
    to_do:
      description: False when the operation completed before (a re-run has nothing to do).
      type: bool
    began:
      description: This call moved the ISSU into the operation's running phase.
      type: bool
    resuming:
      description: An interrupted run of the operation is being resumed.
      type: bool
    behind:
      description: The operation's milestones already recorded, which a resumed run skips.
      type: list
      elements: str
    irreversible:
      description: The ISSU is past the point of no return (finalize has begun).
      type: bool
    rollback_allowed:
      description: A compute may still be swapped back to v1.
      type: bool
    follows_v1:
      description: v2 follows v1 through run-sync (the ISSU is started, not yet finalizing).
      type: bool
    northbound_may_open:
      description:
        - False between the operation's point of no return and the milestone after which the
          new side serves northbound (finalize, between C(finalizing) and C(switched)) - a
          failure there keeps northbound frozen.
      type: bool
  sample:
    name: finalize
    to_do: true
    began: false
    resuming: true
    behind: [synced]
    irreversible: true
    rollback_allowed: false
    follows_v1: false
    northbound_may_open: false
progress:
  description:
    - The compute phase's progress as of this event (recorded in C(record.progress) unless the
      event writes nothing), for example C(batch) 2 of C(batches) 4, C(done) 3, C(failed) 0,
      C(left) 7, C(eta_seconds) 540.0.
  returned: when O(progress) is given
  type: dict
  sample:
    batch: 2
    batches: 4
    batch_first: compute2
    state: done
    began_at: "2026-11-24T10:09:00.000000Z"
    seconds: 180.2
    done: 3
    failed: 0
    left: 7
    eta_seconds: 540.6
    measured: {seconds: 240.3, rounds: 2}
    updated_at: "2026-11-24T10:12:00.200000Z"
batch:
  description: The batch of O(progress.member) - its index from 1, how many there are, its computes.
  returned: when O(progress) is given
  type: dict
  sample: {index: 2, count: 4, hosts: [compute2, compute3]}
message:
  description: The progress in one line, for the play's output.
  returned: when O(progress) is given
  type: str
  sample: "Batch 2 of 4 done in 3 min: 3 on v2, 0 failed, 7 left; about 9 min left"
previous_phase:
  description: The phase before the change.
  returned: always
  type: str
  sample: starting
irreversible:
  description: The ISSU is past its point of no return (finalize has begun).
  returned: always
  type: bool
  sample: false
next_step:
  description: What the operator runs next, from the phase after the change.
  returned: always
  type: str
  sample: run playbooks/issu_upgrade_computes.yml, then playbooks/issu_finalize.yml
"""

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_progress, issu_state
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule


def run(module):
    params = module.params
    hosts = params['hosts'] or {}
    for name, facts in hosts.items():
        if not isinstance(facts, dict):
            module.fail_json(msg='hosts.%s must be a dict such as {status: v2, version: ...}' % name)
        status = facts.get('status')
        if status is not None and status not in issu_state.HOST_STATUSES:
            module.fail_json(msg='hosts.%s.status is %r; use one of %s'
                             % (name, status, ', '.join(issu_state.HOST_STATUSES)))

    path = params['path']
    progress = params['progress']
    with module.failing('cannot write the ISSU state record %s: ' % path, (IOError, OSError)):
        with issu_state.Locked(path, create=not module.check_mode):
            # A call that only records computes reads and writes just their entries.
            only_hosts = bool(hosts) and not any(params[name] for name in (
                'operation', 'progress', 'advance', 'phase', 'northbound', 'step', 'marks'))
            before = issu_state.load(path, hosts=list(hosts) if only_hosts else None)
            issu_state.check_expected(before['phase'], params['expect'])
            operation = params['operation']
            if operation:
                issu_state.answer(before, operation)
                if params['step'] is not None:
                    issu_state.check_step(operation, params['step'], before)
            after = before
            if params['advance']:
                after = issu_state.advance(before, operation, params['advance'], note=params['note'])
            after = issu_state.plan(after, phase=params['phase'], hosts=hosts,
                                    northbound=params['northbound'], note=params['note'],
                                    step=params['step'], marks=params['marks'])
            if progress:
                entry, write, batch = issu_progress.update(
                    after, progress['event'], progress['hosts'], progress['batches'],
                    progress['member'], forks=progress['forks'], began_at=progress['began_at'])
                if write:
                    after = issu_state.plan(after, progress=entry)
            changed = after != before
            if changed and not module.check_mode:
                after = issu_state.save(path, after, before)

    began = bool(operation) and after['phase'] != before['phase'] and \
        after['phase'] == issu_state.OPERATIONS[operation].running
    result = issu_state.summary(before, after, operation, began=began)
    result.update(changed=changed,
                  diff=dict(before=before, after=after, before_header=path, after_header=path))
    if progress:
        result.update(progress=entry, batch=batch,
                      message=issu_progress.message(entry, batch, written=write))
    return result


def main():
    IssuModule(
        dict(
            path=dict(type='path', default='/var/lib/contrail-issu/state.json'),
            operation=dict(type='str', choices=sorted(issu_state.OPERATIONS)),
            advance=dict(type='str', choices=['begin', 'complete']),
            expect=dict(type='list', elements='str', choices=list(issu_state.PHASES)),
            phase=dict(type='str', choices=list(issu_state.PHASES)),
            hosts=dict(type='dict'),
            northbound=dict(type='str', choices=list(issu_state.NORTHBOUND_STATES)),
            note=dict(type='str'),
            step=dict(type='list', elements='str'),
            marks=dict(type='dict'),
            progress=dict(type='dict', options=dict(
                event=dict(type='str', choices=list(issu_progress.EVENTS), required=True),
                hosts=dict(type='list', elements='str', required=True),
                batches=dict(type='list', elements='int', required=True),
                member=dict(type='str', required=True),
                forks=dict(type='int'),
                began_at=dict(type='str'),
            )),
        ),
        mutually_exclusive=[('advance', 'phase')],
        required_by={'advance': 'operation'},
    ).run_and_exit(run)


if __name__ == '__main__':
    main()
