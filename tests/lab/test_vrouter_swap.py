# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_prestage / vrouter_swap / vrouter_info / vrouter_collectors against a lab compute."""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us
from compute_fixtures import (  # noqa: E402,F401 pylint: disable=unused-import
    BROKEN, V1, V1_CONTROL, V2, V2_CONTROL, V2_SOURCE, V2_SOURCE_FILE, broken_dkms_repo,
    broken_repo, compute, issu_started, run_on,
)

pytestmark = pytest.mark.lab

UPGRADE = {'version': V2, 'control_servers': [V2_CONTROL], 'dns_servers': [V2_CONTROL],
           'collectors': [V2_CONTROL], 'require_prestaged': True, 'wait_timeout': 90}


def upstream(version):
    """3.2.14.0-37 -> 3.2.14.0"""
    return version.rsplit('-', 1)[0]


def established(info):
    return sorted(p['controller_ip'] for p in info['xmpp'] if p['state'] == 'Established')


def test_upgrade_verify_idempotent_then_rollback(lab, compute, run_on):
    before = run_on(compute, 'vrouter_info', {})
    assert before['version'] == V1 and established(before) == [V1_CONTROL]

    # A compute has only its own release's repository (3.2): the pre-stage adds 4.0's, and its
    # check mode (preflight's repository check) reads 4.0's without adding it.
    lab.exec(compute, 'sh', '-c', 'rm -f %s && apt-get update -qq' % V2_SOURCE_FILE)
    missing = run_on(compute, 'vrouter_prestage', {'version': V2}, check=True)
    assert missing['failed'] and 'not in the configured repositories' in missing['msg'], missing
    add = {'version': V2, 'sources': [V2_SOURCE], 'sources_file': V2_SOURCE_FILE}
    preview = run_on(compute, 'vrouter_prestage', add, check=True)
    assert not preview.get('failed') and preview['changed'], preview.get('msg')
    assert preview['fetched'] and preview['sources_changed']
    assert lab.exec(compute, 'test', '-e', V2_SOURCE_FILE, check=False).returncode != 0
    staged = run_on(compute, 'vrouter_prestage', add)
    assert staged['changed'] and staged['sources_changed'] and staged['bytes'] > 0, staged
    assert lab.exec(compute, 'cat', V2_SOURCE_FILE).stdout == V2_SOURCE + '\n'
    assert not run_on(compute, 'vrouter_prestage', add)['changed']

    preview = run_on(compute, 'vrouter_swap', UPGRADE, check=True, diff=True)
    assert preview['changed'] and preview['prestaged']
    assert preview['plan']['packages']['contrail-vrouter-agent'] == {'from': V1, 'to': V2}
    assert run_on(compute, 'vrouter_info', {})['version'] == V1   # check mode changed nothing

    swap = run_on(compute, 'vrouter_swap', UPGRADE)
    assert swap['changed'] and not swap.get('failed'), swap.get('msg')
    assert swap['downloaded'] == []                          # pre-staged: nothing fetched
    assert set(swap['timings']) >= {'prestop', 'stop', 'install', 'conf', 'kmod', 'start', 'xmpp_up',
                                    'routes_back', 'outage', 'running', 'functional'}
    assert [p['state'] for p in swap['node_status']] == ['Functional'], swap['node_status']
    assert swap['routes']['after']['total'] >= swap['routes']['before']['total']

    after = run_on(compute, 'vrouter_info', {})
    assert after['service']['programs']['contrail-vrouter-agent'] == 'RUNNING'   # not STARTING
    assert set(p['version'] for n, p in after['packages'].items()) == {V2}
    assert after['agent_conf']['era'] == '4.x'
    assert after['agent_conf']['control_servers'] == ['%s:5269' % V2_CONTROL]
    assert after['agent_conf']['discovery_server'] is None
    assert established(after) == [V2_CONTROL]
    assert after['issu']['vrouter']['previous']['versions']['contrail-vrouter-agent'] == V1

    again = run_on(compute, 'vrouter_swap', UPGRADE)
    # nothing to change: only the agent's NodeStatus is checked (it counts as on v2 when Functional)
    assert not again['changed'] and list(again['timings']) == ['functional'], again.get('msg')

    rollback = run_on(compute, 'vrouter_swap', {'rollback': True, 'wait_timeout': 90})
    assert rollback['changed'] and not rollback.get('failed'), rollback.get('msg')
    back = run_on(compute, 'vrouter_info', {})
    assert back['service']['programs']['contrail-vrouter-agent'] == 'RUNNING'
    assert set(p['version'] for p in back['packages'].values()) == {V1}
    assert back['agent_conf']['discovery_server'] == V1_CONTROL
    assert back['agent_conf']['era'] == '3.x' and established(back) == [V1_CONTROL]
    assert not run_on(compute, 'vrouter_swap', {'rollback': True})['changed']


