# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sandesh XML -> plain Python, and following next_batch / Pagination links."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import introspect

STYLE = '<?xml-stylesheet type="text/xsl" href="/universal_parse.xsl"?>'


def neighbor(peer, state='Established', encoding='XMPP', asn=0, flaps=0):
    return (
        '<BgpNeighborResp><instance_name type="string" identifier="53"></instance_name>'
        '<peer type="string" identifier="1" link="BgpNeighborReq">%s</peer>'
        '<deleted type="bool" identifier="36">false</deleted>'
        '<peer_asn type="u32" identifier="3">%d</peer_asn>'
        '<encoding type="string" identifier="6">%s</encoding>'
        '<state type="string" identifier="8">%s</state>'
        '<configured_address_families type="list" identifier="38"><list type="string" size="2">'
        '<element>inet-vpn</element><element>e-vpn</element></list>'
        '</configured_address_families>'
        '<flap_count type="u64" identifier="23">%d</flap_count></BgpNeighborResp>'
    ) % (peer, asn, encoding, state, flaps)


def neighbor_list(peers, next_batch=''):
    return (
        STYLE + '<BgpNeighborListResp type="sandesh"><neighbors type="list" identifier="1">'
        '<list type="struct" size="%d">%s</list></neighbors>'
        '<next_batch type="string" identifier="2" link="BgpNeighborReqIterate" '
        'link_title="next_batch">%s</next_batch>'
        '<more type="bool" identifier="0">false</more></BgpNeighborListResp>'
    ) % (len(peers), ''.join(peers), next_batch)


def test_single_part_types_are_converted():
    parts, continuation = introspect.parse_response(neighbor_list(
        [neighbor('ctrl2', encoding='BGP', asn=64512, flaps=3)]))
    assert continuation is None
    name, data = parts[0]
    assert name == 'BgpNeighborListResp'
    assert data['more'] is False
    assert data['neighbors'] == [dict(
        instance_name='', peer='ctrl2', deleted=False, peer_asn=64512, encoding='BGP',
        state='Established', configured_address_families=['inet-vpn', 'e-vpn'], flap_count=3)]


def test_struct_map_and_empty_list():
    xml = (
        '<Resp type="sandesh"><s type="struct" identifier="1"><Inner>'
        '<ok type="bool" identifier="1">true</ok><d type="double" identifier="2">1.5</d>'
        '</Inner></s><m type="map" identifier="2"><map key="string" value="i32" size="2">'
        '<element>a</element><element>1</element><element>b</element><element>-2</element>'
        '</map></m><l type="list" identifier="3"><list type="string" size="0"></list></l>'
        '<more type="bool" identifier="0">false</more></Resp>')
    (_name, data), = introspect.parse_response(xml)[0]
    assert data == dict(s=dict(ok=True, d=1.5), m=dict(a=1, b=-2), l=[], more=False)


def test_chunked_list_with_pagination():
    xml = (
        STYLE + '<__VrfListResp_list type="slist">'
        '<VrfListResp type="sandesh"><vrf_list type="list" identifier="1">'
        '<list type="struct" size="1"><VrfSandeshData><name type="string" identifier="1">'
        'default-domain:admin:vn1:vn1</name><ucindex type="i32" identifier="2">1</ucindex>'
        '</VrfSandeshData></list></vrf_list><more type="bool" identifier="0">true</more>'
        '</VrfListResp><Pagination type="sandesh"><req type="struct" identifier="1">'
        '<PageReqData><next_page type="string" identifier="2" link="PageReq">'
        'begin:100,end:199,table:db.vrf.0</next_page><table_size type="u32" identifier="5">'
        '150</table_size></PageReqData></req></Pagination></__VrfListResp_list>')
    parts, continuation = introspect.parse_response(xml)
    assert [name for name, _data in parts] == ['VrfListResp']
    assert introspect.collect(parts, 'vrf_list')[0]['ucindex'] == 1
    assert continuation == ('PageReq', 'begin:100,end:199,table:db.vrf.0')


def test_not_xml_is_an_introspect_error():
    with pytest.raises(introspect.IntrospectError):
        introspect.parse_response('<html><body>oops')


