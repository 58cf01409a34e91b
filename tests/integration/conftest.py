# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures that drive the collection's modules against real local services (no lab).

``collections_path`` and ``run_module`` come from tests/conftest.py.

* ``haproxy``: a real ``/usr/sbin/haproxy`` on loopback with a unix and a TCP admin
  socket, a server-state-file and two backends whose servers are small HTTP servers
  started here (one address of each backend has nothing listening: a DOWN server).
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HAPROXY = os.environ.get('ISSU_HAPROXY', '/usr/sbin/haproxy')

#: Addresses of the backend servers: the v1 API servers, their v2 replacements, neutron.
V1_API = ('127.0.0.2', '127.0.0.3')
V2_API = ('127.0.0.4', '127.0.0.5')
NEUTRON_UP, NEUTRON_DOWN = '127.0.0.6', '127.0.0.7'


def free_port(host='127.0.0.1'):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# -- backend servers -------------------------------------------------------------------

class BackendServers:
    """Small HTTP servers that answer their own name; ``/hold`` blocks until released."""

    def __init__(self):
        self.release = threading.Event()
        self.servers = []

    def start(self, name, host, port):
        release = self.release

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.0'

            def do_GET(self):  # noqa: N802 (http.server API)
                if self.path == '/hold':
                    release.wait(60)
                body = name.encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)

    def stop(self):
        self.release.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope='session')
def backend_servers():
    api_port, neutron_port = free_port(), free_port()
    servers = BackendServers()
    for index, host in enumerate(V1_API):
        servers.start('v1-ctrl%d' % (index + 1), host, api_port)
    for index, host in enumerate(V2_API):
        servers.start('v2-ctrl%d' % (index + 1), host, api_port)
    servers.start('neutron1', NEUTRON_UP, neutron_port)
    yield dict(api_port=api_port, neutron_port=neutron_port, servers=servers)
    servers.stop()


# -- HAProxy ---------------------------------------------------------------------------

HAPROXY_CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
    stats socket ipv4@127.0.0.1:{cli_port} level admin
    server-state-file {dir}/server-state

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    load-server-state-from-file global

frontend contrail-api
    bind 127.0.0.1:{api_fe}
    default_backend contrail-api

frontend neutron-server
    bind 127.0.0.1:{neutron_fe}
    default_backend neutron-server

backend contrail-api
    # the v1 API servers
    server ctrl1 {v1a}:{api_port} check inter 200ms fall 1 rise 1
    server ctrl2 {v1b}:{api_port} check inter 200ms fall 1 rise 1

backend neutron-server
    server neutron1 {nup}:{neutron_port} check inter 200ms fall 1 rise 1
    server neutron2 {ndown}:{neutron_port} check inter 200ms fall 1 rise 1
"""


class HAProxy:
    """One HAProxy instance (and its reloads) in a temp directory."""

    V1_API, V2_API, NEUTRON_UP, NEUTRON_DOWN = V1_API, V2_API, NEUTRON_UP, NEUTRON_DOWN

    def __init__(self, workdir, backends):
        self.dir = Path(workdir)
        self.cli_port, self.api_fe, self.neutron_fe = free_port(), free_port(), free_port()
        self.config = self.dir / 'haproxy.cfg'
        self.state_file = self.dir / 'server-state'
        self.unix_socket = str(self.dir / 'admin.sock')
        self.tcp_socket = 'tcp://127.0.0.1:%d' % self.cli_port
        self.config.write_text(HAPROXY_CFG.format(
            dir=self.dir, cli_port=self.cli_port, api_fe=self.api_fe,
            neutron_fe=self.neutron_fe, v1a=V1_API[0], v1b=V1_API[1], nup=NEUTRON_UP,
            ndown=NEUTRON_DOWN, api_port=backends['api_port'],
            neutron_port=backends['neutron_port']))
        self.processes = []

    def start(self, reload_from=None):
        """Start HAProxy in the foreground; with ``reload_from``, as its ``-sf`` successor."""
        cmd = [HAPROXY, '-db', '-f', str(self.config)]
        if reload_from is not None:
            cmd += ['-sf', str(reload_from.pid)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.processes.append(proc)
        self._wait_until_serving(proc)
        return proc

    def reload(self):
        """``haproxy -sf <old pid>``: what ``systemctl reload haproxy`` does."""
        old = self.processes[-1]
        new = self.start(reload_from=old)
        old.wait(timeout=10)
        return new

    def _wait_until_serving(self, proc, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError('haproxy exited: %s' % proc.stdout.read().decode())
            try:
                if 'Pid: %d' % proc.pid in self.cli('show info'):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError('haproxy did not answer on its TCP socket in %ss' % timeout)

    def cli(self, command):
        with socket.create_connection(('127.0.0.1', self.cli_port), timeout=5) as sock:
            sock.sendall(command.encode() + b'\n')
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b''.join(chunks).decode()
                chunks.append(chunk)

    def servers_state(self, backend):
        """``{server: (admin_state_bits, addr, port, op_state)}`` straight from HAProxy."""
        answer = self.cli('show servers state %s' % backend)
        rows = {}
        for line in filter(None, answer.splitlines()[2:]):
            words = line.split()
            if len(words) < 19:
                raise AssertionError('unexpected "show servers state" row %r in %r' % (line, answer))
            rows[words[3]] = (int(words[6]), words[4], int(words[18]), int(words[5]))
        return rows

    def settled(self):
        """Health checks done: ctrl1 UP, neutron2 DOWN (an answer read mid-start counts as not yet)."""
        try:
            return (self.servers_state('contrail-api')['ctrl1'][3] == 2
                    and self.servers_state('neutron-server')['neutron2'][3] == 0)
        except (AssertionError, KeyError, OSError) as exc:
            self.last_error = exc
            return False

    def wait_until(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError('condition not reached in %ss (last answer: %s)'
                                     % (timeout, getattr(self, 'last_error', None)))
            time.sleep(0.05)

    def stop(self):
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def haproxy(tmp_path, backend_servers):
    """A fresh HAProxy per test, with its health checks settled (neutron2 DOWN)."""
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail('%s is not installed (make deps installs the Debian package)' % HAPROXY)
    instance = HAProxy(tmp_path, backend_servers)
    instance.start()
    try:
        instance.wait_until(instance.settled, timeout=30)
        yield instance
    finally:
        instance.stop()
