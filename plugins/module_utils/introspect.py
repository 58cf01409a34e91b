# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Sandesh introspect client (HTTP/XML on 8083 control, 8084 API, 8085 agent).

A request is ``GET /Snh_<Request>?x=v1&y=v2`` (parameters are positional: the names are
ignored by the server). The answer is one ``<Resp type="sandesh">`` element, or for
chunked answers a ``<__Resp_list type="slist">`` wrapping several of them, possibly
ending with a ``Pagination`` sandesh. Every field carries its Sandesh ``type``
attribute, which is all the parser needs to turn the XML into plain Python values:
struct -> dict, list/set -> list, map -> dict, bool/ints/double -> Python scalars.
"""

from __future__ import annotations

__metaclass__ = type

import xml.etree.ElementTree as ET
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.urls import open_url
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

INT_TYPES = frozenset(('byte', 'i16', 'i32', 'i64', 'u16', 'u32', 'u64'))

#: Upper bound on follow-up requests for one logical request (next_batch / next_page).
MAX_CONTINUATIONS = 1000

CONTROL_PORT = 8083
API_PORT = 8084
AGENT_PORT = 8085


class IntrospectError(IssuError):
    """The introspect port did not answer, or answered something that is not Sandesh."""


def _scalar(sandesh_type, text):
    text = text or ''
    if sandesh_type == 'bool':
        return text.strip().lower() == 'true'
    if sandesh_type in INT_TYPES:
        return int(text) if text.strip() else 0
    if sandesh_type == 'double':
        return float(text) if text.strip() else 0.0
    return text


def _element_value(elem_type, elem):
    """One element of a list/set/map: a struct element or ``<element>v</element>``."""
    if elem_type == 'struct':
        return parse_struct(elem)
    return _scalar(elem_type, elem.text)


def _container(field):
    """``<f type="list"><list type="T" size="N">...</list></f>`` -> Python list or dict."""
    inner = field[0] if len(field) else None
    if inner is None:
        return [] if field.get('type') != 'map' else {}
    if field.get('type') == 'map':
        key_type, value_type = inner.get('key'), inner.get('value')
        children = list(inner)
        return dict((_element_value(key_type, k), _element_value(value_type, v))
                    for k, v in zip(children[0::2], children[1::2]))
    return [_element_value(inner.get('type'), child) for child in inner]


def parse_field(field):
    """The Python value of a field element, decided by its ``type`` attribute."""
    ftype = field.get('type')
    if ftype == 'struct':
        return parse_struct(field[0]) if len(field) else {}
    if ftype in ('list', 'set', 'map'):
        return _container(field)
    if ftype == 'sandesh':
        return parse_struct(field[0]) if len(field) else {}
    return _scalar(ftype, field.text)


def parse_struct(elem):
    """A struct or sandesh element -> dict of its fields (declaration order kept)."""
    return dict((child.tag, parse_field(child)) for child in elem)


def _continuation(name, elem):
    """The (request, argument) that fetches what follows this sandesh, if any."""
    if name == 'Pagination':
        page = parse_struct(elem).get('req') or {}
        return ('PageReq', page['next_page']) if page.get('next_page') else None
    for child in elem:
        if child.get('link_title') == 'next_batch' and (child.text or '').strip():
            return child.get('link'), child.text.strip()
    return None


def parse_response(text):
    """Parse one HTTP answer -> (parts, continuation).

    ``parts`` is a list of ``(sandesh_name, dict)`` without the ``Pagination`` part;
    ``continuation`` is ``(request_name, argument)`` to fetch the next batch or page.
    """
    try:
        root = ET.fromstring(text.encode('utf-8') if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise IntrospectError('not an XML introspect answer: %s' % exc)
    sandeshes = list(root) if root.get('type') == 'slist' else [root]
    parts, continuation = [], None
    for elem in sandeshes:
        continuation = _continuation(elem.tag, elem) or continuation
        if elem.tag != 'Pagination':
            parts.append((elem.tag, parse_struct(elem)))
    return parts, continuation


def collect(parts, field):
    """Concatenate the list ``field`` over every part that has it."""
    items = []
    for _name, data in parts:
        items.extend(data.get(field) or [])
    return items


class IntrospectClient:
    """``request('BgpNeighborReq', '')`` -> list of (sandesh name, dict) over all pages."""

    def __init__(self, host, port, timeout=10, use_ssl=False, validate_certs=True,
                 ca_cert=None):
        self.base_url = '%s://%s:%s' % ('https' if use_ssl else 'http', host, port)
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_cert = ca_cert

    def url(self, req_name, args):
        """Positional parameters are sent as ``x=``, ``x=``... (names are ignored)."""
        query = '&'.join('x=%s' % quote(str(arg), safe='') for arg in args)
        return '%s/Snh_%s%s' % (self.base_url, req_name, '?' + query if args else '')

    def fetch(self, req_name, *args):
        """One GET -> the raw XML text."""
        url = self.url(req_name, args)
        try:
            resp = open_url(url, timeout=self.timeout, validate_certs=self.validate_certs,
                            ca_path=self.ca_cert, use_proxy=False)
            return resp.read().decode('utf-8')
        except HTTPError as exc:
            raise IntrospectError('GET %s: HTTP %s' % (url, exc.code))
        except (URLError, OSError) as exc:
            raise IntrospectError('GET %s: %s' % (url, getattr(exc, 'reason', exc)))

    def request(self, req_name, *args, **kwargs):
        """Parsed parts of a request; ``follow=True`` (default) fetches all batches/pages."""
        follow = kwargs.get('follow', True)
        parts, continuation = parse_response(self.fetch(req_name, *args))
        fetched = 0
        while follow and continuation and fetched < MAX_CONTINUATIONS:
            more, continuation = parse_response(self.fetch(*continuation))
            parts.extend(more)
            fetched += 1
        return parts


def bgp_neighbors(host, port=CONTROL_PORT, search='', summary=False, **kwargs):
    """Every BGP and XMPP neighbor of a control node (``BgpNeighborResp`` dicts)."""
    req = 'ShowBgpNeighborSummaryReq' if summary else 'BgpNeighborReq'
    return collect(IntrospectClient(host, port, **kwargs).request(req, search), 'neighbors')


def agent_xmpp_status(host, port=AGENT_PORT, **kwargs):
    """The vRouter agent's XMPP connections (``AgentXmppData`` dicts)."""
    return collect(IntrospectClient(host, port, **kwargs).request('AgentXmppConnectionStatusReq'),
                   'peer')


