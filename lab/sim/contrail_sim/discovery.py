"""contrail-discovery (3.2 only, REST on 5998, introspect 5997) of the lab.

The 3.2 vRouter agent finds its control nodes, DNS servers and collectors here::

    POST /subscribe {"service": "xmpp-server", "instances": 2, "client": "compute1:contrail-vrouter-agent:0",
                     "client-type": "contrail-vrouter-agent:0"}
    -> {"ttl": 300, "xmpp-server": [{"ip-address": "10.99.0.11", "port": "5269"}, ...]}

Services come from ``/etc/contrail/contrail-discovery.conf`` (lab section, one key per service
name, space-separated ``ip:port``)::

    [DEFAULTS]
    listen_ip_addr=0.0.0.0
    listen_port=5998
    http_server_port=5997
    ttl_min=300
    ttl_max=1800
    [LAB-SERVICES]
    xmpp-server=10.99.0.11:5269 10.99.0.12:5269
    dns-server=10.99.0.11:53 10.99.0.12:53
    Collector=10.99.0.11:8086 10.99.0.12:8086

plus anything POSTed to ``/publish`` (``{"service-type": "xmpp-server", "xmpp-server":
{"ip-address": ..., "port": ...}}``). Each client gets a stable choice of ``instances`` entries
(rotated by client name, so agents spread over the servers) and repeated subscriptions return
the same set while it is still published. ``GET /services.json`` lists everything.
"""
import argparse
import configparser
import json
import logging
import random
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger('contrail-discovery')


def read_conf(paths):
    parser = configparser.ConfigParser(interpolation=None, default_section='__none__', strict=False)
    parser.optionxform = str                      # service names are case-sensitive (Collector)
    parser.read(paths)
    conf = {'listen_ip_addr': '0.0.0.0', 'listen_port': '5998', 'http_server_port': '5997',
            'ttl_min': '300', 'ttl_max': '1800', 'ttl_short': '1'}
    if parser.has_section('DEFAULTS'):
        conf.update(parser.items('DEFAULTS'))
    services = {}
    if parser.has_section('LAB-SERVICES'):
        for name, value in parser.items('LAB-SERVICES'):
            services[name] = [_entry(item) for item in value.split()]
    return conf, services


def _entry(item):
    host, _, port = item.rpartition(':')
    return {'ip-address': host, 'port': port}


class Registry(object):
    """Published services and the per-client choices made for them."""

    def __init__(self, services, ttl_min, ttl_max, ttl_short=1):
        self.services = dict((name, list(entries)) for name, entries in services.items())
        self.ttl_min, self.ttl_max, self.ttl_short = ttl_min, ttl_max, ttl_short
        self.lock = threading.Lock()

    def publish(self, service, entry):
        with self.lock:
            entries = self.services.setdefault(service, [])
            if entry not in entries:
                entries.append(entry)

    def subscribe(self, service, instances, client):
        with self.lock:
            entries = list(self.services.get(service, []))
        if not entries:
            return []
        start = zlib.crc32(client.encode()) % len(entries)
        rotated = entries[start:] + entries[:start]
        return rotated[:instances] if instances > 0 else rotated

    def ttl(self, found=True):
        """Seconds until the client subscribes again: ttl_short while nothing is published
        (so a client that came up first is not left without servers for half an hour)."""
        if not found:
            return self.ttl_short
        return random.randint(self.ttl_min, self.ttl_max)


def make_handler(registry):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'WSGIServer/0.1'

        def log_message(self, fmt, *args):
            LOG.debug(fmt, *args)

        def _json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get('Content-Length') or 0)
            try:
                return json.loads(self.rfile.read(length) or b'{}')
            except ValueError:
                return None

        def do_POST(self):
            body = self._body()
            if not isinstance(body, dict):
                return self._json(400, {'error': 'invalid JSON body'})
            if self.path == '/subscribe':
                return self._subscribe(body)
            if self.path == '/publish':
                return self._publish(body)
            self._json(404, {'error': 'not found'})

        def _subscribe(self, body):
            service = body.get('service')
            if not service:
                return self._json(400, {'error': 'service missing'})
            chosen = registry.subscribe(service, int(body.get('instances') or 0),
                                        str(body.get('client') or self.client_address[0]))
            LOG.info('subscribe %s by %s -> %s', service, body.get('client'), chosen)
            self._json(200, {'ttl': registry.ttl(bool(chosen)), service: chosen})

        def _publish(self, body):
            service = body.get('service-type')
            entry = body.get(service) if service else None
            if not isinstance(entry, dict):
                return self._json(400, {'error': 'service-type and its data are required'})
            registry.publish(service, entry)
            self._json(200, {'cookie': '%s:%s' % (service, entry.get('ip-address'))})

        def do_GET(self):
            if self.path.split('?')[0] in ('/services.json', '/services'):
                with registry.lock:
                    listing = [dict(e, service_type=name) for name, entries in
                               sorted(registry.services.items()) for e in entries]
                return self._json(200, {'services': listing})
            self._json(404, {'error': 'not found'})

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    parser = argparse.ArgumentParser(description='lab contrail-discovery (3.2)')
    parser.add_argument('--conf_file', action='append', default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s contrail-discovery %(levelname)s %(message)s')
    conf, services = read_conf(args.conf_file)
    registry = Registry(services, int(conf['ttl_min']), int(conf['ttl_max']),
                        int(conf['ttl_short']))
    from contrail_sim.config_daemon import DaemonStatus
    DaemonStatus('contrail-discovery', int(conf['http_server_port']), {}).serve()
    server = Server((conf['listen_ip_addr'], int(conf['listen_port'])), make_handler(registry))
    LOG.info('contrail-discovery on %s:%s with %s', conf['listen_ip_addr'], conf['listen_port'],
             dict((k, len(v)) for k, v in services.items()))
    server.serve_forever(poll_interval=0.5)


if __name__ == '__main__':
    main()