def test_bad_input_changes_nothing(compute, run_on):
    missing = run_on(compute, 'vrouter_swap', {'version': '4.0.3.0-99', 'update_cache': True})
    assert missing['failed'] and missing['failed_step'] == 'validate'
    assert 'contrail-vrouter-agent=4.0.3.0-99' in missing['msg']
    conflict = run_on(compute, 'vrouter_swap', {'version': V2, 'discovery_server': V1_CONTROL})
    assert conflict['failed'] and 'conflicting era keys' in conflict['msg']
    same = run_on(compute, 'vrouter_swap', {'version': V1, 'require_change': True})
    assert same['failed'] and 'already on target' in same['msg']
    unknown = run_on(compute, 'vrouter_swap', {'version': V2, 'service_manager': 'upstart'})
    assert unknown['failed']
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['version'] == V1


def test_a_dpdk_compute_is_refused_before_anything_and_a_tsn_is_swapped(lab, compute, run_on):
    conf = '/etc/contrail/contrail-vrouter-agent.conf'
    lab.exec(compute, 'cp', '-p', conf, conf + '.itest')
    try:
        # The provisioned conf says platform=default, as 3.2's does
        lab.exec(compute, 'sed', '-i', 's/^platform *=.*/platform=dpdk/', conf)
        info = run_on(compute, 'vrouter_info', {'gather_routes': False})
        assert info['node']['platform'] == 'dpdk' and 'DPDK vRouter' in info['node']['refused']
        refused = run_on(compute, 'vrouter_swap', UPGRADE)
        assert refused['failed'] and refused['failed_step'] == 'validate', refused
        assert 'refusing to swap a DPDK vRouter' in refused['msg'] and 'issu_force' in refused['msg']
        assert lab.exec(compute, 'cat', conf).stdout.count('platform=dpdk') == 1
        lab.exec(compute, 'sed', '-i', 's/^platform=dpdk$/agent_mode=tsn/', conf)
        # The node's kind is the point here, not the pre-stage (the fixture starts with none).
        preview = run_on(compute, 'vrouter_swap', dict(UPGRADE, update_cache=True, require_prestaged=False),
                         check=True)
        assert not preview.get('failed') and preview['changed'], preview.get('msg')
        assert preview['node'] == {'platform': 'kernel', 'agent_mode': 'tsn', 'tor_agents': 0,
                                   'refused': None}
        assert preview['plan']['packages']['contrail-vrouter-agent'] == {'from': V1, 'to': V2}
    finally:
        lab.exec(compute, 'mv', conf + '.itest', conf)
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['version'] == V1


def test_include_running_prestages_both_versions_in_one_run(lab, compute, run_on):
    """Issue 12: one run a compute - v2's packages and those of the version it runs (its
    rollback's), after one refresh and one repository query; then nothing left to fetch."""
    lab.exec(compute, 'sh', '-c', 'rm -f /var/cache/apt/archives/*.deb')
    args = {'version': V2, 'sources': [V2_SOURCE], 'sources_file': V2_SOURCE_FILE,
            'include_running': True}
    preview = run_on(compute, 'vrouter_prestage', args, check=True)
    assert not preview.get('failed') and preview['changed'], preview.get('msg')
    staged = run_on(compute, 'vrouter_prestage', args)
    assert not staged.get('failed') and staged['changed'], staged.get('msg')
    assert staged['running_version'] == V1
    assert staged['running_packages']['contrail-vrouter-agent'] == V1
    assert sorted(staged['fetched']) == sorted(preview['fetched'])
    for version in (V1, V2):
        assert 'contrail-vrouter-agent=%s' % version in staged['fetched'], staged['fetched']
        assert lab.exec(compute, 'sh', '-c', 'ls /var/cache/apt/archives/contrail-vrouter-agent_%s_*.deb'
                        % version, check=False).returncode == 0
    again = run_on(compute, 'vrouter_prestage', args)
    assert not again['changed'] and again['fetched'] == [], again


