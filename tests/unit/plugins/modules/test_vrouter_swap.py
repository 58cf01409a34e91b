# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_swap against a scripted compute (issue 14): a dead agent fails the swap in seconds,
a resumed swap reloads the old module and completes in one run, a hung command times out
saying what it waited for, and every failure names the version the host is on.

``FakeCompute`` answers the commands the swap runs (dpkg-query, apt-get, apt-cache, service,
supervisorctl, lsmod, modinfo, vrouter --info, rmmod) and the agent introspect, on a fake clock
that moves only when the swap sleeps or a command times out.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
import types

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager, vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils import waiter
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import IntrospectError
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter_swap as runner
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import merged_argument_spec
from ansible_collections.opencontrail.issu.plugins.modules import vrouter_swap

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
V1_CONTROL, V2_CONTROL = '10.99.0.11', '10.99.0.21'
PACKAGES = ('contrail-vrouter-dkms', 'contrail-vrouter-agent', 'contrail-vrouter-utils',
            'contrail-nodemgr')
AGENT = 'contrail-vrouter-agent'
NODEMGR = 'contrail-vrouter-nodemgr'
SOCKET = 'unix:///var/run/supervisord_vrouter.sock'
AGENT_32 = '[CONTROL-NODE]\n\n[DEFAULT]\nhttp_server_port=8085\n\n[DISCOVERY]\nserver=%s\n\n' \
    '[DNS]\n' % V1_CONTROL
UPGRADE = dict(version=V2, control_servers=[V2_CONTROL], dns_servers=[V2_CONTROL],
               collectors=[V2_CONTROL], wait_timeout=180)
#: When supervisor calls an agent that exits at once FATAL: after 3 retries, 1 + 2 + 3 s apart.
FATAL_AFTER = 7.0


def _upstream(version):
    return (version or '').rsplit('-', 1)[0]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Hang(Exception):
    """A command that would never return (run without a time limit)."""


