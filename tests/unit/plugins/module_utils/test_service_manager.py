# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_manager: detection, commands per manager, supervisorctl parsing."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
# pylint: disable-next=unused-import
from ansible_collections.opencontrail.issu.tests.unit.plugins.supervisord_fixtures import (  # noqa: F401
    info as _info,
    supervisord_rpc,
)

SUPERVISORCTL = ('contrail-vrouter-agent           RUNNING   pid 22, uptime 0:00:06\n'
                 'contrail-vrouter-nodemgr         FATAL     Exited too quickly\n')


class Runner:
    def __init__(self, rc=0, out=''):
        self.rc, self.out, self.calls = rc, out, []

    def __call__(self, args, environ_update=None):
        self.calls.append(args)
        return self.rc, self.out, ''


def test_parse_supervisorctl_status():
    assert service_manager.parse_supervisorctl_status(SUPERVISORCTL) == {
        'contrail-vrouter-agent': 'RUNNING', 'contrail-vrouter-nodemgr': 'FATAL'}
    assert service_manager.parse_supervisorctl_status(
        'unix:///var/run/supervisord_vrouter.sock no such file') == {}


def test_states_over_the_sockets_xml_rpc_without_a_supervisorctl(supervisord_rpc):
    path, calls = supervisord_rpc([_info('contrail-vrouter-agent', 'STARTING'),
                                   _info('contrail-vrouter-nodemgr', 'RUNNING'),
                                   _info('worker', 'BACKOFF', group='pool')])
    runner = Runner(rc=3, out=SUPERVISORCTL)
    ctl = service_manager.SupervisorCtl(runner, path)
    assert ctl.states() == {'contrail-vrouter-agent': 'STARTING',
                            'contrail-vrouter-nodemgr': 'RUNNING', 'pool:worker': 'BACKOFF'}
    assert ctl.states(['contrail-vrouter-agent', 'gone']) == {
        'contrail-vrouter-agent': 'STARTING', 'gone': 'UNKNOWN'}
    assert calls == ['getAllProcessInfo'] * 2 and runner.calls == []


def test_states_fall_back_to_supervisorctl_when_the_socket_does_not_answer_xml_rpc(
        supervisord_rpc, tmp_path):
    expected = {'contrail-vrouter-agent': 'RUNNING', 'contrail-vrouter-nodemgr': 'FATAL'}
    path, calls = supervisord_rpc([], status=401)        # wants credentials
    not_a_socket = tmp_path / 'plain-file.sock'
    not_a_socket.write_text('')
    for where in (path, str(not_a_socket), str(tmp_path / 'missing.sock')):
        runner = Runner(rc=3, out=SUPERVISORCTL)
        assert service_manager.SupervisorCtl(runner, where).states() == expected
        assert runner.calls == [['supervisorctl', '-s', 'unix://%s' % where, 'status']]
    assert service_manager.rpc_states(path) is None and calls == []
    # supervisorctl's own error when nothing answers at all: still a ServiceError.
    refused = Runner(rc=2, out='unix:///x.sock refused connection')
    with pytest.raises(service_manager.ServiceError):
        service_manager.SupervisorCtl(refused, str(not_a_socket)).states()


def test_answers_and_pid_over_the_sockets_xml_rpc_without_a_supervisorctl(supervisord_rpc):
    path, calls = supervisord_rpc([dict(_info('contrail-issu', 'RUNNING'), pid=4242),
                                   _info('contrail-api', 'STOPPED')])
    runner = Runner(rc=1, out='not called')
    ctl = service_manager.SupervisorCtl(runner, path)
    assert ctl.answers() and ctl.pid('contrail-issu') == 4242
    assert ctl.pid('contrail-api') == 0 and ctl.pid('removed') == 0
    assert runner.calls == [] and len(calls) == 4


def test_answers_and_pid_fall_back_to_supervisorctl(supervisord_rpc):
    path, calls = supervisord_rpc([], status=401)        # wants credentials
    runner = Runner(out='4242\n')
    ctl = service_manager.SupervisorCtl(runner, path)
    assert ctl.answers() and ctl.pid('contrail-issu') == 4242
    assert runner.calls == [['supervisorctl', '-s', 'unix://%s' % path, 'pid'],
                            ['supervisorctl', '-s', 'unix://%s' % path, 'pid', 'contrail-issu']]
    assert calls == []


