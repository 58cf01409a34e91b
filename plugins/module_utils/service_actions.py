# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed actions on a host: what a module plans, shows in check mode and then carries out.

A module turns the state it wants into a list of actions (:class:`Command`,
:class:`WriteFile`, :class:`RemoveFile`, :class:`ServiceAction`); ``describe()`` is the line an
operator sees in ``actions`` (check mode included), ``diff`` what ``--diff`` shows, and
:func:`carry_out` runs them in order, stopping at the first that fails. Nothing is parsed back
from its text.

Every command goes through :func:`run_checked`: ``runner(args, environ_update=None)`` ->
``(rc, stdout, stderr)`` (``AnsibleModule.run_command`` or a wrapper of it), run under
``LC_ALL=C``; an exit status that is not an answer raises :class:`ServiceError` with the
command, its status and its output.
"""

from __future__ import annotations

__metaclass__ = type

import os

from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import write_atomic
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

#: How much of a failed command's output its message quotes (the whole is in ``output``).
MESSAGE_TAIL = 300


class ServiceError(IssuError):
    """A service command failed, or the host's service manager is not one we know."""

    result_key = 'command'

    def __init__(self, message, cmd=None, rc=None, output=None, stdout='', stderr=''):
        super(ServiceError, self).__init__(message)
        self.cmd, self.rc = cmd, rc
        self.stdout, self.stderr = stdout or '', stderr or ''
        self.output = (self.stdout + self.stderr) if output is None else output

    def to_dict(self):
        return dict(msg=str(self), cmd=self.cmd, rc=self.rc,
                    output_lines=(self.output or '').splitlines()[-20:])


def run_checked(runner, args, ok_codes=(0,), failure=None):
    """Run ``args`` under ``LC_ALL=C`` -> ``(rc, stdout, stderr)``.

    ``ok_codes`` are the exit statuses that are answers (None: every status is one, for a
    query whose status is part of its answer); ``failure(rc, out, err)``, when given, tells a
    failure the status does not (supervisorctl prints ``ERROR`` and exits 0). A failure
    raises :class:`ServiceError` with the command, its status and its output.
    """
    args = [str(arg) for arg in args]
    rc, out, err = runner(args, environ_update={'LC_ALL': 'C'})
    out, err = out or '', err or ''
    if (ok_codes is not None and rc not in ok_codes) or (failure is not None and failure(rc, out, err)):
        cmd = ' '.join(args)
        raise ServiceError('%s failed (rc=%s): %s' % (cmd, rc, (err or out).strip()[-MESSAGE_TAIL:]),
                           cmd=cmd, rc=rc, stdout=out, stderr=err)
    return rc, out, err


class Action:
    """One step of a plan. ``starts``: after it the service it acts on runs a fresh process."""

    starts = False
    diff = None

    def describe(self):
        raise NotImplementedError

    def run(self):
        raise NotImplementedError

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__, self.describe())


class Command(Action):
    """A command run with :func:`run_checked` (``text`` replaces the command line in plans)."""

    def __init__(self, runner, args, ok_codes=(0,), starts=False, text=None):
        self.runner, self.args, self.ok_codes = runner, list(args), ok_codes
        self.starts, self.text = starts, text

    def describe(self):
        return self.text or ' '.join(str(arg) for arg in self.args)

    def run(self):
        run_checked(self.runner, self.args, self.ok_codes)


class WriteFile(Action):
    """Replace a file's content (atomically); ``verb`` is how plans name it (write, edit)."""

    def __init__(self, path, before, after, verb='write'):
        self.path, self.before, self.after, self.verb = path, before, after, verb
        self.diff = dict(before_header=path, after_header=path, before=before, after=after)

    @property
    def changes(self):
        return self.before != self.after

    def describe(self):
        return '%s %s' % (self.verb, self.path)

    def run(self):
        write_atomic(self.path, self.after)


class RemoveFile(Action):
    """Remove a file (one already gone is what was asked)."""

    def __init__(self, path):
        self.path = path

    def describe(self):
        return 'remove %s' % self.path

    def run(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class ServiceAction(Action):
    """A verb of a service manager's client on named services (``supervisorctl stop x``,
    ``systemctl enable x``, ``docker restart x``): the client says how it reads and runs it."""

    STARTING_VERBS = ('start', 'restart', 'update')

    def __init__(self, client, verb, *names):
        self.client, self.verb, self.names = client, verb, list(names)
        self.starts = verb in self.STARTING_VERBS

    def describe(self):
        return self.client.describe(self.verb, *self.names)

    def run(self):
        self.client.act(self.verb, *self.names)


def describe_all(actions):
    """The plan as operators read it (the modules' ``actions`` return value)."""
    return [action.describe() for action in actions]


def diffs_of(actions):
    """The ``--diff`` entries of the plan's file actions."""
    return [action.diff for action in actions if action.diff is not None]


def carry_out(actions, check_mode=False):
    """Run the actions in order (none in check mode); the first failure raises. Returns the
    plan's text (:func:`describe_all`)."""
    if not check_mode:
        for action in actions:
            action.run()
    return describe_all(actions)
