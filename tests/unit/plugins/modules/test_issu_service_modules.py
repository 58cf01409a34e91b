# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of config_service_hold, issu_run_sync and control_node_reinit against a scripted
supervisorctl / systemctl."""

from __future__ import annotations

import os

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager as sm
from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import Command, WriteFile, carry_out
from ansible_collections.opencontrail.issu.plugins.modules import config_service_hold as csh
from ansible_collections.opencontrail.issu.plugins.modules import control_node_reinit as cnr
from ansible_collections.opencontrail.issu.plugins.modules import issu_run_sync as irs

PROGRAM_INI = """\
[program:{name}]
command=python3 -m {name}
# kept by every edit
autostart=true
autorestart=true
"""


class FakeModule:
    """Just what the modules use: params, check_mode and run_command (scripted answers)."""

    def __init__(self, params, states, check_mode=False):
        self.params, self.check_mode, self.states = params, check_mode, states
        self.calls = []

    def run_command(self, cmd, environ_update=None):
        self.calls.append(' '.join(cmd))
        verb = cmd[3] if cmd[0] == 'supervisorctl' else cmd[0]
        if verb == 'status':
            return 3, ''.join('%s %s pid 1, uptime 0:00:01\n' % kv for kv in self.states.items()), ''
        if verb == 'pid':
            if len(cmd) == 4:
                return 0, '1\n', ''
            return 0, '4242\n' if self.states.get(cmd[4]) == 'RUNNING' else '0\n', ''
        return 0, '', ''

    def ctl_calls(self):
        return [c.split(' ', 3)[3] for c in self.calls
                if c.startswith('supervisorctl') and c.split()[3] not in ('status', 'pid')]


@pytest.fixture
def ini_dir(tmp_path):
    for name in ('contrail-schema', 'contrail-svc-monitor'):
        (tmp_path / ('%s.ini' % name)).write_text(PROGRAM_INI.format(name=name))
    return tmp_path


def hold(ini_dir, states, held=True, check_mode=False):
    module = FakeModule(dict(ini_dir=str(ini_dir)), states, check_mode)
    svc = sm.SupervisorRole(module.run_command, 'config')
    actions = csh.plan(svc, str(ini_dir), ['contrail-schema', 'contrail-svc-monitor'], held)
    return carry_out(actions, check_mode), module


def test_hold_edits_ini_files_and_loads_them(ini_dir):
    actions, module = hold(ini_dir, {'contrail-schema': 'RUNNING', 'contrail-svc-monitor': 'FATAL'})
    text = (ini_dir / 'contrail-schema.ini').read_text()
    assert 'autostart=false\nautorestart=false\n' in text and '# kept by every edit' in text
    assert module.ctl_calls() == ['reread', 'update contrail-schema contrail-svc-monitor']
    assert actions[0] == 'edit %s' % (ini_dir / 'contrail-schema.ini')


def test_hold_again_only_stops_what_still_runs(ini_dir):
    hold(ini_dir, {})
    actions, module = hold(ini_dir, {'contrail-schema': 'RUNNING',
                                     'contrail-svc-monitor': 'STOPPED'})
    assert actions == ['supervisorctl stop contrail-schema']
    assert module.ctl_calls() == ['stop contrail-schema']
    actions, _module = hold(ini_dir, {'contrail-schema': 'STOPPED',
                                      'contrail-svc-monitor': 'STOPPED'})
    assert actions == []


def test_check_mode_changes_nothing(ini_dir):
    before = (ini_dir / 'contrail-schema.ini').read_text()
    actions, module = hold(ini_dir, {'contrail-schema': 'RUNNING'}, check_mode=True)
    assert actions and module.ctl_calls() == []
    assert (ini_dir / 'contrail-schema.ini').read_text() == before


def test_release_starts_through_update_or_start(ini_dir):
    hold(ini_dir, {})
    actions, _module = hold(ini_dir, {'contrail-schema': 'STOPPED'}, held=False)
    assert 'autostart=true' in (ini_dir / 'contrail-schema.ini').read_text()
    assert actions[-1] == 'supervisorctl update contrail-schema contrail-svc-monitor'
    actions, _module = hold(ini_dir, {'contrail-schema': 'RUNNING',
                                      'contrail-svc-monitor': 'EXITED'}, held=False)
    assert actions == ['supervisorctl start contrail-svc-monitor']


def test_hold_under_systemd_disables_then_stops_each_unit():
    runner = FakeSystemctl('enabled', 'active')
    svc = sm.SystemdRole(runner, 'config')
    actions = carry_out(csh.plan(svc, '/nonexistent', ['contrail-schema', 'contrail-config-nodemgr'],
                                 True))
    assert actions == ['systemctl disable contrail-schema', 'systemctl stop contrail-schema',
                       'systemctl disable contrail-config-nodemgr',
                       'systemctl stop contrail-config-nodemgr']
    assert runner.verbs() == actions
    assert svc.client.report(['contrail-schema']) == {'contrail-schema': 'active'}
    runner = FakeSystemctl('disabled', 'inactive')
    assert carry_out(csh.plan(sm.SystemdRole(runner, 'config'), '/nonexistent',
                              ['contrail-schema'], False), check_mode=True) == [
        'systemctl enable contrail-schema', 'systemctl start contrail-schema']
    assert runner.verbs() == []


def test_hold_diff_shows_each_edited_file(ini_dir):
    module = FakeModule(dict(ini_dir=str(ini_dir)), {})
    actions = csh.plan(sm.SupervisorRole(module.run_command, 'config'), str(ini_dir),
                       ['contrail-schema'], True)
    diff, = [action.diff for action in actions if action.diff]
    assert diff['before_header'] == str(ini_dir / 'contrail-schema.ini')
    assert 'autostart=true' in diff['before'] and 'autostart=false' in diff['after']


def test_missing_section_names_the_service(ini_dir):
    (ini_dir / 'contrail-svc-monitor.ini').write_text('[program:other]\n')
    with pytest.raises(csh.ServiceError, match='contrail-svc-monitor installed'):
        hold(ini_dir, {})


# -- run-sync ---------------------------------------------------------------------------------

CONF = '/etc/contrail/contrail-issu.conf'


@pytest.fixture
def layout(tmp_path):
    socket = tmp_path / 'supervisor.sock'
    socket.write_text('')                       # answers() only needs it to exist
    (tmp_path / 'conf.d').mkdir()

    def supervisord(runner):
        return sm.Supervisord(sm.SupervisorCtl(runner, str(socket)),
                              Command(runner, ['service', 'supervisor', 'start'], starts=True))

    return irs.SupervisorLayout(str(tmp_path / 'conf.d' / 'contrail-issu.conf'), 'contrail-issu',
                                supervisord, '/dev/null')


def present(module, layout, check_mode=False):
    return carry_out(irs.SupervisorRunSync(module.run_command, layout).present(CONF), check_mode)


def test_run_sync_present_writes_the_32_program_then_is_idempotent(layout):
    module = FakeModule({}, {})
    assert present(module, layout, check_mode=True)[1:] == ['supervisorctl reread',
                                                            'supervisorctl update']
    assert module.ctl_calls() == [] and not os.path.exists(layout.program_file)
    actions = present(module, layout)
    assert actions == ['write %s' % layout.program_file, 'supervisorctl reread',
                       'supervisorctl update']
    assert module.ctl_calls() == ['reread', 'update']
    text = open(layout.program_file).read()
    for line in ('[program:contrail-issu]', 'priority=440', 'autostart=true', 'stopsignal=KILL',
                 'command=contrail-issu-run-sync --conf_file /etc/contrail/contrail-issu.conf'):
        assert line in text
    module.states = {'contrail-issu': 'RUNNING'}
    assert present(module, layout) == []
    module.states = {'contrail-issu': 'EXITED'}
    assert present(module, layout) == ['supervisorctl start contrail-issu']
    module.states = {'contrail-issu': 'BACKOFF'}        # supervisor is still starting it
    assert present(module, layout) == []


def test_run_sync_present_starts_a_supervisord_that_does_not_answer(layout, tmp_path):
    os.unlink(str(tmp_path / 'supervisor.sock'))
    module = FakeModule({}, {})
    manager = irs.SupervisorRunSync(module.run_command, layout)
    actions = manager.present(CONF)
    assert carry_out(actions) == ['write %s' % layout.program_file, 'service supervisor start']
    assert module.calls[-1] == 'service supervisor start'
    assert manager.diff['after_header'] == layout.program_file and manager.diff['before'] == ''


def test_run_sync_absent_stops_then_removes_the_program(layout):
    # Stopped before its removal: supervisorctl update takes a running program's group away a
    # second later than a stop (inside finalize's freeze).
    module = FakeModule({}, {'contrail-issu': 'RUNNING'})
    manager = irs.SupervisorRunSync(module.run_command, layout)
    carry_out(manager.present(CONF))
    assert carry_out(manager.absent()) == ['supervisorctl stop contrail-issu',
                                           'remove %s' % layout.program_file,
                                           'supervisorctl reread', 'supervisorctl update']
    assert module.ctl_calls()[-3:] == ['stop contrail-issu', 'reread', 'update']
    assert not os.path.exists(layout.program_file)
    carry_out(manager.present(CONF))
    module.states = {'contrail-issu': 'EXITED'}       # not running: removed at once
    assert carry_out(manager.absent()) == ['remove %s' % layout.program_file,
                                           'supervisorctl reread', 'supervisorctl update']
    module.states = {'contrail-issu': 'RUNNING'}
    assert carry_out(manager.absent()) == ['supervisorctl stop contrail-issu']
    module.states = {'contrail-issu': 'STOPPED'}
    assert manager.absent() == []


def test_the_4x_supervisord_is_started_through_the_main_one():
    runner = FakeModule({}, {}).run_command
    supervisord = irs.LAYOUT_4X.supervisord(runner)
    assert supervisord.ctl.socket == '/var/run/supervisord_issu.sock'
    assert supervisord.start.describe() == ('supervisorctl -s unix:///var/run/supervisor.sock '
                                            'start supervisord_issu')
    assert supervisord.start.starts
    assert irs.LAYOUT_32.supervisord(runner).start.describe() == 'service supervisor start'


def plan_of(module, manager):
    return [action.describe() for action in irs.plan(module, manager)]


class FakeRunSync:
    """A manager whose present() returns the given plan."""

    kind, unit, diff = 'supervisor', 'contrail-issu', None

    def __init__(self, actions):
        self.actions = actions

    def present(self, conf):
        return list(self.actions)

    def restart(self):
        return [sm.SupervisorCtl(None, '/s').action('restart', self.unit)]


@pytest.mark.parametrize('first, restarts', [
    (sm.SupervisorCtl(None, '/s').load(), False),
    ([sm.Systemctl(None).action('start', 'contrail-issu-run-sync')], False),
    ([sm.SupervisorCtl(None, '/s').action('start', 'contrail-issu')], False),
    (sm.main_supervisord(None).start, False),
    ([sm.Systemctl(None).action('enable', 'contrail-issu-run-sync')], True),
    ([WriteFile('/etc/supervisor/conf.d/contrail-issu.conf', '', 'x')], True),
    ([], True),
])
def test_restart_is_skipped_only_after_a_fresh_start(first, restarts):
    first = first if isinstance(first, list) else [first]
    module = FakeModule(dict(state='restarted', conf=CONF), {})
    plan = plan_of(module, FakeRunSync(first))
    assert plan[:len(first)] == [action.describe() for action in first]
    assert (plan[-1:] == ['supervisorctl restart contrail-issu']) is restarts


class FakeSystemctl:
    """systemctl with scripted is-enabled / is-active answers per unit."""

    def __init__(self, enabled='enabled', active='active'):
        self.enabled, self.active, self.calls = enabled, active, []

    def __call__(self, cmd, environ_update=None):
        self.calls.append(' '.join(cmd))
        if cmd[1] == 'is-enabled':
            return (0 if self.enabled == 'enabled' else 1), self.enabled + '\n', ''
        if cmd[1] == 'is-active':
            return (0 if self.active == 'active' else 3), '\n'.join([self.active] * (len(cmd) - 2)), ''
        if cmd[1] == 'show':
            return 0, '4242\n' if self.active == 'active' else '0\n', ''
        return 0, '', ''

    def verbs(self):
        return [c for c in self.calls if c.split()[1] not in ('is-enabled', 'is-active', 'show')]


@pytest.mark.parametrize('enabled, active, present, absent', [
    ('enabled', 'active', [], ['systemctl disable contrail-issu-run-sync',
                               'systemctl stop contrail-issu-run-sync']),
    ('disabled', 'inactive', ['systemctl enable contrail-issu-run-sync',
                              'systemctl start contrail-issu-run-sync'], []),
    ('enabled', 'failed', ['systemctl start contrail-issu-run-sync'],
     ['systemctl disable contrail-issu-run-sync']),
    ('disabled', 'activating', ['systemctl enable contrail-issu-run-sync'],
     ['systemctl stop contrail-issu-run-sync']),
])
def test_run_sync_under_systemd(enabled, active, present, absent):
    runner = FakeSystemctl(enabled, active)
    manager = irs.SystemdRunSync(runner)
    assert carry_out(manager.present(CONF), check_mode=True) == present
    assert carry_out(manager.absent(), check_mode=True) == absent
    assert runner.verbs() == []                         # check mode ran none of them
    assert carry_out(manager.present(CONF)) == present
    assert runner.verbs() == present
    with pytest.raises(sm.ServiceError, match='not supported with systemd'):
        manager.present('/tmp/other.conf')


@pytest.mark.parametrize('manager, files, installed, kind, program', [
    ('auto', (), True, 'systemd', 'contrail-issu-run-sync'),
    ('auto', ('/etc/contrail/supervisord_issu.conf',), False, 'supervisor', 'contrail-issu-run-sync'),
    ('auto', (), False, 'supervisor', 'contrail-issu'),
    ('supervisor', (), True, 'supervisor', 'contrail-issu'),
    ('systemd', (), False, 'systemd', 'contrail-issu-run-sync'),
])
def test_pick_manager(manager, files, installed, kind, program):
    module = FakeModule(dict(manager=manager), {})
    module.run_command = lambda cmd, environ_update=None: (
        0, 'contrail-issu-run-sync.service enabled\n' if installed else '', '')
    files = set(files) | {'/run/systemd/system'}
    picked = irs.pick_manager(module, exists=lambda path: path in files)
    assert (picked.kind, picked.unit) == (kind, program)


# -- control_node_reinit ----------------------------------------------------------------------


def test_control_process_pid_and_restart_under_supervisor_and_systemd():
    module = FakeModule(dict(manager='supervisor'), {'contrail-control': 'RUNNING'})
    process = cnr.ControlProcess(module)
    assert process.kind == 'supervisor' and process.pid() == 4242
    process.restart()
    assert module.ctl_calls() == ['restart contrail-control']
    runner = FakeSystemctl(active='inactive')
    module = FakeModule(dict(manager='systemd'), {})
    module.run_command = runner
    process = cnr.ControlProcess(module)
    assert process.kind == 'systemd' and process.pid() == 0     # pidof answered nothing
    assert runner.calls[-1] == 'pidof -s contrail-control'
    process.restart()
    assert runner.verbs()[-1] == 'systemctl restart contrail-control'


def test_auto_signals_a_config_db_control_node_and_restarts_an_ifmap_one():
    module = FakeModule(dict(method='auto'), {})
    assert cnr.pick_method(module, cnr.IniDocument('[DEFAULT]\n[CONFIGDB]\nx=1\n')) == 'signal'
    assert cnr.pick_method(module, cnr.IniDocument('[DEFAULT]\n[IFMAP]\nx=1\n')) == 'restart'
    module.params['method'] = 'restart'
    assert cnr.pick_method(module, cnr.IniDocument('[CONFIGDB]\n')) == 'restart'


def test_peers_not_established_by_name_or_address():
    neighbors = [dict(peer='lab-v1-ctrl1', peer_address='10.99.0.11', state='Established'),
                 dict(peer='mx1', peer_address='10.99.0.199', state='Active')]
    assert cnr.established(neighbors, ['lab-v1-ctrl1', '10.99.0.11']) == {}
    missing = cnr.established(neighbors, ['10.99.0.199', 'ghost'])
    assert missing == {'10.99.0.199': 'Active', 'ghost': 'absent'}
