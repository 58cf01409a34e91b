"""Introspect answers shaped as Contrail's own sandesh definitions (issue 9).

Each answer is produced in-process by the daemon's own handler (no containers, no sockets except
the one HTTP test), then read twice: the way an operator's tool does (contrail-introspect-cli's
XPaths on struct names: ``//ShowRouteTable``, ``.//ShowRoute``, ``.//ShowRoutePath``,
``//ItfSandeshData``, ``//ProcessStatus``) and with the collection's own ``parse_response``.

Field names, nesting and order come from contrail-controller R3.2 / R4.0:
src/bgp/bgp_peer.sandesh, src/db/db.sandesh, src/bgp/bgp_peer_internal.sandesh,
src/xmpp/sandesh/xmpp_server.sandesh, src/vnsw/agent/controller/controller.sandesh,
src/vnsw/agent/oper/agent.sandesh; and contrail-sandesh R3.2 library/common/sandesh_uve.sandesh.
"""
import importlib.util
import os
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _path in (os.environ.get('ISSU_COLLECTIONS_PATH'), os.environ.get('ANSIBLE_COLLECTIONS_PATH'),
              os.path.join(ROOT, '.build', 'collections')):
    if _path and _path not in sys.path:
        sys.path.append(_path)
try:
    from ansible_collections.opencontrail.issu.plugins.module_utils import introspect
except ImportError:         # `make collection` not run: the same file, loaded by path
    _spec = importlib.util.spec_from_file_location(
        'issu_introspect', os.path.join(ROOT, 'plugins', 'module_utils', 'introspect.py'))
    introspect = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(introspect)
collect, parse_response = introspect.collect, introspect.parse_response

from contrail_sim import agent as A  # noqa: E402
from contrail_sim import control_node as C  # noqa: E402
from contrail_sim import sandesh as S  # noqa: E402

VN = 'default-domain:admin:lab-vn'
VRF = VN + ':lab-vn'
RT = 'target:64512:8000001'


@pytest.fixture(autouse=True)
def release_32_types():
    """Types live in one registry: leave the 3.2 declarations other test modules expect."""
    yield
    C.declare_types(False)
    A.declare_types(False)


def xml_of(result):
    body = S.render(result)
    assert body.startswith(S.XSL_PREFIX) and '\n' not in body
    return body, ET.fromstring(body[len(S.XSL_PREFIX):])


def child_tags(elem):
    return [child.tag for child in elem]


def declared(name, values=None):
    """Field names of a struct in render order (optional ones only when set in ``values``)."""
    return [f.name for f in S.definition(name).fields
            if not f.optional or (values is not None and values.get(f.name) is not None)]


# -- control node (8083) ------------------------------------------------------------------------
def control_node(tmp_path, is_40=False):
    C.declare_types(is_40)
    settings = SimpleNamespace(
        hostname='ctrl1', hostip='10.99.0.11', version='4.0.3.0-62' if is_40 else '3.2.14.0-37',
        is_40=is_40, work_dir=str(tmp_path), gobgp_api_port=1, bgp_port=179, xmpp_port=5269)
    node = C.ControlNode(settings)
    routers = {
        'u1': {'uuid': 'u1', 'name': 'ctrl1', 'address': '10.99.0.11', 'identifier': '10.99.0.11',
               'asn': 64512, 'router_type': 'control-node', 'families': ['inet-vpn'], 'refs': []},
        'u2': {'uuid': 'u2', 'name': 'ctrl2', 'address': '10.99.0.12', 'identifier': '10.99.0.12',
               'asn': 64512, 'router_type': 'control-node', 'families': ['inet-vpn'], 'refs': []}}
    node.config = C.ClusterConfig(routers, {VRF: {RT}}, {'compute1'})
    session = C.AgentSession('compute1', '10.99.0.101', 40000, None, '3.2.14.0-37')
    session.vrfs = {VRF: 1}
    for ip, label in (('10.1.1.1', 16), ('10.1.1.2', 17)):
        key = (VRF, ip + '/32')
        session.routes[key] = {'vrf': VRF, 'prefix': ip + '/32', 'nexthop': '10.99.0.101',
                               'label': label, 'vn': VN}
        session.route_times[key] = time.time() - 5
    node.sessions = {'compute1': session}
    # a VPN route of compute2 (on ctrl2) learnt over BGP from ctrl2
    node.bgp_routes = [{'rd': '10.99.0.102:1', 'prefix': '10.1.2.1/32', 'label': 16,
                        'nexthop': '10.99.0.102', 'rts': [RT], 'source': '10.99.0.12'}]
    node.bgp_route_times = C._first_seen({}, node.bgp_routes)
    return node


