# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""opencontrail.issu.haproxy_backend against a real HAProxy 2.6 (see conftest.py)."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

pytestmark = pytest.mark.integration

FMAINT, FDRAIN = 0x01, 0x08


def get(port, path='/', timeout=5):
    with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=timeout) as resp:
        return resp.read().decode()


def admin_bits(haproxy, backend):
    return dict((name, row[0]) for name, row in haproxy.servers_state(backend).items())


def test_drain_sets_state_then_second_run_is_unchanged(haproxy, run_module):
    args = dict(socket=haproxy.unix_socket, backends=['contrail-api'], state='drain')
    first = run_module('haproxy_backend', args)
    assert first.get('failed') is not True, first
    assert first['changed'] is True
    assert first['commands'] == ['set server contrail-api/ctrl1 state drain',
                                 'set server contrail-api/ctrl2 state drain']
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': FDRAIN, 'ctrl2': FDRAIN}
    assert admin_bits(haproxy, 'neutron-server') == {'neutron1': 0, 'neutron2': 0}

    second = run_module('haproxy_backend', args)
    assert second['changed'] is False
    assert second['commands'] == []

    ready = run_module('haproxy_backend', dict(args, state='ready', wait=True,
                                               socket=haproxy.tcp_socket))
    assert ready['changed'] is True
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': 0, 'ctrl2': 0}
    assert all(s['status'] == 'UP' for s in ready['servers'])


def test_check_mode_changes_nothing(haproxy, run_module):
    result = run_module('haproxy_backend', dict(
        socket=haproxy.tcp_socket, backends=['contrail-api', 'neutron-server'],
        servers=['ctrl1', 'neutron1'], state='maint',
        server_state_file=str(haproxy.state_file)), check=True)
    assert result['changed'] is True
    assert result['commands'] == ['set server contrail-api/ctrl1 state maint',
                                  'set server neutron-server/neutron1 state maint']
    assert result['persisted'] == {'server_state_file': True, 'config_file': False}
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': 0, 'ctrl2': 0}
    assert admin_bits(haproxy, 'neutron-server') == {'neutron1': 0, 'neutron2': 0}
    assert not haproxy.state_file.exists()


def test_diff_shows_before_and_after(haproxy, run_module):
    args = dict(socket=haproxy.unix_socket, backends=['contrail-api'], servers=['ctrl2'],
                state='maint')
    result = run_module('haproxy_backend', args, check=True, diff=True)
    assert result['diff']['before']['servers'] == {'contrail-api/ctrl2': dict(
        state='ready', address=haproxy.V1_API[1], port=result['diff']['before']['servers'][
            'contrail-api/ctrl2']['port'])}
    assert result['diff']['after']['servers']['contrail-api/ctrl2']['state'] == 'maint'

    text = run_module('haproxy_backend', args, diff=True, raw=True)
    assert '-            "state": "ready"' in text
    assert '+            "state": "maint"' in text
    assert 'changed: [localhost]' in text


def test_unknown_backend_or_server_fails_and_changes_nothing(haproxy, run_module):
    missing_backend = run_module('haproxy_backend', dict(
        socket=haproxy.tcp_socket, backends=['contrail-api', 'nope'], state='maint'))
    assert missing_backend['failed'] is True
    assert 'not found in HAProxy: nope' in missing_backend['msg']

    missing_server = run_module('haproxy_backend', dict(
        socket=haproxy.tcp_socket, backends=['contrail-api'], servers=['ctrl1', 'ctrl9'],
        state='maint'))
    assert missing_server['failed'] is True
    assert 'contrail-api/ctrl9' in missing_server['msg']
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': 0, 'ctrl2': 0}

    tolerated = run_module('haproxy_backend', dict(
        socket=haproxy.tcp_socket, backends=['contrail-api', 'nope'],
        servers=['ctrl1', 'ctrl9'], state='maint', fail_on_not_found=False))
    assert tolerated['changed'] is True
    assert tolerated['not_found'] == ['nope', 'contrail-api/ctrl9']
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': FMAINT, 'ctrl2': 0}


