#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: haproxy_backend
short_description: Set HAProxy backend servers ready, drain or maint, switch their addresses, and persist it
version_added: 1.0.0
description:
  - Drives HAProxy's runtime API (stats socket, unix or TCP) for the servers of one or more
    backends. Used by the ISSU to freeze the northbound API (drain, then maint), to open it
    again (ready), and to switch a backend from the v1 API servers to the v2 ones.
  - Sets the administrative state of named servers, or of all servers of the named backends,
    to V(ready), V(drain) or V(maint) with C(set server <backend>/<server> state).
  - Switches server addresses with C(set server <backend>/<server> addr <ip> port <port>).
  - Adds a server for each address of O(add_addresses) that no server of a backend has (once
    O(addresses) is applied) with C(add server) (HAProxy 2.5 or later, a backend with a dynamic
    load-balancing algorithm such as C(roundrobin) or C(leastconn)), so a backend can end on
    more servers than its configuration listed - the switch from one v1 API server to three v2
    ones. With O(config_file) the new server also gets a C(server) line there.
  - Compares the wanted state with what HAProxy reports before acting, so C(changed) is true
    only when a server's state or address (or a persisted copy of them) really changes.
    Live values such as session counts or check status never count as a change.
  - B(Persistence across reload or restart.) HAProxy forgets runtime changes when it reloads.
    This module keeps them with two mechanisms, each used for what it reliably carries
    (checked against HAProxy 2.6).
  - The server-state-file (O(server_state_file)) carries the administrative state.
    HAProxy only reads this file, at start and reload, with C(load-server-state-from-file);
    it never writes it. So after every change the module writes the output of
    C(show servers state) to the file, atomically. This is the mechanism HAProxy provides
    for runtime state, and it needs no rewrite of the configuration.
  - The configuration file (O(config_file)) carries addresses. HAProxy 2.6 restores a
    server's port from the state file but takes its address from the configuration unless
    the server uses DNS resolution. An address switch is therefore also written into the
    C(server) line of the backend (or C(listen)) section of O(config_file), so that a
    reload or restart keeps the v2 addresses. Only the address token of that line is
    replaced; the rest of the file is left as it is.
  - The module does not reload HAProxy. A reload (C(haproxy -sf), C(systemctl reload haproxy))
    after this module keeps the states and addresses it set.
  - A server that is DOWN (failed health checks) can be drained or put in maint. With
    O(wait=true) the module waits for its sessions to reach 0, not for a C(DRAIN) status
    that a DOWN server never shows.
author:
  - opencontrail.issu developers (@opencontrail-issu)
extends_documentation_fragment:
  - opencontrail.issu.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the current state and reports what would change, without sending any set command or writing any file.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The diff shows, per server, the state and address before and after, and the persisted copies when O(server_state_file) or O(config_file) are set.
  platform:
    description: Target OS/families that can be operated against.
    platforms: posix
    support: full
    details: >-
      Runs where O(server_state_file) and O(config_file) are, normally on the HAProxy host.
      The runtime API may be reached over TCP from elsewhere when no file is managed.
