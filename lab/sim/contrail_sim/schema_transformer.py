"""contrail-schema of the lab: iBGP auto-mesh, routing instances and route targets.

Like the real schema transformer it reads notifications from its RabbitMQ queue
(``schema_transformer.<hostname>``), works only while it is the ZooKeeper master
(``/<cluster>/schema-transformer``), and writes through the REST API:

* iBGP auto-mesh: when ``global-system-config.ibgp_auto_mesh`` is true (the schema default),
  every pair of control-node bgp-routers with the same ASN gets a ``bgp_router_refs`` peering
  with ``BgpPeeringAttributes``; a peering between routers whose ASNs differ is removed (a
  deleted router loses its peerings with its row, in the API server).
* Per virtual network (except ip-fabric and __link_local__, whose instances the API server
  creates): routing instance ``<vn fq_name>:<vn name>`` and route target
  ``target:<global ASN>:<n>``, ``n`` allocated in ZooKeeper ``/<cluster>/id/bgp/route-targets/``
  from 8000000 and cached in ``to_bgp_keyspace.route_target_table`` (row = RI fq_name string,
  column ``rtgt_num``). Instances of deleted networks are removed and their numbers freed.

Stopping this process stops all allocation, which is what the ISSU procedure relies on.

    python3 -m contrail_sim.schema_transformer --conf_file /etc/contrail/contrail-schema.conf
"""
import argparse
import logging
import queue
import socket
import sys
import threading
import time

from contrail_sim import amqp, configdb, zk
from contrail_sim.config_daemon import (COMMON_DEFAULTS, DaemonStatus, VERSIONS, connect_zk,
                                        db_probe, read_conf, release, wait_for_mastership)
from contrail_sim.provision import RestError, VncRest

LOG = logging.getLogger('contrail-schema')
GSC = ['default-global-system-config']
SYSTEM_VNS = (['default-domain', 'default-project', 'ip-fabric'],
              ['default-domain', 'default-project', '__link_local__'])
MESH_TYPES = ('bgp_router', 'global_system_config')
RESYNC_SECONDS = 60


class SchemaTransformer(object):
    """Reconciles peering, instances and targets with what the config API holds."""

    def __init__(self, api, zkc, db):
        self.api = api
        self.zk = zkc
        self.db = db
        self.rt_alloc = zk.rt_allocator(zkc)

    # -- iBGP auto-mesh --------------------------------------------------------------------
    def global_config(self):
        gsc = self.api.read('global-system-config', self.api.fq_name_to_id('global-system-config', GSC))
        return gsc.get('autonomous_system') or 64512, gsc.get('ibgp_auto_mesh', True) is not False

    def reconcile_mesh(self):
        _, auto_mesh = self.global_config()
        routers = [r for r in self.api.list('bgp-router', detail=True)
                   if (r.get('bgp_router_parameters') or {}).get('router_type') == 'control-node']
        by_uuid = dict((r['uuid'], r) for r in routers)
        for router in sorted(routers, key=lambda r: r['uuid']):
            params = router['bgp_router_parameters']
            peers = set(ref['uuid'] for ref in router.get('bgp_router_refs') or [])
            for other in routers:
                if other['uuid'] <= router['uuid']:
                    continue
                same_asn = other['bgp_router_parameters'].get('autonomous_system') == \
                    params.get('autonomous_system')
                if auto_mesh and same_asn and other['uuid'] not in peers:
                    self._peer(router, other, 'ADD')
                elif not same_asn and other['uuid'] in peers and other['uuid'] in by_uuid:
                    self._peer(router, other, 'DELETE')

    def _peer(self, router, other, operation):
        families = (router['bgp_router_parameters'].get('address_families') or {}).get('family') or []
        attr = {'session': [{'uuid': None, 'attributes': [
            {'bgp_router': None, 'address_families': {'family': list(families)}}]}]}
        self.api.ref_update('bgp-router', router['uuid'], 'bgp-router', other['uuid'], operation,
                            attr if operation == 'ADD' else None)
        LOG.info('iBGP mesh: %s peering %s <-> %s', operation, router['name'], other['name'])

    # -- routing instances and route targets -----------------------------------------------
    def reconcile_networks(self, deep=False):
        """Create missing primary instances, drop those of deleted networks.

        ``deep`` (first pass after becoming master) also repairs instances left without their
        route target by an interrupted run; later passes only compare names (cheap at 50k VNs).
        """
        all_vns = self.api.list('virtual-network')
        vn_names = set(':'.join(v['fq_name']) for v in all_vns)
        instances = self.api.list('routing-instance', detail=deep)
        present = dict((':'.join(ri['fq_name']), ri) for ri in instances)
        for vn in all_vns:
            if vn['fq_name'] in SYSTEM_VNS:
                continue
            ri = present.get(':'.join(vn['fq_name'] + [vn['fq_name'][-1]]))
            if ri is None or (deep and not ri.get('route_target_refs') and
                              not ri.get('routing_instance_is_default')):
                self.ensure_instance(vn['fq_name'])
        for ri in instances:
            if ':'.join(ri['fq_name'][:-1]) not in vn_names:
                self.remove_instance(ri['fq_name'], ri['uuid'])

    def ensure_instance(self, vn_fq_name):
        ri_fq = vn_fq_name + [vn_fq_name[-1]]
        ri_uuid = self.api.ensure('routing-instance', {
            'fq_name': ri_fq, 'parent_type': 'virtual-network', 'routing_instance_is_default': False})
        if self.api.read('routing-instance', ri_uuid, '?exclude_back_refs=true&exclude_children=true'
                         ).get('routing_instance_is_default'):
            return                         # a system instance the API server made at start-up
        asn, _ = self.global_config()
        number = self.route_target_number(':'.join(ri_fq))
        rt_name = 'target:%s:%d' % (asn, number)
        rt_uuid = self.api.ensure('route-target', {'fq_name': [rt_name]})
        self.api.ref_update('routing-instance', ri_uuid, 'route-target', rt_uuid, 'ADD',
                            {'import_export': None})
        LOG.info('routing-instance %s with %s', ':'.join(ri_fq), rt_name)

    def route_target_number(self, ri_name):
        """The cached number of an instance, else a new one from ZooKeeper (then cached)."""
        cached = self.db.get_row('to_bgp_keyspace', 'route_target_table', ri_name).get('rtgt_num')
        if cached is not None and self.rt_alloc.read(int(cached)) == ri_name:
            return int(cached)
        if cached is not None and self.rt_alloc.reserve(int(cached), ri_name):
            return int(cached)
        number = self.rt_alloc.alloc(ri_name)
        self.db.insert('to_bgp_keyspace', 'route_target_table', ri_name, {'rtgt_num': number})
        return number

    def remove_instance(self, ri_fq, ri_uuid):
        ri = self.api.read('routing-instance', ri_uuid)
        if ri.get('routing_instance_is_default'):
            return
        self._delete('routing-instance', ri_uuid)
        for ref in ri.get('route_target_refs') or []:
            self._delete('route-target', ref['uuid'])
        ri_name = ':'.join(ri_fq)
        cached = self.db.get_row('to_bgp_keyspace', 'route_target_table', ri_name).get('rtgt_num')
        if cached is not None:
            self.rt_alloc.delete(int(cached))
            self.db.remove('to_bgp_keyspace', 'route_target_table', ri_name)
        LOG.info('routing-instance %s removed', ri_name)

    def _delete(self, rtype, obj_uuid):
        try:
            self.api.delete(rtype, obj_uuid)
        except RestError as err:
            if err.status not in (404, 409):
                raise
            if err.status == 409:
                LOG.info('%s %s still in use: %s', rtype, obj_uuid, err.text)

    # -- event handling --------------------------------------------------------------------
    def handle(self, message):
        """React to one notification; unknown or irrelevant messages are ignored."""
        obj_type, oper = message.get('type'), message.get('oper')
        if obj_type in MESH_TYPES:
            self.reconcile_mesh()
        if obj_type == 'virtual_network' and oper in ('CREATE', 'DELETE'):
            fq_name = message.get('fq_name') or (message.get('obj_dict') or {}).get('fq_name')
            if fq_name and fq_name not in SYSTEM_VNS:
                if oper == 'CREATE':
                    self.ensure_instance(fq_name)
                else:
                    self._drop_instance_of(fq_name)

    def _drop_instance_of(self, vn_fq_name):
        ri_fq = vn_fq_name + [vn_fq_name[-1]]
        ri_uuid = self.api.fq_name_to_id('routing-instance', ri_fq)
        if ri_uuid:
            self.remove_instance(ri_fq, ri_uuid)

    def resync(self, deep=False):
        self.reconcile_mesh()
        self.reconcile_networks(deep)


