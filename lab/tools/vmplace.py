"""Where the lab's simulated VMs run, and their live migration between computes (stdlib only).

A VM is an entry of a compute's /etc/contrail/lab-vms.json, which its agent watches (a port
plugged or unplugged, lab/sim/contrail_sim/agent.py). ``migrate`` moves one as nova's live
migration does, so that its route never disappears:

1. plug it on the target (add it to the target's file) - the VM runs on both for a moment;
2. wait until the target's agent holds it (``LocalVmPort`` in its route table) and every control
   node an agent of the lab is Established with has the target's path for it (next hop the
   target's address: published, and reflected over BGP to the other cluster in an ISSU);
3. unplug it from the source (remove it from the source's file);
4. wait until the source's agent no longer holds it.

A migration interrupted half-way (the VM on both) is completed by running it again.

The lab's side of each step is given as a ``Lab`` (labctl implements it with podman and the
introspect servers); tests give a fake.
"""
import contextlib
import time
import urllib.parse
import xml.etree.ElementTree as ET

import probe as PROBE

VMS_FILE = '/etc/contrail/lab-vms.json'
AGENT_PORT = 8085
CONTROL_PORT = 8083


class MigrationError(Exception):
    """A migration that cannot be done or did not complete, with the reason for the operator."""


class Lab(object):
    """What a migration needs from the lab; labctl's PodmanLab implements it.

    * ``computes()``: {compute name: its address};
    * ``read(compute)``: the VMs of the compute's file (list of {name, ip, vn, vrf});
    * ``write(compute, vms)``: replace that file, atomically (its agent sees a whole file);
    * ``held(compute)``: the VM addresses its agent holds as local ports (set);
    * ``lacking(vm, nexthop)``: the control nodes serving the lab's agents that have no path
      for the VM's /32 with that next hop (list, empty when all have it);
    * ``lock()``: a context manager that keeps other migrations (the hooks of a batch run in
      parallel) from changing a file between this one's read and write.
    """

    def lock(self):
        return contextlib.nullcontext()

    def computes(self):
        raise NotImplementedError

    def read(self, compute):
        raise NotImplementedError

    def write(self, compute, vms):
        raise NotImplementedError

    def held(self, compute):
        raise NotImplementedError

    def lacking(self, vm, nexthop):
        raise NotImplementedError


def placement(lab):
    """[(vm, [computes whose file has it])] in compute then file order."""
    seen = {}
    for compute in sorted(lab.computes(), key=_natural):
        for vm in lab.read(compute):
            seen.setdefault(vm['name'], (vm, []))[1].append(compute)
    return list(seen.values())


def find(lab, vm_name):
    """(vm, [computes whose file has it]); MigrationError when no compute has it."""
    for vm, computes in placement(lab):
        if vm['name'] == vm_name or vm['ip'] == vm_name:
            return vm, computes
    raise MigrationError('no compute hosts a VM named %s (labctl vm-list shows them)' % vm_name)


def wait(what, condition, timeout, interval):
    """Poll ``condition`` (truthy when done) until ``timeout``; MigrationError naming ``what``
    and the last value otherwise."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() >= deadline:
            raise MigrationError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


def migrate(lab, vm_name, target, timeout=60.0, interval=0.2, log=lambda msg: None):
    """Live-migrate one VM to ``target``; returns {vm, source, target, changed, seconds}."""
    started = time.time()
    computes = lab.computes()
    if target not in computes:
        raise MigrationError('no compute %s in the lab (computes: %s)'
                             % (target, ', '.join(sorted(computes, key=_natural))))
    vm, hosts = find(lab, vm_name)
    sources = [c for c in hosts if c != target]
    if not sources:
        return {'vm': vm['name'], 'source': target, 'target': target, 'changed': False,
                'seconds': 0.0}
    if len(sources) > 1:
        raise MigrationError('%s is on %s: more than one compute besides the target, not a '
                             'migration this tool completes' % (vm['name'], ', '.join(sources)))
    source = sources[0]
    ip = vm['ip']
    if target not in hosts:
        log('%s: plugging on %s' % (vm['name'], target))
        with lab.lock():
            lab.write(target, [v for v in lab.read(target) if v['name'] != vm['name']] + [vm])
    wait('%s to hold %s' % (target, ip), lambda: ip in lab.held(target), timeout, interval)
    last = {}

    def published():
        last['lacking'] = lab.lacking(vm, computes[target])
        return not last['lacking']
    try:
        wait('the control nodes to have %s via %s' % (ip, target), published,
             max(0.0, timeout - (time.time() - started)), interval)
    except MigrationError as exc:
        raise MigrationError('%s (still without it: %s); %s runs on both %s and %s: run the '
                             'migration again to complete it' % (
                                 exc, ', '.join(last.get('lacking') or []), vm['name'],
                                 source, target))
    log('%s: unplugging from %s' % (vm['name'], source))
    with lab.lock():
        lab.write(source, [v for v in lab.read(source) if v['name'] != vm['name']])
    wait('%s to release %s' % (source, ip), lambda: ip not in lab.held(source),
         max(interval, timeout - (time.time() - started)), interval)
    return {'vm': vm['name'], 'source': source, 'target': target, 'changed': True,
            'seconds': round(time.time() - started, 3)}


def _natural(name):
    """'lab-compute10' after 'lab-compute9'."""
    head = name.rstrip('0123456789')
    tail = name[len(head):]
    return (head, int(tail) if tail else -1)


# -- reading the lab's introspect ------------------------------------------------------------------

def agent_held(address, vn, timeout=2.0):
    """The VM addresses an agent holds as local ports in the VN's VRF (empty without it)."""
    index = PROBE.vrf_index(address, AGENT_PORT, vn, timeout)
    if index is None:
        return set()
    try:
        table = PROBE.routes(address, AGENT_PORT, index, timeout)
    except PROBE.NoSuchVrf:
        return set()
    return {ip for ip, peers in table.items() if PROBE.LOCAL_PEER in peers}


def agent_controllers(address, timeout=2.0):
    """The control node addresses an agent is Established with; empty when it does not answer
    (an agent down learns everything anew when it comes back)."""
    try:
        root = PROBE.fetch(address, AGENT_PORT, 'AgentXmppConnectionStatusReq', timeout)
    except (OSError, ET.ParseError, ValueError):
        return set()
    return {peer.findtext('controller_ip') for peer in root.iter('AgentXmppData')
            if peer.findtext('state') == 'Established'}


def control_next_hops(address, vrf, ip, timeout=2.0):
    """The next hops of a control node's paths for ``ip``/32 in the VRF's inet.0 table
    (ShowRouteReq); None when it does not answer."""
    query = urllib.parse.urlencode({'routing_table': '%s.inet.0' % vrf,
                                    'prefix': '%s/32' % ip})
    try:
        root = PROBE.fetch(address, CONTROL_PORT, 'ShowRouteReq?' + query, timeout)
    except (OSError, ET.ParseError, ValueError):
        return None
    hops = set()
    for route in root.iter('ShowRoute'):
        if route.findtext('prefix') == '%s/32' % ip:
            hops |= {path.findtext('next_hop') for path in route.iter('ShowRoutePath')}
    return hops