options:
  socket:
    description:
      - The HAProxy stats socket, which needs C(level admin).
      - A unix socket path (V(/run/haproxy/admin.sock) or V(unix:/run/haproxy/admin.sock)),
        or TCP as V(tcp://127.0.0.1:9999) or V(ipv4@127.0.0.1:9999).
    type: str
    default: /run/haproxy/admin.sock
  socket_timeout:
    description:
      - Seconds to wait for each runtime API answer.
    type: int
    default: 10
  backends:
    description:
      - Names of the backends (or C(listen) sections) to act on.
    type: list
    elements: str
    required: true
    aliases: [backend]
  servers:
    description:
      - Names of the servers to act on in each of O(backends).
      - When empty or omitted, all servers of the backends.
    type: list
    elements: str
    default: []
    aliases: [server]
  state:
    description:
      - Administrative state of the servers.
      - V(ready) takes the servers out of drain and maintenance.
      - V(drain) sends no new session to the servers; established sessions go on.
      - V(maint) takes the servers out of load balancing and stops health checks.
      - When omitted, the state is not changed.
    type: str
    choices: [ready, drain, maint]
  addresses:
    description:
      - New addresses of the servers, as V(ip) (keeps the port) or V(ip:port) (V([ipv6]:port)).
      - Either a mapping or a list.
      - A B(mapping) is keyed by server name or by the current address (V(ip) or V(ip:port)),
        for example the v1 API server address mapped to the v2 one. A key that matches no
        server is an error unless a server already has its value (the switch was done
        earlier), or O(fail_on_not_found=false).
      - A B(list) gives the new addresses in the order of the servers in each backend
        (the configuration order); its length must equal the number of servers acted on
        in each backend.
      - Applied before O(add_addresses).
    type: raw
  add_addresses:
    description:
      - Addresses, V(ip:port) or V(ip) (then the port of the backend's first server), that every
        backend of O(backends) must have a server for. A server is added for each one that no
        server of the backend has once O(addresses) is applied, so a second run adds nothing.
      - The new server is named after its address (V(ip), or V(ip-2) ... when that name is
        taken). It gets the options of O(add_options), and gets the state of O(state), else the
        (wanted) state of the backend's first server, so a frozen backend stays frozen.
      - HAProxy creates it with C(add server) and, when its options have C(check), starts its
        health checks with C(enable health). HAProxy does not reload a runtime-only server, so
        with O(config_file) a C(server) line is added after the last one of the backend (also
        for a server added by an earlier run whose line is missing).
      - Requires HAProxy 2.5 or later and a backend with a dynamic load-balancing algorithm;
        HAProxy refuses C(add server) otherwise, and the module fails with its message.
    type: list
    elements: str
  add_options:
    description:
      - Options of the servers O(add_addresses) adds (the words after the address of a
        C(server) line), for example V(check inter 2000 rise 2 fall 3).
      - When omitted, the options of the backend's first C(server) line in O(config_file)
        (health checks included), else none. Copied options must be keywords that
        C(add server) accepts (HAProxy 2.6's list); another one (V(cookie), V(resolvers) ...)
        is an error before anything changes, and this option then says what to use.
    type: str
  fail_on_not_found:
    description:
      - Fail when a backend or a server does not exist, before changing anything.
      - When V(false), missing ones are skipped and listed in RV(not_found).
    type: bool
    default: true
  server_state_file:
    description:
      - Path of the HAProxy C(server-state-file). When set, the module writes the output of
        C(show servers state) to it after changing anything, and also when the file does not
        yet hold the wanted state of the servers, so a reload keeps their state.
      - The HAProxy configuration must name this file in C(server-state-file) and use
        C(load-server-state-from-file global) (in C(defaults) or the backends).
    type: path
  config_file:
    description:
      - Path of the HAProxy configuration. When set together with O(addresses), the address of
        each switched server is also written in its C(server) line, so a restart keeps it.
      - A server that O(addresses) switches but that has no C(server) line in its section of
        this file is an error.
      - A server that O(add_addresses) adds (or added earlier) gets a C(server) line after the
        last one of its section.
    type: path
  backup:
    description:
      - Keep a timestamped copy of O(config_file) before changing it.
    type: bool
    default: false
notes:
  - The O(wait) condition depends on each server's final state. For V(ready) the server must be
    C(UP) (or have no health check). For V(drain) and V(maint) its current session count
    (C(scur)) must be 0.
  - Requires HAProxy 1.8 or later (C(set server ... state), C(show servers state), C(set server ... addr ... port)),
    and 2.5 or later for O(add_addresses) (C(add server)).
seealso:
  - name: HAProxy management guide, runtime API
    description: The runtime API commands used by this module.
    link: https://docs.haproxy.org/2.6/management.html#9.3
  - name: HAProxy server-state-file
    description: How HAProxy loads the state file on reload.
    link: https://docs.haproxy.org/2.6/configuration.html#3.1-server-state-file
'''

EXAMPLES = r'''
- name: Freeze the northbound API - stop new sessions to the v1 API servers, wait for them to end
  opencontrail.issu.haproxy_backend:
    socket: tcp://127.0.0.1:9999
    backends: contrail-api
    state: drain
    wait: true
    wait_timeout: 300
    server_state_file: /var/lib/haproxy/server-state

- name: Then put them in maintenance (a DOWN server is fine)
  opencontrail.issu.haproxy_backend:
    backends: [contrail-api, neutron-server]
    state: maint
    server_state_file: /var/lib/haproxy/server-state

- name: Switch the API backend to the v2 controllers and open it again
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses:
      10.99.0.11: 10.99.0.21
      10.99.0.12: 10.99.0.22
      10.99.0.13: 10.99.0.23
    state: ready
    wait: true
    server_state_file: /var/lib/haproxy/server-state
    config_file: /etc/haproxy/haproxy.cfg
    backup: true

- name: Same switch, by position
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses: [10.99.0.21, 10.99.0.22, 10.99.0.23]
    config_file: /etc/haproxy/haproxy.cfg

- name: Switch a backend of one v1 API server to three v2 ones (the third added)
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses:
      10.99.0.11: 10.99.0.21:8082
    add_addresses: [10.99.0.21:8082, 10.99.0.22:8082, 10.99.0.23:8082]
    server_state_file: /var/lib/haproxy/server-state
    config_file: /etc/haproxy/haproxy.cfg

- name: Take one server out, by name
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    servers: [ctrl2]
    state: maint
'''

RETURN = r'''
before:
  description:
    - Per server (C(<backend>/<server>)), the state and address before the module ran, under
      C(servers) (a server O(add_addresses) adds is absent here and present in RV(after));
      with O(server_state_file), what that file held under C(server_state_file);
      with O(config_file) and O(addresses), the configured addresses under C(config_file).
  returned: always
  type: dict
  sample:
    servers:
      contrail-api/ctrl1: {state: ready, address: 10.99.0.11, port: 8082}
after:
  description: Same keys as RV(before), after the module ran (or would run, in check mode).
  returned: always
  type: dict
  sample:
    servers:
      contrail-api/ctrl1: {state: maint, address: 10.99.0.11, port: 8082}
commands:
  description: Runtime API commands sent (or, in check mode, that would be sent), in order.
  returned: always
  type: list
  elements: str
  sample:
    - set server contrail-api/ctrl1 state maint
    - add server contrail-api/10.99.0.22 10.99.0.22:8082 check inter 2000
    - enable health contrail-api/10.99.0.22
servers:
  description: Live view of each server at the end, including its check status and sessions.
  returned: always
  type: list
  elements: dict
  sample:
    - {backend: contrail-api, server: ctrl1, state: maint, status: MAINT, address: 10.99.0.11, port: 8082, sessions: 0}
persisted:
  description: Which files were written (or would be, in check mode).
  returned: always
  type: dict
  sample: {server_state_file: true, config_file: false}
not_found:
  description: Backends or servers (C(<backend>/<server>)) that do not exist, with O(fail_on_not_found=false).
  returned: always
  type: list
  elements: str
  sample: [contrail-api/ctrl9]
haproxy_version:
  description: Version of the HAProxy process behind the socket.
  returned: always
  type: str
  sample: 2.6.12-1+deb12u4
wait:
  description: On a wait timeout, what was waited for and the last state seen.
  returned: failure
  type: dict
backup_file:
  description: Copy of O(config_file) taken before it was rewritten, with O(backup=true).
  returned: when O(backup=true) and O(config_file) changed
  type: str
  sample: /etc/haproxy/haproxy.cfg.12345.2026-11-24@10:00:00~
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_runtime import (
    HAProxyError, HAProxyRuntime, admin_state, parse_servers_state,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import write_atomic
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout, wait_argument_spec, wait_for,
)

#: Section keywords of an HAProxy configuration (a line starting with one opens a section).
SECTION_KEYWORDS = ('global', 'defaults', 'frontend', 'backend', 'listen', 'peers',
                    'resolvers', 'userlist', 'cache', 'program', 'mailers', 'ring',
                    'http-errors', 'namespace_list', 'traces')

#: Order of runtime commands: take traffic away first, switch, add, then give it back.
COMMAND_ORDER = {'maint': 0, 'drain': 1, 'addr': 2, 'add': 2.5, 'ready': 3}

#: Server keywords that HAProxy 2.6's ``add server`` accepts (management guide, "add server"):
#: those without a value, and those followed by one.
DYNAMIC_FLAGS = frozenset((
    'agent-check', 'allow-0rtt', 'backup', 'check', 'check-send-proxy', 'check-ssl',
    'check-via-socks4', 'disabled', 'enabled', 'no-ssl-reuse', 'no-tls-tickets', 'send-proxy',
    'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'ssl', 'tfo', 'tls-tickets'))
DYNAMIC_FLAG_RE = re.compile(r'^(?:force|no)-(?:sslv3|tlsv1[0-3])$')
DYNAMIC_VALUES = frozenset((
    'agent-addr', 'agent-inter', 'agent-port', 'agent-send', 'alpn', 'addr', 'ca-file',
    'check-alpn', 'check-proto', 'check-sni', 'ciphers', 'ciphersuites', 'crl-file', 'crt',
    'downinter', 'error-limit', 'fall', 'fastinter', 'id', 'inter', 'maxconn', 'maxqueue',
    'minconn', 'npn', 'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-low-conn',
    'pool-max-conn', 'pool-purge-delay', 'port', 'proto', 'proxy-v2-options', 'rise',
    'slowstart', 'sni', 'source', 'ssl-max-ver', 'ssl-min-ver', 'track', 'usesrc', 'verify',
    'verifyhost', 'weight', 'ws'))


class NotFound(Exception):
    """A backend, server or address key the task names does not exist."""


# -- addresses ------------------------------------------------------------------------

def split_address(text):
    """``ip``, ``ip:port``, ``[v6]:port``, ``v6`` -> (ip, port or None)."""
    text = str(text).strip()
    match = re.match(r'^\[([^\]]+)\](?::(\d+))?$', text)
    if match:
        return match.group(1), int(match.group(2)) if match.group(2) else None
    if text.count(':') == 1:
        host, port = text.split(':')
        return host, int(port)
    return text, None


def format_address(ip, port):
    host = '[%s]' % ip if ':' in ip else ip
    return '%s:%s' % (host, port) if port else host


def resolve_addresses(addresses, servers):
    """Wanted (ip, port) per server key from a mapping or an ordered list.

    ``servers`` is the ordered list of current server facts (dicts with backend, server,
    address, port). Raises NotFound for a mapping key that matches no server, unless a
    server already has the key's value (the switch was already made), and ValueError for
    a list whose length does not match a backend's servers.
    """
    if isinstance(addresses, (list, tuple)):
        return _resolve_list(addresses, servers)
    if isinstance(addresses, dict):
        return _resolve_mapping(addresses, servers)
    raise ValueError('addresses must be a mapping or a list, not %s' % type(addresses).__name__)


def _resolve_list(addresses, servers):
    wanted = {}
    for backend in _ordered_unique(s['backend'] for s in servers):
        members = [s for s in servers if s['backend'] == backend]
        if len(members) != len(addresses):
            raise ValueError('addresses lists %d addresses but backend %s has %d servers to '
                             'switch' % (len(addresses), backend, len(members)))
        for srv, address in zip(members, addresses):
            wanted[key_of(srv)] = _with_port(split_address(address), srv)
    return wanted


def _resolve_mapping(addresses, servers):
    wanted, unmatched = {}, []
    current = set((s['address'], s['port']) for s in servers)
    for old, new in addresses.items():
        old_ip, old_port = split_address(old)
        matches = [s for s in servers if str(old) == s['server'] or (
            s['address'] == old_ip and old_port in (None, s['port']))]
        for srv in matches:
            wanted[key_of(srv)] = _with_port(split_address(new), srv)
        new_ip, new_port = split_address(new)
        already = any(ip == new_ip and new_port in (None, port) for ip, port in current)
        if not matches and not already:
            unmatched.append(str(old))
    if unmatched:
        raise NotFound('addresses: no server has address or name %s' % ', '.join(unmatched))
    return wanted


def _with_port(ip_port, srv):
    ip, port = ip_port
    return ip, port if port else srv['port']


def _ordered_unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def key_of(srv):
    return '%s/%s' % (srv['backend'], srv['server'])


# -- servers to add --------------------------------------------------------------------

def dynamic_options(words, origin):
    """``words`` (a server line's options) joined, when ``add server`` accepts them all."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in DYNAMIC_FLAGS or DYNAMIC_FLAG_RE.match(word):
            index += 1
        elif word in DYNAMIC_VALUES and index + 1 < len(words):
            index += 2
        else:
            raise ValueError('%s: server option %r cannot be given to a server added at runtime '
                             '(HAProxy "add server"); set add_options' % (origin, word))
    return ' '.join(words)


def _unique_name(address, taken):
    name, number = address, 1
    while name in taken:
        number += 1
        name = '%s-%d' % (address, number)
    return name


def plan_additions(addresses, backends, wanted, state=None, options=None):
    """Servers to add so that every backend has a server for each of ``addresses``.

    ``backends`` maps each backend to the facts of all its servers (configuration order),
    ``wanted`` is the desired view of the servers the task acts on (after the switch),
    ``options`` a function giving the options of a backend's new servers (asked only for a
    backend that gets one). Returns (added, present): ``added`` lists new servers (backend, server, address, port,
    state, options); ``present`` lists the keys of the servers that already have one of the
    addresses (a second run finds the servers the first one added there).
    """
    added, present = [], []
    for backend, facts in backends.items():
        final = [(key_of(f), wanted.get(key_of(f)) or f) for f in facts]
        taken = set(f['server'] for f in facts)
        port_of_first = final[0][1]['port'] if final else None
        state_of_first = final[0][1]['state'] if final else 'maint'
        for text in addresses:
            ip, port = split_address(text)
            port = port or port_of_first
            if not port:
                raise ValueError('add_addresses: %s has no port and backend %s no server to take '
                                 'one from' % (text, backend))
            holders = [key for key, view in final if (view['address'], view['port']) == (ip, port)]
            if holders:
                present.extend(key for key in holders if key not in present)
                continue
            name = _unique_name(ip, taken)
            taken.add(name)
            new = dict(backend=backend, server=name, address=ip, port=port,
                       state=state or state_of_first,
                       options=options(backend) if options else '')
            final.append((key_of(new), new))
            added.append(new)
    return added, present


def addition_steps(new):
    """(order, command) of adding one server: add, start its checks, set its state."""
    key, words = key_of(new), new['options'].split()
    steps = [(COMMAND_ORDER['add'], ('add server %s %s %s' % (
        key, format_address(new['address'], new['port']), new['options'])).strip())]
    if 'check' in words:
        steps.append((COMMAND_ORDER['add'], 'enable health %s' % key))
    if 'agent-check' in words:
        steps.append((COMMAND_ORDER['add'], 'enable agent %s' % key))
    if new['state'] != 'maint':  # HAProxy creates a dynamic server in maintenance
        steps.append((max(COMMAND_ORDER['add'], COMMAND_ORDER[new['state']]),
                      'set server %s state %s' % (key, new['state'])))
    return steps


# -- reading HAProxy -------------------------------------------------------------------

def server_facts(state_rows, stat_rows):
    """Join ``show servers state`` and ``show stat`` rows into one dict per server."""
    stats = dict(((r['pxname'], r['svname']), r) for r in stat_rows)
    facts = []
    for row in state_rows:
        stat = stats.get((row['be_name'], row['srv_name']), {})
        facts.append(dict(
            backend=row['be_name'], server=row['srv_name'],
            state=admin_state(row['srv_admin_state'] or 0),
            address=str(row['srv_addr']), port=row['srv_port'],
            status=stat.get('status'), sessions=stat.get('scur') or 0,
        ))
    return facts


def select_servers(facts_by_backend, servers, fail_on_not_found):
    """The servers the task acts on, in configuration order, and what was not found.

    ``facts_by_backend`` maps each requested backend to its server facts, or None when
    HAProxy does not know the backend. A named server must exist in at least one of the
    backends (``[ctrl1, neutron1]`` over two backends is fine); one found nowhere is
    reported as ``<backend>|<backend>/<server>``.
    """
    missing = [backend for backend, facts in facts_by_backend.items() if facts is None]
    known = dict((b, f) for b, f in facts_by_backend.items() if f is not None)
    names = set(f['server'] for facts in known.values() for f in facts)
    missing.extend('%s/%s' % ('|'.join(known) or '-', s) for s in servers if s not in names)
    selected = [f for facts in known.values() for f in facts
                if not servers or f['server'] in servers]
    if missing and fail_on_not_found:
        raise NotFound('not found in HAProxy: %s' % ', '.join(missing))
    return selected, missing


# -- planning --------------------------------------------------------------------------

def desired_view(servers, state, wanted_addresses):
    """``{backend/server: {state, address, port}}`` as the task wants it."""
    view = {}
    for srv in servers:
        key = key_of(srv)
        address, port = wanted_addresses.get(key, (srv['address'], srv['port']))
        view[key] = dict(state=state or srv['state'], address=address, port=port)
    return view


def runtime_view(servers):
    return dict((key_of(s), dict(state=s['state'], address=s['address'], port=s['port']))
                for s in servers)


def plan_commands(before, after, added=()):
    """Runtime commands turning ``before`` into ``after`` (both runtime views) and adding the
    servers of ``added`` (see plan_additions), ordered."""
    steps = []
    for new in added:
        steps.extend(addition_steps(new))
    for key in before:
        old, new = before[key], after[key]
        if (old['address'], old['port']) != (new['address'], new['port']):
            steps.append((COMMAND_ORDER['addr'], 'set server %s addr %s port %s' % (
                key, new['address'], new['port'])))
        if old['state'] != new['state']:
            steps.append((COMMAND_ORDER[new['state']], 'set server %s state %s' % (
                key, new['state'])))
    return [command for _order, command in sorted(steps, key=lambda step: step[0])]


def state_file_view(text, keys):
    """What a server-state-file holds for ``keys``: state (from its F-bits) and address."""
    rows = {}
    if text:
        try:
            rows = dict(('%s/%s' % (r['be_name'], r['srv_name']), r)
                        for r in parse_servers_state(text))
        except HAProxyError:
            rows = {}
    view = {}
    for key in keys:
        row = rows.get(key)
        view[key] = None if row is None else dict(
            state=admin_state(row['srv_admin_state'] or 0),
            address=str(row['srv_addr']), port=row['srv_port'])
    return view


# -- configuration file ----------------------------------------------------------------

def _server_line_re(server):
    return re.compile(r'^(\s*server\s+%s\s+)(\S+)(.*)$' % re.escape(server))


def config_addresses(lines, keys):
    """``{backend/server: {address, port}}`` from the ``server`` lines of a configuration."""
    view = dict((key, None) for key in keys)
    for _index, key, token in _server_lines(lines, keys):
        ip, port = split_address(token.split('@', 1)[-1])
        view[key] = dict(address=ip, port=port)
    return view


def _server_lines(lines, keys):
    """(line index, backend/server, address token) of each server line for ``keys``."""
    wanted = set(keys)
    section = None
    for index, line in enumerate(lines):
        words = line.split()
        if not words or words[0].startswith('#'):
            continue
        if words[0] in SECTION_KEYWORDS:
            section = words[1] if words[0] in ('backend', 'listen') and len(words) > 1 else None
            continue
        if section and words[0] == 'server' and len(words) > 2:
            key = '%s/%s' % (section, words[1])
            if key in wanted:
                yield index, key, words[2]


def _sections(lines):
    """(line index, backend/listen name or None) of every line."""
    section = None
    for index, line in enumerate(lines):
        words = line.split()
        if words and words[0] in SECTION_KEYWORDS:
            section = words[1] if words[0] in ('backend', 'listen') and len(words) > 1 else None
        yield index, section


def config_server_options(lines, backend):
    """The options (words after the address) of the first ``server`` line of ``backend``,
    without a trailing comment; None when the section has no server line."""
    for index, section in _sections(lines):
        words = lines[index].split('#', 1)[0].split()
        if section == backend and len(words) > 2 and words[0] == 'server':
            return words[3:]
    return None


def edit_config(lines, wanted, new_lines=None):
    """Copy of ``lines`` with the address token of each ``wanted`` server replaced, and a
    ``server`` line for each of ``new_lines`` ({backend/server: options}) that has none, after
    the last server line of its section (the section's last line when it has none)."""
    lines = list(lines)
    for index, key, token in list(_server_lines(lines, wanted)):
        prefix = token.split('@', 1)[0] + '@' if '@' in token else ''
        ip, port = wanted[key]
        server = key.split('/', 1)[1]
        lines[index] = _server_line_re(server).sub(
            lambda m, new=prefix + format_address(ip, port): m.group(1) + new + m.group(3),
            lines[index], count=1)
    have = set(key for _index, key, _token in _server_lines(lines, list(new_lines or {})))
    for key, options in (new_lines or {}).items():
        if key in have:
            continue
        backend, server = key.split('/', 1)
        ip, port = wanted[key]
        at, indent = None, '    '
        for index, section in _sections(lines):
            words = lines[index].split()
            if section != backend or not words or words[0].startswith('#'):
                continue
            if words[0] == 'server':
                at, indent = index, lines[index][:len(lines[index]) - len(lines[index].lstrip())]
            elif at is None or lines[at].split()[0] != 'server':
                at = index
        if at is None:
            raise NotFound('no section %s in the configuration for %s' % (backend, key))
        if not lines[at].endswith('\n'):
            lines[at] += '\n'
        lines.insert(at + 1, ('%sserver %s %s %s' % (indent, server, format_address(ip, port),
                                                     options)).rstrip() + '\n')
    return lines


# -- the module ------------------------------------------------------------------------

class HAProxyBackend:
    """One task: read, compare, act, persist, wait."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.runtime = HAProxyRuntime(self.params['socket'], self.params['socket_timeout'])

    def read_facts(self):
        """Server facts per requested backend (None for a backend HAProxy does not know)."""
        stat_rows = self.runtime.show_stat()
        by_backend = {}
        for backend in self.params['backends']:
            try:
                rows = self.runtime.show_servers_state(backend)
            except HAProxyError as exc:
                if "Can't find backend" not in str(exc):
                    raise
                rows = None
            by_backend[backend] = None if rows is None else server_facts(rows, stat_rows)
        return by_backend

    def current_servers(self, keys):
        """Fresh facts of the servers named by ``keys`` (for waiting and for the result)."""
        facts = []
        for backend, rows in self.read_facts().items():
            facts.extend(f for f in rows or [] if key_of(f) in keys)
        return facts

    def run(self):
        result = dict(changed=False, commands=[], not_found=[],
                      persisted=dict(server_state_file=False, config_file=False),
                      haproxy_version=self.runtime.version())
        config_lines = self.read_config()
        facts_by_backend = self.read_facts()
        servers, result['not_found'] = select_servers(
            facts_by_backend, self.params['servers'], self.params['fail_on_not_found'])
        wanted_addresses = {}
        if self.params['addresses'] is not None:
            wanted_addresses = resolve_addresses(self.params['addresses'], servers)
        before = dict(servers=runtime_view(servers))
        after = dict(servers=desired_view(servers, self.params['state'], wanted_addresses))
        added, present = self.plan_additions(facts_by_backend, after['servers'], config_lines)
        for new in added:
            after['servers'][key_of(new)] = dict(state=new['state'], address=new['address'],
                                                 port=new['port'])
        result['commands'] = plan_commands(before['servers'], after['servers'], added)

        config = self.plan_config(config_lines, wanted_addresses, added, present, before, after)
        state_text = self.plan_state_file(before, after)

        result['changed'] = before != after
        result['before'], result['after'] = before, after
        if self.module._diff:
            result['diff'] = dict(before=before, after=after)
        result['persisted'] = dict(
            server_state_file='server_state_file' in before
            and before['server_state_file'] != after['server_state_file'],
            config_file='config_file' in before and before['config_file'] != after['config_file'])

        if not self.module.check_mode:
            for command in result['commands']:
                self.execute(command)
            if result['persisted']['server_state_file'] or (
                    result['commands'] and state_text is not None):
                write_atomic(self.params['server_state_file'], self.runtime.dump_servers_state())
                result['persisted']['server_state_file'] = True
            if result['persisted']['config_file']:
                if self.params['backup']:
                    result['backup_file'] = self.module.backup_local(self.params['config_file'])
                write_atomic(self.params['config_file'], ''.join(config))
            if self.params['wait']:
                self.wait(set(after['servers']))
        result['servers'] = self.current_servers(set(after['servers']))
        return result

    def read_config(self):
        """Lines of config_file when it is managed (addresses or add_addresses), else None."""
        path = self.params['config_file']
        if not path or (self.params['addresses'] is None and not self.params['add_addresses']):
            return None
        with open(path) as handle:
            return handle.readlines()

    def plan_additions(self, facts_by_backend, wanted, config_lines):
        """The servers add_addresses adds, and the keys of those that already serve one."""
        addresses = self.params['add_addresses']
        if not addresses:
            return [], []
        backends = dict((b, f) for b, f in facts_by_backend.items() if f is not None)
        return plan_additions(addresses, backends, wanted, self.params['state'],
                              lambda backend: self.new_server_options(config_lines, backend))

    def new_server_options(self, config_lines, backend):
        """add_options, else the options of the backend's first server line, else none."""
        if self.params['add_options'] is not None:
            return self.params['add_options'].strip()
        if config_lines is None:
            return ''
        return dynamic_options(config_server_options(config_lines, backend) or [],
                               'first server line of %s in %s' % (backend,
                                                                  self.params['config_file']))

    def plan_config(self, lines, wanted_addresses, added, present, before, after):
        """Fill the config_file views; return the edited lines (None when not managed).

        Switched servers must have a server line; added ones (and servers an earlier run
        added, found by their address) get one when they have none.
        """
        if lines is None:
            return None
        path = self.params['config_file']
        wanted = dict(wanted_addresses)
        new_lines = {}
        for new in added:
            wanted[key_of(new)] = (new['address'], new['port'])
            new_lines[key_of(new)] = new['options']
        for key in present:
            if key not in wanted:
                view = after['servers'][key]
                wanted[key] = (view['address'], view['port'])
        if not wanted:
            return None
        before['config_file'] = config_addresses(lines, wanted)
        for key in present:  # added by an earlier run that did not get to write its line
            if before['config_file'][key] is None and key not in new_lines:
                new_lines[key] = self.new_server_options(lines, key.split('/', 1)[0])
        missing = [key for key, value in before['config_file'].items()
                   if value is None and key not in new_lines]
        if missing:
            raise NotFound('no server line in %s for %s' % (path, ', '.join(missing)))
        after['config_file'] = dict((key, dict(address=ip, port=port))
                                    for key, (ip, port) in wanted.items())
        for key, value in before['config_file'].items():
            if value is not None and value['port'] is None:  # no port configured: keep it so
                after['config_file'][key]['port'] = None
                wanted[key] = (wanted[key][0], None)
        return edit_config(lines, wanted, new_lines)

    def plan_state_file(self, before, after):
        """Fill the server_state_file views; return the file's text (None when not managed)."""
        path = self.params['server_state_file']
        if not path:
            return None
        text = ''
        if os.path.exists(path):
            with open(path) as handle:
                text = handle.read()
        before['server_state_file'] = state_file_view(text, list(after['servers']))
        after['server_state_file'] = dict(after['servers'])
        return text

    def execute(self, command):
        words = command.split()
        backend, server = words[2].split('/', 1)
        if words[0] == 'enable':
            self.runtime.enable(words[1], backend, server)
        elif words[0] == 'add':
            self.runtime.add_server(backend, server, words[3], options=' '.join(words[4:]))
        elif words[3] == 'state':
            self.runtime.set_server_state(backend, server, words[4])
        else:
            self.runtime.set_server_addr(backend, server, words[4], words[6])

    def wait(self, keys):
        """Ready servers must be UP (or unchecked); drained/maint ones must have 0 sessions."""
        def pending():
            return dict((key_of(f), dict(state=f['state'], status=f['status'],
                                         sessions=f['sessions']))
                        for f in self.current_servers(keys) if not settled(f))
        wait_for(pending, self.params['wait_timeout'], self.params['wait_interval'],
                 describe='servers %s to settle (ready: UP; drain/maint: no session)'
                 % ', '.join(sorted(keys)), until=lambda left: not left,
                 retry_on=(HAProxyError,))


def settled(fact):
    """True when a server has reached what its admin state promises."""
    if fact['state'] == 'ready':
        status = str(fact['status'] or '')
        return status.startswith('UP') or status == 'no check'
    return fact['sessions'] == 0


def argument_spec():
    spec = dict(
        socket=dict(type='str', default='/run/haproxy/admin.sock'),
        socket_timeout=dict(type='int', default=10),
        backends=dict(type='list', elements='str', required=True, aliases=['backend']),
        servers=dict(type='list', elements='str', default=[], aliases=['server']),
        state=dict(type='str', choices=['ready', 'drain', 'maint']),
        addresses=dict(type='raw'),
        add_addresses=dict(type='list', elements='str'),
        add_options=dict(type='str'),
        fail_on_not_found=dict(type='bool', default=True),
        server_state_file=dict(type='path'),
        config_file=dict(type='path'),
        backup=dict(type='bool', default=False),
    )
    spec.update(wait_argument_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = HAProxyBackend(module).run()
    except WaitTimeout as exc:
        module.fail_json(msg=to_native(exc), wait=exc.to_dict())
    except (HAProxyError, NotFound, ValueError, IOError) as exc:
        module.fail_json(msg=to_native(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
