"""Control node: XMPP codec (unit), control nodes + agents + gobgpd on loopback (dev services),
and the running lab (marker ``lab``)."""
import os
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

import simdev_h3 as D
from contrail_sim import xmpp

ROUTE = {'vrf': D.VRF, 'prefix': '10.1.0.3/32', 'nexthop': '10.99.0.101', 'label': 17,
         'vn': D.VN}


def stanzas(text):
    root = ET.fromstring('<s xmlns="jabber:client">%s</s>' % text)
    return [xmpp.classify(child) for child in root]


# -- codec --------------------------------------------------------------------------------------
def test_publish_and_withdraw_round_trip():
    events = stanzas(xmpp.route_publish('compute1', ROUTE, 7))
    assert events[0] == ('publish', ROUTE)
    assert stanzas(xmpp.route_publish('compute1', ROUTE, 8, withdraw=True))[1] == \
        ('withdraw', D.VRF, '10.1.0.3/32')
    text = xmpp.route_publish('compute1', ROUTE, 7)
    assert 'node="1/1/%s/10.1.0.3"' % D.VRF in text and 'id="collection7"' in text


def test_advertise_subscribe_and_end_of_rib():
    text = xmpp.route_advertise('compute2', D.VRF, [ROUTE], ['10.1.0.9/32'])
    assert stanzas(text) == [('advertise', D.VRF, [ROUTE], ['10.1.0.9/32'])]
    assert '<items node="1/1/%s"><item id="10.1.0.3/32">' % D.VRF in text
    assert stanzas(xmpp.vrf_subscribe('c1', D.VRF, 3, 1)) == [('vrf-subscribe', D.VRF, 3)]
    assert stanzas(xmpp.config_subscribe('c1'))[0][0] == 'config-subscribe'
    assert stanzas(xmpp.end_of_rib('c1')) == [('end-of-rib',)]


def test_a_burst_of_config_notifications_is_read_in_one_pass_a_second(tmp_path, monkeypatch):
    """4.0: RabbitMQ notifications within CONFIG_COALESCE of the last re-read share one re-read
    (a client writing five objects a second no longer costs five whole-config reads a second);
    the first one after a quiet period is read at once."""
    import threading
    from contrail_sim import control_node as cn
    conf = tmp_path / 'contrail-control.conf'
    conf.write_text('[DEFAULT]\nhostname=ctl\ngobgp_work_dir=%s\n' % tmp_path)
    monkeypatch.setenv('CONTRAIL_VERSION', '4.0.3.0-62')
    monkeypatch.setenv('CONTRAIL_API_CONF', str(tmp_path / 'absent.conf'))
    node = cn.ControlNode(cn.Settings(str(conf)))
    reads = []
    monkeypatch.setattr(node, 'reload_config', lambda: reads.append(time.monotonic()))
    threading.Thread(target=node.worker, daemon=True).start()
    deadline = time.monotonic() + 0.2
    while not reads and time.monotonic() < deadline:      # the start-up read
        time.sleep(0.01)
    assert len(reads) == 1
    started = time.monotonic()
    while time.monotonic() - started < 2.5:                 # 50 notifications over 2.5 s
        node._on_amqp_message(None, None, None, b'{}')
        time.sleep(0.05)
    time.sleep(cn.CONFIG_COALESCE + 0.3)
    assert 3 <= len(reads) <= 5, reads                      # about one a second, not 50
    gaps = [b - a for a, b in zip(reads, reads[1:])]
    assert min(gaps) >= cn.CONFIG_COALESCE - 0.05, gaps
    time.sleep(cn.CONFIG_COALESCE + 0.2)                    # quiet for more than a second
    reads[:] = []
    sent = time.monotonic()
    node._on_amqp_message(None, None, None, b'{}')         # then read at once
    time.sleep(0.3)
    assert len(reads) == 1 and reads[0] - sent < 0.15, (reads, sent)


