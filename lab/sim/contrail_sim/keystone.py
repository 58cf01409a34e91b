"""Keystone of the lab: password tokens over the identity v3 and v2.0 wire formats.

Enough of Keystone for the clients of a Contrail cluster (the collection's config API client,
the API server's auth_token check) to authenticate the way they do against a real one::

    POST /v3/auth/tokens    {"auth": {"identity": {"methods": ["password"], "password": {"user":
                             {"name": u, "domain": {"name": d}, "password": p}}},
                             "scope": {"project": {"name": t, "domain": {"name": d}}}}}
        -> 201, header X-Subject-Token, {"token": {"expires_at", "user", "project", "roles", ...}}
    GET  /v3/auth/tokens    X-Auth-Token (admin) + X-Subject-Token -> 200 {"token": ...} | 404
    DELETE /v3/auth/tokens  X-Auth-Token (admin) + X-Subject-Token -> 204 (revoked)
    POST /v2.0/tokens       {"auth": {"tenantName": t, "passwordCredentials": {"username": u,
                             "password": p}}} -> 200 {"access": {"token": {"id", "expires",
                             "tenant"}, "user", "serviceCatalog"}}
    GET  /v2.0/tokens/<id>  X-Auth-Token (admin) -> 200 {"access": ...} | 404

Bad credentials get 401 with Keystone's error body. Users are given on the command line as
``name:password:project[:role]`` (domain ``Default``); tokens live in memory for --token-ttl::

    python3 -m contrail_sim.keystone --listen 0.0.0.0:5000 --listen 0.0.0.0:35357 \\
        --user admin:contrail123:admin:admin
"""
import argparse
import datetime
import json
import logging
import sys
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger('keystone')
DOMAIN = {'id': 'default', 'name': 'Default'}
UNAUTHORIZED = 'The request you have made requires authentication.'


