# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and inspect Contrail's services, whichever way the host runs them.

Three shapes of service manager:

- **supervisor** - Contrail 3.2 (and 4.0 on trusty) runs one supervisord per role behind an
  init service, ``supervisor-<role>`` (``service supervisor-vrouter stop``), whose programs are
  reached with ``supervisorctl -s unix:///var/run/supervisord_<role>.sock``;
- **systemd** - 4.0 on xenial has one unit per daemon (``contrail-vrouter-agent``);
- **container** - Contrail 4.x-21.x deployers run the daemons in docker or podman containers
  (``config_schema_1``, ``control_control_1``), driven with the runtime's CLI found on PATH.

Each shape has a client for named services (:class:`SupervisorCtl`, :class:`Systemctl`,
:class:`ContainerCli`) that reads their states, plans a verb as a typed
:class:`~service_actions.ServiceAction` (``action(verb, *names)``) and runs it (``act``), and a
role class (:class:`SupervisorRole`, :class:`SystemdRole`, :class:`ContainerRole`) for what a
module wants of a whole role (stop the vRouter, restart the nodemgr, SIGHUP the agent).
:func:`detect` tells the shape once; :func:`converge` turns a wanted state of named services
into actions. Modules run no manager command themselves.

Commands go through ``runner(args, environ_update=None)`` -> ``(rc, stdout, stderr)``, always by
:func:`~service_actions.run_checked`. One read is not a command: a supervisord's program states
are asked over its own XML-RPC interface on the socket (what supervisorctl itself speaks), in
the module's process, and with ``supervisorctl status`` only when the socket does not answer it.
So are a supervisord's stop, reread and update (see :meth:`SupervisorCtl.act`); other actions
(start, restart...) stay supervisorctl commands, under the runner's time limits.
"""

from __future__ import annotations

__metaclass__ = type

import http.client as http_client
import os
import shutil
import socket
import time
import xmlrpc.client as xmlrpc_client
from xml.parsers.expat import ExpatError

from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import (
    Command,
    ServiceAction,
    ServiceError,
    run_checked,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import WaitTimeout, wait_for

KINDS = ('supervisor', 'systemd', 'container')
#: What ``auto`` looks for unless the caller says which shapes it supports: a module that
#: installs packages must not mistake a container host for one it can upgrade.
AUTO_KINDS = ('supervisor', 'systemd')
SUPERVISOR_SOCKET_DIRS = ('/var/run', '/tmp')
#: The main supervisord (3.2's ``service supervisor``, /etc/supervisor/conf.d).
MAIN_SUPERVISOR_SOCKET = '/var/run/supervisor.sock'
#: Units of a role on systemd hosts (4.0 on xenial, contrail-status' unit lists). The first
#: names the role when detecting it (contrail-api is a template, contrail-api@N).
SYSTEMD_UNITS = {
    'vrouter': ('contrail-vrouter-agent', 'contrail-vrouter-nodemgr'),
    'config': ('contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager',
               'contrail-config-nodemgr'),
    'control': ('contrail-control', 'contrail-named', 'contrail-dns', 'contrail-control-nodemgr'),
    'issu': ('contrail-issu-run-sync',),
}
#: Containers of a role on container hosts, by the program each one runs (docker-compose
#: names of tf-ansible-deployer / contrail-kolla: ``<role>_<service>_1``). The first names the
#: role when detecting it; another deployer's names are given to :class:`ContainerRole`.
CONTAINERS = {
    'vrouter': (('contrail-vrouter-agent', 'vrouter_vrouter-agent_1'),
                ('contrail-vrouter-nodemgr', 'vrouter_nodemgr_1')),
    'config': (('contrail-schema', 'config_schema_1'),
               ('contrail-svc-monitor', 'config_svcmonitor_1'),
               ('contrail-device-manager', 'config_devicemgr_1'),
               ('contrail-config-nodemgr', 'config_nodemgr_1')),
    'control': (('contrail-control', 'control_control_1'), ('contrail-named', 'control_named_1'),
                ('contrail-dns', 'control_dns_1'), ('contrail-control-nodemgr', 'control_nodemgr_1')),
}
#: Container runtimes, in the order they are looked for on PATH.
CONTAINER_RUNTIMES = ('docker', 'podman')
#: States (as ``states()`` gives them) in which a service is running or about to: supervisor
#: keeps trying a BACKOFF program; systemd's activating/reloading and a restarting container
#: are on their way up.
ACTIVE_STATES = {
    'supervisor': ('RUNNING', 'STARTING', 'BACKOFF'),
    'systemd': ('RUNNING', 'ACTIVATING', 'RELOADING'),
    'container': ('RUNNING', 'RESTARTING'),
}


class GaveUp(IssuError):
    """The service manager has given up on a daemon it was asked to run: it will not start it
    again by itself, so waiting for the daemon to come up is pointless.

    Not a ServiceError: a poller retrying on ServiceError must stop on this one.
    """

    result_key = 'gave_up'

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
    'container': {'DEAD': 'the runtime could not stop or remove the container cleanly'},
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
    'container': {'EXITED': 'its process ended and its restart policy does not start it again',
                  'ABSENT': 'there is no such container'},
}
SETTLE_SECONDS = 3.0
#: supervisor states of a program not yet stopped (STOPPING: signalled, not yet reaped).
STOPPING_OR_UP = ACTIVE_STATES['supervisor'] + ('STOPPING',)
#: How often a stop over XML-RPC (:meth:`SupervisorCtl.stop_all`, ``act('stop', ...)``) asks
#: whether the programs are gone.
STOP_ALL_INTERVAL = 0.05
#: Seconds a program stopped over XML-RPC may take to go (supervisord KILLs it after its
#: ``stopwaitsecs``, 10 by default; ``supervisorctl stop`` would wait as long).
STOP_TIMEOUT = 120
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


def not_stopped(states):
    """The programs of ``states`` ({program: supervisor STATE}) not yet stopped, sorted."""
    return sorted(name for name, state in states.items() if state in STOPPING_OR_UP)


class SupervisorCtl:
    """``supervisorctl`` on one socket (any supervisord: a role's, the main one, supervisord_issu).

    The one supervisorctl client of the collection; rc 1-3 and 7 are states, not failures
    (supervisorctl status answers 3 when a program is not RUNNING); an ERROR line, a refused
    connection or a missing socket is a ServiceError. Verbs: start, stop, restart, reread,
    update (``update`` re-adds the programs whose file changed: it starts them when autostart).
    """

    kind = 'supervisor'
    OK_CODES = (0, 1, 2, 3, 7)

    def __init__(self, runner, socket):
        self.runner, self.socket = runner, socket

    def command(self, *args):
        return ['supervisorctl', '-s', 'unix://%s' % self.socket] + list(args)

    def ctl(self, *args):
        _rc, out, err = run_checked(self.runner, self.command(*args), self.OK_CODES,
                                    failure=_supervisorctl_failed)
        return out + err

    def describe(self, verb, *names):
        return ' '.join(['supervisorctl', verb] + list(names))

    def act(self, verb, *names):
        """Run a verb; stopping a program that is not running is what was asked.

        ``stop`` (of named programs), ``reread`` and ``update`` go over supervisord's XML-RPC
        interface when the socket answers it, as supervisorctl itself asks them, without its
        launch (a Python program of its own: ~0.5 s a call on a busy host, three for a program
        stopped and taken out of the configuration). ``supervisorctl <verb>`` otherwise, or when
        a call is refused (a program not running, a name supervisord does not know): its answer
        or its error then.
        """
        rpc = {'stop': self._rpc_stop, 'reread': self._rpc_reread, 'update': self._rpc_update}.get(verb)
        if rpc is not None and rpc(names):
            return
        try:
            self.ctl(verb, *names)
        except ServiceError as exc:
            if verb != 'stop' or 'not running' not in exc.output:
                raise

    def _rpc_stop(self, names):
        """``stopProcess`` of each named program without waiting (supervisord signals it at once;
        waiting, its answer comes on a later turn of its loop, which a Python 3 supervisord wakes
        from only once a second), then their states polled until none runs. False, nothing
        asked, for ``all`` (:meth:`stop_all`) or when the socket does not answer."""
        if not names or 'all' in names:
            return False
        for name in names:
            if rpc_call(self.socket, 'stopProcess', name, False) is None:
                return False
        self._wait_stopped(lambda: self.states(list(names)), ', '.join(names))
        return True

    def _rpc_reread(self, _names):
        """``reloadConfig``: supervisord reads its program files and tells what changed (applied
        by ``update``)."""
        return rpc_call(self.socket, 'reloadConfig') is not None

    def _rpc_update(self, names):
        """What ``supervisorctl update [names]`` asks: ``reloadConfig``, then each removed or
        changed group (of ``names`` when given) stopped and removed, each changed or added one
        added (which starts its autostart programs)."""
        changes = rpc_call(self.socket, 'reloadConfig')
        try:
            added, changed, removed = changes[0]
        except (TypeError, IndexError, ValueError):
            return False
        wanted = set(names) if names and 'all' not in names else None

        def mine(groups):
            return [group for group in groups if wanted is None or group in wanted]

        for group in mine(list(removed) + list(changed)):
            if rpc_call(self.socket, 'stopProcessGroup', group, False) is None:
                return False
            self._wait_stopped(lambda: self._group_states(group), 'group %s' % group)
            if rpc_call(self.socket, 'removeProcessGroup', group) is None:
                return False
        return all(rpc_call(self.socket, 'addProcessGroup', group) is not None
                   for group in mine(list(changed) + list(added)))

    def _group_states(self, group):
        return dict((name, state) for name, state in self.states().items()
                    if name == group or name.startswith(group + ':'))

    def _wait_stopped(self, states, what, timeout=None, interval=STOP_ALL_INTERVAL, sleep=time.sleep):
        """Poll ``states()`` until none of its programs runs -> their states; a ServiceError
        naming those still running ``timeout`` (STOP_TIMEOUT) seconds after supervisord was asked
        to stop ``what``."""
        timeout = STOP_TIMEOUT if timeout is None else timeout
        try:
            return wait_for(states, timeout=timeout, interval=interval,
                            until=lambda now: not not_stopped(now), retry_on=(ServiceError,),
                            sleep=sleep, describe='%s stopped on %s' % (what, self.socket))
        except WaitTimeout as exc:
            raise ServiceError('%s still running %ss after supervisord was asked to stop %s (on %s)%s'
                               % (', '.join(not_stopped(exc.last_value or {})) or 'some programs',
                                  timeout, what, self.socket,
                                  ': %s' % exc.last_error if exc.last_error else ''))

    def action(self, verb, *names):
        return ServiceAction(self, verb, *names)

    def load(self, *names):
        """The actions that make supervisord read changed program files and apply them (only
        to ``names`` when given, so no other program is restarted)."""
        return [self.action('reread'), self.action('update', *names)]

    def answers(self):
        """True when a supervisord listens on the socket (its XML-RPC answers, else
        ``supervisorctl pid`` does)."""
        if not os.path.exists(self.socket):
            return False
        if rpc_processes(self.socket) is not None:
            return True
        try:
            self.ctl('pid')
        except ServiceError:
            return False
        return True

    def states(self, names=None):
        """{program: STATE} of every program, or of ``names`` (UNKNOWN when not loaded).

        Over supervisord's XML-RPC interface when the socket answers it: ``supervisorctl`` is a
        Python program of its own (0.17 s of CPU a call on an idle host), and the swap's waits
        ask four times a second. ``supervisorctl status`` otherwise (no socket, a refused
        connection, a server that wants credentials): its answer, or its error.
        """
        states = rpc_states(self.socket)
        if states is None:
            states = parse_supervisorctl_status(self.ctl('status'))
        return states if names is None else dict((n, states.get(n, 'UNKNOWN')) for n in names)

    report = states

    def pid(self, name):
        """The program's pid, 0 when it is not running or not loaded (over XML-RPC when the
        socket answers it, like :meth:`states`)."""
        processes = rpc_processes(self.socket)
        if processes is not None:
            return processes.get(name, ('UNKNOWN', 0))[1]
        try:
            text = self.ctl('pid', name).strip()
        except ServiceError:
            return 0
        return int(text) if text.isdigit() else 0

    def signal(self, name, signal='HUP'):
        self.ctl('signal', signal, name)

    def stop_all(self, timeout, interval=STOP_ALL_INTERVAL, sleep=time.sleep):
        """Stop every program at once and return once none runs -> {program: STATE} then.

        supervisord's XML-RPC ``stopAllProcesses(False)`` signals them all in one turn of its
        loop and answers at once; their states are then polled every ``interval``. Neither its
        own shutdown (``service supervisor-<role> stop``: one group per turn of a loop that a
        Python 3 supervisord wakes from only once a second) nor ``supervisorctl stop all``
        (which answers on a later turn) is that quick. ``supervisorctl stop all`` when the
        socket does not answer XML-RPC. Stopped programs stay stopped: autorestart restarts only
        a program that exited by itself.
        """
        if rpc_call(self.socket, 'stopAllProcesses', False) is None:
            self.act('stop', 'all')
        return self._wait_stopped(self.states, 'every program', timeout, interval, sleep)

    def enabled(self, name):
        raise ServiceError('supervisor starts %s by the autostart of its program file, not by '
                           'a command: edit the file' % name)


def _supervisorctl_failed(_rc, out, err):
    text = out + err
    return 'ERROR' in text or 'refused connection' in text or 'no such file' in text


class Systemctl:
    """``systemctl`` for named units: the one systemd client of the collection. Verbs: start,
    stop, restart, enable, disable."""

    kind = 'systemd'

    def __init__(self, runner):
        self.runner = runner

    def command(self, *args):
        return ['systemctl'] + list(args)

    def run(self, *args, ok_codes=(0,)):
        """``systemctl <args>``; another exit than ``ok_codes`` is a ServiceError with the output."""
        return run_checked(self.runner, self.command(*args), ok_codes)[1]

    def query(self, verb, unit):
        """``is-active`` / ``is-enabled`` answer of one unit (``unknown`` when it has none)."""
        return self.run(verb, unit, ok_codes=None).strip() or 'unknown'

    def main_pid(self, unit):
        text = self.run('show', '-p', 'MainPID', '--value', unit, ok_codes=None).strip()
        return int(text) if text.isdigit() else 0

    pid = main_pid

    def installed(self, unit, exists=os.path.exists):
        """The unit file exists under a running systemd."""
        if not exists('/run/systemd/system'):
            return False
        rc, out, _err = run_checked(self.runner, self.command('list-unit-files', '%s.service' % unit),
                                    ok_codes=None)
        return rc == 0 and unit in out

    def active_states(self, units):
        """{unit: is-active answer} of several units in one call (is-active exits 3 when one
        is inactive: an answer, not a failure)."""
        states = self.run('is-active', *units, ok_codes=range(0, 5)).split()
        return dict(zip(units, states + ['unknown'] * (len(units) - len(states))))

    report = active_states

    def states(self, names):
        """{unit: RUNNING, or its is-active answer in capitals}."""
        return dict((unit, 'RUNNING' if state == 'active' else state.upper())
                    for unit, state in self.active_states(list(names)).items())

    def enabled(self, unit):
        return self.query('is-enabled', unit) == 'enabled'

    def describe(self, verb, *names):
        return ' '.join(self.command(verb, *names))

    def act(self, verb, *names):
        self.run(verb, *names)

    def action(self, verb, *names):
        return ServiceAction(self, verb, *names)

    def signal(self, unit, signal='HUP'):
        self.run('kill', '--signal=%s' % signal, '--kill-who=main', unit)


def restart_service(runner, name, exists=os.path.exists):
    """Restart a host's service ``name`` (neutron-server, say) with its init system:
    ``systemctl restart`` under a running systemd, ``service <name> restart`` otherwise
    (sysvinit, upstart). A failed restart raises ServiceError with the command's output."""
    if exists('/run/systemd/system'):
        Systemctl(runner).act('restart', name)
    else:
        run_checked(runner, ['service', name, 'restart'])