def test_a_stop_over_xml_rpc_signals_without_waiting_then_polls_until_stopped(supervisord_rpc):
    infos = [_info('contrail-issu', 'RUNNING', pid=7), _info('contrail-api', 'RUNNING')]
    path, calls = supervisord_rpc(infos)
    runner = Runner(rc=1, out='not called')
    service_manager.SupervisorCtl(runner, path).act('stop', 'contrail-issu')
    assert calls == ['stopProcess(contrail-issu, False)', 'getAllProcessInfo', 'getAllProcessInfo']
    assert [i['statename'] for i in infos] == ['STOPPED', 'RUNNING'] and runner.calls == []


def test_a_stop_falls_back_to_supervisorctl_when_xml_rpc_refuses_it(supervisord_rpc):
    # Not running (supervisord's NOT_RUNNING fault): supervisorctl says so, which is what was asked.
    path, calls = supervisord_rpc([_info('contrail-issu', 'STOPPED')])
    runner = Runner(rc=1, out='contrail-issu: ERROR (not running)')
    service_manager.SupervisorCtl(runner, path).act('stop', 'contrail-issu')
    assert calls == ['stopProcess(contrail-issu, False)']
    assert runner.calls == [['supervisorctl', '-s', 'unix://%s' % path, 'stop', 'contrail-issu']]
    # A socket that wants credentials, and ``all``: supervisorctl, its error raised.
    locked, locked_calls = supervisord_rpc([], status=401)
    for where, names in ((locked, ['contrail-issu']), (path, ['all'])):
        failing = Runner(rc=2, out='ERROR (no such process)')
        with pytest.raises(service_manager.ServiceError):
            service_manager.SupervisorCtl(failing, where).act('stop', *names)
        assert failing.calls == [['supervisorctl', '-s', 'unix://%s' % where, 'stop'] + names]
    assert locked_calls == []


def test_a_stop_over_xml_rpc_names_what_does_not_stop(supervisord_rpc, monkeypatch):
    monkeypatch.setattr(service_manager, 'STOP_TIMEOUT', 0.2)
    path, _calls = supervisord_rpc([_info('contrail-issu', 'RUNNING')], stops=False)
    with pytest.raises(service_manager.ServiceError) as raised:
        service_manager.SupervisorCtl(Runner(), path).act('stop', 'contrail-issu')
    assert str(raised.value).startswith('contrail-issu still running 0.2s after supervisord was '
                                        'asked to stop contrail-issu (on %s)' % path)


def test_reread_and_update_over_xml_rpc_as_supervisorctl_asks_them(supervisord_rpc):
    # update contrail-issu: its removed group stopped and removed, another removed group and an
    # added one left alone (supervisorctl update <names> touches only those); reread only reads.
    infos = [_info('contrail-issu', 'RUNNING'), _info('old', 'RUNNING'), _info('kept', 'RUNNING')]
    path, calls = supervisord_rpc(infos, reload=([], [], ['contrail-issu', 'old']))
    runner = Runner(rc=1, out='not called')
    ctl = service_manager.SupervisorCtl(runner, path)
    for action in ctl.load('contrail-issu'):
        action.run()
    assert calls == ['reloadConfig', 'reloadConfig', 'stopProcessGroup(contrail-issu, False)',
                     'getAllProcessInfo', 'getAllProcessInfo', 'removeProcessGroup(contrail-issu)']
    assert [i['name'] for i in infos] == ['old', 'kept'] and runner.calls == []
    # Every group without names: changed ones removed and added again, added ones added.
    infos = [_info('changed', 'RUNNING'), _info('gone', 'STOPPED')]
    path, calls = supervisord_rpc(infos, reload=(['new'], ['changed'], ['gone']))
    service_manager.SupervisorCtl(runner, path).act('update')
    assert calls == ['reloadConfig', 'stopProcessGroup(gone, False)', 'getAllProcessInfo',
                     'removeProcessGroup(gone)', 'stopProcessGroup(changed, False)', 'getAllProcessInfo',
                     'getAllProcessInfo', 'removeProcessGroup(changed)', 'addProcessGroup(changed)',
                     'addProcessGroup(new)']
    assert sorted(i['name'] for i in infos) == ['changed', 'new'] and runner.calls == []


def test_update_falls_back_to_supervisorctl(supervisord_rpc):
    path, calls = supervisord_rpc([], status=401)        # wants credentials
    runner = Runner(out='contrail-issu: stopped\ncontrail-issu: removed process group\n')
    for action in service_manager.SupervisorCtl(runner, path).load('contrail-issu'):
        action.run()
    assert runner.calls == [['supervisorctl', '-s', 'unix://%s' % path, 'reread'],
                            ['supervisorctl', '-s', 'unix://%s' % path, 'update', 'contrail-issu']]
    assert calls == []


