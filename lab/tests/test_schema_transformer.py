"""The lab's contrail-schema: iBGP auto-mesh, routing instances and route targets.

Marker ``lab``: against the v1 cluster of the running lab, whose contrail-schema runs under
supervisor; with LAB_DEV_SERVICES=1 the schema transformer's work loop and RabbitMQ consumer run
in this process against an API server on the host (see test_api_server.py).
Everything is observed from outside: REST objects, ZooKeeper nodes, to_bgp_keyspace rows.
"""
import os
import queue
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'sim'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from contrail_sim import amqp, schema_transformer  # noqa: E402
from contrail_sim.provision import VncRest, bgp_router_body  # noqa: E402
from test_api_server import DEV, v1  # noqa: E402,F401

pytestmark = pytest.mark.lab
FABRIC_RI = ['default-domain', 'default-project', 'ip-fabric', '__default__']


@pytest.fixture(scope='module')
def st_cluster(v1):  # noqa: F811
    """The v1 cluster with a schema transformer working on it."""
    if not DEV:
        yield v1
        return
    db, zkc = v1.db(), v1.zk()
    db.ensure_keyspaces(['to_bgp_keyspace'])
    host = v1.url[len('http://'):]
    events, stop = queue.Queue(), threading.Event()
    consumer = amqp.Consumer(v1.amqp_params(), 'schema_transformer.test-%s' % uuid.uuid4().hex[:6],
                             events.put)
    assert amqp.wait_connected(consumer)
    st = schema_transformer.SchemaTransformer(VncRest(host), zkc, db)
    thread = threading.Thread(target=schema_transformer.work_loop, args=(st, events, stop), daemon=True)
    thread.start()
    yield v1
    stop.set()
    thread.join(10)
    consumer.stop()
    db.close()
    zkc.stop()


def _wait(predicate, timeout=20, what='condition'):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError('timed out waiting for %s' % what)


def _fq_id(cluster, rtype, fq_name):
    resp = cluster.call('POST', '/fqname-to-id', {'type': rtype, 'fq_name': fq_name})
    return resp.json()['uuid'] if resp.status_code == 200 else None


def test_routing_instance_and_route_target_per_network(st_cluster):
    cluster = st_cluster
    project = cluster.project()
    vn = cluster.create('virtual-network', {'fq_name': project['fq_name'] + ['stvn'], 'parent_type': 'project'})
    ri_fq = vn['fq_name'] + ['stvn']
    ri_id = _wait(lambda: _fq_id(cluster, 'routing-instance', ri_fq), what='routing instance')
    ri = _wait(lambda: cluster.read('routing-instance', ri_id).get('route_target_refs') and
               cluster.read('routing-instance', ri_id), what='route target ref')
    assert ri['parent_uuid'] == vn['uuid'] and not ri.get('routing_instance_is_default')
    rt_name = ri['route_target_refs'][0]['to'][0]
    prefix, asn, number = rt_name.split(':')
    assert prefix == 'target' and int(asn) > 0 and int(number) >= 8000000
    zkc, db = cluster.zk(), cluster.db()
    try:
        assert zkc.read('/id/bgp/route-targets/%010d' % int(number))[0] == ':'.join(ri_fq)
        cached = db.get_row('to_bgp_keyspace', 'route_target_table', ':'.join(ri_fq))
        assert int(cached['rtgt_num']) == int(number)
        assert cluster.call('DELETE', '/virtual-network/%s' % vn['uuid']).status_code == 200
        _wait(lambda: _fq_id(cluster, 'routing-instance', ri_fq) is None, what='instance removal')
        _wait(lambda: zkc.read('/id/bgp/route-targets/%010d' % int(number))[0] is None, what='rt freed')
        assert not db.get_row('to_bgp_keyspace', 'route_target_table', ':'.join(ri_fq))
        assert _fq_id(cluster, 'route-target', [rt_name]) is None
    finally:
        zkc.stop()
        db.close()


def test_ibgp_auto_mesh(st_cluster):
    cluster = st_cluster
    suffix = uuid.uuid4().hex[:6]
    routers = [cluster.create('bgp-router', bgp_router_body('st%s-%d' % (suffix, i), '198.51.100.%d' % (i + 1), 64512))
               for i in range(3)]
    ids = set(r['uuid'] for r in routers)

    def meshed():
        for router in routers:
            peers = set(p['uuid'] for p in cluster.read('bgp-router', router['uuid']).get('bgp_router_refs') or [])
            if not (ids - {router['uuid']}) <= peers:
                return False
        return True
    _wait(meshed, what='full iBGP mesh between the new control nodes')
    attr = cluster.read('bgp-router', routers[0]['uuid'])['bgp_router_refs'][0]['attr']
    assert attr['session'][0]['attributes'][0]['address_families']['family']
    other_asn = bgp_router_body('st%s-x' % suffix, '198.51.100.9', 64999)
    odd = cluster.create('bgp-router', other_asn)
    time.sleep(2)
    assert not cluster.read('bgp-router', odd['uuid']).get('bgp_router_refs')
    assert cluster.call('DELETE', '/bgp-router/%s' % routers[0]['uuid']).status_code == 200
    peers = cluster.read('bgp-router', routers[1]['uuid']).get('bgp_router_refs') or []
    assert routers[0]['uuid'] not in [p['uuid'] for p in peers]
    for router in routers[1:] + [odd]:
        assert cluster.call('DELETE', '/bgp-router/%s' % router['uuid']).status_code == 200