class Keystone(object):
    """Users and issued tokens; every method returns (status, body or None, headers)."""

    def __init__(self, users, ttl):
        self.users = users                    # {name: {'password', 'project', 'role'}}
        self.ttl = ttl
        self.tokens = {}                      # {id: {'user', 'project', 'role', 'expires'}}
        self.lock = threading.Lock()

    # -- issue ---------------------------------------------------------------------------
    def _issue(self, name, password, project):
        user = self.users.get(name)
        if user is None or user['password'] != password or \
                (project is not None and project != user['project']):
            return None
        token = dict(user=name, project=user['project'], role=user['role'],
                     expires=_now() + datetime.timedelta(seconds=self.ttl), issued=_now())
        token_id = uuid.uuid4().hex
        with self.lock:
            self.tokens[token_id] = token
        LOG.info('token issued to %s (project %s)', name, token['project'])
        return token_id, token

    def issue_v3(self, body):
        try:
            identity = body['auth']['identity']
            user = identity['password']['user']
            scope = (body['auth'].get('scope') or {}).get('project') or {}
            name, password = user['name'], user['password']
        except (KeyError, TypeError):
            return _error(400, 'Expecting to find identity/password/user in auth.', 'Bad Request')
        if 'password' not in identity.get('methods', []):
            return _unauthorized()
        issued = self._issue(name, password, scope.get('name'))
        if issued is None:
            return _unauthorized()
        token_id, token = issued
        return 201, {'token': self._v3_body(token)}, {'X-Subject-Token': token_id}

    def issue_v2(self, body):
        try:
            auth = body['auth']
            creds = auth['passwordCredentials']
            name, password = creds['username'], creds['password']
        except (KeyError, TypeError):
            return _error(400, 'Expecting to find passwordCredentials in auth.', 'Bad Request')
        issued = self._issue(name, password, auth.get('tenantName'))
        if issued is None:
            return _unauthorized()
        return 200, {'access': self._v2_body(*issued)}, {}

    # -- validate ------------------------------------------------------------------------
    def valid(self, token_id):
        with self.lock:
            token = self.tokens.get(token_id or '')
            if token is not None and token['expires'] <= _now():
                del self.tokens[token_id]
                token = None
        return token

    def _admin(self, headers):
        token = self.valid(headers.get('X-Auth-Token'))
        return token is not None and token['role'] == 'admin'

    def validate_v3(self, headers):
        if not self._admin(headers):
            return _unauthorized()
        token = self.valid(headers.get('X-Subject-Token'))
        if token is None:
            return _error(404, 'Could not find token: %s.' % headers.get('X-Subject-Token'),
                          'Not Found')
        return 200, {'token': self._v3_body(token)}, {'X-Subject-Token': headers['X-Subject-Token']}

    def revoke_v3(self, headers):
        if not self._admin(headers):
            return _unauthorized()
        with self.lock:
            gone = self.tokens.pop(headers.get('X-Subject-Token') or '', None)
        if gone is None:
            return _error(404, 'Could not find token.', 'Not Found')
        return 204, None, {}

    def validate_v2(self, headers, token_id):
        if not self._admin(headers):
            return _unauthorized()
        token = self.valid(token_id)
        if token is None:
            return _error(404, 'Could not find token: %s.' % token_id, 'Not Found')
        return 200, {'access': self._v2_body(token_id, token)}, {}

    # -- bodies --------------------------------------------------------------------------
    @staticmethod
    def _v3_body(token):
        return {'methods': ['password'], 'expires_at': _stamp(token['expires']),
                'issued_at': _stamp(token['issued']),
                'user': {'id': token['user'], 'name': token['user'], 'domain': DOMAIN},
                'project': {'id': token['project'], 'name': token['project'], 'domain': DOMAIN},
                'roles': [{'id': token['role'], 'name': token['role']}], 'catalog': []}

    @staticmethod
    def _v2_body(token_id, token):
        tenant = {'id': token['project'], 'name': token['project'], 'enabled': True}
        return {'token': {'id': token_id, 'expires': _stamp(token['expires']),
                          'issued_at': _stamp(token['issued']), 'tenant': tenant},
                'user': {'id': token['user'], 'name': token['user'], 'username': token['user'],
                         'roles': [{'name': token['role']}]},
                'serviceCatalog': [], 'metadata': {'is_admin': int(token['role'] == 'admin')}}


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _stamp(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _error(code, message, title):
    return code, {'error': {'code': code, 'message': message, 'title': title}}, {}


def _unauthorized():
    return _error(401, UNAUTHORIZED, 'Unauthorized')


class TokenSource(object):
    """The client side: a token for a service's credentials (``[KEYSTONE]`` admin_user & co), got
    from ``auth_url`` (v2.0 or v3, by the URL) and kept until refreshed (after a 401)."""

    def __init__(self, auth_url, user, password, tenant, timeout=5):
        self.auth_url = auth_url.rstrip('/')
        self.v2 = self.auth_url.endswith('/v2.0')
        if not self.v2 and not self.auth_url.endswith('/v3'):
            self.auth_url += '/v3'
        self.user, self.password, self.tenant = user, password, tenant
        self.timeout = timeout
        self._token = None
        self.lock = threading.Lock()

    def _call(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode('utf-8')
        req = urllib.request.Request(self.auth_url + path, data=data, method=method,
                                     headers=dict(headers or {}, **{'Content-Type': 'application/json'}))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.headers, json.loads(resp.read().decode('utf-8') or 'null')
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, None

    def _login(self):
        if self.v2:
            status, _headers, body = self._call('POST', '/tokens', {'auth': {
                'tenantName': self.tenant,
                'passwordCredentials': {'username': self.user, 'password': self.password}}})
            return body['access']['token']['id'] if status == 200 else None
        status, headers, _body = self._call('POST', '/auth/tokens', {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.user, 'password': self.password, 'domain': {'name': 'Default'}}}},
            'scope': {'project': {'name': self.tenant, 'domain': {'name': 'Default'}}}}})
        return headers.get('X-Subject-Token') if status == 201 else None

    def token(self, refresh=False):
        """The current token (None when keystone refuses the credentials)."""
        with self.lock:
            if refresh or self._token is None:
                self._token = self._login()
            return self._token

    @classmethod
    def from_conf(cls, conf, prefix='keystone_'):
        """From a daemon's ``[KEYSTONE]`` keys (auth_url, or auth_protocol/host/port; admin_user,
        admin_password, admin_tenant_name), else None when it has no credentials."""
        if not conf.get(prefix + 'admin_user'):
            return None
        url = conf.get(prefix + 'auth_url') or '%s://%s:%s/v2.0' % (
            conf.get(prefix + 'auth_protocol', 'http'), conf.get(prefix + 'auth_host', '127.0.0.1'),
            conf.get(prefix + 'auth_port', '35357'))
        return cls(url, conf[prefix + 'admin_user'], conf.get(prefix + 'admin_password', ''),
                   conf.get(prefix + 'admin_tenant_name', 'admin'))