def test_a_rollback_from_the_prestaged_cache_needs_no_v1_repository(lab, compute, run_on):
    """apt keeps no copy of what it installed: the rollback's packages are pre-staged on
    request (include_installed), so a rollback while v1's repository is unreachable succeeds."""
    lab.exec(compute, 'sh', '-c', 'rm -f /var/cache/apt/archives/*.deb')
    plain = run_on(compute, 'vrouter_prestage', {'version': V1})   # reads the lists first
    assert not plain.get('failed') and plain['fetched'] == [], plain  # installed: not fetched
    installed = {'version': V1, 'update_cache': False}
    staged = run_on(compute, 'vrouter_prestage', dict(installed, include_installed=True))
    assert staged['changed'] and staged['bytes'] > 0, staged
    assert 'contrail-vrouter-agent=%s' % V1 in staged['fetched'], staged['fetched']
    assert not run_on(compute, 'vrouter_prestage', dict(installed, include_installed=True))['changed']
    assert not run_on(compute, 'vrouter_prestage', {'version': V2}).get('failed')
    swap = run_on(compute, 'vrouter_swap', UPGRADE)
    assert swap['changed'] and not swap.get('failed'), swap.get('msg')
    lab.exec('lab-infra', 'supervisorctl', 'stop', 'apt-repo')   # every release's repository
    try:
        fetch = 'import urllib.request; urllib.request.urlopen("http://10.99.0.10:8081/3.2/Packages")'
        assert lab.exec(compute, 'python3', '-c', fetch, check=False).returncode != 0  # unreachable
        back = run_on(compute, 'vrouter_swap', {'rollback': True, 'wait_timeout': 90})
        assert not back.get('failed'), back.get('msg')
        assert back['downloaded'] == [] and back['version'] == V1, back
    finally:
        lab.exec('lab-infra', 'supervisorctl', 'start', 'apt-repo')
        lab.exec(compute, 'sh', '-c', 'rm -f /var/cache/apt/archives/*.deb')  # as other tests expect
    assert established(run_on(compute, 'vrouter_info', {})) == [V1_CONTROL]


def test_a_swap_waits_for_a_swap_still_running_on_the_host(lab, compute, run_on):
    """A playbook killed mid-swap leaves its swap running on the host: a re-run's swap waits for
    it (lock_timeout) and then fails, nothing changed, rather than install under it."""
    lock = '/etc/ansible/facts.d/contrail_issu.fact.lock'
    lab.exec(compute, 'mkdir', '-p', '/etc/ansible/facts.d')
    lab.podman('exec', '-d', compute, 'flock', lock, 'sleep', '6')   # the other swap
    time.sleep(1)
    refused = run_on(compute, 'vrouter_swap', dict(UPGRADE, lock_timeout=1))
    assert refused['failed'] and 'another vrouter_swap still runs on this host' in refused['msg'], refused
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['version'] == V1
    time.sleep(6)
    preview = run_on(compute, 'vrouter_swap', dict(UPGRADE, update_cache=True, require_prestaged=False),
                     check=True)
    assert not preview.get('failed') and preview['changed'], preview.get('msg')


def test_broken_release_fails_naming_the_host_state_then_rolls_back(compute, broken_repo,
                                                                    run_on):
    args = dict(UPGRADE, version=broken_repo, require_prestaged=False, wait_timeout=15)
    result = run_on(compute, 'vrouter_swap', args)
    assert result['failed'] and result['failed_step'] == 'xmpp_up', result.get('msg')
    assert 'libtbb' in ' '.join(result['diagnostics']['agent_log']['lines'])
    state = result['host_state']
    assert '11/11 at target' in state['summary'] or 'at target' in state['summary']
    assert state['packages']['contrail-vrouter-agent']['version'] == BROKEN
    info = run_on(compute, 'vrouter_info', {'gather_routes': False})
    assert info['issu']['vrouter']['status'] == 'failed'
    assert info['issu']['vrouter']['failed_step'] == 'xmpp_up'
    rollback = run_on(compute, 'vrouter_swap', {'rollback': True, 'wait_timeout': 90})
    assert not rollback.get('failed'), rollback.get('msg')
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['version'] == V1


