# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter: eras, package sets, conf plans (3.x <-> 4.x, one code path), routes, fact rules."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit, vrouter

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
AGENT_32 = """\
[CONTROL-NODE]

[DEFAULT]
# collectors come from discovery in 3.2
log_file=/var/log/contrail/contrail-vrouter-agent.log
http_server_port=8085

[DISCOVERY]
server=10.99.0.11
max_control_nodes=2

[DNS]
"""
V2_SERVERS = dict(control_servers=['10.99.0.21', '10.99.0.22:5269'], dns_servers=['10.99.0.21'],
                  collectors=['10.99.0.21'], discovery_server=None)


def test_era():
    assert vrouter.era(V1) == '3.x' and vrouter.era(V2) == '4.x' and vrouter.era('1:4.1.0-3') == '4.x'
    with pytest.raises(vrouter.VrouterError):
        vrouter.era('latest')


def test_package_set_default_kmod_and_protection():
    installed = {'contrail-vrouter-agent': {}, 'contrail-lib': {}, 'nova-compute': {}}
    names = vrouter.package_set(installed, '4.4.0-116-generic')
    assert names == ['contrail-vrouter-dkms', 'contrail-vrouter-agent', 'contrail-lib']
    prebuilt = {'contrail-vrouter-4.4.0-116-generic': {}, 'contrail-vrouter-agent': {}}
    assert vrouter.package_set(prebuilt, '4.4.0-116-generic')[0] == \
        'contrail-vrouter-4.4.0-116-generic'
    with pytest.raises(vrouter.VrouterError, match='nova-compute'):
        vrouter.package_set(installed, 'k', ['contrail-vrouter-agent', 'nova-compute'])


@pytest.mark.parametrize('conf, installed, platform, mode, refused', [
    (AGENT_32, {}, 'kernel', 'vrouter', False),
    (AGENT_32.replace('[DEFAULT]', '[DEFAULT]\nplatform = default\nagent_mode=tsn'), {},
     'kernel', 'tsn', False),
    (AGENT_32.replace('[DEFAULT]', '[DEFAULT]\nplatform=dpdk'), {}, 'dpdk', 'vrouter', True),
    (AGENT_32, {'contrail-vrouter-dpdk': {'version': V1}}, 'dpdk', 'vrouter', True),
    (AGENT_32.replace('[DEFAULT]', '[DEFAULT]\nplatform=nic'), {}, 'nic', 'vrouter', True),
])
def test_node_kind_swaps_kernel_and_tsn_refuses_dpdk(tmp_path, conf, installed, platform, mode,
                                                     refused):
    path = tmp_path / 'agent.conf'
    path.write_text(conf)
    kind = vrouter.node_kind(installed, str(path), ['/etc/contrail/contrail-tor-agent-1.conf'])
    assert (kind['platform'], kind['agent_mode'], kind['tor_agents']) == (platform, mode, 1)
    assert bool(kind['refused']) is refused
    if refused:
        with pytest.raises(vrouter.VrouterError, match='forwards without the vrouter kernel '
                                                       'module.*issu_force'):
            vrouter.refuse_unsupported(kind)
    else:
        vrouter.refuse_unsupported(kind)


def test_package_changes_counts_half_configured_as_not_done():
    installed = {'a': {'version': V2, 'status': 'installed'},
                 'b': {'version': V2, 'status': 'half-configured'},
                 'c': {'version': V1, 'status': 'installed'}}
    changes = vrouter.package_changes(installed, {'a': V2, 'b': V2, 'c': V2, 'd': V2})
    assert changes == {'b': {'from': V2, 'to': V2}, 'c': {'from': V1, 'to': V2},
                       'd': {'from': None, 'to': V2}}


def test_render_per_era():
    assert vrouter.render('control_servers', '4.x', ['10.0.0.1', '10.0.0.2:5270']) == \
        '10.0.0.1:5269 10.0.0.2:5270'
    assert vrouter.render('control_servers', '3.x', ['10.0.0.1:5269']) == '10.0.0.1'
    assert vrouter.render('dns_servers', '3.x', ['10.0.0.1']) == '10.0.0.1'
    assert vrouter.render('collectors', '3.x', '10.0.0.1,10.0.0.2') == '10.0.0.1:8086 10.0.0.2:8086'