class ContainerCli:
    """The docker or podman CLI for named containers. Verbs: start, stop, restart, and enable /
    disable, which set the restart policy (``restart_policy``, Contrail's compose files say
    ``always``; ``no``): the runtime then starts the container with itself, or does not."""

    kind = 'container'
    INSPECT_FORMAT = '{{.State.Status}} {{.State.Pid}} {{.HostConfig.RestartPolicy.Name}}'
    VERBS = {'start': ('start',), 'stop': ('stop',), 'restart': ('restart',)}

    def __init__(self, runner, runtime, restart_policy='always'):
        self.runner, self.runtime, self.restart_policy = runner, runtime, restart_policy
        self.name = os.path.basename(runtime)

    def command(self, verb, *names):
        if verb == 'enable':
            args = ('update', '--restart=%s' % self.restart_policy)
        elif verb == 'disable':
            args = ('update', '--restart=no')
        elif verb in self.VERBS:
            args = self.VERBS[verb]
        else:
            raise ServiceError('%s: no %r verb for containers (start, stop, restart, enable, '
                               'disable)' % (self.name, verb))
        return [self.runtime] + list(args) + list(names)

    def describe(self, verb, *names):
        return ' '.join([self.name] + self.command(verb, *names)[1:])

    def act(self, verb, *names):
        run_checked(self.runner, self.command(verb, *names))

    def action(self, verb, *names):
        self.command(verb, *names)                      # a verb it has not is an error now
        return ServiceAction(self, verb, *names)

    def inspect(self, name):
        """dict(status, pid, restart) of a container, None when there is none of that name."""
        rc, out, _err = run_checked(
            self.runner, [self.runtime, 'inspect', '--format', self.INSPECT_FORMAT, name],
            ok_codes=None, failure=_inspect_failed)
        if rc != 0:
            return None
        fields = out.strip().split()
        fields += [''] * (3 - len(fields))
        return dict(status=fields[0].lower() or 'unknown',
                    pid=int(fields[1]) if fields[1].isdigit() else 0, restart=fields[2])

    def exists(self, name):
        return self.inspect(name) is not None

    def report(self, names):
        """{container: the runtime's status (running, exited, ...), absent when there is none}."""
        return dict((name, (self.inspect(name) or dict(status='absent'))['status'])
                    for name in names)

    def states(self, names):
        return dict((name, status.upper()) for name, status in self.report(names).items())

    def pid(self, name):
        seen = self.inspect(name)
        return seen['pid'] if seen and seen['status'] == 'running' else 0

    def enabled(self, name):
        seen = self.inspect(name)
        return bool(seen) and seen['restart'] not in ('', 'no')

    def signal(self, name, signal='HUP'):
        run_checked(self.runner, [self.runtime, 'kill', '--signal=%s' % signal, name])