#: Introspect ports whose NodeStatus the health gates read.
NODE_STATUS_PORTS = {'control': CONTROL_PORT, 'agent': AGENT_PORT}


def node_status(host, port, **kwargs):
    """The ``ProcessStatus`` dicts of a daemon's NodeStatus UVEs (``SandeshUVECacheReq``
    ``x=NodeStatus``: what contrail-status and the nodemgr read), each with its node ``name``."""
    return client_node_status(IntrospectClient(host, port, **kwargs))


def client_node_status(client):
    """:func:`node_status` through an open ``client`` (an :class:`IntrospectClient`)."""
    parts = client.request('SandeshUVECacheReq', 'NodeStatus')
    processes = []
    for _name, uve in parts:
        data = uve.get('data') or {}
        for process in data.get('process_status') or []:
            processes.append(dict(process, name=data.get('name', '')))
    return processes


def not_functional(processes):
    """``'<module_id>: <state> (<description>)'`` of every process not Functional."""
    return ['%s: %s (%s)' % (p.get('module_id'), p.get('state'), p.get('description') or 'no description')
            for p in processes if p.get('state') != 'Functional']


def functional_problems(processes):
    """Why a daemon is not Functional by its NodeStatus (:func:`not_functional`, or that it
    reports none); empty when it is."""
    return not_functional(processes) if processes else ['no NodeStatus reported']