def test_stop_all_asks_supervisord_once_and_returns_when_none_runs(supervisord_rpc):
    # One stopAllProcesses (without supervisord's wait, which answers a turn of its loop later),
    # then polls: STOPPING at the first, STOPPED at the second. No supervisorctl.
    path, calls = supervisord_rpc([_info('contrail-api', 'RUNNING', group='contrail-api', pid=7),
                                   _info('contrail-schema', 'STARTING'),
                                   _info('contrail-config-nodemgr', 'BACKOFF'),
                                   _info('contrail-device-manager', 'STOPPED')])
    runner = Runner(rc=1, out='not called')
    after = service_manager.SupervisorCtl(runner, path).stop_all(5, interval=0.01)
    assert after == dict.fromkeys(['contrail-api', 'contrail-schema', 'contrail-config-nodemgr',
                                   'contrail-device-manager'], 'STOPPED')
    assert calls == ['stopAllProcesses(False)', 'getAllProcessInfo', 'getAllProcessInfo']
    assert runner.calls == []


def test_stop_all_falls_back_to_supervisorctl_stop_all(supervisord_rpc):
    path, calls = supervisord_rpc([], status=401)        # wants credentials
    runner = Runner(rc=3, out='contrail-api:0   STOPPED   Dec 07 06:27 PM\n')
    after = service_manager.SupervisorCtl(runner, path).stop_all(5, interval=0.01)
    assert after == {'contrail-api:0': 'STOPPED'} and calls == []
    assert runner.calls == [['supervisorctl', '-s', 'unix://%s' % path, 'stop', 'all'],
                            ['supervisorctl', '-s', 'unix://%s' % path, 'status']]


def test_stop_all_names_the_programs_that_do_not_stop(supervisord_rpc):
    path, _calls = supervisord_rpc([_info('contrail-api', 'RUNNING'), _info('contrail-schema', 'RUNNING')],
                                   stops=False)
    with pytest.raises(service_manager.ServiceError) as raised:
        service_manager.SupervisorCtl(Runner(), path).stop_all(0.2, interval=0.01)
    assert str(raised.value).startswith('contrail-api, contrail-schema still running 0.2s after '
                                        'supervisord was asked to stop every program (on %s)' % path)


def test_detect_supervisor_and_its_commands():
    runner = Runner(out=SUPERVISORCTL)
    svc = service_manager.detect(runner, 'vrouter', exists=lambda p: p == '/etc/init.d/supervisor-vrouter')
    assert svc.kind == 'supervisor'
    svc.stop()
    svc.signal_program('contrail-vrouter-agent')
    assert runner.calls[0] == ['service', 'supervisor-vrouter', 'stop']
    assert runner.calls[1][-3:] == ['signal', 'HUP', 'contrail-vrouter-agent']
    assert runner.calls[1][:3] == ['supervisorctl', '-s', 'unix:///var/run/supervisord_vrouter.sock']
    svc.stop_program('contrail-vrouter-nodemgr')
    assert runner.calls[2][-2:] == ['stop', 'contrail-vrouter-nodemgr']


def test_detect_systemd():
    runner = Runner(out='contrail-vrouter-agent.service enabled\n')
    svc = service_manager.detect(runner, 'vrouter', exists=lambda p: p == '/run/systemd/system')
    assert svc.kind == 'systemd'
    svc.start()
    assert runner.calls[-1] == ['systemctl', 'start', 'contrail-vrouter-agent',
                                'contrail-vrouter-nodemgr']
    svc.stop_program('contrail-vrouter-agent')
    assert runner.calls[-1] == ['systemctl', 'stop', 'contrail-vrouter-agent']


@pytest.mark.parametrize('role,unit', [('config', 'contrail-schema'), ('control', 'contrail-control')])
def test_detect_systemd_for_the_controller_roles(role, unit):
    runner = Runner(out='%s.service enabled\n' % unit)
    assert service_manager.detect(runner, role, exists=lambda p: p == '/run/systemd/system').kind == 'systemd'
    assert '%s.service' % unit in runner.calls[-1]


