"""contrail-svc-monitor and contrail-device-manager of the lab, plus the runtime the config-node
daemons share (conf reading, ZooKeeper mastership, NodeStatus introspect).

svc-monitor and device-manager do no service work in the lab, but they are real processes: they
hold a ZooKeeper session and compete for mastership (``/<cluster>/svc-monitor``,
``/<cluster>/device-manager``), consume their RabbitMQ queue (``svc_monitor.<host>`` /
``device_manager.<host>``), create their keyspace, and only the master serves introspect
(8088 / 8096) with NodeStatus - so contrail-status shows ``active`` on the master and ``backup``
elsewhere, as with the real daemons.

    python3 -m contrail_sim.config_daemon --name contrail-svc-monitor \
        --conf_file /etc/contrail/contrail-svc-monitor.conf
"""
import argparse
import configparser
import logging
import os
import socket
import sys
import threading
import time

from contrail_sim import amqp, configdb, zk

LOG = logging.getLogger('contrail-config-daemon')
VERSIONS = {'3.2': '3.2.14.0-37', '4.0': '4.0.3.0-62'}

# program -> (introspect port, queue prefix, election node, keyspace)
DAEMONS = {
    'contrail-svc-monitor': (8088, 'svc_monitor', 'svc-monitor', 'svc_monitor_keyspace'),
    'contrail-device-manager': (8096, 'device_manager', 'device-manager', 'dm_keyspace'),
}


def read_conf(paths, defaults=None):
    """``[DEFAULTS]`` (or ``[DEFAULT]``) of Contrail conf files as a dict over ``defaults``, with
    ``[KEYSTONE]``'s keys as ``keystone_<key>``."""
    conf = dict(defaults or {})
    parser = configparser.ConfigParser(interpolation=None, default_section='__none__', strict=False)
    parser.read(paths)
    for section, prefix in (('DEFAULT', ''), ('DEFAULTS', ''), ('KEYSTONE', 'keystone_')):
        if parser.has_section(section):
            conf.update((prefix + key, value) for key, value in parser.items(section))
    return conf


COMMON_DEFAULTS = {
    'zk_server_ip': '127.0.0.1:2181', 'cassandra_server_list': '127.0.0.1:9160',
    'rabbit_server': 'localhost', 'rabbit_port': '5672', 'rabbit_vhost': '', 'cluster_id': '',
    'api_server_ip': '127.0.0.1', 'api_server_port': '8082',
}


def release():
    value = os.environ.get('CONTRAIL_VERSION', '3.2')
    return '4.0' if value.startswith('4') or value == 'v2' else '3.2'


def build_info(module):
    return '{"build-info": [{"build-version": "%s", "build-id": "%s", "build-hostname": '\
           '"contrail-sim", "component": "%s"}]}' % (release(), VERSIONS[release()], module)


class DaemonStatus(object):
    """NodeStatus on an introspect port, refreshed from connection probes every 2 s.

    ``probes`` maps (connection type, name) -> callable returning True when up; types and names
    are those of the real daemons (``Zookeeper``/``Zookeeper``, ``Database``/``RabbitMQ``,
    ``Database``/``Cassandra``, ``ApiServer``/``ApiServer``).
    """

    def __init__(self, module_id, port, probes, host='0.0.0.0'):
        from contrail_sim import sandesh
        self.sandesh = sandesh
        self.port, self.host = port, host
        self.probes = probes
        self.holder = sandesh.NodeStatusHolder(socket.gethostname(), module_id,
                                               build_info=build_info(module_id))
        self.server = None
        self.refresh()
        threading.Thread(target=self._loop, name='node-status', daemon=True).start()

    def refresh(self):
        for (ctype, name), probe in self.probes.items():
            try:
                up = bool(probe())
            except Exception:
                up = False
            self.holder.set_connection(ctype, name, up)

    def _loop(self):
        while True:
            time.sleep(2)
            self.refresh()

    def serve(self, handlers=None):
        """Start answering introspect (the real daemons do this once they are master)."""
        if self.server is None:
            self.server = self.sandesh.serve_introspect(self.port, handlers or {},
                                                        node_status=self.holder, host=self.host)
        return self.server


def db_probe(dsn):
    """A probe that opens (and keeps) one connection to the config DB, reconnecting when lost."""
    state = {}

    def probe():
        try:
            if 'db' not in state:
                state['db'] = configdb.ConfigDB(dsn)
            with state['db'].conn.cursor() as cur:
                cur.execute('SELECT 1')
            return True
        except Exception:
            state.pop('db', None)
            return False
    return probe


def wait_for_mastership(zkc, node, identifier):
    """Block until this process leads the ZooKeeper election at ``node``; returns the Election.

    Runs the kazoo election in a thread whose leader function parks forever, so mastership is
    held as long as the ZooKeeper session lives.
    """
    election = zkc.kazoo.Election(zkc.path('/' + node), identifier)
    won = threading.Event()

    def lead():
        won.set()
        threading.Event().wait()

    threading.Thread(target=election.run, args=(lead,), name='election', daemon=True).start()
    won.wait()
    return election


def connect_zk(conf, attempts=60):
    """ZooKeeper session under /<cluster_id>, retried (bounded) while ZooKeeper starts."""
    for attempt in range(attempts):
        try:
            return zk.ZkClient(conf['zk_server_ip'], conf.get('cluster_id'))
        except Exception as exc:
            LOG.warning('ZooKeeper %s not reachable (%s), retry %d', conf['zk_server_ip'], exc, attempt)
            time.sleep(1)
    raise SystemExit('ZooKeeper %s not reachable' % conf['zk_server_ip'])


def run(name, conf):
    port, queue_prefix, election_node, keyspace = DAEMONS[name]
    port = int(conf.get('http_server_port', port))
    dsn = configdb.dsn_from_server_list(conf['cassandra_server_list'])
    configdb.ConfigDB(dsn, conf.get('cluster_id')).ensure_keyspaces([keyspace])
    zkc = connect_zk(conf)
    params = amqp.params_from_conf(conf)
    consumer = amqp.Consumer(params, '%s.%s' % (queue_prefix, socket.gethostname()),
                             lambda message: LOG.debug('notification %s', message.get('oper')))
    status = DaemonStatus(name, port, {
        ('Zookeeper', 'Zookeeper'): zkc.connected,
        ('Database', 'RabbitMQ'): lambda: consumer.connected,
        ('Database', 'Cassandra'): db_probe(dsn),
    })
    LOG.info('%s %s waiting for mastership', name, VERSIONS[release()])
    wait_for_mastership(zkc, election_node, socket.gethostname())
    status.serve()
    LOG.info('%s is master; introspect on %d', name, port)
    threading.Event().wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description='lab svc-monitor / device-manager')
    parser.add_argument('--name', required=True, choices=sorted(DAEMONS))
    parser.add_argument('--conf_file', action='append', default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s ' + args.name + ' %(levelname)s %(message)s')
    logging.getLogger('pika').setLevel(logging.WARNING)
    run(args.name, read_conf(args.conf_file, COMMON_DEFAULTS))


if __name__ == '__main__':
    main()