def test_conflicting_era_keys_are_refused():
    with pytest.raises(vrouter.VrouterError, match='conflicting era keys'):
        vrouter.validate_servers('4.x', dict(discovery_server='10.0.0.10'))
    with pytest.raises(vrouter.VrouterError, match='conflicting era keys'):
        vrouter.validate_servers('3.x', dict(discovery_server='10.0.0.10',
                                             control_servers=['10.0.0.11']))
    vrouter.validate_servers('3.x', dict(discovery_server='10.0.0.10', control_servers=None))


def test_upgrade_plan_then_restore_from_record_is_the_original_file():
    recorded = _values(AGENT_32)
    edits = vrouter.conf_edits(vrouter.AGENT_KEYS, '4.x', V2_SERVERS)
    upgraded, changed = ini_edit.apply_edits(AGENT_32, edits)
    doc = ini_edit.IniDocument(upgraded)
    assert doc.get('CONTROL-NODE', 'servers') == '10.99.0.21:5269 10.99.0.22:5269'
    assert doc.get('DNS', 'servers') == '10.99.0.21:53'
    assert doc.get('DEFAULT', 'collectors') == '10.99.0.21:8086'
    assert doc.get('DISCOVERY', 'server') is None
    assert doc.get('DISCOVERY', 'max_control_nodes') == '2'
    assert '# collectors come from discovery in 3.2' in upgraded
    assert vrouter.conf_era(_values(upgraded)) == '4.x'
    restored, _changed = ini_edit.apply_edits(upgraded, vrouter.restore_edits(recorded))
    discovery = ini_edit.IniDocument(restored).items('DISCOVERY')
    assert discovery == [('max_control_nodes', '2'), ('server', '10.99.0.11')]
    assert _values(restored) == recorded
    again, changed = ini_edit.apply_edits(upgraded, edits)
    assert again == upgraded and changed == []


def test_explicit_v1_parameters_give_a_3x_conf():
    edits = vrouter.conf_edits(vrouter.AGENT_KEYS, '4.x', V2_SERVERS)
    upgraded, _changed = ini_edit.apply_edits(AGENT_32, edits)
    back, _changed = ini_edit.apply_edits(upgraded, vrouter.conf_edits(
        vrouter.AGENT_KEYS, '3.x', dict(discovery_server='10.99.0.11')))
    view = vrouter.servers_view(_values(back))
    assert view['era'] == '3.x' and view['discovery_server'] == '10.99.0.11'
    assert view['control_servers'] == [] and view['dns_servers'] == []
    assert view['collectors'] == ['10.99.0.21:8086']   # not an era key: kept unless given


def test_nodemgr_plan():
    nodemgr = '[DISCOVERY]\nserver=10.99.0.11\nport=5998\n\n[COLLECTOR]\n#server_list=ip1:port1\n'
    edits = vrouter.conf_edits(vrouter.NODEMGR_KEYS, '4.x', V2_SERVERS)
    text, _changed = ini_edit.apply_edits(nodemgr, edits)
    assert text == ('[DISCOVERY]\nport=5998\n\n[COLLECTOR]\n#server_list=ip1:port1\n'
                    'server_list=10.99.0.21:8086\n')


def _values(text):
    doc = ini_edit.IniDocument(text)
    return dict((vrouter.key_name(k), doc.get(*k)) for k in vrouter.managed_keys(vrouter.AGENT_KEYS))


def test_kmod_loaded():
    lsmod = 'Module                  Size  Used by\nvrouter               385024  1\nbridge 1 0\n'
    assert vrouter.kmod_loaded(lsmod) == dict(loaded=True, used_by=1)
    assert vrouter.kmod_loaded('Module Size Used by\n') == dict(loaded=False, used_by=0)


def test_xmpp_ready():
    peers = [dict(controller_ip='10.0.0.21', state='Established'),
             dict(controller_ip='10.0.0.22', state='Down')]
    assert vrouter.xmpp_ready(peers, ['10.0.0.21'])
    assert not vrouter.xmpp_ready(peers, ['10.0.0.21', '10.0.0.22'])
    # an agent keeps two sessions, whatever the length of its list
    three = ['10.0.0.21', '10.0.0.22', '10.0.0.23']
    two_up = peers + [{'controller_ip': '10.0.0.23', 'state': 'Established'}]
    assert vrouter.xmpp_ready(two_up, three)
    assert not vrouter.xmpp_ready(peers, three)
    assert not vrouter.xmpp_ready(two_up, ['10.0.0.31', '10.0.0.32', '10.0.0.23'])
    assert vrouter.xmpp_ready(peers, []) and not vrouter.xmpp_ready([], [])


