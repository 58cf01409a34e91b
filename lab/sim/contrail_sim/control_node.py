"""contrail-control: BGP through a real gobgpd, XMPP 5269 for agents, introspect 8083.

What it does, and why each part behaves as it does in Contrail:

* **Config** comes only from its own cluster's config DB (keyspace prefix = cluster_id):
  its bgp-router (fq_name[-1] == hostname, or address == hostip) gives router id / ASN / port;
  the routers it refers to through ``bgp_router_refs`` (stored on both rows, wire-formats §4.1)
  are its BGP neighbors (``auth_data`` -> TCP MD5); routing-instances and their route-target
  refs map VRFs to RTs.
* **Re-reading config**: 3.2 mode (IF-MAP in the real product) re-reads every few seconds;
  4.0 mode re-reads only on a RabbitMQ message on queue ``contrail-control.<hostname>`` bound to
  ``vnc_config.object-update`` (ConfigAmqpClient) -- so, like LP 1779186, a change written
  directly to the DB is not seen until a message, SIGUSR1 or a restart.  SIGUSR1 always re-reads.
* **BGP** is gobgpd (family l3vpn-ipv4-unicast), configured by a generated TOML file that is
  reloaded with SIGHUP (gobgpd restarted when the global part changes).
* **XMPP**: agents whose build major.minor differs from ours are refused (stream closed).
  Agent routes become VPNv4 routes (RD <agent-ip>:<instance-id>, RT of the VRF, label, nexthop);
  every subscribed agent receives the routes of the other agents and the BGP-learnt routes whose
  RTs the VRF imports.  One worker thread reconciles desired vs. injected/advertised state.

Lab-only conf keys (documented for the provisioning code): ``[CONFIGDB] config_db_server_list``
(also in 3.2 mode), ``[CONFIGDB] cluster_id`` (or env CONTRAIL_CLUSTER_ID); when absent, the
DB / cluster_id / rabbit_* of the node's /etc/contrail/contrail-api.conf ``[DEFAULTS]`` are used;
``[DEFAULT] gobgp_api_port`` (default 50051), ``[DEFAULT] gobgp_work_dir``.
"""
import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from contrail_sim import amqp, tls
from contrail_sim import sandesh as S
from contrail_sim import xmpp

LOG = logging.getLogger('contrail-control')
FABRIC_RI = 'default-domain:default-project:ip-fabric:__default__'
GOBGP_STATES = {0: 'Idle', 1: 'Idle', 2: 'Connect', 3: 'Active', 4: 'OpenSent',
                5: 'OpenConfirm', 6: 'Established'}
CONFIG_POLL_32 = 3.0           # seconds between config re-reads in 3.2 mode
#: 4.0 mode: the RabbitMQ notifications that arrive within this many seconds of the last re-read
#: are read in one pass. The real config client applies each change by itself; the simulator
#: re-reads the whole config instead, which under a client writing five objects a second cost
#: the v2 control node a full read of every routing instance per write (a quarter of the lab's
#: two cores during a 30-compute run), CPU the computes' swaps then queued for.
CONFIG_COALESCE = 1.0
WORK_INTERVAL = 1.0            # BGP RIB poll / reconcile period
FAMILY_NAMES = {(1, 128): 'inet-vpn', (1, 132): 'route-target', (25, 70): 'e-vpn'}


# -- configuration --------------------------------------------------------------------------------
class Settings(object):
    """Everything contrail-control.conf and the environment say."""

    def __init__(self, conf_file):
        conf = S.read_conf(conf_file)
        get = lambda sec, key, dflt=None: S.conf_get(conf, sec, key, dflt)   # noqa: E731
        self.hostname = get('DEFAULT', 'hostname', socket.gethostname())
        self.hostip = get('DEFAULT', 'hostip', '')
        self.version = os.environ.get('CONTRAIL_VERSION', '3.2.14.0-37')
        self.is_40 = xmpp.major_minor(self.version) == '4.0'
        # Lab fallback: the controller image also holds contrail-api.conf, whose [DEFAULTS]
        # name the same DB, cluster and RabbitMQ; used when [CONFIGDB] does not say.
        api = S.read_conf(os.environ.get('CONTRAIL_API_CONF', '/etc/contrail/contrail-api.conf'))
        api_get = lambda key, dflt=None: S.conf_get(api, 'DEFAULTS', key, dflt)   # noqa: E731
        self.cluster_id = get('CONFIGDB', 'cluster_id', os.environ.get(
            'CONTRAIL_CLUSTER_ID', api_get('cluster_id', '')))
        self.db_servers = get('CONFIGDB', 'config_db_server_list',
                              api_get('cassandra_server_list', '127.0.0.1:9042'))
        rabbit = ' '.join('%s:%s' % (h, api_get('rabbit_port', '5672')) for h in
                          api_get('rabbit_server', '127.0.0.1').replace(',', ' ').split())
        self.rabbit_servers = get('CONFIGDB', 'rabbitmq_server_list', rabbit).split()
        self.rabbit_user = get('CONFIGDB', 'rabbitmq_user', api_get('rabbit_user', 'guest'))
        self.rabbit_password = get('CONFIGDB', 'rabbitmq_password',
                                   api_get('rabbit_password', 'guest'))
        self.rabbit_vhost = get('CONFIGDB', 'rabbitmq_vhost', api_get('rabbit_vhost', '/'))
        # 4.0's [CONFIGDB] rabbitmq_use_ssl / rabbitmq_ssl_* (else contrail-api.conf's kombu keys)
        self.rabbit_ssl = None
        if tls.enabled(get('CONFIGDB', 'rabbitmq_use_ssl', api_get('rabbit_use_ssl'))):
            self.rabbit_ssl = dict((key, get('CONFIGDB', 'rabbitmq_ssl_' + key,
                                             api_get('kombu_ssl_' + key)))
                                   for key in ('ca_certs', 'certfile', 'keyfile'))
        self.collectors = (get('DEFAULT', 'collectors', '') or '').split()
        self.http_port = int(get('DEFAULT', 'http_server_port', 8083))
        self.xmpp_port = int(get('DEFAULT', 'xmpp_server_port', 5269))
        self.bgp_port = int(get('DEFAULT', 'bgp_port', 179))
        self.gobgp_api_port = int(get('DEFAULT', 'gobgp_api_port', 50051))
        self.work_dir = get('DEFAULT', 'gobgp_work_dir', '/var/lib/contrail-sim')
        self.log_file = get('DEFAULT', 'log_file', '/var/log/contrail/contrail-control.log')


