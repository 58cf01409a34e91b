# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning logic of opencontrail.issu.haproxy_backend (no HAProxy needed)."""

from __future__ import annotations

import pytest

HEADER = (
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"
    " srv_iweight srv_time_since_last_change srv_check_status srv_check_result"
    " srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id"
    " srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr"
    " srv_agent_addr srv_agent_port\n")

from ansible_collections.opencontrail.issu.plugins.modules import haproxy_backend as hb


def srv(backend, server, address, port=8082, state='ready', status='UP', sessions=0):
    return dict(backend=backend, server=server, address=address, port=port, state=state,
                status=status, sessions=sessions)


API = [srv('contrail-api', 'ctrl1', '10.99.0.11'), srv('contrail-api', 'ctrl2', '10.99.0.12')]
NEUTRON = [srv('neutron-server', 'neutron1', '127.0.0.1', 9697)]


@pytest.mark.parametrize('text, parsed', [
    ('10.0.0.1', ('10.0.0.1', None)), ('10.0.0.1:9100', ('10.0.0.1', 9100)),
    ('[fd00::1]:8082', ('fd00::1', 8082)), ('fd00::1', ('fd00::1', None)),
])
def test_split_address(text, parsed):
    assert hb.split_address(text) == parsed


def test_mapping_by_address_or_name_keeps_ports():
    wanted = hb.resolve_addresses({'10.99.0.11': '10.99.0.21', 'ctrl2': '10.99.0.22:9100'}, API)
    assert wanted == {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                      'contrail-api/ctrl2': ('10.99.0.22', 9100)}


def test_mapping_is_idempotent_once_switched():
    switched = [dict(s, address=a) for s, a in zip(API, ('10.99.0.21', '10.99.0.22'))]
    assert hb.resolve_addresses({'10.99.0.11': '10.99.0.21', '10.99.0.12': '10.99.0.22'},
                                switched) == {}


def test_mapping_key_matching_nothing_is_not_found():
    with pytest.raises(hb.NotFound, match='10.99.0.99'):
        hb.resolve_addresses({'10.99.0.99': '10.99.0.29'}, API)


def test_list_is_applied_per_backend_in_order():
    wanted = hb.resolve_addresses(['10.99.0.21', '10.99.0.22:9100'], API)
    assert wanted == {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                      'contrail-api/ctrl2': ('10.99.0.22', 9100)}
    with pytest.raises(ValueError, match='backend neutron-server has 1'):
        hb.resolve_addresses(['10.99.0.21', '10.99.0.22'], API + NEUTRON)
    with pytest.raises(ValueError, match='mapping or a list'):
        hb.resolve_addresses('10.99.0.21', API)


def test_select_servers_across_backends_and_not_found():
    facts = {'contrail-api': API, 'neutron-server': NEUTRON, 'nope': None}
    selected, missing = hb.select_servers(facts, ['ctrl1', 'neutron1', 'ctrl9'], False)
    assert [s['server'] for s in selected] == ['ctrl1', 'neutron1']
    assert missing == ['nope', 'contrail-api|neutron-server/ctrl9']
    with pytest.raises(hb.NotFound, match='nope'):
        hb.select_servers(facts, [], True)
    assert hb.select_servers({'contrail-api': API}, [], True) == (API, [])


def test_plan_orders_take_away_then_switch_then_give_back():
    before = hb.runtime_view(API + NEUTRON)
    after = hb.desired_view(API + NEUTRON, 'ready', {'contrail-api/ctrl1': ('10.99.0.21', 8082)})
    assert hb.plan_commands(before, after) == [
        'set server contrail-api/ctrl1 addr 10.99.0.21 port 8082']

    maint = [dict(s, state='maint') for s in API]
    before = hb.runtime_view(maint + NEUTRON)
    after = dict(hb.desired_view(maint, 'ready', {'contrail-api/ctrl2': ('10.99.0.22', 8082)}),
                 **hb.desired_view(NEUTRON, 'maint', {}))
    assert hb.plan_commands(before, after) == [
        'set server neutron-server/neutron1 state maint',
        'set server contrail-api/ctrl2 addr 10.99.0.22 port 8082',
        'set server contrail-api/ctrl1 state ready',
        'set server contrail-api/ctrl2 state ready']


def test_no_state_and_no_addresses_plans_nothing():
    view = hb.runtime_view(API)
    assert hb.plan_commands(view, hb.desired_view(API, None, {})) == []


