# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of the compute phase: batch k of n, computes done / failed / left, time left.

The rolling play keeps one ``progress`` entry in the ISSU state record (overwritten, never
appended to, so the record stays O(computes)). It is written when a batch begins and when it
ends, by the play's one ``run_once`` task, never per compute:

* ``batch``, ``batches``: the batch (1-based) and how many the run has; ``batch_first``: its
  first compute (the name the computes' own ``batch`` entries give it);
* ``state``: ``running`` from its begin, ``done`` once it ended (a batch stopped by a failure
  stays ``running``); ``began_at``, ``seconds`` (its duration, once done);
* ``done`` (computes of the run recorded on v2), ``failed`` (computes of the batches that ran,
  not on v2), ``left`` (computes of the batches still to run, not on v2);
* ``eta_seconds``: the time left, or None before any batch that moved a compute was measured;
* ``measured``: ``seconds`` and ``rounds`` of the batches measured so far in this ISSU;
* ``updated_at``.

The estimate: a batch runs its computes ``forks`` at a time (Ansible's worker processes), so
a batch of n computes that move takes ceil(n / forks) rounds. Each batch that moved a compute
adds its duration and its rounds to ``measured``; the time left is the measured seconds per
round times the rounds of the batches still to run, counting the computes the record does not
have on v2. A batch whose computes were all on v2 already measures nothing.

A re-run that has nothing to do changes nothing: a batch whose computes the record has on v2
writes no begin, and an end is written only for the begin this run wrote (the caller passes the
``began_at`` its begin returned).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state

EVENTS = ('begin', 'end')


def batch_of(hosts, sizes, member):
    """(index from 1, the batch's hosts) of the batch ``member`` is in, for the play's ``hosts``
    in order and the batch sizes Ansible uses (the ``serial_batches`` filter's answer): serial
    batches take the hosts in order, ``sizes[0]`` of them first, and so on."""
    hosts, sizes = list(hosts), [int(size) for size in sizes]
    if sum(sizes) != len(hosts) or any(size < 1 for size in sizes):
        raise issu_state.StateError(
            'the batch sizes %s do not split the %d computes of the play; give the sizes '
            'serial_batches returns for them' % (sizes, len(hosts)))
    if member not in hosts:
        raise issu_state.StateError('%s is not one of the computes of the play (%s)'
                                    % (member, ', '.join(hosts)))
    position, start = hosts.index(member), 0
    for index, size in enumerate(sizes, 1):
        if position < start + size:
            return index, hosts[start:start + size]
        start += size
    raise issu_state.StateError('unreachable: %s not in any batch' % member)  # pragma: no cover


def split(hosts, sizes):
    """The batches' hosts, in order."""
    batches, start = [], 0
    for size in sizes:
        batches.append(list(hosts[start:start + size]))
        start += size
    return batches


def rounds(count, forks):
    """Rounds a batch of ``count`` moving computes takes, ``forks`` at a time (one round when
    ``forks`` is not known); 0 for none."""
    if count <= 0:
        return 0
    if not forks or forks < 1:
        return 1
    return -(-count // int(forks))


def counts(statuses, batches, ran):
    """(done, failed, left) over the run's computes: done = recorded on v2; failed = in the
    first ``ran`` batches and not on v2; left = in the batches after them and not on v2."""
    done = failed = left = 0
    for index, batch in enumerate(batches, 1):
        for host in batch:
            if statuses.get(host) == 'v2':
                done += 1
            elif index <= ran:
                failed += 1
            else:
                left += 1
    return done, failed, left


def eta(measured, statuses, batches, ran, forks):
    """Seconds left for the batches after the first ``ran``, from ``measured``; 0 when nothing is
    left, None when nothing was measured yet."""
    to_move = [len([h for h in batch if statuses.get(h) != 'v2']) for batch in batches[ran:]]
    if not any(to_move):
        return 0.0
    measured = measured or {}
    if not measured.get('rounds'):
        return None
    per_round = float(measured['seconds']) / measured['rounds']
    return round(per_round * sum(rounds(count, forks) for count in to_move), 1)


def moved(hosts_record, batch, since):
    """The computes of ``batch`` whose swap began at or after ``since`` (an 'upgrading' entry in
    their history; record stamps compare as text)."""
    return [host for host in batch
            if any(entry.get('status') == 'upgrading' and entry.get('at', '') >= since
                   for entry in (hosts_record.get(host) or {}).get('history') or [])]


def update(record, event, hosts, sizes, member, forks=None, began_at=None, now=None):
    """``(entry, write, batch)`` for ``event`` ('begin' or 'end') of the batch ``member`` is in.

    ``entry``: the progress as of now (what the play shows); ``write``: whether it is to be
    recorded (see the module docstring for when it is not); ``batch``: ``{index, count,
    hosts}``. ``began_at``: for 'end', the ``began_at`` of the entry the batch's begin returned.
    ``record`` is not modified.
    """
    if event not in EVENTS:
        raise issu_state.StateError('progress event %r: use one of %s' % (event, ', '.join(EVENTS)))
    now = now or issu_state.utcnow()
    index, members = batch_of(hosts, sizes, member)
    batches = split(list(hosts), [int(size) for size in sizes])
    hosts_record = record.get('hosts') or {}
    statuses = dict((name, host.get('status')) for name, host in hosts_record.items())
    previous = record.get('progress') or {}
    measured = dict(previous.get('measured') or {'seconds': 0.0, 'rounds': 0})
    entry = {'batch': index, 'batches': len(batches), 'batch_first': members[0],
             'updated_at': now}
    if event == 'begin':
        ran = index - 1
        write = any(statuses.get(host) != 'v2' for host in members)
        entry.update(state='running', began_at=now, seconds=None)
    else:
        ran = index
        write = (bool(began_at) and previous.get('state') == 'running'
                 and previous.get('began_at') == began_at
                 and previous.get('batch_first') == members[0])
        seconds = round(issu_state.epoch(now) - issu_state.epoch(began_at), 1) if write else None
        entry.update(state='done', began_at=began_at if write else None, seconds=seconds)
        swapped = moved(hosts_record, members, began_at) if write else []
        if swapped:
            measured = {'seconds': round(measured['seconds'] + seconds, 1),
                        'rounds': measured['rounds'] + rounds(len(swapped), forks)}
    done, failed, left = counts(statuses, batches, ran)
    entry.update(done=done, failed=failed, left=left, measured=measured,
                 eta_seconds=eta(measured, statuses, batches, ran, forks))
    return entry, write, {'index': index, 'count': len(batches), 'hosts': members}


def duration(seconds):
    """'45 s', '2 min 05 s', '12 min', '3 h 05 min'."""
    seconds = int(round(seconds))
    if seconds < 90:
        return '%d s' % seconds
    if seconds < 600:
        return '%d min %02d s' % (seconds // 60, seconds % 60)
    minutes = int(round(seconds / 60.0))
    if minutes < 90:
        return '%d min' % minutes
    return '%d h %02d min' % (minutes // 60, minutes % 60)


def time_left(entry):
    seconds = entry.get('eta_seconds')
    if seconds is None:
        return 'time left not known yet (measured from the batches that move computes)'
    if not entry.get('left'):
        return 'nothing left'
    return 'about %s left' % duration(seconds)


def counted(entry):
    return '%d on v2, %d failed, %d left' % (entry['done'], entry['failed'], entry['left'])


def message(entry, batch, written=True):
    """What the play says for one event: batch k of n, its computes, done / failed / left, time
    left."""
    head = 'Batch %d of %d' % (entry['batch'], entry['batches'])
    if entry['state'] == 'running':
        if not written:
            return '%s (%s): on v2 already by the record; %s; %s' % (
                head, ', '.join(batch['hosts']), counted(entry), time_left(entry))
        return '%s begins (%s): %s; %s' % (head, ', '.join(batch['hosts']), counted(entry),
                                           time_left(entry))
    took = ' in %s' % duration(entry['seconds']) if entry.get('seconds') is not None else ''
    return '%s done%s: %s; %s' % (head, took, counted(entry), time_left(entry))


def describe(entry):
    """The record's progress in one line (the report), or None when there is none."""
    if not entry:
        return None
    head = 'batch %d of %d' % (entry['batch'], entry['batches'])
    if entry['state'] == 'running':
        state = ('began %s, not recorded done (running, or stopped by a failure: see the '
                 'computes)' % entry['began_at'])
    else:
        took = ' in %s' % duration(entry['seconds']) if entry.get('seconds') is not None else ''
        state = 'done%s at %s' % (took, entry['updated_at'])
    return '%s %s: %s; %s' % (head, state, counted(entry), time_left(entry))
