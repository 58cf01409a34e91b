"""After upgrading lab-compute1/2 and rolling them back: every compute on v1, ISSU still started."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402


def test_rolled_back_computes_run_v1_with_3x_conf():
    for name in L.COMPUTES:
        L.assert_compute_on(name, L.V1_VERSION, L.V1_CTRL)
        conf = '/etc/contrail/contrail-vrouter-agent.conf'
        assert L.ini_value(L.host(name), conf, 'DISCOVERY', 'server') == L.V1_CTRL
        assert L.ini_value(L.host(name), conf, 'CONTROL-NODE', 'servers') is None


def test_record_shows_the_round_trip():
    record = L.state_record()
    assert record['phase'] == 'started'
    for name in ('lab-compute1', 'lab-compute2'):
        statuses = [h['status'] for h in record['hosts'][name]['history']]
        assert statuses == ['upgrading', 'v2', 'rolling_back', 'v1'], statuses
    assert 'lab-compute3' not in record['hosts']


def test_northbound_still_on_v1():
    api = L.haproxy_servers('contrail-api')
    assert api and all(addr.startswith(L.V1_CTRL + ':') and status == 'UP' for addr, status in api.values())