def test_unreachable_socket_is_a_clear_error(haproxy, run_module, tmp_path):
    result = run_module('haproxy_backend', dict(
        socket=str(tmp_path / 'no.sock'), backends=['contrail-api'], state='maint'))
    assert result['failed'] is True
    assert 'no.sock' in result['msg']


def _hold_session(haproxy):
    """Open a request through the frontend that stays open until released."""
    thread = threading.Thread(target=get, args=(haproxy.api_fe, '/hold', 60), daemon=True)
    thread.start()
    haproxy.wait_until(lambda: sum(
        int(line.split(',')[4] or 0) for line in haproxy.cli('show stat').splitlines()
        if line.startswith('contrail-api,ctrl')) == 1)
    return thread


def test_drain_waits_for_the_active_session(haproxy, run_module, backend_servers):
    release = backend_servers['servers'].release
    release.clear()
    holder = _hold_session(haproxy)
    try:
        timed_out = run_module('haproxy_backend', dict(
            socket=haproxy.tcp_socket, backends=['contrail-api'], state='drain', wait=True,
            wait_timeout=1, wait_interval=0.2))
        assert timed_out['failed'] is True
        assert 'timed out after 1s' in timed_out['msg']
        assert list(timed_out['wait']['last_value'].values())[0]['sessions'] == 1

        timer = threading.Timer(2.0, release.set)
        timer.start()
        started = time.monotonic()
        drained = run_module('haproxy_backend', dict(
            socket=haproxy.tcp_socket, backends=['contrail-api'], state='drain', wait=True,
            wait_timeout=30, wait_interval=0.2))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    assert drained.get('failed') is not True, drained
    assert drained['changed'] is False  # the timed-out run already set drain
    assert elapsed >= 1.5
    assert all(s['sessions'] == 0 for s in drained['servers'])


def test_a_down_server_can_be_drained_and_waited_for(haproxy, run_module):
    started = time.monotonic()
    result = run_module('haproxy_backend', dict(
        socket=haproxy.unix_socket, backends=['neutron-server'], servers=['neutron2'],
        state='drain', wait=True, wait_timeout=20))
    assert result.get('failed') is not True, result
    assert result['changed'] is True
    assert time.monotonic() - started < 15
    assert result['servers'][0]['status'] == 'DOWN'
    assert result['servers'][0]['address'] == haproxy.NEUTRON_DOWN
    assert admin_bits(haproxy, 'neutron-server')['neutron2'] == FDRAIN


def test_state_survives_a_reload(haproxy, run_module):
    args = dict(socket=haproxy.unix_socket, backends=['contrail-api'], servers=['ctrl1'],
                state='maint', server_state_file=str(haproxy.state_file))
    result = run_module('haproxy_backend', args)
    assert result['changed'] is True
    assert result['persisted']['server_state_file'] is True
    assert 'contrail-api 1 ctrl1' in haproxy.state_file.read_text()

    haproxy.reload()
    assert admin_bits(haproxy, 'contrail-api') == {'ctrl1': FMAINT, 'ctrl2': 0}
    assert run_module('haproxy_backend', args)['changed'] is False


def test_stale_state_file_alone_is_a_change(haproxy, run_module):
    """Runtime already right but the state file is missing: writing it is the change."""
    haproxy.cli('set server contrail-api/ctrl2 state maint')
    args = dict(socket=haproxy.unix_socket, backends=['contrail-api'], servers=['ctrl2'],
                state='maint', server_state_file=str(haproxy.state_file))
    result = run_module('haproxy_backend', args)
    assert result['changed'] is True
    assert result['commands'] == []
    assert result['before']['server_state_file'] == {'contrail-api/ctrl2': None}
    assert haproxy.state_file.exists()
    assert run_module('haproxy_backend', args)['changed'] is False