def call(handlers, name, query=''):
    return handlers[name](query)


def test_show_route_summary_tables_and_counts(tmp_path):
    node = control_node(tmp_path)
    body, root = xml_of(call(node.handlers(), 'ShowRouteSummaryReq', 'x='))
    assert root.tag == 'ShowRouteSummaryResp' and root.get('type') == 'sandesh'
    assert root.find('tables').get('type') == 'list'
    assert root.find('tables/list').get('type') == 'struct'
    rows = {t.findtext('name'): t for t in root.iter('ShowRouteTableSummary')}
    for row in rows.values():
        assert child_tags(row) == declared('ShowRouteTableSummary')
    assert root.find('next_batch') is None                  # only set when a page fills
    # master instance tables and the VRF's (bgp_peer.sandesh routing_instance.cc naming)
    assert {'bgp.l3vpn.0', 'inet.0', 'bgp.rtarget.0', VRF + '.inet.0', VRF + '.evpn.0'} \
        <= set(rows)
    vpn, inet = rows['bgp.l3vpn.0'], rows[VRF + '.inet.0']
    # bgp.l3vpn.0: 2 agent routes replicated (secondary) + 1 BGP route (primary)
    assert [vpn.findtext(f) for f in ('prefixes', 'paths', 'primary_paths', 'secondary_paths',
                                      'infeasible_paths')] == ['3', '3', '1', '2', '0']
    # VRF inet.0: 2 XMPP primaries + 1 BGP replica
    assert [inet.findtext(f) for f in ('prefixes', 'primary_paths', 'secondary_paths')] == \
        ['3', '2', '1']
    assert vpn.find('name').get('link') == 'ShowRouteReq'
    # the search string is a regex on the table name
    _, only = xml_of(call(node.handlers(), 'ShowRouteSummaryReq', 'x=l3vpn%5C.0'))
    assert [t.findtext('name') for t in only.iter('ShowRouteTableSummary')] == ['bgp.l3vpn.0']
    # the collection's parser
    parts, continuation = parse_response(body)
    assert continuation is None
    tables = {t['name']: t for t in collect(parts, 'tables')}
    assert tables['bgp.l3vpn.0']['prefixes'] == 3 and tables['bgp.l3vpn.0']['deleted'] is False


