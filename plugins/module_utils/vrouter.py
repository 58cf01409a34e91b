# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a vRouter compute is made of, per Contrail era, and how a swap changes it.

* the package set (wire-formats reference §8.2/8.3): the kernel module package
  (``contrail-vrouter-dkms`` or the prebuilt ``contrail-vrouter-<kernel>``) plus the agent,
  utils, nodemgr, nova VIF driver, libraries and the meta package. ``nova-compute`` is not
  part of it and is never touched;
* the conf keys that point a compute at a cluster (§7.1, §7.2), which differ by era:
  3.x finds everything through ``[DISCOVERY] server`` (or explicit ``[CONTROL-NODE] server``),
  4.x names ``[CONTROL-NODE] servers``, ``[DNS] servers`` and ``[DEFAULT] collectors``;
* the agent's view from introspect 8085 (XMPP peers, routes);
* the record of the state before a swap (a local fact file), which drives the rollback.
"""

from __future__ import annotations

__metaclass__ = type

import contextlib
import datetime
import glob
import json
import os
import re
import shutil
import time

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    AGENT_PORT,
    IntrospectClient,
    collect,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

AGENT_CONF = '/etc/contrail/contrail-vrouter-agent.conf'
NODEMGR_CONF = '/etc/contrail/contrail-vrouter-nodemgr.conf'
TOR_AGENT_GLOB = '/etc/contrail/contrail-tor-agent-*.conf'
FACT_FILE = '/etc/ansible/facts.d/contrail_issu.fact'

KMOD_DKMS = 'contrail-vrouter-dkms'
#: XMPP sessions a vRouter agent keeps: with two control nodes of its list (and two DNS
#: servers), whatever the length of the list (MAX_XMPP_SERVERS in the agent).
AGENT_XMPP_SESSIONS = 2
#: The daemon a swap must leave RUNNING, whatever else the role runs.
AGENT_PROGRAM = 'contrail-vrouter-agent'
#: The vRouter packages besides the kernel module one, in install order of importance.
COMPONENT_PACKAGES = (
    'contrail-vrouter-agent', 'contrail-vrouter-common', 'contrail-vrouter-utils',
    'contrail-vrouter-init', 'contrail-nova-vif', 'contrail-nodemgr', 'contrail-utils',
    'contrail-lib', 'python-contrail', 'python-contrail-vrouter-api',
    'python-opencontrail-vrouter-netns', 'contrail-openstack-vrouter',
)
#: Never part of a swap, whatever the caller lists (the compute keeps its nova).
PROTECTED_PACKAGES = ('nova-compute', 'openstack-nova-compute')
#: Patterns of the Contrail packages vrouter_info lists.
CONTRAIL_PACKAGE_PATTERNS = ('contrail-*', 'python-contrail*', 'python-opencontrail*')

ERAS = ('3.x', '4.x')
#: Conf keys by logical name, per era, in the agent conf and in the ToR agent confs.
AGENT_KEYS = {
    '3.x': dict(control_servers=('CONTROL-NODE', 'server'), dns_servers=('DNS', 'server'),
                collectors=('DEFAULT', 'collectors'), discovery_server=('DISCOVERY', 'server')),
    '4.x': dict(control_servers=('CONTROL-NODE', 'servers'), dns_servers=('DNS', 'servers'),
                collectors=('DEFAULT', 'collectors')),
}
NODEMGR_KEYS = {
    '3.x': dict(discovery_server=('DISCOVERY', 'server'), collectors=('COLLECTOR', 'server_list')),
    '4.x': dict(collectors=('COLLECTOR', 'server_list')),
}
DEFAULT_PORTS = dict(control_servers=5269, dns_servers=53, collectors=8086)
SERVER_OPTIONS = ('control_servers', 'dns_servers', 'collectors', 'discovery_server')


def host_argument_spec():
    """Where a compute's vRouter confs are and how its services and packages are managed.

    Documented by the doc fragments ``opencontrail.issu.vrouter`` and
    ``opencontrail.issu.vrouter.package_manager``, as are the functions below.
    """
    spec = dict(
        agent_conf=dict(type='path', default=AGENT_CONF),
        nodemgr_conf=dict(type='path', default=NODEMGR_CONF),
        service_manager=dict(type='str', default='auto', choices=['auto', 'supervisor', 'systemd']),
    )
    spec.update(package_manager_argument_spec())
    return spec


def package_manager_argument_spec():
    """The package manager of a compute (fragment ``opencontrail.issu.vrouter.package_manager``)."""
    return dict(package_manager=dict(type='str', default='auto', choices=['auto', 'apt', 'dnf', 'yum']))


def tor_agents_argument_spec():
    """The ToR agent confs edited like the agent's (fragment ``opencontrail.issu.vrouter.tor_agents``)."""
    return dict(tor_agent_confs=dict(type='list', elements='path'))