def _inspect_failed(rc, out, err):
    """Only "no such container" is an answer of a failing inspect (docker rc 1, podman 125)."""
    return rc != 0 and 'no such' not in (out + err).lower()


def find_runtime(find=shutil.which):
    """The path of the first container runtime on PATH, or None."""
    return next((path for path in (find(name) for name in CONTAINER_RUNTIMES) if path), None)


def pidof(runner, name):
    """A process' pid by its name, however it was started (0 when none)."""
    _rc, out, _err = run_checked(runner, ['pidof', '-s', name], ok_codes=None)
    return int(out.strip()) if out.strip().isdigit() else 0


class Supervisord:
    """One supervisord: its client, and the action that starts it when it does not answer."""

    def __init__(self, ctl, start):
        self.ctl, self.start = ctl, start


def main_supervisord(runner):
    """The host's main supervisord (3.2: ``service supervisor``, programs in /etc/supervisor/conf.d)."""
    return Supervisord(SupervisorCtl(runner, MAIN_SUPERVISOR_SOCKET),
                       Command(runner, ['service', 'supervisor', 'start'], starts=True))


def program_supervisord(runner, program, socket):
    """A supervisord run as a program of the main one (4.x on trusty: ``supervisord_issu``)."""
    main = SupervisorCtl(runner, MAIN_SUPERVISOR_SOCKET)
    return Supervisord(SupervisorCtl(runner, socket),
                       Command(runner, main.command('start', program), starts=True))


