# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and inspect Contrail's role services, whichever way the host runs them.

Contrail 3.2 (and 4.0 on trusty) runs one supervisord per role behind an init service,
``supervisor-<role>`` (``service supervisor-vrouter stop``), whose programs are reached with
``supervisorctl -s unix:///var/run/supervisord_<role>.sock``. 4.0 on xenial has one systemd
unit per daemon (``contrail-vrouter-agent``, ``contrail-vrouter-nodemgr``). Modules say what
they want (stop the vRouter, restart the nodemgr, SIGHUP the agent); this file knows how.

Commands go through ``runner(args, environ_update=None)`` -> ``(rc, stdout, stderr)``.
"""

from __future__ import annotations

__metaclass__ = type

import os
import time

KINDS = ('supervisor', 'systemd')
SUPERVISOR_SOCKET_DIRS = ('/var/run', '/tmp')
#: Units of a role on systemd hosts (4.0 on xenial, contrail-status' unit lists). The first
#: names the role when detecting it (contrail-api is a template, contrail-api@N).
SYSTEMD_UNITS = {
    'vrouter': ('contrail-vrouter-agent', 'contrail-vrouter-nodemgr'),
    'config': ('contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager',
               'contrail-config-nodemgr'),
    'control': ('contrail-control', 'contrail-named', 'contrail-dns', 'contrail-control-nodemgr'),
}


class ServiceError(Exception):
    """A service command failed, or the host's service manager is not one we know."""

    def __init__(self, message, cmd=None, rc=None, output=''):
        super(ServiceError, self).__init__(message)
        self.cmd, self.rc, self.output = cmd, rc, output

    def to_dict(self):
        return dict(msg=str(self), cmd=self.cmd, rc=self.rc,
                    output_lines=(self.output or '').splitlines()[-20:])


class GaveUp(Exception):
    """The service manager has given up on a daemon it was asked to run: it will not start it
    again by itself, so waiting for the daemon to come up is pointless.

    Not a ServiceError: a poller retrying on ServiceError must stop on this one.
    """

    def __init__(self, program, state, manager, reason, after):
        self.program, self.state, self.manager = program, state, manager
        self.reason, self.after = reason, round(after, 1)
        super(GaveUp, self).__init__('%s is %s %ss after the start: %s'
                                     % (program, state, self.after, reason))

    def to_dict(self):
        return dict(program=self.program, state=self.state, manager=self.manager,
                    reason=self.reason, after=self.after)


#: States in which the manager has given up on a daemon at once. supervisor: FATAL (the
#: program exited before ``startsecs`` ``startretries`` times in a row); systemd: failed (the
#: unit's process failed and Restart= did not, or no longer does, start it again).
GAVE_UP_STATES = {
    'supervisor': {'FATAL': 'supervisor gave up starting it (it exited before startsecs, '
                            'startretries times in a row)'},
    'systemd': {'FAILED': 'systemd marked the unit failed (its process exited with an error '
                          'and it is not restarted)'},
}
#: States that mean the same once they last ``SETTLE_SECONDS``: supervisor restarts an EXITED
#: program with autorestart (true, or unexpected with an unexpected exit code) on its next
#: tick (~1 s), and lists an autostart program STOPPED only before its first tick; systemd
#: shows a unit that Restart= brings back as activating, not inactive. BACKOFF (supervisor)
#: and activating (systemd) are transient: the manager is still trying, and turns FATAL /
#: failed when it stops trying.
SETTLED_STATES = {
    'supervisor': {'EXITED': 'it exited and supervisor does not restart it (autorestart=false, '
                             'or autorestart=unexpected and an expected exit code)',
                   'STOPPED': 'it is stopped and supervisor does not start it'},
    'systemd': {'INACTIVE': 'its process ended and systemd does not restart it'},
}
SETTLE_SECONDS = 3.0
#: How often a wait asks the manager, and how long after the start it first asks: supervisor
#: cannot call a program FATAL before its first retries (1 + 2 + 3 s of backoff with the
#: defaults), and an agent that comes up at once is not delayed by a status query.
CHECK_EVERY = 1.0


