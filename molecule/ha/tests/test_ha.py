"""End state after the whole ISSU with 3 v1 + 3 v2 controllers and TLS everywhere: every compute
on v2 with two XMPP sessions to v2, northbound balanced over the three v2 API servers, v2's held
services running on every v2 config node, all of v1 stopped and gone from v2's config (read with
the official vnc_api client over HTTPS with a keystone token), v2's control nodes meshed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402

V1 = ['10.99.0.11', '10.99.0.12', '10.99.0.13']
V2 = ['10.99.0.21', '10.99.0.22', '10.99.0.23']
V1_NAMES = ['lab-v1-ctrl1', 'lab-v1-ctrl2', 'lab-v1-ctrl3']
V2_NAMES = ['lab-v2-ctrl1', 'lab-v2-ctrl2', 'lab-v2-ctrl3']
AGENT_CONF = '/etc/contrail/contrail-vrouter-agent.conf'


def test_record_says_finalized_and_every_compute_on_v2():
    record = L.state_record()
    assert record['phase'] == 'finalized' and record['northbound']['state'] == 'open'
    assert sorted(record['hosts']) == L.COMPUTES
    assert all(h['status'] == 'v2' for h in record['hosts'].values())


def test_computes_list_every_v2_node_and_keep_two_sessions_to_v2():
    for name in L.COMPUTES:
        node = L.host(name)
        assert L.installed_version(node, 'contrail-vrouter-agent') == L.V2_VERSION
        assert L.ini_value(node, AGENT_CONF, 'CONTROL-NODE', 'servers').split() == \
            ['%s:5269' % ip for ip in V2]
        assert L.ini_value(node, AGENT_CONF, 'DEFAULT', 'collectors').split() == \
            ['%s:8086' % ip for ip in V2]
        established = [ip for ip, state in L.agent_xmpp(L.compute_ip(name)) if state == 'Established']
        assert len(established) == 2 and set(established) <= set(V2), (name, established)


def test_northbound_is_balanced_over_the_three_v2_api_servers():
    api = L.haproxy_servers('contrail-api')
    assert sorted(addr.split(':')[0] for addr, _status in api.values()) == V2, api
    assert all(status == 'UP' for _addr, status in api.values()), api
    cfg = L.host('lab-openstack').file('/etc/haproxy/haproxy.cfg').content_string
    assert not any('%s:8082' % ip in cfg for ip in V1)


def test_held_services_run_on_every_v2_config_node():
    for name in V2_NAMES:
        status = L.host(name).check_output('contrail-status')
        for service in ('contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager'):
            line = next(l for l in status.splitlines() if l.startswith(service))
            assert line.split()[1] in ('active', 'backup'), (name, line)


def test_all_of_v1_is_stopped_and_gone_from_v2():
    for name in V1_NAMES:
        for service in ('supervisor-config', 'supervisor-control', 'supervisor-analytics'):
            assert L.host(name).run('service %s status' % service).rc != 0, (name, service)
    routers = sorted(r['fq_name'][-1] for r in L.api_get(V2[0], '/bgp-routers')['bgp-routers'])
    assert routers == V2_NAMES, routers


def test_v2_holds_its_three_nodes_and_none_of_v1s_as_the_official_client_reads_them():
    client = L.vnc_client(V2[0])
    for kind in ('config_node', 'analytics_node', 'database_node'):
        nodes = getattr(client, kind + 's_list')(detail=True)
        assert sorted((n.get_fq_name()[-1], getattr(n, 'get_%s_ip_address' % kind)()) for n in nodes) == \
            list(zip(V2_NAMES, V2)), kind
    routers = [r.get_fq_name()[-1] for r in client.bgp_routers_list(detail=True)
               if r.get_bgp_router_parameters().get_router_type() == 'control-node']
    assert sorted(routers) == V2_NAMES
    assert sorted(v.get_fq_name()[-1] for v in client.virtual_routers_list(detail=True)) == L.COMPUTES


def test_v2_control_nodes_are_meshed():
    for ip, name in zip(V2, V2_NAMES):
        root = L.introspect(ip, 8083, 'BgpNeighborReq')
        states = dict((n.findtext('peer'), n.findtext('state')) for n in root.iter('BgpNeighborResp')
                      if n.findtext('encoding') == 'BGP')
        assert states == dict((peer, 'Established') for peer in V2_NAMES if peer != name), (name, states)
