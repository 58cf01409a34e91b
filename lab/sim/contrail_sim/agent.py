"""contrail-vrouter-agent: XMPP client of up to 2 control nodes, VM routes, introspect 8085.

Behaviour kept from the real agent because the ISSU procedure depends on it:

* Servers: 3.2 asks discovery (``[DISCOVERY] server``, POST /subscribe for xmpp-server,
  dns-server, Collector; re-subscribed at the returned ttl) unless ``[CONTROL-NODE] server`` /
  ``[DEFAULT] collectors`` are set; 4.0 reads ``[CONTROL-NODE] servers``, ``[DNS] servers``
  (XMPP to contrail-dns always on 8093) and ``[DEFAULT] collectors`` and re-reads them on SIGHUP.
* Kernel module (LP 1631556): with no module loaded it runs ``modprobe vrouter``; if the loaded
  module's version differs from the agent's it logs the error and exits 1.  While running it
  holds a reference: ``/run/vrouter-kmod/holders/<pid>`` (a dead pid no longer counts, so a
  SIGKILL from supervisor cannot leak the reference) and ``refcnt`` = live holders.
* Routes: the /32 of every VM of /etc/contrail/lab-vms.json is published to each Established
  control node; routes advertised by a control node are paths of peer ``<controller ip>`` and
  vanish when that session goes down.

Lab paths overridable for development: env CONTRAIL_AGENT_VERSION_FILE, VROUTER_KMOD_DIR,
CONTRAIL_SIM_VMS_FILE.
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
import urllib.request

from contrail_sim import sandesh as S
from contrail_sim import xmpp

LOG = logging.getLogger('contrail-vrouter-agent')
VERSION_FILE = os.environ.get('CONTRAIL_AGENT_VERSION_FILE',
                              '/usr/share/contrail/vrouter-agent.version')
KMOD_DIR = os.environ.get('VROUTER_KMOD_DIR', '/run/vrouter-kmod')
VMS_FILE = os.environ.get('CONTRAIL_SIM_VMS_FILE', '/etc/contrail/lab-vms.json')
FABRIC_VRF = 'default-domain:default-project:ip-fabric:__default__'
LINK_LOCAL_VRF = 'default-domain:default-project:__link_local__:__link_local__'
RECONNECT_DELAY = 1.0
MAX_XMPP_SERVERS = 2
DNS_XMPP_PORT = 8093


def upstream(version):
    """'3.2.14.0-37' -> '3.2.14.0' (the dkms module version drops the build suffix)."""
    return str(version).strip().split('-')[0]


# -- settings and servers -------------------------------------------------------------------------
class Settings(object):
    def __init__(self, conf_file):
        self.conf_file = conf_file
        with open(VERSION_FILE) as handle:
            self.version = handle.read().strip()
        self.is_40 = xmpp.major_minor(self.version) == '4.0'
        self.reload()

    def reload(self):
        conf = S.read_conf(self.conf_file)
        get = lambda sec, key, dflt=None: S.conf_get(conf, sec, key, dflt)   # noqa: E731
        self.hostname = get('DEFAULT', 'hostname', socket.gethostname())
        self.vhost_ip = (get('VIRTUAL-HOST-INTERFACE', 'ip') or
                         get('NETWORKS', 'control_network_ip', '127.0.0.1')).split('/')[0]
        self.http_port = int(get('DEFAULT', 'http_server_port', 8085))
        # bind XMPP to the vhost address only when it is a local one (dev on loopback)
        self.source_ip = self.vhost_ip if self.vhost_ip.startswith('127.') else None
        self.log_file = get('DEFAULT', 'log_file', '/var/log/contrail/contrail-vrouter-agent.log')
        if self.is_40:
            self.controls = _endpoints(get('CONTROL-NODE', 'servers', ''), 5269)
            self.dns = [(h, DNS_XMPP_PORT) for h, _ in _endpoints(get('DNS', 'servers', ''), 53)]
            self.discovery = None
        else:
            self.controls = _endpoints(get('CONTROL-NODE', 'server', ''), 5269)
            self.dns = [(h, DNS_XMPP_PORT) for h, _ in _endpoints(get('DNS', 'server', ''), 53)]
            server = get('DISCOVERY', 'server')
            self.discovery = (server, int(get('DISCOVERY', 'port', 5998))) if server else None
        self.collectors = _endpoints(get('DEFAULT', 'collectors', ''), 8086)
        self.controls, self.dns = self.controls[:MAX_XMPP_SERVERS], self.dns[:MAX_XMPP_SERVERS]


def _endpoints(text, default_port):
    out = []
    for item in (text or '').replace(',', ' ').split():
        host, _, port = item.partition(':')
        out.append((host, int(port or default_port)))
    return out


def discovery_subscribe(discovery, service, hostname, vhost_ip, instances=2):
    """POST /subscribe to contrail-discovery; ([(ip, port)], ttl)."""
    body = json.dumps({'service': service, 'instances': instances, 'client': hostname,
                       'remote-addr': vhost_ip,
                       'client-type': 'contrail-vrouter-agent:0'}).encode()
    req = urllib.request.Request('http://%s:%d/subscribe' % discovery, data=body,
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=5) as resp:
        reply = json.loads(resp.read().decode())
    pubs = reply.get(service) or []
    return [(p['ip-address'], int(p.get('port') or 0)) for p in pubs], int(reply.get('ttl', 30))


# -- kernel module --------------------------------------------------------------------------------
class KernelModule(object):
    """The lab's vrouter.ko model in /run/vrouter-kmod (h6's lsmod/modprobe/rmmod share it)."""

    def __init__(self, directory=KMOD_DIR):
        self.dir = directory
        self.holders = os.path.join(directory, 'holders')

    def loaded_version(self):
        try:
            with open(os.path.join(self.dir, 'loaded')) as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def ensure_loaded(self):
        if self.loaded_version() is None:
            LOG.info('vrouter module not loaded: modprobe vrouter')
            subprocess.run(['modprobe', 'vrouter'], check=False)
        return self.loaded_version()

    def hold(self):
        os.makedirs(self.holders, exist_ok=True)
        open(os.path.join(self.holders, str(os.getpid())), 'w').close()
        self.refresh()

    def release(self):
        try:
            os.unlink(os.path.join(self.holders, str(os.getpid())))
        except OSError:
            pass
        self.refresh()

    def refresh(self):
        """refcnt = holders whose process is alive (dead ones are removed)."""
        live = 0
        for name in os.listdir(self.holders) if os.path.isdir(self.holders) else []:
            if name.isdigit() and os.path.exists('/proc/%s' % name):
                live += 1
            else:
                try:
                    os.unlink(os.path.join(self.holders, name))
                except OSError:
                    pass
        tmp = os.path.join(self.dir, 'refcnt.tmp.%d' % os.getpid())
        with open(tmp, 'w') as handle:
            handle.write('%d\n' % live)
        os.rename(tmp, os.path.join(self.dir, 'refcnt'))
        return live


# -- VMs and VRFs ---------------------------------------------------------------------------------
class LocalState(object):
    """VRFs, local VM interfaces and labels, derived from the provisioning file."""

    def __init__(self, vms, vhost_ip):
        self.vms = vms
        names = [FABRIC_VRF, LINK_LOCAL_VRF] + sorted({vm['vrf'] for vm in vms})
        self.vrfs = {name: index for index, name in enumerate(dict.fromkeys(names))}
        self.vrf_vn = {vm['vrf']: vm['vn'] for vm in vms}
        self.routes = [{'vrf': vm['vrf'], 'prefix': vm['ip'] + '/32', 'nexthop': vhost_ip,
                        'label': 16 + i, 'vn': vm['vn'], 'name': vm['name']}
                       for i, vm in enumerate(vms)]
        self.vhost_ip = vhost_ip

    @classmethod
    def load(cls, vhost_ip, path=VMS_FILE):
        try:
            with open(path) as handle:
                return cls(json.load(handle), vhost_ip)
        except (OSError, ValueError) as exc:
            LOG.warning('no VMs (%s): %s', path, exc)
            return cls([], vhost_ip)


# -- one XMPP channel -----------------------------------------------------------------------------
class Channel(object):
    """A channel to a control node (or contrail-dns), reconnecting forever in its thread."""

    def __init__(self, agent, index, endpoint, jid, kind):
        self.agent, self.index, self.endpoint, self.jid, self.kind = \
            agent, index, endpoint, jid, kind
        self.state, self.last_state, self.last_event = 'Idle', 'Idle', ''
        self.last_state_at = self.flap_time = self.ready_at = None
        self.flap_count = 0
        self.rx = {'open': 0, 'keepalive': 0, 'update': 0, 'close': 0}
        self.tx = {'open': 0, 'keepalive': 0, 'update': 0, 'close': 0}
        self.remote = {}            # vrf -> {prefix: route} learnt on this channel
        self.config_received = False
        self.stream = None
        self.stopped = False
        S.start_thread(self._run, name='xmpp-%s' % endpoint[0])

    @property
    def established(self):
        return self.state == 'Established'

    def _set_state(self, state, event):
        self.last_state, self.state, self.last_event = self.state, state, event
        self.last_state_at = time.time()

    def stop(self):
        self.stopped = True
        if self.stream is not None:
            self.stream.close(send_close=True)

    def _run(self):
        while not self.stopped:
            try:
                self._session()
            except (OSError, xmpp.StreamClosed) as exc:
                self._set_state('Active', 'xmsm::EvTcpConnectFail')
                LOG.debug('xmpp %s: %s', self.endpoint, exc)
            was_up = self.established
            self._down()
            if was_up:
                self.flap_count, self.flap_time = self.flap_count + 1, time.time()
            if not self.stopped:
                time.sleep(RECONNECT_DELAY)

    def _session(self):
        self._set_state('Connect', 'xmsm::EvStart')
        self.stream = xmpp.XmppStream.connect(*self.endpoint, timeout=3.0,
                                              source=self.agent.s.source_ip)
        self.stream.send(xmpp.stream_open(self.agent.s.hostname, self.jid, self.agent.s.version))
        self.tx['open'] += 1
        self._set_state('OpenSent', 'xmsm::EvTcpConnected')
        events = self.stream.events()
        for kind, payload in events:
            if kind == 'open':
                self.rx['open'] += 1
                self._set_state('Established', 'xmsm::EvXmppOpen')
                self.ready_at = time.time()
                self.agent.on_channel_up(self)
            elif kind == 'stanza':
                self.rx['update'] += 1
                self._on_event(xmpp.classify(payload))
        self.rx['close'] += 1
        self.last_event = 'xmsm::EvTcpClose'

    def _on_event(self, event):
        if event[0] == 'advertise':
            _, vrf, routes, retracts = event
            with self.agent.lock:
                table = self.remote.setdefault(vrf, {})
                for route in routes:
                    if route['nexthop'] != self.agent.s.vhost_ip:
                        table[route['prefix']] = route
                for prefix in retracts:
                    table.pop(prefix, None)
        elif event[0] == 'config':
            self.config_received = True
            self.agent._update_status()

    def _down(self):
        if self.stream is not None:
            self.stream.close()
        with self.agent.lock:
            self.remote = {}
        self.config_received = False
        if self.state == 'Established':
            self._set_state('Active', 'xmsm::EvTcpClose')
        self.agent.on_channel_down(self)

    def send(self, text, count=1):
        self.stream.send(text)
        self.tx['update'] += count


# -- the agent ------------------------------------------------------------------------------------
class Agent(object):
    def __init__(self, settings):
        self.s = settings
        self.lock = threading.RLock()
        self.local = LocalState.load(settings.vhost_ip)
        self.channels, self.dns_channels = [], []
        self.kmod = KernelModule()
        self.status = S.NodeStatusHolder(settings.hostname, 'contrail-vrouter-agent',
                                          build_info=settings.version)
        self.seq = 0

    # ---- channels ---------------------------------------------------------------------------
    def on_channel_up(self, channel):
        self._update_status()
        if channel.kind != 'control':
            return
        host = self.s.hostname
        if channel is self.cfg_channel():
            channel.send(xmpp.config_subscribe(host))
        for vrf, index in self.local.vrfs.items():
            if vrf in self.local.vrf_vn:
                self.seq += 1
                channel.send(xmpp.vrf_subscribe(host, vrf, index, self.seq))
        for route in self.local.routes:
            self.seq += 1
            channel.send(xmpp.route_publish(host, route, self.seq), count=2)

    def on_channel_down(self, channel):
        self._update_status()

    def cfg_channel(self):
        return next((c for c in self.channels if c.established), None)

    def set_servers(self, controls, dns):
        """(Re)create channels for the given endpoints; unchanged ones keep their session."""
        self.channels = self._rebuild(self.channels, controls[:MAX_XMPP_SERVERS],
                                      xmpp.CONTROL_JID, 'control')
        self.dns_channels = self._rebuild(self.dns_channels, dns[:MAX_XMPP_SERVERS],
                                          xmpp.DNS_JID, 'dns')
        with self.lock:
            for (ctype, name) in list(self.status._connections):
                if ctype == 'XMPP' and name.split(':', 1)[1] not in \
                        {'%s' % c.endpoint[0] for c in self.channels + self.dns_channels}:
                    self.status.drop_connection(ctype, name)
        self._update_status()

    def _rebuild(self, current, endpoints, jid, kind):
        keep = {c.endpoint: c for c in current}
        for channel in current:
            if channel.endpoint not in endpoints:
                channel.stop()
        return [keep.get(ep) or Channel(self, i, ep, jid, kind) for i, ep in enumerate(endpoints)]

    def _update_status(self):
        for channel in self.channels:
            self.status.set_connection('XMPP', 'control-node:%s' % channel.endpoint[0],
                                       channel.established, ['%s:%d' % channel.endpoint])
        for channel in self.dns_channels:
            self.status.set_connection('XMPP', 'dns-server:%s' % channel.endpoint[0],
                                       channel.established, ['%s:%d' % channel.endpoint])
        cfg = self.cfg_channel()
        self.status.extra_problem = None if cfg is not None and cfg.config_received \
            else 'No Configuration for self'

    # ---- server discovery -------------------------------------------------------------------
    def discovery_loop(self):
        """3.2: subscribe for what the conf does not name explicitly, again at every ttl."""
        while True:
            ttl = 30
            try:
                controls, ttl = (self.s.controls, ttl) if self.s.controls else \
                    discovery_subscribe(self.s.discovery, 'xmpp-server', self.s.hostname,
                                        self.s.vhost_ip)
                dns = self.s.dns or [(h, DNS_XMPP_PORT) for h, _ in discovery_subscribe(
                    self.s.discovery, 'dns-server', self.s.hostname, self.s.vhost_ip)[0]]
                self.collectors = self.s.collectors or discovery_subscribe(
                    self.s.discovery, 'Collector', self.s.hostname, self.s.vhost_ip)[0]
                self.status.set_connection('Discovery', 'xmpp-server', True,
                                           ['%s:%d' % self.s.discovery])
                self.set_servers(controls, dns)
            except Exception as exc:
                LOG.warning('discovery %s: %s', self.s.discovery, exc)
                self.status.set_connection('Discovery', 'xmpp-server', False,
                                           ['%s:%d' % self.s.discovery])
                ttl = 3
            time.sleep(max(1, min(ttl, 300)))

    def collector_loop(self):
        while True:
            collectors = list(getattr(self, 'collectors', None) or self.s.collectors)
            up = False
            for host, port in collectors:
                try:
                    socket.create_connection((host, port), timeout=2).close()
                    up = True
                    break
                except OSError:
                    continue
            if collectors:
                self.status.set_connection('Collector', '', up,
                                           ['%s:%d' % c for c in collectors])
            self._update_status()
            self.kmod.refresh()
            time.sleep(10)

    def keepalive_loop(self):
        while True:
            time.sleep(xmpp.KEEPALIVE_INTERVAL)
            for channel in self.channels + self.dns_channels:
                if channel.established:
                    try:
                        channel.stream.keepalive()
                        channel.tx['keepalive'] += 1
                    except xmpp.StreamClosed:
                        pass

    # ---- routes -----------------------------------------------------------------------------
    def route_table(self, vrf):
        """[(prefix, [path])] of one VRF: local VM routes, then one path per controller."""
        table = {}
        for route in self.local.routes:
            if route['vrf'] == vrf:
                table.setdefault(route['prefix'], []).append(dict(route, peer='LocalVmPort'))
        if vrf == FABRIC_VRF:
            table.setdefault(self.s.vhost_ip + '/32', []).append(
                {'prefix': self.s.vhost_ip + '/32', 'peer': 'Local', 'label': 0,
                 'nexthop': self.s.vhost_ip, 'vn': 'default-domain:default-project:ip-fabric'})
        with self.lock:
            for channel in self.channels:
                for prefix, route in channel.remote.get(vrf, {}).items():
                    table.setdefault(prefix, []).append(dict(route, peer=channel.endpoint[0]))
        return sorted(table.items(), key=lambda item: _ip_key(item[0]))

    # ---- introspect -------------------------------------------------------------------------
    def _xmpp_data(self, channel):
        cfg = self.cfg_channel()
        data = {
            'controller_ip': channel.endpoint[0],
            'state': 'Established' if channel.established else 'Down',
            'peer_name': channel.jid, 'peer_address': '%s:%d' % channel.endpoint,
            'last_state': channel.last_state, 'last_event': channel.last_event,
            'last_state_at': S.utc_usec_string(channel.last_state_at),
            'flap_count': channel.flap_count, 'flap_time': S.utc_usec_string(channel.flap_time),
            'rx_proto_stats': channel.rx, 'tx_proto_stats': channel.tx, 'xmpp_auth_type': 'NIL',
        }
        if channel.kind == 'control':
            data['cfg_controller'] = data['mcast_controller'] = \
                'Yes' if channel is cfg else 'No'
            data.update({'dscp': 0, 'sequence_number': self.seq,
                         'last_ready_time': S.utc_usec_string(channel.ready_at),
                         'end_of_rib_stats': {}, 'config_stats': {}})
        else:
            data['dns_controller_ip'] = data.pop('controller_ip')
        return data

    def _vrf_rows(self, name=''):
        rd_ip = self.s.vhost_ip
        return [{'name': vrf, 'ucindex': i, 'mcindex': i, 'l2index': i, 'source': 'Config; ',
                 'uc6index': i, 'vn': self.local.vrf_vn.get(vrf, 'N/A'), 'table_label': -1,
                 'vxlan_id': 0, 'evpnindex': i, 'brindex': i, 'RD': '%s:%d' % (rd_ip, i)}
                for vrf, i in sorted(self.local.vrfs.items(), key=lambda kv: kv[1])
                if name in vrf]

    def _route_rows(self, vrf_name, src_ip='', plen=''):
        rows = []
        for prefix, paths in self.route_table(vrf_name):
            ip, length = prefix.split('/')
            if src_ip and ip != src_ip or plen and str(plen) != length:
                continue
            rows.append({'src_ip': ip, 'src_plen': int(length), 'src_vrf': vrf_name,
                         'multicast': False, 'path_list': [_path_row(p, vrf_name) for p in paths]})
        return rows

    def _vrf_name(self, index):
        return next((n for n, i in self.local.vrfs.items() if i == index), None)

    def handle_vrf_list(self, name):
        return S.paged_response('VrfListResp', 'vrf_list', self._vrf_rows(name), 'db.vrf.0',
                                filters={'name': name} if name else None)

    def handle_routes(self, vrf_index, src_ip, prefix_len, stale):
        vrf = self._vrf_name(int(vrf_index or 0))
        if vrf is None:
            return ('ErrorResp', {'resp': 'Invalid VRF index %s' % vrf_index})
        return S.paged_response('Inet4UcRouteResp', 'route_list',
                                self._route_rows(vrf, src_ip, prefix_len), vrf + '.uc.route.0')

    def handle_page(self, x):
        table, begin, end, filters = S.parse_page_link(x)
        if table == 'db.vrf.0':
            return S.paged_response('VrfListResp', 'vrf_list',
                                    self._vrf_rows(filters.get('name', '')), table, begin, end,
                                    filters or None)
        vrf = table[:-len('.uc.route.0')] if table.endswith('.uc.route.0') else None
        if vrf in self.local.vrfs:
            return S.paged_response('Inet4UcRouteResp', 'route_list', self._route_rows(vrf),
                                    table, begin, end)
        return ('ErrorResp', {'resp': 'Invalid table %s' % table})

    def handlers(self):
        return {
            'AgentXmppConnectionStatusReq': S.Handler(lambda: (
                'AgentXmppConnectionStatus',
                {'peer': [self._xmpp_data(c) for c in self.channels]})),
            'AgentDnsXmppConnectionStatusReq': S.Handler(lambda: (
                'AgentDnsXmppConnectionStatus',
                {'peer': [self._xmpp_data(c) for c in self.dns_channels]})),
            'VrfListReq': S.Handler(self.handle_vrf_list, 'name'),
            'Inet4UcRouteReq': S.Handler(self.handle_routes, 'vrf_index', 'src_ip',
                                         'prefix_len', 'stale'),
            'PageReq': S.Handler(self.handle_page, 'key'),
        }

    # ---- main -------------------------------------------------------------------------------
    def start_kmod(self):
        loaded = self.kmod.ensure_loaded()
        if loaded is None:
            LOG.error('vrouter kernel module could not be loaded')
            return False
        if upstream(loaded) != upstream(self.s.version):
            LOG.error('vrouter kernel module version %s does not match agent version %s: '
                      'unload it (rmmod vrouter) before starting the agent', loaded,
                      self.s.version)
            return False
        self.kmod.hold()
        return True

    def run(self):
        declare_types(self.s.is_40)
        if not self.start_kmod():
            return 1
        signal.signal(signal.SIGTERM, lambda *_: self.exit(0))
        signal.signal(signal.SIGINT, lambda *_: self.exit(0))
        if self.s.is_40:
            signal.signal(signal.SIGHUP, lambda *_: self.on_sighup())
        S.serve_introspect(self.s.http_port, self.handlers(), node_status=self.status)
        if self.s.discovery and not (self.s.controls and self.s.dns and self.s.collectors):
            S.start_thread(self.discovery_loop)
        else:
            S.start_thread(self.set_servers, self.s.controls, self.s.dns)
        S.start_thread(self.keepalive_loop)
        LOG.info('contrail-vrouter-agent %s up (%s, %d VMs)', self.s.version,
                 self.s.hostname, len(self.local.vms))
        self.collector_loop()
        return 0

    def on_sighup(self):
        """4.0: re-read [CONTROL-NODE] servers, [DNS] servers, [DEFAULT] collectors."""
        self.s.reload()
        LOG.info('SIGHUP: controllers %s', self.s.controls)
        S.start_thread(self.set_servers, self.s.controls, self.s.dns)

    def exit(self, code):
        for channel in self.channels + self.dns_channels:
            channel.stopped = True
        self.kmod.release()
        os._exit(code)


def _path_row(path, vrf):
    local = path['peer'] in ('LocalVmPort', 'Local')
    return {'nh': {'type': 'interface' if local else 'tunnel', 'ref_count': 1, 'valid': True,
                   'policy': 'Disabled', 'itf': 'tap-' + path.get('name', 'vhost0')
                   if local else '', 'dip': '' if local else path['nexthop'],
                   'vrf': vrf},
            'label': path['label'], 'vxlan_id': 0, 'peer': path['peer'],
            'dest_vn_list': [path['vn']], 'unresolved': 'false', 'sg_list': [],
            'supported_tunnel_type': 'MPLSoGRE MPLSoUDP', 'active_tunnel_type':
            'MPLSoGRE' if not local else '', 'stale': 'false'}


def _ip_key(prefix):
    return tuple(int(x) for x in prefix.split('/')[0].split('.'))


def declare_types(is_40):
    """controller.sandesh and agent.sandesh (wire-formats §5.5, §5.6)."""
    S.struct('ControllerProtoStats', '''
        1: u32 open
        2: u32 keepalive
        3: u32 update
        4: u32 close
    ''')
    S.struct('ControllerEndOfRibStats', '''
        1: string end_of_rib_tx_time
        2: string end_of_rib_rx_time
    ''')
    S.struct('ConfigStats', '1: string last_config_receive_time')
    S.struct('AgentXmppData', '''
        1: string controller_ip
        2: string state
        3: string peer_name
        4: string peer_address
        5: optional string cfg_controller
        6: optional string mcast_controller
        7: string last_state
        8: string last_event
        9: string last_state_at
        10: u32 flap_count
        11: string flap_time
    ''' + ('19: u16 dscp\n' if is_40 else '') + '''
        12: ControllerProtoStats rx_proto_stats
        13: ControllerProtoStats tx_proto_stats
        14: string xmpp_auth_type
    ''' + ('''
        15: u64 sequence_number
        16: string last_ready_time
        17: ControllerEndOfRibStats end_of_rib_stats
        18: ConfigStats config_stats
    ''' if is_40 else ''))
    S.response('AgentXmppConnectionStatus', '1: list<AgentXmppData> peer')
    S.struct('AgentXmppDnsData', '''
        1: string dns_controller_ip
        2: string state
        3: string peer_name
        4: string peer_address
        5: string last_state
        6: string last_event
        7: string last_state_at
        8: u32 flap_count
        9: string flap_time
        10: ControllerProtoStats rx_proto_stats
        11: ControllerProtoStats tx_proto_stats
        12: string xmpp_auth_type
    ''')
    S.response('AgentDnsXmppConnectionStatus', '1: list<AgentXmppDnsData> peer')
    S.struct('VrfSandeshData', '''
        1: string name
        2: i32 ucindex (link="Inet4UcRouteReq")
        3: i32 mcindex
        4: i32 l2index
        5: string source
        6: i32 uc6index
        7: string vn
        8: i32 table_label
        9: i32 vxlan_id
        10: i32 evpnindex
        11: i32 brindex
        12: string RD
    ''')
    S.response('VrfListResp', '1: list<VrfSandeshData> vrf_list')
    S.struct('NhSandeshData', '''
        1: string type
        2: u32 ref_count
        3: bool valid
        4: string policy
        5: optional string itf
        6: optional string dip
        7: optional string vrf
    ''')
    S.struct('PathSandeshData', '''
        1: NhSandeshData nh
        2: u32 label
        3: u32 vxlan_id
        4: string peer
        5: list<string> dest_vn_list
        6: string unresolved
        9: optional list<i32> sg_list
        10: string supported_tunnel_type
        11: string active_tunnel_type
        12: string stale
    ''')
    S.struct('RouteUcSandeshData', '''
        1: string src_ip
        2: byte src_plen
        3: string src_vrf
        4: list<PathSandeshData> path_list
        7: bool multicast
    ''')
    S.response('Inet4UcRouteResp', '1: list<RouteUcSandeshData> route_list')


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-vrouter-agent (lab simulation)')
    parser.add_argument('--config_file', default='/etc/contrail/contrail-vrouter-agent.conf')
    args, _ = parser.parse_known_args(argv)
    settings = Settings(args.config_file)
    S.setup_logging(settings.log_file, 'contrail-vrouter-agent')
    return Agent(settings).run()


if __name__ == '__main__':
    sys.exit(main())