class GiveUpWatch:
    """Tells, from the program states of a role, when its manager has given up on a daemon.

    ``poll()`` goes inside a wait's loop (it queries the manager at most every ``every``
    seconds, the first time ``every`` seconds after the watch starts); ``judge(states)`` judges
    states a caller already has. Both raise :class:`GaveUp`. A state that is neither given up
    nor settled (RUNNING, STARTING, BACKOFF, activating...) or that the manager does not report
    (supervisord not answering) lets the wait go on.
    """

    def __init__(self, svc, programs, settle=SETTLE_SECONDS, every=CHECK_EVERY,
                 clock=time.monotonic):
        self.svc, self.programs = svc, list(programs)
        self.settle, self.every, self.clock = settle, every, clock
        self.started = clock()
        self.next_check = self.started + every
        self.down_since = {}

    def poll(self):
        now = self.clock()
        if now < self.next_check:
            return
        self.next_check = now + self.every
        try:
            states = self.svc.programs()
        except ServiceError:
            return
        self.judge(states, now)

    def judge(self, states, now=None):
        now = self.clock() if now is None else now
        kind = self.svc.kind
        for name in self.programs:
            state = states.get(name)
            reason = GAVE_UP_STATES.get(kind, {}).get(state)
            if reason:
                raise GaveUp(name, state, kind, reason, now - self.started)
            reason = SETTLED_STATES.get(kind, {}).get(state)
            if not reason:
                self.down_since.pop(name, None)
                continue
            seen, since = self.down_since.get(name, (None, None))
            if seen != state:
                self.down_since[name] = (state, now)
            elif now - since >= self.settle:
                raise GaveUp(name, state, kind, '%s (for %ss)' % (reason, round(now - since, 1)),
                             now - self.started)


class SupervisorCtl:
    """``supervisorctl`` on one socket (any supervisord: a role's, or run-sync's own).

    The one supervisorctl client of the collection; rc 1-3 and 7 are states, not failures
    (supervisorctl status answers 3 when a program is not RUNNING); an ERROR line, a refused
    connection or a missing socket is a ServiceError.
    """

    def __init__(self, runner, socket):
        self.runner, self.socket = runner, socket

    def ctl(self, *args):
        cmd = ['supervisorctl', '-s', 'unix://%s' % self.socket] + list(args)
        rc, out, err = self.runner(cmd, environ_update={'LC_ALL': 'C'})
        text = (out or '') + (err or '')
        if rc not in (0, 1, 2, 3, 7) or 'ERROR' in text or 'refused connection' in text \
                or 'no such file' in text:
            raise ServiceError('%s failed (rc=%s): %s' % (' '.join(cmd), rc, text.strip()[-300:]),
                               cmd=' '.join(cmd), rc=rc, output=text)
        return text

    def answers(self):
        """True when a supervisord listens on the socket."""
        if not os.path.exists(self.socket):
            return False
        try:
            self.ctl('pid')
        except ServiceError:
            return False
        return True

    def states(self):
        return parse_supervisorctl_status(self.ctl('status'))

    def pid(self, name):
        try:
            text = self.ctl('pid', name).strip()
        except ServiceError:
            return 0
        return int(text) if text.isdigit() else 0


class Systemctl:
    """``systemctl`` for named units: the one systemd client of the collection."""

    def __init__(self, runner):
        self.runner = runner

    def query(self, verb, unit):
        """``is-active`` / ``is-enabled`` answer of one unit (``unknown`` when it has none)."""
        _rc, out, _err = self.runner(['systemctl', verb, unit], environ_update={'LC_ALL': 'C'})
        return (out or '').strip() or 'unknown'

    def main_pid(self, unit):
        _rc, out, _err = self.runner(['systemctl', 'show', '-p', 'MainPID', '--value', unit],
                                     environ_update={'LC_ALL': 'C'})
        text = (out or '').strip()
        return int(text) if text.isdigit() else 0

    def installed(self, unit, exists=os.path.exists):
        """The unit file exists under a running systemd."""
        if not exists('/run/systemd/system'):
            return False
        rc, out, _err = self.runner(['systemctl', 'list-unit-files', '%s.service' % unit],
                                    environ_update={'LC_ALL': 'C'})
        return rc == 0 and unit in (out or '')

    def active_states(self, units):
        """{unit: is-active answer} of several units in one call (is-active exits 3 when one
        is inactive: an answer, not a failure)."""
        states = self.run('is-active', *units, ok_codes=range(0, 5)).split()
        return dict(zip(units, states + ['unknown'] * (len(units) - len(states))))

    def run(self, *args, ok_codes=(0,)):
        """``systemctl <args>``; another exit than ``ok_codes`` is a ServiceError with the output."""
        cmd = ['systemctl'] + list(args)
        rc, out, err = self.runner(cmd, environ_update={'LC_ALL': 'C'})
        if rc not in ok_codes:
            raise ServiceError('%s failed (rc=%s): %s' % (' '.join(cmd), rc,
                                                          (err or out or '').strip()[-300:]),
                               cmd=' '.join(cmd), rc=rc, output=(out or '') + (err or ''))
        return out


