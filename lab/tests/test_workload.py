"""lab/tools/workload.py against a small local Neutron/contrail-api stand-in (127.0.0.1)."""
import http.server
import json
import os
import sys
import threading
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tools'))

import workload  # noqa: E402


class FakeCloud(http.server.ThreadingHTTPServer):
    """Neutron networks + contrail-api virtual-network reads over one store; can freeze/reset."""

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.store, self.mode = {}, 'up'
        self.url = 'http://127.0.0.1:%d' % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def _reply(self, status, body=None):
        data = json.dumps(body).encode() if body is not None else b''
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))) or b'{}')

    def _write(self, handler):
        body = self._body()
        if self.server.mode == 'frozen':
            return self._reply(503, {'error': 'No server is available'})
        if self.server.mode == 'reset':
            self.close_connection = True
            return self.connection.shutdown(2)
        return handler(body)

    def do_POST(self):
        def create(body):
            net_id = str(uuid.uuid4())
            name = body['network']['name']
            self.server.store[net_id] = {'uuid': net_id, 'display_name': name,
                                         'fq_name': ['default-domain', 'admin', name]}
            self._reply(201, {'network': {'id': net_id, 'name': name}})
        self._write(create)

    def do_PUT(self):
        def update(body):
            net = self.server.store.get(self.path.rsplit('/', 1)[1])
            if net is None:
                return self._reply(404, {})
            net['display_name'] = body['network']['name']
            self._reply(200, {'network': {'id': net['uuid']}})
        self._write(update)

    def do_DELETE(self):
        def delete(_body):
            found = self.server.store.pop(self.path.rsplit('/', 1)[1], None)
            self._reply(204 if found else 404)
        self._write(delete)

    def do_GET(self):
        net = self.server.store.get(self.path.rsplit('/', 1)[1])
        self._reply(200, {'virtual-network': net}) if net else self._reply(404, {})


@pytest.fixture
def cloud():
    server = FakeCloud()
    yield server
    server.shutdown()
    server.server_close()


def test_records_acked_and_refused_writes_and_freeze_window(cloud):
    wl = workload.Workload(neutron_url=cloud.url, count=400, duration=10, interval=0.01).start()
    time.sleep(0.4)
    cloud.mode = 'frozen'
    time.sleep(0.6)
    cloud.mode = 'up'
    time.sleep(0.4)
    summary = wl.stop(timeout=10)
    assert summary['acked'] > 10 and summary['refused'] > 5 and summary['rejected'] == 0
    assert summary['acked'] + summary['refused'] == summary['writes']
    [window] = summary['freeze_windows']
    assert 0.4 < window['seconds'] < 1.0 and window['writes'] == summary['refused']
    assert summary['max_gap'] >= window['seconds']
    assert all(r['status'] == 503 for r in summary['records'] if r['outcome'] == 'refused')
    verdict = wl.verify(cloud.url)
    assert verdict['passed'] and verdict['ok'] == verdict['checked'] > 5


def test_verify_finds_missing_wrong_and_undeleted_networks(cloud):
    wl = workload.Workload(neutron_url=cloud.url, count=12, duration=10, interval=0)
    wl.run()
    live = [n for n in wl.networks.values() if not n['deleted']]
    gone = [n for n in wl.networks.values() if n['deleted']]
    assert len(live) >= 2 and gone
    del cloud.store[live[0]['uuid']]
    cloud.store[live[1]['uuid']]['display_name'] = 'stale-name'
    cloud.store[gone[0]['uuid']] = {'uuid': gone[0]['uuid'], 'display_name': 'x',
                                    'fq_name': ['x']}
    verdict = wl.verify(cloud.url)
    assert not verdict['passed']
    assert [m['uuid'] for m in verdict['missing']] == [live[0]['uuid']]
    assert [m['uuid'] for m in verdict['wrong']] == [live[1]['uuid']]
    assert [m['uuid'] for m in verdict['not_deleted']] == [gone[0]['uuid']]


def test_reset_connections_are_refused_and_ambiguous(cloud):
    wl = workload.Workload(neutron_url=cloud.url, count=6, duration=10, interval=0)
    wl.run()
    cloud.mode = 'reset'
    wl.count = 4
    wl.run()
    refused = [r for r in wl.records if r['outcome'] == 'refused']
    assert len(refused) == 4 and all(r['ambiguous'] for r in refused)


def test_connection_refused_when_nothing_listens():
    wl = workload.Workload(neutron_url='http://127.0.0.1:9', count=3, duration=5, interval=0)
    wl.run()
    summary = wl.summary()
    assert summary['refused'] == 3 and summary['acked'] == 0
    assert not any(r['ambiguous'] for r in summary['records'])


def test_cli_prints_json_summary(cloud, capsys):
    assert workload.main(['--neutron-url', cloud.url, '--count', '5', '--interval', '0',
                          '--verify-url', cloud.url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out['acked'] == 5 and out['verify']['passed'] and 'records' not in out


@pytest.mark.lab
def test_workload_through_the_vip_is_present_in_v1():
    wl = workload.Workload(neutron_url='http://10.99.0.5:9696', api_url='http://10.99.0.5:8082',
                           count=20, duration=30, interval=0.05)
    wl.run()
    summary = wl.summary()
    assert summary['acked'] == 20, summary['records'][:3]
    assert wl.verify('http://10.99.0.5:8082')['passed']
