# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""issu_node_cleanup against the lab's v2 config API.

The lab provisions config/analytics/database node objects for every controller, as a real
cluster has them. The tests put v2 in the state pre-sync leaves it in at finalize (v2's own
node objects pruned, v1's there) and check the module leaves v2's nodes registered with their
addresses, v1's gone and an external router untouched - then v2 is as the lab made it again.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import PARENT, api, scratch_routers, v2_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab

NODE_TYPES = ('config-node', 'analytics-node', 'database-node')


def _router(side, name, address, router_type):
    return side.create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT + [name],
        'bgp_router_parameters': {'router_type': router_type, 'address': address,
                                  'identifier': address, 'autonomous_system': 64512}})


def _nodes(side, rtype):
    prop = '%s_ip_address' % rtype.replace('-', '_')
    return dict((o['fq_name'][-1], o.get(prop)) for o in side.objects(rtype))


@pytest.fixture
def v2_nodes(api, scratch_routers):
    """v2's own node objects as the lab provisioned them; restored after the test."""
    side = api['v2']
    before = dict((rtype, _nodes(side, rtype)) for rtype in NODE_TYPES)
    assert before['config-node'] and before['analytics-node'] and before['database-node'], \
        'the lab provisions node objects for its controllers'
    yield before
    for rtype, nodes in before.items():
        present = _nodes(side, rtype)
        for name, address in nodes.items():
            if name not in present:
                side.create(rtype, {'parent_type': 'global-system-config',
                                    'fq_name': ['default-global-system-config', name],
                                    '%s_ip_address' % rtype.replace('-', '_'): address})


def test_leaves_v2s_nodes_and_none_of_v1s_as_after_pre_sync(run_module, v2_api, api, scratch_routers,
                                                            v2_nodes):
    side = api['v2']
    old, mx = scratch_routers + 'old-cn', scratch_routers + 'mx'
    _router(side, old, '10.99.0.205', 'control-node')
    _router(side, mx, '10.99.0.204', 'router')
    # What pre-sync leaves: v2's own node objects pruned, v1's copied in.
    for rtype in NODE_TYPES:
        for obj in side.objects(rtype):
            side.delete(rtype, obj['uuid'])
        side.create(rtype, {'parent_type': 'global-system-config',
                            'fq_name': ['default-global-system-config', old],
                            '%s_ip_address' % rtype.replace('-', '_'): '10.99.0.205'})
    v2 = v2_nodes['config-node']
    keep_cn = [n for n, r in side.routers().items()
               if r['bgp_router_parameters'].get('router_type') == 'control-node' and n != old]
    args = dict(v2_api, keep_control_nodes=keep_cn, config_nodes=v2, analytics_nodes=v2,
                database_nodes=v2)
    check = run_module('issu_node_cleanup', args, check=True)
    assert check['changed'] and old in side.routers() and _nodes(side, 'config-node') == {old: '10.99.0.205'}
    assert sorted((d['type'], d['name']) for d in check['deleted']) == \
        sorted([('bgp-router', old)] + [(rtype, old) for rtype in NODE_TYPES])
    assert sorted((d['type'], d['name'], d['address']) for d in check['created']) == \
        sorted((rtype, name, address) for rtype in NODE_TYPES for name, address in v2.items())
    done = run_module('issu_node_cleanup', args, diff=True)
    assert done['deleted'] == check['deleted'] and done['created'] == check['created']
    assert done['diff']['after'] == done['after']
    assert old not in side.routers() and mx in side.routers()
    for rtype in NODE_TYPES:
        assert _nodes(side, rtype) == v2, rtype
    assert not run_module('issu_node_cleanup', args)['changed']


def test_wrong_control_node_names_change_nothing(run_module, v2_api, api, scratch_routers, v2_nodes):
    before = api['v2'].routers()
    result = run_module('issu_node_cleanup',
                        dict(v2_api, keep_control_nodes=['lab-v2-ctrl1.example'],
                             config_nodes={'lab-v2-ctrl1.example': '10.99.0.21'}))
    assert result['failed'] and 'no bgp-router' in result['msg']
    assert api['v2'].routers() == before
    assert _nodes(api['v2'], 'config-node') == v2_nodes['config-node']


def test_an_address_that_is_no_ip_is_refused(run_module, v2_api, api, scratch_routers, v2_nodes):
    result = run_module('issu_node_cleanup',
                        dict(v2_api, keep_control_nodes=list(v2_nodes['config-node']),
                             config_nodes={'lab-v2-ctrl1': 'ctrl1.example'}))
    assert result['failed'] and 'is not an IP address' in result['msg']
    assert _nodes(api['v2'], 'config-node') == v2_nodes['config-node']