def test_version_rule():
    assert xmpp.compatible('3.2.14.0-37', '3.2.0.0-19')
    assert not xmpp.compatible('4.0.3.0-62', '3.2.14.0-37')
    assert not xmpp.compatible('', '3.2.14.0-37')


def test_stream_over_tcp():
    """A real TCP XML stream: open with build, stanzas, close."""
    got = []
    listener = xmpp.serve_tcp('127.0.0.1', 0, lambda sock: got.extend(
        xmpp.XmppStream(sock).events()))
    port = listener.getsockname()[1]
    client = xmpp.XmppStream.connect('127.0.0.1', port)
    client.send(xmpp.stream_open('compute1', xmpp.CONTROL_JID, '4.0.3.0-62'))
    client.send(xmpp.route_publish('compute1', ROUTE, 1))
    client.close(send_close=True)
    D.wait_for(lambda: len(got) >= 3, timeout=5)
    assert got[0] == ('open', {'from': 'compute1', 'to': xmpp.CONTROL_JID, 'version': '1.0',
                               '{http://www.w3.org/XML/1998/namespace}lang': 'en',
                               'contrail-build': '4.0.3.0-62'})
    assert xmpp.classify(got[1][1]) == ('publish', ROUTE)
    listener.close()


# -- two control nodes, real gobgpd, agents, on loopback ----------------------------------------
# Their config DB is the host's dev PostgreSQL when it runs, else lab-infra's: then (as in CI) the
# tests carry the `lab` marker and bring the lab up. gobgpd comes from `make deps`.
needs_db = pytest.mark.lab if not D.pg_available() else pytest.mark.usefixtures()


@pytest.fixture(scope='module')
def db_servers(request):
    if D.pg_available():
        return D.PG_SERVERS
    request.getfixturevalue('lab')
    return D.LAB_PG_SERVERS


def neighbors(port):
    root = D.introspect(port, 'ShowBgpNeighborSummaryReq')
    return {n.findtext('peer'): n for n in root.iter('BgpNeighborResp')}


def remote_routes(port):
    root = D.introspect(port, 'Inet4UcRouteReq?x=2')
    return {r.findtext('src_ip'): {p.findtext('peer') for p in r.iter('PathSandeshData')}
            for r in root.iter('RouteUcSandeshData')}


@pytest.fixture(scope='module')
def dev_lab(tmp_path_factory, db_servers):
    assert shutil.which('gobgpd'), 'gobgpd is not installed on the host (make deps)'
    db, _ = D.seed_cluster('devh3t', [('ctrl1', '127.0.0.11'), ('ctrl2', '127.0.0.12')],
                           ['compute1', 'compute2', 'compute3'], db_servers=db_servers)
    lab = D.Lab(str(tmp_path_factory.mktemp('h3lab')))
    ports = {'ctrl1': lab.control('ctrl1', '127.0.0.11', 1, prefix='devh3t',
                                  db_servers=db_servers)[1],
             'ctrl2': lab.control('ctrl2', '127.0.0.12', 2, prefix='devh3t',
                                  db_servers=db_servers)[1]}
    ports['compute1'] = lab.agent('compute1', '127.0.0.101', 1, ['127.0.0.11'],
                                  vms=['10.1.0.3', '10.1.0.4'])[1]
    ports['compute2'] = lab.agent('compute2', '127.0.0.102', 2, ['127.0.0.12'],
                                  vms=['10.1.0.5'])[1]
    # a 4.0 agent must be refused by a 3.2 control node
    ports['compute3'] = lab.agent('compute3', '127.0.0.103', 3, ['127.0.0.11:5269'],
                                  version='4.0.3.0-62', vms=['10.1.0.6'])[1]
    yield lab, ports
    lab.cleanup()
    db.drop_keyspaces()


