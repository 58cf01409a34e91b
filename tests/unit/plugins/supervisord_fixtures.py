# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake supervisord: its XML-RPC interface on a UNIX socket, as ``[unix_http_server]`` serves it.

``supervisord_rpc(infos, status=200, stops=True)`` starts one and returns ``(path, calls)``:
``getAllProcessInfo`` answers ``infos`` (a list the test may change); ``stopAllProcesses`` marks
the running programs STOPPING, and the next ``getAllProcessInfo`` shows them STOPPED (reaped), as
supervisord answers between turns of its loop - unless ``stops`` is false (a program that does
not die). A ``status`` other than 200 answers every call with it (credentials wanted: 401).
"""

from __future__ import annotations

import socketserver
import threading
from xmlrpc.server import SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

import pytest

#: supervisor states of a program that runs (or is about to).
UP = ('STARTING', 'RUNNING', 'BACKOFF')


class _UnixXmlRpcServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer,
                        SimpleXMLRPCDispatcher):
    """An XML-RPC server on a UNIX socket, as supervisord's [unix_http_server] is."""

    daemon_threads = True
    logRequests = False

    def __init__(self, path, status=200):
        SimpleXMLRPCDispatcher.__init__(self, allow_none=True)

        class Handler(SimpleXMLRPCRequestHandler):
            disable_nagle_algorithm = False     # TCP_NODELAY: not on a UNIX socket

            def address_string(self):
                return 'unix'

            def do_POST(self):
                if status != 200:      # supervisord with credentials: 401 without them
                    self.send_response(status)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                SimpleXMLRPCRequestHandler.do_POST(self)
        socketserver.UnixStreamServer.__init__(self, path, Handler)


def info(name, state, group=None, pid=0):
    return dict(name=name, group=group or name, statename=state, pid=pid)


def serve(path, infos, status=200, stops=True):
    """Serve a fake supervisord on ``path`` (see the module's docstring) -> (server, calls);
    ``server.shutdown(); server.server_close()`` ends it."""
    server = _UnixXmlRpcServer(path, status)
    calls = []

    def get_all_process_info():
        calls.append('getAllProcessInfo')
        answer = [dict(i) for i in infos]
        for each in infos:
            if each['statename'] == 'STOPPING' and stops:
                each.update(statename='STOPPED', pid=0)
        return answer

    def stop_all_processes(wait=True):
        calls.append('stopAllProcesses(%s)' % wait)
        results = []
        for each in infos:
            if each['statename'] in UP:
                each['statename'] = 'STOPPING'
                results.append(dict(name=each['name'], group=each['group'], status=80,
                                    description='OK'))
        return results
    server.register_function(get_all_process_info, 'supervisor.getAllProcessInfo')
    server.register_function(stop_all_processes, 'supervisor.stopAllProcesses')
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, calls


@pytest.fixture
def supervisord_rpc(tmp_path):
    """Start fake supervisords (see the module's docstring): ``start(infos, ...) -> (path, calls)``."""
    servers = []

    def start(infos, status=200, stops=True):
        path = str(tmp_path / ('supervisord_%d.sock' % len(servers)))
        server, calls = serve(path, infos, status, stops)
        servers.append(server)
        return path, calls
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