def agent_state_argument_spec():
    """Where the agent's live state and the last swap's record are read
    (fragment ``opencontrail.issu.vrouter.agent_state``)."""
    return dict(
        introspect_host=dict(type='str', default='127.0.0.1'),
        fact_file=dict(type='path', default=FACT_FILE),
    )


class VrouterError(IssuError):
    """Bad input or a state the swap cannot start from; raised before anything changes."""


# -- eras and packages ------------------------------------------------------------------

def era(version):
    """'3.2.14.0-37' -> '3.x', '4.0.3.0-62' -> '4.x'."""
    match = re.match(r'^(?:\d+:)?(\d+)\.', str(version or ''))
    if not match:
        raise VrouterError('cannot tell the Contrail release of version %r' % (version,))
    return '3.x' if int(match.group(1)) <= 3 else '4.x'


def kmod_package(installed, kernel_release):
    """The kernel module package of this host: the installed one, else the dkms one."""
    prebuilt = 'contrail-vrouter-%s' % kernel_release
    if prebuilt in installed and KMOD_DKMS not in installed:
        return prebuilt
    return KMOD_DKMS


#: Packages of a DPDK vRouter (its forwarding plane is a process bound to the NICs).
DPDK_PACKAGES = ('contrail-vrouter-dpdk', 'contrail-vrouter-dpdk-init')
#: ``[DEFAULT] platform`` values of a kernel vRouter (3.2 and 4.0 write ``default``).
KERNEL_PLATFORMS = ('', 'default', 'kernel')
#: Agent conf keys that say what kind of vRouter node a host is.
NODE_KEYS = (('DEFAULT', 'platform'), ('DEFAULT', 'agent_mode'))


def node_kind(installed, agent_conf=AGENT_CONF, tor_confs=()):
    """What kind of vRouter node the host is, and why an in-place swap refuses it.

    ``{'platform': 'kernel'|'dpdk'|<platform>, 'agent_mode': 'vrouter'|'tsn'|...,
    'tor_agents': n, 'refused': None or the reason}``. A TSN (``agent_mode=tsn``) runs the
    compute's agent and packages and is swapped like a compute; ToR agents' confs are re-pointed
    with the agent's. A DPDK or SmartNIC vRouter forwards without the kernel module the swap
    unloads, so the swap would upgrade it wrongly: it is refused before anything changes.
    """
    values = ini_edit.read_values(agent_conf, NODE_KEYS)
    platform = (values[('DEFAULT', 'platform')] or '').strip().lower()
    dpdk_packages = [name for name in DPDK_PACKAGES if name in installed]
    if dpdk_packages and platform in KERNEL_PLATFORMS:
        platform = 'dpdk'
    kind = dict(platform='kernel' if platform in KERNEL_PLATFORMS else platform,
                agent_mode=(values[('DEFAULT', 'agent_mode')] or '').strip().lower() or 'vrouter',
                tor_agents=len(tor_confs), refused=None)
    if kind['platform'] != 'kernel':
        kind['refused'] = (
            'a %s vRouter (platform=%s in %s%s): it forwards without the vrouter kernel module '
            'this swap unloads and reloads, and its upgrade rebinds the NICs and restarts '
            'vhost0, which this collection does not do. Upgrade it with the deployer or by hand '
            'before finalize (it keeps forwarding on v1 until then), or leave it on v1 with '
            '-e issu_force=true at finalize'
            % (kind['platform'].upper() if kind['platform'] == 'dpdk' else kind['platform'],
               values[('DEFAULT', 'platform')] or 'unset', agent_conf,
               '; %s installed' % ', '.join(dpdk_packages) if dpdk_packages else ''))
    return kind


