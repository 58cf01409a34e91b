# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client of the Contrail config API (VNC REST, port 8082) in the collection.

It speaks the 3.2 / 4.0 wire format directly (no vnc_api at runtime):

* success is HTTP 200 with a JSON body; errors carry the server's message as plain text;
* URLs use the hyphen form of a type (``bgp-router``), bodies are wrapped in it;
* a detail list wraps each element: ``{"bgp-routers": [{"bgp-router": {...}}]}``.

Auth is noauth or a keystone (v2.0 or v3) token sent as ``X-Auth-Token``; a 401 triggers
one re-authentication. Connection errors and 502/503/504 are retried with backoff, like
vnc_api does for 502/503; other errors are raised at once as :class:`VncError`. A write
(create, delete, ref-update) is replayed after a connection error only when the connection
was refused: after a reset or a timeout the server may have applied it, and a blind replay
would create twice or fail on its own success.
"""

from __future__ import annotations

__metaclass__ = type

import json
import socket
import ssl
import time

from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.urls import Request, make_context
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

#: Statuses worth retrying: the proxy or the api-server is (re)starting or overloaded.
#: 500 is an unhandled exception in the api-server: retrying repeats it (and might repeat
#: a half-applied create), so it is reported at once.
RETRY_STATUSES = (502, 503, 504)

#: POSTs that only read: safe to send again whatever happened to the first one.
READ_ONLY_POSTS = ('/fqname-to-id', '/id-to-fqname', '/list-bulk-collection')

USER_AGENT = 'opencontrail.issu'


class VncError(IssuError):
    """A failed config API call: HTTP status (None if no answer) and the server's text."""

    def fields(self):
        return dict(status=self.status)

    def __init__(self, message, status=None, method=None, url=None):
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        where = '%s %s: ' % (method, url) if method else ''
        code = 'HTTP %s: ' % status if status else ''
        super(VncError, self).__init__('%s%s%s' % (where, code, message))

    @property
    def not_found(self):
        return self.status == 404


def resource_type(obj_type):
    """``virtual_network`` or ``virtual-network`` -> ``virtual-network`` (URL/JSON form)."""
    return obj_type.replace('_', '-')


def collection_types(homepage):
    """Every resource type the API serves, from the homepage's ``collection`` links, sorted."""
    return sorted(link['link']['name'] for link in homepage.get('links', [])
                  if link.get('link', {}).get('rel') == 'collection')


def _csv(values):
    """A list of ids for a query string; a string is passed through."""
    if values is None or isinstance(values, str):
        return values
    return ','.join(values)


def _filters(filters):
    """``{'k': v}`` -> ``k==v,...`` as the api-server's ``get_filters`` reads it."""
    if not filters:
        return None
    parts = []
    for key, value in sorted(filters.items()):
        parts.append('%s==%s' % (key, value if isinstance(value, str) else json.dumps(value)))
    return ','.join(parts)


def _list_query(detail, fields, parent_id, back_ref_id, obj_uuids, filters, count,
                parent_fq_name, parent_type, shared, exclude_hrefs=False):
    """The list parameters shared by ``GET /<type>s`` and ``POST /list-bulk-collection``."""
    query = dict(
        parent_id=_csv(parent_id),
        back_ref_id=_csv(back_ref_id),
        obj_uuids=_csv(obj_uuids),
        fields=_csv(fields),
        filters=_filters(filters),
        parent_type=resource_type(parent_type) if parent_type else None,
        parent_fq_name_str=':'.join(parent_fq_name) if parent_fq_name else None,
    )
    query = dict((k, v) for k, v in query.items() if v)
    for flag, value in (('detail', detail), ('count', count), ('shared', shared),
                        ('exclude_hrefs', exclude_hrefs)):
        if value:
            query[flag] = True
    return query


class KeystoneAuth:
    """Gets a token from keystone v3 (``/v3``) or v2.0 (``/v2.0``), chosen by the URL."""

    def __init__(self, auth_url, username, password, tenant_name,
                 user_domain_name='Default', project_domain_name='Default'):
        self.auth_url = auth_url.rstrip('/')
        self.username = username
        self.password = password
        self.tenant_name = tenant_name
        self.user_domain_name = user_domain_name
        self.project_domain_name = project_domain_name

    @property
    def version(self):
        return 2 if self.auth_url.endswith('/v2.0') else 3

    def token_request(self):
        """(url, body) of the token request; a URL without a version path means v3."""
        if self.version == 2:
            body = {'auth': {'tenantName': self.tenant_name, 'passwordCredentials': {
                'username': self.username, 'password': self.password}}}
            return self.auth_url + '/tokens', body
        base = self.auth_url if self.auth_url.endswith('/v3') else self.auth_url + '/v3'
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.username, 'password': self.password,
                'domain': {'name': self.user_domain_name}}}},
            'scope': {'project': {'name': self.tenant_name,
                                  'domain': {'name': self.project_domain_name}}}}}
        return base + '/auth/tokens', body

    def token_from(self, headers, body):
        """v3 returns the token in ``X-Subject-Token``, v2.0 in ``access.token.id``."""
        if self.version == 2:
            try:
                return json.loads(body)['access']['token']['id']
            except (ValueError, KeyError, TypeError):
                raise VncError('keystone answered without a token (is %s a keystone v2.0 '
                               'endpoint?)' % self.auth_url)
        token = headers.get('X-Subject-Token')
        if not token:
            raise VncError('keystone answered without X-Subject-Token (is %s a keystone v3 '
                           'endpoint?)' % self.auth_url)
        return token


