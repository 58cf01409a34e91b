"""A VM's live migration between computes, without the lab: the agent's reload of its VM file
(what it tells its control nodes), the migration's order (vmplace.migrate) and the probe
following a VM that moves."""
import json
import os
import threading
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

import simdev_h3 as D
from contrail_sim import agent as A, sandesh as S, xmpp

import probe
import vmplace

A.declare_types(is_40=False)


def vm(n, vrf=D.VRF):
    return {'name': 'vm%d' % n, 'ip': '10.1.1.%d' % n, 'vn': D.VN, 'vrf': vrf}


def write(path, vms):
    tmp = str(path) + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(vms, handle)
    os.rename(tmp, str(path))


class FakeChannel(object):
    """A control channel that records the events its stanzas carry (as the control node
    classifies them)."""

    def __init__(self, established=True):
        self.established, self.kind, self.endpoint = established, 'control', ('127.0.0.11', 5269)
        self.config_subscribed = self.config_received = False
        self.remote = {}
        self.events = []

    def send(self, text, count=1):
        root = ET.fromstring('<all>%s</all>' % text)
        self.events += [e for e in map(xmpp.classify, root) if e != ('ignore',)]


def agent_with(tmp_path, vms):
    path = tmp_path / 'lab-vms.json'
    write(path, vms)
    agent = A.Agent(SimpleNamespace(hostname='cmp', vhost_ip='10.99.0.101', version='3.2.14.0-37',
                                    physical_interface='eth0', is_40=False))
    agent.reload_vms(str(path))
    return agent, path


def test_reload_publishes_new_vms_withdraws_removed_ones_and_keeps_labels(tmp_path):
    agent, path = agent_with(tmp_path, [vm(1), vm(2)])
    assert [(r['name'], r['label']) for r in agent.local.routes] == [('vm1', 16), ('vm2', 17)]
    up, down = FakeChannel(), FakeChannel(established=False)
    agent.channels = [up, down]
    write(path, [vm(2), vm(3)])
    agent.reload_vms(str(path))
    publish = [e for e in up.events if e[0] == 'publish']
    withdraw = [e for e in up.events if e[0] == 'withdraw']
    assert [(e[1]['prefix'], e[1]['nexthop'], e[1]['label']) for e in publish] == \
        [('10.1.1.3/32', '10.99.0.101', 16)]                   # vm1's label, free again
    assert withdraw == [('withdraw', D.VRF, '10.1.1.1/32')]
    assert [e for e in up.events if e[0].startswith('vrf-')] == []   # the VRF stays
    assert down.events == []                                   # told when it comes up
    # vm2 keeps its label; the route table and the interfaces show the new set
    assert {r['name']: r['label'] for r in agent.local.routes} == {'vm2': 17, 'vm3': 16}
    table = dict(agent.route_table(D.VRF))
    assert set(table) == {'10.1.1.2/32', '10.1.1.3/32'}
    assert {p['peer'] for paths in table.values() for p in paths} == {'LocalVmPort'}
    assert sorted(i['index'] for i in agent.local.interfaces() if i['kind'] == 'vport') == [3, 4]
    # a channel that comes up later gets the whole new state
    agent.on_channel_up(down)
    assert sorted(e[1]['prefix'] for e in down.events if e[0] == 'publish') == \
        ['10.1.1.2/32', '10.1.1.3/32']


def test_the_last_vm_of_a_vrf_unsubscribes_it_and_a_new_one_subscribes_it_again(tmp_path):
    agent, path = agent_with(tmp_path, [vm(1)])
    channel = FakeChannel()
    channel.remote[D.VRF] = {'10.1.2.1/32': {'prefix': '10.1.2.1/32'}}
    agent.channels = [channel]
    write(path, [])
    agent.reload_vms(str(path))
    assert channel.events == [('withdraw', D.VRF, '10.1.1.1/32'), ('vrf-unsubscribe', D.VRF)]
    assert D.VRF not in channel.remote                         # its learnt routes go with it
    assert agent._vrf_rows('lab-vn') == []                     # the probe then finds no VRF
    assert agent.handle_routes(2, '', '', '')[0] == 'ErrorResp'
    channel.events = []
    write(path, [vm(4)])
    agent.reload_vms(str(path))
    assert channel.events[0] == ('vrf-subscribe', D.VRF, 2)    # before its route, same index
    assert channel.events[1][0] == 'publish' and channel.events[1][1]['prefix'] == '10.1.1.4/32'


def test_a_file_that_does_not_parse_changes_nothing(tmp_path):
    agent, path = agent_with(tmp_path, [vm(1)])
    channel = FakeChannel()
    agent.channels = [channel]
    path.write_text('[{"name": "vm1", "ip": "10.1.')             # half written
    assert agent.reload_vms(str(path)) is None
    path.write_text('{"name": "vm1"}')
    assert agent.reload_vms(str(path)) is None
    assert channel.events == [] and [r['name'] for r in agent.local.routes] == ['vm1']


