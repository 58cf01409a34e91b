import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.bgp_router_spec import bgp_router_spec


def test_name_defaults_to_inventory_name_and_nulls_are_dropped():
    host = {'inventory_hostname': 'ctrl-b1', 'contrail_host_ip': '192.0.2.21'}
    assert bgp_router_spec(host, {'hold_time': 90, 'auth_key': None, 'x': ''}) == {
        'name': 'ctrl-b1', 'address': '192.0.2.21', 'identifier': '192.0.2.21', 'hold_time': 90}


def test_real_hostname_wins():
    host = {'inventory_hostname': 'ctrl-b1', 'contrail_hostname': 'b1.example.net', 'contrail_host_ip': '192.0.2.21'}
    assert bgp_router_spec(host)['name'] == 'b1.example.net'


def test_missing_address_is_explained():
    with pytest.raises(AnsibleFilterError, match='contrail_host_ip'):
        bgp_router_spec({'inventory_hostname': 'ctrl-b1'})
