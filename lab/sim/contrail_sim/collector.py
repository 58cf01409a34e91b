"""contrail-collector (minimal): accepts generator connections on 8086, introspect on 8089.

The lab has no analytics pipeline; what the ISSU procedure observes of the collector is that
the port accepts connections (agents report ``Collector`` Up) and that contrail-status finds a
Functional NodeStatus on 8089.  Connections are held open and their bytes discarded.
"""
import argparse
import logging
import socket
import sys
import threading

from contrail_sim import sandesh as S
from contrail_sim import xmpp

LOG = logging.getLogger('contrail-collector')


def drain(sock):
    """Hold a generator's connection until it closes (bytes are discarded)."""
    with sock:
        while sock.recv(65536):
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-collector (lab simulation)')
    parser.add_argument('--conf_file', default='/etc/contrail/contrail-collector.conf')
    args = parser.parse_args(argv)
    conf = S.read_conf(args.conf_file)
    get = lambda key, dflt: S.conf_get(conf, 'DEFAULT', key, dflt)   # noqa: E731
    hostname = get('hostname', socket.gethostname())
    S.setup_logging(get('log_file', '/var/log/contrail/contrail-collector.log'),
                    'contrail-collector')
    xmpp.serve_tcp('0.0.0.0', int(get('port', 8086)), drain)
    status = S.NodeStatusHolder(hostname, 'contrail-collector')
    S.serve_introspect(int(get('http_server_port', 8089)), {}, node_status=status)
    LOG.info('contrail-collector up on %s', get('port', 8086))
    threading.Event().wait()


if __name__ == '__main__':
    sys.exit(main())
