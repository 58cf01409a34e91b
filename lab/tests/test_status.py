"""Unit tests of contrail-status (contrail_sim.status) and contrail-version (contrail_sim.version).

The node is faked at the command boundary (dpkg-query, supervisorctl, service, lsmod, initctl)
and through the module's path attributes; daemons' NodeStatus UVEs are served by the lab's real
sandesh HTTP server, so the introspect side is the one the daemons use.
"""
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'sim'))

from contrail_sim import sandesh, status, version  # noqa: E402

SUPERVISORCTL_VROUTER = (
    'contrail-vrouter-agent           RUNNING   pid 305, uptime 0:10:01\n'
    'contrail-vrouter-nodemgr         RUNNING   pid 306, uptime 0:10:01\n')


class FakeNode(object):
    """Answers status.run() like a node with the given packages, services and supervisors."""

    def __init__(self, packages, supervisors, lsmod='', services_running=(), initctl=None):
        self.packages = packages                # name -> version
        self.supervisors = supervisors          # socket name -> supervisorctl status output
        self.lsmod = lsmod
        self.services_running = set(services_running)
        self.initctl = initctl                  # None: no initctl; 'true': /bin/true (4.0 container)

    def __call__(self, cmd):
        name = cmd[0]
        if name == 'dpkg-query':
            pkg = cmd[-1]
            return (0, self.packages[pkg]) if pkg in self.packages else (1, '')
        if name == 'supervisorctl':
            sock = os.path.basename(cmd[2])
            if sock not in self.supervisors:
                return 2, '%s no such file\n' % cmd[2]
            return 3, self.supervisors[sock]
        if name == 'service':
            svc = cmd[1]
            running = svc in self.services_running
            return (0 if running else 3,
                    '%s %s\n' % (svc, 'start/running, process 42' if running else 'stop/waiting'))
        if name == 'lsmod':
            return 0, 'Module                  Size  Used by\n' + self.lsmod
        if name == 'initctl':
            return (0, '') if self.initctl == 'true' else (127, '')
        return 127, ''


@pytest.fixture
def node_paths(tmp_path, monkeypatch):
    """Empty /etc/contrail, /etc/init.d, /etc/rc*.d, sockets and crash dirs under tmp_path."""
    for sub in ('contrail', 'init.d', 'rc2.d', 'run', 'crashes'):
        (tmp_path / sub).mkdir()
    monkeypatch.setattr(status, 'CONTRAIL_ETC', str(tmp_path / 'contrail'))
    monkeypatch.setattr(status, 'INIT_D', str(tmp_path / 'init.d'))
    monkeypatch.setattr(status, 'RC_DIRS', str(tmp_path / 'rc*.d'))
    monkeypatch.setattr(status, 'SOCKET_DIRS', (str(tmp_path / 'run'),))
    monkeypatch.setattr(status, 'CRASHES', str(tmp_path / 'crashes'))
    monkeypatch.setattr(status, 'CONTRAILCTL_CONF', str(tmp_path / 'controller.conf'))
    return tmp_path


def install_service(paths, svc):
    """An init script registered in rc2.d, as update-rc.d leaves it."""
    (paths / 'init.d' / svc).write_text('#!/bin/sh\n')
    (paths / 'rc2.d' / ('S01' + svc)).write_text('')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def agent_introspect(node_paths):
    """A NodeStatus server for contrail-vrouter-agent, found through its conf's http_server_port."""
    port = free_port()
    (node_paths / 'contrail' / 'contrail-vrouter-agent.conf').write_text(
        '[DEFAULT]\nhttp_server_port=%d\n' % port)
    holder = sandesh.NodeStatusHolder('compute1', 'contrail-vrouter-agent')
    server = sandesh.serve_introspect(port, {}, node_status=holder, host='127.0.0.1')
    yield holder
    server.shutdown()
    server.server_close()


def options(**kw):
    values = {'detail': False, 'debug': False, 'timeout': 2.0}
    values.update(kw)
    return type('Options', (), values)()