def test_the_agent_notices_a_changed_file_within_its_poll(tmp_path):
    agent, path = agent_with(tmp_path, [vm(1)])
    channel = FakeChannel()
    agent.channels = [channel]
    stop = threading.Event()
    watcher = threading.Thread(target=agent.watch_vms, args=(str(path), 0.05, stop), daemon=True)
    watcher.start()
    try:
        time.sleep(0.2)
        assert channel.events == []                            # unchanged: nothing re-sent
        write(path, [vm(1), vm(2)])
        D.wait_for(lambda: any(e[0] == 'publish' for e in channel.events), timeout=2)
        assert [e[1]['prefix'] for e in channel.events] == ['10.1.1.2/32']
    finally:
        stop.set()
        watcher.join(2)


# -- the migration's order ------------------------------------------------------------------------

class FakeLab(vmplace.Lab):
    """Files and agents in memory; an agent holds its file's VMs ``lag`` polls after a write,
    a control node has the target's path ``lag`` polls after the target holds it."""

    def __init__(self, files, lag=2, never_published=False):
        self.files = {c: list(v) for c, v in files.items()}
        self.agent = {c: {x['ip'] for x in v} for c, v in files.items()}
        self.pending = {}
        self.lag, self.never_published = lag, never_published
        self.log = []
        self.published_polls = 0

    def computes(self):
        return {c: '10.99.0.%d' % (100 + i) for i, c in enumerate(sorted(self.files), 1)}

    def read(self, compute):
        return list(self.files[compute])

    def write(self, compute, vms):
        self.log.append(('write', compute, sorted(v['name'] for v in vms)))
        self.files[compute] = list(vms)
        self.pending[compute] = self.lag

    def held(self, compute):
        if self.pending.get(compute, 0) > 0:
            self.pending[compute] -= 1
        else:
            self.agent[compute] = {v['ip'] for v in self.files[compute]}
        self.log.append(('held', compute, sorted(self.agent[compute])))
        return set(self.agent[compute])

    def lacking(self, vm_, nexthop):
        holder = [c for c, a in self.computes().items() if a == nexthop][0]
        self.published_polls += 1
        ready = vm_['ip'] in self.agent[holder] and self.published_polls > self.lag
        self.log.append(('lacking', nexthop, ready))
        return [] if ready and not self.never_published else ['lab-v1-ctrl1']


def test_migrate_plugs_on_the_target_waits_for_its_route_then_unplugs_the_source():
    lab = FakeLab({'c1': [vm(1), vm(2)], 'c2': [], 'c3': [vm(3)]})
    result = vmplace.migrate(lab, 'vm1', 'c2', timeout=5, interval=0.01)
    assert result['source'] == 'c1' and result['target'] == 'c2' and result['changed']
    writes = [(i, e) for i, e in enumerate(lab.log) if e[0] == 'write']
    assert [e for _, e in writes] == [('write', 'c2', ['vm1']), ('write', 'c1', ['vm2'])]
    unplug = writes[1][0]
    before = lab.log[:unplug]
    # the source is unplugged only once the target held it and every control node had it
    assert ('held', 'c2', ['10.1.1.1']) in before
    assert before[-1] == ('lacking', '10.99.0.102', True)
    assert lab.files == {'c1': [vm(2)], 'c2': [vm(1)], 'c3': [vm(3)]}
    assert '10.1.1.1' not in lab.agent['c1']                   # waited for the source to let go
    # again: nothing to do
    assert vmplace.migrate(lab, '10.1.1.1', 'c2', timeout=1, interval=0.01)['changed'] is False


def test_a_route_never_published_leaves_the_vm_on_both_and_a_rerun_completes_it():
    lab = FakeLab({'c1': [vm(1)], 'c2': []}, never_published=True)
    with pytest.raises(vmplace.MigrationError) as err:
        vmplace.migrate(lab, 'vm1', 'c2', timeout=0.3, interval=0.01)
    assert 'still without it: lab-v1-ctrl1' in str(err.value)
    assert 'runs on both c1 and c2' in str(err.value)
    assert lab.files == {'c1': [vm(1)], 'c2': [vm(1)]}         # the source was not unplugged
    lab.never_published = False
    result = vmplace.migrate(lab, 'vm1', 'c2', timeout=5, interval=0.01)
    assert result['source'] == 'c1' and lab.files == {'c1': [], 'c2': [vm(1)]}
    assert [e for e in lab.log if e[0] == 'write'][-1] == ('write', 'c1', [])
    assert [v for v in lab.files['c2'] if v['name'] == 'vm1'] == [vm(1)]   # plugged once


def test_migrate_refuses_an_unknown_vm_or_compute():
    lab = FakeLab({'c1': [vm(1)], 'c2': []})
    with pytest.raises(vmplace.MigrationError, match='no compute hosts a VM named vm9'):
        vmplace.migrate(lab, 'vm9', 'c2')
    with pytest.raises(vmplace.MigrationError, match='no compute c7 in the lab'):
        vmplace.migrate(lab, 'vm1', 'c7')
    assert lab.log == []


