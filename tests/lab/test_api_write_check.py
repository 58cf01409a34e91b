"""api_write_check against the lab: a write through the HAProxy VIP, seen in v1's API, removed."""
import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.lab

V1 = {'api_server_host': '10.99.0.11'}
VIP = {'api_server_host': '10.99.0.5'}


def probes_in_v1():
    """fq_names of the write-check probe networks v1 holds."""
    with urllib.request.urlopen('http://10.99.0.11:8082/virtual-networks', timeout=10) as resp:
        networks = json.load(resp)['virtual-networks']
    return [n['fq_name'] for n in networks if n['fq_name'][-1].startswith('issu-write-check-')]


def test_a_write_through_the_vip_is_seen_then_removed(lab, run_module):
    checked = run_module('api_write_check', {'write_api': VIP, 'read_apis': [V1]}, check=True)
    assert not checked.get('failed') and not checked['changed'] and 'uuid' not in checked
    result = run_module('api_write_check', {'write_api': VIP, 'read_apis': [V1]})
    assert not result.get('failed'), result.get('msg')
    assert not result['changed']                      # the probe is gone again: no change
    assert len(result['visible_after']) == len(result['deleted_after']) == 1   # one reader
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen('http://10.99.0.11:8082/virtual-network/%s' % result['uuid'],
                               timeout=10)
    assert gone.value.code == 404
    assert probes_in_v1() == []


def test_unusable_apis_fail_before_writing(lab, run_module):
    down = run_module('api_write_check', {'write_api': VIP, 'read_apis': [
        {'api_server_host': '10.99.0.11', 'api_server_port': 1, 'api_retries': 0}]})
    assert down['failed'] and 'config API not usable' in down['msg'] and 'cannot connect' in down['msg']
    no_project = run_module('api_write_check', {'write_api': VIP, 'read_apis': [V1],
                                                'probe_project': ['default-domain', 'no-such']})
    assert no_project['failed'] and 'write check failed' in no_project['msg']
    assert probes_in_v1() == []
