# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HAProxy runtime API (stats socket) client of the collection.

The socket is a unix path (``/run/haproxy/admin.sock``, ``unix:/...``) or TCP
(``tcp://127.0.0.1:9999`` or HAProxy's own ``ipv4@127.0.0.1:9999``). One connection per
command, in non-interactive mode: HAProxy answers and closes. The runtime API answers
errors as text with a success status, so each setter checks the answer for what
success looks like and raises :class:`HAProxyError` otherwise.
"""

from __future__ import annotations

__metaclass__ = type

import csv
import io
import re
import socket

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

#: ``srv_admin_state`` bits (HAProxy ``enum srv_admin``).
ADMF_FMAINT = 0x01   # forced maintenance (CLI / state file)
ADMF_IMAINT = 0x02   # inherited from a tracked server
ADMF_CMAINT = 0x04   # "disabled" in the configuration
ADMF_FDRAIN = 0x08   # forced drain (CLI / state file)
ADMF_IDRAIN = 0x10   # inherited drain
ADMF_RMAINT = 0x20   # DNS resolution failed
ADMF_HMAINT = 0x40   # hostname-based maintenance

#: ``srv_op_state`` values (HAProxy ``enum srv_state``).
OP_STATES = {0: 'stopped', 1: 'starting', 2: 'running', 3: 'stopping'}

ADMIN_STATES = ('ready', 'drain', 'maint')


class HAProxyError(IssuError):
    """The socket could not be reached, or HAProxy refused a command."""


def parse_address(address):
    """``/path``, ``unix:/path``, ``tcp://h:p``, ``ipv4@h:p`` -> (family, sockaddr)."""
    match = re.match(r'^(?:tcp://|ipv4@|ipv6@)\[?([^\]]+?)\]?:(\d+)$', address)
    if match:
        return socket.AF_INET6 if ':' in match.group(1) else socket.AF_INET, \
            (match.group(1), int(match.group(2)))
    if address.startswith('unix:'):
        address = address[len('unix:'):]
    if not address.startswith('/') and not address.startswith('.'):
        raise HAProxyError('not a socket address: %r (use a path or tcp://host:port)' % address)
    return socket.AF_UNIX, address


def _number(text):
    """Runtime API values: digits -> int, ``-``/empty -> None, anything else as is."""
    if text in ('', '-'):
        return None
    return int(text) if re.match(r'^-?\d+$', text) else text


def parse_stat_csv(text):
    """``show stat`` CSV (header ``# pxname,svname,...``) -> list of dicts."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith('# '):
        raise HAProxyError('unexpected "show stat" answer: %r' % text[:200])
    lines[0] = lines[0][2:]
    rows = csv.DictReader(io.StringIO('\n'.join(lines)))
    return [dict((k, _number(v or '')) for k, v in row.items() if k) for row in rows]


def parse_servers_state(text):
    """``show servers state`` (version line, ``# header``, rows) -> list of dicts."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[1].startswith('# '):
        raise HAProxyError('unexpected "show servers state" answer: %r' % text[:200])
    header = lines[1][2:].split()
    rows = []
    for line in lines[2:]:
        values = line.split()
        row = dict((name, _number(values[i]) if i < len(values) else None)
                   for i, name in enumerate(header))
        row['be_name'] = str(row['be_name'])
        row['srv_name'] = str(row['srv_name'])
        rows.append(row)
    return rows


def admin_state(admin_bits):
    """The state an operator set: ``maint`` (CLI or config), ``drain`` or ``ready``."""
    if admin_bits & (ADMF_FMAINT | ADMF_CMAINT):
        return 'maint'
    if admin_bits & ADMF_FDRAIN:
        return 'drain'
    return 'ready'


def _check_answer(command, answer, ok=lambda answer: not answer.strip()):
    if not ok(answer):
        raise HAProxyError('%s: %s' % (command, answer.strip() or 'no answer'))
    return answer


class HAProxyRuntime:
    """Runtime API commands with parsed answers."""

    def __init__(self, address, timeout=10):
        self.address = address
        self.family, self.sockaddr = parse_address(address)
        self.timeout = timeout

    def execute(self, command):
        """Send one command, return the whole answer text."""
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.sockaddr)
            sock.sendall(command.encode('utf-8') + b'\n')
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (OSError, socket.timeout) as exc:
            raise HAProxyError('HAProxy socket %s: %s' % (self.address, exc))
        finally:
            sock.close()
        return b''.join(chunks).decode('utf-8', 'replace')

    def show_info(self):
        """``show info`` -> dict (``Version``, ``Pid``, ``Uptime_sec`` ...)."""
        info = {}
        for line in self.execute('show info').splitlines():
            key, sep, value = line.partition(':')
            if sep:
                info[key.strip()] = _number(value.strip())
        if 'Version' not in info:
            raise HAProxyError('unexpected "show info" answer from %s' % self.address)
        return info

    def version(self):
        return str(self.show_info()['Version'])

    def show_stat(self):
        return parse_stat_csv(self.execute('show stat'))

    def show_servers_state(self, backend=None):
        """Rows of ``show servers state`` (all backends, or one: fails if unknown)."""
        command = 'show servers state' + (' %s' % backend if backend else '')
        answer = self.execute(command)
        if not answer.lstrip().startswith('1'):
            raise HAProxyError('%s: %s' % (command, answer.strip()))
        return parse_servers_state(answer)

    def dump_servers_state(self):
        """Raw ``show servers state`` text: the exact content of a server-state-file."""
        answer = self.execute('show servers state')
        parse_servers_state(answer)
        return answer

    def set_server_state(self, backend, server, state):
        if state not in ADMIN_STATES:
            raise HAProxyError('state must be one of %s, not %r' % (ADMIN_STATES, state))
        command = 'set server %s/%s state %s' % (backend, server, state)
        _check_answer(command, self.execute(command))

    def set_server_addr(self, backend, server, addr, port=None):
        command = 'set server %s/%s addr %s' % (backend, server, addr)
        if port:
            command += ' port %s' % port
        return _check_answer(command, self.execute(command), ok=lambda a: (
            'changed from' in a or 'no need to change' in a)).strip()

    def enable(self, feature, backend, server):
        """``enable health`` or ``enable agent`` of a server (off on an added server)."""
        if feature not in ('health', 'agent'):
            raise HAProxyError('can only enable health or agent checks, not %r' % feature)
        command = 'enable %s %s/%s' % (feature, backend, server)
        _check_answer(command, self.execute(command))

    def shutdown_sessions(self, backend, server):
        command = 'shutdown sessions server %s/%s' % (backend, server)
        _check_answer(command, self.execute(command))

    def add_server(self, backend, server, addr, port=None, options=''):
        """Add a dynamic server (HAProxy >= 2.5; the backend must allow it)."""
        command = 'add server %s/%s %s%s %s' % (backend, server, addr,
                                                ':%s' % port if port else '', options)
        _check_answer(command.strip(), self.execute(command.strip()),
                      ok=lambda a: a.strip().startswith('New server registered'))

    def del_server(self, backend, server):
        """Delete a dynamic server; HAProxy requires it to be in maint with no session."""
        command = 'del server %s/%s' % (backend, server)
        _check_answer(command, self.execute(command),
                      ok=lambda a: a.strip().startswith('Server deleted'))
