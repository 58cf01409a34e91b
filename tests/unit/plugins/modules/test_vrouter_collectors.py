# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_collectors (LP 1675122) on a scripted compute: the confs it writes and which daemons
it signals or restarts for each O(reload) - above all V(keep_agents), which finalize uses on the
computes a forced finalize left on v1, where a restarted agent would come back without a control
plane to get its config and routes from.

``FakeCompute`` plays dpkg-query (the agent's version), ``service supervisor-vrouter status``
and supervisorctl on the vRouter's socket, and records every command; the confs are files under
``tmp_path``.
"""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.modules import vrouter_collectors

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
AGENT = 'contrail-vrouter-agent'
NODEMGR = 'contrail-vrouter-nodemgr'
TOR = 'contrail-tor-agent-1'
AGENT_CONF = '[DEFAULT]\nhostname = cmp1\n# the agent\'s own comment\n\n[DISCOVERY]\nserver = 10.99.0.11\n'
NODEMGR_CONF = '[DISCOVERY]\nserver = 10.99.0.11\n'


class FakeCompute:
    """A compute whose vRouter runs under supervisor-vrouter; records every command."""

    def __init__(self, version):
        self.version = version
        self.programs = [AGENT, NODEMGR, TOR]
        self.calls = []

    def run(self, cmd, environ_update=None, **kwargs):
        cmd = list(cmd)
        self.calls.append(cmd)
        if cmd[0] == 'dpkg-query':
            names = [arg for arg in cmd[2:] if not arg.startswith('-')]
            return 0, ''.join('%s\t%s\tinstall ok installed\n' % (name, self.version)
                              for name in names if name == AGENT), ''
        if cmd[:3] == ['service', 'supervisor-vrouter', 'status']:
            return 0, 'supervisor-vrouter is running\n', ''
        if cmd[0] == 'supervisorctl':
            verb = cmd[3:]
            if verb == ['status']:
                return 0, ''.join('%-30s RUNNING   pid 1%02d, uptime 1:00:00\n' % (name, index)
                                  for index, name in enumerate(self.programs)), ''
            if verb[0] in ('restart', 'signal'):
                return 0, '%s: %s\n' % (verb[-1], 'started' if verb[0] == 'restart' else 'signalled'), ''
        raise AssertionError('unexpected command %s' % cmd)

    def actions(self):
        """The signals and restarts sent, as ``verb program``."""
        return [' '.join(call[3:]) for call in self.calls
                if call[0] == 'supervisorctl' and call[3] in ('restart', 'signal')]


@pytest.fixture
def compute(tmp_path, monkeypatch):
    """``compute(version)``: a compute running that agent version, with its confs and a ToR agent."""
    def make(version):
        host = FakeCompute(version)
        host.confs = dict(agent=tmp_path / 'contrail-vrouter-agent.conf',
                          nodemgr=tmp_path / 'contrail-vrouter-nodemgr.conf',
                          tor=tmp_path / ('%s.conf' % TOR))
        host.confs['agent'].write_text(AGENT_CONF)
        host.confs['nodemgr'].write_text(NODEMGR_CONF)
        host.confs['tor'].write_text(AGENT_CONF)
        monkeypatch.setattr(AnsibleModule, 'run_command',
                            lambda module, cmd, **kwargs: host.run(cmd, **kwargs))
        return host
    return make


def run(capsys, host, check=False, **params):
    """Run the module as Ansible does -> its result (``failed`` on failure)."""
    args = dict(collectors=['10.99.0.21'], agent_conf=str(host.confs['agent']),
                nodemgr_conf=str(host.confs['nodemgr']), tor_agent_confs=[str(host.confs['tor'])],
                package_manager='apt', service_manager='supervisor', _ansible_check_mode=check)
    args.update(params)
    with patch_module_args(args), pytest.raises(SystemExit):
        vrouter_collectors.main()
    return json.loads(capsys.readouterr().out)


def test_keep_agents_restarts_the_nodemgr_only_on_a_3x_compute(compute, capsys):
    host = compute(V1)
    result = run(capsys, host, reload='keep_agents')
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] and result['collectors'] == '10.99.0.21:8086'
    # every conf points at v2's collectors, the rest of each file as it was
    agent = host.confs['agent'].read_text()
    assert 'collectors=10.99.0.21:8086' in agent and "# the agent's own comment" in agent
    assert 'server = 10.99.0.11' in agent
    assert 'collectors=10.99.0.21:8086' in host.confs['tor'].read_text()
    assert 'server_list=10.99.0.21:8086' in host.confs['nodemgr'].read_text()
    # the nodemgr is restarted; the 3.x agent and the ToR agent keep running as they are
    assert host.actions() == ['restart %s' % NODEMGR]
    assert result['reloaded'] == ['%s:restart' % NODEMGR]
    assert sorted(result['not_reloaded']) == sorted([AGENT, TOR])


def test_keep_agents_signals_a_4x_agent(compute, capsys):
    host = compute(V2)
    result = run(capsys, host, reload='keep_agents')
    assert host.actions() == ['signal HUP %s' % AGENT, 'restart %s' % NODEMGR]
    assert result['reloaded'] == ['%s:sighup' % AGENT, '%s:restart' % NODEMGR]
    assert result['not_reloaded'] == [TOR]


@pytest.mark.parametrize('version, reload, actions', [
    (V1, 'auto', ['restart %s' % AGENT, 'restart %s' % NODEMGR, 'restart %s' % TOR]),
    (V2, 'auto', ['signal HUP %s' % AGENT, 'restart %s' % NODEMGR, 'restart %s' % TOR]),
    (V2, 'restart', ['restart %s' % AGENT, 'restart %s' % NODEMGR, 'restart %s' % TOR]),
    (V1, 'none', []),
])
def test_the_other_reload_modes_are_as_before(compute, capsys, version, reload, actions):
    host = compute(version)
    result = run(capsys, host, reload=reload)
    assert result['changed'] and host.actions() == actions
    assert sorted(result['not_reloaded']) == ([] if actions else sorted([AGENT, NODEMGR, TOR]))


def test_a_second_run_changes_and_reloads_nothing(compute, capsys):
    host = compute(V1)
    run(capsys, host, reload='keep_agents')
    host.calls[:] = []
    again = run(capsys, host, reload='keep_agents')
    assert not again['changed'] and again['reloaded'] == [] and again['not_reloaded'] == []
    assert host.actions() == []


def test_check_mode_says_what_it_would_do_and_touches_nothing(compute, capsys):
    host = compute(V1)
    before = dict((name, path.read_text()) for name, path in host.confs.items())
    result = run(capsys, host, check=True, reload='keep_agents')
    assert result['changed'] and result['reloaded'] == ['%s:restart' % NODEMGR]
    assert host.actions() == []
    assert dict((name, path.read_text()) for name, path in host.confs.items()) == before
