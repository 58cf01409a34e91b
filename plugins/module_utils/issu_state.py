# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ISSU state record: a JSON file on the ``issu_task`` host, and one file a compute beside it.

It holds the phase of the upgrade, its history, the per-compute status and the northbound freeze
windows. The record's file (``path``) holds everything but the computes; each compute's entry is a
file of its own in ``<path>.hosts/<hosts_id>/`` (``hosts_id`` names this record's generation of
entries, so entries left by an earlier record at the same path are never read as this one's). A
compute's write reads and writes its own entry and the small record, never the other computes':
its cost does not grow with the number of computes. ``load`` returns the whole record (``hosts``
filled from the entries), or with ``hosts=`` just the named computes. A record whose file holds
its computes itself (``version`` 1, no ``hosts_id``) is read as it is, and its entries move to
their own files at its next write. Every phase playbook reads it first and checks the transition it is about to make, so a
phase run out of order is refused with the name of the playbook to run instead, and an
interrupted run resumes from what the record says.

The phase machine is one table, ``OPERATIONS``: each operation a phase playbook performs, the
phases it may begin or resume from, the phase while it runs, the phase it ends in, its milestones
and what it allows. The transitions are derived from it::

    new -> starting -> started -> finalizing -> finalized
              |           |
              +-----------+--> aborting -> aborted -> starting ...

``starting``/``finalizing``/``aborting`` mean "begun, not yet complete": re-running the same
playbook resumes it. ``finalizing`` is the point of no return: compute rollback and abort are
refused from there on.

A playbook asks ``answer(record, operation)`` its questions once ("may I run? is there anything
left to do? am I resuming? which milestones are behind me? may northbound open after a
failure?") and each play guards on the answer, not on a list of phases.

Inside a phase, ``steps`` dates the milestones a resumed run must not repeat (finalize records
``synced`` once v2 holds v1's final config and ``switched`` once northbound points at v2: after
that, post-sync and zk-sync would overwrite what v2 has served since). ``marks`` keeps the latest
value of what a later run compares with (``run_sync_repaired``: the start time of the run-sync
whose restart v2 was last repaired for, so one restart is repaired once, not before every batch).
``progress`` is the compute phase's last batch, counts and time left (``issu_progress``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import copy
import datetime
import fcntl
import json
import os
import tempfile
import uuid

try:
    from urllib.parse import quote, unquote
except ImportError:  # Python 2
    from urllib import quote, unquote

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

RECORD_VERSION = 2
RECORD_VERSIONS = (1, 2)    # 1: the computes inside the record's file

PHASES = ('new', 'starting', 'started', 'finalizing', 'finalized', 'aborting', 'aborted')


class Operation(collections.namedtuple('Operation', (
        'playbook', 'enter', 'running', 'done', 'complete_in', 'runs_in', 'milestones',
        'frozen_until'))):
    """One row of the phase machine.

    ``enter``: the phases it begins from. ``running``: the phase while it runs (re-running the
    playbook there resumes it). ``done``: the phase it ends in. ``complete_in``: phases in which
    it has nothing left to do (a re-run changes nothing). ``runs_in``: for operations that do not
    move the phase, the phases they may run in. ``milestones``: the steps of its running phase a
    resumed run must not repeat, in order. ``frozen_until``: the milestone until which a failure
    inside the running phase keeps northbound frozen (the old side no longer serves and the new
    one does not serve yet); None when a failure may always open it.
    """

    def allowed(self):
        """Every phase the operation's playbook may run in."""
        return self.runs_in + self.enter + ((self.running,) if self.running else ()) + self.complete_in


def _operation(playbook, enter=(), running=None, done=None, complete_in=(), runs_in=(),
               milestones=(), frozen_until=None):
    return Operation(playbook, tuple(enter), running, done, tuple(complete_in), tuple(runs_in),
                     tuple(milestones), frozen_until)


# The phase machine: the only place that says which phase each operation needs and leaves.
OPERATIONS = {
    'start': _operation('playbooks/issu_start.yml', enter=('new', 'aborted'), running='starting',
                        done='started', complete_in=('started', 'finalizing', 'finalized')),
    # After finalize, computes a forced finalize left on v1 may still move forward to v2.
    'computes': _operation('playbooks/issu_upgrade_computes.yml', runs_in=('started', 'finalized')),
    'rollback': _operation('playbooks/issu_rollback_computes.yml', runs_in=('started',)),
    'finalize': _operation('playbooks/issu_finalize.yml', enter=('started',), running='finalizing',
                           done='finalized', complete_in=('finalized',),
                           milestones=('synced', 'switched'), frozen_until='switched'),
    'abort': _operation('playbooks/issu_abort.yml', enter=('starting', 'started'), running='aborting',
                        done='aborted', complete_in=('aborted',)),
}

# The point of no return: from this phase on no compute goes back to v1.
NO_RETURN = OPERATIONS['finalize'].running


def _transitions():
    moves = dict((phase, []) for phase in PHASES)
    for op in OPERATIONS.values():
        if op.running:
            for phase in op.enter:
                moves[phase].append(op.running)
            moves[op.running].append(op.done)
    return dict((phase, tuple(targets)) for phase, targets in moves.items())


TRANSITIONS = _transitions()

# Phases from which the ISSU can still return every compute to v1 (before the point of no return).
REVERSIBLE = tuple(phase for phase in PHASES
                   if phase not in (NO_RETURN, OPERATIONS['finalize'].done))

NEXT_STEP = {
    'new': 'run playbooks/issu_preflight.yml, then playbooks/issu_start.yml',
    'starting': 're-run playbooks/issu_start.yml to complete the start, or playbooks/issu_abort.yml',
    'started': ('run playbooks/issu_upgrade_computes.yml (or playbooks/issu_rollback_computes.yml), '
                'then playbooks/issu_finalize.yml; playbooks/issu_abort.yml returns to v1'),
    'finalizing': 're-run playbooks/issu_finalize.yml to complete the finalize (no rollback is possible)',
    'finalized': 'nothing: the ISSU is complete',
    'aborting': 're-run playbooks/issu_abort.yml to complete the abort',
    'aborted': 'run playbooks/issu_start.yml to begin a new ISSU',
}

HOST_STATUSES = ('v1', 'upgrading', 'v2', 'rolling_back', 'failed')
NORTHBOUND_STATES = ('open', 'frozen')


class StateError(IssuError):
    """A refused transition or an unreadable record; the message tells the operator what to do."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def epoch(stamp):
    """Epoch seconds of a record timestamp (``utcnow()`` format)."""
    return (datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ') -
            datetime.datetime(1970, 1, 1)).total_seconds()


def phase_since(record):
    """Epoch seconds at which the record entered its current phase (None for ``new``)."""
    entered = [h['at'] for h in record['history'] if h['phase'] == record['phase']]
    return epoch(entered[-1]) if entered else None


def empty_record():
    return {
        'version': RECORD_VERSION,
        'hosts_id': None,               # set by the first save
        'phase': 'new',
        'history': [],
        'hosts': {},
        'northbound': {'state': 'open', 'since': None, 'windows': []},
        'steps': {},
        'marks': {},
    }


def hosts_dir(path, hosts_id):
    """The directory of one generation of the record's compute entries."""
    return os.path.join(path + '.hosts', hosts_id)


def _read_json(path, what):
    try:
        with open(path) as handle:
            return json.load(handle)
    except ValueError as exc:
        raise StateError('%s %s is not valid JSON (%s); %s' % (what, path, exc, (
            'restore it from its backup %s.bak (all but the computes, which are in %s.hosts) '
            'or fix it by hand' % (path, path))
            if what == 'the ISSU state record' else 'fix it by hand or remove it'))


def load(path, hosts=None):
    """Read the record; a missing file is a fresh ISSU (phase ``new``).

    ``hosts``: the computes to read (a list); the returned ``hosts`` holds just those that have an
    entry. None reads them all.
    """
    try:
        record = _read_json(path, 'the ISSU state record')
    except IOError as exc:
        if exc.errno == 2:
            return empty_record()
        raise StateError('cannot read the ISSU state record %s: %s' % (path, exc))
    if record.get('version') not in RECORD_VERSIONS or record.get('phase') not in PHASES:
        raise StateError('the ISSU state record %s has an unknown version or phase %r'
                         % (path, record.get('phase')))
    record.setdefault('steps', {})      # records written before steps existed
    record.setdefault('marks', {})      # ... and before marks existed
    record.setdefault('hosts', {})
    if record.get('hosts_id'):
        directory = hosts_dir(path, record['hosts_id'])
        if not os.path.isdir(directory):
            raise StateError('the computes of the ISSU state record %s are missing: %s does not exist '
                             '(the record and its %s.hosts directory are kept together; restore both)'
                             % (path, directory, path))
        if hosts is None:
            try:
                names = [unquote(name[:-5]) for name in os.listdir(directory) if name.endswith('.json')]
            except OSError as exc:
                raise StateError('cannot read the computes of the ISSU state record in %s: %s'
                                 % (directory, exc))
        else:
            names = hosts
        for name in names:
            entry_path = os.path.join(directory, quote(name, safe='') + '.json')
            try:
                record['hosts'][name] = _read_json(entry_path, "a compute's entry of the ISSU state record")
            except IOError as exc:
                if exc.errno != 2:
                    raise StateError('cannot read %s: %s' % (entry_path, exc))
    return record


def check_transition(current, target):
    """Raise StateError unless ``current -> target`` is allowed (staying in a phase always is)."""
    if target == current or target in TRANSITIONS[current]:
        return
    raise StateError('the ISSU is in phase %r and cannot move to %r. Next: %s.'
                     % (current, target, NEXT_STEP[current]))


def check_expected(current, expect):
    """Raise StateError unless the current phase is one of ``expect``."""
    if expect and current not in expect:
        raise StateError('this step needs the ISSU in phase %s, but it is in phase %r. Next: %s.'
                         % (' or '.join(repr(p) for p in expect), current, NEXT_STEP[current]))


def answer(record, operation, began=False):
    """What the phase machine says to ``operation``'s playbook about ``record``.

    Raises StateError, naming the playbook to run instead, when the operation may not run in the
    current phase. ``began``: this call moved the ISSU into the operation's running phase.
    """
    op = OPERATIONS[operation]
    phase = record['phase']
    if phase not in op.allowed():
        raise StateError('%s needs the ISSU in phase %s, but it is in phase %r. Next: %s.'
                         % (op.playbook, ' or '.join(repr(p) for p in op.allowed()), phase,
                            NEXT_STEP[phase]))
    steps = record.get('steps', {}) if op.running and phase == op.running else {}
    behind = [m for m in op.milestones if m in steps]
    in_freeze_window = (op.frozen_until is not None and phase == op.running
                        and op.frozen_until not in steps)
    return {
        'name': operation,
        'to_do': phase not in op.complete_in,
        'began': began,
        'resuming': bool(op.running) and phase == op.running and not began,
        'behind': behind,
        'irreversible': phase not in REVERSIBLE,
        'rollback_allowed': phase in REVERSIBLE and phase != 'new',
        'follows_v1': phase == OPERATIONS['start'].done,
        'northbound_may_open': not in_freeze_window,
    }


def summary(before, after, operation=None, began=False):
    """What opencontrail.issu.issu_state returns about a record that went from ``before`` to
    ``after``: the record, its phase and next step and, for ``operation``, the phase table's
    answer (:func:`answer`)."""
    result = dict(
        record=after,
        phase=after['phase'],
        phase_since=phase_since(after),
        previous_phase=before['phase'],
        irreversible=after['phase'] not in REVERSIBLE,
        next_step=NEXT_STEP[after['phase']],
    )
    if operation:
        result['operation'] = answer(after, operation, began=began)
    return result


def check_steps_allowed(path, operation, steps):
    """Raise StateError unless ``operation`` may run now and may date ``steps``, as the record
    at ``path`` stands (read without the lock: a check before work whose end is recorded)."""
    record = load(path)
    answer(record, operation)
    check_step(operation, steps, record)


def record_steps(path, operation, steps, check=False):
    """Date ``steps``, milestones of ``operation``, in the record at ``path`` as
    ``issu_state(operation=..., step=...)`` does, under the lock -> (changed, :func:`summary`).
    ``check``: computed, not written."""
    with Locked(path, create=not check):
        before = load(path)
        answer(before, operation)
        check_step(operation, steps, before)
        after = plan(before, step=steps)
        changed = after != before
        if changed and not check:
            after = save(path, after, before)
    return changed, summary(before, after, operation)


def advance(record, operation, to, note=None, now=None):
    """The record after ``operation`` begins (``to='begin'``) or completes (``to='complete'``)."""
    op = OPERATIONS[operation]
    if not op.running:
        raise StateError('%s does not move the ISSU phase' % operation)
    phase = record['phase']
    if to == 'begin':
        target = op.running if phase in op.enter else phase
        if phase not in op.enter + (op.running,):
            raise StateError('%s cannot begin: the ISSU is in phase %r. Next: %s.'
                             % (op.playbook, phase, NEXT_STEP[phase]))
    else:
        if phase not in (op.running, op.done):
            raise StateError('%s cannot complete: the ISSU is in phase %r. Next: %s.'
                             % (op.playbook, phase, NEXT_STEP[phase]))
        target = op.done
    return plan(record, phase=target, note=note, now=now)


def _steps(step):
    """``step`` (a milestone, a list of them, or None) as a list."""
    if step is None:
        return []
    return [step] if isinstance(step, str) else list(step)


def check_step(operation, step, record=None):
    """Raise StateError unless each of ``step`` (a milestone or a list) is a milestone of
    ``operation`` and, with ``record``, every milestone before it is behind or dated with it."""
    op = OPERATIONS[operation]
    steps = _steps(step)
    for name in steps:
        if name not in op.milestones:
            raise StateError('%r is not a milestone of %s (its milestones: %s)'
                             % (name, operation, ', '.join(op.milestones) or 'none'))
        if record is not None:
            dated = set(record.get('steps') or {}) | set(steps)
            missing = [m for m in op.milestones[:op.milestones.index(name)] if m not in dated]
            if missing:
                raise StateError('%s cannot be recorded before %s' % (name, ', '.join(missing)))


def plan(record, phase=None, hosts=None, northbound=None, note=None, now=None, step=None,
         marks=None, progress=None):
    """Return the new record for the requested changes; ``record`` is not modified.

    ``step``: a milestone or a list of them, each dated once (a list all with the same time).

    ``progress``: the compute phase's progress entry (``issu_progress.update``), replacing the
    one recorded before.

    Only real changes touch timestamps, so applying the same request twice returns an equal
    record (idempotency is a plain ``==``).
    """
    now = now or utcnow()
    new = copy.deepcopy(record)
    if phase is not None and phase != record['phase']:
        check_transition(record['phase'], phase)
        new['phase'] = phase
        new['history'].append({'phase': phase, 'at': now, 'note': note})
        if phase == 'starting':
            new['steps'] = {}               # a new ISSU after an abort starts with none
            new['marks'] = {}
            new.pop('progress', None)       # ... and without the last compute phase's progress
    for name in _steps(step):
        if name not in new['steps']:
            new['steps'][name] = now
    if progress is not None and new.get('progress') != progress:
        new['progress'] = progress
    for name, value in (marks or {}).items():
        if new['marks'].get(name) != value:
            new['marks'][name] = value
    for host, wanted in (hosts or {}).items():
        current = new['hosts'].get(host, {})
        merged = dict(current)
        merged.update((k, v) for k, v in wanted.items() if v is not None and k != 'history')
        if merged != current:
            merged['updated_at'] = now
            if merged.get('status') != current.get('status'):
                # Every status change is kept: it dates each compute's outage window.
                merged['history'] = list(current.get('history', [])) + [
                    {'status': merged.get('status'), 'at': now}]
            new['hosts'][host] = merged
    if northbound is not None and northbound != record['northbound']['state']:
        nb = new['northbound']
        if northbound == 'frozen':
            nb['since'] = now
        else:
            nb['windows'].append({'frozen_at': nb['since'], 'opened_at': now, 'note': note})
            nb['since'] = None
        nb['state'] = northbound
    return new


def _write_json(path, data, mode=0o600, backup=False):
    """Write ``path`` atomically (temp file, fsync, rename); ``backup`` keeps the previous file as
    ``<path>.bak``."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.issu-state-')
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write('\n')
            handle.flush()
            os.fsync(handle.fileno())
        if backup and os.path.exists(path):
            os.link(path, tmp + '.bak')
            os.rename(tmp + '.bak', path + '.bak')
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_dir(directory):
    """Make the names written in ``directory`` (files renamed in, directories made) durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def save(path, record, before=None):
    """Write what changed since ``before`` (the record as loaded; None writes it all) and return
    the record as written.

    Each compute's entry that changed is written to its own file first, then the record's file
    (without the computes, the previous one kept as ``<path>.bak``) if anything else changed.
    Every file is written atomically (temp file, fsync, rename). A record without ``hosts_id``
    (a new one, or one whose file holds its computes) gets one, and all its computes are written,
    as they are without ``before``: ``record`` must then hold them all.
    """
    record = dict(record)
    hosts = record.pop('hosts', None) or {}
    old_hosts, old_main = {}, None
    split = not record.get('hosts_id')
    if split:
        record.update(hosts_id=uuid.uuid4().hex, version=RECORD_VERSION)
    elif before is not None and before.get('hosts_id') == record['hosts_id']:
        old_hosts = before.get('hosts') or {}
        old_main = dict((key, value) for key, value in before.items() if key != 'hosts')
    directory = hosts_dir(path, record['hosts_id'])
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
        _fsync_dir(os.path.dirname(directory))
        _fsync_dir(os.path.dirname(os.path.abspath(path)))
    written = False
    for name, entry in sorted(hosts.items()):
        if old_hosts.get(name) != entry:
            _write_json(os.path.join(directory, quote(name, safe='') + '.json'), entry)
            written = True
    if written:
        _fsync_dir(directory)       # the entries are there before the record that names them
    if record != old_main:
        main = dict(record, hosts={})
        # A record that held its computes leaves no backup that still holds them (restoring it
        # would bring back the computes of that moment): its backup is the record as split.
        _write_json(path, main, backup=not split)
        if split:
            _write_json(path + '.bak', main)
        _fsync_dir(os.path.dirname(os.path.abspath(path)))
    record['hosts'] = hosts
    return record


class Locked(object):
    """``with Locked(path):`` serialises writers (hosts of one batch update the record in parallel)."""

    def __init__(self, path, create=True):
        """With ``create=False`` (check mode) nothing is created: no directory, no lock file."""
        self.lock_path = path + '.lock'
        self.create = create
        self.handle = None

    def __enter__(self):
        directory = os.path.dirname(os.path.abspath(self.lock_path))
        if not os.path.isdir(directory):
            if not self.create:
                return self
            os.makedirs(directory, 0o700)
        if not self.create and not os.path.exists(self.lock_path):
            return self
        self.handle = open(self.lock_path, 'a')
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
        return False
