# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the controller-side module tests against the lab (import them in a test module).

(The ``lab`` fixture itself comes from lab/pytest_lab.py, loaded by the root conftest.py.)

* ``v1_api`` / ``v2_api``: connection options of the lab's two config APIs;
* ``api``: a tiny REST helper (standard library only, independent of the code under test)
  used by the tests to set up and inspect objects;
* ``scratch_routers``: deletes, after the test, every bgp-router whose name starts with
  ``ITEST_PREFIX`` (so a failed test leaves nothing behind in the shared lab).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

ITEST_PREFIX = 'itest-h7-'
PARENT = ['default-domain', 'default-project', 'ip-fabric', '__default__']
V1 = {'api_server_host': '10.99.0.11', 'api_server_port': 8082}
V2 = {'api_server_host': '10.99.0.21', 'api_server_port': 8082}


class Api:
    """Plain REST calls against one config API (for test set-up and checks only)."""

    def __init__(self, conn):
        self.base = 'http://%s:%s' % (conn['api_server_host'], conn['api_server_port'])

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise AssertionError('%s %s: %s %s' % (method, path, exc.code, exc.read()))
        return json.loads(text) if text.strip() else None

    def objects(self, rtype):
        return [item[rtype] for item in
                self.call('GET', '/%ss?detail=true' % rtype)['%ss' % rtype]]

    def routers(self, prefix=''):
        return dict((r['fq_name'][-1], r) for r in self.objects('bgp-router')
                    if r['fq_name'][:-1] == PARENT and r['fq_name'][-1].startswith(prefix))

    def create(self, rtype, body):
        return self.call('POST', '/%ss' % rtype, {rtype: body})[rtype]['uuid']

    def delete(self, rtype, uuid):
        """Delete after dropping the refs that point at it (as the GSC ref does)."""
        obj = self.call('GET', '/%s/%s' % (rtype, uuid))
        if obj is None:
            return
        for key, refs in obj[rtype].items():
            if key.endswith('_back_refs'):
                for ref in refs:
                    self.call('POST', '/ref-update', {
                        'type': key[:-len('_back_refs')].replace('_', '-'),
                        'uuid': ref['uuid'], 'ref-type': rtype, 'ref-uuid': uuid,
                        'ref-fq-name': None, 'operation': 'DELETE', 'attr': None})
        self.call('DELETE', '/%s/%s' % (rtype, uuid))

    def cleanup(self, prefix=ITEST_PREFIX):
        for rtype in ('bgp-router', 'config-node', 'analytics-node', 'database-node'):
            for obj in self.objects(rtype):
                if obj['fq_name'][-1].startswith(prefix):
                    self.delete(rtype, obj['uuid'])


@pytest.fixture
def v1_api():
    return dict(V1)


@pytest.fixture
def v2_api():
    return dict(V2)


@pytest.fixture
def api():
    return {'v1': Api(V1), 'v2': Api(V2)}


@pytest.fixture
def scratch_routers(lab, api):
    """Leaves both APIs without ``itest-h7-*`` objects, before and after the test."""
    for side in api.values():
        side.cleanup()
    yield ITEST_PREFIX
    for side in api.values():
        side.cleanup()
