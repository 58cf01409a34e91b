# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake supervisord: its XML-RPC interface on a UNIX socket, as ``[unix_http_server]`` serves it.

``supervisord_rpc(infos, status=200, stops=True, reload=None)`` starts one and returns
``(path, calls)``: ``getAllProcessInfo`` answers ``infos`` (a list the test may change);
``stopAllProcesses``, ``stopProcess`` and ``stopProcessGroup`` mark the running programs they
name STOPPING, and the next ``getAllProcessInfo`` shows them STOPPED (reaped), as supervisord
answers between turns of its loop - unless ``stops`` is false (a program that does not die).
``stopProcess`` of a program not running is refused (``NOT_RUNNING``), as supervisord refuses it.
``reloadConfig`` answers ``reload`` ((added, changed, removed) group names, default none);
``removeProcessGroup`` drops a stopped group's programs (refused while one runs) and
``addProcessGroup`` adds a group's one program RUNNING (autostart). A ``status`` other than 200
answers every call with it (credentials wanted: 401).
"""

from __future__ import annotations

import socketserver
import threading
from xmlrpc.client import Fault
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


def serve(path, infos, status=200, stops=True, reload=None):
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

    def stop(chosen):
        results = []
        for each in chosen:
            if each['statename'] in UP:
                each['statename'] = 'STOPPING'
                results.append(dict(name=each['name'], group=each['group'], status=80,
                                    description='OK'))
        return results

    def stop_all_processes(wait=True):
        calls.append('stopAllProcesses(%s)' % wait)
        return stop(infos)

    def stop_process(name, wait=True):
        calls.append('stopProcess(%s, %s)' % (name, wait))
        named = [i for i in infos if name in (i['name'], '%s:%s' % (i['group'], i['name']))]
        if not named:
            raise Fault(10, 'BAD_NAME: %s' % name)
        if not stop(named):
            raise Fault(70, 'NOT_RUNNING: %s' % name)
        return True

    def stop_process_group(group, wait=True):
        calls.append('stopProcessGroup(%s, %s)' % (group, wait))
        return stop([i for i in infos if i['group'] == group])

    def reload_config():
        calls.append('reloadConfig')
        return [[list(part) for part in (reload or ((), (), ()))]]

    def remove_process_group(group):
        calls.append('removeProcessGroup(%s)' % group)
        if any(i['statename'] in UP + ('STOPPING',) for i in infos if i['group'] == group):
            raise Fault(91, 'STILL_RUNNING: %s' % group)
        infos[:] = [i for i in infos if i['group'] != group]
        return True

    def add_process_group(group):
        calls.append('addProcessGroup(%s)' % group)
        infos.append(info(group, 'RUNNING', pid=4242))
        return True
    for function, name in ((get_all_process_info, 'getAllProcessInfo'),
                           (stop_all_processes, 'stopAllProcesses'), (stop_process, 'stopProcess'),
                           (stop_process_group, 'stopProcessGroup'), (reload_config, 'reloadConfig'),
                           (remove_process_group, 'removeProcessGroup'),
                           (add_process_group, 'addProcessGroup')):
        server.register_function(function, 'supervisor.' + name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, calls


@pytest.fixture
def supervisord_rpc(tmp_path):
    """Start fake supervisords (see the module's docstring): ``start(infos, ...) -> (path, calls)``."""
    servers = []

    def start(infos, status=200, stops=True, reload=None):
        path = str(tmp_path / ('supervisord_%d.sock' % len(servers)))
        server, calls = serve(path, infos, status, stops, reload)
        servers.append(server)
        return path, calls
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