def test_systemd_role_reads_every_unit_in_one_is_active_call():
    runner = Runner(rc=3, out='active\ninactive\n')        # rc 3: one unit is inactive
    svc = service_manager.SystemdRole(runner, 'vrouter')
    assert svc.programs() == {'contrail-vrouter-agent': 'RUNNING', 'contrail-vrouter-nodemgr': 'INACTIVE'}
    assert svc.is_running()
    assert runner.calls[0] == ['systemctl', 'is-active', 'contrail-vrouter-agent', 'contrail-vrouter-nodemgr']
    with pytest.raises(service_manager.ServiceError, match='is-active'):
        service_manager.SystemdRole(Runner(rc=5), 'vrouter').programs()


def test_unknown_service_manager_is_a_clear_error():
    with pytest.raises(service_manager.ServiceError, match='unknown service manager'):
        service_manager.detect(Runner(), 'vrouter', 'upstart')
    with pytest.raises(service_manager.ServiceError, match='cannot tell how this host runs'):
        service_manager.detect(Runner(), 'vrouter', exists=lambda p: False)


def test_failed_command_raises_with_output():
    svc = service_manager.SupervisorRole(Runner(rc=1, out='supervisor-vrouter: supervisord did '
                                                          'not stop in 30s'), 'vrouter')
    with pytest.raises(service_manager.ServiceError, match='did not stop'):
        svc.stop()


def test_stopping_a_stopped_program_is_done_but_other_errors_raise():
    svc = service_manager.SupervisorRole(Runner(out='contrail-vrouter-nodemgr: ERROR (not running)\n'),
                                         'vrouter')
    svc.stop_program('contrail-vrouter-nodemgr')
    svc = service_manager.SupervisorRole(Runner(out='nova: ERROR (no such process)\n'), 'vrouter')
    with pytest.raises(service_manager.ServiceError, match='no such process'):
        svc.stop_program('nova')


# -- the container shape ----------------------------------------------------------------------

class Docker:
    """docker (or podman) CLI over scripted containers {name: [status, pid, restart policy]}."""

    def __init__(self, containers, runtime='/usr/bin/docker', missing_rc=1, down=False):
        self.containers = dict((name, list(state)) for name, state in containers.items())
        self.runtime, self.missing_rc, self.down, self.calls = runtime, missing_rc, down, []

    def __call__(self, args, environ_update=None):
        assert args[0] == self.runtime and environ_update == {'LC_ALL': 'C'}
        self.calls.append(' '.join(args[1:]))
        if self.down:
            return 1, '', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
        verb = args[1]
        names = [a for a in args[2:] if not a.startswith('-') and '{{' not in a]
        missing = [name for name in names if name not in self.containers]
        if missing:
            return self.missing_rc, '', 'Error: No such object: %s\n' % missing[0]
        if verb == 'inspect':
            assert args[2:4] == ['--format', service_manager.ContainerCli.INSPECT_FORMAT]
            return 0, '%s %s %s\n' % tuple(self.containers[names[0]]), ''
        for name in names:
            state = self.containers[name]
            if verb in ('start', 'restart'):
                state[:2] = ['running', 4242]
            elif verb == 'stop':
                state[:2] = ['exited', 0]
            elif verb == 'update':
                state[2] = args[2].split('=', 1)[1]
        return 0, '\n'.join(names) + '\n', ''

    def acts(self):
        return [c for c in self.calls if not c.startswith('inspect')]


def on_path(*names):
    return lambda name: '/usr/bin/%s' % name if name in names else None


CONFIG = dict(config_schema_1=['running', 311, 'always'], config_svcmonitor_1=['exited', 0, 'always'],
              config_devicemgr_1=['running', 313, 'no'], config_nodemgr_1=['restarting', 0, 'always'])


def test_detect_containers_when_the_caller_supports_them():
    docker = Docker(CONFIG)
    svc = service_manager.detect(docker, 'config', exists=lambda p: False, find=on_path('docker'),
                                 kinds=service_manager.KINDS)
    assert svc.kind == 'container' and svc.runtime == '/usr/bin/docker'
    assert docker.calls == ['inspect --format %s config_schema_1'
                            % service_manager.ContainerCli.INSPECT_FORMAT]
    # by default auto looks for supervisor and systemd only, and says what it looked for
    with pytest.raises(service_manager.ServiceError, match='no systemd unit contrail-schema$'):
        service_manager.detect(docker, 'config', exists=lambda p: False, find=on_path('docker'))
    with pytest.raises(service_manager.ServiceError,
                       match='and no config_schema_1 container on docker or podman'):
        service_manager.detect(Docker({}), 'config', exists=lambda p: False,
                               find=on_path('docker'), kinds=service_manager.KINDS)