def test_a_module_that_does_not_build_fails_before_the_outage(lab, compute, broken_dkms_repo,
                                                              run_on):
    """contrail-vrouter-dkms's postinst ignores a failed `dkms build` (as the real one does):
    the swap used to unload the old module and start an agent with none to load. It now fails
    at the install, the old agent still forwarding on the loaded module, and the rollback
    needs no module reload."""
    args = dict(UPGRADE, version=broken_dkms_repo, require_prestaged=False)
    result = run_on(compute, 'vrouter_swap', args)
    assert result['failed'] and result['failed_step'] == 'install', result.get('msg')
    assert 'no vrouter kernel module is on disk' in result['msg']
    assert 'stop' not in result['timings'] and 'kmod' not in result['timings'], result['timings']
    info = run_on(compute, 'vrouter_info', {'gather_routes': False})
    assert info['service']['programs']['contrail-vrouter-agent'] == 'RUNNING'
    assert established(info) == [V1_CONTROL]               # v1's agent never stopped
    assert info['kmod']['loaded']
    rollback = run_on(compute, 'vrouter_swap', {'rollback': True, 'wait_timeout': 90})
    assert not rollback.get('failed'), rollback.get('msg')
    assert not rollback['plan']['kmod']['reload'], rollback['plan']['kmod']
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['version'] == V1


#: Seconds since supervisor's last "gave up: contrail-vrouter-agent entered FATAL state" line,
#: on the compute's own clock (supervisord logs local time).
SINCE_FATAL = """
import datetime, time
lines = [l for l in open('/var/log/contrail/supervisord-vrouter.log')
         if 'gave up: contrail-vrouter-agent entered FATAL state' in l]
stamp = datetime.datetime.strptime(lines[-1][:23], '%Y-%m-%d %H:%M:%S,%f')
print(time.time() - time.mktime(stamp.timetuple()) - stamp.microsecond / 1e6)
"""


def test_a_dead_agent_fails_the_swap_in_seconds_and_is_rolled_back(lab, compute, broken_repo,
                                                                   run_on):
    """Issue 14 (1): the swap sees supervisor give up on the agent (FATAL ~6 s after the start,
    startretries 3) and fails then, not after wait_timeout; the rollback has the compute's
    routes back within 15 s of the FATAL."""
    args = dict(UPGRADE, version=broken_repo, require_prestaged=False, wait_timeout=180)
    started = time.monotonic()
    result = run_on(compute, 'vrouter_swap', args)
    assert result['failed'] and result['failed_step'] == 'xmpp_up', result.get('msg')
    assert time.monotonic() - started < 60, 'the swap waited for wait_timeout'
    assert result['gave_up']['program'] == 'contrail-vrouter-agent'
    assert result['gave_up']['state'] == 'FATAL' and 'contrail-vrouter-agent is FATAL' in result['msg']
    assert 'libtbb' in result['msg']                       # the tail of the agent's log
    assert result['timings']['xmpp_up'] < 15, result['timings']
    assert result['host_state']['version'] == BROKEN and 'agent %s' % BROKEN in result['msg']
    since_fatal = float(lab.exec(compute, 'python3', '-c', SINCE_FATAL).stdout)

    rollback = run_on(compute, 'vrouter_swap', {'rollback': True, 'wait_timeout': 90})
    assert not rollback.get('failed'), rollback.get('msg')
    assert rollback['version'] == V1
    timings = rollback['timings']
    routes_back = since_fatal + sum(timings.get(k, 0) for k in ('record', 'install', 'conf',
                                                                'prestop', 'outage'))
    assert routes_back < 15, (since_fatal, timings)
    info = run_on(compute, 'vrouter_info', {'gather_routes': False})
    assert info['version'] == V1 and established(info) == [V1_CONTROL]


