"""contrail-dns (minimal): agent XMPP channel on 8093, introspect on 8092.

Agents open a second XMPP channel to ``network-dns@contrailsystems.com`` on 8093
(wire-formats §5.1; a fixed port, ``ContrailPorts::DnsXmpp``: ``dns_server_port`` of
contrail-dns.conf is the DNS port, 53); this daemon answers the stream with the same build rule as the control
node (major.minor must match) and keeps the session with keepalives.  No DNS records are served.
"""
import argparse
import logging
import os
import socket
import sys
import threading
import time

from contrail_sim import sandesh as S
from contrail_sim import xmpp

LOG = logging.getLogger('contrail-dns')
XMPP_PORT = 8093


class DnsServer(object):
    def __init__(self, version):
        self.version = version
        self.streams = set()
        self.lock = threading.Lock()

    def on_connection(self, sock):
        stream = xmpp.XmppStream(sock)
        events = stream.events()
        first = next(events, None)
        if first is None or first[0] != 'open':
            return stream.close()
        if not xmpp.compatible(first[1].get('contrail-build'), self.version):
            return stream.close(send_close=True)
        stream.send(xmpp.stream_open(xmpp.DNS_JID, first[1].get('from', ''), self.version,
                                     '++123'))
        with self.lock:
            self.streams.add(stream)
        try:
            for _ in events:
                pass
        finally:
            with self.lock:
                self.streams.discard(stream)
            stream.close()

    def keepalive_loop(self):
        while True:
            time.sleep(xmpp.KEEPALIVE_INTERVAL)
            with self.lock:
                streams = list(self.streams)
            for stream in streams:
                try:
                    stream.keepalive()
                except xmpp.StreamClosed:
                    pass


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-dns (lab simulation)')
    parser.add_argument('--conf_file', default='/etc/contrail/contrail-dns.conf')
    args = parser.parse_args(argv)
    conf = S.read_conf(args.conf_file)
    get = lambda key, dflt: S.conf_get(conf, 'DEFAULT', key, dflt)   # noqa: E731
    S.setup_logging(get('log_file', '/var/log/contrail/contrail-dns.log'), 'contrail-dns')
    server = DnsServer(os.environ.get('CONTRAIL_VERSION', '3.2.14.0-37'))
    xmpp.serve_tcp(get('hostip', '0.0.0.0'), XMPP_PORT, server.on_connection)
    status = S.NodeStatusHolder(get('hostname', socket.gethostname()), 'contrail-dns')
    S.serve_introspect(int(get('http_server_port', 8092)), {}, node_status=status)
    LOG.info('contrail-dns up')
    server.keepalive_loop()


if __name__ == '__main__':
    sys.exit(main())
