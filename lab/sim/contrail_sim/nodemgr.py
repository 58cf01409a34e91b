"""contrail-nodemgr (minimal): NodeStatus of a node type on its nodemgr introspect port.

``--nodetype contrail-<role>`` selects the port (config 8100, control 8101, vrouter 8102,
database 8103, analytics 8104, wire-formats §5.1) and the module id
(``contrail-<role>-nodemgr``) so that contrail-status sees the nodemgr line as active.
"""
import argparse
import os
import socket
import sys
import threading

from contrail_sim import sandesh as S

PORTS = {'contrail-config': 8100, 'contrail-control': 8101, 'contrail-vrouter': 8102,
         'contrail-database': 8103, 'contrail-analytics': 8104}


def supervisor_events():
    """Speak supervisor's eventlistener protocol (the real nodemgr is an [eventlistener:])."""
    while True:
        sys.stdout.write('READY\n')
        sys.stdout.flush()
        header = sys.stdin.readline()
        if not header:
            return                                  # not run as an eventlistener
        fields = dict(item.split(':', 1) for item in header.split())
        sys.stdin.read(int(fields.get('len', 0)))
        sys.stdout.write('RESULT 2\nOK')
        sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-nodemgr (lab simulation)')
    parser.add_argument('--nodetype', required=True, choices=sorted(PORTS))
    parser.add_argument('--http_server_port', type=int, default=None)
    args, _ = parser.parse_known_args(argv)
    S.setup_logging('/var/log/contrail/%s-nodemgr.log' % args.nodetype,
                    '%s-nodemgr' % args.nodetype)
    status = S.NodeStatusHolder(socket.gethostname(), '%s-nodemgr' % args.nodetype)
    S.serve_introspect(args.http_server_port or PORTS[args.nodetype], {}, node_status=status)
    if 'SUPERVISOR_ENABLED' in os.environ:
        supervisor_events()
    threading.Event().wait()


if __name__ == '__main__':
    sys.exit(main())