def refuse_unsupported(kind):
    """Raise VrouterError when node_kind() refuses the host."""
    if kind['refused']:
        raise VrouterError('refusing to swap ' + kind['refused'])


def package_set(installed, kernel_release, requested=None):
    """Packages a swap installs: ``requested`` as given, else the known vRouter packages
    that are installed (plus the kernel module package). Protected ones are refused."""
    if requested:
        names = list(dict.fromkeys(requested))
    else:
        names = [kmod_package(installed, kernel_release)]
        names += [name for name in COMPONENT_PACKAGES if name in installed]
    protected = [name for name in names if name in PROTECTED_PACKAGES]
    if protected:
        raise VrouterError('refusing to swap %s: the vRouter swap never touches nova-compute'
                           % ', '.join(protected))
    return names


def package_changes(installed, wanted):
    """{name: {'from': version or None, 'to': version}} for packages not at their target
    (a half-configured package counts as not at target, so a retry reinstalls it)."""
    changes = {}
    for name, version in sorted(wanted.items()):
        current = installed.get(name) or {}
        if current.get('version') != version or current.get('status') != 'installed':
            changes[name] = {'from': current.get('version'), 'to': version}
    return changes


# -- conf keys --------------------------------------------------------------------------

def managed_keys(table):
    """Every (section, key) of a key table, both eras (what a swap may set or delete)."""
    keys = []
    for era_keys in table.values():
        for spec in era_keys.values():
            if spec not in keys:
                keys.append(spec)
    return keys


def key_name(spec):
    return '%s/%s' % spec


def _with_port(item, port):
    return item if ':' in item or port is None else '%s:%d' % (item, port)


def render(option, target_era, servers):
    """The conf value of a server option in an era (4.x adds default ports; 3.x
    ``[CONTROL-NODE] server`` takes bare addresses)."""
    if isinstance(servers, str):
        servers = servers.replace(',', ' ').split()
    if option == 'discovery_server':
        return servers[0]
    if option == 'control_servers' and target_era == '3.x':
        return ' '.join(item.split(':')[0] for item in servers)
    port = DEFAULT_PORTS[option] if target_era == '4.x' or option == 'collectors' else None
    return ' '.join(_with_port(item, port) for item in servers)


def validate_servers(target_era, servers):
    """Refuse options of the other era and mixed discovery / explicit control nodes."""
    given = dict((k, v) for k, v in servers.items() if v)
    if target_era == '4.x' and 'discovery_server' in given:
        raise VrouterError('conflicting era keys: discovery_server is a 3.x key ([DISCOVERY] '
                           'server) but the target release is 4.x, which has no discovery; '
                           'give control_servers, dns_servers and collectors')
    if 'discovery_server' in given and 'control_servers' in given:
        raise VrouterError('conflicting era keys: give either discovery_server (3.x discovery) '
                           'or control_servers, not both')


def conf_edits(table, target_era, servers):
    """Edits [(section, key, value or None)] pointing a conf at the target cluster: the
    given options are set in the target era's keys; the other era's keys are deleted (the
    recorded state keeps them for a rollback)."""
    target_keys = table[target_era]
    edits = []
    for option, spec in sorted(target_keys.items()):
        if servers.get(option):
            edits.append(spec + (render(option, target_era, servers[option]),))
    target_specs = set(target_keys.values())
    for spec in managed_keys(table):
        if spec not in target_specs:
            edits.append(spec + (None,))
    return edits


def restore_edits(recorded):
    """Edits that put back recorded raw values ({'SECTION/key': value or None})."""
    edits = []
    for name, value in sorted(recorded.items()):
        section, key = name.split('/', 1)
        edits.append((section, key, value))
    return edits


def read_conf_values(path, table):
    """{'SECTION/key': value or None} of every managed key of a file."""
    values = ini_edit.read_values(path, managed_keys(table))
    return dict((key_name(spec), value) for spec, value in values.items())


