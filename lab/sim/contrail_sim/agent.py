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
* VM ports while running: the file is watched (its mtime, size and inode every 0.2 s), as the
  real agent learns a port nova plugs or unplugs (``vrouter-port-control`` to its port IPC, the
  port files of /var/lib/contrail/ports) without a restart or a signal: a new VM's route is
  published to every Established control node (its VRF subscribed first when new), a removed
  VM's withdrawn (``dissociate``), and a VRF left without VMs unsubscribed. A VM keeps its label
  and its VRF its index across reloads; a file that does not parse is ignored until it does.

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
import uuid as uuidlib

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
VMS_POLL_INTERVAL = 0.2


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
        self.physical_interface = get('VIRTUAL-HOST-INTERFACE', 'physical_interface', 'eth0')
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
NIL_UUID = '00000000-0000-0000-0000-000000000000'


def vmi_uuid(vm):
    """The VM interface's uuid: lab-vms.json's ``uuid`` when provisioning gives one; otherwise a
    stable one derived from the VM name (the file only has name, ip, vn, vrf)."""
    return vm.get('uuid') or str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, 'lab-vmi:' + vm['name']))


def tap_name(vm):
    """Nova's vif name: 'tap' + the first 11 characters of the port (VMI) uuid."""
    return 'tap' + vmi_uuid(vm)[:11]


def vm_mac(vm):
    """contrail-api's VMI MAC (vnc_addr_mgmt.py mac_alloc): '02:' + uuid[0:8] in pairs +
    uuid[9:11]."""
    if vm.get('mac'):
        return vm['mac']
    uid = vmi_uuid(vm)
    return '02:%s:%s:%s:%s:%s' % (uid[0:2], uid[2:4], uid[4:6], uid[6:8], uid[9:11])


class LocalState(object):
    """VRFs, local VM interfaces and labels, derived from the provisioning file.

    ``previous`` (the state before a reload) keeps what the agent had allocated: a VM that stays
    keeps its MPLS label and interface index, a VRF that stays keeps its index; new ones get
    the lowest free."""

    def __init__(self, vms, vhost_ip, previous=None):
        self.vms = vms
        self.vhost_ip = vhost_ip
        old_vrfs = dict(previous.vrfs) if previous is not None else {}
        old_labels = {r['name']: r['label'] for r in previous.routes} \
            if previous is not None else {}
        names = [FABRIC_VRF, LINK_LOCAL_VRF] + sorted({vm['vrf'] for vm in vms})
        self.vrfs = {}
        for name in dict.fromkeys(names):
            if name in old_vrfs:
                self.vrfs[name] = old_vrfs[name]
        for name in dict.fromkeys(names):
            if name not in self.vrfs:
                self.vrfs[name] = _lowest_free(set(self.vrfs.values()), 0)
        self.vrf_vn = {vm['vrf']: vm['vn'] for vm in vms}
        labels = {vm['name']: old_labels[vm['name']] for vm in vms if vm['name'] in old_labels}
        for vm in vms:
            if vm['name'] not in labels:
                labels[vm['name']] = _lowest_free(set(labels.values()), 16)
        self.routes = [{'vrf': vm['vrf'], 'prefix': vm['ip'] + '/32', 'nexthop': vhost_ip,
                        'label': labels[vm['name']], 'vn': vm['vn'], 'name': vm['name'],
                        'itf': tap_name(vm), 'mac': vm_mac(vm)}
                       for vm in vms]

    def interfaces(self, physical='eth0'):
        """The agent's interface table in DB walk order (Interface::Type, then VMI uuid):
        the physical port, one tap per VM, vhost0, pkt0.  ``index`` is the agent's interface id
        (created eth, vhost0, pkt0, then the VMs: 3 + the VM's label - 16)."""
        rows = [{'index': 0, 'name': physical, 'kind': 'eth', 'vrf': FABRIC_VRF}]
        taps = [{'index': 3 + route['label'] - 16, 'name': tap_name(vm), 'kind': 'vport',
                 'vrf': vm['vrf'], 'vm': vm, 'label': route['label'], 'uuid': vmi_uuid(vm)}
                for vm, route in zip(self.vms, self.routes)]
        rows += sorted(taps, key=lambda row: row['uuid'])
        rows.append({'index': 1, 'name': 'vhost0', 'kind': 'vhost', 'vrf': FABRIC_VRF,
                     'physical': physical})
        rows.append({'index': 2, 'name': 'pkt0', 'kind': 'pkt', 'vrf': None})
        return rows

    def tenant_vrfs(self):
        """The VRFs of VMs (subscribed on the control nodes), with their index."""
        return {vrf: index for vrf, index in self.vrfs.items() if vrf in self.vrf_vn}

    def changes(self, new):
        """What the control nodes must be told to go from this state to ``new``:
        (VRFs to subscribe {vrf: index}, routes to publish, routes to withdraw, VRFs to
        unsubscribe). A route whose prefix, label, VN or VRF changed is withdrawn and published."""
        old_vrfs, new_vrfs = self.tenant_vrfs(), new.tenant_vrfs()
        key = lambda r: (r['vrf'], r['prefix'], r['label'], r['vn'], r['nexthop'])  # noqa: E731
        old_keys = {key(r) for r in self.routes}
        new_keys = {key(r) for r in new.routes}
        return ({v: i for v, i in new_vrfs.items() if old_vrfs.get(v) != i},
                [r for r in new.routes if key(r) not in old_keys],
                [r for r in self.routes if key(r) not in new_keys],
                [v for v, i in old_vrfs.items() if new_vrfs.get(v) != i])

    @staticmethod
    def read(path=VMS_FILE):
        """The VMs of the provisioning file; OSError or ValueError when it cannot be read."""
        with open(path) as handle:
            vms = json.load(handle)
        if not isinstance(vms, list) or not all(
                isinstance(vm, dict) and {'name', 'ip', 'vn', 'vrf'} <= set(vm) for vm in vms):
            raise ValueError('not a list of {name, ip, vn, vrf}')
        return vms

    @classmethod
    def load(cls, vhost_ip, path=VMS_FILE):
        try:
            return cls(cls.read(path), vhost_ip)
        except (OSError, ValueError) as exc:
            LOG.warning('no VMs (%s): %s', path, exc)
            return cls([], vhost_ip)