def test_switch_to_v2_addresses_survives_reload(haproxy, run_module):
    assert get(haproxy.api_fe).startswith('v1-')
    args = dict(socket=haproxy.tcp_socket, backends=['contrail-api'],
                addresses=dict(zip(haproxy.V1_API, haproxy.V2_API)), state='ready',
                wait=True, wait_timeout=20, server_state_file=str(haproxy.state_file),
                config_file=str(haproxy.config), backup=True)
    result = run_module('haproxy_backend', args)
    assert result.get('failed') is not True, result
    assert result['changed'] is True
    assert [c.split(' addr ')[1].split()[0] for c in result['commands']] == list(haproxy.V2_API)
    assert result['persisted'] == {'server_state_file': True, 'config_file': True}
    assert {get(haproxy.api_fe) for _attempt in range(4)} == {'v2-ctrl1', 'v2-ctrl2'}
    config = haproxy.config.read_text()
    assert 'server ctrl1 %s:' % haproxy.V2_API[0] in config and haproxy.V1_API[0] not in config
    assert '# the v1 API servers' in config  # the rest of the file is left as it was

    assert run_module('haproxy_backend', args)['changed'] is False

    haproxy.reload()
    rows = haproxy.servers_state('contrail-api')
    assert (rows['ctrl1'][1], rows['ctrl2'][1]) == haproxy.V2_API
    haproxy.wait_until(lambda: get(haproxy.api_fe).startswith('v2-'))


def test_switch_by_ordered_list_and_back(haproxy, run_module):
    result = run_module('haproxy_backend', dict(
        socket=haproxy.unix_socket, backends=['contrail-api'], addresses=list(haproxy.V2_API)))
    assert result['changed'] is True
    rows = haproxy.servers_state('contrail-api')
    assert (rows['ctrl1'][1], rows['ctrl2'][1]) == haproxy.V2_API

    wrong_length = run_module('haproxy_backend', dict(
        socket=haproxy.unix_socket, backends=['contrail-api'], addresses=[haproxy.V1_API[0]]))
    assert wrong_length['failed'] is True
    assert '1 addresses but backend contrail-api has 2' in wrong_length['msg']

    unknown_key = run_module('haproxy_backend', dict(
        socket=haproxy.unix_socket, backends=['contrail-api'],
        addresses={'127.0.0.99': haproxy.V1_API[0]}))
    assert unknown_key['failed'] is True
    assert '127.0.0.99' in unknown_key['msg']
    rows = haproxy.servers_state('contrail-api')
    assert (rows['ctrl1'][1], rows['ctrl2'][1]) == haproxy.V2_API


V2_THIRD = '127.0.0.8'


@pytest.fixture
def third_v2_server(backend_servers):
    """A third v2 API server (the conftest starts two), once per session."""
    servers = backend_servers['servers']
    if not getattr(servers, 'v2_third_started', False):
        servers.start('v2-ctrl3', V2_THIRD, backend_servers['api_port'])
        servers.v2_third_started = True
    return '%s:%d' % (V2_THIRD, backend_servers['api_port'])