def test_show_route_as_contrail_introspect_cli_reads_it(tmp_path):
    node = control_node(tmp_path)
    # contrail-introspect-cli: Snh_ShowRouteReq?routing_table=&routing_instance=&prefix=
    body, root = xml_of(call(node.handlers(), 'ShowRouteReq',
                             'routing_table=&routing_instance=&prefix='))
    assert root.tag == 'ShowRouteResp'
    assert root.find('next_batch').text is None                 # set, empty: done
    assert root.find('next_batch').get('link_title') == 'next_batch'
    tables = {t.find('routing_table_name').text: t for t in root.iter('ShowRouteTable')}
    assert set(tables) == {'bgp.l3vpn.0', VRF + '.inet.0'}     # only tables with routes
    for table in tables.values():
        assert child_tags(table) == declared('ShowRouteTable')
        for field in ('prefixes', 'paths', 'primary_paths', 'secondary_paths',
                      'infeasible_paths'):
            assert table.find(field).text.isdigit()
        for route in table.findall('.//ShowRoute'):
            assert child_tags(route) == ['prefix', 'last_modified', 'paths']
            time.strptime(route.find('last_modified').text.split('.')[0], '%Y-%b-%d %H:%M:%S')
            for path in route.findall('.//ShowRoutePath'):
                assert child_tags(path) == declared('ShowRoutePath')
                time.strptime(path.find('last_modified').text.split('.')[0],
                              '%Y-%b-%d %H:%M:%S')
    inet = tables[VRF + '.inet.0']
    assert inet.find('routing_instance').text == VRF
    assert [r.findtext('prefix') for r in inet.findall('routes/list/ShowRoute')] == \
        ['10.1.1.1/32', '10.1.1.2/32', '10.1.2.1/32']
    xmpp = inet.findall(".//ShowRoutePath[protocol='XMPP']")
    assert [p.findtext('source') for p in xmpp] == ['compute1', 'compute1']
    first = xmpp[0]
    assert first.findtext('next_hop') == '10.99.0.101' and first.findtext('label') == '16'
    assert first.findtext('replicated') == 'false' and first.findtext('origin_vn') == VN
    assert [e.text for e in first.findall('secondary_tables/list/element')] == ['bgp.l3vpn.0']
    assert [e.text for e in first.findall('tunnel_encap/list/element')] == ['gre', 'udp']
    assert [e.text for e in first.findall('flags/list/element')] == ['None']
    assert first.find('pmsi_tunnel/ShowPmsiTunnel') is not None
    bgp = inet.find(".//ShowRoutePath[protocol='BGP']")
    assert bgp.findtext('source') == '10.99.0.12' and bgp.findtext('replicated') == 'true'
    assert bgp.findtext('primary_table') == 'bgp.l3vpn.0'
    assert bgp.findtext('peer_as') == '64512' and bgp.findtext('peer_router_id') == '10.99.0.12'
    vpn_routes = [r.findtext('prefix') for r in tables['bgp.l3vpn.0'].iter('ShowRoute')]
    assert vpn_routes == ['10.99.0.101:1:10.1.1.1/32', '10.99.0.101:1:10.1.1.2/32',
                          '10.99.0.102:1:10.1.2.1/32']
    replica = tables['bgp.l3vpn.0'].find(".//ShowRoutePath[protocol='XMPP']")
    assert replica.findtext('primary_table') == VRF + '.inet.0'
    assert RT in [e.text for e in replica.findall('communities/list/element')]
    # the collection's parser
    parts, continuation = parse_response(body)
    assert continuation is None
    parsed = {t['routing_table_name']: t for t in collect(parts, 'tables')}
    path = parsed[VRF + '.inet.0']['routes'][0]['paths'][0]
    assert (path['protocol'], path['label'], path['replicated']) == ('XMPP', 16, False)


def test_show_route_filters_and_next_batch(tmp_path):
    node = control_node(tmp_path)
    handlers = node.handlers()
    # positional: routing_table, routing_instance, prefix, longer_match, shorter_match, count...
    _, root = xml_of(call(handlers, 'ShowRouteReq', 'x=%s.inet.0&x=&x=10.1.1.2' % VRF))
    assert [r.findtext('prefix') for r in root.iter('ShowRoute')] == ['10.1.1.2/32']
    _, root = xml_of(call(handlers, 'ShowRouteReq',
                          'x=&x=&x=10.1.0.0/16&x=true&x=&x=&x=&x=&x=&x=&x=BGP&x=inet'))
    assert [(t.findtext('routing_table_name'), r.findtext('prefix'))
            for t in root.iter('ShowRouteTable') for r in t.iter('ShowRoute')] == \
        [(VRF + '.inet.0', '10.1.2.1/32')]
    # count=2 caps the answer: two routes and an empty next_batch (SaveContextAndPopLast)
    body, root = xml_of(call(handlers, 'ShowRouteReq', 'x=&x=&x=&x=&x=&x=2'))
    assert sum(1 for _ in root.iter('ShowRoute')) == 2
    assert parse_response(body)[1] is None


def test_show_route_pages_with_next_batch(tmp_path, monkeypatch):
    node = control_node(tmp_path)
    handlers = node.handlers()
    monkeypatch.setattr(C, 'SHOW_ROUTE_MAX', 2)          # kMaxCount, small for the test
    body, root = xml_of(call(handlers, 'ShowRouteReq', ''))
    assert [r.findtext('prefix') for r in root.iter('ShowRoute')] == \
        ['10.1.1.1/32', '10.1.1.2/32']
    parts, continuation = parse_response(body)
    assert continuation[0] == 'ShowRouteReqIterate'
    fields = continuation[1].split('||')
    assert len(fields) == 12 and fields[3:7] == [VRF, VRF + '.inet.0', '10.1.2.1/32', '0']
    body, root = xml_of(call(handlers, 'ShowRouteReqIterate', 'x=' + continuation[1]))
    assert [r.findtext('prefix') for r in root.iter('ShowRoute')] == \
        ['10.1.2.1/32', '10.99.0.101:1:10.1.1.1/32']


FABRIC = C.FABRIC_RI