def converge(client, names, running=None, enabled=None):
    """The actions that bring named services to a wanted state, in order, per service:
    enable/disable (the manager starts it by itself, at boot or after an exit, or not), then
    start/stop. None leaves that part as it is. Nothing when they are as wanted."""
    states = client.states(list(names)) if running is not None and names else {}
    active_states = ACTIVE_STATES[client.kind]
    actions = []
    for name in names:
        if enabled is not None and client.enabled(name) != enabled:
            actions.append(client.action('enable' if enabled else 'disable', name))
        if running is not None and (states.get(name) in active_states) != running:
            actions.append(client.action('start' if running else 'stop', name))
    return actions


class RoleService:
    """What modules want of a role, whatever runs it; ``client`` reaches its named services."""

    kind = None

    def __init__(self, runner, role):
        self.runner, self.role = runner, role

    @property
    def client(self):
        raise NotImplementedError

    def name_of(self, program):
        """The name the manager knows the program by."""
        return program

    def restart_program(self, program):
        self.client.act('restart', self.name_of(program))

    def stop_program(self, program):
        """Stop one program; one that is already stopped is what was asked."""
        self.client.act('stop', self.name_of(program))

    def signal_program(self, program, signal='HUP'):
        self.client.signal(self.name_of(program), signal)

    def pid(self, program):
        """The program's pid as the manager knows it (0 when not running)."""
        return self.client.pid(self.name_of(program))

    def status(self):
        programs = self.programs()
        running = any(state == 'RUNNING' for state in programs.values())
        return dict(manager=self.kind, service=self.service,
                    state='running' if running else 'stopped', programs=programs)