class FakeCompute:
    """The state of one compute and its answers to the swap's commands."""

    def __init__(self, clock, version=V1, broken=False, info_tool=True):
        self.clock = clock
        self.packages = dict((name, version) for name in PACKAGES)
        self.repo = (V1, V2)
        self.kmod = version            # loaded module (None: not loaded)
        self.holders = 1
        self.running = True
        self.stopped_programs = set()
        self.agent = version           # version of the agent process supervisor runs
        self.started_at = clock()
        self.broken = broken           # the installed agent (or this version of it) exits at once
        self.info_tool = info_tool     # vrouter --info answers
        self.hang = set()              # commands that never return ('rmmod', 'service stop'...)
        self.dies_after_xmpp = False   # the agent exits once its XMPP is up
        self.built = version           # the module on disk (dkms built it; None: none)
        self.dkms_fails = False        # the next dkms package's build fails (postinst ignores it)
        self.xmpp_answered = False
        # Seconds after its start the agent reports NodeStatus Functional (None: never; until
        # then Non-Functional, saying ``not_functional_why``).
        self.functional_after = 0.0
        self.not_functional_why = 'XMPP:dns-server:%s connection down' % V2_CONTROL
        self.node_status_reads = 0
        self.calls = []

    # -- the agent ---------------------------------------------------------------------
    def agent_dies(self):
        return self.broken in (True, self.agent) or _upstream(self.kmod) != _upstream(self.agent)

    def agent_state(self):
        if not self.running or AGENT in self.stopped_programs:
            return 'STOPPED'
        if self.dies_after_xmpp and self.xmpp_answered:
            return 'FATAL'
        if self.agent_dies():
            return 'FATAL' if self.clock() - self.started_at >= FATAL_AFTER else 'BACKOFF'
        return 'RUNNING'

    def start(self):
        self.running, self.stopped_programs = True, set()
        self.started_at = self.clock()
        if self.kmod is None:
            self.kmod = self.built           # modprobe: the one on disk (None: modprobe fails)
        self.agent = self.packages[AGENT]
        self.holders = 0 if self.agent_dies() else 1

    def stop(self):
        self.running, self.holders = False, 0

    # -- commands ----------------------------------------------------------------------
    def run(self, cmd, environ_update=None):
        limit = None
        if os.path.basename(cmd[0]) == 'timeout':
            limit, cmd = float(cmd[3]), list(cmd[4:])
        tool = os.path.basename(cmd[0])
        self.calls.append(' '.join([tool] + list(cmd[1:])))
        key = {'rmmod': 'rmmod', 'apt-get': 'apt-get %s' % ('-s' if '-s' in cmd else 'install'),
               'service': 'service %s' % cmd[-1]}.get(tool)
        if key in self.hang:
            if limit is None:
                raise Hang(' '.join(cmd))
            self.clock.now += limit
            return 124, '', ''
        handler = getattr(self, 'cmd_' + tool.replace('-', '_'))
        return handler(cmd)

    def cmd_dpkg_query(self, cmd):
        names = [a for a in cmd[2:] if not a.startswith('-')]
        return 0, ''.join('%s\t%s\tinstall ok installed\n' % (n, self.packages[n])
                          for n in names if n in self.packages), ''

    def cmd_apt_cache(self, cmd):          # apt-cache madison NAME...
        return 0, ''.join(' %s | %s | file:/srv/repo ./ Packages\n' % (name, v)
                          for name in cmd[cmd.index('madison') + 1:] for v in self.repo), ''

    def cmd_apt_get(self, cmd):
        pins = dict(a.split('=', 1) for a in cmd if '=' in a and not a.startswith('Dpkg'))
        if '-s' in cmd:
            return 0, ''.join('Inst %s [%s] (%s lab [all])\n' % (n, self.packages.get(n), v)
                              for n, v in sorted(pins.items())), ''
        self.packages.update(pins)
        if 'contrail-vrouter-dkms' in pins:      # prerm removes the old build, postinst builds
            self.built = None if self.dkms_fails else pins['contrail-vrouter-dkms']
        return 0, '', ''

    def cmd_service(self, cmd):
        if cmd[-1] == 'status':
            return (0 if self.running else 3), '', ''
        getattr(self, cmd[-1])()
        return 0, '', ''

    def cmd_supervisorctl(self, cmd):
        if not self.running:
            return 7, '%s no such file\n' % SOCKET, ''
        verb = cmd[3]
        if verb == 'status':
            states = {AGENT: self.agent_state(),
                      NODEMGR: 'STOPPED' if NODEMGR in self.stopped_programs else 'RUNNING'}
            return 3, ''.join('%-30s %s pid 1, uptime 0:00:09\n' % kv
                              for kv in sorted(states.items())), ''
        if verb == 'stop':
            self.stopped_programs.add(cmd[4])
            if cmd[4] == AGENT:
                self.holders = 0
            return 0, '%s: stopped\n' % cmd[4], ''
        return 0, '1\n', ''

    def cmd_lsmod(self, cmd):
        text = 'Module                  Size  Used by\n'
        if self.kmod:
            text += 'vrouter               385024  %d\n' % self.holders
        return 0, text, ''

    def cmd_modinfo(self, cmd):
        if not self.built:
            return 1, '', 'modinfo: ERROR: Module vrouter not found.'
        if cmd[-2] == 'filename':
            return 0, '/lib/modules/4.4.0-116-generic/updates/dkms/vrouter.ko\n', ''
        return 0, '\n', ''         # the lab's modinfo has no srcversion

    def cmd_vrouter(self, cmd):
        if not self.info_tool:
            return 127, '', 'vrouter: not found'
        if not self.kmod:
            return 1, '', 'Error: vrouter kernel module not loaded'
        return 0, 'vRouter version: {"build-info": [{"build-version": "%s"}]}\n' % self.kmod, ''

    def cmd_rmmod(self, cmd):
        if not self.kmod:
            return 1, '', 'rmmod: ERROR: Module vrouter is not currently loaded'
        if self.holders:
            return 1, '', 'rmmod: ERROR: Module vrouter is in use'
        self.kmod = None
        return 0, '', ''