@pytest.mark.parametrize('is_40', [False, True])
def test_bgp_neighbor_and_xmpp_connection_structs(tmp_path, is_40):
    node = control_node(tmp_path, is_40)
    body, root = xml_of(call(node.handlers(), 'BgpNeighborReq', 'x='))
    assert root.tag == 'BgpNeighborListResp'
    peer = root.find(".//BgpNeighborResp[encoding='XMPP']")
    values = node.neighbor_entries('', False)[0]
    assert child_tags(peer) == declared('BgpNeighborResp', values)
    tags = child_tags(peer)
    # R4.0 bgp_peer.sandesh: dscp_value sits after tx_socket_stats, before rx_error_stats
    assert ('dscp_value' in tags) == is_40
    if is_40:
        assert tags.index('dscp_value') > tags.index('routing_tables')
    ri = peer.find('routing_instances/list/BgpNeighborRoutingInstance')
    assert child_tags(ri) == ['name', 'state', 'index', 'import_targets']
    assert (ri.findtext('state'), ri.findtext('index')) == ('subscribed', '1')
    assert [e.text for e in ri.findall('import_targets/list/element')] == [RT]
    assert peer.find('routing_instances/list/BgpNeighborRoutingInstance/index').get('type') \
        == 'u32'
    assert peer.findtext('routing_tables/list/BgpNeighborRoutingTable/name') == VRF + '.inet.0'
    assert peer.findtext('send_state') == 'in sync'
    assert collect(parse_response(body)[0], 'neighbors')[0]['peer'] == 'compute1'
    # ShowXmppConnectionReq (xmpp_server.sandesh): 4.0 adds dscp_value
    session = node.sessions['compute1']
    session.established_at = time.time()
    body, root = xml_of(call(node.handlers(), 'ShowXmppConnectionReq'))
    conn = root.find('connections/list/ShowXmppConnection')
    assert child_tags(conn) == ['name', 'deleted', 'remote_endpoint', 'local_endpoint', 'state',
                                'last_event', 'last_state', 'last_state_at', 'receivers',
                                'server_auth_type'] + (['dscp_value'] if is_40 else [])
    assert collect(parse_response(body)[0], 'connections')[0]['name'] == 'compute1'


# -- vRouter agent (8085) -----------------------------------------------------------------------
def agent(is_40=False, vms=2):
    A.declare_types(is_40)
    settings = SimpleNamespace(hostname='compute1', vhost_ip='10.99.0.101', is_40=is_40,
                               version='4.0.3.0-62' if is_40 else '3.2.14.0-37',
                               physical_interface='eth0')
    ag = A.Agent.__new__(A.Agent)
    ag.s, ag.lock, ag.seq = settings, threading.RLock(), 3
    ag.local = A.LocalState([{'name': 'compute1-vm%d' % i, 'ip': '10.1.1.%d' % (i + 1),
                              'vn': VN, 'vrf': VRF} for i in range(vms)], settings.vhost_ip)
    ag.status = S.NodeStatusHolder('compute1', 'contrail-vrouter-agent', build_info='x')
    ctl = fake_channel('10.99.0.11', 5269, 'control', A.xmpp.CONTROL_JID)
    ctl.remote = {VRF: {'10.1.2.1/32': {'vrf': VRF, 'prefix': '10.1.2.1/32', 'label': 16,
                                        'nexthop': '10.99.0.102', 'vn': VN}}}
    ag.channels = [ctl]
    ag.dns_channels = [fake_channel('10.99.0.11', 8093, 'dns', A.xmpp.DNS_JID)]
    return ag


def fake_channel(ip, port, kind, jid):
    now = time.time()
    return SimpleNamespace(endpoint=(ip, port), kind=kind, jid=jid, established=True,
                           state='Established', last_state='OpenSent',
                           last_event='xmsm::EvXmppOpen', last_state_at=now, flap_count=0,
                           flap_time=None, ready_at=now, remote={},
                           rx={'open': 1, 'keepalive': 0, 'update': 2, 'close': 0},
                           tx={'open': 1, 'keepalive': 0, 'update': 4, 'close': 0})


