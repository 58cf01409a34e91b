# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config API client against a loopback stub speaking the 3.2/4.0 wire format."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import (
    api_connection_argument_spec,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import (
    KeystoneAuth, VncClient, VncError,
)

RI = ['default-domain', 'default-project', 'ip-fabric', '__default__']


def ok(body):
    return 200, {'Content-Type': 'application/json'}, json.dumps(body)


def text(status, message):
    return status, {'Content-Type': 'text/html; charset=UTF-8'}, message


def client_for(stub, **kwargs):
    kwargs.setdefault('sleep', lambda seconds: None)
    return VncClient('127.0.0.1', stub.port, **kwargs)


def query_of(path):
    return dict((k, v[0]) for k, v in parse_qs(urlsplit(path).query).items())


def test_list_detail_unwraps_and_sends_parameters(http_stub):
    http_stub.handler = lambda *args: ok({'bgp-routers': [
        {'bgp-router': {'uuid': 'u1', 'fq_name': RI + ['ctrl1']}}]})
    routers = client_for(http_stub).list('bgp_router', detail=True, fields=['a', 'b'],
                                         parent_id=['p1', 'p2'], filters={'name': 'ctrl1'})
    assert routers == [{'uuid': 'u1', 'fq_name': RI + ['ctrl1']}]
    method, path, headers, _body = http_stub.requests[0]
    assert (method, urlsplit(path).path) == ('GET', '/bgp-routers')
    assert query_of(path) == dict(detail='true', fields='a,b', parent_id='p1,p2',
                                  filters='name==ctrl1')
    assert headers['Content-Type'] == 'application/json; charset="UTF-8"'
    assert 'X-Auth-Token' not in headers


def test_list_without_hrefs_asks_the_server_not_to_render_them(http_stub):
    http_stub.handler = lambda *args: ok({'virtual-networks': []})
    client = client_for(http_stub)
    assert client.list('virtual_network', detail=True, exclude_hrefs=True) == []
    assert query_of(http_stub.requests[0][1]) == dict(detail='true', exclude_hrefs='true')
    client.list_bulk('virtual_network', obj_uuids=['u1'], exclude_hrefs=True)
    assert http_stub.requests[1][3] == {'type': 'virtual-network', 'obj_uuids': 'u1',
                                        'exclude_hrefs': True}


def test_list_plain_and_count(http_stub):
    answers = iter([ok({'virtual-networks': [{'uuid': 'u', 'fq_name': ['a'], 'href': 'h'}]}),
                    ok({'virtual-networks': {'count': 7}})])
    http_stub.handler = lambda *args: next(answers)
    client = client_for(http_stub)
    assert client.list('virtual-network') == [{'uuid': 'u', 'fq_name': ['a'], 'href': 'h'}]
    assert client.list('virtual_network', count=True) == 7
    assert query_of(http_stub.requests[1][1]) == dict(count='true')


def test_list_bulk_posts_the_parameters_as_json(http_stub):
    http_stub.handler = lambda *args: ok({'virtual-networks': [
        {'virtual-network': {'uuid': 'u1'}}]})
    assert client_for(http_stub).list_bulk('virtual_network', detail=True,
                                           obj_uuids=['u1', 'u2']) == [{'uuid': 'u1'}]
    method, path, _headers, body = http_stub.requests[0]
    assert (method, path) == ('POST', '/list-bulk-collection')
    assert body == {'type': 'virtual-network', 'detail': True, 'obj_uuids': 'u1,u2'}