class VncClient:
    """Config API calls; every method returns plain dicts/lists or raises VncError."""

    def __init__(self, host, port=8082, use_ssl=False, validate_certs=True, ca_cert=None,
                 auth=None, timeout=30, retries=3, backoff=0.5, sleep=time.sleep):
        self.base_url = '%s://%s:%s' % ('https' if use_ssl else 'http', host, port)
        self.auth = auth
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._token = None
        self._tls = (validate_certs, ca_cert)
        self._timeout = timeout
        self._http = None

    def _transport(self):
        """The HTTP(S) opener, built on first use so that a bad ``ca_cert`` is a VncError
        raised inside the caller's error handling. One TLS context serves every request:
        building it (loading the CA store) costs ~50 ms of CPU, which Request.open would
        otherwise pay on each call, even for HTTP."""
        if self._http is None:
            validate_certs, ca_cert = self._tls
            try:
                context = make_context(cafile=ca_cert, validate_certs=validate_certs)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise VncError('ca_cert %s cannot be loaded: %s' % (ca_cert, exc))
            self._http = Request(timeout=self._timeout, validate_certs=validate_certs,
                                 ca_path=ca_cert, context=context,
                                 http_agent=USER_AGENT, follow_redirects='none',
                                 headers={'Content-Type': 'application/json; charset="UTF-8"',
                                          'X-Contrail-Useragent': '%s:%s' % (
                                              socket.gethostname(), USER_AGENT)})
        return self._http

    @classmethod
    def from_params(cls, params):
        """Build a client from the options of ``api_connection_argument_spec``."""
        auth = None
        if params.get('auth_type') == 'keystone':
            auth = KeystoneAuth(params['keystone_auth_url'], params['username'],
                                params['password'], params.get('tenant_name'),
                                params.get('user_domain_name') or 'Default',
                                params.get('project_domain_name') or 'Default')
        return cls(params['api_server_host'], params.get('api_server_port') or 8082,
                   use_ssl=params.get('api_server_use_ssl', False),
                   validate_certs=params.get('validate_certs', True),
                   ca_cert=params.get('ca_cert'), auth=auth,
                   timeout=params.get('timeout') or 30,
                   retries=params.get('api_retries', 3))

    # -- transport -----------------------------------------------------------------

    def _send(self, method, url, body, headers):
        """One HTTP exchange -> (status, headers, text); HTTP errors are returned too."""
        data = None if body is None else json.dumps(body)
        http = self._transport()
        try:
            resp = http.open(method, url, data=data, headers=headers)
            return resp.status, resp.headers, resp.read().decode('utf-8')
        except HTTPError as exc:
            text = exc.read().decode('utf-8', 'replace') if exc.fp else str(exc.reason)
            return exc.code, exc.headers, text

    def _send_with_retries(self, method, url, body, headers, replayable=True):
        """Retry connection errors and RETRY_STATUSES; never retry a TLS failure, nor a
        write that is not ``replayable`` once it may have reached the server."""
        attempt = 0
        while True:
            try:
                status, resp_headers, text = self._send(method, url, body, headers)
                if status not in RETRY_STATUSES or attempt >= self.retries:
                    return status, resp_headers, text
            except (URLError, socket.error, ssl.SSLError) as exc:
                reason = getattr(exc, 'reason', exc)
                if isinstance(reason, ssl.SSLError) or isinstance(exc, ssl.SSLError):
                    raise VncError('TLS failure: %s' % reason, method=method, url=url)
                if attempt >= self.retries:
                    raise VncError('cannot connect: %s' % reason, method=method, url=url)
                if not replayable and not isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
                    raise VncError('connection lost (%s): the server may have applied this '
                                   'request; read the object before trying again' % reason,
                                   method=method, url=url)
            attempt += 1
            self._sleep(self.backoff * (2 ** (attempt - 1)))

    def _authenticate(self):
        url, body = self.auth.token_request()
        status, headers, text = self._send_with_retries('POST', url, body, {})
        if status not in (200, 201):
            raise VncError('keystone authentication failed: %s' % text.strip(),
                           status=status, method='POST', url=url)
        self._token = self.auth.token_from(headers, text)

    def request(self, method, path, body=None, query=None):
        """Call the API; return the decoded JSON (None for an empty 200 body)."""
        url = self.base_url + path
        if query:
            pairs = sorted((k, 'true' if v is True else v) for k, v in query.items())
            url += '?' + urlencode(pairs)
        for attempt in (1, 2):
            if self.auth and self._token is None:
                self._authenticate()
            headers = {'X-Auth-Token': self._token} if self._token else {}
            status, _headers, text = self._send_with_retries(
                method, url, body, headers,
                replayable=method in ('GET', 'PUT') or path in READ_ONLY_POSTS)
            if status == 401 and self.auth and attempt == 1:
                self._token = None
                continue
            break
        if status != 200:
            raise VncError(text.strip() or 'no message', status=status, method=method, url=url)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise VncError('the answer is not JSON (is %s the config API?): %.80r'
                           % (self.base_url, text.strip()), status=status, method=method,
                           url=url)

    # -- API calls -----------------------------------------------------------------

    def homepage(self):
        return self.request('GET', '/')

    def list(self, obj_type, detail=False, fields=None, parent_id=None, back_ref_id=None,
             obj_uuids=None, filters=None, count=False, parent_fq_name=None,
             parent_type=None, shared=False, exclude_hrefs=False):
        """``GET /<type>s``: a list of objects (detail) or refs, or an int with count.

        ``exclude_hrefs`` drops the ``href``/``parent_href`` links the server would add to
        every object and ref: a third of a detail list's bytes, and nothing a reader needs.
        """
        rtype = resource_type(obj_type)
        query = _list_query(detail, fields, parent_id, back_ref_id, obj_uuids, filters,
                            count, parent_fq_name, parent_type, shared, exclude_hrefs)
        return self._unwrap_list(rtype, self.request('GET', '/%ss' % rtype, query=query),
                                 detail, count)

    def list_bulk(self, obj_type, detail=False, fields=None, parent_id=None,
                  back_ref_id=None, obj_uuids=None, filters=None, count=False, shared=False,
                  exclude_hrefs=False):
        """``POST /list-bulk-collection``: like :meth:`list` for long id lists."""
        rtype = resource_type(obj_type)
        body = _list_query(detail, fields, parent_id, back_ref_id, obj_uuids, filters,
                           count, None, None, shared, exclude_hrefs)
        body['type'] = rtype
        return self._unwrap_list(rtype, self.request('POST', '/list-bulk-collection', body),
                                 detail, count)

    @staticmethod
    def _unwrap_list(rtype, result, detail, count):
        items = result['%ss' % rtype]
        if count:
            return items['count']
        if detail:
            return [item[rtype] if rtype in item else item for item in items]
        return items

    def read(self, obj_type, uuid, fields=None, exclude_back_refs=False,
             exclude_children=False):
        rtype = resource_type(obj_type)
        query = dict(fields=_csv(fields))
        query = dict((k, v) for k, v in query.items() if v)
        if exclude_back_refs:
            query['exclude_back_refs'] = True
        if exclude_children:
            query['exclude_children'] = True
        return self.request('GET', '/%s/%s' % (rtype, uuid), query=query)[rtype]

    def read_fq_name(self, obj_type, fq_name, **kwargs):
        """Read by fq_name; None when no such object."""
        uuid = self.fqname_to_id(obj_type, fq_name)
        return None if uuid is None else self.read(obj_type, uuid, **kwargs)

    def create(self, obj_type, body):
        """Create; return the new uuid. ``body`` is the object, without the type wrapper."""
        rtype = resource_type(obj_type)
        return self.request('POST', '/%ss' % rtype, {rtype: body})[rtype]['uuid']

    def update(self, obj_type, uuid, body):
        """Partial update: keys absent from ``body`` are left alone, null deletes."""
        rtype = resource_type(obj_type)
        self.request('PUT', '/%s/%s' % (rtype, uuid), {rtype: body})

    def delete(self, obj_type, uuid):
        self.request('DELETE', '/%s/%s' % (resource_type(obj_type), uuid))

    def fqname_to_id(self, obj_type, fq_name):
        """uuid of the object named ``fq_name``, or None if there is none."""
        try:
            result = self.request('POST', '/fqname-to-id',
                                  {'type': resource_type(obj_type), 'fq_name': list(fq_name)})
        except VncError as exc:
            if exc.not_found:
                return None
            raise
        return result['uuid']

    def id_to_fqname(self, uuid):
        """``{'type': 'virtual-network', 'fq_name': [...]}`` for a uuid."""
        return self.request('POST', '/id-to-fqname', {'uuid': uuid})

    def ref_update(self, obj_type, uuid, ref_type, ref_uuid=None, ref_fq_name=None,
                   operation='ADD', attr=None):
        """Add or delete one reference; ``ref_fq_name`` is resolved by the server."""
        body = {'type': resource_type(obj_type), 'uuid': uuid,
                'ref-type': resource_type(ref_type), 'ref-uuid': ref_uuid,
                'ref-fq-name': list(ref_fq_name) if ref_fq_name else None,
                'operation': operation.upper(), 'attr': attr}
        return self.request('POST', '/ref-update', body)['uuid']