def conf_era(values):
    """The era a conf is written for, from its managed values (None when it says nothing)."""
    if values.get('CONTROL-NODE/servers') or values.get('DNS/servers'):
        return '4.x'
    if values.get('DISCOVERY/server') or values.get('CONTROL-NODE/server'):
        return '3.x'
    return None


def servers_view(values):
    """Logical view of agent conf values: control/DNS/collector/discovery servers."""
    def split(value):
        return value.split() if value else []
    return dict(
        control_servers=split(values.get('CONTROL-NODE/servers') or
                              values.get('CONTROL-NODE/server')),
        dns_servers=split(values.get('DNS/servers') or values.get('DNS/server')),
        collectors=split(values.get('DEFAULT/collectors')),
        discovery_server=values.get('DISCOVERY/server') or None,
        era=conf_era(values),
    )


def tor_agent_confs(paths=None, pattern=TOR_AGENT_GLOB):
    """ToR agent conf files: the given ones, else those present on the host."""
    return list(paths) if paths is not None else sorted(glob.glob(pattern))


def agent_port(path=AGENT_CONF):
    """The agent's introspect port: ``[DEFAULT] http_server_port`` or 8085."""
    value = ini_edit.IniDocument(ini_edit.read_text(path)).get('DEFAULT', 'http_server_port')
    try:
        return int(value) if value else AGENT_PORT
    except ValueError:
        return AGENT_PORT


# -- kernel module ----------------------------------------------------------------------
#
# Which module is loaded decides whether it must be reloaded before the agent starts (an agent
# refuses a module of another release, LP 1631556), not whether the swap changes packages: a
# swap resumed after its install finds no package to change and the old module still loaded.
# What a host tells about its module:
# * ``lsmod``: loaded or not, and its use count;
# * ``vrouter --info`` (contrail-vrouter-utils): the loaded module's build, as the module
#   reports it over netlink - the one source that names the Contrail release;
# * ``/sys/module/vrouter/srcversion`` and ``modinfo -F srcversion vrouter``: a checksum of
#   the loaded module's sources and of the installed one's (the module the next modprobe
#   loads): different means the loaded module is not the installed one. (vrouter.ko's
#   MODULE_VERSION is "1.0" in every release, so ``/sys/module/vrouter/version`` and
#   modinfo's ``version`` cannot tell 3.2 from 4.0 on a real host.)
SYS_MODULE = '/sys/module/vrouter'
BUILD_VERSION = re.compile(r'"build-version"\s*:\s*"([^"]+)"')
BUILD_NUMBER = re.compile(r'"build-number"\s*:\s*"?(\d+)')


def kmod_loaded(lsmod_output):
    """Whether ``lsmod`` lists the vrouter module, and its use count."""
    for line in (lsmod_output or '').splitlines():
        fields = line.split()
        if fields and fields[0] == 'vrouter':
            used = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
            return dict(loaded=True, used_by=used)
    return dict(loaded=False, used_by=0)


def parse_vrouter_info(out):
    """The loaded module's build from ``vrouter --info`` (build-version, with the
    build-number when it is given apart), or None."""
    match = BUILD_VERSION.search(out or '')
    if not match:
        return None
    version = match.group(1)
    number = BUILD_NUMBER.search(out or '')
    if number and '-' not in version:
        version = '%s-%s' % (version, number.group(1))
    return version if re.match(r'^(?:\d+:)?\d+\.\d+', version) else None


def upstream(version):
    """'1:4.0.3.0-62' -> '4.0.3.0' (what an agent compares with its module's build)."""
    return str(version or '').split(':', 1)[-1].rsplit('-', 1)[0]


def same_build(loaded, target):
    """Whether a loaded module's build is the target version: the whole version when the
    module names its build number, else the upstream part."""
    loaded, target = str(loaded).split(':', 1)[-1], str(target).split(':', 1)[-1]
    if '-' in loaded:
        return loaded == target
    return loaded == upstream(target)


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def _output(runner, args):
    try:
        rc, out, _err = runner(args, environ_update={'LC_ALL': 'C'})
    except OSError:
        return None
    return out if rc == 0 else None


