#!/usr/bin/env python3
"""Reachability probe: samples every agent's routes through introspect and records outages.

For each compute (agent introspect 8085) it reads the VN's VRF (``Snh_VrfListReq``) and its
routes (``Snh_Inet4UcRouteReq``, following the agent's ``Pagination`` ``all`` link when the
table is larger than a page).  The VMs of the lab are learnt from the agents themselves: the
routes whose path peer is ``LocalVmPort`` are that compute's VMs; every other compute must have
a route to each of them.  Each interval during which a compute has no route to a remote VM (or
its introspect does not answer) is recorded.

VMs move (``labctl vm-migrate``, a live migration): a VM's owner is learnt anew at each sample,
from the agents that hold it as ``LocalVmPort``; while two hold it (the migration's overlap) the
owner stays the one it was, and either of them reaches it.  A compute that has no VRF of the VN
(it hosts none of its VMs: the agent removed the VRF with its last VM) needs no route to them:
that is not an outage, nor is its introspect not answering until it answers again (its agent
restarting: it learns its VMs anew, and a VM plugged on it waits until it holds it). When such
a compute gets the VRF again (a VM plugged on it), each remote VM counts from the first time it
has its route: the probe records routes lost, not routes a new VRF has yet to learn.

Library:  ``summary = Probe({'compute1': ('10.99.0.101', 8085), ...}).run(duration=30)``
CLI:      ``probe.py --lab --duration 60 --interval 0.2`` (lab computes found with podman) or
          ``probe.py --agent compute1=10.99.0.101:8085 --agent ...``; prints JSON.
Bounded: it stops after ``duration`` seconds and every HTTP request has a timeout.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

LOCAL_PEER = 'LocalVmPort'


def fetch(host, port, request, timeout):
    """GET one Snh_ request; the XML root (single part or the chunked slist wrapper)."""
    url = 'http://%s:%d/Snh_%s' % (host, port, request)
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        body = resp.read().decode('utf-8')
    return ET.fromstring(body.split('?>', 1)[1] if body.startswith('<?') else body)


def vrf_index(host, port, vn, timeout):
    root = fetch(host, port, 'VrfListReq?name=%s' % urllib.parse.quote(vn), timeout)
    for vrf in root.iter('VrfSandeshData'):
        if vrf.findtext('vn', '').endswith(vn) or vn in vrf.findtext('name', ''):
            return int(vrf.findtext('ucindex'))
    return None


class NoSuchVrf(LookupError):
    """The agent answers that the VRF index is not (or no longer) one of its VRFs."""


def routes(host, port, index, timeout):
    """{prefix ip: set(path peers)} of one VRF, all pages; NoSuchVrf when the agent has no VRF
    of that index (anymore)."""
    root = fetch(host, port, 'Inet4UcRouteReq?vrf_index=%d' % index, timeout)
    if root.tag == 'ErrorResp' or root.find('.//ErrorResp') is not None:
        raise NoSuchVrf('no VRF of index %d on %s:%d' % (index, host, port))
    page = root.find('.//PageReqData')
    if page is not None and page.findtext('next_page'):
        root = fetch(host, port, 'PageReq?x=%s' % urllib.parse.quote(page.findtext('all')),
                     timeout)
    table = {}
    for route in root.iter('RouteUcSandeshData'):
        peers = {p.findtext('peer') for p in route.iter('PathSandeshData')}
        if peers:
            table[route.findtext('src_ip')] = peers
    return table


class Probe(object):
    """Samples ``agents`` ({name: (host, port)}) and keeps per (compute, vm) outage intervals."""

    def __init__(self, agents, vn='lab-vn', timeout=1.0):
        self.agents, self.vn, self.timeout = dict(agents), vn, timeout
        self.vrf = {}               # name -> ucindex
        self.owner = {}             # vm ip -> compute hosting it
        self.vrfless = set()        # computes whose last answer had no VRF of the VN
        self.joining = set()        # (compute, vm): the compute's new VRF has not had its route
        self.open = {}              # (compute, vm) -> (start, reason)
        self.outages = []
        self.samples = 0
        self._stop = threading.Event()

    def stop(self):
        """Make a running :meth:`run` return after its current sample (thread use)."""
        self._stop.set()

    def _sample(self, name):
        """(local vm ips, remote vm ips with a route) of one agent; None when unreachable;
        (set(), None) when it has no VRF of the VN (no VM of the VN there, no route needed)."""
        host, port = self.agents[name]
        try:
            for attempt in (1, 2):
                if name not in self.vrf:
                    index = vrf_index(host, port, self.vn, self.timeout)
                    if index is None:
                        return set(), None
                    self.vrf[name] = index
                try:
                    table = routes(host, port, self.vrf[name], self.timeout)
                    break
                except NoSuchVrf:       # the VRF went (its last VM left): look it up again
                    del self.vrf[name]
                    if attempt == 2:
                        return set(), None
        # An agent restarting mid-answer cuts its body short (http.client.IncompleteRead): as
        # unreachable as one that does not answer.
        except (OSError, http.client.HTTPException, ET.ParseError, ValueError):
            return None
        local = {ip for ip, peers in table.items() if LOCAL_PEER in peers}
        return local, set(table) - local

    def _learn_owners(self, results):
        """Each VM's owner from one round of samples: it stays with its owner while that one
        still holds it (or does not answer); else it goes to the first compute holding it."""
        for name, result in results.items():
            for ip in sorted(result[0]) if result is not None else ():
                owner = self.owner.get(ip)
                held = results.get(owner)
                if owner is None or held is not None and ip not in held[0]:
                    self.owner[ip] = name

    def _record(self, now, name, result):
        if result is not None:
            if result[1] is None:
                self.vrfless.add(name)
            elif name in self.vrfless:
                self.vrfless.discard(name)
                self.joining |= {(name, vm) for vm in self.owner}
        for vm, owner in self.owner.items():
            key = (name, vm)
            if key in self.joining:
                if result is None or vm not in result[0] | (result[1] or set()):
                    continue
                self.joining.discard(key)
            if owner == name or name in self.vrfless or vm in (result or ((),))[0]:
                missing = False         # its own VM, a VM it holds too, or no VRF of the VN
            else:
                missing = result is None or vm not in result[1]
            if missing and key not in self.open:
                self.open[key] = (now, 'introspect-unreachable' if result is None else 'no-route')
            elif not missing and key in self.open:
                self._close(key, now)

    def _close(self, key, now):
        start, reason = self.open.pop(key)
        self.outages.append({'compute': key[0], 'vm': key[1], 'start': round(start, 3),
                             'end': round(now, 3), 'seconds': round(now - start, 3),
                             'reason': reason})

    def run(self, duration=30.0, interval=0.2, discovery=10.0):
        """Sample until ``duration`` seconds elapsed; returns the JSON-able summary.

        The first ``discovery`` seconds (at most) wait until every agent answered once so the
        VM set is known before outages are counted.
        """
        started = time.time()
        with ThreadPoolExecutor(max_workers=min(32, max(1, len(self.agents)))) as pool:
            self._discover(pool, started + min(discovery, duration))
            while time.time() - started < duration and not self._stop.is_set():
                tick = time.time()
                results = dict(zip(self.agents, pool.map(self._sample, self.agents)))
                self._learn_owners(results)
                for name, result in results.items():
                    self._record(tick, name, result)
                self.samples += 1
                self._stop.wait(max(0.0, interval - (time.time() - tick)))
        end = time.time()
        for key in list(self.open):
            self._close(key, end)
        return self.summary(started, end, interval)

    def _discover(self, pool, deadline):
        pending = set(self.agents)
        while pending and time.time() < deadline:
            results = dict(zip(list(pending), pool.map(self._sample, list(pending))))
            self._learn_owners({n: r for n, r in results.items() if r is not None})
            pending -= {name for name, result in results.items() if result is not None}
            if pending:
                time.sleep(0.2)

    def summary(self, started, ended, interval):
        longest = max((o['seconds'] for o in self.outages), default=0.0)
        return {
            'started': round(started, 3), 'ended': round(ended, 3),
            'interval': interval, 'samples': self.samples, 'computes': len(self.agents),
            'vms': len(self.owner),
            'pairs_checked': sum(1 for n in self.agents for o in self.owner.values() if o != n),
            'outage_count': len(self.outages),
            'pairs_with_outage': len({(o['compute'], o['vm']) for o in self.outages}),
            'max_outage_seconds': longest,
            'total_outage_seconds': round(sum(o['seconds'] for o in self.outages), 3),
            'outages': sorted(self.outages, key=lambda o: (o['start'], o['compute'], o['vm'])),
        }


def lab_agents(port=8085):
    """{container name: (ip, port)} of the running lab computes (podman, project containers.conf)."""
    env = dict(os.environ)
    env.setdefault('CONTAINERS_CONF', os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'containers.conf'))
    names = subprocess.run(['podman', 'ps', '--filter', 'name=^lab-compute', '--format',
                            '{{.Names}}'], capture_output=True, text=True, env=env,
                           timeout=30, check=True).stdout.split()
    agents = {}
    for name in names:
        ip = subprocess.run(['podman', 'inspect', '--format',
                             '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name],
                            capture_output=True, text=True, env=env, timeout=30,
                            check=True).stdout.strip()
        agents[name] = (ip, port)
    return agents


def parse_agent(text):
    name, _, endpoint = text.partition('=')
    host, _, port = endpoint.partition(':')
    return name, (host, int(port or 8085))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--agent', action='append', type=parse_agent, default=[],
                        help='NAME=HOST[:PORT] (repeatable)')
    parser.add_argument('--lab', action='store_true', help='probe the running lab computes')
    parser.add_argument('--duration', type=float, default=30.0)
    parser.add_argument('--interval', type=float, default=0.2)
    parser.add_argument('--vn', default='lab-vn')
    args = parser.parse_args(argv)
    agents = dict(args.agent)
    if args.lab:
        agents.update(lab_agents())
    if not agents:
        parser.error('no agents: give --agent or --lab')
    summary = Probe(agents, args.vn).run(args.duration, args.interval)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