class FakeClient:
    """request(name, *args) -> parts, like IntrospectClient after parsing."""

    def __init__(self, vrfs, routes):
        self.vrfs, self.routes = vrfs, routes

    def request(self, name, *args):
        if name == 'VrfListReq':
            return [('VrfListResp', {'vrf_list': self.vrfs})]
        return [('Inet4UcRouteResp', {'route_list': self.routes.get(args[0], [])})]


def _route(ip, *peers):
    return dict(src_ip=ip, src_plen=32, path_list=[dict(peer=p) for p in peers])


def test_agent_routes_and_missing():
    vrfs = [dict(name='fabric', ucindex=0, vn='N/A'), dict(name='vn1', ucindex=2, vn='d:a:vn1')]
    before = vrouter.agent_routes(FakeClient(vrfs, {0: [_route('10.99.0.101')], 2: [
        _route('10.1.0.1', 'LocalVmPort'), _route('10.1.0.3', '10.99.0.11')]}))
    assert before == {('vn1', '10.1.0.1/32'): 'local', ('vn1', '10.1.0.3/32'): 'xmpp'}
    assert vrouter.route_summary(before) == dict(total=2, xmpp=1, local=1)
    during = vrouter.agent_routes(FakeClient(vrfs, {2: [_route('10.1.0.1', 'LocalVmPort'),
                                                        _route('10.1.0.3', 'LocalVmPort')]}))
    assert vrouter.missing_routes(before, during) == ['vn1 10.1.0.3/32']
    after = vrouter.agent_routes(FakeClient(vrfs, {2: [_route('10.1.0.1', 'LocalVmPort'),
                                                       _route('10.1.0.3', '10.99.0.21')]}))
    assert vrouter.missing_routes(before, after) == []


def test_fact_rules(tmp_path):
    path = str(tmp_path / 'facts.d' / 'contrail_issu.fact')
    assert vrouter.read_fact(path) == {}
    vrouter.write_fact(path, {'vrouter': {'status': 'failed', 'previous': {'versions': {}}}})
    fact = vrouter.read_fact(path)
    assert not vrouter.may_record_previous(fact)
    assert vrouter.previous_state(fact) == {'versions': {}}
    assert vrouter.may_record_previous({'vrouter': {'status': 'done'}})
    (tmp_path / 'bad').write_text('{')
    with pytest.raises(vrouter.VrouterError, match='not valid JSON'):
        vrouter.read_fact(str(tmp_path / 'bad'))


def test_describe_host():
    snap = dict(packages={'a': {'version': V2, 'status': 'installed'},
                          'b': {'version': V1, 'status': 'half-configured'}},
                service={'state': 'stopped'}, kmod={'loaded': False},
                agent_conf={'CONTROL-NODE/servers': 'x:5269'})
    assert vrouter.describe_host(snap, {'a': V2, 'b': V2}, {'a': V1, 'b': V1}) == (
        'vrouter stopped; agent not installed; packages: 1/2 at target, 1 at previous version; '
        'not configured: b half-configured; kmod not loaded; agent conf 4.x')


def test_describe_host_names_the_agent_version_and_the_loaded_module():
    snap = dict(packages={'contrail-vrouter-agent': {'version': V1, 'status': 'installed'}},
                service={'state': 'running', 'programs': {'contrail-vrouter-agent': 'RUNNING'}},
                kmod={'loaded': True, 'version': V1}, agent_conf={'DISCOVERY/server': 'x'})
    assert vrouter.describe_host(snap, {'contrail-vrouter-agent': V1}) == (
        'vrouter running; agent %s; packages: 1/1 at target; kmod %s loaded; agent conf 3.x'
        % (V1, V1))


# -- the loaded kernel module (issue 14: a resumed swap started v2 on the v1 module) ----------

def test_parse_vrouter_info():
    lab = 'vRouter version: {"build-info": [{"build-version": "3.2.14.0-37", "build-hostname": "lab"}]}'
    assert vrouter.parse_vrouter_info(lab) == V1
    real = ('vRouter version: {"build-info" : [{"build-time" : "2017-11-02 02:13:03.528915", '
            '"build-hostname" : "b", "build-version" : "4.0.3.0", "build-number" : "62"}]}')
    assert vrouter.parse_vrouter_info(real) == V2
    assert vrouter.parse_vrouter_info('Error: vrouter kernel module not loaded') is None
    assert vrouter.parse_vrouter_info(None) is None


