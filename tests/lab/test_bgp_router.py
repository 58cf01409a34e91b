# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bgp_router against the lab's config APIs; the official vnc_api client checks the result.

The routers are named ``itest-h7-*`` with unused lab addresses (10.99.0.20x), so the test
never disturbs the lab's own control nodes; the ``scratch_routers`` fixture removes them.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import api, scratch_routers, v1_api, v2_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab

A, B, C = 'itest-h7-a', 'itest-h7-b', 'itest-h7-c'
SECRET = 'itest-md5-s3cr3t'
PARENT_FQ = ['default-domain', 'default-project', 'ip-fabric', '__default__']


def routers(*names):
    return [{'name': n, 'address': '10.99.0.%d' % (201 + 'abc'.index(n[-1]))} for n in names]


def own(peers):
    """The peers among this test's routers: the lab's auto-mesh also peers every scratch
    control node with the lab's own control nodes, which the assertions leave aside."""
    return sorted(p for p in peers if p.startswith('itest-h7-'))


def peers_in_api(side, name):
    return own(r['to'][-1] for r in side.routers()[name].get('bgp_router_refs') or [])


def own_view(result):
    """A module's before/after with each router's peers restricted to this test's routers."""
    return dict((name, router if router is None else dict(router, peers=own(router.get('peers') or [])))
                for name, router in result.items())


def test_create_check_diff_idempotent_and_vnc_api_sees_it(run_module, v1_api, api,
                                                          scratch_routers):
    args = dict(v1_api, routers=routers(A, B), peers=[A, B], auth_key=SECRET)
    check = run_module('bgp_router', args, check=True)
    assert check['changed'] and check['before'] == {A: None, B: None}
    assert not api['v1'].routers(scratch_routers)          # check mode wrote nothing

    created = run_module('bgp_router', args)
    assert created['changed']
    assert created['actions'] == check['actions']        # check mode told the truth
    assert own(created['after'][A]['peers']) == [B]
    assert created['after'][A]['autonomous_system'] == created['asn']

    again = run_module('bgp_router', args)
    assert not again['changed'] and again['actions'] == []
    assert own_view(again['before']) == own_view(again['after']) == own_view(created['after'])

    from vnc_api import vnc_api
    client = vnc_api.VncApi(api_server_host=v1_api['api_server_host'],
                            api_server_port=str(v1_api['api_server_port']), auth_type='noauth')
    router = client.bgp_router_read(fq_name=['default-domain', 'default-project', 'ip-fabric',
                                             '__default__', A])
    params = router.get_bgp_router_parameters()
    assert params.get_router_type() == 'control-node'
    assert params.get_address() == '10.99.0.201' and params.get_identifier() == '10.99.0.201'
    assert params.get_autonomous_system() == created['asn']
    assert params.get_auth_data().get_key_items()[0].get_key() == SECRET
    assert own(r['to'][-1] for r in router.get_bgp_router_refs()) == [B]
    assert [r['to'] for r in router.get_global_system_config_back_refs()] == \
        [['default-global-system-config']]


def test_diff_shows_parameters_and_peers_never_the_key(run_module, v1_api, scratch_routers):
    out = run_module('bgp_router', dict(v1_api, routers=routers(A, B), peers=[A, B],
                                        auth_key=SECRET), diff=True, raw=True)
    assert '"address": "10.99.0.201"' in out and '+' in out
    assert SECRET not in out
    out = run_module('bgp_router', dict(v1_api, name=A, address='10.99.0.201', hold_time=30),
                     diff=True, raw=True)
    assert re.search(r'-\s+"hold_time": 90', out) and re.search(r'\+\s+"hold_time": 30', out)


def wait_for_peers(side, name, expected, timeout=20):
    """Auto-mesh (the lab's schema transformer) peers same-ASN control nodes shortly after."""
    deadline = time.monotonic() + timeout
    while peers_in_api(side, name) != expected:
        assert time.monotonic() < deadline, 'auto-mesh did not peer %s with %s' % (name, expected)
        time.sleep(0.5)


def test_peerings_made_by_auto_mesh_count_as_present(run_module, v1_api, api, scratch_routers):
    run_module('bgp_router', dict(v1_api, routers=routers(A, B, C)))
    wait_for_peers(api['v1'], A, [B, C])
    again = run_module('bgp_router', dict(v1_api, routers=routers(A, B, C), peers=[A, B, C]))
    assert not again['changed'] and own(again['after'][B]['peers']) == [A, C]