@pytest.mark.parametrize('is_40', [False, True])
def test_agent_xmpp_connection_status_structs(is_40):
    ag = agent(is_40)
    body, root = xml_of(call(ag.handlers(), 'AgentXmppConnectionStatusReq'))
    peer = root.find('peer/list/AgentXmppData')
    expected = ['controller_ip', 'state', 'peer_name', 'peer_address', 'cfg_controller',
                'mcast_controller', 'last_state', 'last_event', 'last_state_at', 'flap_count',
                'flap_time'] + (['dscp'] if is_40 else []) + \
        ['rx_proto_stats', 'tx_proto_stats', 'xmpp_auth_type'] + \
        (['sequence_number', 'last_ready_time', 'end_of_rib_stats', 'config_stats']
         if is_40 else [])
    assert child_tags(peer) == expected
    assert child_tags(peer.find('rx_proto_stats/ControllerProtoStats')) == \
        ['open', 'keepalive', 'update', 'close']
    if is_40:          # R4.0 controller.sandesh nesting
        eor = peer.find('end_of_rib_stats/ControllerEndOfRibStats')
        assert child_tags(eor) == ['tx', 'rx']
        assert child_tags(eor.find('tx/ControllerEndOfRibTxStats')) == [
            'end_of_rib_tx_time', 'last_route_published_time', 'end_of_rib_reason',
            'last_start_time', 'running']
        assert child_tags(eor.find('rx/ControllerEndOfRibRxStats')) == [
            'end_of_rib_rx_time', 'end_of_rib_reason', 'last_start_time', 'running']
        cfg = peer.find('config_stats/ConfigStats')
        assert child_tags(cfg) == ['end_of_config_stats', 'config_cleanup_stats']
        assert cfg.find('end_of_config_stats/ControllerEndOfConfigStats/'
                        'last_config_receive_time') is not None
        assert child_tags(cfg.find('config_cleanup_stats/ConfigCleanupStats')) == [
            'last_start_time', 'cleanup_sequence_number', 'running']
    data = collect(parse_response(body)[0], 'peer')[0]
    assert (data['state'], data['cfg_controller']) == ('Established', 'Yes')
    # DNS: AgentXmppDnsData (4.0 adds dscp after flap_time)
    body, root = xml_of(call(ag.handlers(), 'AgentDnsXmppConnectionStatusReq'))
    dns = root.find('peer/list/AgentXmppDnsData')
    assert child_tags(dns) == ['dns_controller_ip', 'state', 'peer_name', 'peer_address',
                               'last_state', 'last_event', 'last_state_at', 'flap_count',
                               'flap_time'] + (['dscp'] if is_40 else []) + \
        ['rx_proto_stats', 'tx_proto_stats', 'xmpp_auth_type']
    assert collect(parse_response(body)[0], 'peer')[0]['peer_address'] == '10.99.0.11:8093'