def test_v2_installed_by_hand_under_a_running_v1_agent_is_swapped_in_one_run(lab, compute,
                                                                             run_on):
    """Issue 14 (2): what a swap killed after its install leaves (v2 packages, the v1 agent
    still running on the v1 module) completes on the first re-run: the loaded module, not the
    package plan, decides the reload, and the outage is a normal one."""
    before = run_on(compute, 'vrouter_info', {'gather_routes': False})
    # vrouter --info names the build without its build number (3.2.14.0)
    assert before['kmod']['loaded'] and before['kmod']['version'] == upstream(V1), before['kmod']
    pins = ' '.join('%s=%s' % (name, V2) for name in sorted(before['packages']))
    lab.exec(compute, 'sh', '-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q '
             '--allow-downgrades --no-install-recommends -o Dpkg::Options::=--force-confdef '
             '-o Dpkg::Options::=--force-confold %s' % pins, timeout=300)
    by_hand = run_on(compute, 'vrouter_info', {})
    assert set(p['version'] for p in by_hand['packages'].values()) == {V2}
    assert by_hand['service']['programs']['contrail-vrouter-agent'] == 'RUNNING'
    assert by_hand['kmod']['version'] == upstream(V1) and established(by_hand) == [V1_CONTROL]

    preview = run_on(compute, 'vrouter_swap', UPGRADE, check=True)
    assert preview['changed'] and preview['plan']['packages'] == {}
    assert preview['plan']['kmod']['reload'] and upstream(V1) in preview['plan']['kmod']['reason']

    swap = run_on(compute, 'vrouter_swap', UPGRADE)
    assert swap['changed'] and not swap.get('failed'), swap.get('msg')
    assert 'kmod' in swap['timings'] and swap['version'] == V2
    assert swap['timings']['outage'] < 15, swap['timings']
    after = run_on(compute, 'vrouter_info', {})
    assert after['service']['programs']['contrail-vrouter-agent'] == 'RUNNING'
    assert after['kmod']['version'] == upstream(V2) and established(after) == [V2_CONTROL]
    assert not run_on(compute, 'vrouter_swap', UPGRADE)['changed']


def test_collectors_switch_and_revert(compute, run_on):
    before = run_on(compute, 'vrouter_info', {'gather_routes': False})['agent_conf']
    for empty in ([], ['  ']):
        refused = run_on(compute, 'vrouter_collectors', {'collectors': empty})
        assert refused['failed'] and 'collectors is empty' in refused['msg']
    assert run_on(compute, 'vrouter_info', {'gather_routes': False})['agent_conf'] == before
    result = run_on(compute, 'vrouter_collectors', {'collectors': [V2_CONTROL]}, diff=True)
    assert result['changed'] and 'contrail-vrouter-agent:restart' in result['reloaded']
    info = run_on(compute, 'vrouter_info', {'gather_routes': False})
    assert info['agent_conf']['collectors'] == ['%s:8086' % V2_CONTROL]
    assert info['nodemgr_conf']['COLLECTOR/server_list'] == '%s:8086' % V2_CONTROL
    assert not run_on(compute, 'vrouter_collectors', {'collectors': [V2_CONTROL]})['changed']
    reverted = run_on(compute, 'vrouter_collectors', {'state': 'absent'})
    assert reverted['changed']
    info = run_on(compute, 'vrouter_info', {'gather_routes': False})
    assert info['agent_conf']['collectors'] == [] and info['nodemgr_conf']['COLLECTOR/server_list'] is None


def test_program_states_are_read_over_supervisord_xml_rpc_as_supervisorctl_prints_them(
        lab, collections_path, monkeypatch):
    """The swap's waits read the program states over supervisord's own XML-RPC socket
    (service_manager.rpc_states), and ask ``supervisorctl status`` only when it does not answer:
    against the lab's real supervisords (a compute's supervisor-vrouter, a controller's
    supervisor-config, whose programs have groups), reached through the container's root, it
    answers, with the names and states supervisorctl prints. A reader that always fell back
    would pass every other test, only slower."""
    monkeypatch.syspath_prepend(str(collections_path))
    from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
    for node, role in (('lab-compute1', 'vrouter'), ('lab-v2-ctrl1', 'config')):
        pid = lab.podman('inspect', '-f', '{{.State.Pid}}', node).stdout.strip()
        socket = '/var/run/supervisord_%s.sock' % role
        # /var/run is a link to /run in the container: resolved here, it would be the host's
        states = service_manager.rpc_states('/proc/%s/root/run/%s' % (pid, os.path.basename(socket)))
        printed = service_manager.parse_supervisorctl_status(
            lab.exec(node, 'supervisorctl', '-s', 'unix://' + socket, 'status', check=False).stdout)
        assert states is not None, '%s: supervisord did not answer over XML-RPC' % node
        assert states and states == printed, (node, states, printed)