class FakeIntrospect:
    def __init__(self, compute):
        self.compute = compute

    def request(self, name, *args):
        if self.compute.agent_state() != 'RUNNING':
            raise IntrospectError('connection refused')
        if name == 'AgentXmppConnectionStatusReq':
            self.compute.xmpp_answered = self.compute.agent == V2
            control = V2_CONTROL if vrouter.era(self.compute.agent) == '4.x' else V1_CONTROL
            return [('AgentXmppConnectionStatus', {'peer': [
                dict(controller_ip=control, state='Established')]})]
        if name == 'SandeshUVECacheReq' and args == ('NodeStatus',):
            return self.node_status()
        return [('VrfListResp', {'vrf_list': []})]

    def node_status(self):
        """The agent's NodeStatus UVE, as the agent's introspect answers it (lab/sim/contrail_sim
        sandesh.py: the UVE, then SandeshUVECacheResp)."""
        compute = self.compute
        compute.node_status_reads += 1
        after = compute.functional_after
        functional = after is not None and compute.clock() - compute.started_at >= after
        process = dict(module_id=AGENT, instance_id='0', connection_infos=[],
                       state='Functional' if functional else 'Non-Functional',
                       description='' if functional else compute.not_functional_why)
        return [('NodeStatusUVE', {'data': {'name': 'cmp1', 'process_status': [process]}}),
                ('SandeshUVECacheResp', {'returned': 1, 'period': 0})]


class Failed(Exception):
    def __init__(self, result):
        super(Failed, self).__init__(result.get('msg'))
        self.result = result


class FakeModule:
    def __init__(self, compute, params, check_mode=False):
        self.compute, self.check_mode, self._diff = compute, check_mode, False
        spec, _required_if = merged_argument_spec(vrouter_swap.argument_spec(), vrouter_swap.GROUPS)
        unsupported = sorted(set(params) - set(spec))
        assert not unsupported, 'Unsupported parameters: %s' % ', '.join(unsupported)
        self.params = dict((k, v.get('default')) for k, v in spec.items())
        self.params.update(params)
        self.warnings = []

    def run_command(self, cmd, environ_update=None):
        return self.compute.run(cmd, environ_update)

    def get_bin_path(self, name):
        return '/usr/bin/%s' % name

    def warn(self, msg):
        self.warnings.append(msg)

    def fail_json(self, **result):
        raise Failed(dict(result, failed=True))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def host(tmp_path, clock, monkeypatch):
    """A v1 compute: 3.2 packages, module and agent, discovery conf, no ISSU record."""
    compute = FakeCompute(clock)
    (tmp_path / 'agent.conf').write_text(AGENT_32)
    (tmp_path / 'agent.log').write_text('agent started\n')
    compute.paths = dict(agent_conf=str(tmp_path / 'agent.conf'),
                         nodemgr_conf=str(tmp_path / 'nodemgr.conf'),
                         fact_file=str(tmp_path / 'facts.d' / 'contrail_issu.fact'),
                         log=tmp_path / 'agent.log')
    monkeypatch.setattr(runner, 'AGENT_LOGS', (str(tmp_path / 'agent.log'),))
    monkeypatch.setattr(runner, 'wait_for',
                        functools.partial(waiter.wait_for, clock=clock, sleep=clock.sleep))
    monkeypatch.setattr(vrouter, 'introspect_client', lambda *a, **k: FakeIntrospect(compute))
    monkeypatch.setattr(vrouter, 'which', lambda name: '/usr/local/sbin/%s' % name,
                        raising=False)
    watch = getattr(service_manager, 'GiveUpWatch', None)
    if watch is not None:
        monkeypatch.setattr(service_manager, 'GiveUpWatch', functools.partial(watch, clock=clock))
    return compute


def swap(compute, check_mode=False, **params):
    """Run the module the way main() does -> its result (``failed`` on failure)."""
    params = dict(dict(package_manager='apt', service_manager='supervisor', tor_agent_confs=[],
                       agent_conf=compute.paths['agent_conf'],
                       nodemgr_conf=compute.paths['nodemgr_conf'],
                       fact_file=compute.paths['fact_file']), **params)
    module = FakeModule(compute, params, check_mode)
    swapper = runner.Swap(module)
    swapper.run_cmd.clock = compute.clock
    started = compute.clock()
    try:
        result = swapper.run()
    except runner.StepFailed as exc:
        try:
            swapper.fail(exc.step, str(exc), list(PACKAGES) + list(swapper.wanted), **exc.details)
        except Failed as failed:
            result = failed.result
    finally:
        swapper.release()
    result['fake_seconds'] = compute.clock() - started
    return result


