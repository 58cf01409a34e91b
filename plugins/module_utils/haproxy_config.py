# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The servers of HAProxy backends as a task wants them: model, plan, configuration, apply.

* the model: one fact per server (``show servers state`` joined with ``show stat``) and the
  views compared to decide a change (state, address, port; never live values);
* the plan (:func:`plan`, no I/O): the servers a task acts on, their wanted view, the servers
  ``add_addresses`` adds, the ordered runtime commands, and what the server-state-file and the
  configuration file must hold;
* the configuration file: its sections and ``server`` lines, read and edited line by line
  (only the address token of a line is replaced, new lines go after a section's last server);
* applying a plan: the commands through :mod:`haproxy_runtime` (the one runtime API client),
  the files written atomically, the wait for the servers to settle.

Nothing here reloads HAProxy: runtime changes are kept across a reload by the files.
"""

from __future__ import annotations

__metaclass__ = type

import os
import re

from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_runtime import (
    HAProxyError, admin_state, parse_servers_state,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import write_atomic
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import wait_for
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

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


class NotFound(IssuError):
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


# -- the task's plan -------------------------------------------------------------------

class TaskPlan:
    """What a task changes, as :func:`plan` computed it.

    ``before`` / ``after``: the views under ``servers`` (and ``config_file``,
    ``server_state_file`` when managed); ``commands``: the runtime commands, in order;
    ``not_found``: what is missing (with fail_on_not_found=false); ``config``: the lines of the
    edited configuration (None when not managed); ``persisted``: which files differ from what
    they must hold; ``write_state_file``: whether applying writes the server-state-file (also
    when only the runtime changes, so the file holds what HAProxy holds).
    """

    def __init__(self, before, after, commands, not_found, config, write_state_file):
        self.before, self.after, self.commands = before, after, commands
        self.not_found, self.config = not_found, config
        self.persisted = dict(
            server_state_file='server_state_file' in before
            and before['server_state_file'] != after['server_state_file'],
            config_file='config_file' in before and before['config_file'] != after['config_file'])
        self.write_state_file = self.persisted['server_state_file'] or (
            bool(commands) and 'server_state_file' in before)
        self.changed = before != after

    def result(self):
        """The module's result keys the plan answers (check mode stops here)."""
        return dict(changed=self.changed, commands=list(self.commands),
                    not_found=list(self.not_found), before=self.before, after=self.after,
                    persisted=dict(self.persisted))


def manages_config(params):
    """Whether the task reads (and may edit) config_file: only with addresses or add_addresses."""
    return bool(params['config_file']) and (
        params['addresses'] is not None or bool(params['add_addresses']))


def plan(params, facts_by_backend, config_lines=None, state_text=None):
    """The :class:`TaskPlan` of a task; reads nothing, changes nothing.

    ``params`` are the module's options; ``facts_by_backend`` is :func:`read_servers`'s answer;
    ``config_lines`` the lines of config_file when :func:`manages_config` (else None);
    ``state_text`` the server-state-file's text (``''`` when it does not exist) when
    server_state_file is set (else None). Raises NotFound or ValueError before anything changes.
    """
    servers, not_found = select_servers(facts_by_backend, params['servers'],
                                        params['fail_on_not_found'])
    wanted_addresses = {}
    if params['addresses'] is not None:
        wanted_addresses = resolve_addresses(params['addresses'], servers)
    before = dict(servers=runtime_view(servers))
    after = dict(servers=desired_view(servers, params['state'], wanted_addresses))
    added, present = [], []
    if params['add_addresses']:
        backends = dict((b, f) for b, f in facts_by_backend.items() if f is not None)
        added, present = plan_additions(
            params['add_addresses'], backends, after['servers'], params['state'],
            lambda backend: new_server_options(params, config_lines, backend))
    for new in added:
        after['servers'][key_of(new)] = dict(state=new['state'], address=new['address'],
                                             port=new['port'])
    commands = plan_commands(before['servers'], after['servers'], added)
    config = _plan_config(params, config_lines, wanted_addresses, added, present, before, after)
    if state_text is not None:
        before['server_state_file'] = state_file_view(state_text, list(after['servers']))
        after['server_state_file'] = dict(after['servers'])
    return TaskPlan(before, after, commands, not_found, config, state_text is not None)


def new_server_options(params, config_lines, backend):
    """add_options, else the options of the backend's first server line, else none."""
    if params['add_options'] is not None:
        return params['add_options'].strip()
    if config_lines is None:
        return ''
    return dynamic_options(config_server_options(config_lines, backend) or [],
                           'first server line of %s in %s' % (backend, params['config_file']))


def _plan_config(params, lines, wanted_addresses, added, present, before, after):
    """Fill the config_file views; return the edited lines (None when not managed).

    Switched servers must have a server line; added ones (and servers an earlier run
    added, found by their address) get one when they have none.
    """
    if lines is None:
        return None
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
            new_lines[key] = new_server_options(params, lines, key.split('/', 1)[0])
    missing = [key for key, value in before['config_file'].items()
               if value is None and key not in new_lines]
    if missing:
        raise NotFound('no server line in %s for %s' % (params['config_file'], ', '.join(missing)))
    after['config_file'] = dict((key, dict(address=ip, port=port))
                                for key, (ip, port) in wanted.items())
    for key, value in before['config_file'].items():
        if value is not None and value['port'] is None:  # no port configured: keep it so
            after['config_file'][key]['port'] = None
            wanted[key] = (wanted[key][0], None)
    return edit_config(lines, wanted, new_lines)


# -- reading and applying ----------------------------------------------------------------

def read_servers(runtime, backends):
    """Server facts per backend (None for a backend HAProxy does not know)."""
    stat_rows = runtime.show_stat()
    by_backend = {}
    for backend in backends:
        try:
            rows = runtime.show_servers_state(backend)
        except HAProxyError as exc:
            if "Can't find backend" not in str(exc):
                raise
            rows = None
        by_backend[backend] = None if rows is None else server_facts(rows, stat_rows)
    return by_backend


def current_servers(runtime, backends, keys):
    """Fresh facts of the servers named by ``keys`` (for waiting and for the result)."""
    facts = []
    for rows in read_servers(runtime, backends).values():
        facts.extend(f for f in rows or [] if key_of(f) in keys)
    return facts


def read_config(params):
    """Lines of config_file when the task manages it (see manages_config), else None."""
    if not manages_config(params):
        return None
    with open(params['config_file']) as handle:
        return handle.readlines()


def read_state_file(path):
    """Text of a server-state-file ('' when it does not exist), None when ``path`` is unset."""
    if not path:
        return None
    if not os.path.exists(path):
        return ''
    with open(path) as handle:
        return handle.read()


def read_and_plan(runtime, params):
    """Read the configuration, HAProxy and the server-state-file, and plan the task."""
    config_lines = read_config(params)
    facts_by_backend = read_servers(runtime, params['backends'])
    return plan(params, facts_by_backend, config_lines, read_state_file(params['server_state_file']))


def apply_command(runtime, command):
    """Send one command of a plan (see plan_commands) with the runtime client's checks."""
    words = command.split()
    backend, server = words[2].split('/', 1)
    if words[0] == 'enable':
        runtime.enable(words[1], backend, server)
    elif words[0] == 'add':
        runtime.add_server(backend, server, words[3], options=' '.join(words[4:]))
    elif words[3] == 'state':
        runtime.set_server_state(backend, server, words[4])
    else:
        runtime.set_server_addr(backend, server, words[4], words[6])


def apply(runtime, task_plan, params, backup=None):
    """Send the plan's commands, write the files it changes, wait when asked.

    ``backup(path)`` copies config_file before it is rewritten (with params' backup).
    Returns the result keys applying sets: ``persisted`` and, with a backup, ``backup_file``.
    """
    result = dict(persisted=dict(task_plan.persisted))
    for command in task_plan.commands:
        apply_command(runtime, command)
    if task_plan.write_state_file:
        write_atomic(params['server_state_file'], runtime.dump_servers_state())
        result['persisted']['server_state_file'] = True
    if task_plan.persisted['config_file']:
        if params['backup']:
            result['backup_file'] = backup(params['config_file'])
        write_atomic(params['config_file'], ''.join(task_plan.config))
    if params['wait']:
        wait_settled(runtime, params['backends'], set(task_plan.after['servers']),
                     params['wait_timeout'], params['wait_interval'])
    return result


def wait_settled(runtime, backends, keys, timeout, interval):
    """Ready servers must be UP (or unchecked); drained/maint ones must have 0 sessions."""
    def pending():
        return dict((key_of(f), dict(state=f['state'], status=f['status'],
                                     sessions=f['sessions']))
                    for f in current_servers(runtime, backends, keys) if not settled(f))
    wait_for(pending, timeout, interval,
             describe='servers %s to settle (ready: UP; drain/maint: no session)'
             % ', '.join(sorted(keys)), until=lambda left: not left,
             retry_on=(HAProxyError,))


def settled(fact):
    """True when a server has reached what its admin state promises."""
    if fact['state'] == 'ready':
        status = str(fact['status'] or '')
        return status.startswith('UP') or status == 'no check'
    return fact['sessions'] == 0