def test_live_values_are_not_part_of_the_compared_views():
    busy = [dict(s, sessions=40, status='DOWN') for s in API]
    assert hb.runtime_view(busy) == hb.runtime_view(API)


STATE_FILE = "1\n" + HEADER + """3 contrail-api 1 ctrl1 10.99.0.11 2 1 1 1 4 6 3 4 6 0 0 0 - 8082 - 0 0 - - 0
"""


def test_state_file_view():
    view = hb.state_file_view(STATE_FILE, ['contrail-api/ctrl1', 'contrail-api/ctrl2'])
    assert view == {'contrail-api/ctrl1': dict(state='maint', address='10.99.0.11', port=8082),
                    'contrail-api/ctrl2': None}
    assert hb.state_file_view('', ['contrail-api/ctrl1']) == {'contrail-api/ctrl1': None}
    assert hb.state_file_view('garbage', ['x/y']) == {'x/y': None}


CONFIG = """global
    stats socket /run/haproxy/admin.sock level admin

frontend contrail-api
    bind *:8082
    default_backend contrail-api

backend contrail-api
    balance roundrobin
    server ctrl1 10.99.0.11:8082 check inter 2000
    server ctrl2 ipv4@10.99.0.12:8082 check
    #server ctrl3 10.99.0.13:8082 check

listen neutron-server
    bind *:9696
    server ctrl1 127.0.0.1 check
"""


def test_config_addresses_and_edit():
    lines = CONFIG.splitlines(True)
    keys = ['contrail-api/ctrl1', 'contrail-api/ctrl2', 'neutron-server/ctrl1',
            'contrail-api/ctrl3']
    assert hb.config_addresses(lines, keys) == {
        'contrail-api/ctrl1': dict(address='10.99.0.11', port=8082),
        'contrail-api/ctrl2': dict(address='10.99.0.12', port=8082),
        'neutron-server/ctrl1': dict(address='127.0.0.1', port=None),
        'contrail-api/ctrl3': None}
    edited = ''.join(hb.edit_config(lines, {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                                            'contrail-api/ctrl2': ('10.99.0.22', 9100)}))
    assert '    server ctrl1 10.99.0.21:8082 check inter 2000\n' in edited
    assert '    server ctrl2 ipv4@10.99.0.22:9100 check\n' in edited
    assert '    server ctrl1 127.0.0.1 check\n' in edited  # other section untouched
    assert edited.replace('10.99.0.21', '10.99.0.11').replace(
        'ipv4@10.99.0.22:9100', 'ipv4@10.99.0.12:8082') == CONFIG


@pytest.mark.parametrize('fact, settled', [
    (srv('b', 's', 'a', state='ready', status='UP'), True),
    (srv('b', 's', 'a', state='ready', status='UP 1/3'), True),
    (srv('b', 's', 'a', state='ready', status='no check'), True),
    (srv('b', 's', 'a', state='ready', status='DOWN'), False),
    (srv('b', 's', 'a', state='drain', status='DOWN', sessions=0), True),
    (srv('b', 's', 'a', state='drain', status='DRAIN', sessions=2), False),
    (srv('b', 's', 'a', state='maint', status='MAINT', sessions=0), True),
])
def test_settled(fact, settled):
    assert hb.settled(fact) is settled


# -- add_addresses: a backend ends on every v2 API server, whatever the counts ---------------

V2 = ['10.99.0.21:8082', '10.99.0.22:8082', '10.99.0.23:8082']


def switch_plan(v1_facts, mapping, add, state=None, options=None):
    """(after view, added, present, commands) of a switch as the northbound role asks it."""
    wanted = hb.resolve_addresses(mapping, v1_facts)
    after = hb.desired_view(v1_facts, state, wanted)
    added, present = hb.plan_additions(add, {'contrail-api': v1_facts}, after, state, options)
    for new in added:
        after[hb.key_of(new)] = dict(state=new['state'], address=new['address'], port=new['port'])
    return after, added, present, hb.plan_commands(hb.runtime_view(v1_facts), after, added)


@pytest.mark.parametrize('v1_count, v2_count', [(1, 3), (2, 3), (3, 3), (3, 1), (3, 2), (1, 1)])
def test_switch_ends_on_every_v2_server_and_no_v1_one(v1_count, v2_count):
    v1 = [srv('contrail-api', '10.99.0.1%d' % (n + 1), '10.99.0.1%d' % (n + 1), state='drain')
          for n in range(v1_count)]
    mapping = dict((s['address'], V2[n % v2_count]) for n, s in enumerate(v1))
    after, added, _present, _commands = switch_plan(v1, mapping, V2[:v2_count],
                                                    options=lambda backend: 'check')
    ends_on = set('%s:%s' % (v['address'], v['port']) for v in after.values())
    assert ends_on == set(V2[:v2_count])
    assert len(added) == max(0, v2_count - v1_count)
    assert all(v['state'] == 'drain' for v in after.values())  # a frozen backend stays frozen