class ClusterConfig(object):
    """A snapshot of what the control node needs from its cluster's DB."""

    def __init__(self, routers, vrf_rts, virtual_routers):
        self.routers = routers                  # {uuid: router dict}
        self.vrf_rts = vrf_rts                  # {vrf fq-name: set('target:64512:N')}
        self.virtual_routers = virtual_routers  # set of hostnames

    def own_router(self, hostname, hostip):
        for router in self.routers.values():
            if router['name'] == hostname:
                return router
        return next((r for r in self.routers.values() if hostip and r['address'] == hostip), None)

    def neighbors(self, own):
        """Routers peered with ``own`` through bgp_router_refs (either row holding the ref)."""
        peers = set(own['refs']) | {u for u, r in self.routers.items() if own['uuid'] in r['refs']}
        peers.discard(own['uuid'])
        return sorted((self.routers[u] for u in peers if u in self.routers),
                      key=lambda r: r['name'])


def _fq_columns(db, object_type):
    """{fq-name-string: uuid} from the obj_fq_name_table row of one type (columns fq:uuid)."""
    row = db.get_row('config_db_uuid', 'obj_fq_name_table', object_type, decode=False)
    return {col.rsplit(':', 1)[0]: col.rsplit(':', 1)[1] for col in row}


def read_cluster_config(db):
    routers = {}
    router_uuids = list(_fq_columns(db, 'bgp_router').values())
    for uuid, row in db.get_rows('config_db_uuid', 'obj_uuid_table', router_uuids).items():
        params = row.get('prop:bgp_router_parameters') or {}
        routers[uuid] = {
            'uuid': uuid, 'name': (row.get('fq_name') or [uuid])[-1],
            'address': params.get('address') or params.get('identifier') or '',
            'identifier': params.get('identifier') or params.get('address') or '',
            'asn': int(params.get('local_autonomous_system') or params.get('autonomous_system')
                       or 64512),
            'port': int(params.get('port') or 179),
            'router_type': params.get('router_type') or 'control-node',
            'admin_down': bool(params.get('admin_down')),
            'families': list((params.get('address_families') or {}).get('family') or []),
            'auth_key': _md5_key(params.get('auth_data')),
            'refs': [col.split(':', 2)[2] for col in row if col.startswith('ref:bgp_router:')],
        }
    ri_uuids = _fq_columns(db, 'routing_instance')
    rt_names = {u: fq for fq, u in _fq_columns(db, 'route_target').items()}
    rt_refs = db.get_rows('config_db_uuid', 'obj_uuid_table', list(ri_uuids.values()),
                          column_prefix='ref:route_target:', decode=False)
    vrf_rts = {}
    for fq, uuid in ri_uuids.items():
        targets = {rt_names.get(col.split(':', 2)[2]) for col in rt_refs.get(uuid, {})}
        targets.discard(None)
        if targets:
            vrf_rts[fq] = targets
    vrouters = {fq.split(':')[-1] for fq in _fq_columns(db, 'virtual_router')}
    return ClusterConfig(routers, vrf_rts, vrouters)


def _md5_key(auth_data):
    items = (auth_data or {}).get('key_items') or []
    return items[0].get('key') if items else None


# -- gobgpd ---------------------------------------------------------------------------------------
class GoBgp(object):
    """Owns one gobgpd: renders its TOML, reloads it, and talks to it through the gobgp CLI."""

    def __init__(self, settings):
        self.settings = settings
        self.api = ['-u', '127.0.0.1', '-p', str(settings.gobgp_api_port)]
        os.makedirs(settings.work_dir, exist_ok=True)
        self.conf_path = os.path.join(settings.work_dir, 'gobgpd-%s.toml' % settings.hostname)
        self.log_path = os.path.join(settings.work_dir, 'gobgpd-%s.log' % settings.hostname)
        self.proc = None
        self.global_key = None
        self.neighbor_key = None

    def apply(self, own, neighbors):
        """Make gobgpd match config: start, SIGHUP-reload, restart or stop."""
        if own is None:
            return self.stop()
        global_key = (own['identifier'], own['asn'], own['port'], own['address'])
        neighbor_key = [(n['address'], n['asn'], n['port'], n['auth_key'] or own['auth_key'],
                         n['admin_down']) for n in neighbors]
        if global_key == self.global_key and neighbor_key == self.neighbor_key and self.alive():
            return
        with open(self.conf_path, 'w') as conf:
            conf.write(render_gobgp_toml(own, neighbor_key, self.settings.bgp_port))
        if self.alive() and global_key == self.global_key:
            LOG.info('gobgpd reload: %d neighbors', len(neighbor_key))
            self.proc.send_signal(signal.SIGHUP)
        else:
            self.stop()
            self.start()
        self.global_key, self.neighbor_key = global_key, neighbor_key

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        LOG.info('starting gobgpd (%s)', self.conf_path)
        log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(
            ['gobgpd', '-f', self.conf_path, '-t', 'toml', '--pprof-disable', '-l', 'warn',
             '--api-hosts', '127.0.0.1:%d' % self.settings.gobgp_api_port],
            stdout=log, stderr=log, preexec_fn=_die_with_parent)
        for _ in range(50):                 # wait for the gRPC API before using the CLI
            if self._cli('global') is not None:
                return
            time.sleep(0.1)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc, self.global_key, self.neighbor_key = None, None, None

    def _cli(self, *args, as_json=False):
        cmd = ['gobgp'] + self.api + list(args) + (['-j'] if as_json else [])
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if out.returncode != 0:
            return None
        return json.loads(out.stdout or 'null') if as_json else out.stdout

    def neighbors(self):
        return (self._cli('neighbor', as_json=True) or []) if self.alive() else []

    def vpn_rib(self):
        """[{rd, prefix, label, nexthop, rts, source}] of every path gobgpd learnt from a peer."""
        rib = (self._cli('global', 'rib', '-a', 'vpnv4', as_json=True) or {}) if self.alive() else {}
        return [path for paths in rib.values() for path in map(_parse_path, paths)
                if path['source']]

    def add_route(self, route):
        self._cli('global', 'rib', '-a', 'vpnv4', 'add', route['prefix'], 'label',
                  str(route['label']), 'rd', route['rd'], 'rt', *route['rts'],
                  'nexthop', route['nexthop'])

    def del_route(self, route):
        self._cli('global', 'rib', '-a', 'vpnv4', 'del', route['prefix'], 'label',
                  str(route['label']), 'rd', route['rd'])


