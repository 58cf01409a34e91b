# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""haproxy_config: the model, plan and configuration edits of haproxy_backend (no HAProxy needed)."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import haproxy_config as hc
from ansible_collections.opencontrail.issu.plugins.modules import haproxy_backend
from ansible_collections.opencontrail.issu.tests.unit.plugins.haproxy_fixtures import servers_state


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
    assert hc.split_address(text) == parsed


def test_mapping_by_address_or_name_keeps_ports():
    wanted = hc.resolve_addresses({'10.99.0.11': '10.99.0.21', 'ctrl2': '10.99.0.22:9100'}, API)
    assert wanted == {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                      'contrail-api/ctrl2': ('10.99.0.22', 9100)}


def test_mapping_is_idempotent_once_switched():
    switched = [dict(s, address=a) for s, a in zip(API, ('10.99.0.21', '10.99.0.22'))]
    assert hc.resolve_addresses({'10.99.0.11': '10.99.0.21', '10.99.0.12': '10.99.0.22'},
                                switched) == {}


def test_mapping_key_matching_nothing_is_not_found():
    with pytest.raises(hc.NotFound, match='10.99.0.99'):
        hc.resolve_addresses({'10.99.0.99': '10.99.0.29'}, API)


def test_list_is_applied_per_backend_in_order():
    wanted = hc.resolve_addresses(['10.99.0.21', '10.99.0.22:9100'], API)
    assert wanted == {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                      'contrail-api/ctrl2': ('10.99.0.22', 9100)}
    with pytest.raises(ValueError, match='backend neutron-server has 1'):
        hc.resolve_addresses(['10.99.0.21', '10.99.0.22'], API + NEUTRON)
    with pytest.raises(ValueError, match='mapping or a list'):
        hc.resolve_addresses('10.99.0.21', API)


def test_select_servers_across_backends_and_not_found():
    facts = {'contrail-api': API, 'neutron-server': NEUTRON, 'nope': None}
    selected, missing = hc.select_servers(facts, ['ctrl1', 'neutron1', 'ctrl9'], False)
    assert [s['server'] for s in selected] == ['ctrl1', 'neutron1']
    assert missing == ['nope', 'contrail-api|neutron-server/ctrl9']
    with pytest.raises(hc.NotFound, match='nope'):
        hc.select_servers(facts, [], True)
    assert hc.select_servers({'contrail-api': API}, [], True) == (API, [])


def test_plan_orders_take_away_then_switch_then_give_back():
    before = hc.runtime_view(API + NEUTRON)
    after = hc.desired_view(API + NEUTRON, 'ready', {'contrail-api/ctrl1': ('10.99.0.21', 8082)})
    assert hc.plan_commands(before, after) == [
        'set server contrail-api/ctrl1 addr 10.99.0.21 port 8082']

    maint = [dict(s, state='maint') for s in API]
    before = hc.runtime_view(maint + NEUTRON)
    after = dict(hc.desired_view(maint, 'ready', {'contrail-api/ctrl2': ('10.99.0.22', 8082)}),
                 **hc.desired_view(NEUTRON, 'maint', {}))
    assert hc.plan_commands(before, after) == [
        'set server neutron-server/neutron1 state maint',
        'set server contrail-api/ctrl2 addr 10.99.0.22 port 8082',
        'set server contrail-api/ctrl1 state ready',
        'set server contrail-api/ctrl2 state ready']


def test_no_state_and_no_addresses_plans_nothing():
    view = hc.runtime_view(API)
    assert hc.plan_commands(view, hc.desired_view(API, None, {})) == []


def test_live_values_are_not_part_of_the_compared_views():
    busy = [dict(s, sessions=40, status='DOWN') for s in API]
    assert hc.runtime_view(busy) == hc.runtime_view(API)


STATE_FILE = servers_state([('contrail-api', 1, 'ctrl1', '10.99.0.11', 1, 8082)])