def test_detect_finds_podman_and_an_explicit_container_needs_a_runtime():
    podman = Docker(CONFIG, runtime='/usr/bin/podman', missing_rc=125)
    svc = service_manager.detect(podman, 'config', 'container', find=on_path('podman'))
    assert svc.kind == 'container' and svc.client.describe('stop', 'x') == 'podman stop x'
    assert service_manager.find_runtime(on_path('docker', 'podman')) == '/usr/bin/docker'
    with pytest.raises(service_manager.ServiceError, match='no container runtime'):
        service_manager.detect(podman, 'config', 'container', find=on_path())


def test_container_role_maps_programs_to_containers():
    docker = Docker(CONFIG)
    svc = service_manager.ContainerRole(docker, 'config', '/usr/bin/docker')
    assert svc.programs() == {'contrail-schema': 'RUNNING', 'contrail-svc-monitor': 'EXITED',
                              'contrail-device-manager': 'RUNNING',
                              'contrail-config-nodemgr': 'RESTARTING'}
    assert svc.is_running() and svc.pid('contrail-schema') == 311
    assert svc.pid('contrail-config-nodemgr') == 0              # not running: no pid
    svc.restart_program('contrail-svc-monitor')
    svc.signal_program('contrail-schema', 'USR1')
    svc.stop()
    assert docker.acts() == ['restart config_svcmonitor_1', 'kill --signal=USR1 config_schema_1',
                             'stop config_schema_1 config_svcmonitor_1 config_devicemgr_1 '
                             'config_nodemgr_1']
    status = svc.status()
    assert status['manager'] == 'container' and status['state'] == 'stopped'
    assert status['service'].startswith('config_schema_1, config_svcmonitor_1')


def test_container_role_with_another_deployers_names():
    docker = Docker(dict(contrail_vrouter_agent=['running', 7, 'always']))
    svc = service_manager.ContainerRole(docker, 'vrouter', '/usr/bin/docker',
                                        containers={'contrail-vrouter-agent': 'contrail_vrouter_agent'})
    assert svc.programs() == {'contrail-vrouter-agent': 'RUNNING'}
    svc.stop_program('contrail-vrouter-agent')
    assert docker.acts() == ['stop contrail_vrouter_agent']
    assert svc.programs() == {'contrail-vrouter-agent': 'EXITED'}


def test_container_cli_answers_and_failures():
    cli = service_manager.ContainerCli(Docker(CONFIG), '/usr/bin/docker')
    assert cli.inspect('config_devicemgr_1') == dict(status='running', pid=313, restart='no')
    assert cli.inspect('nosuch') is None and not cli.exists('nosuch')
    assert cli.report(['config_schema_1', 'nosuch']) == {'config_schema_1': 'running',
                                                         'nosuch': 'absent'}
    assert cli.enabled('config_schema_1') and not cli.enabled('config_devicemgr_1')
    assert not cli.enabled('nosuch')
    with pytest.raises(service_manager.ServiceError, match='Cannot connect to the Docker daemon'):
        service_manager.ContainerCli(Docker(CONFIG, down=True), '/usr/bin/docker').inspect('x')
    with pytest.raises(service_manager.ServiceError, match='No such object'):
        cli.act('start', 'nosuch')
    with pytest.raises(service_manager.ServiceError, match="no 'reread' verb"):
        cli.action('reread')


def test_converge_containers_with_the_restart_policy():
    docker = Docker(CONFIG)
    cli = service_manager.ContainerCli(docker, '/usr/bin/docker')
    names = ['config_schema_1', 'config_svcmonitor_1', 'config_devicemgr_1', 'config_nodemgr_1']
    held = service_manager.converge(cli, names, running=False, enabled=False)
    assert [a.describe() for a in held] == [
        'docker update --restart=no config_schema_1', 'docker stop config_schema_1',
        'docker update --restart=no config_svcmonitor_1', 'docker stop config_devicemgr_1',
        'docker update --restart=no config_nodemgr_1', 'docker stop config_nodemgr_1']
    assert docker.acts() == []                   # planning asks, it changes nothing
    for action in held:
        action.run()
    assert service_manager.converge(cli, names, running=False, enabled=False) == []
    released = service_manager.converge(cli, names[:1], running=True, enabled=True)
    assert [a.describe() for a in released] == ['docker update --restart=always config_schema_1',
                                                'docker start config_schema_1']
    assert [a.starts for a in released] == [False, True]


