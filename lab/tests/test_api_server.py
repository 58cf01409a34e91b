"""Tests of the simulated contrail-api (lab/sim/contrail_sim/api_server.py).

Unit tests (no marker) exercise the pure parts: column layout, rendering, messages.
Service tests (marker ``lab``) drive the REST API over HTTP and check what lands in the config
DB, ZooKeeper and RabbitMQ:
* default: the running lab (v1 API 10.99.0.11:8082, v2 10.99.0.21:8082, each cluster's infra);
* ``LAB_DEV_SERVICES=1``: API servers started in this process on the host against the dev
  PostgreSQL/RabbitMQ/ZooKeeper on 127.0.0.1 (see /tmp/dev-services.ready), each test session
  in its own cluster prefix, removed afterwards.
"""
import json
import os
import sys
import threading
import time
import uuid

import pika
import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'sim'))

from contrail_sim import api_server, configdb, zk  # noqa: E402

DEV = os.environ.get('LAB_DEV_SERVICES') == '1'
LAB_CLUSTERS = {'3.2': ('10.99.0.11', 'v1'), '4.0': ('10.99.0.21', 'v2')}
IPAM = ['default-domain', 'default-project', 'default-network-ipam']


class Cluster(object):
    """One API server under test and the services behind it."""

    def __init__(self, url, release, cluster_id, infra_host, vhost, stop=None):
        self.url, self.release, self.cluster_id = url, release, cluster_id
        self.infra_host, self.vhost, self.stop = infra_host, vhost, stop
        self.created = []

    def cleanup(self):
        """Delete what the tests created (newest first) so a shared lab keeps only its own data."""
        for rtype, obj_uuid in reversed(self.created):
            self.call('DELETE', '/%s/%s' % (rtype, obj_uuid))

    def db(self):
        return configdb.ConfigDB(configdb.dsn_from_server_list(self.infra_host + ':9160'), self.cluster_id)

    def zk(self):
        return zk.ZkClient(self.infra_host + ':2181', self.cluster_id)

    def amqp_params(self):
        return api_server.amqp.connection_params(self.infra_host, vhost=self.vhost)[0]

    # -- REST helpers ------------------------------------------------------------------
    def call(self, method, path, body=None, headers=None, **kw):
        data = json.dumps(body) if body is not None else None
        return requests.request(method, self.url + path, data=data, timeout=30,
                                headers=dict({'Content-Type': 'application/json'}, **(headers or {})), **kw)

    def create(self, rtype, body, expect=200):
        resp = self.call('POST', '/%ss' % rtype, {rtype: body})
        assert resp.status_code == expect, resp.text
        if expect != 200:
            return resp
        self.created.append((rtype, resp.json()[rtype]['uuid']))
        return resp.json()[rtype]

    def read(self, rtype, obj_uuid, params=None):
        resp = self.call('GET', '/%s/%s' % (rtype, obj_uuid), params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()[rtype]

    def project(self):
        name = 'pt-%s' % uuid.uuid4().hex[:8]
        return self.create('project', {'fq_name': ['default-domain', name], 'parent_type': 'domain'})


def _start_dev_cluster(release, vhost):
    """An API server in this process on an ephemeral port, in a fresh cluster prefix."""
    cluster_id = 'devh2t%s' % uuid.uuid4().hex[:6]
    conf = api_server.read_conf([])
    conf.update(cassandra_server_list='127.0.0.1:9160', zk_server_ip='127.0.0.1:2181',
                rabbit_server='127.0.0.1', rabbit_vhost=vhost, cluster_id=cluster_id,
                listen_port='0', contrail_version=release)
    api = api_server.build(conf)
    api_server.create_default_objects(api)
    server = api_server.make_server(api, '127.0.0.1', 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        api.consumer.stop()
        api.notify.publisher.stop()
        with api.pool.conn() as db:
            db.drop_keyspaces()
        api.zk.delete('', recursive=True)
        api.zk.stop()
    url = 'http://127.0.0.1:%d' % server.server_address[1]
    return Cluster(url, release, cluster_id, '127.0.0.1', vhost, stop)


def _cluster(request, release):
    if DEV:
        cluster = _start_dev_cluster(release, {'3.2': 'v1', '4.0': 'v2'}[release])
        request.addfinalizer(cluster.stop)
        return cluster
    topology = request.getfixturevalue('lab').topology
    host, cluster_id = LAB_CLUSTERS[release]
    # The cluster's own RabbitMQ, ZooKeeper and config DB (v2 has its own unless shared).
    infra = topology.infra_of(next(n for n in topology.controllers if n.ip == host))
    cluster = Cluster('http://%s:8082' % host, release, cluster_id, infra.ip, cluster_id)
    request.addfinalizer(cluster.cleanup)
    return cluster


@pytest.fixture(scope='session')
def v1(request):
    return _cluster(request, '3.2')


@pytest.fixture(scope='session')
def v2(request):
    return _cluster(request, '4.0')


class Listener(object):
    """A temporary queue bound to vnc_config.object-update, to see what the API publishes."""

    def __init__(self, cluster):
        self.conn = pika.BlockingConnection(cluster.amqp_params())
        self.channel = self.conn.channel()
        self.queue = self.channel.queue_declare('', exclusive=True).method.queue
        self.channel.queue_bind(self.queue, 'vnc_config.object-update')

    def messages(self, count, timeout=10, uuids=None):
        """Up to ``count`` messages (only those about ``uuids`` when given: the lab is shared,
        other writers and the schema transformer publish on the same exchange)."""
        out, deadline = [], time.time() + timeout
        while len(out) < count and time.time() < deadline:
            method, props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            assert props.content_type == 'application/json'
            message = json.loads(body)
            if uuids is None or message.get('uuid') in uuids:
                out.append(message)
        return out

    def close(self):
        self.conn.close()


def _vn_body(project, name, **extra):
    body = {'fq_name': project['fq_name'] + [name], 'parent_type': 'project'}
    body.update(extra)
    return body


# ================================ unit tests (no services) ==================================
def test_prop_columns_use_vnc_cassandra_layout():
    cols = api_server.prop_columns('network_ipam', {
        'display_name': 'x', 'ipam_subnets': {'subnets': [{'subnet': {'ip_prefix': '10.0.0.0'}}, {'b': 1}]},
        'annotations': {'key_value_pair': [{'key': 'k1', 'value': 'v1'}]}})
    assert cols == {'prop:display_name': 'x',
                    'propl:ipam_subnets:0': {'subnet': {'ip_prefix': '10.0.0.0'}},
                    'propl:ipam_subnets:1': {'b': 1},
                    'propm:annotations:k1': {'key': 'k1', 'value': 'v1'}}


def test_render_rebuilds_wrappers_refs_and_children():
    row = {'fq_name': ['d', 'p', 'ipam'], 'type': 'network_ipam', 'parent_type': 'project',
           'parent:project:P': None, 'prop:display_name': 'ipam',
           'propl:ipam_subnets:10': {'n': 10}, 'propl:ipam_subnets:2': {'n': 2},
           'backref:virtual_network:V': {'attr': {'a': 1}, 'is_weakref': False},
           'ref:virtual_DNS:D': {'attr': None, 'is_weakref': False}, 'META:latest_col_ts': None}
    fq = {'V': ['d', 'p', 'vn'], 'D': ['d', 'dns']}
    obj = api_server.Renderer('http://h:8082').render('U', row, fq)
    assert obj['ipam_subnets'] == {'subnets': [{'n': 2}, {'n': 10}]}
    assert obj['parent_uuid'] == 'P' and obj['parent_href'] == 'http://h:8082/project/P'
    assert obj['virtual_DNS_refs'] == [{'to': ['d', 'dns'], 'uuid': 'D', 'attr': None,
                                        'href': 'http://h:8082/virtual-DNS/D'}]
    assert obj['virtual_network_back_refs'][0]['attr'] == {'a': 1}
    no_refs_href = api_server.Renderer('http://h:8082', ref_hrefs=False).render('U', row, fq, (), False, False)
    assert 'href' not in no_refs_href['virtual_DNS_refs'][0]
    assert 'virtual_network_back_refs' not in no_refs_href


def test_split_raw_row_splices_stored_json():
    members, row = api_server._split_raw_row({
        'prop:id_perms': '{"enable": true}', 'fq_name': '["a", "b"]', 'type': '"project"',
        'backref:x:1': '{}', 'META:latest_col_ts': 'null', 'parent:project:P': 'null'})
    assert json.loads('{%s}' % members) == {'id_perms': {'enable': True}}
    assert row == {'fq_name': ['a', 'b'], 'type': 'project', 'parent:project:P': None}


def test_filters_decode_json_values():
    assert api_server._filters('is_shared==true,name==x') == {'is_shared': [True], 'name': ['x']}
    assert api_server._matches({'prop:is_shared': True}, {'is_shared': [True]})
    assert not api_server._matches({}, {'is_shared': [True]})


def test_shared_index_columns():
    cols = api_server.shared_columns('U', {'global_access': 5, 'share': [
        {'tenant': 'ab-cd', 'tenant_access': 4}, {'tenant': 'domain:D', 'tenant_access': 7}]})
    assert cols == {'global::U': 5, 'tenant:abcd:U': 4, 'domain:D:U': 7}


def test_notifier_message_shapes_per_release():
    class Pub(object):
        max_pending = 10

        def __init__(self):
            self.sent = []

        def publish(self, message):
            self.sent.append(message)

        def pending_count(self):
            return 0
    pub = Pub()
    api_server.Notifier(pub, '3.2').create('req-1', 'virtual_network', 'U', ['d', 'p', 'v'], {'x': 1},
                                           ('project', ['d', 'p']))
    api_server.Notifier(pub, '3.2').update('req-2', 'virtual_network', 'U', ['d', 'p', 'v'])
    api_server.Notifier(pub, '4.0').update('req-3', 'virtual_network', 'U', ['d', 'p', 'v'])
    assert pub.sent[0] == {'request-id': 'req-1', 'oper': 'CREATE', 'type': 'virtual_network', 'uuid': 'U',
                           'imid': 'contrail:virtual-network:d:p:v', 'parent_imid': 'contrail:project:d:p',
                           'obj_dict': {'x': 1}}
    assert pub.sent[1] == {'oper': 'UPDATE', 'type': 'virtual_network', 'uuid': 'U'}
    assert pub.sent[2] == {'request-id': 'req-3', 'oper': 'UPDATE', 'type': 'virtual_network',
                           'uuid': 'U', 'fq_name': ['d', 'p', 'v']}


def test_default_objects_differ_by_release():
    def names(release):
        return [(t, ':'.join(f), e.get('routing_instance_is_default')) for t, f, e in
                api_server.default_objects(release)]
    v32, v40 = names('3.2'), names('4.0')
    fabric = 'default-domain:default-project:ip-fabric'
    assert ('routing-instance', fabric + ':__default__', True) in v32
    assert ('routing-instance', fabric + ':__default__', None) in v40
    assert ('routing-instance', fabric + ':ip-fabric', True) in v40
    assert any(n[1].endswith('__no_rule__') for n in v32)
    assert not any(n[1].endswith('__no_rule__') for n in v40)


def test_keystone_token_check():
    api = api_server.ApiServer({'auth': 'keystone', 'aaa_mode': 'cloud-admin',
                                'keystone_lab_tokens': 'tok1,tok2', 'keystone_auth_host': '10.0.0.5',
                                'keystone_auth_port': '35357'}, None, None, None)

    def req(path, token=None):
        headers = {'X-Auth-Token': token} if token else {}
        return api_server.Request('GET', path, {}, headers, None, 'http://h')
    api.check_auth(req('/'))
    api.check_auth(req('/virtual-networks', 'tok2'))
    with pytest.raises(api_server.HttpError) as err:
        api.check_auth(req('/virtual-networks', 'bad'))
    assert err.value.status == 401 and err.value.message == 'Authentication required'
    assert err.value.headers == {'WWW-Authenticate': "Keystone uri='http://10.0.0.5:35357'"}


# ================================ service tests =============================================


@pytest.mark.lab
def test_homepage_links(v1, v2):
    home = v1.call('GET', '/').json()
    assert home['href'] == v1.url
    links = [l['link'] for l in home['links']]
    assert links[0] == {'rel': 'documentation', 'href': v1.url + '/documentation/index.html',
                        'name': 'documentation', 'method': 'GET'}
    assert links[1]['rel'] == 'root'
    rels = [l['rel'] for l in links]
    assert rels.index('resource-base') > max(i for i, r in enumerate(rels) if r == 'collection')
    actions = dict((l['name'], (l['href'][len(v1.url):], l['method'])) for l in links if l['rel'] == 'action')
    assert actions['name-to-id'] == ('/fqname-to-id', 'POST')
    assert actions['id-to-name'] == ('/id-to-fqname', 'POST')
    assert actions['useragent-keyvalue'] == ('/useragent-kv', 'POST')
    assert actions['ref-update'] == ('/ref-update', 'POST')
    assert actions['prop-collection-get'] == ('/prop-collection-get', 'GET')
    assert 'ifmap-to-id' in actions
    collections = set(l['name'] for l in links if l['rel'] == 'collection')
    assert {'bgp-router', 'virtual-network', 'global-system-config', 'route-target'} <= collections
    v2_actions = [l['link']['name'] for l in v2.call('GET', '/').json()['links']]
    assert 'ifmap-to-id' not in v2_actions


@pytest.mark.lab
def test_startup_objects(v1, v2):
    def read_fq(cluster, rtype, fq_name):
        resp = cluster.call('POST', '/fqname-to-id', {'type': rtype, 'fq_name': fq_name})
        assert resp.status_code == 200, (rtype, fq_name, resp.text)
        return cluster.read(rtype, resp.json()['uuid'])
    gsc = read_fq(v1, 'global-system-config', ['default-global-system-config'])
    assert gsc['autonomous_system'] in (64512,) or isinstance(gsc['autonomous_system'], int)
    fabric = ['default-domain', 'default-project', 'ip-fabric']
    assert read_fq(v1, 'routing-instance', fabric + ['__default__'])['routing_instance_is_default'] is True
    assert read_fq(v1, 'security-group', ['default-domain', 'default-project', '__no_rule__'])['perms2']['global_access'] == 5
    assert read_fq(v1, 'network-ipam', IPAM)['perms2']['global_access'] == 5
    read_fq(v1, 'discovery-service-assignment', ['default-discovery-service-assignment'])
    read_fq(v1, 'global-qos-config', ['default-global-system-config', 'default-global-qos-config'])
    assert read_fq(v2, 'routing-instance', fabric + ['ip-fabric'])['routing_instance_is_default'] is True
    assert not read_fq(v2, 'routing-instance', fabric + ['__default__']).get('routing_instance_is_default')
    assert v2.call('POST', '/fqname-to-id', {'type': 'security-group', 'fq_name': fabric[:2] + ['__no_rule__']}).status_code == 404


@pytest.mark.lab
def test_create_read_and_storage_layout(v1):
    project = v1.project()
    vn = v1.create('virtual-network', _vn_body(project, 'vn1'))
    assert set(vn) == {'name', 'fq_name', 'uuid', 'href', 'parent_uuid', 'parent_href'}
    assert vn['parent_uuid'] == project['uuid'] and vn['href'] == '%s/virtual-network/%s' % (v1.url, vn['uuid'])
    obj = v1.read('virtual-network', vn['uuid'])
    assert obj['name'] == 'vn1' and obj['display_name'] == 'vn1' and obj['parent_type'] == 'project'
    assert obj['id_perms']['uuid']['uuid_mslong'] == uuid.UUID(vn['uuid']).int >> 64
    assert obj['id_perms']['created'] == obj['id_perms']['last_modified'] and 'Z' not in obj['id_perms']['created']
    assert obj['perms2']['owner'] == project['uuid'].replace('-', '')
    assert isinstance(obj['virtual_network_network_id'], int)
    db = v1.db()
    try:
        row = db.get_row('config_db_uuid', 'obj_uuid_table', vn['uuid'])
        assert row['type'] == 'virtual_network' and row['fq_name'] == project['fq_name'] + ['vn1']
        assert row['parent:project:%s' % project['uuid']] is None
        assert 'prop:virtual_network_network_id' in row and 'META:latest_col_ts' in row
        parent = db.get_row('config_db_uuid', 'obj_uuid_table', project['uuid'])
        assert 'children:virtual_network:%s' % vn['uuid'] in parent
        fq_col = '%s:%s' % (':'.join(obj['fq_name']), vn['uuid'])
        assert fq_col in db.get_row('config_db_uuid', 'obj_fq_name_table', 'virtual_network')
    finally:
        db.close()
    zkc = v1.zk()
    try:
        lock, _ = zkc.read('/fq-name-to-uuid/virtual_network:%s' % ':'.join(obj['fq_name']))
        assert lock == vn['uuid']
        index = obj['virtual_network_network_id'] - 1
        assert zkc.read('/id/virtual-networks/%010d' % index)[0] == ':'.join(obj['fq_name'])
    finally:
        zkc.stop()


@pytest.mark.lab
def test_create_errors(v1):
    project = v1.project()
    vn = v1.create('virtual-network', _vn_body(project, 'dup'))
    resp = v1.create('virtual-network', _vn_body(project, 'dup'), expect=409)
    assert resp.text == "%r already exists with uuid: %s" % (project['fq_name'] + ['dup'], vn['uuid'])
    assert v1.create('virtual-network', {'parent_type': 'project'}, expect=400).text == \
        'Bad Request, no fq_name in POST body'
    assert v1.create('virtual-network', _vn_body(project, 'a:b'), expect=400).text == \
        "Bad Request, name has one of invalid chars set([':'])"
    assert v1.create('virtual-network', _vn_body(project, 'x', parent_type='domain'), expect=400).text == \
        "Invalid parent type: domain. Allowed types: ['project']"
    missing = v1.create('virtual-network', {'fq_name': ['default-domain', 'nope', 'x'], 'parent_type': 'project'},
                        expect=400)
    assert missing.text == "Parent ['default-domain', 'nope'] type project does not exist"
    assert v1.create('virtual-network', _vn_body(project, 'u', uuid='xyz'), expect=400).text == 'Invalid UUID format: xyz'
    same_uuid = v1.create('virtual-network', _vn_body(project, 'other', uuid=vn['uuid']), expect=409)
    assert same_uuid.text.startswith('%s already exists with fq_name: ' % vn['uuid'])
    bad_ref = v1.create('virtual-network', _vn_body(project, 'r', network_ipam_refs=[{'to': ['no', 'such', 'ipam']}]),
                        expect=400)
    assert bad_ref.text.startswith('Unknown reference in resource create')
    assert v1.call('GET', '/no-such-things').text == "Resource type 'no-such-thing' not found"
    assert v1.create('route-target', {'fq_name': ['target:64512:%d' % (9000000 + os.getpid() % 1000)]})['uuid']


@pytest.mark.lab
def test_read_etag_fields_and_404(v1):
    project = v1.project()
    vn = v1.create('virtual-network', _vn_body(project, 'etag'))
    resp = v1.call('GET', '/virtual-network/%s' % vn['uuid'])
    etag = resp.headers['ETag']
    assert etag.strip('"') == resp.json()['virtual-network']['id_perms']['last_modified']
    again = v1.call('GET', '/virtual-network/%s' % vn['uuid'], headers={'If-None-Match': etag})
    assert again.status_code == 304
    proj = v1.read('project', project['uuid'])
    assert [c['uuid'] for c in proj['virtual_networks']] == [vn['uuid']]
    assert 'virtual_networks' not in v1.read('project', project['uuid'], {'exclude_children': 'true'})
    assert 'href' not in v1.read('project', project['uuid'], {'exclude_hrefs': 'true'})
    assert 'virtual_networks' in v1.read('project', project['uuid'], {'fields': 'virtual_networks'})
    unknown = str(uuid.uuid4())
    resp = v1.call('GET', '/virtual-network/%s' % unknown)
    assert (resp.status_code, resp.text) == (404, 'Unknown id: %s' % unknown)
    resp = v1.call('GET', '/project/%s' % vn['uuid'])
    assert (resp.status_code, resp.text) == (404, 'No project object found for id %s' % vn['uuid'])


@pytest.mark.lab
def test_partial_update_and_ref_replacement(v1):
    project = v1.project()
    ipam = v1.create('network-ipam', {'fq_name': project['fq_name'] + ['ipam1'], 'parent_type': 'project'})
    vn = v1.create('virtual-network', _vn_body(project, 'upd', router_external=True, network_ipam_refs=[
        {'to': IPAM, 'attr': {'ipam_subnets': []}}]))
    resp = v1.call('PUT', '/virtual-network/%s' % vn['uuid'], {'virtual-network': {
        'display_name': 'renamed', 'router_external': None,
        'network_ipam_refs': [{'to': ipam['fq_name'], 'attr': {'ipam_subnets': [{'subnet': {'ip_prefix': '10.9.0.0', 'ip_prefix_len': 24}}]}}]}})
    assert resp.status_code == 200 and resp.json() == {'virtual-network': {'uuid': vn['uuid'], 'href': vn['href']}}
    obj = v1.read('virtual-network', vn['uuid'])
    assert obj['display_name'] == 'renamed' and 'router_external' not in obj
    assert [r['uuid'] for r in obj['network_ipam_refs']] == [ipam['uuid']]
    assert obj['network_ipam_refs'][0]['attr']['ipam_subnets'][0]['subnet']['ip_prefix'] == '10.9.0.0'
    assert obj['id_perms']['last_modified'] > obj['id_perms']['created']
    assert v1.call('PUT', '/virtual-network/%s' % vn['uuid']).status_code == 200
    bad = v1.call('PUT', '/virtual-network/%s' % vn['uuid'], {'virtual-network': {'perms2': {'owner_access': 7}}})
    assert (bad.status_code, bad.text) == (400, 'owner in perms2 must be present')


@pytest.mark.lab
def test_delete_conflicts_and_relax(v1):
    project = v1.project()
    vn = v1.create('virtual-network', _vn_body(project, 'del'))
    resp = v1.call('DELETE', '/project/%s' % project['uuid'])
    assert resp.status_code == 409
    assert resp.text == "Delete when children still present: ['%s/virtual-network/%s']" % (v1.url, vn['uuid'])
    port = v1.create('virtual-machine-interface', {'fq_name': project['fq_name'] + ['port'], 'parent_type': 'project',
                                                   'virtual_network_refs': [{'to': vn['fq_name']}]})
    resp = v1.call('DELETE', '/virtual-network/%s' % vn['uuid'])
    assert (resp.status_code, resp.text) == (
        409, "Delete when resource still referred: ['%s/virtual-machine-interface/%s']" % (v1.url, port['uuid']))
    assert v1.call('POST', '/ref-relax-for-delete', {'uuid': port['uuid'], 'ref-uuid': vn['uuid']}).json() == \
        {'uuid': port['uuid']}
    assert v1.call('DELETE', '/virtual-network/%s' % vn['uuid']).status_code == 200
    assert v1.call('GET', '/virtual-network/%s' % vn['uuid']).status_code == 404
    assert 'virtual_network_refs' not in v1.read('virtual-machine-interface', port['uuid'])
    assert v1.call('DELETE', '/virtual-machine-interface/%s' % port['uuid']).status_code == 200
    assert v1.call('DELETE', '/project/%s' % project['uuid']).status_code == 200
    gone = v1.call('DELETE', '/project/%s' % project['uuid'])
    assert (gone.status_code, gone.text) == (404, 'ID %s does not exist' % project['uuid'])
    fabric = v1.call('POST', '/fqname-to-id', {'type': 'virtual-network',
                                               'fq_name': ['default-domain', 'default-project', 'ip-fabric']}).json()['uuid']
    resp = v1.call('DELETE', '/virtual-network/%s' % fabric)
    assert (resp.status_code, resp.text) == (409, 'Can not delete system created default virtual-network %s' % fabric)


@pytest.mark.lab
def test_list_variants(v1, v2):
    project = v1.project()
    vns = [v1.create('virtual-network', _vn_body(project, 'l%d' % i, is_shared=(i == 0),
                                                 network_ipam_refs=[{'to': IPAM, 'attr': None}]))
           for i in range(3)]
    ids = sorted(v['uuid'] for v in vns)
    brief = v1.call('GET', '/virtual-networks', params={'parent_id': project['uuid']}).json()['virtual-networks']
    assert sorted(e['uuid'] for e in brief) == ids and set(brief[0]) == {'href', 'fq_name', 'uuid'}
    count = v1.call('GET', '/virtual-networks', params={'parent_id': project['uuid'], 'count': 'true'}).json()
    assert count == {'virtual-networks': {'count': 3}}
    detail = v1.call('GET', '/virtual-networks', params={'obj_uuids': ','.join(ids), 'detail': 'true'}).json()
    objs = [e['virtual-network'] for e in detail['virtual-networks']]
    assert sorted(o['uuid'] for o in objs) == ids
    assert all('id_perms' in o and 'href' in o['network_ipam_refs'][0] for o in objs)
    shared = v1.call('GET', '/virtual-networks', params={'parent_id': project['uuid'], 'filters': 'is_shared==true'}).json()
    assert [e['uuid'] for e in shared['virtual-networks']] == [vns[0]['uuid']]
    fields = v1.call('GET', '/virtual-networks', params={'obj_uuids': ids[0], 'fields': 'display_name'}).json()
    assert fields['virtual-networks'][0]['display_name']
    ipam_id = v1.call('POST', '/fqname-to-id', {'type': 'network-ipam', 'fq_name': IPAM}).json()['uuid']
    by_ref = v1.call('GET', '/virtual-networks', params={'back_ref_id': ipam_id, 'parent_id': project['uuid']}).json()
    assert sorted(e['uuid'] for e in by_ref['virtual-networks']) == ids
    bulk = v1.call('POST', '/list-bulk-collection', {'type': 'virtual-network', 'obj_uuids': ','.join(ids),
                                                     'detail': True}).json()
    assert sorted(e['virtual-network']['uuid'] for e in bulk['virtual-networks']) == ids
    by_name = v1.call('GET', '/virtual-networks', params={'parent_fq_name_str': ':'.join(project['fq_name']),
                                                          'parent_type': 'project'}).json()
    assert sorted(e['uuid'] for e in by_name['virtual-networks']) == ids
    v2_project = v2.project()
    v2.create('virtual-network', _vn_body(v2_project, 'x', network_ipam_refs=[{'to': IPAM, 'attr': None}]))
    v2_detail = v2.call('GET', '/virtual-networks', params={'parent_id': v2_project['uuid'], 'detail': 'true'}).json()
    ref = v2_detail['virtual-networks'][0]['virtual-network']['network_ipam_refs'][0]
    assert 'href' not in ref and 'href' in v2_detail['virtual-networks'][0]['virtual-network']


@pytest.mark.lab
def test_name_id_and_ref_update_actions(v1):
    project = v1.project()
    vn = v1.create('virtual-network', _vn_body(project, 'act'))
    assert v1.call('POST', '/id-to-fqname', {'uuid': vn['uuid']}).json() == \
        {'fq_name': vn['fq_name'], 'type': 'virtual-network'}
    resp = v1.call('POST', '/fqname-to-id', {'type': 'virtual-network', 'fq_name': ['a', 'b']})
    assert (resp.status_code, resp.text) == (404, "Name ['a', 'b'] not found")
    missing = str(uuid.uuid4())
    resp = v1.call('POST', '/id-to-fqname', {'uuid': missing})
    assert (resp.status_code, resp.text) == (404, 'UUID %s not found' % missing)
    body = {'type': 'virtual-network', 'uuid': vn['uuid'], 'ref-type': 'network-ipam', 'ref-uuid': None,
            'ref-fq-name': IPAM, 'operation': 'add', 'attr': {'ipam_subnets': []}}
    assert v1.call('POST', '/ref-update', body).json() == {'uuid': vn['uuid']}
    assert v1.read('virtual-network', vn['uuid'])['network_ipam_refs'][0]['to'] == IPAM
    resp = v1.call('POST', '/ref-update', dict(body, operation='MOVE'))
    assert (resp.status_code, resp.text) == (400, 'Bad Request: operation should be add or delete: MOVE')
    resp = v1.call('POST', '/ref-update', dict(body, **{'ref-fq-name': None}))
    assert (resp.status_code, resp.text) == (400, 'Bad Request: ref-uuid or ref-fq-name must be specified')
    assert v1.call('POST', '/ref-update', dict(body, operation='DELETE')).status_code == 200
    assert 'network_ipam_refs' not in v1.read('virtual-network', vn['uuid'])


@pytest.mark.lab
def test_prop_collections_and_useragent_kv(v1):
    project = v1.project()
    port = v1.create('virtual-machine-interface', {'fq_name': project['fq_name'] + ['pc'], 'parent_type': 'project'})
    updates = [{'field': 'virtual_machine_interface_bindings', 'operation': 'set',
                'value': {'key': 'host_id', 'value': 'compute1'}},
               {'field': 'virtual_machine_interface_fat_flow_protocols', 'operation': 'add',
                'value': {'protocol': 'tcp', 'port': 80}, 'position': '0'}]
    assert v1.call('POST', '/prop-collection-update', {'uuid': port['uuid'], 'updates': updates}).status_code == 200
    got = v1.call('GET', '/prop-collection-get', params={
        'uuid': port['uuid'], 'fields': 'virtual_machine_interface_bindings'}).json()
    assert got == {'virtual_machine_interface_bindings': [[{'key': 'host_id', 'value': 'compute1'}, 'host_id']]}
    obj = v1.read('virtual-machine-interface', port['uuid'])
    assert obj['virtual_machine_interface_bindings'] == {'key_value_pair': [{'key': 'host_id', 'value': 'compute1'}]}
    resp = v1.call('POST', '/prop-collection-update', {'uuid': port['uuid'], 'updates': [
        {'field': 'display_name', 'operation': 'set', 'value': 'x'}]})
    assert (resp.status_code, resp.text) == (400, 'display_name neither "ListProperty" nor "MapProperty"')
    key = 'lab-test-%s' % uuid.uuid4().hex[:6]
    assert v1.call('POST', '/useragent-kv', {'operation': 'STORE', 'key': key, 'value': 'v1'}).status_code == 200
    assert v1.call('POST', '/useragent-kv', {'operation': 'RETRIEVE', 'key': key}).json() == {'value': 'v1'}
    assert v1.call('POST', '/useragent-kv', {'operation': 'DELETE', 'key': key}).status_code == 200
    resp = v1.call('POST', '/useragent-kv', {'operation': 'RETRIEVE', 'key': key})
    assert (resp.status_code, resp.text) == (404, 'Unknown User-Agent key %s' % key)


@pytest.mark.lab
def test_rabbitmq_notifications(v1, v2):
    listener = Listener(v1)
    try:
        project = v1.project()
        vn = v1.create('virtual-network', _vn_body(project, 'mq'))
        v1.call('PUT', '/virtual-network/%s' % vn['uuid'], {'virtual-network': {'display_name': 'mq2'}})
        v1.call('DELETE', '/virtual-network/%s' % vn['uuid'])
        msgs = listener.messages(4, uuids=(vn['uuid'], project['uuid']))
    finally:
        listener.close()
    opers = [(m['oper'], m['type']) for m in msgs]
    assert opers == [('CREATE', 'project'), ('CREATE', 'virtual_network'), ('UPDATE', 'virtual_network'),
                     ('DELETE', 'virtual_network')]
    create = msgs[1]
    assert create['imid'] == 'contrail:virtual-network:%s' % ':'.join(vn['fq_name'])
    assert create['parent_imid'] == 'contrail:project:%s' % ':'.join(project['fq_name'])
    assert create['obj_dict']['virtual_network_network_id'] and create['request-id']
    assert msgs[2] == {'oper': 'UPDATE', 'type': 'virtual_network', 'uuid': vn['uuid']}
    assert msgs[3]['obj_dict']['uuid'] == vn['uuid']
    listener = Listener(v2)
    try:
        project = v2.project()
        vn = v2.create('virtual-network', _vn_body(project, 'mq'))
        msgs = listener.messages(3, uuids=(vn['uuid'], project['uuid']))
    finally:
        listener.close()
    by_oper = dict((m['oper'], m) for m in msgs)
    assert by_oper['CREATE']['fq_name'] == vn['fq_name'] and 'imid' not in by_oper['CREATE']
    assert by_oper['UPDATE-IMPLICIT'] == {'request-id': by_oper['UPDATE-IMPLICIT']['request-id'],
                                          'oper': 'UPDATE-IMPLICIT', 'type': 'virtual_network',
                                          'uuid': project['uuid'], 'fq_name': project['fq_name']}


@pytest.mark.lab
def test_security_group_ids(v1):
    project = v1.project()
    sg = v1.create('security-group', {'fq_name': project['fq_name'] + ['sg'], 'parent_type': 'project'})
    sg_id = v1.read('security-group', sg['uuid'])['security_group_id']
    assert sg_id > 8000000
    zkc = v1.zk()
    try:
        assert zkc.read('/id/security-groups/id/%010d' % (sg_id - 8000000))[0] == ':'.join(sg['fq_name'])
        assert zkc.read('/id/security-groups/id/%010d' % 0)[0] == '__reserved__'
    finally:
        zkc.stop()
