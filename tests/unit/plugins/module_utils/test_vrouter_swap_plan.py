# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_swap_plan: the target, the changes, the steps and the record of a vRouter swap,
from facts as the runner reads them off a compute (no host needed).

The runner's I/O and timed steps are tested in modules/test_vrouter_swap.py (a scripted
compute), the swap on real hosts in tests/integration/test_vrouter_swap.py (lab).
"""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter_swap_plan as sp
from ansible_collections.opencontrail.issu.plugins.modules import vrouter_swap

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
V1_CONTROL, V2_CONTROL = '10.99.0.11', '10.99.0.21'
AGENT, NODEMGR = 'contrail-vrouter-agent', 'contrail-vrouter-nodemgr'
AGENT_CONF, NODEMGR_CONF = '/etc/contrail/agent.conf', '/etc/contrail/nodemgr.conf'
TOR_CONF = '/etc/contrail/contrail-tor-agent-1.conf'
FACT_FILE = '/etc/ansible/facts.d/contrail_issu.fact'
AGENT_32 = ('[CONTROL-NODE]\n\n[DEFAULT]\nhttp_server_port=8085\n\n[DISCOVERY]\nserver=%s\n\n'
            '[DNS]\n' % V1_CONTROL)
AGENT_40 = ('[CONTROL-NODE]\nservers=%s:5269\n\n[DEFAULT]\nhttp_server_port=8085\n'
            'collectors=%s:8086\n\n[DISCOVERY]\n\n[DNS]\nservers=%s:53\n'
            % (V2_CONTROL, V2_CONTROL, V2_CONTROL))
NODEMGR_32 = '[COLLECTOR]\n\n[DISCOVERY]\nserver=%s\n' % V1_CONTROL
PACKAGES = ('contrail-vrouter-dkms', AGENT, 'contrail-vrouter-utils', 'contrail-nodemgr')
AGENT_32_VALUES = {'CONTROL-NODE/server': None, 'DNS/server': None, 'DEFAULT/collectors': None,
                   'DISCOVERY/server': V1_CONTROL, 'CONTROL-NODE/servers': None,
                   'DNS/servers': None}


def params(**given):
    """The options as Ansible passes them to the module (its defaults, then ``given``)."""
    options = dict((name, spec.get('default'))
                   for name, spec in vrouter_swap.argument_spec().items())
    options.update(agent_conf=AGENT_CONF, nodemgr_conf=NODEMGR_CONF, fact_file=FACT_FILE)
    options.update(given)
    return options


UPGRADE = dict(version=V2, control_servers=[V2_CONTROL], dns_servers=[V2_CONTROL],
               collectors=[V2_CONTROL])


def installed(version=V1, names=PACKAGES, status='installed'):
    return dict((name, dict(version=version, status=status)) for name in names)


def snapshot(version=V1, kmod_version=V1, service='running', agent_conf=None, **packages):
    """A compute as vrouter.snapshot reads it."""
    found = installed(version)
    found.update(packages)
    programs = {AGENT: 'RUNNING', NODEMGR: 'RUNNING'} if service == 'running' else {}
    return dict(packages=found, agent_conf=agent_conf or dict(AGENT_32_VALUES),
                nodemgr_conf={'DISCOVERY/server': V1_CONTROL, 'COLLECTOR/server_list': None},
                tor_agent_confs={},
                service=dict(manager='supervisor', service='supervisor-vrouter', state=service,
                             programs=programs),
                kmod=dict(loaded=kmod_version is not None, used_by=1, version=kmod_version,
                          srcversion=None, installed_srcversion=None))


# -- the target ---------------------------------------------------------------------------------

def test_query_names_are_the_known_packages_then_the_requested_ones_once():
    names = sp.query_names(['contrail-vrouter-agent', 'extra'])
    assert names[0] == vrouter.KMOD_DKMS and names[-1] == 'extra'
    assert names.count('contrail-vrouter-agent') == 1
    assert sp.query_names() == [vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES)
    assert sp.snapshot_names(['a', 'b'], {'b': V2, 'c': V2}) == ['a', 'b', 'c']


def test_an_upgrade_targets_the_installed_set_and_points_every_conf_at_the_v2_cluster():
    wanted, confs = sp.target(params(**UPGRADE), {}, installed(), '4.4.0-116-generic',
                              [TOR_CONF])
    assert wanted == dict((name, V2) for name in PACKAGES)
    assert confs[AGENT_CONF] == confs[TOR_CONF] == [
        ('DEFAULT', 'collectors', V2_CONTROL + ':8086'),
        ('CONTROL-NODE', 'servers', V2_CONTROL + ':5269'),
        ('DNS', 'servers', V2_CONTROL + ':53'),
        ('CONTROL-NODE', 'server', None), ('DNS', 'server', None), ('DISCOVERY', 'server', None)]
    assert confs[NODEMGR_CONF] == [('COLLECTOR', 'server_list', V2_CONTROL + ':8086'),
                                   ('DISCOVERY', 'server', None)]
    assert sp.target_view(wanted, {NODEMGR_CONF: confs[NODEMGR_CONF]}) == dict(
        versions=wanted, conf={NODEMGR_CONF: ['COLLECTOR/server_list=%s:8086' % V2_CONTROL,
                                              'DISCOVERY/server=None']})


def test_the_kernel_module_package_follows_what_the_host_has():
    prebuilt = installed(names=('contrail-vrouter-4.4.0-116-generic', AGENT))
    wanted, _confs = sp.target(params(version=V2), {}, prebuilt, '4.4.0-116-generic', [])
    assert sorted(wanted) == ['contrail-vrouter-4.4.0-116-generic', AGENT]
    wanted, _confs = sp.target(params(version=V2), {}, installed(names=(AGENT,)), '5.0', [])
    assert sorted(wanted) == [AGENT, vrouter.KMOD_DKMS]     # none installed: the dkms one
    wanted, _confs = sp.target(params(version=V2, packages=[AGENT, AGENT]), {}, installed(),
                               '5.0', [])
    assert wanted == {AGENT: V2}


def test_a_rollback_to_3_2_with_discovery():
    _wanted, confs = sp.target(params(version=V1, discovery_server=V1_CONTROL), {}, installed(V2),
                               '5.0', [])
    assert confs[AGENT_CONF] == [('DISCOVERY', 'server', V1_CONTROL), ('CONTROL-NODE', 'servers', None),
                                 ('DNS', 'servers', None)]


@pytest.mark.parametrize('given, message', [
    (dict(), 'version is required unless rollback=true'),
    (dict(version='latest'), "cannot tell the Contrail release of version 'latest'"),
    (dict(version=V2, discovery_server=V1_CONTROL), 'conflicting era keys: discovery_server'),
    (dict(version=V1, discovery_server=V1_CONTROL, control_servers=[V1_CONTROL]),
     'either discovery_server'),
    (dict(version=V2, packages=[AGENT, 'nova-compute']), 'never touches nova-compute'),
])
def test_bad_options_are_refused_before_anything(given, message):
    with pytest.raises(vrouter.VrouterError, match=message):
        sp.target(params(**given), {}, installed(), '5.0', [])


RECORD = {'vrouter': {'status': 'done', 'previous': {
    'versions': dict((name, V1) for name in PACKAGES),
    'agent_conf': AGENT_32_VALUES, 'nodemgr_conf': {},
    'tor_agent_confs': {TOR_CONF: {'DISCOVERY/server': V1_CONTROL}}}}}


def test_a_rollback_returns_to_the_recorded_versions_and_values():
    wanted, confs = sp.target(params(rollback=True), RECORD, installed(V2), '5.0', [])
    assert wanted == dict((name, V1) for name in PACKAGES)
    assert confs == {          # the nodemgr recorded nothing: left alone
        AGENT_CONF: [('CONTROL-NODE', 'server', None), ('CONTROL-NODE', 'servers', None),
                     ('DEFAULT', 'collectors', None), ('DISCOVERY', 'server', V1_CONTROL),
                     ('DNS', 'server', None), ('DNS', 'servers', None)],
        TOR_CONF: [('DISCOVERY', 'server', V1_CONTROL)]}


def test_a_rollback_takes_nothing_but_the_record():
    with pytest.raises(vrouter.VrouterError, match='takes its target from %s; do not give '
                                                   'version, control_servers' % FACT_FILE):
        sp.target(params(rollback=True, version=V1, control_servers=['x']), RECORD, {}, '5.0', [])
    with pytest.raises(vrouter.VrouterError, match='records no previous vRouter state'):
        sp.target(params(rollback=True), {'vrouter': {'status': 'done'}}, {}, '5.0', [])


# -- what changes -------------------------------------------------------------------------------

def upgrade_plan(snap, fact=None, texts=None, reload_kmod=True):
    wanted, confs = sp.target(params(**UPGRADE), {}, snap['packages'], '5.0', [])
    if texts is None:
        texts = {AGENT_CONF: AGENT_32, NODEMGR_CONF: NODEMGR_32}
    return sp.plan(snap, wanted, confs, texts, fact or {}, reload_kmod)


def test_an_upgrade_changes_packages_confs_and_reloads_the_module():
    plan, diffs = upgrade_plan(snapshot())
    assert plan['packages'] == dict((name, {'from': V1, 'to': V2}) for name in PACKAGES)
    assert plan['conf'] == {
        AGENT_CONF: ['DEFAULT/collectors', 'CONTROL-NODE/servers', 'DNS/servers',
                     'DISCOVERY/server'],
        NODEMGR_CONF: ['COLLECTOR/server_list', 'DISCOVERY/server']}
    assert plan['restart'] is True
    assert plan['kmod'] == dict(loaded=True, used_by=1, version=V1, srcversion=None,
                                installed_srcversion=None, reload=True,
                                reason='the loaded vrouter module is %s, the agent to start is %s'
                                % (V1, V2))
    assert [d['before_header'] for d in diffs] == ['packages', AGENT_CONF, NODEMGR_CONF]
    assert diffs[0]['before'].splitlines()[0] == 'contrail-nodemgr=%s' % V1
    assert diffs[0]['after'].splitlines()[0] == 'contrail-nodemgr=%s' % V2
    assert diffs[1] == dict(before=AGENT_32, after=AGENT_40, before_header=AGENT_CONF,
                            after_header=AGENT_CONF)


def test_a_compute_on_target_changes_nothing():
    done = snapshot(V2, kmod_version=V2)
    plan, diffs = upgrade_plan(done, texts={AGENT_CONF: AGENT_40, NODEMGR_CONF: None})
    assert plan == dict(packages={}, conf={}, restart=False, kmod=dict(
        done['kmod'], reload=False, reason=None))
    assert diffs == []


def test_a_conf_the_host_does_not_have_is_not_created():
    plan, diffs = upgrade_plan(snapshot(), texts={AGENT_CONF: AGENT_32, NODEMGR_CONF: None})
    assert list(plan['conf']) == [AGENT_CONF] and len(diffs) == 2
    plan, _diffs = upgrade_plan(snapshot(), texts={AGENT_CONF: '', NODEMGR_CONF: None})
    assert list(plan['conf']) == [AGENT_CONF]       # an empty file exists: it is written


def test_a_stopped_vrouter_on_target_is_started():
    plan, _diffs = upgrade_plan(snapshot(V2, kmod_version=None, service='stopped'),
                                texts={AGENT_CONF: AGENT_40})
    assert plan['restart'] and not plan['packages'] and not plan['conf']
    assert not plan['kmod']['reload'] and plan['kmod']['reason'] is None   # not loaded


def test_a_half_configured_package_is_installed_again():
    snap = snapshot(V2, kmod_version=V2, **{AGENT: dict(version=V2, status='half-configured')})
    plan, _diffs = upgrade_plan(snap, texts={AGENT_CONF: AGENT_40})
    assert plan['packages'] == {AGENT: {'from': V2, 'to': V2}} and plan['restart']


def test_a_swap_resumed_after_its_install_reloads_the_old_module():
    plan, diffs = upgrade_plan(snapshot(V2, kmod_version=V1), texts={AGENT_CONF: AGENT_40})
    assert not plan['packages'] and not plan['conf'] and diffs == []
    assert plan['restart'] and plan['kmod']['reload'] and V1 in plan['kmod']['reason']


@pytest.mark.parametrize('record, reason', [
    ({}, None),
    ({'status': 'done'}, None),
    ({'status': 'in_progress'}, 'did not finish (in_progress)'),
    ({'status': 'failed', 'failed_step': 'start'}, 'did not finish (failed at start)'),
    ({'status': 'failed'}, 'did not finish (failed at ?)'),
])
def test_a_module_that_does_not_tell_its_build_is_reloaded_after_an_unfinished_swap(record,
                                                                                    reason):
    plan, _diffs = upgrade_plan(snapshot(V2, kmod_version=None), {'vrouter': record},
                                texts={AGENT_CONF: AGENT_40})
    plan_kmod = plan['kmod']
    assert plan_kmod['loaded'] is False and plan_kmod['reload'] is False   # not loaded: no reason
    snap = snapshot(V2, kmod_version=None)
    snap['kmod'].update(loaded=True)                  # loaded, and vrouter --info says nothing
    plan, _diffs = upgrade_plan(snap, {'vrouter': record}, texts={AGENT_CONF: AGENT_40})
    assert plan['kmod']['reload'] is bool(reason) and plan['restart'] is bool(reason)
    if reason:
        assert reason in plan['kmod']['reason']


def test_without_reload_kmod_the_module_is_left_loaded():
    plan, _diffs = upgrade_plan(snapshot(V2, kmod_version=V1), texts={AGENT_CONF: AGENT_40},
                                reload_kmod=False)
    assert plan['kmod']['reload'] is False and plan['kmod']['reason'] is None
    assert plan['restart'] is False


@pytest.mark.parametrize('status, fact, reason', [
    (None, {}, None), ('done', {}, None), ('in_progress', {}, 'in_progress'),
    ('failed', {'failed_step': 'kmod'}, 'failed at kmod')])
def test_unfinished(status, fact, reason):
    record = dict(fact, status=status) if status else {}
    assert sp.unfinished({'vrouter': record} if record else {}) == reason


def test_state_record_and_agent_version():
    snap = snapshot(**{'contrail-vrouter-init': dict(version=V1, status='installed')})
    record = sp.state_record(snap, {AGENT: V2, 'contrail-vrouter-init': V2, 'absent': V2})
    assert record == dict(versions={AGENT: V1, 'contrail-vrouter-init': V1},
                          agent_conf=snap['agent_conf'], nodemgr_conf=snap['nodemgr_conf'],
                          tor_agent_confs={}, service='running')
    assert sp.agent_version(snap) == V1
    assert sp.agent_version(dict(packages={})) is None


# -- before the first change --------------------------------------------------------------------

def test_refusals_before_the_first_change():
    sp.refuse_on_target(params())
    with pytest.raises(vrouter.VrouterError, match=r'already on target \(%s\)' % V2):
        sp.refuse_on_target(params(require_change=True, version=V2))
    with pytest.raises(vrouter.VrouterError, match=r'already on target \(recorded state\)'):
        sp.refuse_on_target(params(require_change=True, rollback=True))
    sp.refuse_missing({})
    with pytest.raises(vrouter.VrouterError, match='repositories: a=1, b=2$'):
        sp.refuse_missing({'b': '2', 'a': '1'})
    sp.refuse_protected({'install': {AGENT: (V1, V2)}, 'remove': []})
    with pytest.raises(vrouter.VrouterError, match='would change nova-compute'):
        sp.refuse_protected({'install': {'nova-compute': ('1', '2')}, 'remove': []})
    with pytest.raises(vrouter.VrouterError, match='would change openstack-nova-compute'):
        sp.refuse_protected({'install': {}, 'remove': ['openstack-nova-compute']})


def test_require_prestaged_names_what_is_not_in_the_cache():
    packages = {'a': {}, 'b': {}, 'c': {}}
    cached = {'a': True, 'b': False, 'c': False}
    sp.refuse_not_prestaged(params(), packages, cached)
    sp.refuse_not_prestaged(params(require_prestaged=True), packages, dict.fromkeys('abc', True))
    with pytest.raises(vrouter.VrouterError, match=r'not in the package cache: b, c \(run '
                                                   r'vrouter_prestage first\)'):
        sp.refuse_not_prestaged(params(require_prestaged=True), packages, cached)


# -- the steps ----------------------------------------------------------------------------------

@pytest.mark.parametrize('packages, reload, wait, route_check, baseline, steps', [
    (True, True, True, 'previous', True,
     ['install', 'conf', 'prestop', 'stop', 'kmod', 'start', 'xmpp_up', 'routes_back', 'running']),
    (False, True, True, 'previous', True,       # resumed: no package left, the module reloaded
     ['conf', 'prestop', 'stop', 'kmod', 'start', 'xmpp_up', 'routes_back', 'running']),
    (True, False, True, 'previous', False,      # no baseline (agent down): no route wait
     ['install', 'conf', 'prestop', 'stop', 'start', 'xmpp_up', 'running']),
    (True, True, True, 'none', True,
     ['install', 'conf', 'prestop', 'stop', 'kmod', 'start', 'xmpp_up', 'running']),
    (True, True, False, 'previous', True,
     ['install', 'conf', 'prestop', 'stop', 'kmod', 'start']),
])
@pytest.mark.parametrize('functional', [False, True])
def test_swap_steps(packages, reload, wait, route_check, baseline, steps, functional):
    plan = dict(packages={AGENT: {}} if packages else {}, kmod=dict(reload=reload))
    if functional and wait:              # last, after the daemons are RUNNING
        steps = steps + ['functional']
    assert sp.swap_steps(plan, wait, route_check, baseline, functional) == steps
    assert [s for s in sp.STEPS if s in steps] == steps          # always in the one order
    first, last = sp.outage_bounds(steps)
    assert first == 'stop' and last == [s for s in steps if s not in ('running', 'functional')][-1]


@pytest.mark.parametrize('given, waits', [
    (dict(), True), (dict(functional_timeout=5), True), (dict(functional_timeout=0), False),
    (dict(functional_timeout=None), False), (dict(wait=False), False),
    (dict(rollback=True), False), (sp.rollback_overrides(), False)])
def test_the_nodestatus_wait_is_the_swaps_not_a_rollbacks(given, waits):
    assert sp.waits_functional(params(**given)) is waits


def test_a_not_functional_agent_says_why_or_that_it_did_not_answer():
    msg = sp.not_functional_message('127.0.0.1:8085', 60, [
        'contrail-vrouter-agent: Non-Functional (XMPP:dns-server:10.0.0.21 connection down)'])
    assert msg == ('the agent is not Functional by its NodeStatus (127.0.0.1:8085) after 60s: '
                   'contrail-vrouter-agent: Non-Functional (XMPP:dns-server:10.0.0.21 connection down)')
    assert sp.not_functional_message('127.0.0.1:8085', 60, None, 'connection refused') == (
        'the agent introspect 127.0.0.1:8085 did not answer its NodeStatus within 60s: '
        'connection refused')


@pytest.mark.parametrize('given, service, takes', [
    (dict(), 'running', True), (dict(route_check='none'), 'running', False),
    (dict(wait=False), 'running', False), (dict(), 'stopped', False)])
def test_the_route_baseline_is_read_only_to_be_waited_for(given, service, takes):
    assert sp.takes_route_baseline(params(**given), snapshot(service=service)) is takes


def test_the_daemons_stopped_first_and_waited_for():
    snap = snapshot()
    snap['service']['programs'].update({'contrail-vrouter-extra': 'RUNNING', 'dead': 'FATAL'})
    assert sp.running_before(snap) == set([AGENT, NODEMGR, 'contrail-vrouter-extra'])
    assert sp.companions(snap) == ['contrail-vrouter-extra', NODEMGR]
    assert sp.programs_to_run(snap) == [AGENT, 'contrail-vrouter-extra', NODEMGR]
    stopped = snapshot(service='stopped')
    assert sp.companions(stopped) == [] and sp.programs_to_run(stopped) == [AGENT]


def test_xmpp_targets():
    assert sp.xmpp_targets([V2_CONTROL + ':5269', '10.99.0.22']) == [V2_CONTROL, '10.99.0.22']
    assert sp.xmpp_targets(None) == []
    values = dict(AGENT_32_VALUES, **{'CONTROL-NODE/server': '10.99.0.11 10.99.0.12'})
    assert sp.xmpp_targets(None, True, values) == ['10.99.0.11', '10.99.0.12']
    assert sp.xmpp_targets(['ignored'], True, {'CONTROL-NODE/servers': '10.99.0.21:5269'}) == [
        V2_CONTROL]


# -- the record and failures ----------------------------------------------------------------------

def test_the_first_swap_records_the_previous_state_then_done_records_the_current_one():
    before, wanted = snapshot(), dict((name, V2) for name in PACKAGES)
    record = sp.fact_record({}, before, wanted, 'in_progress', 'T1')
    assert record == dict(status='in_progress', target_versions=wanted, updated_at='T1',
                          previous=dict(sp.state_record(before, wanted), recorded_at='T1'))
    after = snapshot(V2, kmod_version=V2, agent_conf={'CONTROL-NODE/servers': 'x'})
    fact = {'vrouter': dict(record, failed_step='start', host_state='x'), 'other': 1}
    done = sp.fact_record(fact, after, wanted, 'done', 'T2')
    assert done['status'] == 'done' and done['updated_at'] == 'T2'
    assert done['previous'] == record['previous']          # kept
    assert done['current'] == sp.state_record(after, wanted)
    assert 'failed_step' not in done and 'host_state' not in done
    assert fact['vrouter']['failed_step'] == 'start'       # the fact given is not changed


def test_the_previous_state_survives_a_failed_swap_and_a_rollback_to_it():
    previous = dict(versions=dict((name, V1) for name in PACKAGES), recorded_at='T0')
    failed = {'vrouter': dict(status='failed', previous=previous)}
    mixed = snapshot(V2)
    retry = sp.fact_record(failed, mixed, dict((n, V2) for n in PACKAGES), 'in_progress', 'T3')
    assert retry['previous'] == previous                   # a mixed host is not recorded
    done = {'vrouter': dict(status='done', previous=previous)}
    back = sp.fact_record(done, mixed, dict(previous['versions']), 'in_progress', 'T4')
    assert back['previous'] == previous                    # the rollback's target: kept
    again = sp.fact_record(done, mixed, dict((n, V2) for n in PACKAGES), 'in_progress', 'T5')
    assert again['previous']['recorded_at'] == 'T5'       # a new swap from a clean state


def test_a_failure_is_recorded_only_over_a_swap_in_progress():
    assert sp.failure_record({}, 'install', 'x', 'T') is None
    assert sp.failure_record({'vrouter': {'status': 'done'}}, 'install', 'x', 'T') is None
    record = sp.failure_record({'vrouter': {'status': 'in_progress', 'previous': 1}}, 'kmod',
                               'vrouter stopped', 'T')
    assert record == dict(status='failed', failed_step='kmod', host_state='vrouter stopped',
                          updated_at='T', previous=1)
    assert sp.records_failure('install', False) and not sp.records_failure('validate', False)
    assert not sp.records_failure('install', True)


@pytest.mark.parametrize('given, step, check_mode, rolls_back', [
    (dict(rollback_on_failure=True), 'start', False, True),
    (dict(rollback_on_failure=True), 'install', False, True),
    (dict(rollback_on_failure=True), 'validate', False, False),
    (dict(rollback_on_failure=True), 'record', False, False),
    (dict(rollback_on_failure=True), 'start', True, False),
    (dict(rollback_on_failure=True, rollback=True), 'start', False, False),   # no loop
    (dict(), 'start', False, False),
])
def test_rollback_on_failure(given, step, check_mode, rolls_back):
    assert sp.rolls_back_at_once(params(**given), step, check_mode) is rolls_back


def test_the_rollback_made_at_once():
    overrides = sp.rollback_overrides()
    assert overrides == dict(version=None, packages=None, control_servers=None, dns_servers=None,
                             collectors=None, discovery_server=None, rollback=True,
                             require_change=False, require_prestaged=False)
    assert sp.target(params(**dict(UPGRADE, **overrides)), RECORD, {}, '5.0', [])[0] == dict(
        (name, V1) for name in PACKAGES)
    assert sp.rolled_back_note(dict(ok=True, version=V1)) == '; rolled back at once to %s' % V1
    assert sp.rolled_back_note(dict(ok=False, failed_step='install', msg='boom')) == \
        '; the rollback at once failed at install: boom'