def compute_node(monkeypatch, node_paths, **kw):
    install_service(node_paths, 'supervisor-vrouter')
    kw.setdefault('lsmod', 'vrouter               385024  1\n')
    kw.setdefault('services_running', ['supervisor-vrouter'])
    fake = FakeNode({'contrail-vrouter-agent': '3.2.14.0-37'},
                    {'supervisord_vrouter.sock': SUPERVISORCTL_VROUTER}, **kw)
    monkeypatch.setattr(status, 'run', fake)
    return fake


def test_compute_all_active_matches_reference_format(monkeypatch, node_paths, agent_introspect):
    agent_introspect.set_connection('XMPP', 'control-node:10.99.0.11', up=True)
    compute_node(monkeypatch, node_paths)
    assert status.report(options()) == [
        '== Contrail vRouter ==',
        'supervisor-vrouter:           active',
        'contrail-vrouter-agent        active              ',
        'contrail-vrouter-nodemgr      active              ',
        '']


def test_agent_non_functional_is_initializing_with_description(monkeypatch, node_paths,
                                                               agent_introspect):
    agent_introspect.set_connection('XMPP', 'control-node:10.99.0.11', up=False)
    agent_introspect.set_connection('Collector', '', up=False)
    compute_node(monkeypatch, node_paths)
    line = status.report(options())[2]
    assert line == ('contrail-vrouter-agent        initializing (Collector, '
                    'XMPP:control-node:10.99.0.11 connection down)')


def test_agent_without_introspect_is_initializing(monkeypatch, node_paths):
    (node_paths / 'contrail' / 'contrail-vrouter-agent.conf').write_text(
        '[DEFAULT]\nhttp_server_port=%d\n' % free_port())
    compute_node(monkeypatch, node_paths)
    assert status.report(options())[2] == 'contrail-vrouter-agent        initializing        '


def test_no_module_and_stopped_supervisor(monkeypatch, node_paths):
    fake = compute_node(monkeypatch, node_paths, lsmod='', services_running=())
    fake.supervisors = {}
    (node_paths / 'rc2.d' / 'S01supervisor-vrouter').unlink()
    assert status.report(options()) == [
        'vRouter is NOT PRESENT', '',
        '== Contrail vRouter ==',
        'supervisor-vrouter:           inactive (disabled on boot)']


def test_supervisor_states_are_mapped(monkeypatch, node_paths, agent_introspect):
    fake = compute_node(monkeypatch, node_paths)
    fake.supervisors['supervisord_vrouter.sock'] = (
        'contrail-vrouter-agent           FATAL     Exited too quickly\n'
        'contrail-vrouter-nodemgr         STOPPED   Nov 24 08:00 PM\n')
    assert status.report(options())[2:4] == [
        'contrail-vrouter-agent        failed              ',
        'contrail-vrouter-nodemgr      inactive            ']


CONFIG_V1 = ('contrail-api:0                   RUNNING   pid 1, uptime 0:01:00\n'
             'contrail-config-nodemgr          RUNNING   pid 2, uptime 0:01:00\n'
             'contrail-device-manager          RUNNING   pid 3, uptime 0:01:00\n'
             'contrail-discovery:0             RUNNING   pid 4, uptime 0:01:00\n'
             'contrail-schema                  RUNNING   pid 5, uptime 0:01:00\n'
             'contrail-svc-monitor             STOPPED   Not started\n')


def controller(monkeypatch, node_paths, initctl=None):
    """A lab controller: role packages absent, supervisord confs present (lab fallback)."""
    for role in ('config', 'control'):
        (node_paths / 'contrail' / ('supervisord_%s.conf' % role)).write_text('')
        install_service(node_paths, 'supervisor-' + role)
    # Nothing listens on these ports: backup for ST/DM (not master), initializing for control.
    for svc in ('contrail-schema', 'contrail-device-manager', 'contrail-control'):
        (node_paths / 'contrail' / (svc + '.conf')).write_text(
            '[DEFAULTS]\nhttp_server_port=%d\n' % free_port())
    control = 'contrail-control                 RUNNING   pid 7, uptime 0:01:00\n'
    fake = FakeNode({}, {'supervisord_config.sock': CONFIG_V1,
                         'supervisord_control.sock': control},
                    services_running=['supervisor-config', 'supervisor-control'], initctl=initctl)
    monkeypatch.setattr(status, 'run', fake)


