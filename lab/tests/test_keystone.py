"""The lab's keystone (identity v3 and v2.0 password tokens) and the config API's token check
against it, on loopback."""
import threading
import time

import pytest
import requests

from contrail_sim import api_server, keystone


@pytest.fixture
def identity():
    """A keystone on a free loopback port: admin (role admin) and demo users; 2 s tokens."""
    service = keystone.Keystone({'admin': dict(password='contrail123', project='admin', role='admin'),
                                 'demo': dict(password='secret', project='demo', role='member')}, ttl=2)
    server = keystone.ThreadingHTTPServer(('127.0.0.1', 0), keystone.make_handler(service))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()


def v3_login(url, user, password, project):
    return requests.post(url + '/v3/auth/tokens', json={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'password': password, 'domain': {'name': 'Default'}}}},
        'scope': {'project': {'name': project, 'domain': {'name': 'Default'}}}}}, timeout=5)


def test_v3_and_v2_tokens_are_issued_validated_and_revoked(identity):
    resp = v3_login(identity, 'admin', 'contrail123', 'admin')
    assert resp.status_code == 201
    admin = resp.headers['X-Subject-Token']
    assert resp.json()['token']['project']['name'] == 'admin'
    assert resp.json()['token']['roles'] == [{'id': 'admin', 'name': 'admin'}]

    v2 = requests.post(identity + '/v2.0/tokens', json={'auth': {
        'tenantName': 'demo', 'passwordCredentials': {'username': 'demo', 'password': 'secret'}}},
        timeout=5)
    assert v2.status_code == 200
    demo = v2.json()['access']['token']['id']
    assert v2.json()['access']['token']['tenant']['name'] == 'demo'

    check = requests.get(identity + '/v3/auth/tokens', timeout=5,
                         headers={'X-Auth-Token': admin, 'X-Subject-Token': demo})
    assert check.status_code == 200 and check.json()['token']['user']['name'] == 'demo'
    assert requests.get(identity + '/v2.0/tokens/' + demo, headers={'X-Auth-Token': admin},
                        timeout=5).status_code == 200
    # only an admin may validate
    assert requests.get(identity + '/v2.0/tokens/' + admin, headers={'X-Auth-Token': demo},
                        timeout=5).status_code == 401
    assert requests.delete(identity + '/v3/auth/tokens', timeout=5,
                           headers={'X-Auth-Token': admin, 'X-Subject-Token': demo}).status_code == 204
    assert requests.get(identity + '/v2.0/tokens/' + demo, headers={'X-Auth-Token': admin},
                        timeout=5).status_code == 404


def test_bad_credentials_get_keystones_401(identity):
    resp = v3_login(identity, 'admin', 'wrong', 'admin')
    assert resp.status_code == 401
    assert resp.json()['error']['message'] == keystone.UNAUTHORIZED
    assert v3_login(identity, 'demo', 'secret', 'admin').status_code == 401      # not its project
    assert requests.post(identity + '/v2.0/tokens', json={'auth': {}}, timeout=5).status_code == 400


@pytest.mark.parametrize('version', ['/v2.0', '/v3', ''])
def test_config_api_accepts_valid_tokens_only(identity, version):
    api = api_server.ApiServer({'auth': 'keystone', 'aaa_mode': 'cloud-admin',
                                'keystone_auth_url': identity + version,
                                'keystone_admin_user': 'admin', 'keystone_admin_password': 'contrail123',
                                'keystone_admin_tenant_name': 'admin'}, None, None, None)

    def check(token):
        api.check_auth(api_server.Request('GET', '/virtual-networks', {},
                                          {'X-Auth-Token': token} if token else {}, None, 'http://h'))

    demo = v3_login(identity, 'demo', 'secret', 'demo').headers['X-Subject-Token']
    check(demo)
    check(demo)                                       # cached until it expires
    for bad in (None, 'not-a-token'):
        with pytest.raises(api_server.HttpError) as err:
            check(bad)
        assert err.value.status == 401 and err.value.message == 'Authentication required'
        assert err.value.headers == {'WWW-Authenticate': "Keystone uri='%s'" % (identity + version)}
    time.sleep(2.1)                                   # the 2 s token has expired
    with pytest.raises(api_server.HttpError):
        check(demo)


@pytest.fixture
def lab_certs(tmp_path):
    """A CA and a server certificate for 127.0.0.1, made with openssl as labctl makes the lab's."""
    import subprocess
    (tmp_path / 'san.cnf').write_text('subjectAltName=IP:127.0.0.1\n')
    for cmd in (['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test CA',
                 '-keyout', 'ca.key', '-out', 'ca.pem'],
                ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test', '-keyout', 'server.key',
                 '-out', 'server.csr'],
                ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
                 '-days', '1', '-out', 'server.pem', '-extfile', 'san.cnf']):
        subprocess.run(['openssl'] + cmd, cwd=str(tmp_path), check=True, capture_output=True)
    return tmp_path


def test_a_daemons_rest_client_uses_https_and_logs_in_again_when_its_token_expires(identity, lab_certs):
    """VncRest (the schema transformer's and provisioning's client) against an HTTPS service that
    checks tokens as the API server does: the CA verifies the server, a 401 after the token
    expired (2 s) makes it log in again once, a client without the CA is refused."""
    import http.server
    import urllib.error

    from contrail_sim import provision, tls

    validator = keystone.TokenValidator(identity, 'admin', 'contrail123', 'admin')
    logins = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            ok = validator.valid(self.headers.get('X-Auth-Token', ''))
            self.send_response(200 if ok else 401)
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if ok else b'')

    server = tls.wrap_server(http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler),
                             str(lab_certs / 'server.pem'), str(lab_certs / 'server.key'))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = keystone.TokenSource(identity, 'admin', 'contrail123', 'admin')
        real_login = source._login
        source._login = lambda: logins.append(1) or real_login()
        address = '127.0.0.1:%d' % server.server_address[1]
        client = provision.VncRest(address, use_ssl=True, cafile=str(lab_certs / 'ca.pem'), keystone=source)
        assert client.request('GET', '/') == {'ok': True} and len(logins) == 1
        time.sleep(2.2)                                     # the token expires
        assert client.request('GET', '/') == {'ok': True} and len(logins) == 2
        with pytest.raises(urllib.error.URLError, match='CERTIFICATE_VERIFY_FAILED'):
            provision.VncRest(address, use_ssl=True, keystone=source).request('GET', '/')
        with pytest.raises(provision.RestError, match='401'):
            provision.VncRest(address, use_ssl=True, cafile=str(lab_certs / 'ca.pem')).request('GET', '/')
    finally:
        server.shutdown()