def test_state_file_view():
    view = hc.state_file_view(STATE_FILE, ['contrail-api/ctrl1', 'contrail-api/ctrl2'])
    assert view == {'contrail-api/ctrl1': dict(state='maint', address='10.99.0.11', port=8082),
                    'contrail-api/ctrl2': None}
    assert hc.state_file_view('', ['contrail-api/ctrl1']) == {'contrail-api/ctrl1': None}
    assert hc.state_file_view('garbage', ['x/y']) == {'x/y': None}


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
    assert hc.config_addresses(lines, keys) == {
        'contrail-api/ctrl1': dict(address='10.99.0.11', port=8082),
        'contrail-api/ctrl2': dict(address='10.99.0.12', port=8082),
        'neutron-server/ctrl1': dict(address='127.0.0.1', port=None),
        'contrail-api/ctrl3': None}
    edited = ''.join(hc.edit_config(lines, {'contrail-api/ctrl1': ('10.99.0.21', 8082),
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
    assert hc.settled(fact) is settled


# -- add_addresses: a backend ends on every v2 API server, whatever the counts ---------------

V2 = ['10.99.0.21:8082', '10.99.0.22:8082', '10.99.0.23:8082']


def switch_plan(v1_facts, mapping, add, state=None, options=None):
    """(after view, added, present, commands) of a switch as the northbound role asks it."""
    wanted = hc.resolve_addresses(mapping, v1_facts)
    after = hc.desired_view(v1_facts, state, wanted)
    added, present = hc.plan_additions(add, {'contrail-api': v1_facts}, after, state, options)
    for new in added:
        after[hc.key_of(new)] = dict(state=new['state'], address=new['address'], port=new['port'])
    return after, added, present, hc.plan_commands(hc.runtime_view(v1_facts), after, added)


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
        hc.plan_additions(['10.99.0.21'], {'contrail-api': []}, {})


def test_dynamic_options_accepts_what_add_server_accepts():
    words = 'check inter 2000 fastinter 500 downinter 500 rise 2 fall 3 weight 10 no-tlsv10'.split()
    assert hc.dynamic_options(words, 'x') == ' '.join(words)
    assert hc.dynamic_options([], 'x') == ''
    with pytest.raises(ValueError, match="'cookie'.*add_options"):
        hc.dynamic_options(['check', 'cookie', 'c1'], 'first server line')
    with pytest.raises(ValueError, match="'inter'"):
        hc.dynamic_options(['inter'], 'x')  # a value keyword without its value


def test_config_gets_a_server_line_for_each_added_server():
    lines = CONFIG.splitlines(True)
    assert hc.config_server_options(lines, 'contrail-api') == ['check', 'inter', '2000']
    assert hc.config_server_options(lines, 'nope') is None
    edited = ''.join(hc.edit_config(
        lines, {'contrail-api/ctrl1': ('10.99.0.21', 8082),
                'contrail-api/10.99.0.23': ('10.99.0.23', 8082),
                'neutron-server/n2': ('127.0.0.2', 9697)},
        {'contrail-api/10.99.0.23': 'check inter 2000', 'neutron-server/n2': ''}))
    assert ('    server ctrl2 ipv4@10.99.0.12:8082 check\n'
            '    server 10.99.0.23 10.99.0.23:8082 check inter 2000\n'
            '    #server ctrl3 10.99.0.13:8082 check\n') in edited
    assert edited.endswith('    server ctrl1 127.0.0.1 check\n    server n2 127.0.0.2:9697\n')
    # a line that is already there is not written twice
    again = hc.edit_config(edited.splitlines(True),
                           {'contrail-api/10.99.0.23': ('10.99.0.23', 8082)},
                           {'contrail-api/10.99.0.23': 'check'})
    assert ''.join(again) == edited


# -- plan(): the whole task, from what was read to what changes -----------------------------

def params(**given):
    """The options as Ansible passes them to the module (defaults, then ``given``)."""
    spec = haproxy_backend.argument_spec()
    options = dict((name, value.get('default')) for name, value in spec.items())
    options.update(backends=['contrail-api'])
    options.update(given)
    return options


def test_plan_of_a_state_change_without_files():
    plan = hc.plan(params(state='maint'), {'contrail-api': API})
    assert plan.commands == ['set server contrail-api/ctrl1 state maint',
                             'set server contrail-api/ctrl2 state maint']
    assert plan.changed and plan.config is None and not plan.write_state_file
    assert plan.persisted == dict(server_state_file=False, config_file=False)
    assert sorted(plan.before) == sorted(plan.after) == ['servers']
    assert plan.after['servers']['contrail-api/ctrl1'] == dict(state='maint',
                                                               address='10.99.0.11', port=8082)
    assert plan.result() == dict(changed=True, commands=plan.commands, not_found=[],
                                 before=plan.before, after=plan.after, persisted=plan.persisted)
    again = hc.plan(params(state='maint'), {'contrail-api': [dict(s, state='maint') for s in API]})
    assert not again.changed and again.commands == []


def state_file(*rows):
    """A server-state-file holding (backend, server, address, admin bits, port) rows."""
    return servers_state((backend, n + 1, server, address, bits, port)
                         for n, (backend, server, address, bits, port) in enumerate(rows))


def test_plan_writes_the_state_file_when_it_lags_or_the_runtime_changes():
    # the file holds what HAProxy holds and what is wanted: nothing to do
    held = state_file(('contrail-api', 'ctrl1', '10.99.0.11', 1, 8082),
                      ('contrail-api', 'ctrl2', '10.99.0.12', 1, 8082))
    maint = [dict(s, state='maint') for s in API]
    plan = hc.plan(params(state='maint', server_state_file='/x'), {'contrail-api': maint}, None,
                   held)
    assert not plan.changed and not plan.write_state_file and plan.commands == []
    assert plan.before['server_state_file'] == plan.after['server_state_file']
    # HAProxy is at target but a reload would lose it (the file is missing): write it
    plan = hc.plan(params(state='maint', server_state_file='/x'), {'contrail-api': maint}, None, '')
    assert plan.changed and plan.write_state_file and plan.commands == []
    assert plan.persisted == dict(server_state_file=True, config_file=False)
    assert plan.before['server_state_file'] == {'contrail-api/ctrl1': None,
                                                'contrail-api/ctrl2': None}
    # the file already says maint but the runtime is ready (restored by hand): the commands
    # change HAProxy and the file is written again from it, though its view does not change
    plan = hc.plan(params(state='maint', server_state_file='/x'), {'contrail-api': API}, None,
                   held)
    assert plan.commands and plan.write_state_file
    assert plan.persisted['server_state_file'] is False


def test_plan_switches_the_config_file_and_keeps_an_unset_port():
    lines = CONFIG.splitlines(True)
    facts = {'contrail-api': API,
             'neutron-server': [srv('neutron-server', 'ctrl1', '127.0.0.1', 9696)]}
    plan = hc.plan(params(backends=['contrail-api', 'neutron-server'], config_file='/cfg',
                          addresses={'10.99.0.11': '10.99.0.21', '127.0.0.1': '127.0.0.2'}),
                   facts, lines)
    assert plan.commands == ['set server contrail-api/ctrl1 addr 10.99.0.21 port 8082',
                             'set server neutron-server/ctrl1 addr 127.0.0.2 port 9696']
    assert plan.before['config_file'] == {
        'contrail-api/ctrl1': dict(address='10.99.0.11', port=8082),
        'neutron-server/ctrl1': dict(address='127.0.0.1', port=None)}
    assert plan.after['config_file'] == {
        'contrail-api/ctrl1': dict(address='10.99.0.21', port=8082),
        'neutron-server/ctrl1': dict(address='127.0.0.2', port=None)}   # no port written
    assert plan.persisted == dict(server_state_file=False, config_file=True)
    edited = ''.join(plan.config)
    assert '    server ctrl1 10.99.0.21:8082 check inter 2000\n' in edited
    assert '    server ctrl1 127.0.0.2 check\n' in edited
    # once done, the same task plans nothing
    done = hc.plan(params(backends=['contrail-api', 'neutron-server'], config_file='/cfg',
                          addresses={'10.99.0.11': '10.99.0.21', '127.0.0.1': '127.0.0.2'}),
                   {'contrail-api': [dict(API[0], address='10.99.0.21'), API[1]],
                    'neutron-server': [srv('neutron-server', 'ctrl1', '127.0.0.2', 9696)]},
                   plan.config)
    assert not done.changed and done.commands == [] and not done.persisted['config_file']


def test_plan_refuses_a_switched_server_without_a_config_line():
    facts = {'contrail-api': API + [srv('contrail-api', 'ctrl3', '10.99.0.13')]}
    with pytest.raises(hc.NotFound, match='no server line in /etc/haproxy/haproxy.cfg for '
                                          'contrail-api/ctrl3'):
        hc.plan(params(config_file='/etc/haproxy/haproxy.cfg',
                       addresses={'10.99.0.13': '10.99.0.23'}), facts, CONFIG.splitlines(True))


def test_plan_adds_servers_with_the_first_lines_options_and_completes_a_lost_line():
    lines = CONFIG.splitlines(True)
    plan = hc.plan(params(config_file='/cfg', addresses={'ctrl2': '10.99.0.22'},
                          add_addresses=['10.99.0.22', '10.99.0.23']),
                   {'contrail-api': API}, lines)
    assert plan.commands == [
        'set server contrail-api/ctrl2 addr 10.99.0.22 port 8082',
        'add server contrail-api/10.99.0.23 10.99.0.23:8082 check inter 2000',
        'enable health contrail-api/10.99.0.23',
        'set server contrail-api/10.99.0.23 state ready']
    assert plan.after['servers']['contrail-api/10.99.0.23'] == dict(
        state='ready', address='10.99.0.23', port=8082)
    assert 'contrail-api/10.99.0.23' not in plan.before['servers']
    assert plan.before['config_file']['contrail-api/10.99.0.23'] is None
    assert '    server 10.99.0.23 10.99.0.23:8082 check inter 2000\n' in ''.join(plan.config)
    # an earlier run added the server in HAProxy but did not write its line: the line is added
    added = srv('contrail-api', '10.99.0.23', '10.99.0.23')
    again = hc.plan(params(config_file='/cfg', add_addresses=['10.99.0.23']),
                    {'contrail-api': API + [added]}, lines)
    assert again.commands == [] and again.persisted['config_file']
    assert '    server 10.99.0.23 10.99.0.23:8082 check inter 2000\n' in ''.join(again.config)
    # add_options wins over the configuration's
    given = hc.plan(params(add_addresses=['10.99.0.23'], add_options=' check '),
                    {'contrail-api': API})
    assert given.commands[0] == 'add server contrail-api/10.99.0.23 10.99.0.23:8082 check'


def test_plan_refuses_copied_options_add_server_does_not_take():
    lines = CONFIG.replace('check inter 2000', 'check cookie c1').splitlines(True)
    with pytest.raises(ValueError, match="first server line of contrail-api in /cfg: server "
                                         "option 'cookie'.*add_options"):
        hc.plan(params(config_file='/cfg', add_addresses=['10.99.0.23']),
                {'contrail-api': API}, lines)


def test_plan_reports_what_is_missing_or_fails_first():
    facts = {'contrail-api': API, 'nope': None}
    plan = hc.plan(params(backends=['contrail-api', 'nope'], servers=['ctrl1', 'ctrl9'],
                          state='drain', fail_on_not_found=False), facts)
    assert plan.not_found == ['nope', 'contrail-api/ctrl9']
    assert plan.commands == ['set server contrail-api/ctrl1 state drain']
    with pytest.raises(hc.NotFound, match='not found in HAProxy: nope'):
        hc.plan(params(backends=['contrail-api', 'nope'], state='drain'), facts)


@pytest.mark.parametrize('given, manages', [
    (dict(), False), (dict(config_file='/cfg'), False),
    (dict(config_file='/cfg', addresses={}), True), (dict(config_file='/cfg', add_addresses=['a']), True),
    (dict(addresses={'a': 'b'}), False)])
def test_the_config_file_is_read_only_when_addresses_change(given, manages):
    assert hc.manages_config(params(**given)) is manages


def test_read_state_file(tmp_path):
    assert hc.read_state_file(None) is None
    assert hc.read_state_file(str(tmp_path / 'none')) == ''
    (tmp_path / 'state').write_text(STATE_FILE)
    assert hc.read_state_file(str(tmp_path / 'state')) == STATE_FILE


class Recorder:
    """The runtime client's setters, recorded."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_apply_command_sends_each_planned_command_through_its_checked_setter():
    runtime = Recorder()
    for command in ['set server api/s1 state drain', 'set server api/s1 addr 10.0.0.2 port 8082',
                    'add server api/10.0.0.3 10.0.0.3:8082 check inter 2000',
                    'add server api/10.0.0.4 10.0.0.4:8082',
                    'enable health api/10.0.0.3', 'enable agent api/10.0.0.3']:
        hc.apply_command(runtime, command)
    assert runtime.calls == [
        ('set_server_state', ('api', 's1', 'drain'), {}),
        ('set_server_addr', ('api', 's1', '10.0.0.2', '8082'), {}),
        ('add_server', ('api', '10.0.0.3', '10.0.0.3:8082'), dict(options='check inter 2000')),
        ('add_server', ('api', '10.0.0.4', '10.0.0.4:8082'), dict(options='')),
        ('enable', ('health', 'api', '10.0.0.3'), {}),
        ('enable', ('agent', 'api', '10.0.0.3'), {})]
