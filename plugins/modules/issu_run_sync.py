#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_run_sync
short_description: Run, stop or restart Contrail's ISSU run-sync daemon under supervisor or systemd
version_added: 1.0.0
description:
  - Manages C(contrail-issu-run-sync), the daemon that keeps v2's C(config_db_uuid) following
    v1 by relaying v1's RabbitMQ notifications, the way the host runs daemons.
  - B(supervisor), 3.2 style (C(issu_process.sh issu_run_sync)) - program C(contrail-issu) in
    C(/etc/supervisor/conf.d/contrail-issu.conf) (C(priority=440), C(autostart=true),
    C(stopsignal=KILL)) of the main supervisord (C(service supervisor)), loaded with
    C(supervisorctl reread) and C(update) so no other program is restarted.
  - B(supervisor), 4.x on trusty - when C(/etc/contrail/supervisord_issu.conf) exists, program
    C(contrail-issu-run-sync) in C(/etc/contrail/supervisord_issu_files/contrail-issu-run-sync.ini)
    of the C(supervisord_issu) instance (socket C(/var/run/supervisord_issu.sock)), which is
    started with C(supervisorctl start supervisord_issu) when it is not running.
  - B(systemd), 4.x on xenial - unit C(contrail-issu-run-sync) (shipped by the package),
    enabled and started, or disabled and stopped.
  - With O(wait_for) (or O(wait=true), which waits for V(bound)), waits until the daemon runs
    and its log, since it started, says C(Config sync initiated...) (O(wait_for=bound) - its
    queue is bound to v1's exchange, so the northbound API can be reopened) or
    C(Start Compute upgrade...) (O(wait_for=synced) - the full C(config_db_uuid) copy is done and runtime sync runs).
  - B(Queue loss.) run-sync deletes its RabbitMQ queue when it starts, so whatever v1 published
    while it was down is lost and only C(config_db_uuid) is copied again. Given O(since), the
    module reports in RV(restarted_since) and a warning whether the daemon (re)started after
    that time.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.wait
attributes:
  check_mode:
    description: Reports what it would change (program file, start, stop) without doing it.
  diff_mode:
    support: full
    description: Shows the supervisor program file before and after.
  platform:
    description: Runs on the v2 config node that runs run-sync (one node only).
options:
  state:
    description:
      - V(present) - configured and running; V(absent) - stopped and removed from the
        supervisor configuration (or disabled); V(restarted) - present, then restarted.
    type: str
    default: present
    choices: [present, absent, restarted]
  conf:
    description:
      - contrail-issu.conf passed to the daemon. With systemd the unit's own path is used and
        must be this default.
    type: path
    default: /etc/contrail/contrail-issu.conf
  manager:
    description: V(auto) picks systemd when the unit is installed under a running systemd, else supervisor.
    type: str
    default: auto
    choices: [auto, supervisor, systemd]
  wait_for:
    description:
      - What to wait for (see the description). Given alone it makes the module wait - a
        play that names a condition must not go on before it holds. V(none) does not wait.
      - Not given - waits for V(bound) when O(wait=true), else does not wait.
    type: str
    choices: [bound, synced, none]
  since:
    description:
      - Epoch seconds (for example when run-sync was first started, from the ISSU state). When
        the daemon started after it, RV(restarted_since) is true and a warning says what was lost.
    type: float
  log_lines:
    description: How many lines of the run-sync log to return.
    type: int
    default: 10
seealso:
  - module: opencontrail.issu.issu_sync
  - module: opencontrail.issu.control_node_reinit
'''

EXAMPLES = r'''
- name: Start run-sync and wait until its queue is bound (then reopen the northbound API)
  opencontrail.issu.issu_run_sync:
    state: present
    wait_for: bound
    wait_timeout: 300

- name: Is it still running, and did it restart since we started it?
  opencontrail.issu.issu_run_sync:
    state: present
    since: "{{ issu_state.record.run_sync_started_at }}"
  check_mode: true
  register: run_sync

- name: Finalize - stop it before post-sync
  opencontrail.issu.issu_run_sync:
    state: absent
'''

RETURN = r'''
manager:
  description: V(supervisor) or V(systemd).
  returned: always
  type: str
unit:
  description: The supervisor program or the systemd unit.
  returned: always
  type: str
  sample: contrail-issu
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [write /etc/supervisor/conf.d/contrail-issu.conf, supervisorctl reread, supervisorctl update]
running:
  description: Whether the daemon runs, after the module acted.
  returned: always
  type: bool
pid:
  description: Its process id (0 when not running).
  returned: always
  type: int
started_at:
  description: Epoch seconds when the running daemon started (null when not running).
  returned: always
  type: float
progress:
  description: V(none), V(bound) or V(synced), from its log since it started.
  returned: always
  type: str
restarted_since:
  description: Whether it (re)started after O(since) (null without O(since)).
  returned: always
  type: bool
resyncs_since:
  description: C(Config sync initiated) lines (each a full config_db_uuid re-copy) since O(since).
  returned: when O(since) is given
  type: int
log_file:
  description: The run-sync log.
  returned: always
  type: str
log_tail:
  description: Last lines of the run-sync log.
  returned: always
  type: list
  elements: str
last_log_line:
  description: What its log said last.
  returned: always
  type: str
'''

import os

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_sync, service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import apply_edits, read_text
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import (
    RemoveFile,
    ServiceError,
    WriteFile,
    carry_out,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import wait_for

PROGRESS_RANK = {'none': 0, 'bound': 1, 'synced': 2}
LOG_TAIL_BYTES = 2 * 1024 * 1024
SYSTEMD_UNIT = service_manager.SYSTEMD_UNITS['issu'][0]
SUPERVISORD_ISSU_CONF = '/etc/contrail/supervisord_issu.conf'


class SupervisorLayout:
    """Where a supervisord keeps the run-sync program, and which supervisord that is
    (``supervisord(runner)`` -> :class:`service_manager.Supervisord`)."""

    def __init__(self, program_file, program, supervisord, stdout_log):
        self.program_file, self.program, self.supervisord = program_file, program, supervisord
        self.stdout_log = stdout_log


LAYOUT_32 = SupervisorLayout(
    '/etc/supervisor/conf.d/contrail-issu.conf', 'contrail-issu', service_manager.main_supervisord,
    '/var/log/contrail/issu-contrail-run-sync-stdout.log')
LAYOUT_4X = SupervisorLayout(
    '/etc/contrail/supervisord_issu_files/contrail-issu-run-sync.ini', 'contrail-issu-run-sync',
    lambda runner: service_manager.program_supervisord(runner, 'supervisord_issu',
                                                       '/var/run/supervisord_issu.sock'),
    '/var/log/contrail/contrail-issu-run-sync-stdout.log')


class SupervisorRunSync:
    """run-sync as a supervisor program."""

    kind = 'supervisor'

    def __init__(self, runner, layout):
        self.layout = layout
        self.supervisord = layout.supervisord(runner)
        self.ctl = self.supervisord.ctl
        self.unit = layout.program
        self.diff = None

    def program_edits(self, conf):
        section = 'program:%s' % self.layout.program
        settings = (
            ('command', '%s --conf_file %s' % (issu_sync.RUN_SYNC_COMMAND, conf)),
            ('redirect_stderr', 'true'), ('stdout_logfile', self.layout.stdout_log),
            ('stderr_logfile', '/dev/null'), ('priority', '440'), ('autostart', 'true'),
            ('killasgroup', 'false'), ('stopsignal', 'KILL'), ('exitcodes', '0'),
        )
        return [(section, key, value) for key, value in settings]

    def pid(self):
        return self.ctl.pid(self.unit) if self.ctl.answers() else 0

    def present(self, conf):
        """The actions that leave the program written, loaded and running."""
        if not os.path.isdir(os.path.dirname(self.layout.program_file)):
            raise ServiceError('%s does not exist: supervisor is not installed here (use '
                               'manager=systemd?)' % os.path.dirname(self.layout.program_file))
        before = read_text(self.layout.program_file)
        write = WriteFile(self.layout.program_file, before,
                          apply_edits(before, self.program_edits(conf))[0])
        self.diff = write.diff
        actions = [write] if write.changes else []
        if not self.ctl.answers():
            actions.append(self.supervisord.start)          # it starts the autostart program
            return actions
        states = self.ctl.states()
        if write.changes or self.unit not in states:
            return actions + self.ctl.load()
        return actions + service_manager.converge(self.ctl, [self.unit], running=True)

    def absent(self):
        """Stopped, then its program file removed and supervisord told. Stopped first:
        ``supervisorctl update`` takes a running program's group away a second later than a
        ``stop`` (measured on 3.2's supervisord: 1.3 s, against 0.26 s for the stop and 0.21 s
        for the update after it), and finalize stops run-sync inside the northbound freeze."""
        answers = self.ctl.answers()
        actions = service_manager.converge(self.ctl, [self.unit], running=False) if answers else []
        if os.path.exists(self.layout.program_file):
            actions += [RemoveFile(self.layout.program_file)] + (self.ctl.load() if answers else [])
        return actions

    def restart(self):
        return [self.ctl.action('restart', self.unit)]


class SystemdRunSync:
    """run-sync as the systemd unit the 4.x package ships."""

    kind = 'systemd'
    unit = SYSTEMD_UNIT
    diff = None

    def __init__(self, runner):
        self.client = service_manager.Systemctl(runner)

    def pid(self):
        return self.client.pid(self.unit)

    def present(self, conf):
        if conf != issu_sync.DEFAULT_CONF:
            raise ServiceError('the %s unit reads %s; conf=%s is not supported with systemd'
                               % (self.unit, issu_sync.DEFAULT_CONF, conf))
        return service_manager.converge(self.client, [self.unit], running=True, enabled=True)

    def absent(self):
        return service_manager.converge(self.client, [self.unit], running=False, enabled=False)

    def restart(self):
        return [self.client.action('restart', self.unit)]


def pick_manager(module, exists=os.path.exists):
    """The run-sync manager for ``manager`` (auto: the systemd unit when installed, else
    supervisord_issu (4.x on trusty) when configured, else 3.2's program of the main supervisord)."""
    kind = service_manager.detect_kind(module.run_command, 'issu', module.params['manager'],
                                       exists=exists, kinds=('systemd',), otherwise='supervisor')
    if kind == 'systemd':
        return SystemdRunSync(module.run_command)
    if kind != 'supervisor':
        raise ServiceError('run-sync is not run by %s here (supervisor or systemd)' % kind)
    layout = LAYOUT_4X if exists(SUPERVISORD_ISSU_CONF) else LAYOUT_32
    return SupervisorRunSync(module.run_command, layout)


def read_log_tail():
    """The end of the run-sync log (enough for the lines since the daemon's last start)."""
    size = issu_sync.file_size(issu_sync.RUN_SYNC_LOG)
    return issu_sync.read_from(issu_sync.RUN_SYNC_LOG, max(0, size - LOG_TAIL_BYTES))


def observe(manager, since=None, log_lines=10):
    """What the daemon does now: pid, start time, progress since that start, log tail."""
    pid = manager.pid()
    started_at = issu_sync.process_start_time(pid) if pid else None
    text = read_log_tail()
    progress = 'none'
    if started_at is not None:
        progress = issu_sync.progress_since(issu_sync.RUN_SYNC_LOG, started_at - 1)
    log_tail = issu_sync.tail(text, log_lines)
    state = dict(running=bool(pid), pid=pid, started_at=started_at, progress=progress,
                 log_tail=log_tail, last_log_line=log_tail[-1] if log_tail else '',
                 restarted_since=None)
    if since is not None:
        state['restarted_since'] = started_at is not None and started_at > since
        state['resyncs_since'] = sum(
            1 for line in issu_sync.lines_since(text, since)
            if issu_sync.BOUND_LINE in line.lower())
    return state


def wait_until_ready(module, manager):
    wanted = PROGRESS_RANK[module.params['wait_for']]
    return wait_for(
        lambda: observe(manager, module.params['since'], module.params['log_lines']),
        timeout=module.params['wait_timeout'], interval=module.params['wait_interval'],
        describe='contrail-issu-run-sync running and its log at %r' % module.params['wait_for'],
        until=lambda s: s['running'] and PROGRESS_RANK[s['progress']] >= wanted)


def plan(module, manager):
    """The actions that bring the daemon to ``state`` (a restart is left out when the plan
    already starts a fresh process)."""
    state = module.params['state']
    if state == 'absent':
        return manager.absent()
    actions = manager.present(module.params['conf'])
    if state == 'restarted' and not any(action.starts for action in actions):
        actions += manager.restart()
    return actions


def run(module):
    params = module.params
    if params['state'] != 'absent' and module.get_bin_path(issu_sync.RUN_SYNC_COMMAND) is None:
        module.fail(issu_sync.missing_tool_message(issu_sync.RUN_SYNC_COMMAND))
    result = module.result
    result.update(changed=False, log_file=issu_sync.RUN_SYNC_LOG)
    if params['state'] != 'absent':
        issu_sync.check_conf_path(params['conf'])
    manager = pick_manager(module)
    result.update(manager=manager.kind, unit=manager.unit)
    actions = plan(module, manager)
    result.update(actions=carry_out(actions, module.check_mode), changed=bool(actions))
    if manager.diff is not None:
        result['diff'] = manager.diff
    if params['wait_for'] is None:
        params['wait_for'] = 'bound' if params['wait'] else 'none'
    waiting = params['state'] != 'absent' and params['wait_for'] != 'none'
    if waiting and not module.check_mode:
        result.update(wait_until_ready(module, manager))
    else:
        result.update(observe(manager, params['since'], params['log_lines']))
    if result.get('restarted_since'):
        module.warn(issu_sync.lost_messages_warning(result['started_at'], params['since']))
    return result


def main():
    IssuModule(dict(
        state=dict(type='str', default='present', choices=['present', 'absent', 'restarted']),
        conf=dict(type='path', default=issu_sync.DEFAULT_CONF),
        manager=dict(type='str', default='auto', choices=['auto', 'supervisor', 'systemd']),
        wait_for=dict(type='str', choices=['bound', 'synced', 'none']),
        since=dict(type='float'),
        log_lines=dict(type='int', default=10),
    ), groups=('wait',)).run_and_exit(run, errors=(OSError,))


if __name__ == '__main__':
    main()