def test_same_build_and_kmod_target():
    assert vrouter.upstream('1:4.0.3.0-62') == '4.0.3.0'
    assert vrouter.same_build(V2, V2) and not vrouter.same_build(V1, V2)
    assert vrouter.same_build('4.0.3.0', V2) and not vrouter.same_build('4.0.3.0-63', V2)
    assert vrouter.kmod_target({'contrail-vrouter-agent': V2, 'contrail-vrouter-dkms': V1}) == V1
    assert vrouter.kmod_target({'contrail-vrouter-4.4.0-116-generic': V2,
                                'contrail-vrouter-agent': V1}) == V2
    assert vrouter.kmod_target({'contrail-vrouter-agent': V2}) == V2
    assert vrouter.kmod_target({'contrail-nodemgr': V2}) is None


def test_the_loaded_module_decides_the_reload_not_the_package_plan():
    reason = vrouter.kmod_reload_reason
    loaded_v1 = dict(loaded=True, version=V1)
    # resumed: the packages are at target already, the v1 module still loaded
    assert 'is %s' % V1 in reason(loaded_v1, V2, packages_change=False, unfinished=None)
    # the module is the target's: no reload, even when packages change
    assert reason(dict(loaded=True, version=V2), V2, True, 'in_progress') is None
    assert reason(dict(loaded=False), V2, True, None) is None          # the start loads it
    # the module does not tell its build: srcversion, then the plan, then the record
    unknown = dict(loaded=True, version=None, srcversion='AB', installed_srcversion='CD')
    assert 'not the installed one' in reason(unknown, V2, False, None)
    same = dict(unknown, installed_srcversion='AB')
    assert reason(same, V2, False, None) is None
    assert 'packages change' in reason(same, V2, True, None)
    assert 'did not finish (in_progress)' in reason(same, V2, False, 'in_progress')


def test_kmod_state_reads_the_loaded_build(monkeypatch, tmp_path):
    monkeypatch.setattr(vrouter, 'which', lambda name: '/sbin/%s' % name)
    (tmp_path / 'srcversion').write_text('1A2B\n')
    answers = {'lsmod': 'Module  Size  Used by\nvrouter 385024 1\n',
               'modinfo': '9F8E\n',
               'vrouter': 'vRouter version: {"build-info": [{"build-version": "%s"}]}' % V1}

    def runner(args, environ_update=None):
        return 0, answers[args[0].rsplit('/', 1)[-1]], ''
    state = vrouter.kmod_state(runner, sys_module=str(tmp_path))
    assert state == dict(loaded=True, used_by=1, version=V1, srcversion='1A2B',
                         installed_srcversion='9F8E')
    answers['lsmod'] = 'Module  Size  Used by\n'
    assert vrouter.kmod_state(runner, sys_module=str(tmp_path))['version'] is None


# -- commands with a time limit (issue 14: a hung compute hung the play) -------------------------

def test_timed_runner_limits_every_command_and_says_what_it_waited_for():
    now = [0.0]
    calls = []

    def run_command(args, environ_update=None):
        calls.append(args)
        if args[-3:] == ['hang', '-w', 'vrouter']:
            now[0] += float(args[3])
            return 124, '', ''
        return (124 if args[-1] == 'exit124' else 0), 'out', ''
    runner = vrouter.TimedRunner(run_command, '/usr/bin/timeout', clock=lambda: now[0])
    assert runner(['lsmod']) == (0, 'out', '')
    assert calls[-1] == ['/usr/bin/timeout', '-k', '5', '30', 'lsmod']
    assert runner(['exit124'])[0] == 124          # its own exit code, not a timeout
    with runner.limited(60, 'the module to have no users'):
        with pytest.raises(vrouter.CommandTimeout) as info:
            runner(['hang', '-w', 'vrouter'])
    assert str(info.value) == ('hang -w vrouter did not return in 60s and was killed: it was '
                               'waiting for the module to have no users')
    assert info.value.to_dict()['timeout'] == 60
    assert runner.limit == (30, 'its answer')     # the step's limit ends with the step
    unlimited = vrouter.TimedRunner(run_command, None)
    unlimited(['x', 'y'])
    assert calls[-1] == ['x', 'y']