def test_converge_supervisor_and_systemd():
    ctl = service_manager.SupervisorCtl(Runner(rc=3, out=SUPERVISORCTL), '/s.sock')
    names = ['contrail-vrouter-agent', 'contrail-vrouter-nodemgr', 'absent-one']
    assert [a.describe() for a in service_manager.converge(ctl, names, running=True)] == [
        'supervisorctl start contrail-vrouter-nodemgr', 'supervisorctl start absent-one']
    assert [a.describe() for a in service_manager.converge(ctl, names, running=False)] == [
        'supervisorctl stop contrail-vrouter-agent']
    with pytest.raises(service_manager.ServiceError, match='autostart of its program file'):
        service_manager.converge(ctl, names, enabled=True)
    assert service_manager.converge(ctl, [], running=True) == []
    runner = Runner(rc=3, out='activating\nreloading\nfailed\n')
    systemctl = service_manager.Systemctl(runner)
    units = ['a', 'b', 'c']
    assert [a.describe() for a in service_manager.converge(systemctl, units, running=True)] == [
        'systemctl start c']
    assert [a.describe() for a in service_manager.converge(systemctl, units, running=False)] == [
        'systemctl stop a', 'systemctl stop b']


def test_supervisor_load_and_the_main_and_program_supervisords():
    runner = Runner(out='contrail-issu: added process group\n')
    ctl = service_manager.SupervisorCtl(runner, '/var/run/supervisord_issu.sock')
    actions = ctl.load('contrail-issu')
    assert [a.describe() for a in actions] == ['supervisorctl reread', 'supervisorctl update contrail-issu']
    for action in actions:
        action.run()
    assert runner.calls[-1] == ['supervisorctl', '-s', 'unix:///var/run/supervisord_issu.sock',
                                'update', 'contrail-issu']
    main = service_manager.main_supervisord(runner)
    assert main.ctl.socket == service_manager.MAIN_SUPERVISOR_SOCKET
    assert main.start.describe() == 'service supervisor start' and main.start.starts
    issu = service_manager.program_supervisord(runner, 'supervisord_issu', '/var/run/supervisord_issu.sock')
    issu.start.run()
    assert runner.calls[-1] == ['supervisorctl', '-s', 'unix:///var/run/supervisor.sock', 'start',
                                'supervisord_issu']
    role = service_manager.SupervisorRole(runner, 'config').supervisord
    assert role.start.describe() == 'service supervisor-config start'


def test_detect_kind_otherwise_and_order():
    installed = Runner(out='contrail-issu-run-sync.service enabled\n')

    def systemd_host(path):
        return path == '/run/systemd/system'

    assert service_manager.detect_kind(installed, 'issu', exists=systemd_host, kinds=('systemd',),
                                       otherwise='supervisor') == 'systemd'
    assert service_manager.detect_kind(Runner(rc=1), 'issu', exists=systemd_host,
                                       kinds=('systemd',), otherwise='supervisor') == 'supervisor'
    assert service_manager.detect_kind(Runner(), 'issu', 'systemd') == 'systemd'


def test_pidof():
    assert service_manager.pidof(Runner(out='1234\n'), 'contrail-control') == 1234
    assert service_manager.pidof(Runner(rc=1), 'contrail-control') == 0


@pytest.mark.parametrize('state, settled', [('DEAD', False), ('EXITED', True), ('ABSENT', True)])
def test_give_up_watch_on_containers(state, settled):
    now = [100.0]

    class Svc:
        kind = 'container'

        def programs(self):
            return {'contrail-vrouter-agent': state}

    watch = service_manager.GiveUpWatch(Svc(), ['contrail-vrouter-agent'], clock=lambda: now[0])
    now[0] += 1
    if settled:
        watch.poll()
        now[0] += 3
    with pytest.raises(service_manager.GaveUp, match='is %s' % state):
        watch.poll()


@pytest.mark.parametrize('systemd, command', [
    (True, ['systemctl', 'restart', 'neutron-server']),
    (False, ['service', 'neutron-server', 'restart']),
])
def test_restart_service_follows_the_init_system(systemd, command):
    calls = []

    def runner(args, environ_update=None):
        calls.append(args)
        return 0, '', ''
    service_manager.restart_service(runner, 'neutron-server',
                                    exists=lambda path: systemd and path == '/run/systemd/system')
    assert calls == [command]


def test_a_failed_restart_service_names_the_command():
    def runner(args, environ_update=None):
        return 1, '', 'neutron-server: unrecognized service'
    with pytest.raises(service_manager.ServiceError, match='service neutron-server restart failed'):
        service_manager.restart_service(runner, 'neutron-server', exists=lambda path: False)
