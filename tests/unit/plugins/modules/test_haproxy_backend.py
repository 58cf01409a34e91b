# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""haproxy_backend as a task runs it (read, plan, apply, persist, wait), against an HAProxy
held in memory that answers the runtime API's text, so the real client parses every answer.
The planning itself is tested in module_utils/test_haproxy_config.py; HAProxy itself in
tests/integration/test_haproxy_backend.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import haproxy_config
from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_runtime import (
    ADMF_FDRAIN, ADMF_FMAINT, HAProxyRuntime,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import merged_argument_spec
from ansible_collections.opencontrail.issu.plugins.modules import haproxy_backend
from ansible_collections.opencontrail.issu.tests.unit.plugins.haproxy_fixtures import servers_state

STAT_HEADER = "# pxname,svname,scur,status,\n"
BITS = {'ready': 0, 'drain': ADMF_FDRAIN, 'maint': ADMF_FMAINT}

CONFIG = """global
    stats socket /run/haproxy/admin.sock level admin
    server-state-file /var/lib/haproxy/server-state

backend contrail-api
    balance roundrobin
    server ctrl1 10.99.0.11:8082 check inter 2000

backend neutron-server
    server neutron1 127.0.0.1:9697
"""


class FakeHAProxy(HAProxyRuntime):
    """HAProxy 2.6's runtime API over servers held in memory (``sent`` lists every command)."""

    def __init__(self, address, timeout=10):
        super(FakeHAProxy, self).__init__(address, timeout)
        self.servers = {'contrail-api': [self.server('ctrl1', '10.99.0.11', 8082, sessions=3)],
                        'neutron-server': [self.server('neutron1', '127.0.0.1', 9697)]}
        self.sent = []

    @staticmethod
    def server(name, address, port, state='ready', sessions=0):
        return dict(name=name, address=address, port=port, state=state, sessions=sessions)

    def find(self, key):
        backend, name = key.split('/', 1)
        return next((s for s in self.servers.get(backend, []) if s['name'] == name), None)

    def execute(self, command):
        self.sent.append(command)
        words = command.split()
        if command == 'show info':
            return 'Name: HAProxy\nVersion: 2.6.12-1+deb12u4\n'
        if command == 'show stat':
            rows = []
            for backend, servers in self.servers.items():
                for srv in servers:
                    if srv['state'] != 'ready':   # sessions end once no new one comes
                        srv['sessions'] = max(0, srv['sessions'] - 1)
                    rows.append('%s,%s,%d,%s,\n' % (backend, srv['name'], srv['sessions'], {
                        'ready': 'UP', 'drain': 'DRAIN', 'maint': 'MAINT'}[srv['state']]))
            return STAT_HEADER + ''.join(rows)
        if words[:3] == ['show', 'servers', 'state']:
            backends = words[3:] or list(self.servers)
            if any(b not in self.servers for b in backends):
                return "Can't find backend.\n"
            return servers_state((b, n + 1, s['name'], s['address'], BITS[s['state']], s['port'])
                                 for b in backends for n, s in enumerate(self.servers[b])) + '\n'
        if words[0] == 'add':
            backend, name = words[2].split('/', 1)
            address, port = words[3].rsplit(':', 1)
            self.servers[backend].append(self.server(name, address, int(port), state='maint'))
            return 'New server registered.\n'
        srv = self.find(words[2])
        if srv is None:
            return 'No such server.\n'
        if words[0] == 'enable':
            return ''
        if words[3] == 'state':
            srv['state'] = words[4]
            return ''
        srv.update(address=words[4], port=int(words[6]))
        return "IP changed from '...' to '%s' by 'stats socket command'\n" % words[4]


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.check_mode, self._diff = check_mode, True
        spec, _required_if = merged_argument_spec(haproxy_backend.argument_spec(), ('wait',))
        self.params = dict((k, v.get('default')) for k, v in spec.items())
        self.params.update(params)
        self.backups = []

    def backup_local(self, path):
        self.backups.append(path)
        return path + '.bak'


@pytest.fixture
def haproxy(monkeypatch):
    fake = FakeHAProxy('/run/haproxy/admin.sock')
    monkeypatch.setattr(haproxy_backend, 'HAProxyRuntime', lambda address, timeout: fake)
    return fake


@pytest.fixture
def files(tmp_path):
    (tmp_path / 'haproxy.cfg').write_text(CONFIG)
    return dict(config_file=str(tmp_path / 'haproxy.cfg'),
                server_state_file=str(tmp_path / 'server-state'))


SWITCH = dict(backends=['contrail-api'], addresses={'10.99.0.11': '10.99.0.21'},
              add_addresses=['10.99.0.21:8082', '10.99.0.22:8082'], state='drain')


def setters(haproxy):
    return [c for c in haproxy.sent if not c.startswith('show')]


def test_check_mode_reports_the_switch_and_changes_nothing(haproxy, files):
    result = haproxy_backend.run(FakeModule(dict(SWITCH, **files), check_mode=True))
    assert result['changed'] and result['haproxy_version'] == '2.6.12-1+deb12u4'
    assert result['commands'] == [
        'set server contrail-api/ctrl1 state drain',
        'set server contrail-api/ctrl1 addr 10.99.0.21 port 8082',
        'add server contrail-api/10.99.0.22 10.99.0.22:8082 check inter 2000',
        'enable health contrail-api/10.99.0.22',
        'set server contrail-api/10.99.0.22 state drain']
    assert result['persisted'] == dict(server_state_file=True, config_file=True)
    assert result['diff'] == dict(before=result['before'], after=result['after'])
    assert setters(haproxy) == []
    assert open(files['config_file']).read() == CONFIG
    with pytest.raises(IOError):
        open(files['server_state_file'])
    assert [s['server'] for s in result['servers']] == ['ctrl1']     # the live view, unchanged


def test_the_switch_is_applied_persisted_waited_for_then_idempotent(haproxy, files):
    module = FakeModule(dict(SWITCH, backup=True, wait=True, wait_timeout=5,
                             wait_interval=0.01, **files))
    result = haproxy_backend.run(module)
    assert setters(haproxy) == result['commands'] and len(result['commands']) == 5
    assert result['persisted'] == dict(server_state_file=True, config_file=True)
    assert result['backup_file'] == files['config_file'] + '.bak'
    assert module.backups == [files['config_file']]
    config = open(files['config_file']).read()
    assert ('    server ctrl1 10.99.0.21:8082 check inter 2000\n'
            '    server 10.99.0.22 10.99.0.22:8082 check inter 2000\n') in config
    assert config.replace('10.99.0.21', '10.99.0.11').replace(
        '    server 10.99.0.22 10.99.0.22:8082 check inter 2000\n', '') == CONFIG
    # the state file is what HAProxy answers, so a reload keeps the drain
    assert open(files['server_state_file']).read() == haproxy.execute('show servers state')
    # waited until the drained server had no session left
    assert [(s['server'], s['state'], s['sessions']) for s in result['servers']] == [
        ('ctrl1', 'drain', 0), ('10.99.0.22', 'drain', 0)]

    haproxy.sent[:] = []
    again = haproxy_backend.run(FakeModule(dict(SWITCH, **files)))
    assert not again['changed'] and again['commands'] == [] and setters(haproxy) == []
    assert again['persisted'] == dict(server_state_file=False, config_file=False)
    assert again['before'] == again['after']


def test_a_state_file_left_behind_is_written_again_without_any_command(haproxy, files):
    haproxy.find('contrail-api/ctrl1')['state'] = 'maint'    # set by hand, file not written
    result = haproxy_backend.run(FakeModule(dict(backends=['contrail-api'], state='maint',
                                                 server_state_file=files['server_state_file'])))
    assert result['changed'] and result['commands'] == [] and setters(haproxy) == []
    assert result['persisted'] == dict(server_state_file=True, config_file=False)
    assert 'contrail-api 1 ctrl1 10.99.0.11 2 1 ' in open(files['server_state_file']).read()


def test_an_unknown_backend_fails_before_anything_is_sent(haproxy, files):
    with pytest.raises(haproxy_config.NotFound, match='not found in HAProxy: nope'):
        haproxy_backend.run(FakeModule(dict(backends=['contrail-api', 'nope'], state='maint')))
    assert setters(haproxy) == []
    result = haproxy_backend.run(FakeModule(dict(backends=['contrail-api', 'nope'],
                                                 state='maint', fail_on_not_found=False)))
    assert result['not_found'] == ['nope'] and setters(haproxy) == [
        'set server contrail-api/ctrl1 state maint']