def test_one_to_three_adds_two_servers_in_the_peers_state_after_the_switch():
    v1 = [srv('contrail-api', '10.99.0.11', '10.99.0.11', state='drain')]
    _after, added, present, commands = switch_plan(
        v1, {'10.99.0.11': V2[0]}, V2, options=lambda backend: 'check inter 2000')
    assert [(n['server'], n['address'], n['port'], n['state']) for n in added] == [
        ('10.99.0.22', '10.99.0.22', 8082, 'drain'), ('10.99.0.23', '10.99.0.23', 8082, 'drain')]
    assert present == ['contrail-api/10.99.0.11']
    assert commands == [
        'set server contrail-api/10.99.0.11 addr 10.99.0.21 port 8082',
        'add server contrail-api/10.99.0.22 10.99.0.22:8082 check inter 2000',
        'enable health contrail-api/10.99.0.22',
        'set server contrail-api/10.99.0.22 state drain',
        'add server contrail-api/10.99.0.23 10.99.0.23:8082 check inter 2000',
        'enable health contrail-api/10.99.0.23',
        'set server contrail-api/10.99.0.23 state drain']


def test_additions_are_idempotent_and_named_apart_from_existing_servers():
    done = [srv('contrail-api', 'ctrl1', '10.99.0.21'),
            srv('contrail-api', '10.99.0.22', '10.99.0.22'),
            srv('contrail-api', '10.99.0.23', '10.99.0.23')]
    assert switch_plan(done, {'10.99.0.11': V2[0]}, V2)[1:] == (
        [], ['contrail-api/ctrl1', 'contrail-api/10.99.0.22', 'contrail-api/10.99.0.23'], [])
    # a name already taken by a server with another address; the state given wins; no options
    taken = [srv('contrail-api', '10.99.0.22', '10.99.0.21')]
    _after, added, _present, commands = switch_plan(taken, {}, ['10.99.0.22'], state='maint')
    assert [(n['server'], n['port']) for n in added] == [('10.99.0.22-2', 8082)]
    assert commands == ['set server contrail-api/10.99.0.22 state maint',
                        'add server contrail-api/10.99.0.22-2 10.99.0.22:8082']  # created in maint


def test_additions_need_a_port():
    with pytest.raises(ValueError, match='no port'):
        hb.plan_additions(['10.99.0.21'], {'contrail-api': []}, {})


def test_dynamic_options_accepts_what_add_server_accepts():
    words = 'check inter 2000 fastinter 500 downinter 500 rise 2 fall 3 weight 10 no-tlsv10'.split()
    assert hb.dynamic_options(words, 'x') == ' '.join(words)
    assert hb.dynamic_options([], 'x') == ''
    with pytest.raises(ValueError, match="'cookie'.*add_options"):
        hb.dynamic_options(['check', 'cookie', 'c1'], 'first server line')
    with pytest.raises(ValueError, match="'inter'"):
        hb.dynamic_options(['inter'], 'x')  # a value keyword without its value


def test_config_gets_a_server_line_for_each_added_server():
    lines = CONFIG.splitlines(True)
    assert hb.config_server_options(lines, 'contrail-api') == ['check', 'inter', '2000']
    assert hb.config_server_options(lines, 'nope') is None
    edited = ''.join(hb.edit_config(
        lines, {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                'contrail-api/10.99.0.23': ('10.99.0.23', 8082),
                'neutron-server/n2': ('127.0.0.2', 9697)},
        {'contrail-api/10.99.0.23': 'check inter 2000', 'neutron-server/n2': ''}))
    assert ('    server ctrl2 ipv4@10.99.0.12:8082 check\n'
            '    server 10.99.0.23 10.99.0.23:8082 check inter 2000\n'
            '    #server ctrl3 10.99.0.13:8082 check\n') in edited
    assert edited.endswith('    server ctrl1 127.0.0.1 check\n    server n2 127.0.0.2:9697\n')
    # a line that is already there is not written twice
    again = hb.edit_config(edited.splitlines(True),
                           {'contrail-api/10.99.0.23': ('10.99.0.23', 8082)},
                           {'contrail-api/10.99.0.23': 'check'})
    assert ''.join(again) == edited
