# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""issu_node_cleanup against the lab's v2 config API.

The keep lists are every existing object except one ``itest-h7-*`` control node and
config-node, so only those can go; an external router must survive.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import PARENT, api, scratch_routers, v2_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab


def _router(side, name, address, router_type):
    return side.create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT + [name],
        'bgp_router_parameters': {'router_type': router_type, 'address': address,
                                  'identifier': address, 'autonomous_system': 64512}})


def test_deletes_old_control_nodes_only(run_module, v2_api, api, scratch_routers):
    side = api['v2']
    old, mx, new = scratch_routers + 'old-cn', scratch_routers + 'mx', scratch_routers + 'new-cn'
    _router(side, old, '10.99.0.205', 'control-node')
    _router(side, new, '10.99.0.203', 'control-node')
    _router(side, mx, '10.99.0.204', 'router')
    for name in (old, new):
        side.create('config-node', {'parent_type': 'global-system-config',
                                    'fq_name': ['default-global-system-config', name],
                                    'config_node_ip_address': '10.99.0.205'})
    keep_cn = [n for n, r in side.routers().items()
               if r['bgp_router_parameters'].get('router_type') == 'control-node' and n != old]
    keep_cfg = [o['fq_name'][-1] for o in side.objects('config-node') if o['fq_name'][-1] != old]
    args = dict(v2_api, keep_control_nodes=keep_cn, keep_config_nodes=keep_cfg)
    check = run_module('issu_node_cleanup', args, check=True)
    assert check['changed'] and old in side.routers()
    assert sorted((d['type'], d['name']) for d in check['deleted']) == \
        [('bgp-router', old), ('config-node', old)]
    done = run_module('issu_node_cleanup', args, diff=True)
    assert done['deleted'] == check['deleted'] and done['diff']['after'] == done['after']
    assert old not in side.routers() and mx in side.routers() and new in side.routers()
    assert old not in [o['fq_name'][-1] for o in side.objects('config-node')]
    assert not run_module('issu_node_cleanup', args)['changed']


def test_wrong_keep_names_delete_nothing(run_module, v2_api, api, scratch_routers):
    before = api['v2'].routers()
    result = run_module('issu_node_cleanup',
                        dict(v2_api, keep_control_nodes=['lab-v2-ctrl1.example']))
    assert result['failed'] and 'do not exist' in result['msg']
    assert api['v2'].routers() == before