# -- 1. a dead agent fails the swap in seconds ----------------------------------------------

def test_an_agent_supervisor_gave_up_on_fails_the_swap_in_seconds(host):
    host.broken = True
    host.paths['log'].write_text('/usr/bin/contrail-vrouter-agent: error while loading shared '
                                 'libraries: libtbb.so.2: cannot open shared object file\n')
    result = swap(host, **UPGRADE)
    assert result['failed'] and result['failed_step'] == 'xmpp_up', result['msg']
    assert 'contrail-vrouter-agent is FATAL' in result['msg'] and 'libtbb.so.2' in result['msg']
    assert result['gave_up']['state'] == 'FATAL' and result['gave_up']['manager'] == 'supervisor'
    # FATAL 7 s after the start; seen within the next second, not after wait_timeout (180 s)
    assert FATAL_AFTER <= result['gave_up']['after'] <= FATAL_AFTER + 1.5
    assert result['fake_seconds'] < FATAL_AFTER + 2
    assert 'agent %s' % V2 in result['host_state']['summary']


def test_a_dead_agent_is_rolled_back_at_once_in_the_same_run(host):
    """Computes of one batch wait for each other's routes: a failed one rolled back only by the
    role's rescue (after every swap of the batch ended) held the others until wait_timeout."""
    host.broken = V2
    result = swap(host, rollback_on_failure=True, **UPGRADE)
    assert result['failed'] and result['failed_step'] == 'xmpp_up', result['msg']
    assert result['rolled_back']['ok'] and result['rolled_back']['version'] == V1, result['rolled_back']
    assert 'rolled back at once to %s' % V1 in result['msg']
    assert result['host_state']['version'] == V1 and host.kmod == V1
    assert result['fake_seconds'] < FATAL_AFTER + 30
    again = swap(host, rollback=True)         # the role's rescue: nothing left to do
    assert not again.get('failed') and not again['changed'], again.get('msg')


def test_a_swap_waits_for_another_swap_on_the_host_then_reads_what_it_left(host):
    """A playbook killed mid-swap leaves its swap running on the host (the SSH session outlives
    the play): the re-run's swap must not install and restart under it."""
    lock_path = host.paths['fact_file'] + '.lock'
    os.makedirs(os.path.dirname(lock_path))
    other = open(lock_path, 'a')
    fcntl.flock(other, fcntl.LOCK_EX)
    with pytest.raises(vrouter.VrouterError, match='another vrouter_swap still runs on this host'):
        swap(host, lock_timeout=1, **UPGRADE)
    assert host.agent == V1 and not [c for c in host.calls if 'install' in c]

    def finish_the_other_swap():
        swap(host, **dict(UPGRADE, fact_file=host.paths['fact_file'] + '.other'))
        fcntl.flock(other, fcntl.LOCK_UN)
    threading.Timer(0.3, finish_the_other_swap).start()
    result = swap(host, lock_timeout=30, **UPGRADE)
    assert not result.get('failed') and result['waited_for_other_swap'], result.get('msg')
    assert not result['changed'] and result['version'] == V2     # what the other one left
    other.close()


def test_an_agent_in_backoff_that_recovers_is_waited_for(host, clock):
    host.broken = True
    # supervisor's second retry works: BACKOFF is not given up
    real = host.agent_state

    def recovering():
        if host.running and clock() - host.started_at >= 3:
            host.broken = False
        return real()
    host.agent_state = recovering
    result = swap(host, **UPGRADE)
    assert not result.get('failed'), result.get('msg')
    assert result['version'] == V2


class Programs:
    kind = 'supervisor'

    def __init__(self, states):
        self.states = states

    def programs(self):
        return dict(self.states)