#: Where the kernel module tools are besides $PATH (the module's PATH may lack the sbin dirs).
TOOL_DIRS = ('/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin')


def which(name):
    """Absolute path of a tool, or None (a missing tool is an unknown answer, not an error)."""
    path = os.pathsep.join([os.environ.get('PATH', '')] + list(TOOL_DIRS))
    return shutil.which(name, path=path)


def kmod_state(runner, sys_module=SYS_MODULE):
    """``kmod_loaded`` plus what tells the loaded module's build: ``version`` (``vrouter
    --info``), ``srcversion`` (loaded) and ``installed_srcversion`` (on disk); None when the
    host does not tell."""
    state = lsmod(runner)
    state.update(version=None, srcversion=None, installed_srcversion=None)
    state['installed_srcversion'] = modinfo_field(runner, 'srcversion')
    tool = which('vrouter')
    if state['loaded']:
        if tool:
            state['version'] = parse_vrouter_info(_output(runner, [tool, '--info']))
        state['srcversion'] = _read(os.path.join(sys_module, 'srcversion'))
    return state


def modinfo_field(runner, field):
    """``modinfo -F field vrouter``: a field of the vrouter module on disk for the running
    kernel; None when there is no module, no such field, or no modinfo."""
    modinfo = which('modinfo')
    if not modinfo:
        return None
    return (_output(runner, [modinfo, '-F', field, 'vrouter']) or '').strip() or None


def installed_module(runner):
    """The file of the vrouter module on disk for the running kernel (``modinfo -F filename``),
    None when there is none, True when the host has no modinfo (nothing to tell)."""
    return modinfo_field(runner, 'filename') if which('modinfo') else True


def is_kmod_package(name):
    """Whether a package ships the vrouter kernel module (contrail-vrouter-dkms, or the
    prebuilt contrail-vrouter-<kernel>)."""
    return name == KMOD_DKMS or bool(re.match(r'^contrail-vrouter-\d', name))


def kmod_target(wanted):
    """The version the swap's agent needs its module at: the kernel module package's target
    (contrail-vrouter-dkms or contrail-vrouter-<kernel>), else the agent's; None if neither."""
    for name in sorted(wanted):
        if is_kmod_package(name):
            return wanted[name]
    return wanted.get(AGENT_PROGRAM)


def kmod_reload_reason(kmod, target, packages_change, unfinished):
    """Why the vrouter module must be unloaded before the agent starts, or None.

    Not loaded: the start loads the installed one. Loaded, and it reports its build: reload
    when that is not ``target``. Else reload when the loaded module is not the installed one
    (srcversion), when the swap changes packages, or when the last swap did not finish
    (``unfinished``: it may have installed the packages, then been killed).
    """
    if not kmod.get('loaded'):
        return None
    loaded = kmod.get('version')
    if loaded and target:
        if same_build(loaded, target):
            return None
        return 'the loaded vrouter module is %s, the agent to start is %s' % (loaded, target)
    if kmod.get('srcversion') and kmod.get('installed_srcversion') \
            and kmod['srcversion'] != kmod['installed_srcversion']:
        return 'the loaded vrouter module is not the installed one (srcversion %s, on disk %s)' \
            % (kmod['srcversion'], kmod['installed_srcversion'])
    if packages_change:
        return 'the packages change and the loaded vrouter module does not tell its build'
    if unfinished:
        return ('the last swap did not finish (%s) and the loaded vrouter module does not tell '
                'its build' % unfinished)
    return None


# -- agent introspect -------------------------------------------------------------------

def xmpp_peers(client):
    """[{controller_ip, state, cfg_controller, peer_address, flap_count, last_state_at}]."""
    peers = collect(client.request('AgentXmppConnectionStatusReq'), 'peer')
    keep = ('controller_ip', 'state', 'cfg_controller', 'mcast_controller', 'peer_address',
            'flap_count', 'last_state_at')
    return [dict((k, peer.get(k)) for k in keep) for peer in peers]