# -- the probe follows a VM that moves --------------------------------------------------------------

class IntrospectAgent(object):
    """An agent's introspect (the sim's handlers) over a real HTTP server, its VMs reloadable."""

    def __init__(self, tmp_path, name, address, vms):
        self.path = tmp_path / ('%s-vms.json' % name)
        write(self.path, vms)
        self.agent = A.Agent(SimpleNamespace(hostname=name, vhost_ip=address,
                                             version='3.2.14.0-37', physical_interface='eth0',
                                             is_40=False))
        self.agent.reload_vms(str(self.path))
        self.server = S.serve_introspect(0, self.agent.handlers(), host='127.0.0.1')
        self.port = self.server.server_address[1]

    def learn(self, routes):
        """Routes from a control node: {ip: nexthop}."""
        channel = SimpleNamespace(endpoint=('10.99.0.11', 5269), established=False, remote={D.VRF: {
            ip + '/32': {'prefix': ip + '/32', 'nexthop': hop, 'label': 16, 'vn': D.VN}
            for ip, hop in routes.items()}})
        with self.agent.lock:
            self.agent.channels = [channel]

    def set_vms(self, vms):
        write(self.path, vms)
        self.agent.reload_vms(str(self.path))


def test_the_probe_follows_a_vm_that_moves_and_a_compute_without_vms_needs_no_route(tmp_path):
    one = IntrospectAgent(tmp_path, 'c1', '10.99.0.101', [vm(1)])
    two = IntrospectAgent(tmp_path, 'c2', '10.99.0.102', [vm(2)])
    one.learn({'10.1.1.2': '10.99.0.102'})
    two.learn({'10.1.1.1': '10.99.0.101'})
    p = probe.Probe({'c1': ('127.0.0.1', one.port), 'c2': ('127.0.0.1', two.port)})

    def move():
        time.sleep(0.5)
        two.set_vms([vm(2), vm(1)])                           # plugged on c2: on both
        time.sleep(0.4)
        one.learn({'10.1.1.2': '10.99.0.102', '10.1.1.1': '10.99.0.102'})
        one.set_vms([])                                       # unplugged: c1 has no VRF left
        time.sleep(0.4)
        two.learn({})                                         # c1's routes are gone
        time.sleep(0.2)
        one.server.shutdown()                                 # c1's agent restarts, no VMs
    mover = threading.Thread(target=move, daemon=True)
    mover.start()
    summary = p.run(duration=2, interval=0.05)
    mover.join()
    assert summary['vms'] == 2 and summary['samples'] > 10
    assert p.owner == {'10.1.1.1': 'c2', '10.1.1.2': 'c2'}
    assert summary['outages'] == [], summary['outages']
    assert p.vrfless == {'c1'}
    two.server.shutdown()


def test_a_compute_that_gets_the_vrf_again_counts_its_routes_once_learnt(tmp_path):
    one = IntrospectAgent(tmp_path, 'c1', '10.99.0.101', [])
    two = IntrospectAgent(tmp_path, 'c2', '10.99.0.102', [vm(2)])
    p = probe.Probe({'c1': ('127.0.0.1', one.port), 'c2': ('127.0.0.1', two.port)})

    def plug():
        time.sleep(0.4)
        two.learn({'10.1.1.1': '10.99.0.101'})                # (c2 learns the new VM at once)
        one.set_vms([vm(1)])                                  # the VRF, not yet its routes
        time.sleep(0.3)
        one.learn({'10.1.1.2': '10.99.0.102'})
        time.sleep(0.3)
        one.learn({})                                         # then lost: that is an outage
    threading.Thread(target=plug, daemon=True).start()
    summary = p.run(duration=1.5, interval=0.05)
    assert [(o['compute'], o['vm']) for o in summary['outages']] == [('c1', '10.1.1.2')]
    assert summary['outages'][0]['start'] > summary['started'] + 0.9
    for agent in (one, two):
        agent.server.shutdown()


def test_the_probe_still_sees_the_gap_of_a_vm_whose_route_goes(tmp_path):
    one = IntrospectAgent(tmp_path, 'c1', '10.99.0.101', [vm(1)])
    two = IntrospectAgent(tmp_path, 'c2', '10.99.0.102', [vm(2)])
    one.learn({'10.1.1.2': '10.99.0.102'})
    two.learn({'10.1.1.1': '10.99.0.101'})
    threading.Timer(0.6, lambda: two.learn({})).start()
    threading.Timer(1.0, lambda: two.learn({'10.1.1.1': '10.99.0.101'})).start()
    summary = probe.Probe({'c1': ('127.0.0.1', one.port),
                           'c2': ('127.0.0.1', two.port)}).run(duration=1.6, interval=0.05)
    [outage] = summary['outages']
    assert (outage['compute'], outage['vm'], outage['reason']) == ('c2', '10.1.1.1', 'no-route')
    assert 0.25 <= outage['seconds'] <= 0.7
    for agent in (one, two):
        agent.server.shutdown()
