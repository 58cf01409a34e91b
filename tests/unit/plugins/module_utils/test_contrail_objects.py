# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalize cleanup planning (issu_node_cleanup), no API needed."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import contrail_objects as co
from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import PARENT_FQ_NAME


def router(name, router_type='control-node', parent=None):
    return {'uuid': 'u-' + name, 'fq_name': (parent or PARENT_FQ_NAME) + [name],
            'bgp_router_parameters': {'router_type': router_type}}


def node(name):
    return {'uuid': 'n-' + name, 'fq_name': ['default-global-system-config', name]}


ROUTERS = [router('v1-a'), router('v2-a'), router('mx1', 'router'),
           router('v1-b', parent=['default-domain', 'p', 'vn', 'vn'])]


def keep(**kwargs):
    base = dict(keep_control_nodes=['v2-a'], keep_config_nodes=None,
                keep_analytics_nodes=None, keep_database_nodes=None)
    base.update(kwargs)
    return base


def test_only_control_nodes_of_ip_fabric_not_kept_are_deleted():
    doomed, before, after = co.plan_cleanup(keep(), ROUTERS, {})
    assert doomed == [('bgp-router', 'u-v1-a', 'v1-a')]
    assert before == {'bgp-router': ['v1-a', 'v2-a']}
    assert after == {'bgp-router': ['v2-a']}


def test_node_types_are_cleaned_only_when_their_keep_list_is_given():
    nodes = {'config-node': [node('v1-a'), node('v2-a')]}
    doomed, before, _after = co.plan_cleanup(keep(keep_config_nodes=['v2-a']), ROUTERS, nodes)
    assert ('config-node', 'n-v1-a', 'v1-a') in doomed
    assert 'analytics-node' not in before


@pytest.mark.parametrize('bad, message', [
    (keep(keep_control_nodes=['v2-a.example.net']), 'do not exist'),
    (keep(keep_control_nodes=[]), 'empty'),
    (keep(keep_config_nodes=['nope']), 'do not exist'),
])
def test_keep_lists_must_name_existing_objects(bad, message):
    with pytest.raises(co.CleanupError, match=message):
        co.plan_cleanup(bad, ROUTERS, {'config-node': [node('v2-a')]})


def test_back_refs_are_removed_before_delete():
    calls = []

    class Client:
        def read(self, obj_type, uuid, exclude_children=False):
            return {'uuid': uuid, 'bgp_router_refs': [{'uuid': 'peer'}],
                    'global_system_config_back_refs': [{'uuid': 'gsc'}]}

        def ref_update(self, obj_type, uuid, ref_type, ref_uuid=None, operation='ADD'):
            calls.append(('ref', obj_type, uuid, ref_type, ref_uuid, operation))

        def delete(self, obj_type, uuid):
            calls.append(('delete', obj_type, uuid))

    co.delete_with_back_refs(Client(), 'bgp-router', 'r1')
    assert calls == [('ref', 'global_system_config', 'gsc', 'bgp-router', 'r1', 'DELETE'),
                     ('delete', 'bgp-router', 'r1')]


def test_node_type_without_objects_is_skipped_but_control_nodes_are_checked():
    import pytest
    from ansible_collections.opencontrail.issu.plugins.module_utils import contrail_objects as co
    router = {'uuid': 'r2', 'fq_name': co.PARENT_FQ_NAME + ['v2a'],
              'bgp_router_parameters': {'router_type': 'control-node'}}
    keep = {'keep_control_nodes': ['v2a'], 'keep_config_nodes': ['v2a']}
    doomed, before, after = co.plan_cleanup(keep, [router], {'config-node': []})
    assert doomed == [] and before['config-node'] == [] and after['bgp-router'] == ['v2a']
    with pytest.raises(co.CleanupError, match='do not exist'):
        co.plan_cleanup(dict(keep, keep_control_nodes=['v2-typo']), [router], {'config-node': []})
