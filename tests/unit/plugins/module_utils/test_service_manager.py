# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_manager: detection, commands per manager, supervisorctl parsing."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager

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
