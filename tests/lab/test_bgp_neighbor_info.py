# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bgp_neighbor_info against the lab's control nodes (introspect 8083).

The Established case is the ISSU peering itself: each cluster gets its own control node and
the other cluster's one as bgp-routers (through bgp_router), and the v1 control node must
then see the v2 one Established. Routers this test had to create are removed afterwards.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import api, v1_api, v2_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab

V1_CN = {'name': 'lab-v1-ctrl1', 'address': '10.99.0.11'}
V2_CN = {'name': 'lab-v2-ctrl1', 'address': '10.99.0.21'}
KEYS = {'peer', 'address', 'asn', 'encoding', 'state', 'flap_count', 'families', 'router_type'}


def test_reads_neighbors_without_change(run_module, lab):
    result = run_module('bgp_neighbor_info', {'host': '10.99.0.11'}, check=True)
    assert not result.get('failed') and not result['changed'], result
    assert all(KEYS <= set(n) for n in result['neighbors'])
    assert all(n['encoding'] in ('BGP', 'XMPP') for n in result['neighbors'])


@pytest.fixture
def issu_peering(run_module, v1_api, v2_api, api):
    """v1 and v2 control nodes registered in both clusters and peered, as the ISSU does."""
    existing = {'v1': set(api['v1'].routers()), 'v2': set(api['v2'].routers())}
    for conn, side in ((v1_api, 'v1'), (v2_api, 'v2')):
        names = [V1_CN['name'], V2_CN['name']]
        result = run_module('bgp_router', dict(conn, routers=[V1_CN, V2_CN], peers=names))
        assert not result.get('failed'), result
    yield
    for conn, side in ((v1_api, 'v1'), (v2_api, 'v2')):
        for router in (V1_CN, V2_CN):
            if router['name'] not in existing[side]:
                run_module('bgp_router', dict(conn, name=router['name'], state='absent'))


def test_waits_until_the_other_cluster_is_established(run_module, issu_peering):
    result = run_module('bgp_neighbor_info', {
        'host': '10.99.0.11', 'encoding': 'BGP', 'wait': True, 'wait_timeout': 90,
        'wait_for': [V2_CN['name'], V2_CN['address']]})
    assert not result.get('failed'), result
    assert result['states'] == {V2_CN['name']: 'Established', V2_CN['address']: 'Established'}
    peer = [n for n in result['neighbors'] if n['peer'] == V2_CN['name']][0]
    assert peer['encoding'] == 'BGP' and peer['address'] == V2_CN['address']


def test_timeout_lists_the_peers_not_established(run_module, lab):
    result = run_module('bgp_neighbor_info', {
        'host': '10.99.0.11', 'wait': True, 'wait_timeout': 2, 'wait_interval': 0.5,
        'wait_for': ['itest-h7-ghost']})
    assert result['failed']
    assert result['not_established'] == ['itest-h7-ghost (not a neighbor)']
    assert 'after 2s' in result['msg'] and 'itest-h7-ghost (not a neighbor)' in result['msg']


def test_unreachable_introspect_is_a_clear_error(run_module, lab):
    result = run_module('bgp_neighbor_info', {'host': '10.99.0.11', 'port': 1})
    assert result['failed'] and 'did not answer' in result['msg'] and ':1/' in result['msg']
