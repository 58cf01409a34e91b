# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of config_service_hold and issu_run_sync against a scripted supervisorctl."""

from __future__ import annotations

import pytest

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
    holder = csh.SupervisorHold(module, ['contrail-schema', 'contrail-svc-monitor'])
    return holder.apply(held, check_mode), module


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


def test_missing_section_names_the_service(ini_dir):
    (ini_dir / 'contrail-svc-monitor.ini').write_text('[program:other]\n')
    with pytest.raises(csh.ServiceError, match='contrail-svc-monitor installed'):
        hold(ini_dir, {})


# -- run-sync ---------------------------------------------------------------------------------

@pytest.fixture
def layout(tmp_path):
    socket = tmp_path / 'supervisor.sock'
    socket.write_text('')                       # answers() only needs it to exist
    (tmp_path / 'conf.d').mkdir()
    return irs.SupervisorLayout(str(tmp_path / 'conf.d' / 'contrail-issu.conf'), 'contrail-issu',
                                str(socket), ['service', 'supervisor', 'start'], '/dev/null')


def test_run_sync_present_writes_the_32_program_then_is_idempotent(layout):
    module = FakeModule({}, {})
    actions = irs.SupervisorRunSync(module, layout).present('/etc/contrail/contrail-issu.conf', False)
    assert actions[1:] == ['supervisorctl reread', 'supervisorctl update']
    text = open(layout.program_file).read()
    for line in ('[program:contrail-issu]', 'priority=440', 'autostart=true', 'stopsignal=KILL',
                 'command=contrail-issu-run-sync --conf_file /etc/contrail/contrail-issu.conf'):
        assert line in text
    module.states = {'contrail-issu': 'RUNNING'}
    assert irs.SupervisorRunSync(module, layout).present('/etc/contrail/contrail-issu.conf',
                                                         False) == []
    module.states = {'contrail-issu': 'EXITED'}
    assert irs.SupervisorRunSync(module, layout).present(
        '/etc/contrail/contrail-issu.conf', False) == ['supervisorctl start contrail-issu']


def test_run_sync_absent_removes_the_program(layout):
    module = FakeModule({}, {'contrail-issu': 'RUNNING'})
    manager = irs.SupervisorRunSync(module, layout)
    manager.present('/etc/contrail/contrail-issu.conf', False)
    assert manager.absent(False)[0] == 'remove %s' % layout.program_file
    assert module.ctl_calls()[-2:] == ['reread', 'update']


@pytest.mark.parametrize('action, starts', [
    ('supervisorctl update', True), ('systemctl start contrail-issu-run-sync', True),
    ('supervisorctl start contrail-issu', True), ('systemctl enable contrail-issu-run-sync', False),
    ('write /etc/supervisor/conf.d/contrail-issu.conf', False),
])
def test_restart_is_skipped_only_after_a_fresh_start(action, starts):
    assert irs.starts_daemon(action) is starts


# -- control_node_reinit ----------------------------------------------------------------------


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