def test_purge_keeps_external_peers_unless_allowed(run_module, v1_api, api, scratch_routers):
    run_module('bgp_router', dict(v1_api, routers=routers(A, B)))
    mx = 'itest-h7-mx'
    api['v1'].create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT_FQ + [mx],
        'bgp_router_parameters': {'router_type': 'router', 'vendor': 'mx', 'address':
                                  '10.99.0.209', 'identifier': '10.99.0.209',
                                  'autonomous_system': 65000}})
    added = run_module('bgp_router', dict(v1_api, name=A, address='10.99.0.201', peers=[mx]))
    assert added['actions'] == ['peer %s with %s' % (A, mx)]
    wait_for_peers(api['v1'], A, sorted([B, mx]))
    # lab-v1-ctrl1 is peered with every control node by the lab's auto-mesh: a legitimate peer.
    kept = run_module('bgp_router', dict(v1_api, name=A, address='10.99.0.201', peers=[B, 'lab-v1-ctrl1'],
                                         purge_peers=True))
    assert not kept['changed'] and peers_in_api(api['v1'], A) == sorted([B, mx])
    purged = run_module('bgp_router', dict(v1_api, name=A, address='10.99.0.201', peers=[B, 'lab-v1-ctrl1'],
                                           purge_peers=True, allow_non_control_node=True))
    assert purged['actions'] == ['unpeer %s with %s' % (A, mx)]
    assert peers_in_api(api['v1'], A) == [B] and peers_in_api(api['v1'], mx) == []


def test_registers_routers_across_clusters(run_module, v1_api, v2_api, api, scratch_routers):
    """ISSU: v2 routers in v1 and v1 routers in v2, in one task each."""
    run_module('bgp_router', dict(v1_api, routers=routers(A)))
    run_module('bgp_router', dict(v2_api, routers=routers(B)))
    assert run_module('bgp_router', dict(v1_api, routers=routers(B), peers=[A]))['changed']
    assert run_module('bgp_router', dict(v2_api, routers=routers(A), peers=[B]))['changed']
    wait_for_peers(api['v1'], A, [B])
    wait_for_peers(api['v2'], B, [A])


def test_absent_deletes_and_is_idempotent(run_module, v1_api, api, scratch_routers):
    run_module('bgp_router', dict(v1_api, routers=routers(A, B), peers=[A, B]))
    assert peers_in_api(api['v1'], B) == [A]
    check = run_module('bgp_router', dict(v1_api, name=A, state='absent'), check=True)
    assert check['changed'] and A in api['v1'].routers()
    gone = run_module('bgp_router', dict(v1_api, name=A, state='absent'))
    assert gone['changed'] and gone['after'] == {A: None}
    assert A not in api['v1'].routers() and peers_in_api(api['v1'], B) == []
    assert not run_module('bgp_router', dict(v1_api, name=A, state='absent'))['changed']


def _refused(run_module, args, message, api):
    before = api['v1'].routers()
    result = run_module('bgp_router', args)
    assert result['failed'] and message in result['msg'], result
    assert api['v1'].routers() == before                  # nothing changed


def test_bad_input_is_refused_with_nothing_changed(run_module, v1_api, api, scratch_routers):
    run_module('bgp_router', dict(v1_api, routers=routers(A)))
    _refused(run_module, dict(v1_api, name=B, address='10.99.0.202', asn=1), 'ASN mismatch',
             api)
    _refused(run_module, dict(v1_api, routers=[{'name': B, 'address': '10.99.0.209'},
                                               {'name': C, 'address': '10.99.0.209'}]),
             'duplicate address', api)
    _refused(run_module, dict(v1_api, name=B, address='10.99.0.201'), 'duplicate address', api)
    api['v1'].create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT_FQ + [C],
        'bgp_router_parameters': {'router_type': 'router', 'vendor': 'mx', 'address':
                                  '10.99.0.203', 'identifier': '10.99.0.203',
                                  'autonomous_system': 65000}})
    _refused(run_module, dict(v1_api, name=C, state='absent'), 'refusing to touch', api)
    _refused(run_module, dict(v1_api, name=B, address='10.99.0.202', peers=['itest-h7-ghost']),
             'does not exist', api)


@pytest.mark.parametrize('conn, message', [
    ({'api_server_host': '10.99.0.11', 'api_server_port': 1, 'api_retries': 0},
     'cannot connect'),
    ({'api_server_host': '10.99.0.11', 'api_server_use_ssl': True, 'api_retries': 0}, 'TLS'),
])
def test_unreachable_and_tls_failures_are_clear(run_module, conn, message, lab):
    result = run_module('bgp_router', dict(conn, name=A, address='10.99.0.201'))
    assert result['failed'] and message in result['msg'], result