@pytest.mark.parametrize('kind, state, settled', [
    ('supervisor', 'FATAL', False), ('supervisor', 'EXITED', True),
    ('supervisor', 'STOPPED', True), ('systemd', 'FAILED', False),
    ('systemd', 'INACTIVE', True)])
def test_give_up_watch_final_states(clock, kind, state, settled):
    svc = Programs({AGENT: state})
    svc.kind = kind
    watch = service_manager.GiveUpWatch(svc, [AGENT], clock=clock)
    watch.poll()                        # nothing asked in the first second after the start
    clock.now += 1
    if settled:                         # supervisor may restart an EXITED program on its tick
        watch.poll()
        clock.now += 3
    with pytest.raises(service_manager.GaveUp, match='%s is %s' % (AGENT, state)) as info:
        watch.poll()
    assert info.value.to_dict()['manager'] == kind


def test_give_up_watch_transient_states(clock):
    svc = Programs({AGENT: 'EXITED'})
    watch = service_manager.GiveUpWatch(svc, [AGENT], clock=clock)
    for state in ('EXITED', 'STARTING', 'EXITED', 'BACKOFF', 'BACKOFF', 'RUNNING'):
        svc.states[AGENT] = state
        clock.now += 2
        watch.poll()                    # EXITED never lasts 3 s, BACKOFF is still trying
    svc.kind = 'systemd'
    for state in ('ACTIVATING', 'UNKNOWN'):
        svc.states[AGENT] = state
        clock.now += 5
        watch.poll()


def test_a_module_that_did_not_build_fails_the_install_before_any_outage(host):
    """contrail-vrouter-dkms's postinst swallows a failed `dkms build`: the swap used to unload
    the old module and start an agent with no module to load."""
    host.dkms_fails = True
    result = swap(host, **UPGRADE)
    assert result['failed'] and result['failed_step'] == 'install', result
    assert 'no vrouter kernel module is on disk' in result['msg']
    assert 'dkms/vrouter/4.0.3.0/build/make.log' in result['msg']
    assert 'stop' not in result['timings'] and 'kmod' not in result['timings']
    assert host.kmod == V1 and host.agent_state() == 'RUNNING'      # v1 still forwards
    assert not any(call.startswith('rmmod') for call in host.calls)


def test_a_daemon_that_dies_after_xmpp_fails_running_at_once(host):
    host.dies_after_xmpp = True
    result = swap(host, **dict(UPGRADE, route_check='none'))
    assert result['failed'] and result['failed_step'] == 'running', result.get('msg')
    assert 'contrail-vrouter-agent is FATAL' in result['msg'] and result['fake_seconds'] < 5


# -- 2. a resumed swap reloads the module the old agent runs on -------------------------------

@pytest.mark.parametrize('conf_written', [False, True])
def test_a_swap_resumed_after_its_install_reloads_the_module_in_one_run(host, conf_written):
    host.packages.update((name, V2) for name in PACKAGES)
    host.built = V2                      # the install ran, dkms built the 4.0 module
    if conf_written:
        text = open(host.paths['agent_conf']).read()
        text = text.replace('server=%s\n' % V1_CONTROL, '').replace(
            '[CONTROL-NODE]\n', '[CONTROL-NODE]\nservers=%s:5269\n' % V2_CONTROL).replace(
            '[DNS]\n', '[DNS]\nservers=%s:53\n' % V2_CONTROL).replace(
            'http_server_port=8085\n', 'http_server_port=8085\ncollectors=%s:8086\n' % V2_CONTROL)
        open(host.paths['agent_conf'], 'w').write(text)
    assert host.kmod == V1 and host.agent == V1
    preview = swap(host, check_mode=True, **UPGRADE)
    assert preview['changed'] and preview['plan']['restart'] and not preview['plan']['packages']
    assert preview['plan']['kmod']['reload'] and V1 in preview['plan']['kmod']['reason']
    assert not [c for c in host.calls if c.startswith((
        'rmmod', 'service supervisor-vrouter stop', 'service supervisor-vrouter start',
        'apt-get install -y', 'supervisorctl -s %s stop' % SOCKET))]
    result = swap(host, **UPGRADE)
    assert not result.get('failed'), result.get('msg')
    assert 'rmmod -w vrouter' in host.calls
    assert host.calls.count('service supervisor-vrouter start') == 1     # one outage
    assert host.kmod == V2 and host.agent_state() == 'RUNNING' and result['version'] == V2
    assert result['fake_seconds'] < 5