def render_gobgp_toml(own, neighbor_key, bgp_port):
    lines = ['[global.config]', '  as = %d' % own['asn'],
             '  router-id = "%s"' % own['identifier'], '  port = %d' % bgp_port,
             ]
    if own['address']:
        lines.append('  local-address-list = ["%s"]' % own['address'])
    for address, asn, port, key, admin_down in neighbor_key:
        lines += ['[[neighbors]]', '  [neighbors.config]',
                  '    neighbor-address = "%s"' % address, '    peer-as = %d' % asn,
                  '    admin-down = %s' % ('true' if admin_down else 'false')]
        if key:
            lines.append('    auth-password = "%s"' % key.replace('"', ''))
        lines += ['  [neighbors.timers.config]', '    connect-retry = 3',
                  '    hold-time = 90', '    keepalive-interval = 30',
                  '  [neighbors.transport.config]', '    remote-port = %d' % port]
        if own['address']:
            lines.append('    local-address = "%s"' % own['address'])
        lines += [
                  '  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]',
                  '      afi-safi-name = "l3vpn-ipv4-unicast"']
    return '\n'.join(lines) + '\n'


def _parse_path(path):
    nlri = path.get('nlri', {})
    rd = nlri.get('rd', {})
    attrs = {a.get('type'): a for a in path.get('attrs', [])}
    rts = ['target:' + c['value'] for c in attrs.get(16, {}).get('value', [])
           if c.get('subtype') == 2]
    return {'rd': '%s:%s' % (rd.get('admin'), rd.get('assigned')),
            'prefix': nlri.get('prefix'), 'label': (nlri.get('labels') or [0])[0],
            'nexthop': attrs.get(14, {}).get('nexthop', ''), 'rts': rts,
            'source': path.get('neighbor-ip') if path.get('neighbor-ip') not in
            (None, '', '0.0.0.0', '<nil>') else ''}


def _die_with_parent():
    """gobgpd must not outlive a killed contrail-control (supervisor KILL)."""
    import ctypes
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


# -- agents over XMPP -----------------------------------------------------------------------------
class AgentSession(object):
    def __init__(self, name, address, port, stream, build):
        self.name, self.address, self.port = name, address, port
        self.stream, self.build = stream, build
        self.vrfs = {}               # vrf name -> instance id
        self.routes = {}             # (vrf, prefix) -> route published by this agent
        self.route_times = {}        # (vrf, prefix) -> when it was last (re)published
        self.sent = {}               # vrf -> {prefix: route} advertised to it
        self.config_wanted = False   # the agent subscribed to its config
        self.config_sent = False     # ... and got its virtual-router
        self.eor_sent = False
        self.established_at = time.time()