def _is_xmpp_peer(peer):
    return bool(re.match(r'^\d+\.\d+\.\d+\.\d+$', peer or ''))


def agent_routes(client):
    """{(vrf, prefix): 'xmpp'|'local'} over the tenant VRFs (those bound to a VN).

    A prefix is ``xmpp`` when a control node gave the agent a path to it, which is what the
    data plane to remote VMs needs; ``local`` when only the agent's own paths exist.
    """
    routes = {}
    for vrf in collect(client.request('VrfListReq', ''), 'vrf_list'):
        if vrf.get('vn') in (None, '', 'N/A'):
            continue
        for route in collect(client.request('Inet4UcRouteReq', vrf['ucindex']), 'route_list'):
            prefix = '%s/%s' % (route.get('src_ip'), route.get('src_plen'))
            peers = [path.get('peer') for path in route.get('path_list') or []]
            routes[(vrf['name'], prefix)] = 'xmpp' if any(map(_is_xmpp_peer, peers)) else 'local'
    return routes


def route_summary(routes):
    return dict(total=len(routes), xmpp=sum(1 for v in routes.values() if v == 'xmpp'),
                local=sum(1 for v in routes.values() if v == 'local'))


def missing_routes(baseline, current):
    """Routes of ``baseline`` that ``current`` lacks (an xmpp route must be xmpp again)."""
    missing = []
    for key, kind in sorted(baseline.items()):
        now = current.get(key)
        if now is None or (kind == 'xmpp' and now != 'xmpp'):
            missing.append('%s %s' % key)
    return missing


def xmpp_ready(peers, targets):
    """True when the agent has its XMPP sessions Established to the target control nodes: as
    many as it keeps (AGENT_XMPP_SESSIONS, all of them when fewer are given), or, with no
    targets, to one control node."""
    up = set(p['controller_ip'] for p in peers if p.get('state') == 'Established')
    if targets:
        return len(up & set(targets)) >= min(AGENT_XMPP_SESSIONS, len(set(targets)))
    return bool(up)


def introspect_client(host, port, timeout=2):
    return IntrospectClient(host, port, timeout=timeout)


# -- the fact file ----------------------------------------------------------------------