@pytest.mark.parametrize('is_40', [False, True])
def test_itf_req_lists_vhost_pkt_and_one_tap_per_vm(is_40):
    ag = agent(is_40)
    # contrail-introspect-cli: Snh_ItfReq?name=&type=&uuid=&vn=&mac=&ipv4_address=
    body, root = xml_of(call(ag.handlers(), 'ItfReq', 'name=&type=&uuid=&vn=&mac=&ipv4_address='))
    assert root.tag == '__ItfResp_list'                      # agent tables come paged
    rows = root.findall('.//ItfSandeshData')
    names = [r.findtext('name') for r in rows]
    taps = [n for n in names if n.startswith('tap')]
    assert names[0] == 'eth0' and names[-2:] == ['vhost0', 'pkt0'] and len(taps) == 2
    for row in rows:
        values = {e.tag: e.text for e in row}
        assert child_tags(row) == [f for f in [x.name for x in S.definition('ItfSandeshData')
                                               .fields] if f in values]
        for name in declared('ItfSandeshData'):
            assert name in values
    by_name = {r.findtext('name'): r for r in rows}
    vhost = by_name['vhost0']
    assert (vhost.findtext('type'), vhost.findtext('vrf_name'), vhost.findtext('active')) == \
        ('vhost', A.FABRIC_VRF, 'Active')
    assert by_name['pkt0'].findtext('type') == 'pkt'
    tap = next(r for r in rows if r.findtext('ip_addr') == '10.1.1.1')
    assert (tap.findtext('type'), tap.findtext('vrf_name'), tap.findtext('vn_name'),
            tap.findtext('vm_name'), tap.findtext('active')) == \
        ('vport', VRF, VN, 'compute1-vm0', 'Active')
    assert tap.findtext('name') == 'tap' + tap.findtext('uuid')[:11]
    uid = tap.findtext('uuid')               # contrail-api's mac_alloc from the VMI uuid
    assert tap.findtext('mac_addr') == '02:%s:%s:%s:%s:%s' % (
        uid[0:2], uid[2:4], uid[4:6], uid[6:8], uid[9:11])
    assert [e.text for e in tap.findall('fixed_ip4_list/list/element')] == ['10.1.1.1']
    assert tap.find('fip_list/list').get('size') == '0'
    assert ('bridge_domain_list' in child_tags(tap)) == is_40
    page = root.find('Pagination/req/PageReqData')
    assert page.findtext('all') == 'begin:-1,end:-1,table:db.interface.0'
    parts, _ = parse_response(body)
    itfs = collect(parts, 'itf_list')
    assert [i['name'] for i in itfs] == names and itfs[0]['index'] == 0
    # filters: positional name, type, uuid, vn, mac, ipv4_address
    _, only = xml_of(call(ag.handlers(), 'ItfReq', 'x=&x=&x=&x=&x=&x=10.1.1.2'))
    assert [r.findtext('ip_addr') for r in only.iter('ItfSandeshData')] == ['10.1.1.2']
    _, inet = xml_of(call(ag.handlers(), 'ItfReq', 'x=&x=inet'))
    assert [r.findtext('name') for r in inet.iter('ItfSandeshData')] == ['vhost0']
    assert inet.findtext('.//PageReqData/all') == 'begin:-1,end:-1,table:db.interface.0,type:inet'
    _, paged = xml_of(call(ag.handlers(), 'PageReq',
                           'x=' + inet.findtext('.//PageReqData/all')))
    assert [r.findtext('name') for r in paged.iter('ItfSandeshData')] == ['vhost0']


@pytest.mark.parametrize('is_40', [False, True])
def test_inet4_routes_have_path_preference_data(is_40):
    ag = agent(is_40)
    vrf_index = ag.local.vrfs[VRF]
    # contrail-introspect-cli: vrf_index, src_ip, prefix_len, stale
    body, root = xml_of(call(ag.handlers(), 'Inet4UcRouteReq',
                             'vrf_index=%d&src_ip=&prefix_len=&stale=' % vrf_index))
    routes = {r.findtext('src_ip'): r for r in root.iter('RouteUcSandeshData')}
    assert set(routes) == {'10.1.1.1', '10.1.1.2', '10.1.2.1'}
    local = routes['10.1.1.1'].find('path_list/list/PathSandeshData')
    remote = routes['10.1.2.1'].find('path_list/list/PathSandeshData')
    for path in (local, remote):
        values = {e.tag: e.text for e in path}
        assert child_tags(path) == [f.name for f in S.definition('PathSandeshData').fields
                                    if f.name in values]
        assert set(declared('PathSandeshData')) <= set(values)
        pref = path.find('path_preference_data/PathPreferenceSandeshData')
        assert path.find('path_preference_data').get('type') == 'struct'
        assert child_tags(pref)[:3] == ['sequence', 'preference', 'ecmp']
        assert (pref.findtext('sequence'), pref.findtext('preference'),
                pref.findtext('ecmp')) == ('0', '100', 'false')
        assert path.findtext('stale') == 'false' and path.find('stale').get('type') == 'bool'
        assert path.find('label').get('type') == 'i32'
    assert local.findtext('path_preference_data/PathPreferenceSandeshData/wait_for_traffic') \
        == 'true'
    assert remote.find('path_preference_data/PathPreferenceSandeshData/wait_for_traffic') \
        is None                                  # not set for BGP (controller) peers
    assert local.findtext('peer') == 'LocalVmPort' and remote.findtext('peer') == '10.99.0.11'
    nh = remote.find('nh/NhSandeshData')
    assert (nh.findtext('type'), nh.findtext('sip'), nh.findtext('dip'), nh.findtext('vrf'),
            nh.findtext('valid')) == ('tunnel', '10.99.0.101', '10.99.0.102', A.FABRIC_VRF,
                                      'true')
    assert child_tags(nh) == [f.name for f in S.definition('NhSandeshData').fields
                              if f.name in [e.tag for e in nh]]
    local_nh = local.find('nh/NhSandeshData')
    assert local_nh.findtext('type') == 'interface'
    assert local_nh.findtext('itf').startswith('tap')
    assert routes['10.1.1.1'].find('src_plen').get('type') == 'i32'
    parts, _ = parse_response(body)
    path = collect(parts, 'route_list')[0]['path_list'][0]
    assert path['path_preference_data'] == {'sequence': 0, 'preference': 100, 'ecmp': False,
                                            'wait_for_traffic': True}
    # fabric VRF: the vhost address is a receive route of peer Local
    _, fabric = xml_of(call(ag.handlers(), 'Inet4UcRouteReq', 'x=0'))
    nh = fabric.find(".//RouteUcSandeshData[src_ip='10.99.0.101']//NhSandeshData")
    assert (nh.findtext('type'), nh.findtext('itf')) == ('receive', 'vhost0')


