# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``http_stub``: a loopback HTTP server whose answers a test scripts per request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class HttpStub:
    """Answers requests with ``handler(method, path, headers, body) -> (status, headers, text)``,
    or drops the connection unanswered when the handler returns None.

    Every request is recorded as (method, path, headers, decoded JSON body or text).
    """

    def __init__(self):
        self.requests = []
        self.handler = lambda *args: (200, {}, '{}')
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length).decode() if length else ''
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                stub.requests.append((self.command, self.path, dict(self.headers), body))
                answer = stub.handler(self.command, self.path, dict(self.headers), body)
                if answer is None:          # drop the connection without an answer
                    self.close_connection = True
                    return
                status, headers, text = answer
                data = text.encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_stub():
    stub = HttpStub()
    yield stub
    stub.close()