class ControlNode(object):
    def __init__(self, settings):
        self.s = settings
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.reload_wanted = threading.Event()
        self.reload_wanted.set()
        self.sessions = {}          # agent name -> AgentSession
        self.flaps = {}             # agent name -> (count, last flap time)
        self.config = ClusterConfig({}, {}, set())
        self.bgp = GoBgp(settings)
        self.bgp_routes = []
        self.bgp_route_times = {}   # (rd, prefix, source) -> when gobgpd first showed it
        self.injected = {}          # (rd, prefix) -> route given to gobgpd
        self.db = None
        self.status = S.NodeStatusHolder(settings.hostname, 'contrail-control',
                                          build_info=settings.version)

    # ---- config -----------------------------------------------------------------------------
    def _connect_db(self):
        from contrail_sim import configdb
        if self.db is None:
            self.db = configdb.ConfigDB(configdb.dsn_from_server_list(self.s.db_servers),
                                        self.s.cluster_id)
        return self.db

    def reload_config(self):
        try:
            config = read_cluster_config(self._connect_db())
            self.status.set_connection('Database', 'Cassandra', True, self.s.db_servers.split())
        except Exception as exc:                         # DB down: keep serving the old config
            LOG.warning('config DB read failed: %s', exc)
            self.status.set_connection('Database', 'Cassandra', False, self.s.db_servers.split())
            self.db = None
            return
        own = config.own_router(self.s.hostname, self.s.hostip)
        self.status.extra_problem = None if own else 'No BGP configuration for self'
        with self.lock:
            self.config = config
            for session in self.sessions.values():
                try:
                    self._push_config(session)
                except xmpp.StreamClosed:
                    pass
        self.bgp.apply(own, config.neighbors(own) if own else [])

    # ---- the reconcile worker ---------------------------------------------------------------
    def worker(self):
        last_config = 0.0
        while True:
            timeout = WORK_INTERVAL
            if self.reload_wanted.is_set():
                timeout = min(timeout, max(0.0, last_config + CONFIG_COALESCE - time.time()))
            self.wake.wait(timeout)
            self.wake.clear()
            since = time.time() - last_config
            periodic = not self.s.is_40 and since >= CONFIG_POLL_32
            if (self.reload_wanted.is_set() and since >= CONFIG_COALESCE) or periodic:
                self.reload_wanted.clear()
                self.reload_config()
                last_config = time.time()
            try:
                self.bgp_routes = self.bgp.vpn_rib()
                self.bgp_route_times = _first_seen(self.bgp_route_times, self.bgp_routes)
                self._sync_injected()
                self._sync_advertised()
            except Exception:
                LOG.exception('reconcile failed')

    def _desired_injected(self):
        with self.lock:
            wanted = {}
            for session in self.sessions.values():
                for (vrf, prefix), route in session.routes.items():
                    rts = sorted(self.config.vrf_rts.get(vrf, ()))
                    if not rts or vrf not in session.vrfs:
                        continue
                    rd = '%s:%d' % (session.address, session.vrfs[vrf])
                    wanted[(rd, prefix)] = {'rd': rd, 'prefix': prefix, 'label': route['label'],
                                            'nexthop': route['nexthop'],
                                            'rts': [t.split(':', 1)[1] for t in rts]}
            return wanted

    def _sync_injected(self):
        wanted = self._desired_injected()
        for key in [k for k in self.injected if self.injected[k] != wanted.get(k)]:
            self.bgp.del_route(self.injected.pop(key))
        for key, route in wanted.items():
            if key not in self.injected and self.bgp.alive():
                self.bgp.add_route(route)
                self.injected[key] = route

    def _routes_for(self, session, vrf):
        """Best route per prefix an agent should see in a VRF: other agents first, then BGP."""
        best = {}
        for route in sorted(self.bgp_routes, key=lambda r: (r['prefix'], r['rd'])):
            if set(route['rts']) & self.config.vrf_rts.get(vrf, set()) \
                    and route['nexthop'] != session.address:
                best.setdefault(route['prefix'], dict(route, vrf=vrf, vn=_vn_of(vrf)))
        for other in sorted(self.sessions.values(), key=lambda s: s.name):
            if other is session:
                continue
            for (rvrf, prefix), route in other.routes.items():
                if rvrf == vrf:
                    best[prefix] = route
        return best

    def _sync_advertised(self):
        with self.lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            with self.lock:
                plans = []
                for vrf in list(session.vrfs):
                    want, sent = self._routes_for(session, vrf), session.sent.setdefault(vrf, {})
                    changed = [r for p, r in want.items() if sent.get(p) != r]
                    gone = [p for p in sent if p not in want]
                    session.sent[vrf] = want
                    if changed or gone:
                        plans.append(xmpp.route_advertise(session.name, vrf, changed, gone))
                if session.vrfs and not session.eor_sent:
                    plans.append(xmpp.end_of_rib(session.name))
                    session.eor_sent = True
            try:
                for text in plans:
                    session.stream.send(text)
            except xmpp.StreamClosed:
                pass

    # ---- XMPP server ------------------------------------------------------------------------
    def on_xmpp_connection(self, sock):
        stream = xmpp.XmppStream(sock)
        events = stream.events()
        first = next(events, None)
        if first is None or first[0] != 'open':
            return stream.close()
        attrs = first[1]
        name, build = attrs.get('from', ''), attrs.get('contrail-build', '')
        stream.send(xmpp.stream_open(xmpp.CONTROL_JID, name, self.s.version, '++123'))
        if not xmpp.compatible(build, self.s.version):
            LOG.warning('refusing agent %s: build %s is not %s', name, build, self.s.version)
            return stream.close(send_close=True)
        session = AgentSession(name, stream.peer[0], stream.peer[1], stream, build)
        self._register(session)
        try:
            for kind, stanza in events:
                if kind == 'stanza':
                    self._handle(session, xmpp.classify(stanza))
        finally:
            self._unregister(session)
            stream.close()

    def _register(self, session):
        with self.lock:
            old = self.sessions.get(session.name)
            self.sessions[session.name] = session
        if old is not None:
            old.stream.close()
        LOG.info('agent %s (%s) Established', session.name, session.address)

    def _unregister(self, session):
        with self.lock:
            if self.sessions.get(session.name) is session:
                del self.sessions[session.name]
            count, _ = self.flaps.get(session.name, (0, None))
            self.flaps[session.name] = (count + 1, time.time())
        LOG.info('agent %s down', session.name)
        self.wake.set()

    def _handle(self, session, event):
        kind = event[0]
        with self.lock:
            if kind == 'vrf-subscribe':
                session.vrfs[event[1]] = event[2]
            elif kind == 'vrf-unsubscribe':
                session.vrfs.pop(event[1], None)
                session.sent.pop(event[1], None)
            elif kind == 'publish':
                route = event[1]
                key = (route['vrf'], route['prefix'])
                if session.routes.get(key) != route:
                    session.route_times[key] = time.time()
                session.routes[key] = route
            elif kind == 'withdraw':
                session.routes.pop((event[1], event[2]), None)
            elif kind == 'config-subscribe':
                session.config_wanted = True
                self._push_config(session)
        self.wake.set()

    def _push_config(self, session):
        """Send an agent its virtual-router once it is subscribed and the config has it (as the
        IFMap server does, also when the virtual-router is provisioned after the subscription).
        Called with the lock held."""
        if session.config_wanted and not session.config_sent and \
                session.name in self.config.virtual_routers:
            session.stream.send(xmpp.config_update(session.name, [(
                'virtual-router', 'default-global-system-config:' + session.name)]))
            session.config_sent = True

    def keepalive_loop(self):
        while True:
            time.sleep(xmpp.KEEPALIVE_INTERVAL)
            with self.lock:
                sessions = list(self.sessions.values())
            for session in sessions:
                try:
                    session.stream.keepalive()
                except xmpp.StreamClosed:
                    pass

    # ---- RabbitMQ (4.0) ---------------------------------------------------------------------
    def amqp_loop(self):
        """ConfigAmqpClient: any message on contrail-control.<hostname> triggers a re-read."""
        import pika
        queue = 'contrail-control.%s' % self.s.hostname
        while True:
            for server in self.s.rabbit_servers:
                try:
                    params = amqp.connection_params(
                        server, 5672, self.s.rabbit_user, self.s.rabbit_password,
                        self.s.rabbit_vhost, ssl=self.s.rabbit_ssl)[0]
                    conn = pika.BlockingConnection(params)
                    channel = conn.channel()
                    channel.exchange_declare('vnc_config.object-update', 'fanout', durable=False)
                    channel.queue_declare(queue, exclusive=True)
                    channel.queue_bind(queue, 'vnc_config.object-update')
                    channel.basic_consume(queue, self._on_amqp_message, auto_ack=True)
                    self.status.set_connection('Database', 'RabbitMQ', True, [server])
                    self.reload_wanted.set()        # messages may have been missed meanwhile
                    self.wake.set()
                    channel.start_consuming()
                except Exception as exc:
                    LOG.warning('RabbitMQ %s: %s', server, exc)
                    self.status.set_connection('Database', 'RabbitMQ', False, [server])
                time.sleep(2)

    def _on_amqp_message(self, channel, method, properties, body):
        self.reload_wanted.set()
        self.wake.set()

    # ---- introspect -------------------------------------------------------------------------
    def neighbor_entries(self, search, summary):
        own_addr = self.s.hostip
        entries = [self._bgp_entry(n, summary) for n in self.bgp.neighbors()]
        with self.lock:
            routers = {r['address']: r for r in self.config.routers.values()}
            names = sorted(set(self.sessions) | set(self.flaps))
            xmpp_entries = [self._xmpp_entry(n, own_addr, summary) for n in names]
        for entry in entries:
            router = routers.get(entry['peer_address'], {})
            entry['peer'] = router.get('name', entry['peer_address'])
            entry['router_type'] = router.get('router_type', '')
            entry['configured_address_families'] = router.get('families') if not summary else None
        return [e for e in entries + xmpp_entries
                if not search or search in e['peer'] or search in e['peer_address']]

    def _bgp_entry(self, neighbor, summary):
        state = neighbor.get('state', {})
        conf = neighbor.get('conf', {})
        timers = neighbor.get('timers', {})
        established = state.get('session_state') == 6
        families = [FAMILY_NAMES.get((a['state']['family'].get('afi'),
                                      a['state']['family'].get('safi')), 'unknown')
                    for a in neighbor.get('afi_safis', []) if a.get('state', {}).get('enabled')]
        uptime = timers.get('state', {}).get('uptime', {}).get('seconds')
        flaps = int(state.get('flops', 0))
        received = sum(int(a.get('state', {}).get('received', 0))
                       for a in neighbor.get('afi_safis', []))
        entry = {
            'instance_name': FABRIC_RI, 'peer_address': state.get('neighbor_address', ''),
            'deleted': False, 'peer_id': state.get('router_id', '') if established else '',
            'peer_asn': int(state.get('peer_asn') or conf.get('peer_asn') or 0),
            'encoding': 'BGP',
            'peer_type': 'internal' if conf.get('peer_asn') == conf.get('local_asn')
            else 'external',
            'state': GOBGP_STATES.get(state.get('session_state', 1), 'Idle'),
            'closed_at': '', 'admin_down': bool(state.get('admin_state') == 1),
            'passive': False, 'as_override': False, 'private_as_action': '',
            'send_ready': established, 'peer_port': self.s.bgp_port,
            'transport_address': '%s:%d' % (state.get('neighbor_address', ''), self.s.bgp_port)
            if established else '',
            'local_address': self.s.hostip, 'local_id': self.s.hostip,
            'local_asn': int(conf.get('local_asn') or 0), 'task_instance': 0, 'dscp_value': 0,
            'auth_type': 'md5' if conf.get('auth_password') else 'NIL',
            'negotiated_hold_time': int(timers.get('state', {}).get('negotiated_hold_time')
                                        or 0) if established else 0,
            'primary_path_count': received, 'flap_count': flaps,
            'flap_time': S.utc_usec_string(uptime) if flaps and uptime else '',
        }
        if not summary:
            entry.update({'send_state': 'in sync' if established else 'not advertising',
                          'negotiated_address_families': families if established else [],
                          'configured_hold_time': 90, 'routing_instances': [],
                          'last_state': entry['state'], 'last_event': '', 'last_error': '',
                          'last_state_at': S.utc_usec_string(uptime) if uptime else ''})
        return entry

    def _xmpp_entry(self, name, own_addr, summary):
        session = self.sessions.get(name)
        flaps, flap_at = self.flaps.get(name, (0, None))
        entry = {
            'instance_name': '', 'peer': name, 'deleted': False,
            'peer_address': session.address if session else '', 'peer_id': '', 'peer_asn': 0,
            'encoding': 'XMPP', 'peer_type': 'internal',
            'state': 'Established' if session else 'Idle', 'closed_at': '' if session else
            S.utc_usec_string(flap_at), 'router_type': '', 'send_ready': bool(session),
            'transport_address': '%s:%d' % (session.address, session.port) if session else '',
            'local_address': own_addr, 'auth_type': 'NIL', 'dscp_value': 0,
            'negotiated_hold_time': xmpp.HOLD_TIME if session else 0,
            'primary_path_count': len(session.routes) if session else 0,
            'flap_count': flaps, 'flap_time': S.utc_usec_string(flap_at),
        }
        if not summary:
            entry.update({
                'configured_hold_time': xmpp.HOLD_TIME, 'configured_address_families': [],
                'negotiated_address_families': [],
                'send_state': 'in sync' if session else 'not advertising',
                'routing_instances': [{'name': vrf, 'state': 'subscribed', 'index': idx,
                                       'import_targets': sorted(self.config.vrf_rts.get(vrf, ()))}
                                      for vrf, idx in sorted(session.vrfs.items())]
                if session else [],
                'routing_tables': [{'name': vrf + '.inet.0', 'current_state': 'subscribed'}
                                   for vrf in sorted(session.vrfs)] if session else []})
        return entry

    # ---- the RIB, as ShowRouteReq / ShowRouteSummaryReq show it ------------------------------
    def rib(self):
        """{instance: {table name: {prefix: [ShowRoutePath dict]}}} built from this node's state.

        Like contrail-control's BgpTables: the master instance (FABRIC_RI) holds bgp.l3vpn.0 (plus
        the empty inet.0, inet6.0, bgp.rtarget.0 ...); every routing instance holds
        <ri>.inet.0 (+ inet6/evpn/ermvpn, empty here).  An agent's route is an XMPP path in its
        VRF's inet.0 (primary), replicated into bgp.l3vpn.0 as ``<agent-ip>:<instance-id>:prefix``
        when the VRF has route targets, and into the inet.0 of other VRFs importing them.  A
        VPN route learnt over BGP is a BGP path in bgp.l3vpn.0 (primary) replicated into the
        inet.0 of every VRF importing one of its targets.  Paths carry what the lab knows (source,
        next hop, label, route targets, encapsulations, VN); the rest keeps its default.
        """
        with self.lock:
            vrf_rts = {vrf: set(rts) for vrf, rts in self.config.vrf_rts.items()}
            routers = {r['address']: r for r in self.config.routers.values()}
            agents = [(s.name, s.address, dict(s.vrfs), dict(s.routes), dict(s.route_times))
                      for s in sorted(self.sessions.values(), key=lambda x: x.name)]
            bgp_routes = list(self.bgp_routes)
            bgp_times = dict(self.bgp_route_times)
        instances = {FABRIC_RI: {name: {} for name in MASTER_TABLES}}
        for vrf in set(vrf_rts) | {v for agent in agents for v in agent[2]}:
            instances[vrf] = {'%s.%s.0' % (vrf, family): {} for family in VRF_FAMILIES}
        vpn = instances[FABRIC_RI]['bgp.l3vpn.0']

        def importers(rts, but=None):
            return ['%s.inet.0' % vrf for vrf in sorted(vrf_rts)
                    if vrf != but and vrf_rts[vrf] & set(rts)]

        def add(table, prefix, path):
            table.setdefault(prefix, []).append(path)

        for name, address, vrfs, routes, times in agents:
            for (vrf, prefix), route in sorted(routes.items()):
                if vrf not in vrfs:
                    continue
                rts = sorted(vrf_rts.get(vrf, ()))
                own_table = '%s.inet.0' % vrf
                secondaries = (['bgp.l3vpn.0'] + importers(rts, but=vrf)) if rts else []
                path = _route_path(
                    'XMPP', name, route['nexthop'], route['label'], times.get((vrf, prefix)),
                    origin_vn=route.get('vn', ''), encap=XMPP_ENCAPS, med=200,
                    origin='incomplete', secondary_tables=secondaries)
                add(instances[vrf][own_table], prefix, path)
                replica = dict(path, replicated=True, primary_table=own_table,
                               secondary_tables=[], communities=rts + path['communities'])
                if rts:
                    add(vpn, '%s:%d:%s' % (address, vrfs[vrf], prefix), replica)
                for table in secondaries[1:]:
                    add(instances[table[:-len('.inet.0')]][table], prefix, replica)
        for route in bgp_routes:
            router = routers.get(route['source'], {})
            path = _route_path(
                'BGP', route['source'], route['nexthop'], route['label'],
                bgp_times.get((route['rd'], route['prefix'], route['source'])),
                rts=sorted(route['rts']), origin='igp', secondary_tables=importers(route['rts']),
                local_as=router.get('asn', 0), peer_as=router.get('asn', 0),
                peer_router_id=router.get('identifier', ''))
            add(vpn, '%s:%s' % (route['rd'], route['prefix']), path)
            for table in path['secondary_tables']:
                add(instances[table[:-len('.inet.0')]][table], route['prefix'],
                    dict(path, replicated=True, primary_table='bgp.l3vpn.0',
                         secondary_tables=[]))
        return instances

    def route_summary(self, search_string, start_instance=''):
        """ShowRouteSummaryResp: every table whose name matches the search regex ('deleted' lists
        the deleted ones), instance by instance, 64 tables a page (bgp_show_route_summary.cc)."""
        pattern = _regex(search_string)
        rib = self.rib()
        names = [n for n in sorted(rib) if n >= start_instance]
        rows, next_batch = [], None
        for index, instance in enumerate(names):
            for table, routes in sorted(rib[instance].items()):
                if pattern is None or pattern.search(table):
                    rows.append(_table_counts({'name': table}, routes))
            if len(rows) >= SUMMARY_PAGE_LIMIT and index + 1 < len(names):
                next_batch = '%s||%s' % (names[index + 1], search_string)
                break
        return ('ShowRouteSummaryResp', {'tables': rows, 'next_batch': next_batch})

    def route_summary_iterate(self, iterate_info):
        start, _, search = iterate_info.partition('||')
        return self.route_summary(search, start)

    def show_route(self, routing_table='', routing_instance='', prefix='', longer_match='',
                   shorter_match='', count='', start_routing_table='',
                   start_routing_instance='', start_prefix='', source='', protocol='',
                   family=''):
        """ShowRouteResp (bgp_show_route.cc): tables (by instance, then table name) that have
        matching routes, at most ``count`` routes (1000 when 0 or more), ``next_batch`` always set
        ('' when done) for ShowRouteReqIterate."""
        longer, shorter = _bool(longer_match), _bool(shorter_match)
        count = _int(count)
        max_count = count if 0 < count <= SHOW_ROUTE_MAX else SHOW_ROUTE_MAX
        exact_instance = _instance_of(routing_table) if routing_table else routing_instance
        start_instance = exact_instance or start_routing_instance
        rib = self.rib()
        tables, total = [], 0
        for instance in sorted(rib):
            if instance < start_instance or exact_instance and instance != exact_instance:
                continue
            for table in sorted(rib[instance]):
                if instance == start_routing_instance and table < start_routing_table:
                    continue
                if family and _table_family(table) != family or \
                        routing_table and table != routing_table:
                    continue
                routes = rib[instance][table]
                shown = []
                for pfx in sorted(routes, key=_route_key):
                    if table == start_routing_table and _route_key(pfx) < _route_key(start_prefix):
                        continue
                    if total + len(shown) > max_count:
                        break
                    if not _match_prefix(prefix, pfx, longer, shorter):
                        continue
                    paths = [p for p in routes[pfx] if (not source or p['source'] == source)
                             and (not protocol or p['protocol'] == protocol)]
                    if paths:
                        shown.append({'prefix': pfx, 'paths': paths, 'last_modified': max(
                            p['last_modified'] for p in paths)})
                if shown:
                    tables.append(_table_counts({'routing_instance': instance,
                                                 'routing_table_name': table,
                                                 'routes': shown, 'listeners': []}, routes))
                    total += len(shown)
                if total > max_count:
                    break
            if total > max_count:
                break
        next_batch = ''
        if total > max_count:                      # one extra route read: not done yet
            last_table = tables[-1]
            last = last_table['routes'].pop()
            new_count = count - total + 1 if count else 0
            if not count or new_count:
                next_batch = '||'.join([
                    routing_instance, routing_table, prefix, last_table['routing_instance'],
                    last_table['routing_table_name'], last['prefix'], str(new_count), source,
                    protocol, family, _bool_str(longer), _bool_str(shorter)])
            if not last_table['routes']:
                tables.pop()
        return ('ShowRouteResp', {'tables': tables, 'next_batch': next_batch})

    def show_route_iterate(self, route_info):
        """ShowRouteReqIterate: UserRI||UserRT||UserPfx||NextRI||NextRT||NextPfx||count||source||
        protocol||family||longer_match||shorter_match."""
        parts = route_info.split('||')
        if len(parts) != 12:
            return ('ShowRouteResp', {'tables': [], 'next_batch': ''})
        ri, rt, pfx, next_ri, next_rt, next_pfx, count, source, proto, fam, lm, sm = parts
        return self.show_route(rt, ri, pfx, lm, sm, count, next_rt, next_ri, next_pfx, source,
                               proto, fam)

    def handlers(self):
        return {
            'ShowRouteSummaryReq': S.Handler(self.route_summary, 'search_string'),
            'ShowRouteSummaryReqIterate': S.Handler(self.route_summary_iterate, 'iterate_info'),
            'ShowRouteReq': S.Handler(self.show_route, *SHOW_ROUTE_FIELDS),
            'ShowRouteReqIterate': S.Handler(self.show_route_iterate, 'route_info'),
            'BgpNeighborReq': S.Handler(lambda search_string: (
                'BgpNeighborListResp',
                {'neighbors': self.neighbor_entries(search_string, False)}), 'search_string'),
            'ShowBgpNeighborSummaryReq': S.Handler(lambda search_string: (
                'ShowBgpNeighborSummaryResp',
                {'neighbors': self.neighbor_entries(search_string, True)}), 'search_string'),
            'ShowXmppConnectionReq': S.Handler(self._xmpp_connections),
        }

    def _xmpp_connections(self):
        with self.lock:
            rows = [{'name': s.name, 'deleted': False, 'remote_endpoint':
                     '%s:%d' % (s.address, s.port), 'local_endpoint':
                     '%s:%d' % (self.s.hostip, self.s.xmpp_port), 'state': 'Established',
                     'last_event': 'xmsm::EvXmppKeepalive', 'last_state': 'Established',
                     'last_state_at': S.utc_usec_string(s.established_at),
                     'receivers': ['BGP'], 'server_auth_type': 'NIL', 'dscp_value': 0}
                    for s in sorted(self.sessions.values(), key=lambda x: x.name)]
        return ('ShowXmppConnectionResp', {'connections': rows})

    # ---- main -------------------------------------------------------------------------------
    def run(self):
        declare_types(self.s.is_40)
        xmpp.serve_tcp(self.s.hostip or '0.0.0.0', self.s.xmpp_port, self.on_xmpp_connection)
        S.serve_introspect(self.s.http_port, self.handlers(), node_status=self.status)
        for loop in [self.keepalive_loop] + ([self.amqp_loop] if self.s.is_40 else []):
            S.start_thread(loop)
        signal.signal(signal.SIGUSR1, lambda *_: (self.reload_wanted.set(), self.wake.set()))
        signal.signal(signal.SIGTERM, lambda *_: self.shutdown())
        LOG.info('contrail-control %s up (%s, cluster %r)', self.s.version, self.s.hostname,
                 self.s.cluster_id)
        self.worker()

    def shutdown(self):
        self.bgp.stop()
        os._exit(0)


