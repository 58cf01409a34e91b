"""End state after the whole ISSU: every compute on v2, northbound on v2, v1 decommissioned."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402


def test_record_says_finalized_and_every_compute_on_v2():
    record = L.state_record()
    assert record['phase'] == 'finalized'
    assert record['northbound']['state'] == 'open'
    assert sorted(record['hosts']) == L.COMPUTES
    assert all(h['status'] == 'v2' and h['version'] == L.V2_VERSION for h in record['hosts'].values())


def test_computes_run_v2_with_4x_conf_and_xmpp_to_v2():
    for name in L.COMPUTES:
        L.assert_compute_on(name, L.V2_VERSION, L.V2_CTRL)
        node = L.host(name)
        conf = '/etc/contrail/contrail-vrouter-agent.conf'
        assert L.ini_value(node, conf, 'CONTROL-NODE', 'servers') == '%s:5269' % L.V2_CTRL
        assert L.ini_value(node, conf, 'DNS', 'servers') == '%s:53' % L.V2_CTRL
        assert L.ini_value(node, conf, 'DEFAULT', 'collectors') == '%s:8086' % L.V2_CTRL


def test_northbound_goes_to_v2_and_is_open():
    api = L.haproxy_servers('contrail-api')
    assert api and all(addr.startswith(L.V2_CTRL + ':') and status == 'UP' for addr, status in api.values()), api
    neutron = L.haproxy_servers('neutron-server')
    assert neutron and all(status == 'UP' for _addr, status in neutron.values()), neutron
    cfg = L.host('lab-openstack').file('/etc/haproxy/haproxy.cfg').content_string
    assert L.V2_CTRL + ':8082' in cfg and L.V1_CTRL + ':8082' not in cfg


def test_v2_services_released_and_run_sync_gone():
    status = L.host('lab-v2-ctrl1').check_output('contrail-status')
    for service in ('contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager'):
        line = next(l for l in status.splitlines() if l.startswith(service))
        assert line.split()[1] in ('active', 'backup'), line
    assert 'contrail-issu-run-sync' not in L.host('lab-v2-ctrl1').check_output('ps -eo args')


def test_v1_stopped_and_removed_from_v2_config():
    v1 = L.host('lab-v1-ctrl1')
    for service in ('supervisor-config', 'supervisor-control'):
        assert v1.run('service %s status' % service).rc != 0, service
    routers = [r['fq_name'][-1] for r in L.api_get(L.V2_CTRL, '/bgp-routers')['bgp-routers']]
    assert 'lab-v1-ctrl1' not in routers and 'lab-v2-ctrl1' in routers


def test_v2_holds_its_own_node_objects_and_none_of_v1s():
    """As provision_issu.py leaves a cluster, read with the official vnc_api client: pre-sync
    pruned v2's own node objects, finalize registers them again with their addresses and
    removes v1's; every compute has its virtual-router."""
    client = L.vnc_client(L.V2_CTRL)
    for kind in ('config_node', 'analytics_node', 'database_node'):
        nodes = getattr(client, kind + 's_list')(detail=True)
        assert [(n.get_fq_name()[-1], getattr(n, 'get_%s_ip_address' % kind)()) for n in nodes] == \
            [('lab-v2-ctrl1', L.V2_CTRL)], kind
    routers = [r.get_fq_name()[-1] for r in client.bgp_routers_list(detail=True)
               if r.get_bgp_router_parameters().get_router_type() == 'control-node']
    assert routers == ['lab-v2-ctrl1']
    assert sorted(v.get_fq_name()[-1] for v in client.virtual_routers_list(detail=True)) == L.COMPUTES


def test_agents_and_v2_control_node_are_functional():
    """Healthy by Contrail's own measure after the ISSU: NodeStatus Functional everywhere."""
    for address, port in [(L.V2_CTRL, 8083)] + [('10.99.0.%d' % (100 + i), 8085) for i in (1, 2, 3)]:
        root = L.introspect(address, port, 'SandeshUVECacheReq?x=NodeStatus')
        states = [(p.findtext('module_id'), p.findtext('state'), p.findtext('description'))
                  for p in root.iter('ProcessStatus')]
        assert states and all(state == 'Functional' for _m, state, _d in states), (address, states)


def test_northbound_opened_only_after_run_sync_bound_its_queue():
    """A write made after the start's freeze but before run-sync bound its queue would reach v1
    only: the start must wait for the bind before it opens northbound."""
    record = L.state_record()
    opened = next(w['opened_at'] for w in record['northbound']['windows'] if w.get('note') == 'start')
    log = L.host('lab-v2-ctrl1').file('/var/log/contrail/issu_contrail_run_sync.log').content_string
    bound = next(line[:23] for line in log.splitlines() if 'Config sync initiated' in line)
    bound_at = datetime.datetime.strptime(bound, '%Y-%m-%d %H:%M:%S,%f')
    opened_at = datetime.datetime.strptime(opened, '%Y-%m-%dT%H:%M:%S.%fZ')
    assert bound_at < opened_at, (bound, opened)