def test_controller_sections_v1(monkeypatch, node_paths):
    controller(monkeypatch, node_paths)
    assert status.report(options()) == [
        '== Contrail Control ==',
        'supervisor-control:           active',
        'contrail-control              initializing        ',
        '',
        '== Contrail Config ==',
        'supervisor-config:            active',
        'contrail-api:0                active              ',
        'contrail-config-nodemgr       active              ',
        'contrail-device-manager       backup              ',
        'contrail-discovery:0          active              ',
        'contrail-schema               backup              ',
        'contrail-svc-monitor          inactive            ',
        '']


def test_container_init_hides_supervisor_line(monkeypatch, node_paths):
    """4.0 containers: initctl is /bin/true, so no `supervisor-<role>:` lines (§6.2)."""
    controller(monkeypatch, node_paths, initctl='true')
    lines = status.report(options())
    assert lines[:2] == ['== Contrail Control ==', 'contrail-control              initializing        ']
    assert not [l for l in lines if l.startswith('supervisor-')]


def test_contrailctl_disables_roles(monkeypatch, node_paths):
    controller(monkeypatch, node_paths)
    (node_paths / 'controller.conf').write_text('[CONTROLLER]\nenable_control_service = False\n')
    assert status.report(options())[0] == '== Contrail Config =='


def test_crash_files_listed(monkeypatch, node_paths, agent_introspect):
    compute_node(monkeypatch, node_paths)
    core = node_paths / 'crashes' / 'core.contrail-vrouter-agent.1'
    core.write_text('')
    assert status.report(options())[-2:] == ['========Run time service failures=============',
                                              str(core)]


# -- contrail-version -----------------------------------------------------------------------------
def fake_dpkg(monkeypatch, packages):
    def dpkg_query(args):
        fmt, pattern = args[1], args[2]
        if pattern == '*contrail*':
            return ''.join('%s\n' % p for p in packages if 'contrail' in p)
        if pattern not in packages:
            return ''
        return fmt[3:].replace('${db:Status-Abbrev}', 'ii ').replace('${Version}',
                                                                      packages[pattern])
    monkeypatch.setattr(version, 'dpkg_query', dpkg_query)


def test_version_format(monkeypatch, tmp_path):
    fake_dpkg(monkeypatch, {'contrail-lib': '3.2.14.0-37', 'python-contrail': '3.2.14.0-37'})
    monkeypatch.setattr(version, 'VERSION_FILE', str(tmp_path / 'VERSION'))
    assert version.lines(['contrail-lib', 'contrail-setup', 'python-contrail']) == [
        'Package                                Version                        '
        'Build-ID | Repo | Package Name',
        '-------------------------------------- ------------------------------ '
        '----------------------------------',
        'contrail-lib                           3.2.14.0-37                          3.2.14.0-37         ',
        'python-contrail                        3.2.14.0-37                          3.2.14.0-37         ']


def test_version_buildid_and_debs_list(monkeypatch, tmp_path):
    fake_dpkg(monkeypatch, {'contrail-lib': '4.0.3.0-62', 'contrail-utils': '4.0.3.0-62'})
    (tmp_path / 'VERSION').write_text('BUILDID=62\n')
    (tmp_path / 'debs_list.txt').write_text('contrail-utils\n')
    monkeypatch.setattr(version, 'VERSION_FILE', str(tmp_path / 'VERSION'))
    monkeypatch.setattr(version, 'DEBS_LIST', str(tmp_path / 'debs_list.txt'))
    assert version.lines([])[2:] == [
        'contrail-utils                         4.0.3.0-62                           62                  ']


def test_version_lists_installed_contrail_packages_without_debs_list(monkeypatch, tmp_path):
    fake_dpkg(monkeypatch, {'python-contrail': '4.0.3.0-62', 'contrail-lib': '4.0.3.0-62',
                            'supervisor': '4.2.5-1'})
    monkeypatch.setattr(version, 'DEBS_LIST', str(tmp_path / 'missing.txt'))
    assert [l.split()[0] for l in version.lines([])[2:]] == ['contrail-lib', 'python-contrail']