class RoleService:
    """Common part: run a command, raise ServiceError with its output on failure."""

    kind = None

    def __init__(self, runner, role):
        self.runner, self.role = runner, role

    def _run(self, args, ok_codes=(0,)):
        rc, out, err = self.runner(args, environ_update={'LC_ALL': 'C'})
        if rc not in ok_codes:
            detail = (err or out or '').strip()[-300:]
            raise ServiceError('%s failed (rc=%s): %s' % (' '.join(args), rc, detail),
                               cmd=' '.join(args), rc=rc, output=(out or '') + (err or ''))
        return rc, out


class SupervisorRole(RoleService):
    """``service supervisor-<role>`` + ``supervisorctl`` on the role's socket."""

    kind = 'supervisor'

    @property
    def service(self):
        return 'supervisor-%s' % self.role

    def socket(self, exists=os.path.exists):
        name = 'supervisord_%s.sock' % self.role
        paths = [os.path.join(d, name) for d in SUPERVISOR_SOCKET_DIRS]
        return next((p for p in paths if exists(p)), paths[0])

    def is_running(self):
        rc, _out = self._run(['service', self.service, 'status'], ok_codes=(0, 1, 2, 3, 4))
        return rc == 0

    def start(self):
        self._run(['service', self.service, 'start'])

    def stop(self):
        self._run(['service', self.service, 'stop'])

    def programs(self):
        """{program: supervisor state} ({} when supervisord does not answer)."""
        try:
            return SupervisorCtl(self.runner, self.socket()).states()
        except ServiceError:
            return {}

    def restart_program(self, program):
        self._ctl('restart', program)

    def stop_program(self, program):
        """Stop one program; one that is already stopped is what was asked."""
        try:
            self._ctl('stop', program)
        except ServiceError as exc:
            if 'not running' not in exc.output:
                raise

    def signal_program(self, program, signal='HUP'):
        self._ctl('signal', signal, program)

    def _ctl(self, *args):
        SupervisorCtl(self.runner, self.socket()).ctl(*args)

    def status(self):
        running = self.is_running()
        return dict(manager=self.kind, service=self.service,
                    state='running' if running else 'stopped',
                    programs=self.programs() if running else {})


class SystemdRole(RoleService):
    """One systemd unit per daemon of the role."""

    kind = 'systemd'

    @property
    def units(self):
        return SYSTEMD_UNITS.get(self.role, ())

    @property
    def systemctl(self):
        return Systemctl(self.runner)

    def is_running(self):
        return any(state == 'active' for state in self._states().values())

    def _states(self):
        return self.systemctl.active_states(self.units)

    def start(self):
        self.systemctl.run('start', *self.units)

    def stop(self):
        self.systemctl.run('stop', *self.units)

    def programs(self):
        return dict((unit, 'RUNNING' if state == 'active' else state.upper())
                    for unit, state in self._states().items())

    def restart_program(self, program):
        self.systemctl.run('restart', program)

    def stop_program(self, program):
        self.systemctl.run('stop', program)

    def signal_program(self, program, signal='HUP'):
        self.systemctl.run('kill', '--signal=%s' % signal, '--kill-who=main', program)

    def status(self):
        programs = self.programs()
        running = any(state == 'RUNNING' for state in programs.values())
        return dict(manager=self.kind, service=', '.join(self.units),
                    state='running' if running else 'stopped', programs=programs)


def detect(runner, role, which='auto', exists=os.path.exists):
    """The role's service manager: 'supervisor', 'systemd', or 'auto' (what the host has).

    ``auto`` prefers the supervisor init service when the host has one for the role (3.2 and
    4.0/trusty), and systemd when the role's units are installed under a running systemd.
    """
    if which == 'auto':
        which = _detect_kind(runner, role, exists)
    if which == 'supervisor':
        return SupervisorRole(runner, role)
    if which == 'systemd':
        return SystemdRole(runner, role)
    raise ServiceError('unknown service manager %r (supervisor, systemd or auto)' % which)


def _detect_kind(runner, role, exists):
    if exists('/etc/init.d/supervisor-%s' % role) or \
            exists('/etc/contrail/supervisord_%s.conf' % role):
        return 'supervisor'
    units = SYSTEMD_UNITS.get(role, ())
    if units and Systemctl(runner).installed(units[0], exists):
        return 'systemd'
    raise ServiceError('cannot tell how this host runs the %s role: no supervisor-%s init '
                       'service or supervisord_%s.conf, and no systemd unit %s'
                       % (role, role, role, units[0] if units else '?'))


def parse_supervisorctl_status(out):
    """``name  STATE  pid 12, uptime ...`` lines -> {name: STATE}; errors -> {}."""
    programs = {}
    for line in (out or '').splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].isupper() and fields[1].isalpha():
            programs[fields[0]] = fields[1]
    return programs