class SupervisorRole(RoleService):
    """``service supervisor-<role>`` + ``supervisorctl`` on the role's socket."""

    kind = 'supervisor'

    @property
    def service(self):
        return 'supervisor-%s' % self.role

    @property
    def client(self):
        return SupervisorCtl(self.runner, self.socket())

    @property
    def supervisord(self):
        return Supervisord(self.client, Command(self.runner, ['service', self.service, 'start'],
                                                starts=True))

    def socket(self, exists=os.path.exists):
        name = 'supervisord_%s.sock' % self.role
        paths = [os.path.join(d, name) for d in SUPERVISOR_SOCKET_DIRS]
        return next((p for p in paths if exists(p)), paths[0])

    def is_running(self):
        rc, _out, _err = run_checked(self.runner, ['service', self.service, 'status'],
                                     ok_codes=(0, 1, 2, 3, 4))
        return rc == 0

    def start(self):
        run_checked(self.runner, ['service', self.service, 'start'])

    def stop(self):
        run_checked(self.runner, ['service', self.service, 'stop'])

    def programs(self):
        """{program: supervisor state} ({} when supervisord does not answer)."""
        try:
            return self.client.states()
        except ServiceError:
            return {}

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
    def service(self):
        return ', '.join(self.units)

    @property
    def client(self):
        return Systemctl(self.runner)

    def is_running(self):
        return any(state == 'RUNNING' for state in self.programs().values())

    def start(self):
        self.client.act('start', *self.units)

    def stop(self):
        self.client.act('stop', *self.units)

    def programs(self):
        return self.client.states(self.units)


