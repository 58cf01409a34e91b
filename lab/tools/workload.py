#!/usr/bin/env python3
"""Northbound workload for ISSU rehearsals: network writes through Neutron (and/or contrail-api).

Writes go through the HAProxy VIP exactly as a tenant's would: Neutron v2 JSON on
``http://10.99.0.5:9696/v2.0/networks`` and optionally contrail-api's REST on
``http://10.99.0.5:8082/virtual-networks``. Each write is recorded with its start/end time and
outcome: ``acked`` (2xx), ``refused`` (connection refused/reset/timeout or any 5xx, e.g. 503 while
HAProxy has no server: the NB freeze) or ``rejected`` (other 4xx, a workload bug). Afterwards
``verify(api_url)`` checks that the final state implied by the acknowledged writes is what a
cluster's config API holds: created/updated networks present with the last acked name, deleted
ones gone. A write refused by a reset or timeout may have been applied anyway: objects with such
a write after their last ack are reported as ``ambiguous``, not as failures.

Bounded by ``count`` writes and ``duration`` seconds. Library: ``Workload(...).start()`` /
``.stop()`` / ``.summary()`` / ``.verify(url)``; CLI: prints the JSON summary.
"""
import argparse
import itertools
import json
import sys
import threading
import time
import uuid

import requests

MAX_COUNT, MAX_DURATION = 100000, 3600.0
REQUEST_TIMEOUT = 5.0
PATTERN = ('create', 'update', 'create', 'delete')  # keeps a small, moving set of live networks


class Target(object):
    """How one northbound API expresses create/update/delete of a network."""

    def __init__(self, name, base_url, project, token=None):
        self.name, self.base, self.project = name, base_url.rstrip('/'), project
        self.headers = {'Content-Type': 'application/json'}
        if token:
            self.headers['X-Auth-Token'] = token

    def request(self, op, net):
        """(method, url, body) of the write; ``net`` is the workload's record of the network."""
        if self.name == 'neutron':
            url = self.base + '/v2.0/networks'
            if op == 'create':
                return 'POST', url, {'network': {'name': net['name'], 'admin_state_up': True}}
            if op == 'update':
                return 'PUT', '%s/%s' % (url, net['uuid']), {'network': {'name': net['name']}}
            return 'DELETE', '%s/%s' % (url, net['uuid']), None
        if op == 'create':
            return 'POST', self.base + '/virtual-networks', {'virtual-network': {
                'fq_name': net['fq_name'], 'parent_type': 'project', 'display_name': net['name']}}
        url = '%s/virtual-network/%s' % (self.base, net['uuid'])
        if op == 'update':
            return 'PUT', url, {'virtual-network': {'display_name': net['name']}}
        return 'DELETE', url, None

    def created_uuid(self, body):
        return (body.get('network') or {}).get('id') if self.name == 'neutron' else \
            (body.get('virtual-network') or {}).get('uuid')