def test_vrf_list_40_fields():
    ag = agent(True)
    _, root = xml_of(call(ag.handlers(), 'VrfListReq', 'x='))
    row = root.find('.//VrfSandeshData')
    assert child_tags(row)[-3:] == ['RD', 'mac_aging_time', 'layer2_control_word']
    ag = agent(False)
    _, root = xml_of(call(ag.handlers(), 'VrfListReq', 'x='))
    assert child_tags(root.find('.//VrfSandeshData'))[-1] == 'RD'


# -- NodeStatus through SandeshUVECacheReq ------------------------------------------------------
@pytest.mark.parametrize('query', ['x=NodeStatus', 'tname=NodeStatus'])
def test_node_status_uve_cache_both_query_forms(query):
    status = S.NodeStatusHolder('compute1', 'contrail-vrouter-agent', build_info='3.2.14.0-37')
    status.set_connection('XMPP', 'control-node:10.99.0.11', True, ['10.99.0.11:5269'])
    handler = S.uve_cache_handler(status)
    body, root = xml_of(handler(query))
    assert root.tag == '__NodeStatusUVE_list' and root.get('type') == 'slist'
    uve, resp = list(root)
    assert uve.tag == 'NodeStatusUVE' and uve.get('type') == 'sandesh'
    # contrail-introspect-cli: //ProcessStatus/module_id, //ProcessStatus/state, //ConnectionInfo
    assert [e.text for e in root.iter('module_id')] == ['contrail-vrouter-agent']
    assert root.findtext('.//ProcessStatus/state') == 'Functional'
    assert root.findtext('.//ConnectionInfo/name') == 'control-node:10.99.0.11'
    assert child_tags(uve.find('data/NodeStatus'))[0] == 'name'
    assert (resp.tag, resp.findtext('returned'), resp.findtext('period')) == \
        ('SandeshUVECacheResp', '1', '0')
    parts, _ = parse_response(body)
    assert parts[0][1]['data']['process_status'][0]['state'] == 'Functional'
    # the key (2nd field) selects one UVE; an unknown type returns nothing
    _, other = xml_of(handler(query + '&key=compute9'))
    assert (other.tag, other.findtext('returned')) == ('SandeshUVECacheResp', '0')
    _, same = xml_of(handler(query + '&key=compute1'))
    assert same.findtext('.//NodeStatus/name') == 'compute1'
    _, unknown = xml_of(handler('x=ModuleCpuState'))
    assert unknown.findtext('returned') == '0' and unknown.find('period') is None


def test_node_status_over_http_with_tname():
    status = S.NodeStatusHolder('ctrl1', 'contrail-control')
    server = S.serve_introspect(0, {}, node_status=status, host='127.0.0.1')
    try:
        for query in ('x=NodeStatus', 'tname=NodeStatus'):
            url = 'http://127.0.0.1:%d/Snh_SandeshUVECacheReq?%s' % (
                server.server_address[1], query)
            with urllib.request.urlopen(url, timeout=5) as resp:
                body = resp.read().decode()
            parts, _ = parse_response(body[len(S.XSL_PREFIX):])
            assert parts[0][1]['data']['name'] == 'ctrl1'
    finally:
        server.shutdown()


def test_query_tokens_like_the_cpp_generator():
    seen = []
    handler = S.Handler(lambda a, b: seen.append((a, b)) or ('ErrorResp', {}), 'a', 'b')
    handler('&x=1&&y=a+b%20c')          # empty tokens dropped; curl unescape keeps '+'
    handler('a=&b=2')                   # a valueless token leaves its field empty
    assert seen == [('1', 'a+b c'), ('', '2')]