class ContainerRole(RoleService):
    """One container per daemon of the role, run by docker or podman (``runtime``).

    ``containers`` maps each program to its container (default :data:`CONTAINERS`); a name
    that is not a known program is taken as a container name.
    """

    kind = 'container'

    def __init__(self, runner, role, runtime, containers=None):
        super(ContainerRole, self).__init__(runner, role)
        self.runtime = runtime
        self.containers = dict(containers if containers is not None else CONTAINERS.get(role, ()))

    @property
    def service(self):
        return ', '.join(self.containers.values())

    @property
    def client(self):
        return ContainerCli(self.runner, self.runtime)

    def name_of(self, program):
        return self.containers.get(program, program)

    def is_running(self):
        return any(state == 'RUNNING' for state in self.programs().values())

    def start(self):
        self.client.act('start', *self.containers.values())

    def stop(self):
        self.client.act('stop', *self.containers.values())

    def programs(self):
        """{program: container state in capitals (RUNNING, EXITED, ABSENT...)}."""
        states = self.client.states(list(self.containers.values()))
        return dict((program, states[name]) for program, name in self.containers.items())


def detect_kind(runner, role, which='auto', exists=os.path.exists, kinds=AUTO_KINDS,
                otherwise=None, find=shutil.which):
    """The shape of service manager that runs the role: ``which`` itself, or for ``auto`` the
    first of ``kinds`` the host has for it - supervisor when it has the role's init service or
    supervisord conf (3.2, 4.0/trusty), systemd when the role's first unit is installed under a
    running systemd, container when a runtime is on PATH and the role's first container exists.
    ``otherwise`` is the answer when none is found (else a ServiceError says what was looked for).
    """
    if which != 'auto':
        if which not in KINDS:
            raise ServiceError('unknown service manager %r (%s or auto)' % (which, ', '.join(KINDS)))
        return which
    probes = dict(supervisor=_has_supervisor, systemd=_has_systemd, container=_has_containers)
    for kind in kinds:
        if probes[kind](runner, role, exists, find):
            return kind
    if otherwise:
        return otherwise
    looked_for = dict(
        supervisor='no supervisor-%s init service or supervisord_%s.conf' % (role, role),
        systemd='no systemd unit %s' % (SYSTEMD_UNITS.get(role) or ('?',))[0],
        container='no %s container on %s' % ((CONTAINERS.get(role) or (('?', '?'),))[0][1],
                                             ' or '.join(CONTAINER_RUNTIMES)))
    raise ServiceError('cannot tell how this host runs the %s role: %s'
                       % (role, ', and '.join(looked_for[kind] for kind in kinds)))