def test_without_a_module_build_an_unfinished_record_reloads_it(host):
    host.info_tool = False
    host.packages.update((name, V2) for name in PACKAGES)
    host.built = V2                      # the install ran, dkms built the 4.0 module
    vrouter.write_fact(host.paths['fact_file'], {'vrouter': {
        'status': 'in_progress', 'target_versions': dict((n, V2) for n in PACKAGES),
        'previous': {'versions': dict((n, V1) for n in PACKAGES)}}})
    result = swap(host, **UPGRADE)
    assert not result.get('failed'), result.get('msg')
    assert 'did not finish (in_progress)' in result['plan']['kmod']['reason']
    assert host.kmod == V2 and result['version'] == V2


def test_a_module_at_target_is_not_reloaded_and_a_done_swap_is_a_no_op(host):
    assert swap(host, **UPGRADE)['version'] == V2
    host.calls[:] = []
    again = swap(host, **UPGRADE)
    assert not again['changed'] and not again['plan']['kmod']['reload']
    assert again['version'] == V2 and 'rmmod -w vrouter' not in host.calls


def test_a_failed_rollback_names_the_version_the_host_is_on(host):
    assert swap(host, **UPGRADE)['version'] == V2
    host.hang.add('apt-get install')
    result = swap(host, rollback=True, install_timeout=600)
    assert result['failed'] and result['failed_step'] == 'install', result.get('msg')
    assert 'agent %s' % V2 in result['msg'] and result['host_state']['version'] == V2
    host.hang.clear()
    back = swap(host, rollback=True)
    assert not back.get('failed'), back.get('msg')
    assert back['version'] == V1 and host.kmod == V1


# -- 3. every long step has its own time limit --------------------------------------------------

@pytest.mark.parametrize('command, step, limit, waits_for', [
    ('apt-get install', 'install', 'install_timeout', 'the package manager'),
    ('service stop', 'stop', 'service_timeout', 'to stop its daemons'),
    ('service start', 'start', 'service_timeout', 'to start'),
    ('rmmod', 'kmod', 'kmod_timeout', 'the vrouter module to have no users'),
])
def test_a_hung_command_fails_its_step_saying_what_it_waited_for(host, command, step, limit,
                                                                 waits_for):
    host.hang.add(command)
    if command == 'rmmod':
        host.holders = 2
        original = host.stop
        host.stop = lambda: (original(), setattr(host, 'holders', 2))    # something holds it
    result = swap(host, **dict(UPGRADE, **{limit: 42}))
    assert result['failed'] and result['failed_step'] == step, result.get('msg')
    assert 'did not return in 42s' in result['msg'] and waits_for in result['msg']
    assert result['command']['timeout'] == 42
    assert result['fake_seconds'] < 42 + 5
    if command == 'rmmod':
        assert 'lsmod: vrouter used by 2' in result['msg']


# -- 4. the agent must be Functional by its NodeStatus (issue 12) -------------------------------
# The play waited for it in a task of its own (node_status_info): one more module run per
# compute, a fork, a connection and a module start each; the swap waits for it itself now.

@pytest.fixture
def timed(monkeypatch, clock):
    """The swap's step timings on the fake clock."""
    monkeypatch.setattr(runner, 'time', types.SimpleNamespace(monotonic=clock, sleep=clock.sleep))


def test_the_swap_waits_until_the_agent_reports_nodestatus_functional(host, timed):
    host.functional_after = 20.0         # DNS and collectors come up after the routes
    result = swap(host, **UPGRADE)
    assert not result.get('failed'), result.get('msg')
    assert result['version'] == V2 and 20.0 <= result['fake_seconds'] < 25
    assert list(result['timings'])[-2:] == ['running', 'functional']
    assert result['timings']['functional'] >= 15         # its own timing, beside the outage's
    assert result['timings']['outage'] < 5
    assert [p['state'] for p in result['node_status']] == ['Functional']
    record = vrouter.read_fact(host.paths['fact_file'])['vrouter']
    assert record['status'] == 'done'