class TokenValidator(TokenSource):
    """The service side (keystone's auth_token middleware): is a caller's token valid?

    Gets an admin token with the service's credentials, then asks keystone about each new
    caller token; valid ones are cached until they expire, unknown ones are asked about again
    next time.
    """

    def __init__(self, auth_url, user, password, tenant, timeout=5):
        TokenSource.__init__(self, auth_url, user, password, tenant, timeout)
        self.cache = {}

    def _ask(self, token):
        """Keystone's answer about ``token``: its expiry (datetime) or None; retries a stale
        admin token once."""
        for attempt in (1, 2):
            admin_token = self.token(refresh=attempt == 2)
            if admin_token is None:
                LOG.warning('cannot get an admin token from %s as %s', self.auth_url, self.user)
                return None
            if self.v2:
                status, _h, body = self._call('GET', '/tokens/%s' % token,
                                              headers={'X-Auth-Token': admin_token})
                expires = body['access']['token']['expires'] if status == 200 else None
            else:
                status, _h, body = self._call('GET', '/auth/tokens', headers={
                    'X-Auth-Token': admin_token, 'X-Subject-Token': token})
                expires = body['token']['expires_at'] if status == 200 else None
            if status == 401:
                continue
            return _parse_stamp(expires) if expires else None
        return None

    def valid(self, token):
        try:
            with self.lock:
                expires = self.cache.get(token)
            if expires is None or expires <= _now():
                expires = self._ask(token)
                with self.lock:
                    if expires is None:
                        self.cache.pop(token, None)
                    else:
                        self.cache[token] = expires
            return expires is not None and expires > _now()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            LOG.warning('token validation against %s failed: %s', self.auth_url, exc)
            return False


def _parse_stamp(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc)


def make_handler(keystone):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, fmt, *args):
            LOG.debug(fmt, *args)

        def _body(self):
            length = int(self.headers.get('Content-Length') or 0)
            try:
                return json.loads(self.rfile.read(length).decode('utf-8') or 'null')
            except ValueError:
                return None

        def _send(self, status, body, headers):
            data = b'' if body is None else json.dumps(body).encode('utf-8')
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if body is not None:
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.send_header('Vary', 'X-Auth-Token')
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 (http.server's naming)
            path = self.path.split('?')[0].rstrip('/')
            if path == '/v3/auth/tokens':
                return self._send(*keystone.issue_v3(self._body()))
            if path == '/v2.0/tokens':
                return self._send(*keystone.issue_v2(self._body()))
            return self._send(*_error(404, 'The resource could not be found.', 'Not Found'))

        def do_GET(self):  # noqa: N802
            path = self.path.split('?')[0].rstrip('/')
            if path == '/v3/auth/tokens':
                return self._send(*keystone.validate_v3(self.headers))
            if path.startswith('/v2.0/tokens/'):
                return self._send(*keystone.validate_v2(self.headers, path.rsplit('/', 1)[1]))
            if path in ('', '/v3', '/v2.0'):
                versions = [{'id': 'v3.0', 'status': 'stable'}, {'id': 'v2.0', 'status': 'stable'}]
                return self._send(300 if path == '' else 200, {'versions': {'values': versions}}, {})
            return self._send(*_error(404, 'The resource could not be found.', 'Not Found'))

        def do_DELETE(self):  # noqa: N802
            if self.path.split('?')[0].rstrip('/') == '/v3/auth/tokens':
                return self._send(*keystone.revoke_v3(self.headers))
            return self._send(*_error(404, 'The resource could not be found.', 'Not Found'))

    return Handler


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--listen', action='append', default=[],
                        help='address:port to serve on (repeat: 5000 and 35357)')
    parser.add_argument('--user', action='append', default=[],
                        help='name:password:project[:role] (role default: member)')
    parser.add_argument('--token-ttl', type=int, default=3600, help='seconds a token lives')
    args = parser.parse_args(argv)
    users = {}
    for item in args.user:
        parts = item.split(':')
        if len(parts) not in (3, 4):
            parser.error('--user takes name:password:project[:role], not %r' % item)
        users[parts[0]] = dict(password=parts[1], project=parts[2],
                               role=parts[3] if len(parts) == 4 else 'member')
    return args, users


def main(argv=None):
    args, users = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s keystone %(levelname)s %(message)s')
    keystone = Keystone(users, args.token_ttl)
    servers = []
    for listen in args.listen or ['0.0.0.0:5000']:
        host, _sep, port = listen.rpartition(':')
        server = ThreadingHTTPServer((host or '0.0.0.0', int(port)), make_handler(keystone))
        server.daemon_threads = True
        servers.append(server)
        LOG.info('keystone listening on %s:%s', host, port)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
