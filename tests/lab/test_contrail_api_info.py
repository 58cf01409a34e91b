"""contrail_api_info against the lab's v1 and v2 config APIs."""
import pytest

pytestmark = pytest.mark.lab

V1 = {'api_server_host': '10.99.0.11'}
V2 = {'api_server_host': '10.99.0.21'}


def test_reads_asn_routers_and_counts(lab, run_module):
    v1 = run_module('contrail_api_info', dict(V1, count_types=['bgp-router', 'virtual-network']))
    v2 = run_module('contrail_api_info', V2, check=True)
    assert not v1['changed'] and not v2['changed']
    assert v1['asn'] == v2['asn'] == 64512
    assert 'lab-v1-ctrl1' in [r['name'] for r in v1['control_nodes']]
    assert 'lab-v2-ctrl1' in [r['name'] for r in v2['control_nodes']]
    assert all(r['router_type'] == 'control-node' for r in v1['control_nodes'])
    assert v1['counts']['bgp-router'] == len(v1['control_nodes']) + len(v1['other_routers'])
    assert v1['counts']['virtual-network'] >= 3          # default, ip-fabric, __link_local__
    assert 'bgp-router' in v1['resource_types'] and 'virtual-network' in v1['resource_types']


def test_unreachable_api_and_unknown_type_fail_clearly(lab, run_module):
    down = run_module('contrail_api_info', {'api_server_host': '10.99.0.11', 'api_server_port': 1,
                                            'api_retries': 0})
    assert down['failed'] and 'cannot connect' in down['msg'] and '10.99.0.11:1' in down['msg']
    bad = run_module('contrail_api_info', dict(V1, count_types=['no-such-type']))
    assert bad['failed'] and 'no-such-type' in bad['msg']


def test_tls_is_verified_by_default(lab, run_module):
    # The lab API speaks plain HTTP: an HTTPS handshake against it must fail, never be skipped.
    result = run_module('contrail_api_info', dict(V1, api_server_use_ssl=True, api_retries=0))
    assert result['failed'] and 'Contrail config API https://10.99.0.11:8082' in result['msg']