def test_crud_and_actions(http_stub):
    def handler(method, path, headers, body):
        routes = {
            ('POST', '/bgp-routers'): {'bgp-router': {'uuid': 'new', 'href': 'h'}},
            ('GET', '/bgp-router/new'): {'bgp-router': {'uuid': 'new', 'name': 'ctrl1'}},
            ('PUT', '/bgp-router/new'): {'bgp-router': {'uuid': 'new', 'href': 'h'}},
            ('POST', '/ref-update'): {'uuid': 'new'},
            ('POST', '/id-to-fqname'): {'fq_name': RI + ['ctrl1'], 'type': 'bgp-router'},
            ('GET', '/'): {'href': 'x', 'links': []},
        }
        key = (method, urlsplit(path).path)
        if key == ('DELETE', '/bgp-router/new'):
            return 200, {}, ''
        if key == ('POST', '/fqname-to-id'):
            return ok({'uuid': 'new'}) if body['fq_name'][-1] == 'ctrl1' else text(
                404, "Name %r not found" % body['fq_name'])
        return ok(routes[key])

    http_stub.handler = handler
    client = client_for(http_stub)
    assert client.create('bgp_router', {'fq_name': RI + ['ctrl1'], 'parent_type':
                                        'routing-instance'}) == 'new'
    assert http_stub.requests[-1][3] == {'bgp-router': {
        'fq_name': RI + ['ctrl1'], 'parent_type': 'routing-instance'}}
    assert client.read('bgp-router', 'new', exclude_back_refs=True) == {
        'uuid': 'new', 'name': 'ctrl1'}
    assert query_of(http_stub.requests[-1][1]) == {'exclude_back_refs': 'true'}
    client.update('bgp_router', 'new', {'display_name': 'x'})
    assert http_stub.requests[-1][3] == {'bgp-router': {'display_name': 'x'}}
    assert client.fqname_to_id('bgp-router', RI + ['ctrl1']) == 'new'
    assert client.fqname_to_id('bgp-router', RI + ['ctrl9']) is None
    assert client.read_fq_name('bgp-router', RI + ['ctrl9']) is None
    assert client.ref_update('bgp_router', 'new', 'bgp_router', ref_fq_name=RI + ['ctrl2'],
                             operation='add', attr={'session': []}) == 'new'
    assert http_stub.requests[-1][3] == {
        'type': 'bgp-router', 'uuid': 'new', 'ref-type': 'bgp-router', 'ref-uuid': None,
        'ref-fq-name': RI + ['ctrl2'], 'operation': 'ADD', 'attr': {'session': []}}
    assert client.id_to_fqname('new')['type'] == 'bgp-router'
    client.delete('bgp_router', 'new')
    assert client.homepage() == {'href': 'x', 'links': []}


def test_errors_carry_status_and_server_text(http_stub):
    http_stub.handler = lambda *args: text(
        409, "Delete when resource still referred: ['http://x/bgp-router/u2']")
    with pytest.raises(VncError) as info:
        client_for(http_stub).delete('bgp-router', 'u1')
    assert info.value.status == 409
    assert 'DELETE http://127.0.0.1:%d/bgp-router/u1: HTTP 409: Delete when resource ' \
        'still referred' % http_stub.port in str(info.value)
    assert len(http_stub.requests) == 1


def test_502_503_are_retried_with_backoff_but_500_is_not(http_stub):
    answers = iter([text(503, 'busy'), text(502, 'proxy'), ok({'href': 'x'})])
    http_stub.handler = lambda *args: next(answers)
    pauses = []
    assert client_for(http_stub, sleep=pauses.append, retries=3).homepage() == {'href': 'x'}
    assert pauses == [0.5, 1.0]

    http_stub.handler = lambda *args: text(500, 'Traceback ...')
    with pytest.raises(VncError) as info:
        client_for(http_stub).homepage()
    assert info.value.status == 500
    assert len(http_stub.requests) == 4

    http_stub.handler = lambda *args: text(503, 'still busy')
    with pytest.raises(VncError, match='HTTP 503: still busy'):
        client_for(http_stub, retries=2).homepage()
    assert len(http_stub.requests) == 7


def test_connection_refused_is_retried_then_reported(http_stub):
    port = http_stub.port
    http_stub.close()
    pauses = []
    client = VncClient('127.0.0.1', port, retries=2, sleep=pauses.append, timeout=2)
    with pytest.raises(VncError, match='cannot connect') as info:
        client.homepage()
    assert info.value.status is None
    assert pauses == [0.5, 1.0]


def test_tls_failure_is_not_retried(http_stub):
    pauses = []
    client = VncClient('127.0.0.1', http_stub.port, use_ssl=True, retries=3,
                       sleep=pauses.append, timeout=2)
    with pytest.raises(VncError, match='TLS failure'):
        client.homepage()
    assert pauses == []


def scripted(*answers):
    """A handler giving these answers in turn (None drops the connection)."""
    answers = iter(answers)
    return lambda *args: next(answers)


def test_a_write_is_not_replayed_once_it_may_have_reached_the_server(http_stub):
    http_stub.handler = scripted(None, ok({'virtual-network': {'uuid': 'u1'}}))
    with pytest.raises(VncError, match='may have applied'):
        client_for(http_stub).create('virtual_network', {'fq_name': ['d', 'p', 'vn']})
    assert [r[0] for r in http_stub.requests] == ['POST']


def test_reads_and_read_only_posts_are_replayed_after_a_dropped_connection(http_stub):
    http_stub.handler = scripted(None, ok({'links': []}), None, ok({'uuid': 'u1'}))
    client = client_for(http_stub)
    assert client.homepage() == {'links': []}
    assert client.fqname_to_id('virtual_network', ['d', 'p', 'vn']) == 'u1'
    assert [r[0] for r in http_stub.requests] == ['GET', 'GET', 'POST', 'POST']