@needs_db
def test_bgp_session_established_between_control_nodes(dev_lab):
    _, ports = dev_lab
    started = time.time()
    peer = D.wait_for(lambda: neighbors(ports['ctrl1']).get('ctrl2') if neighbors(
        ports['ctrl1']).get('ctrl2').findtext('state') == 'Established' else None, timeout=40)
    print('BGP Established after %.1fs' % (time.time() - started))
    assert peer.findtext('encoding') == 'BGP'
    assert peer.findtext('router_type') == 'control-node'
    assert peer.findtext('peer_asn') == '64512'


@needs_db
def test_routes_cross_bgp_between_agents(dev_lab):
    _, ports = dev_lab
    started = time.time()
    table = D.wait_for(lambda: (lambda t: t if '10.1.0.5' in t else None)(
        remote_routes(ports['compute1'])), timeout=40)
    print('remote route after %.1fs' % (time.time() - started))
    assert table['10.1.0.5'] == {'127.0.0.11'}
    assert table['10.1.0.3'] == {'LocalVmPort'}
    table2 = D.wait_for(lambda: (lambda t: t if '10.1.0.4' in t else None)(
        remote_routes(ports['compute2'])), timeout=20)
    assert table2['10.1.0.3'] == {'127.0.0.12'}
    assert '10.1.0.6' not in table2                 # the refused 4.0 agent published nothing


@needs_db
def test_agent_of_other_major_version_is_refused(dev_lab):
    _, ports = dev_lab
    xmpp_peers = [n for n in neighbors(ports['ctrl1']).values()
                  if n.findtext('encoding') == 'XMPP']
    assert [n.findtext('peer') for n in xmpp_peers] == ['compute1']
    root = D.introspect(ports['compute3'], 'AgentXmppConnectionStatusReq')
    assert root.findtext('.//AgentXmppData/state') == 'Down'
    assert root.find('.//AgentXmppData/dscp') is not None          # 4.0 field set
    ok = D.introspect(ports['compute1'], 'AgentXmppConnectionStatusReq')
    assert ok.findtext('.//AgentXmppData/state') == 'Established'
    assert ok.find('.//AgentXmppData/dscp') is None                # not in 3.2


# -- the running lab ----------------------------------------------------------------------------
def lab_ip(name):
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(D.HERE, '..', 'containers.conf'))
    out = subprocess.run(['podman', 'inspect', '--format',
                          '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name],
                         capture_output=True, text=True, env=env, timeout=30)
    return out.stdout.strip() if out.returncode == 0 else None


@pytest.mark.lab
def test_lab_v1_bgp_mesh_and_agents_established():
    """Every v1 control node has every other one as an Established BGP peer (an ISSU test may
    have added v2 peers meanwhile: the lab is shared)."""
    ctrls = {ip: 'lab-v1-ctrl%d' % i for i, ip in
             ((i, lab_ip('lab-v1-ctrl%d' % i)) for i in (1, 2, 3)) if ip}
    assert ctrls, 'no v1 controller container'
    for ip in ctrls:
        wanted = {name: 'Established' for other, name in ctrls.items() if other != ip}
        D.wait_for(lambda: bgp_states_at(ip, wanted) == wanted, timeout=60)


def bgp_states_at(ip, names):
    """{peer name: BGP state} of the given peers in a control node's neighbor summary."""
    root = D.introspect(8083, 'ShowBgpNeighborSummaryReq', host=ip)
    return {n.findtext('peer'): n.findtext('state') for n in root.iter('BgpNeighborResp')
            if n.findtext('encoding') == 'BGP' and n.findtext('peer') in names}


@pytest.mark.lab
def test_lab_every_agent_has_every_vm():
    import sys
    sys.path.insert(0, os.path.join(D.HERE, '..', 'tools'))
    import probe
    agents = probe.lab_agents()
    assert agents, 'no compute container'
    for name, (ip, port) in agents.items():
        root = D.introspect(port, 'AgentXmppConnectionStatusReq', host=ip)
        assert 'Established' in [s.text for s in root.iter('state')], name
    summary = probe.Probe(agents).run(duration=5, interval=0.5)
    assert summary['vms'] >= len(agents)
    assert summary['outage_count'] == 0, summary['outages'][:5]
