# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ISSU state record: one JSON file on the ``issu_task`` host.

It holds the phase of the upgrade, its history, the per-compute status and the northbound freeze
windows. Every phase playbook reads it first and checks the transition it is about to make, so a
phase run out of order is refused with the name of the playbook to run instead, and an
interrupted run resumes from what the record says.

Phases and the transitions allowed between them::

    new -> starting -> started -> finalizing -> finalized
              |           |
              +-----------+--> aborting -> aborted -> starting ...

``starting``/``finalizing``/``aborting`` mean "begun, not yet complete": re-running the same
playbook resumes it. ``finalizing`` is the point of no return: compute rollback and abort are
refused from there on.

Inside a phase, ``steps`` dates the milestones a resumed run must not repeat (finalize records
``synced`` once v2 holds v1's final config and ``switched`` once northbound points at v2: after
that, post-sync and zk-sync would overwrite what v2 has served since). ``marks`` keeps the latest
value of what a later run compares with (``run_sync_repaired``: the start time of the run-sync
whose restart v2 was last repaired for, so one restart is repaired once, not before every batch).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import fcntl
import json
import os
import tempfile

RECORD_VERSION = 1

PHASES = ('new', 'starting', 'started', 'finalizing', 'finalized', 'aborting', 'aborted')

TRANSITIONS = {
    'new': ('starting',),
    'starting': ('started', 'aborting'),
    'started': ('finalizing', 'aborting'),
    'finalizing': ('finalized',),
    'finalized': (),
    'aborting': ('aborted',),
    'aborted': ('starting',),
}

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


class StateError(Exception):
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
        'phase': 'new',
        'history': [],
        'hosts': {},
        'northbound': {'state': 'open', 'since': None, 'windows': []},
        'steps': {},
        'marks': {},
    }


def load(path):
    """Read the record; a missing file is a fresh ISSU (phase ``new``)."""
    try:
        with open(path) as handle:
            record = json.load(handle)
    except IOError as exc:
        if exc.errno == 2:
            return empty_record()
        raise StateError('cannot read the ISSU state record %s: %s' % (path, exc))
    except ValueError as exc:
        raise StateError('the ISSU state record %s is not valid JSON (%s); restore it from its '
                         'backup %s.bak or fix it by hand' % (path, exc, path))
    if record.get('version') != RECORD_VERSION or record.get('phase') not in PHASES:
        raise StateError('the ISSU state record %s has an unknown version or phase %r'
                         % (path, record.get('phase')))
    record.setdefault('steps', {})      # records written before steps existed
    record.setdefault('marks', {})      # ... and before marks existed
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


def plan(record, phase=None, hosts=None, northbound=None, note=None, now=None, step=None,
         marks=None):
    """Return the new record for the requested changes; ``record`` is not modified.

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
    if step is not None and step not in new['steps']:
        new['steps'][step] = now
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


def save(path, record):
    """Write atomically (temp file + rename), keeping the previous record as ``<path>.bak``."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.issu-state-')
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump(record, handle, indent=2, sort_keys=True)
            handle.write('\n')
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            os.link(path, tmp + '.bak')
            os.rename(tmp + '.bak', path + '.bak')
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