def _vn_of(vrf):
    return ':'.join(vrf.split(':')[:3])


# -- RIB rendering helpers (bgp_show_route.cc, bgp_route.cc FillRouteInfo) -----------------------
MASTER_TABLES = ('inet.0', 'inet6.0', 'bgp.l3vpn.0', 'bgp.l3vpn-inet6.0', 'bgp.evpn.0',
                 'bgp.ermvpn.0', 'bgp.rtarget.0')
VRF_FAMILIES = ('inet', 'inet6', 'evpn', 'ermvpn')
XMPP_ENCAPS = ('gre', 'udp')        # the agent's tunnel-encapsulation-list (xmpp.route_entry)
SHOW_ROUTE_FIELDS = ('routing_table', 'routing_instance', 'prefix', 'longer_match',
                     'shorter_match', 'count', 'start_routing_table', 'start_routing_instance',
                     'start_prefix', 'source', 'protocol', 'family')   # declaration order
SHOW_ROUTE_MAX = 1000               # ShowRouteHandler::kMaxCount
SUMMARY_PAGE_LIMIT = 64             # BgpShowHandler kPageLimit


def _route_path(protocol, source, next_hop, label, since, origin_vn='', encap=(), rts=(),
                med=0, origin='igp', secondary_tables=(), local_as=0, peer_as=0,
                peer_router_id=''):
    """One ShowRoutePath: communities are the route targets then ``encapsulation:<x>``."""
    return {'protocol': protocol, 'last_modified': S.utc_usec_string(since or time.time()),
            'local_preference': 100, 'med': med, 'local_as': local_as, 'peer_as': peer_as,
            'peer_router_id': peer_router_id, 'source': source, 'as_path': '',
            'next_hop': next_hop, 'label': int(label or 0), 'origin': origin,
            'replicated': False, 'primary_table': '', 'secondary_tables': list(secondary_tables),
            'communities': list(rts) + ['encapsulation:%s' % e for e in encap],
            'origin_vn': origin_vn, 'flags': ['None'], 'tunnel_encap': list(encap),
            'sequence_no': '', 'origin_vn_path': [], 'cluster_list': [], 'originator_id': '',
            'edge_discovery': [], 'edge_forwarding': []}