def test_switch_to_more_v2_servers_adds_them_and_survives_reload(haproxy, run_module,
                                                                 backend_servers, third_v2_server):
    """2 v1 -> 3 v2 inside a freeze: the backend ends on the three v2 servers, none of v1."""
    port = backend_servers['api_port']
    v2 = ['%s:%d' % (ip, port) for ip in haproxy.V2_API] + [third_v2_server]
    freeze = dict(socket=haproxy.tcp_socket, backends=['contrail-api'], state='drain',
                  server_state_file=str(haproxy.state_file))
    assert run_module('haproxy_backend', freeze)['changed'] is True
    switch = dict(socket=haproxy.tcp_socket, backends=['contrail-api'],
                  addresses=dict(zip(haproxy.V1_API, v2)), add_addresses=v2,
                  server_state_file=str(haproxy.state_file), config_file=str(haproxy.config),
                  backup=True)
    config_before = haproxy.config.read_text()

    planned = run_module('haproxy_backend', switch, check=True, diff=True)
    assert planned['changed'] is True, planned
    assert planned['commands'][-3:] == [
        'add server contrail-api/%s %s check inter 200ms fall 1 rise 1' % (V2_THIRD, third_v2_server),
        'enable health contrail-api/%s' % V2_THIRD,
        'set server contrail-api/%s state drain' % V2_THIRD]
    assert planned['after']['servers']['contrail-api/%s' % V2_THIRD] == dict(
        state='drain', address=V2_THIRD, port=port)
    assert planned['before']['config_file']['contrail-api/%s' % V2_THIRD] is None
    assert set(haproxy.servers_state('contrail-api')) == {'ctrl1', 'ctrl2'}  # check mode
    assert haproxy.config.read_text() == config_before

    result = run_module('haproxy_backend', switch)
    assert result.get('failed') is not True, result
    assert result['changed'] is True
    assert result['commands'] == planned['commands']
    assert result['persisted'] == {'server_state_file': True, 'config_file': True}
    rows = haproxy.servers_state('contrail-api')
    assert sorted((row[1], row[2]) for row in rows.values()) == sorted(
        (ip, port) for ip in haproxy.V2_API + (V2_THIRD,))
    assert rows[V2_THIRD][0] == FDRAIN  # the new server joins the freeze
    config = haproxy.config.read_text()
    assert '    server %s %s check inter 200ms fall 1 rise 1\n' % (V2_THIRD, third_v2_server) in config
    assert not any(ip in config for ip in haproxy.V1_API)

    assert run_module('haproxy_backend', switch)['changed'] is False
    opened = run_module('haproxy_backend', dict(
        socket=haproxy.tcp_socket, backends=['contrail-api'], state='ready', wait=True,
        wait_timeout=20, server_state_file=str(haproxy.state_file)))
    assert opened.get('failed') is not True, opened
    assert {get(haproxy.api_fe) for _attempt in range(9)} == {'v2-ctrl1', 'v2-ctrl2', 'v2-ctrl3'}

    haproxy.reload()
    rows = haproxy.servers_state('contrail-api')
    assert rows[V2_THIRD][1:3] == (V2_THIRD, port) and rows[V2_THIRD][0] == 0
    haproxy.wait_until(lambda: {get(haproxy.api_fe) for _attempt in range(9)} == {
        'v2-ctrl1', 'v2-ctrl2', 'v2-ctrl3'})


def test_switch_to_fewer_v2_servers_keeps_no_v1_server(haproxy, run_module, backend_servers):
    """2 v1 -> 1 v2: both server lines serve the one v2 server, nothing is added."""
    v2 = '%s:%d' % (haproxy.V2_API[0], backend_servers['api_port'])
    args = dict(socket=haproxy.unix_socket, backends=['contrail-api'],
                addresses=dict((ip, v2) for ip in haproxy.V1_API), add_addresses=[v2],
                config_file=str(haproxy.config))
    result = run_module('haproxy_backend', args)
    assert result.get('failed') is not True, result
    assert not [c for c in result['commands'] if c.startswith('add ')]
    assert {row[1] for row in haproxy.servers_state('contrail-api').values()} == {haproxy.V2_API[0]}
    assert run_module('haproxy_backend', args)['changed'] is False


def test_add_refuses_copied_options_add_server_does_not_accept(haproxy, run_module):
    # HAProxy only reads the configuration at start: the runtime servers keep their options.
    haproxy.config.write_text(haproxy.config.read_text().replace(
        'check inter 200ms fall 1 rise 1', 'cookie c1 check', 1))
    result = run_module('haproxy_backend', dict(
        socket=haproxy.unix_socket, backends=['contrail-api'], add_addresses=['127.0.0.9:80'],
        config_file=str(haproxy.config)))
    assert result['failed'] is True and "'cookie'" in result['msg'] and 'add_options' in result['msg']
    assert set(haproxy.servers_state('contrail-api')) == {'ctrl1', 'ctrl2'}