class Workload(object):
    """Continuous, bounded network writes with a record of every outcome."""

    def __init__(self, neutron_url=None, api_url=None, count=200, duration=60.0, interval=0.1,
                 project='admin', prefix='wl', token=None, ca_file=None):
        if not neutron_url and not api_url:
            raise ValueError('need neutron_url and/or api_url')
        self.targets = [Target(n, u, project, token) for n, u in
                        (('neutron', neutron_url), ('contrail-api', api_url)) if u]
        self.count = min(int(count), MAX_COUNT)
        self.duration = min(float(duration), MAX_DURATION)
        self.interval = float(interval)
        self.project, self.prefix = project, '%s-%s' % (prefix, uuid.uuid4().hex[:6])
        self.token = token
        self.records = []      # one dict per write attempt
        self.networks = {}     # key -> expected state from acknowledged writes
        self.live = []         # keys of networks believed to exist
        self._stop = threading.Event()
        self._thread = None
        self._seq = itertools.count()
        self.session = requests.Session()
        # HTTPS with the lab's CA (labctl up --tls), given with each request: requests lets
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE win over a session's verify.
        self.ca_verify = ca_file or True

    # -- running ---------------------------------------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self.run, name='workload', daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=None):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        return self.summary()

    def join(self, timeout=None):
        if self._thread:
            self._thread.join(timeout)

    def run(self):
        deadline = time.time() + self.duration
        for i in range(self.count):
            if self._stop.is_set() or time.time() >= deadline:
                break
            target = self.targets[i % len(self.targets)]
            self.step(target, PATTERN[(i // len(self.targets)) % len(PATTERN)])
            self._stop.wait(self.interval)

    def step(self, target, op):
        """One write; update/delete fall back to create when no live network of that target."""
        live = [k for k in self.live if self.networks[k]['target'] == target.name]
        if op != 'create' and not live:
            op = 'create'
        if op == 'create':
            n = next(self._seq)
            name = '%s-%d' % (self.prefix, n)
            net = {'key': name, 'target': target.name, 'name': name, 'uuid': None,
                   'fq_name': ['default-domain', self.project, name], 'created_name': name,
                   'deleted': False, 'acked': False, 'ambiguous': False}
        else:
            net = dict(self.networks[live[-1] if op == 'update' else live[0]])
            if op == 'update':
                net['name'] = '%s-u%d' % (net['created_name'], next(self._seq))
        record = self._send(target, op, net)
        if record['outcome'] == 'acked':
            self._apply(op, net, record)
        elif record['outcome'] == 'refused' and record.get('ambiguous') and op != 'create':
            self.networks[net['key']]['ambiguous'] = True

    def _send(self, target, op, net):
        method, url, body = target.request(op, net)
        record = {'op': op, 'target': target.name, 'network': net['key'], 'uuid': net['uuid'],
                  'start': time.time()}
        try:
            resp = self.session.request(method, url, json=body, headers=target.headers,
                                        timeout=REQUEST_TIMEOUT, verify=self.ca_verify)
            record['status'] = resp.status_code
            if 200 <= resp.status_code < 300:
                record['outcome'] = 'acked'
                if op == 'create':
                    record['uuid'] = target.created_uuid(resp.json())
            else:
                record['outcome'] = 'refused' if resp.status_code >= 500 else 'rejected'
                record['error'] = resp.text[:200]
        except requests.ConnectionError as exc:
            record.update(outcome='refused', error=type(exc).__name__,
                          ambiguous='refused' not in str(exc).lower())
        except requests.Timeout as exc:
            record.update(outcome='refused', error=type(exc).__name__, ambiguous=True)
        record['end'] = time.time()
        self.records.append(record)
        return record

    def _apply(self, op, net, record):
        net = dict(net, acked=True, ambiguous=False)
        if op == 'create':
            net['uuid'] = record['uuid']
            self.live.append(net['key'])
        elif op == 'delete':
            net['deleted'] = True
            self.live.remove(net['key'])
        self.networks[net['key']] = net

    # -- results ---------------------------------------------------------------------------
    def freeze_windows(self):
        """Intervals [first refusal start, last refusal end] of consecutive refused writes."""
        windows, current = [], None
        for rec in self.records:
            if rec['outcome'] == 'refused':
                current = current or {'start': rec['start'], 'writes': 0}
                current.update(end=rec['end'], writes=current['writes'] + 1)
            elif current:
                windows.append(current)
                current = None
        if current:
            windows.append(current)
        for window in windows:
            window['seconds'] = round(window['end'] - window['start'], 3)
        return windows

    def max_gap(self):
        """Longest time between two consecutive acknowledged writes (seconds)."""
        ends = [r['end'] for r in self.records if r['outcome'] == 'acked']
        return round(max((b - a for a, b in zip(ends, ends[1:])), default=0.0), 3)

    def summary(self):
        by = lambda outcome: [r for r in self.records if r['outcome'] == outcome]  # noqa: E731
        return {'writes': len(self.records), 'acked': len(by('acked')),
                'refused': len(by('refused')), 'rejected': len(by('rejected')),
                'freeze_windows': self.freeze_windows(), 'max_gap': self.max_gap(),
                'networks_live': len(self.live), 'records': self.records}

    def verify(self, api_url, token=None):
        """Compare the acked final state of every network with a cluster's config API."""
        headers = {'X-Auth-Token': token or self.token} if (token or self.token) else {}
        result = {'checked': 0, 'ok': 0, 'missing': [], 'wrong': [], 'not_deleted': [],
                  'ambiguous': []}
        for net in self.networks.values():
            if not net['acked']:
                continue
            result['checked'] += 1
            resp = self.session.get('%s/virtual-network/%s' % (api_url.rstrip('/'), net['uuid']),
                                    headers=headers, timeout=REQUEST_TIMEOUT, verify=self.ca_verify)
            problem = self._problem(net, resp)
            if problem and net['ambiguous']:
                result['ambiguous'].append(net['key'])
            elif problem:
                result[problem].append({'network': net['key'], 'uuid': net['uuid'],
                                        'status': resp.status_code})
            else:
                result['ok'] += 1
        result['passed'] = not (result['missing'] or result['wrong'] or result['not_deleted'])
        return result

    @staticmethod
    def _problem(net, resp):
        if net['deleted']:
            return None if resp.status_code == 404 else 'not_deleted'
        if resp.status_code == 404:
            return 'missing'
        resp.raise_for_status()
        obj = resp.json().get('virtual-network', {})
        fq_ok = obj.get('fq_name', [None])[-1] == net['created_name']
        return None if fq_ok and obj.get('display_name') == net['name'] else 'wrong'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--neutron-url', help='e.g. http://10.99.0.5:9696')
    parser.add_argument('--api-url', help='contrail-api to write to, e.g. http://10.99.0.5:8082')
    parser.add_argument('--count', type=int, default=200)
    parser.add_argument('--duration', type=float, default=60.0)
    parser.add_argument('--interval', type=float, default=0.1)
    parser.add_argument('--project', default='admin')
    parser.add_argument('--token')
    parser.add_argument('--verify-url', help='config API of the cluster to verify afterwards')
    parser.add_argument('--records', action='store_true', help='include every write in the output')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not args.neutron_url and not args.api_url:
        print('workload: need --neutron-url and/or --api-url', file=sys.stderr)
        return 2
    workload = Workload(args.neutron_url, args.api_url, args.count, args.duration, args.interval,
                        args.project, token=args.token)
    workload.run()
    summary = workload.summary()
    if not args.records:
        summary.pop('records')
    if args.verify_url:
        summary['verify'] = workload.verify(args.verify_url)
    print(json.dumps(summary, indent=2))
    return 0 if summary.get('verify', {}).get('passed', True) else 1


if __name__ == '__main__':
    sys.exit(main())