def test_a_refused_write_is_retried(http_stub):
    port = http_stub.port
    http_stub.close()
    pauses = []
    client = VncClient('127.0.0.1', port, retries=1, sleep=pauses.append, timeout=2)
    with pytest.raises(VncError, match='cannot connect'):
        client.delete('virtual_network', 'u1')
    assert pauses == [0.5]


def test_an_answer_that_is_not_json_is_a_clear_error(http_stub):
    http_stub.handler = lambda *args: (200, {'Content-Type': 'text/html'}, '<html>intro</html>')
    with pytest.raises(VncError, match='not JSON .is http://127.0.0.1:%d the config API'
                       % http_stub.port):
        client_for(http_stub).homepage()


def test_an_unreadable_ca_cert_is_reported_on_the_first_call(http_stub, tmp_path):
    client = client_for(http_stub, use_ssl=True, ca_cert=str(tmp_path / 'missing.pem'))
    with pytest.raises(VncError, match='ca_cert .*missing.pem cannot be loaded'):
        client.homepage()
    assert http_stub.requests == []


def test_keystone_answer_without_a_token_is_a_clear_error(http_stub):
    http_stub.handler = lambda *args: (201, {}, '{}')
    auth = KeystoneAuth('http://127.0.0.1:%d/v3' % http_stub.port, 'admin', 'pw', 'admin')
    with pytest.raises(VncError, match='without X-Subject-Token'):
        client_for(http_stub, auth=auth).homepage()


def keystone_v3_handler(tokens, api_answers):
    """Keystone v3 issuing tokens from ``tokens``; the API answers with ``api_answers``."""
    def handler(method, path, headers, body):
        if path == '/v3/auth/tokens':
            return 201, {'X-Subject-Token': next(tokens)}, json.dumps({'token': {}})
        return next(api_answers)(headers)
    return handler


def test_keystone_v3_token_and_one_reauth_on_401(http_stub):
    api = iter([lambda h: ok({'href': h['X-Auth-Token']}),
                lambda h: text(401, 'Authentication required'),
                lambda h: ok({'href': h['X-Auth-Token']})])
    http_stub.handler = keystone_v3_handler(iter(['tok1', 'tok2']), api)
    auth = KeystoneAuth('http://127.0.0.1:%d/v3' % http_stub.port, 'admin', 's3cret', 'admin')
    client = client_for(http_stub, auth=auth)
    assert client.homepage() == {'href': 'tok1'}
    assert client.homepage() == {'href': 'tok2'}
    token_request = http_stub.requests[0][3]
    assert token_request['auth']['identity']['password']['user'] == {
        'name': 'admin', 'password': 's3cret', 'domain': {'name': 'Default'}}
    assert token_request['auth']['scope']['project']['name'] == 'admin'


def test_keystone_rejects_twice_then_error(http_stub):
    api = iter([lambda h: text(401, 'Authentication required')] * 2)
    http_stub.handler = keystone_v3_handler(iter(['a', 'b']), api)
    auth = KeystoneAuth('http://127.0.0.1:%d' % http_stub.port, 'admin', 'pw', 'admin')
    with pytest.raises(VncError, match='HTTP 401: Authentication required'):
        client_for(http_stub, auth=auth).homepage()


def test_keystone_v2_and_bad_credentials(http_stub):
    def handler(method, path, headers, body):
        if path == '/v2.0/tokens':
            if body['auth']['passwordCredentials']['password'] != 'good':
                return text(401, 'The request you have made requires authentication.')
            return ok({'access': {'token': {'id': 'v2tok'}}})
        return ok({'token': headers.get('X-Auth-Token')})

    http_stub.handler = handler
    url = 'http://127.0.0.1:%d/v2.0' % http_stub.port
    good = client_for(http_stub, auth=KeystoneAuth(url, 'admin', 'good', 'admin'))
    assert good.homepage() == {'token': 'v2tok'}
    bad = client_for(http_stub, auth=KeystoneAuth(url, 'admin', 'bad', 'admin'))
    with pytest.raises(VncError, match='keystone authentication failed') as info:
        bad.homepage()
    assert info.value.status == 401


def test_from_params_uses_the_shared_argument_spec():
    params = dict((k, v.get('default')) for k, v in api_connection_argument_spec().items())
    params.update(api_server_host='10.99.0.11', auth_type='keystone', username='u',
                  password='p', keystone_auth_url='http://ks:5000/v3',
                  api_server_use_ssl=True, api_server_port=8443)
    client = VncClient.from_params(params)
    assert client.base_url == 'https://10.99.0.11:8443'
    assert client.auth.token_request()[0] == 'http://ks:5000/v3/auth/tokens'
    assert api_connection_argument_spec()['password']['no_log'] is True