def _table_counts(row, routes):
    primary = sum(1 for paths in routes.values() for p in paths if not p['replicated'])
    secondary = sum(len(paths) for paths in routes.values()) - primary
    row.update({'prefixes': len(routes), 'primary_paths': primary, 'secondary_paths': secondary,
                'paths': primary + secondary, 'infeasible_paths': 0, 'deleted': False,
                'deleted_at': ''})
    return row


def _first_seen(previous, routes):
    now = time.time()
    keys = {(r['rd'], r['prefix'], r['source']) for r in routes}
    return {key: previous.get(key, now) for key in keys}


def _instance_of(table):
    """RoutingInstance::GetVrfFromTableName: master tables have no instance prefix."""
    if table in MASTER_TABLES:
        return FABRIC_RI
    return table.rsplit('.', 2)[0] if table.count('.') >= 2 else ''


def _table_family(table):
    return table.rsplit('.', 2)[-2] if table.count('.') >= 1 else ''


def _route_key(prefix):
    """Routes sort like Route::IsLess: (RD,) address, then prefix length."""
    import ipaddress
    head, _, net = prefix.rpartition(':') if prefix.count(':') >= 2 else ('', '', prefix)
    try:
        network = ipaddress.ip_network(net, strict=False)
        return (head, int(network.network_address), network.prefixlen)
    except ValueError:
        return (head, -1, prefix)