def _lowest_free(used, start):
    value = start
    while value in used:
        value += 1
    return value


def file_signature(path):
    """What tells that a file changed: (mtime ns, size, inode), None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


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
        self.config_subscribed = False
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
        self.config_received = self.config_subscribed = False
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
        self._subscribe_config()
        with self.lock:         # in step with a reload of the VMs (reload_vms)
            local = self.local
            self._announce(channel, local.tenant_vrfs(), local.routes, [], [])

    def _announce(self, channel, subscribe, publish, withdraw, unsubscribe):
        """Send one control channel VRF subscriptions, route publishes and withdraws, and VRF
        unsubscriptions, in that order (a VRF is subscribed before its routes are published,
        and its routes withdrawn before it is unsubscribed). Called with the lock held."""
        host = self.s.hostname
        for vrf, index in subscribe.items():
            self.seq += 1
            channel.send(xmpp.vrf_subscribe(host, vrf, index, self.seq))
        for route in publish:
            self.seq += 1
            channel.send(xmpp.route_publish(host, route, self.seq), count=2)
        for route in withdraw:
            self.seq += 1
            channel.send(xmpp.route_publish(host, route, self.seq, withdraw=True), count=2)
        for vrf in unsubscribe:
            self.seq += 1
            channel.send(xmpp.vrf_subscribe(host, vrf, 0, self.seq, subscribe=False))
            channel.remote.pop(vrf, None)

    # ---- VM ports -----------------------------------------------------------------------------
    def reload_vms(self, path=None):
        """Re-read the VMs file and tell every Established control node what changed.

        Returns the changes (see LocalState.changes), None when the file cannot be read (the VMs
        stay as they are: a half-written file is not a removal of every VM)."""
        path = path or VMS_FILE
        try:
            vms = LocalState.read(path)
        except (OSError, ValueError) as exc:
            LOG.warning('VMs file %s not reloaded: %s', path, exc)
            return None
        with self.lock:
            new = LocalState(vms, self.s.vhost_ip, previous=self.local)
            changes = self.local.changes(new)
            self.local = new
            if any(changes):
                LOG.info('VMs reloaded: %d VM(s); published %s, withdrawn %s', len(vms),
                         [r['prefix'] for r in changes[1]], [r['prefix'] for r in changes[2]])
            for channel in self.channels:
                if not channel.established or not any(changes):
                    continue
                try:
                    self._announce(channel, *changes)
                except (OSError, xmpp.StreamClosed) as exc:
                    # the session is going down: the next one publishes the new state
                    LOG.warning('xmpp %s: %s', channel.endpoint, exc)
        return changes

    def watch_vms(self, path=None, interval=VMS_POLL_INTERVAL, stop=None):
        """Reload the VMs whenever the file changes (mtime, size or inode), until ``stop``."""
        path = path or VMS_FILE
        seen = file_signature(path)
        while not (stop is not None and stop.is_set()):
            time.sleep(interval)
            current = file_signature(path)
            if current != seen and current is not None:
                if self.reload_vms(path) is not None:
                    seen = current

    def on_channel_down(self, channel):
        self._subscribe_config()
        self._update_status()

    def cfg_channel(self):
        return next((c for c in self.channels if c.established), None)

    def _subscribe_config(self):
        """Subscribe to this node's config on the config channel (the first Established one),
        again whenever that channel changes, as the agent's config client does when its
        cfg_controller moves; done once per channel session."""
        with self.lock:
            cfg = self.cfg_channel()
            if cfg is None or cfg.config_subscribed:
                return
            cfg.config_subscribed = True
        try:
            cfg.send(xmpp.config_subscribe(self.s.hostname))
        except (OSError, xmpp.StreamClosed):
            cfg.config_subscribed = False

    def set_servers(self, controls, dns):
        """(Re)create channels for the given endpoints; unchanged ones keep their session."""
        self.channels = self._rebuild(self.channels, controls[:MAX_XMPP_SERVERS],
                                      xmpp.CONTROL_JID, 'control')
        self.dns_channels = self._rebuild(self.dns_channels, dns[:MAX_XMPP_SERVERS],
                                          xmpp.DNS_JID, 'dns')
        # A new channel's thread may come up before the list above names it: its
        # on_channel_up then found no config channel. Subscribe now if one is up already.
        self._subscribe_config()
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
                 'nexthop': self.s.vhost_ip, 'vn': 'default-domain:default-project:ip-fabric',
                 'itf': 'vhost0'})
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
                         'end_of_rib_stats': {'tx': {}, 'rx': {}},
                         'config_stats': {'end_of_config_stats': {},
                                          'config_cleanup_stats': {}}})
        else:
            data['dns_controller_ip'] = data.pop('controller_ip')
            data['dscp'] = 0
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
            # prefix_len only counts with src_ip (Inet4UcRouteReq::HandleRequest)
            if src_ip and (ip != src_ip or plen and str(plen) != length):
                continue
            rows.append({'src_ip': ip, 'src_plen': int(length), 'src_vrf': vrf_name,
                         'multicast': False,
                         'path_list': [_path_row(p, self.s.vhost_ip) for p in paths]})
        return rows

    def _vrf_name(self, index):
        return next((n for n, i in self.local.vrfs.items() if i == index), None)

    def _itf_rows(self, filters):
        rows = []
        for itf in self.local.interfaces(self.s.physical_interface):
            if not _itf_match(itf, filters):
                continue
            rows.append(_itf_row(itf, self.s.is_40))
        return rows

    def handle_itf(self, name='', type='', uuid='', vn='', mac='', ipv4_address='',
                   ipv6_address='', parent_uuid='', ip_active='', ip6_active='', l2_active=''):
        """ItfReq -> ItfResp pages of table db.interface.0 (AgentIntfSandesh)."""
        filters = {'name': name, 'type': type, 'uuid': uuid, 'vn': vn, 'mac': mac,
                   'ipv4': ipv4_address, 'ipv6': ipv6_address, 'parent': parent_uuid,
                   'ip-active': ip_active, 'ip6-active': ip6_active, 'l2-active': l2_active}
        filters = {k: v for k, v in filters.items() if v}
        return S.paged_response('ItfResp', 'itf_list', self._itf_rows(filters),
                                'db.interface.0', filters=filters or None)

    def handle_vrf_list(self, name):
        return S.paged_response('VrfListResp', 'vrf_list', self._vrf_rows(name), 'db.vrf.0',
                                filters={'name': name} if name else None)

    def handle_routes(self, vrf_index, src_ip, prefix_len, stale):
        vrf = self._vrf_name(int(vrf_index or 0))
        if vrf is None:
            return ('ErrorResp', {'resp': 'Invalid VRF index %s' % vrf_index})
        return S.paged_response('Inet4UcRouteResp', 'route_list',
                                self._route_rows(vrf, src_ip, prefix_len), vrf + '.uc.route.0')

    def handle_page(self, key):
        """PageReq (agent.sandesh ``1: string key``): a Pagination link."""
        table, begin, end, filters = S.parse_page_link(key)
        if table == 'db.vrf.0':
            return S.paged_response('VrfListResp', 'vrf_list',
                                    self._vrf_rows(filters.get('name', '')), table, begin, end,
                                    filters or None)
        if table == 'db.interface.0':
            return S.paged_response('ItfResp', 'itf_list', self._itf_rows(filters), table,
                                    begin, end, filters or None)
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
            'ItfReq': S.Handler(self.handle_itf, 'name', 'type', 'uuid', 'vn', 'mac',
                                'ipv4_address', 'ipv6_address', 'parent_uuid', 'ip_active',
                                'ip6_active', 'l2_active'),
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
        S.start_thread(self.watch_vms)
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


def _path_row(path, vhost_ip):
    """PathSandeshData as AgentPath::SetSandeshData fills it (agent_path.cc, nexthop.cc)."""
    peer = path['peer']
    if peer == 'Local':                                  # the vhost address: receive NH
        nh = {'type': 'receive', 'itf': path.get('itf', 'vhost0')}
    elif peer == 'LocalVmPort':                          # a local VM: interface NH
        nh = {'type': 'interface', 'itf': path.get('itf', ''), 'mcast': 'disabled',
              'mac': ':'.join('%x' % int(b, 16) for b in path.get('mac', '').split(':') if b)}
    else:                                                # learnt from a control node
        nh = {'type': 'tunnel', 'sip': vhost_ip, 'dip': path['nexthop'], 'vrf': FABRIC_VRF,
              'tunnel_type': 'MPLSoGRE'}
    nh.update({'ref_count': 1, 'valid': 'true', 'policy': 'disabled', 'nh_index': 0,
               'vxlan_flag': False})
    from_controller = peer not in ('Local', 'LocalVmPort')
    return {'nh': nh, 'label': path['label'], 'vxlan_id': 0, 'peer': peer,
            'dest_vn_list': [path['vn']], 'unresolved': 'false', 'sg_list': [],
            'supported_tunnel_type': 'MPLSoGRE MPLSoUDP ' if from_controller
            else 'MPLSoGRE MPLSoUDP VxLAN', 'active_tunnel_type': 'MPLSoGRE', 'stale': False,
            # PathPreference: LOW (100), sequence 0; wait_for_traffic is not set for BGP peers
            'path_preference_data': {'sequence': 0, 'preference': 100, 'ecmp': False,
                                     'wait_for_traffic': None if from_controller else True},
            'active_label': path['label'], 'ecmp_hashing_fields': '', 'communities': [],
            'peer_sequence_number': 0, 'etree_leaf': False, 'layer2_control_word': False,
            'inactive': False}


def _itf_match(itf, f):
    """AgentIntfSandesh::Filter: substring name/vn/mac, exact uuid/ipv4, type classes; vn, mac,
    ipv4 or ipv6 only select VM interfaces; '*-active=no|inactive' selects inactive ones."""
    kinds = {'physical': 'eth', 'vmi': 'vport', 'inet': 'vhost', 'pkt': 'pkt', 'logical': None}
    vm = itf.get('vm')
    if f.get('name') and f['name'] not in itf['name']:
        return False
    if f.get('type') and kinds.get(f['type'], f['type']) != itf['kind']:
        return False
    if f.get('uuid') and f['uuid'] != itf.get('uuid', NIL_UUID):
        return False
    if any(f.get(k) for k in ('vn', 'mac', 'ipv4', 'ipv6')) and vm is None:
        return False
    if any(f.get(k) in ('no', 'inactive') for k in ('ip-active', 'ip6-active', 'l2-active')):
        return False                                     # every lab interface is active
    if vm is not None:
        if f.get('vn') and f['vn'] not in vm['vn'] or \
                f.get('mac') and f['mac'] not in vm_mac(vm) or \
                f.get('ipv4') and f['ipv4'] != vm['ip'] or f.get('ipv6'):
            return False
    return True


def _itf_row(itf, is_40):
    """ItfSandeshData as Interface::SetItfSandeshData fills it (oper/interface.cc)."""
    row = {'index': itf['index'], 'name': itf['name'], 'uuid': itf.get('uuid', NIL_UUID),
           'vrf_name': itf['vrf'] or '--ERROR--', 'active': 'Active', 'ipv4_active': 'Active',
           'l2_active': 'L2 Active', 'ip6_active': 'Inactive', 'health_check_active': 'Inactive',
           'dhcp_service': 'Disable', 'dns_service': 'Disable', 'type': itf['kind'],
           'label': -1, 'l2_label': -1, 'ip6_addr': '--NA--', 'allowed_address_pair_list': [],
           'subnet': '--NA--', 'sub_type': '--NA--', 'vrf_assign_acl_uuid': '--NA--',
           'vmi_type': '--NA--', 'flood_unknown_unicast': False, 'admin_state': 'Enabled',
           'transport': 'Ethernet', 'metadata_ip_active': 'Inactive'}
    if itf['kind'] == 'vhost':
        row['physical_interface'] = itf['physical']
    vm = itf.get('vm')
    if vm is not None:
        row.update({
            'ip6_active': 'Ipv6 Inactive < no-ipv6-addr  >', 'dhcp_service': 'Enable',
            'dns_service': 'Enable', 'label': itf['label'], 'l2_label': 0,
            'vn_name': vm['vn'], 'vm_name': vm['name'], 'ip_addr': vm['ip'],
            'ip6_addr': '::', 'mac_addr': vm_mac(vm), 'mdata_ip_addr': '0.0.0.0',
            'policy': 'Disable', 'fabric_port': 'NotFabricPort', 'alloc_linklocal_ip': 'LL-Enable',
            'sub_type': 'Tap', 'vmi_type': 'Virtual Machine', 'logical_interface_uuid': NIL_UUID,
            'fixed_ip4_list': [vm['ip']], 'service_health_check_ip': '0.0.0.0',
            'vm_project_uuid': NIL_UUID})
    return row


def _ip_key(prefix):
    return tuple(int(x) for x in prefix.split('/')[0].split('.'))


def declare_types(is_40):
    """controller/controller.sandesh and oper/agent.sandesh of contrail-controller R3.2 / R4.0
    (wire-formats §5.5, §5.6); fields in declaration order, 4.0 additions where R4.0 has them."""
    S.struct('ControllerProtoStats', '''
        1: u32 open
        2: u32 keepalive
        3: u32 update
        4: u32 close
    ''')
    if is_40:
        S.struct('ControllerEndOfConfigStats', '''
            1: string last_config_receive_time
            2: string inactivity_detected_time
            3: string end_of_config_processed_time
            4: string end_of_config_reason
            5: string last_start_time
            6: bool running
        ''')
        S.struct('ConfigCleanupStats', '''
            1: string last_start_time
            2: u64 cleanup_sequence_number
            3: bool running
        ''')
        S.struct('ConfigStats', '''
            1: ControllerEndOfConfigStats end_of_config_stats
            2: ConfigCleanupStats config_cleanup_stats
        ''')
        S.struct('ControllerEndOfRibRxStats', '''
            1: string end_of_rib_rx_time
            2: string end_of_rib_reason
            3: string last_start_time
            4: bool running
        ''')
        S.struct('ControllerEndOfRibTxStats', '''
            1: string end_of_rib_tx_time
            2: string last_route_published_time
            3: string end_of_rib_reason
            4: string last_start_time
            5: bool running
        ''')
        S.struct('ControllerEndOfRibStats', '''
            1: ControllerEndOfRibTxStats tx
            2: ControllerEndOfRibRxStats rx
        ''')
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
    ''' + ('19: u16 dscp\n' if is_40 else '') + '''
        10: ControllerProtoStats rx_proto_stats
        11: ControllerProtoStats tx_proto_stats
        12: string xmpp_auth_type
    ''')
    S.response('AgentDnsXmppConnectionStatus', '1: list<AgentXmppDnsData> peer')
    S.struct('VrfSandeshData', '''
        1: string name
        2: i32 ucindex (link="Inet4UcRouteReq")
        3: i32 mcindex (link="Inet4McRouteReq")
        4: i32 l2index (link="Layer2RouteReq")
        5: string source
        6: i32 uc6index (link="Inet6UcRouteReq")
        7: string vn (link="VnListReq")
        8: i32 table_label
        9: i32 vxlan_id
        10: i32 evpnindex (link="EvpnRouteReq")
        11: i32 brindex (link="BridgeRouteReq")
        12: string RD
    ''' + ('''
        13: i32 mac_aging_time
        14: bool layer2_control_word
    ''' if is_40 else ''))
    S.response('VrfListResp', '1: list<VrfSandeshData> vrf_list')
    S.struct('NhSandeshData', '''
        1: string type
        2: i32 ref_count
        3: optional string valid
        4: optional string policy
        5: optional string sip
        6: optional string dip
        7: optional string vrf (link="VrfListReq")
        8: optional string itf (link="ItfReq")
        9: optional string mac
        10: optional i32 sport
        11: optional i32 dport
        12: optional string mcast
        13: optional i32 label
        15: optional i16 vlan_tag
        16: optional string tunnel_type
        17: optional string local_ecmp
        21: i32 nh_index
        24: optional bool vxlan_flag
        25: optional bool flood_unknown_unicast
    ''' + ('''
        26: i32 isid
        27: bool learning_enabled
        28: bool etree_leaf
        29: bool layer2_control_word
        30: optional string pbb_bmac
    ''' if is_40 else ''))
    S.struct('PathPreferenceSandeshData', '''
        1: i32 sequence
        2: i32 preference
        3: bool ecmp
        4: optional bool wait_for_traffic
        5: optional string dependent_ip
    ''')
    S.struct('PathSandeshData', '''
        1: NhSandeshData nh
        2: i32 label
        3: i32 vxlan_id
        4: string peer
        5: list<string> dest_vn_list (link="VnListReq")
        6: string unresolved
        7: optional string gw_ip
        8: optional string vrf (link="VrfListReq")
        10: optional list<i32> sg_list
        11: string supported_tunnel_type
        12: string active_tunnel_type
    ''' + ('13: optional bool stale\n' if is_40 else '13: bool stale\n') + '''
        14: optional PathPreferenceSandeshData path_preference_data
        15: optional string info
        16: optional i32 active_label
        17: optional string flood_dhcp
        18: optional string vm_name
        19: optional bool ecmp_suppressed
        20: optional string ecmp_hashing_fields
        21: optional list<string> communities
    ''' + ('''
        22: optional u64 peer_sequence_number
        23: bool etree_leaf
        24: bool layer2_control_word
        25: bool inactive
    ''' if is_40 else ''))
    S.struct('RouteUcSandeshData', '''
        1: string src_ip
        2: i32 src_plen
        3: string src_vrf (link="VrfListReq")
        4: list<PathSandeshData> path_list
        5: optional bool ipam_subnet_route
    ''' + ('8: optional bool ipam_host_route\n' if is_40 else '') + '''
        6: optional bool proxy_arp
        7: bool multicast
    ''')
    S.response('Inet4UcRouteResp', '1: list<RouteUcSandeshData> route_list')
    # ItfReq (oper/agent.sandesh): ItfResp { list<ItfSandeshData> itf_list }
    S.struct('FloatingIpSandeshList', '''
        1: string ip_addr
        2: string vrf_name (link="VrfListReq")
        3: string installed
        4: string fixed_ip
    ''')
    S.struct('ServiceVlanSandeshList', '''
        1: i16 tag
        2: string vrf_name (link="VrfListReq")
        3: string ip_addr
        6: string ip6_addr
        4: i16 label
        5: string installed
        7: string v4_route_installed
        8: string v6_route_installed
    ''')
    S.struct('AliasIpSandeshList', '''
        1: string ip_addr
        2: string vrf_name (link="VrfListReq")
        3: string installed
    ''')
    S.struct('StaticRouteSandesh', '''
        1: string vrf_name (link="VrfListReq")
        2: string ip_addr
        3: i32 prefix
        4: optional string mac_addr
        5: optional list<string> communities
        6: optional u32 label
    ''')
    S.struct('VmIntfSgUuid', '1: string sg_uuid (link="SgListReq")')
    S.struct('VmIntfBridgeDomainUuid',
             '1: string bridge_domain_uuid (link="BridgeDomainSandeshReq")')
    S.struct('ItfSandeshData', '''
        1: i32 index
        2: string name
        3: string uuid
        4: string vrf_name (link="VrfListReq")
        5: string active
        49: optional string ipv4_active
        28: string l2_active
        35: optional string ip6_active
        53: optional string health_check_active
        6: string dhcp_service
        7: string dns_service
        8: string type
        9: i32 label
        25: i32 l2_label
        26: i32 vxlan_id
        10: string vn_name (link="VnListReq")
        11: string vm_uuid (link="VmListReq")
        12: string vm_name
        13: string ip_addr
        14: string mac_addr
        15: string policy
        16: list<FloatingIpSandeshList> fip_list
        17: string mdata_ip_addr
        18: list<ServiceVlanSandeshList> service_vlan_list
        19: i32 os_ifindex
        20: string fabric_port
        21: string alloc_linklocal_ip
        22: string analyzer_name
        23: string config_name
        24: list<VmIntfSgUuid> sg_uuid_list
        27: list<StaticRouteSandesh> static_route_list
        30: string vm_project_uuid
        31: string admin_state
        32: i32 flow_key_idx
        33: optional list<StaticRouteSandesh> allowed_address_pair_list
        34: optional string ip6_addr
        36: i32 local_preference
        37: i16 tx_vlan_id
        38: i16 rx_vlan_id
        39: string parent_interface
        40: optional string subnet
        41: optional string sub_type
        42: optional string vrf_assign_acl_uuid (link="AclReq")
        43: optional string vmi_type
        44: string transport
        45: string logical_interface_uuid
        46: optional bool flood_unknown_unicast
        47: string physical_device
        48: string physical_interface
        50: list<string> fixed_ip4_list
        51: list<string> fixed_ip6_list
        52: list<string> fat_flow_list
        54: optional string metadata_ip_active
        55: optional string service_health_check_ip
        56: optional string qos_config (link="AgentQosConfigSandeshReq")
        57: list<AliasIpSandeshList> alias_ip_list
        58: bool drop_new_flows
    ''' + ('''
        59: list<VmIntfBridgeDomainUuid> bridge_domain_list
        60: byte vhostuser_mode
    ''' if is_40 else ''))
    S.response('ItfResp', '1: list<ItfSandeshData> itf_list')


def main(argv=None):
    parser = argparse.ArgumentParser(description='contrail-vrouter-agent (lab simulation)')
    parser.add_argument('--config_file', default='/etc/contrail/contrail-vrouter-agent.conf')
    args, _ = parser.parse_known_args(argv)
    settings = Settings(args.config_file)
    S.setup_logging(settings.log_file, 'contrail-vrouter-agent')
    return Agent(settings).run()


if __name__ == '__main__':
    sys.exit(main())