def detect(runner, role, which='auto', exists=os.path.exists, kinds=AUTO_KINDS, find=shutil.which):
    """The role's service (a :class:`RoleService`) for ``which`` ('supervisor', 'systemd',
    'container', or 'auto': see :func:`detect_kind`)."""
    kind = detect_kind(runner, role, which, exists, kinds, find=find)
    if kind == 'supervisor':
        return SupervisorRole(runner, role)
    if kind == 'systemd':
        return SystemdRole(runner, role)
    runtime = find_runtime(find)
    if not runtime:
        raise ServiceError('no container runtime (%s) on PATH' % ' or '.join(CONTAINER_RUNTIMES))
    return ContainerRole(runner, role, runtime)


def _has_supervisor(_runner, role, exists, _find):
    return exists('/etc/init.d/supervisor-%s' % role) or \
        exists('/etc/contrail/supervisord_%s.conf' % role)


def _has_systemd(runner, role, exists, _find):
    units = SYSTEMD_UNITS.get(role, ())
    return bool(units) and Systemctl(runner).installed(units[0], exists)


def _has_containers(runner, role, _exists, find):
    runtime, containers = find_runtime(find), CONTAINERS.get(role, ())
    return bool(runtime and containers) and ContainerCli(runner, runtime).exists(containers[0][1])


#: Seconds an XML-RPC call to a supervisord may take before supervisorctl is asked instead.
RPC_TIMEOUT = 10.0


class _UnixHTTPConnection(http_client.HTTPConnection):
    """HTTP over a UNIX socket (supervisord's ``[unix_http_server]``)."""

    def __init__(self, path, timeout):
        http_client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


class _UnixTransport(xmlrpc_client.Transport):
    def __init__(self, path, timeout):
        xmlrpc_client.Transport.__init__(self)
        self.socket_path, self.timeout = path, timeout

    def make_connection(self, host):
        # Kept where Transport.close() (the proxy's 'close') finds and closes it.
        self._connection = host, _UnixHTTPConnection(self.socket_path, self.timeout)
        return self._connection[1]


def rpc_call(path, method, *args, timeout=RPC_TIMEOUT):
    """``supervisor.<method>(*args)`` of the supervisord on the UNIX socket ``path``, over its
    XML-RPC interface; None when there is no such socket or it does not answer in ``timeout``
    seconds."""
    if not os.path.exists(path):
        return None
    proxy = xmlrpc_client.ServerProxy('http://localhost', transport=_UnixTransport(path, timeout))
    try:
        return getattr(proxy.supervisor, method)(*args)
    except (OSError, IOError, http_client.HTTPException, xmlrpc_client.Error, ExpatError):
        # OSError and IOError (one class on Python 3, not on 2.7) include socket timeouts
        return None
    finally:
        proxy('close')()


def rpc_processes(path, timeout=RPC_TIMEOUT):
    """{program: (STATE, pid)} from the supervisord on the UNIX socket ``path``, by its XML-RPC
    ``supervisor.getAllProcessInfo`` (names as ``supervisorctl status`` prints them: ``group:name``
    when they differ; pid 0 when not running); None when there is no such socket or it does not
    answer."""
    infos = rpc_call(path, 'getAllProcessInfo', timeout=timeout)
    if infos is None:
        return None
    try:
        return dict((info['name'] if info['group'] == info['name'] else
                     '%s:%s' % (info['group'], info['name']), (info['statename'], int(info['pid'])))
                    for info in infos)
    except (KeyError, TypeError, ValueError):
        return None


def rpc_states(path, timeout=RPC_TIMEOUT):
    """{program: STATE} by :func:`rpc_processes`; None when the socket does not answer."""
    processes = rpc_processes(path, timeout)
    return None if processes is None else dict((name, state) for name, (state, _pid) in processes.items())


def parse_supervisorctl_status(out):
    """``name  STATE  pid 12, uptime ...`` lines -> {name: STATE}; errors -> {}."""
    programs = {}
    for line in (out or '').splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1].isupper() and fields[1].isalpha():
            programs[fields[0]] = fields[1]
    return programs