def work_loop(st, events, stop):
    """Apply notifications in order; a full resync at start, after errors and every minute."""
    need_resync, last_resync, deep = True, 0.0, True
    while not stop.is_set():
        try:
            if need_resync or time.time() - last_resync > RESYNC_SECONDS:
                st.resync(deep)
                need_resync, last_resync, deep = False, time.time(), False
            try:
                message = events.get(timeout=1)
            except queue.Empty:
                continue
            st.handle(message)
        except (RestError, OSError, zk.ZkUnavailable) as exc:
            LOG.warning('schema transformer: %s; resync in 2 s', exc)
            need_resync = deep = True
            stop.wait(2)
        except Exception:                  # a bug or a DB hiccup must not end the daemon
            LOG.exception('schema transformer: unexpected error; resync in 2 s')
            need_resync = deep = True
            stop.wait(2)


def run(conf):
    port = int(conf.get('http_server_port', 8087))
    dsn = configdb.dsn_from_server_list(conf['cassandra_server_list'])
    db = configdb.ConfigDB(dsn, conf.get('cluster_id'))
    db.ensure_keyspaces(['to_bgp_keyspace'])
    zkc = connect_zk(conf)
    api = VncRest.from_conf(conf, '%s:contrail-schema' % socket.gethostname())
    events = queue.Queue()
    consumer = amqp.Consumer(amqp.params_from_conf(conf), 'schema_transformer.%s' % socket.gethostname(),
                             events.put)
    status = DaemonStatus('contrail-schema', port, {
        ('Zookeeper', 'Zookeeper'): zkc.connected,
        ('Database', 'RabbitMQ'): lambda: consumer.connected,
        ('Database', 'Cassandra'): db_probe(dsn),
        ('ApiServer', 'ApiServer'): lambda: bool(api.wait_ready(1)),
    })
    LOG.info('contrail-schema %s waiting for mastership', VERSIONS[release()])
    wait_for_mastership(zkc, 'schema-transformer', socket.gethostname())
    api.wait_ready(300)
    status.serve()
    LOG.info('contrail-schema is master; introspect on %d', port)
    work_loop(SchemaTransformer(api, zkc, db), events, threading.Event())


def main(argv=None):
    parser = argparse.ArgumentParser(description='lab contrail-schema')
    parser.add_argument('--conf_file', action='append', default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s contrail-schema %(levelname)s %(message)s')
    logging.getLogger('pika').setLevel(logging.WARNING)
    conf = read_conf(args.conf_file, dict(COMMON_DEFAULTS, http_server_port='8087'))
    run(conf)


if __name__ == '__main__':
    main()