def read_fact(path=FACT_FILE):
    """The recorded ISSU facts of this host ({} when none)."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise VrouterError('%s is not valid JSON (%s): fix or remove it' % (path, exc))


def write_fact(path, data):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    ini_edit.write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + '\n')


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def previous_state(fact):
    """The recorded state a rollback returns to, or None."""
    return (fact.get('vrouter') or {}).get('previous')


def may_record_previous(fact):
    """Only a host whose last swap finished (or that never swapped) has a clean state to
    record; after a failed swap the host is mixed and the earlier record must be kept."""
    status = (fact.get('vrouter') or {}).get('status')
    return status in (None, 'done')


# -- the host as a whole ----------------------------------------------------------------

def lsmod(runner):
    """``kmod_loaded`` of the host (lsmod missing or failing reads as not loaded)."""
    try:
        rc, out, _err = runner(['lsmod'], environ_update={'LC_ALL': 'C'})
    except OSError:
        return dict(loaded=False, used_by=0)
    return kmod_loaded(out if rc == 0 else '')


def snapshot(pkg, svc, runner, package_names, agent_conf=AGENT_CONF, nodemgr_conf=NODEMGR_CONF,
             tor_confs=(), packages=None):
    """Versions, managed conf values, service and kernel module state of the compute
    (``kmod``: ``kmod_state``). ``packages``: the versions when the caller has read them already
    (``package_names`` is then not queried)."""
    return dict(
        packages=pkg.installed(package_names) if packages is None else packages,
        agent_conf=read_conf_values(agent_conf, AGENT_KEYS),
        nodemgr_conf=read_conf_values(nodemgr_conf, NODEMGR_KEYS),
        tor_agent_confs=dict((path, read_conf_values(path, AGENT_KEYS)) for path in tor_confs),
        service=svc.status(),
        kmod=kmod_state(runner),
    )


def describe_host(snap, wanted, previous_versions=None):
    """One line an operator (and a rescue block) can act on, naming the agent version the
    host is on, e.g. ``vrouter stopped; agent 4.0.3.0-62; packages: 11/11 at target; kmod not
    loaded; agent conf 4.x``."""
    at_target = [n for n, v in wanted.items()
                 if (snap['packages'].get(n) or {}).get('version') == v]
    at_previous = [n for n, v in (previous_versions or {}).items()
                   if n not in at_target and (snap['packages'].get(n) or {}).get('version') == v]
    broken = ['%s %s' % (n, p['status']) for n, p in sorted(snap['packages'].items())
              if p.get('status') != 'installed']
    programs = snap['service'].get('programs') or {}
    not_running = ['%s %s' % item for item in sorted(programs.items()) if item[1] != 'RUNNING']
    parts = ['vrouter %s%s' % (snap['service']['state'],
                               ' (%s)' % ', '.join(not_running) if not_running else ''),
             'agent %s' % ((snap['packages'].get(AGENT_PROGRAM) or {}).get('version')
                           or 'not installed'),
             'packages: %d/%d at target' % (len(at_target), len(wanted))]
    if previous_versions:
        parts[-1] += ', %d at previous version' % len(at_previous)
    if broken:
        parts.append('not configured: %s' % ', '.join(broken))
    kmod = snap['kmod']
    parts.append('kmod %s' % (('%s loaded' % kmod['version'] if kmod.get('version') else 'loaded')
                              if kmod['loaded'] else 'not loaded'))
    parts.append('agent conf %s' % (conf_era(snap['agent_conf']) or 'without servers'))
    return '; '.join(parts)


# -- commands with a time limit ---------------------------------------------------------

#: Limit of a command that only answers a question (dpkg-query, supervisorctl status, lsmod).
QUERY_TIMEOUT = 30
#: Seconds between the TERM and the KILL of a command past its limit.
KILL_AFTER = 5


class CommandTimeout(IssuError):
    """A command did not return within its limit and was killed; says what it waited for."""

    result_key = 'command'

    def __init__(self, cmd, seconds, waiting_for, output=''):
        self.cmd, self.seconds, self.waiting_for, self.output = cmd, seconds, waiting_for, output
        super(CommandTimeout, self).__init__('%s did not return in %ss and was killed: it was '
                                             'waiting for %s' % (cmd, seconds, waiting_for))

    def to_dict(self):
        return dict(msg=str(self), cmd=self.cmd, timeout=self.seconds,
                    waiting_for=self.waiting_for,
                    output_lines=(self.output or '').splitlines()[-20:])


class TimedRunner:
    """``runner(args, environ_update=None)`` whose every command has a time limit.

    Commands run under coreutils ``timeout`` (TERM at the limit, KILL ``KILL_AFTER`` s later,
    its process group included: apt-get's dpkg, an init script's supervisorctl); a command that
    exits 124 or 137 after its limit raises :class:`CommandTimeout`. The limit is
    ``QUERY_TIMEOUT`` unless a step sets its own with ``limited(seconds, waiting_for)``.
    Without a ``timeout`` binary (``timeout_bin`` None) commands run unlimited.
    """

    def __init__(self, run_command, timeout_bin, default=QUERY_TIMEOUT, clock=time.monotonic):
        self.run_command, self.timeout_bin, self.clock = run_command, timeout_bin, clock
        self.limit = (default, 'its answer')

    @contextlib.contextmanager
    def limited(self, seconds, waiting_for):
        saved, self.limit = self.limit, (seconds, waiting_for)
        try:
            yield self
        finally:
            self.limit = saved

    def __call__(self, args, environ_update=None):
        seconds, waiting_for = self.limit
        if not self.timeout_bin or not seconds:
            return self.run_command(list(args), environ_update=environ_update)
        cmd = [self.timeout_bin, '-k', str(KILL_AFTER), '%g' % seconds] + list(args)
        started = self.clock()
        rc, out, err = self.run_command(cmd, environ_update=environ_update)
        if rc in (124, 137) and self.clock() - started >= seconds * 0.99:
            raise CommandTimeout(' '.join(args), seconds, waiting_for, (out or '') + (err or ''))
        return rc, out, err
