"""After an abort: v1 as it was (computes, northbound), run-sync stopped, no cross peering,
v2's held services still held."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402


def test_every_compute_on_v1():
    for name in L.COMPUTES:
        L.assert_compute_on(name, L.V1_VERSION, L.V1_CTRL)


def test_record_says_aborted():
    record = L.state_record()
    assert record['phase'] == 'aborted'
    assert record['northbound']['state'] == 'open'
    assert record['hosts']['lab-compute1']['status'] == 'v1'


def test_unpeered_on_both_sides():
    v1_routers = [r['fq_name'][-1] for r in L.api_get(L.V1_CTRL, '/bgp-routers')['bgp-routers']]
    v2_routers = [r['fq_name'][-1] for r in L.api_get(L.V2_CTRL, '/bgp-routers')['bgp-routers']]
    assert 'lab-v2-ctrl1' not in v1_routers and 'lab-v1-ctrl1' in v1_routers
    assert 'lab-v1-ctrl1' not in v2_routers


def test_run_sync_stopped_and_v2_services_still_held():
    v2 = L.host('lab-v2-ctrl1')
    assert 'contrail-issu-run-sync' not in v2.check_output('ps -eo args')
    # supervisorctl exits 3 when some programs are not running: exactly the held state.
    status = v2.run('supervisorctl -s unix:///var/run/supervisord_config.sock status').stdout
    for service in ('contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager'):
        line = next(l for l in status.splitlines() if l.startswith(service))
        assert 'STOPPED' in line, line


def test_northbound_on_v1():
    api = L.haproxy_servers('contrail-api')
    assert api and all(addr.startswith(L.V1_CTRL + ':') and status == 'UP' for addr, status in api.values())
