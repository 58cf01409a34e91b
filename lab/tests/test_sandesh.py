"""Sandesh rendering (wire-formats §5.3-5.7) parsed back and compared field by field."""
import os
import sys
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'sim'))

from contrail_sim import control_node, sandesh as S  # noqa: E402

control_node.declare_types(is_40=False)

# §5.4 reference example, up to the first elision ("...").
REFERENCE_PREFIX = (
    '<?xml-stylesheet type="text/xsl" href="/universal_parse.xsl"?><ShowBgpNeighborSummaryResp '
    'type="sandesh"><neighbors type="list" identifier="1"><list type="struct" size="1">'
    '<BgpNeighborResp><instance_name type="string" identifier="53"></instance_name><peer '
    'type="string" identifier="1" link="BgpNeighborReq">compute1</peer><deleted type="bool" '
    'identifier="36">false</deleted><peer_address type="string" identifier="2" '
    'link="BgpNeighborReq">10.0.0.21</peer_address><peer_id type="string" identifier="25">'
    '</peer_id><peer_asn type="u32" identifier="3">0</peer_asn><encoding type="string" '
    'identifier="6">XMPP</encoding><peer_type type="string" identifier="7">internal</peer_type>'
    '<state type="string" identifier="8">Established</state><closed_at type="string" '
    'identifier="43"></closed_at><router_type type="string" identifier="52"></router_type>')
XMPP_PEER = {'instance_name': '', 'peer': 'compute1', 'deleted': False,
             'peer_address': '10.0.0.21', 'peer_id': '', 'peer_asn': 0, 'encoding': 'XMPP',
             'peer_type': 'internal', 'state': 'Established', 'closed_at': '',
             'router_type': '', 'local_address': '10.0.0.11', 'auth_type': 'NIL',
             'negotiated_hold_time': 90, 'primary_path_count': 4, 'flap_count': 0,
             'flap_time': ''}


def parse(body):
    assert body.startswith(S.XSL_PREFIX)
    return ET.fromstring(body[len(S.XSL_PREFIX):])


def test_single_part_matches_reference_prefix_and_is_one_line():
    body = S.render(('ShowBgpNeighborSummaryResp', {'neighbors': [XMPP_PEER]}))
    assert body.startswith(REFERENCE_PREFIX)
    assert '\n' not in body and '<?xml version' not in body
    assert body.endswith('<more type="bool" identifier="0">false</more>'
                         '</ShowBgpNeighborSummaryResp>')


def test_fields_in_declaration_order_with_types_and_ids():
    root = parse(S.render(('ShowBgpNeighborSummaryResp', {'neighbors': [XMPP_PEER]})))
    entry = root.find('neighbors/list/BgpNeighborResp')
    declared = [f for f in S.definition('BgpNeighborResp').fields
                if not f.optional or XMPP_PEER.get(f.name) is not None]
    assert [e.tag for e in entry] == [f.name for f in declared]
    for elem, field in zip(entry, declared):
        assert elem.get('identifier') == str(field.id)
        assert elem.get('type') == ('list' if field.type.startswith('list') else field.type)
    assert entry.find('negotiated_hold_time').text == '90'
    assert entry.find('local_address').text == '10.0.0.11'
    assert entry.find('configured_hold_time') is None          # optional and unset
    assert root.find('neighbors/list').get('size') == '1'


def test_annotations_sorted_and_escaping():
    S.response('TestAnnotResp', '1: string name (link_title="t", link="X", key="k")')
    body = S.render(('TestAnnotResp', {'name': 'a<b&"c'}))
    assert '<name type="string" identifier="1" key="k" link="X" link_title="t">' \
        'a&lt;b&amp;&quot;c</name>' in body
    assert parse(body).find('name').text == 'a<b&"c'


def test_base_lists_maps_and_bools():
    S.response('TestListResp', '''
        1: list<string> names
        2: map<string,u32> counts
        3: bool flag
    ''')
    root = parse(S.render(('TestListResp', {'names': ['a', 'b'], 'counts': {'x': 3},
                                            'flag': True})))
    lst = root.find('names/list')
    assert (lst.get('type'), lst.get('size')) == ('string', '2')
    assert [e.text for e in lst.findall('element')] == ['a', 'b']
    mp = root.find('counts/map')
    assert (mp.get('key'), mp.get('value'), mp.get('size')) == ('string', 'u32', '1')
    assert [e.text for e in mp] == ['x', '3']
    assert root.find('flag').text == 'true'


def test_multipart_agent_pagination():
    S.struct('TestRow', '1: string name')
    S.response('TestTableResp', '1: list<TestRow> rows')
    rows = [{'name': 'r%03d' % i} for i in range(250)]
    parts = S.paged_response('TestTableResp', 'rows', rows, 'db.test.0')
    root = parse(S.render(parts))
    assert root.tag == '__TestTableResp_list' and root.get('type') == 'slist'
    resp, page = list(root)
    assert len(resp.findall('rows/list/TestRow')) == 100
    assert resp.find('more').text == 'true'
    assert page.tag == 'Pagination' and page.find('more').text == 'false'
    data = page.find('req/PageReqData')
    assert data.find('next_page').text == 'begin:100,end:199,table:db.test.0'
    assert data.find('next_page').get('link') == 'PageReq'
    assert data.find('all').text == 'begin:-1,end:-1,table:db.test.0'
    assert data.find('entries').text == '0-99/250'
    assert data.find('table_size').text == '250'
    everything = S.paged_response('TestTableResp', 'rows', rows,
                                  *S.parse_page_link(data.find('all').text)[:3])
    assert [len(p[1]['rows']) for p in everything[:-1]] == [100, 100, 50]


def test_node_status_functional_and_down_description():
    status = S.NodeStatusHolder('compute1', 'contrail-vrouter-agent')
    status.set_connection('XMPP', 'control-node:10.0.0.11', True)
    assert status.process_status()['state'] == 'Functional'
    status.set_connection('XMPP', 'control-node:10.0.0.12', False)
    status.set_connection('Collector', '', False)
    proc = status.process_status()
    assert proc['state'] == 'Non-Functional'
    assert proc['description'] == 'Collector, XMPP:control-node:10.0.0.12 connection down'


def test_http_server_routes_positional_params_and_node_status():
    seen = {}

    def handler(search_string, extra):
        seen.update(search_string=search_string, extra=extra)
        return ('ShowBgpNeighborSummaryResp', {'neighbors': []})

    status = S.NodeStatusHolder('ctrl1', 'contrail-control')
    server = S.serve_introspect(0, {'ShowBgpNeighborSummaryReq':
                                    S.Handler(handler, 'search_string', 'extra')},
                                node_status=status, host='127.0.0.1')
    port = server.server_address[1]
    try:
        url = 'http://127.0.0.1:%d/Snh_ShowBgpNeighborSummaryReq?x=ctrl%%202&zzz=b' % port
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.headers['Content-Type'] == 'text/xml'
            parse(resp.read().decode())
        assert seen == {'search_string': 'ctrl 2', 'extra': 'b'}
        url = 'http://127.0.0.1:%d/Snh_SandeshUVECacheReq?x=NodeStatus' % port
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.headers['Transfer-Encoding'] == 'chunked'
            root = parse(resp.read().decode())
        assert root.tag == '__NodeStatusUVE_list'
        node = root.find('NodeStatusUVE/data/NodeStatus')
        assert node.find('name').text == 'ctrl1'
        assert node.find('process_status/list/ProcessStatus/state').text == 'Functional'
        assert root.find('SandeshUVECacheResp/returned').text == '1'
    finally:
        server.shutdown()