def test_an_agent_not_functional_in_time_fails_the_swap_and_is_rolled_back(host, timed):
    host.functional_after = None
    result = swap(host, rollback_on_failure=True, functional_timeout=30, **UPGRADE)
    assert result['failed'] and result['failed_step'] == 'functional', result.get('msg')
    assert 'not Functional by its NodeStatus (127.0.0.1:8085) after 30s' in result['msg']
    assert '%s: Non-Functional (XMPP:dns-server:%s connection down)' % (AGENT, V2_CONTROL) \
        in result['msg']
    assert result['wait']['timeout'] == 30 and result['timings']['functional'] >= 30
    assert result['node_status'][0]['description'] == host.not_functional_why
    # rolled back at once, as a failed route wait is; the rollback does not wait for Functional
    assert result['rolled_back']['ok'] and result['rolled_back']['version'] == V1
    assert 'functional' not in result['rolled_back']['timings']
    assert 'rolled back at once to %s' % V1 in result['msg']
    assert result['host_state']['version'] == V1 and host.agent == V1 and host.kmod == V1
    record = vrouter.read_fact(host.paths['fact_file'])['vrouter']
    assert record['status'] == 'failed' and record['failed_step'] == 'functional'


def test_an_agent_introspect_that_never_answers_nodestatus_says_so(host):
    real = FakeIntrospect.node_status

    def refused(self):
        raise IntrospectError('GET http://127.0.0.1:8085/Snh_SandeshUVECacheReq?x=NodeStatus: '
                              'timed out')
    FakeIntrospect.node_status = refused
    try:
        result = swap(host, functional_timeout=10, **UPGRADE)
    finally:
        FakeIntrospect.node_status = real
    assert result['failed'] and result['failed_step'] == 'functional', result.get('msg')
    assert 'did not answer its NodeStatus within 10s' in result['msg'] and 'timed out' in result['msg']


@pytest.mark.parametrize('skip', [dict(functional_timeout=0), dict(functional_timeout=None),
                                  dict(wait=False)])
def test_no_nodestatus_wait_when_skipped(host, skip):
    host.functional_after = None         # would never be Functional
    result = swap(host, **dict(UPGRADE, **skip))
    assert not result.get('failed'), result.get('msg')
    assert 'functional' not in result['timings'] and 'node_status' not in result
    assert host.node_status_reads == 0


def test_no_nodestatus_wait_in_check_mode_or_for_a_rollback(host):
    host.functional_after = None
    preview = swap(host, check_mode=True, **UPGRADE)
    assert preview['changed'] and 'functional' not in preview['timings']
    assert host.node_status_reads == 0 and host.agent == V1
    assert not swap(host, functional_timeout=0, **UPGRADE).get('failed')
    back = swap(host, rollback=True)
    assert not back.get('failed'), back.get('msg')
    assert back['version'] == V1 and 'functional' not in back['timings']
    assert host.node_status_reads == 0


def test_a_compute_already_on_the_target_is_still_checked_functional(host, timed):
    # a re-run on a compute whose packages and conf are v2 already changes nothing, but it only
    # counts as on v2 when its agent is Functional (the play's own NodeStatus task checked that
    # before the wait moved into the swap)
    assert not swap(host, functional_timeout=0, **UPGRADE).get('failed')
    host.functional_after = None
    result = swap(host, functional_timeout=10, **UPGRADE)
    assert result['failed'] and result['failed_step'] == 'functional', result.get('msg')
    assert 'not Functional by its NodeStatus' in result['msg']
    assert host.node_status_reads > 0
    host.functional_after = 0.0
    again = swap(host, functional_timeout=10, **UPGRADE)
    assert not again.get('failed') and not again['changed'], again.get('msg')
    assert list(again['timings']) == ['functional']
    preview = swap(host, check_mode=True, functional_timeout=10, **UPGRADE)
    assert not preview['changed'] and 'functional' not in preview['timings']
