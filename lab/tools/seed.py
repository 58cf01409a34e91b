#!/usr/bin/env python3
"""Fill a Contrail cluster with N config objects through its REST API (host side).

Object mix per project (one project per ~100 objects): virtual networks on the default IPAM
with a subnet, security groups, network policies attached to the networks, ports
(virtual-machine-interfaces on a network with a security group) and their instance-ips.
Creates run in parallel (``--workers``); an object that already exists (409) counts as present,
so a re-run completes a partial seed. Prints a JSON summary (counts, seconds, rate).

    .venv/bin/python lab/tools/seed.py --api-server 10.99.0.5:8082 --count 5000
"""
import argparse
import concurrent.futures
import json
import sys
import threading
import time

import requests

MIX = (('virtual-network', 0.2), ('security-group', 0.1), ('network-policy', 0.1),
       ('virtual-machine-interface', 0.3), ('instance-ip', 0.3))
IPAM = ['default-domain', 'default-project', 'default-network-ipam']


class Api(object):
    """One requests.Session per thread against ``http://host:port``."""

    def __init__(self, base, token=None):
        self.base = base
        self.local = threading.local()
        self.headers = {'Content-Type': 'application/json; charset="UTF-8"',
                        'X-Contrail-Useragent': 'seed:lab-seed'}
        if token:
            self.headers['X-Auth-Token'] = token

    def session(self):
        if not hasattr(self.local, 'session'):
            self.local.session = requests.Session()
            self.local.session.headers.update(self.headers)
        return self.local.session

    def create(self, rtype, body):
        """POST the object; returns 'created' or 'exists', raises on any other answer."""
        resp = self.session().post('%s/%ss' % (self.base, rtype), data=json.dumps({rtype: body}),
                                   timeout=30)
        if resp.status_code == 200:
            return 'created'
        if resp.status_code == 409 and 'already exists' in resp.text:
            return 'exists'
        raise RuntimeError('%s %s: %s %s' % (rtype, body['fq_name'], resp.status_code, resp.text))


def plan(count, prefix):
    """Ordered waves of (resource type, body); objects of a wave only refer to earlier waves."""
    n_projects = max(1, count // 100)
    rest = count - n_projects
    sizes = {rtype: int(rest * share) for rtype, share in MIX}
    sizes['instance-ip'] += rest - sum(sizes.values())
    projects = [['default-domain', '%s-p%03d' % (prefix, i)] for i in range(n_projects)]

    def owner(i):
        return projects[i % n_projects]

    vns = [owner(i) + ['vn%05d' % i] for i in range(sizes['virtual-network'])]
    sgs = [owner(i) + ['sg%05d' % i] for i in range(sizes['security-group'])]
    waves = [[('project', {'fq_name': p, 'parent_type': 'domain'}) for p in projects]]
    waves.append([('network-policy', _policy(owner(i), i)) for i in range(sizes['network-policy'])] +
                 [('security-group', _sg(fq)) for fq in sgs] +
                 [('virtual-network', _vn(fq, i)) for i, fq in enumerate(vns)])
    ports = [_port(vns, sgs, i) for i in range(sizes['virtual-machine-interface'])]
    waves.append([('virtual-machine-interface', body) for body in ports])
    waves.append([('instance-ip', _iip(prefix, ports, vns, i)) for i in range(sizes['instance-ip'])])
    return waves


def _policy(project, i):
    rule = {'direction': '<>', 'protocol': 'any', 'action_list': {'simple_action': 'pass'},
            'src_addresses': [{'virtual_network': 'any'}], 'dst_addresses': [{'virtual_network': 'any'}],
            'src_ports': [{'start_port': -1, 'end_port': -1}], 'dst_ports': [{'start_port': -1, 'end_port': -1}]}
    return {'fq_name': project + ['pol%05d' % i], 'parent_type': 'project',
            'network_policy_entries': {'policy_rule': [rule]}}


def _sg(fq_name):
    rule = {'direction': '>', 'protocol': 'any', 'ethertype': 'IPv4',
            'src_addresses': [{'security_group': 'local'}], 'dst_addresses': [{'subnet': {'ip_prefix': '0.0.0.0', 'ip_prefix_len': 0}}],
            'src_ports': [{'start_port': 0, 'end_port': 65535}], 'dst_ports': [{'start_port': 0, 'end_port': 65535}]}
    return {'fq_name': fq_name, 'parent_type': 'project', 'security_group_entries': {'policy_rule': [rule]}}


def _vn(fq_name, i):
    subnet = {'subnet': {'ip_prefix': '10.%d.%d.0' % (100 + i // 256 % 150, i % 256), 'ip_prefix_len': 24},
              'default_gateway': '10.%d.%d.1' % (100 + i // 256 % 150, i % 256)}
    return {'fq_name': fq_name, 'parent_type': 'project',
            'network_ipam_refs': [{'to': IPAM, 'attr': {'ipam_subnets': [subnet]}}]}


def _port(vns, sgs, i):
    vn = vns[i % len(vns)] if vns else None
    body = {'fq_name': vn[:2] + ['port%05d' % i] if vn else ['default-domain', 'default-project', 'port%05d' % i],
            'parent_type': 'project',
            'virtual_machine_interface_mac_addresses': {'mac_address': ['02:00:%02x:%02x:%02x:01' % (
                i >> 16 & 255, i >> 8 & 255, i & 255)]}}
    if vn:
        body['virtual_network_refs'] = [{'to': vn}]
    if sgs:
        body['security_group_refs'] = [{'to': sgs[i % len(sgs)]}]
    return body


def _iip(prefix, ports, vns, i):
    body = {'fq_name': ['%s-iip%05d' % (prefix, i)],
            'instance_ip_address': '10.%d.%d.%d' % (100 + i // 250 // 256 % 150, i // 250 % 256, 2 + i % 250)}
    if ports:
        port = ports[i % len(ports)]
        body['virtual_machine_interface_refs'] = [{'to': port['fq_name']}]
        if port.get('virtual_network_refs'):
            body['virtual_network_refs'] = port['virtual_network_refs']
    return body


def by_type(waves):
    counts = {}
    for wave in waves:
        for rtype, _ in wave:
            counts[rtype] = counts.get(rtype, 0) + 1
    return counts


def run(api, waves, workers):
    counts = {'created': 0, 'exists': 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for wave in waves:
            for result in pool.map(lambda item: api.create(*item), wave):
                counts[result] += 1
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--api-server', default='10.99.0.5:8082', help='host:port of contrail-api')
    parser.add_argument('--count', type=int, default=5000)
    parser.add_argument('--prefix', default='seed')
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--token', help='X-Auth-Token when the API requires one')
    args = parser.parse_args(argv)
    api = Api('http://' + args.api_server, args.token)
    waves = plan(args.count, args.prefix)
    start = time.time()
    try:
        counts = run(api, waves, args.workers)
    except (RuntimeError, requests.RequestException) as exc:
        print('seed failed: %s' % exc, file=sys.stderr)
        return 1
    elapsed = time.time() - start
    total = counts['created'] + counts['exists']
    print(json.dumps({'objects': total, 'created': counts['created'], 'existing': counts['exists'],
                      'seconds': round(elapsed, 2), 'per_second': round(total / elapsed, 1),
                      'by_type': by_type(waves)}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