def _match_prefix(wanted, prefix, longer, shorter):
    import ipaddress
    if not wanted:
        return True
    if not longer and not shorter:
        pattern = _regex(wanted)
        return pattern is None or bool(pattern.search(prefix))
    try:
        want = ipaddress.ip_network(wanted.rpartition(':')[2] if wanted.count(':') >= 2
                                    else wanted, strict=False)
        have = ipaddress.ip_network(prefix.rpartition(':')[2] if prefix.count(':') >= 2
                                    else prefix, strict=False)
    except ValueError:
        return False
    return (longer and have.subnet_of(want) and have != want) or \
        (shorter and want.subnet_of(have) and have != want)


def _regex(text):
    import re
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return re.compile(re.escape(text))


def _bool(text):
    return str(text).strip().lower() in ('1', 'true')


def _bool_str(value):
    return 'true' if value else 'false'


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def declare_types(is_40):
    """bgp_peer.sandesh, db.sandesh, xmpp_server.sandesh of contrail-controller R3.2 / R4.0.

    R4.0's bgp_peer.sandesh adds ``63: i16 dscp_value`` to BgpNeighborResp after
    ``tx_socket_stats`` (not after ``task_instance``): declaration order is render order.
    """
    S.struct('BgpNeighborRoutingInstance', '''
        1: string name
        2: string state
        3: u32 index
        4: list<string> import_targets
    ''')
    S.struct('BgpNeighborRoutingTable', '''
        1: string name
        2: string current_state
        3: string current_request
        4: string pending_request
    ''')
    S.struct('BgpNeighborResp', '''
        53: string instance_name
        1: string peer (link="BgpNeighborReq")
        36: bool deleted
        2: string peer_address (link="BgpNeighborReq")
        25: string peer_id
        3: u32 peer_asn
        6: string encoding
        7: string peer_type
        8: string state
        43: string closed_at
        52: string router_type
        47: bool admin_down
        48: bool passive
        55: bool as_override
        61: string private_as_action
        62: bool send_ready
        50: u32 peer_port
        51: string transport_address
        4: string local_address
        26: string local_id
        5: u32 local_asn
        56: u32 task_instance
        9: optional string send_state
        10: optional string last_event
        11: optional string last_state
        12: optional string last_state_at
        13: optional string last_error
        44: optional string auth_type
        38: optional list<string> configured_address_families
        39: optional list<string> negotiated_address_families
        40: optional u32 configured_hold_time
        41: u32 negotiated_hold_time
        46: u32 primary_path_count
        23: optional u64 flap_count
        24: optional string flap_time
        37: optional list<BgpNeighborRoutingInstance> routing_instances
        29: optional list<BgpNeighborRoutingTable> routing_tables
    ''' + ('    63: i16 dscp_value\n' if is_40 else ''))
    S.response('BgpNeighborListResp', '''
        1: list<BgpNeighborResp> neighbors
        2: optional string next_batch (link="BgpNeighborReqIterate", link_title="next_batch")
    ''')
    S.response('ShowBgpNeighborSummaryResp', '''
        1: list<BgpNeighborResp> neighbors
        2: optional string next_batch (link="ShowBgpNeighborSummaryReqIterate", link_title="next_batch")
    ''')
    # xmpp/sandesh/xmpp_server.sandesh; the per-connection flaps are in BgpNeighborResp.
    S.struct('ShowXmppConnection', '''
        1: string name
        2: bool deleted
        3: string remote_endpoint
        4: string local_endpoint
        5: string state
        6: string last_event
        7: string last_state
        8: string last_state_at
        9: list<string> receivers
        10: string server_auth_type
    ''' + ('''
        11: u16 dscp_value
    ''' if is_40 else ''))
    S.response('ShowXmppConnectionResp', '''
        1: list<ShowXmppConnection> connections
    ''')
    # bgp_peer.sandesh: ShowRouteReq / ShowRouteSummaryReq (identical in R3.2 and R4.0).
    S.struct('ShowTableListener', '''
        1: u32 id
        2: string name
        3: u64 state_count
    ''')
    S.struct('ShowPmsiTunnel', '''
        1: string type
        2: string ar_type
        3: string identifier
        4: u32 label
        5: list<string> flags
    ''')
    S.struct('ShowLoadBalance', '''
        1: string decision_type
        2: list<string> fields
    ''')
    S.struct('ShowEdgeDiscovery', '''
        1: string address
        2: string labels
    ''')
    S.struct('ShowEdgeForwarding', '''
        1: string in_address_label
        2: string out_address_label
    ''')
    S.struct('ShowRoutePath', '''
        1: string protocol
        3: string last_modified
        5: u32 local_preference
        25: u32 med
        6: u32 local_as
        7: u32 peer_as
        8: string peer_router_id
        9: string source
        10: string as_path
        11: string next_hop
        12: u32 label
        26: string origin
        13: bool replicated
        14: string primary_table (link="ShowRouteReq")
        24: list<string> secondary_tables
        15: list<string> communities
        16: string origin_vn
        17: list<string> flags
        18: list<string> tunnel_encap
        19: string sequence_no
        20: list<string> origin_vn_path
        21: ShowPmsiTunnel pmsi_tunnel
        22: ShowLoadBalance load_balance
        23: list<string> cluster_list
        27: string originator_id
        28: list<ShowEdgeDiscovery> edge_discovery
        29: list<ShowEdgeForwarding> edge_forwarding
    ''')
    S.struct('ShowRoute', '''
        1: string prefix
        2: string last_modified
        3: list<ShowRoutePath> paths
    ''')
    S.struct('ShowRouteTable', '''
        1: string routing_instance (link="ShowRoutingInstanceReq")
        2: string routing_table_name (link="ShowRouteReq")
        9: bool deleted
        11: string deleted_at
        3: u64 prefixes
        4: u64 paths
        5: u64 primary_paths
        6: u64 secondary_paths
        7: u64 infeasible_paths
        12: u64 stale_paths
        13: u64 llgr_stale_paths
        8: list<ShowRoute> routes
        10: list<ShowTableListener> listeners
    ''')
    S.response('ShowRouteResp', '''
        1: list<ShowRouteTable> tables
        2: optional string next_batch (link="ShowRouteReqIterate", link_title="next_batch")
    ''')
    S.struct('ShowRouteTableSummary', '''
        1: string name (link="ShowRouteReq")
        3: u64 prefixes
        4: u64 paths
        5: u64 primary_paths
        6: u64 secondary_paths
        7: u64 infeasible_paths
        18: u64 stale_paths
        19: u64 llgr_stale_paths
        8: u64 walk_requests
        16: u64 walk_again_requests
        9: u64 walk_completes
        17: u64 actual_walks
        10: u64 walk_cancels
        11: u64 pending_updates
        12: u64 markers
        14: u64 listeners
        15: u64 walkers
        2: bool deleted
        13: string deleted_at
    ''')
    S.response('ShowRouteSummaryResp', '''
        1: list<ShowRouteTableSummary> tables
        2: optional string next_batch (link="ShowRouteSummaryReqIterate", link_title="next_batch")
    ''')


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-control (lab simulation)')
    parser.add_argument('--conf_file', default='/etc/contrail/contrail-control.conf')
    args = parser.parse_args(argv)
    settings = Settings(args.conf_file)
    S.setup_logging(settings.log_file, 'contrail-control')
    ControlNode(settings).run()


if __name__ == '__main__':
    sys.exit(main())