def test_bgp_neighbors_follows_next_batch(http_stub):
    pages = {
        '/Snh_BgpNeighborReq?x=': neighbor_list(
            [neighbor('ctrl2', encoding='BGP', asn=64512)], next_batch='compute1||'),
        '/Snh_BgpNeighborReqIterate?x=compute1%7C%7C': neighbor_list(
            [neighbor('compute1'), neighbor('compute2', state='Active')]),
    }
    http_stub.handler = lambda method, path, headers, body: (
        (200, {'Content-Type': 'text/xml'}, pages[path]) if path in pages
        else (404, {}, 'not found'))
    peers = introspect.bgp_neighbors('127.0.0.1', port=http_stub.port)
    assert [(p['peer'], p['state']) for p in peers] == [
        ('ctrl2', 'Established'), ('compute1', 'Established'), ('compute2', 'Active')]
    assert unquote(http_stub.requests[1][1]) == '/Snh_BgpNeighborReqIterate?x=compute1||'


def test_agent_xmpp_status(http_stub):
    xml = (STYLE + '<AgentXmppConnectionStatus type="sandesh"><peer type="list" identifier="1">'
           '<list type="struct" size="1"><AgentXmppData>'
           '<controller_ip type="string" identifier="1">10.99.0.11</controller_ip>'
           '<state type="string" identifier="2">Established</state>'
           '<flap_count type="u32" identifier="10">2</flap_count></AgentXmppData></list></peer>'
           '<more type="bool" identifier="0">false</more></AgentXmppConnectionStatus>')
    http_stub.handler = lambda *args: (200, {}, xml)
    assert introspect.agent_xmpp_status('127.0.0.1', port=http_stub.port) == [
        dict(controller_ip='10.99.0.11', state='Established', flap_count=2)]
    assert http_stub.requests[0][1] == '/Snh_AgentXmppConnectionStatusReq'


def test_http_error_and_refused_connection(http_stub):
    http_stub.handler = lambda *args: (404, {}, 'no such request')
    client = introspect.IntrospectClient('127.0.0.1', http_stub.port, timeout=2)
    with pytest.raises(introspect.IntrospectError, match='HTTP 404'):
        client.request('NoSuchReq')
    port = http_stub.port
    http_stub.close()
    with pytest.raises(introspect.IntrospectError, match='Snh_BgpNeighborReq'):
        introspect.bgp_neighbors('127.0.0.1', port=port, timeout=2)


def node_status_xml(state, description=''):
    return (STYLE + '<__NodeStatusUVE_list type="slist"><NodeStatusUVE type="sandesh">'
            '<data type="struct" identifier="1"><NodeStatus>'
            '<name type="string" identifier="1" key="ObjectVRouter">cmp1</name>'
            '<process_status type="list" identifier="6"><list type="struct" size="1"><ProcessStatus>'
            '<module_id type="string" identifier="1">contrail-vrouter-agent</module_id>'
            '<instance_id type="string" identifier="2">0</instance_id>'
            '<state type="string" identifier="3">%s</state>'
            '<connection_infos type="list" identifier="4"><list type="struct" size="0"></list>'
            '</connection_infos><description type="string" identifier="5">%s</description>'
            '</ProcessStatus></list></process_status></NodeStatus></data></NodeStatusUVE>'
            '<SandeshUVECacheResp type="sandesh"><returned type="u32" identifier="1">1</returned>'
            '</SandeshUVECacheResp></__NodeStatusUVE_list>') % (state, description)


def test_node_status_by_address_or_through_a_client(http_stub):
    """node_status_info reads it by address, vrouter_swap through the client it already has."""
    why = 'XMPP:dns-server:10.0.0.21 connection down'
    http_stub.handler = lambda *args: (200, {}, node_status_xml('Non-Functional', why))
    processes = introspect.node_status('127.0.0.1', http_stub.port)
    client = introspect.IntrospectClient('127.0.0.1', http_stub.port)
    assert introspect.client_node_status(client) == processes
    assert [(p['name'], p['module_id'], p['state']) for p in processes] == [
        ('cmp1', 'contrail-vrouter-agent', 'Non-Functional')]
    assert http_stub.requests[0][1] == '/Snh_SandeshUVECacheReq?x=NodeStatus'
    assert introspect.functional_problems(processes) == [
        'contrail-vrouter-agent: Non-Functional (%s)' % why]
    http_stub.handler = lambda *args: (200, {}, node_status_xml('Functional'))
    assert introspect.functional_problems(introspect.client_node_status(client)) == []
    assert introspect.functional_problems([]) == ['no NodeStatus reported']
