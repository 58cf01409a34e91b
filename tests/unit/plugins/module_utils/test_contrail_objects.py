# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalize node-object planning (issu_node_cleanup), no API needed."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import contrail_objects as co
from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import PARENT_FQ_NAME


def router(name, router_type='control-node', parent=None):
    return {'uuid': 'u-' + name, 'fq_name': (parent or PARENT_FQ_NAME) + [name],
            'bgp_router_parameters': {'router_type': router_type, 'address': 'ip-' + name}}


def node(name, obj_type='config-node', address=None):
    return {'uuid': 'n-' + name, 'fq_name': ['default-global-system-config', name],
            co.ip_property(obj_type): address or 'ip-' + name}


ROUTERS = [router('v1-a'), router('v2-a'), router('mx1', 'router'),
           router('v1-b', parent=['default-domain', 'p', 'vn', 'vn'])]


def params(**kwargs):
    base = dict(keep_control_nodes=['v2-a'], config_nodes=None, analytics_nodes=None,
                database_nodes=None)
    base.update(kwargs)
    return base


def test_only_control_nodes_of_ip_fabric_not_kept_are_deleted():
    plan = co.plan_nodes(params(), ROUTERS, {})
    assert plan.delete == [('bgp-router', 'u-v1-a', 'v1-a')]
    assert plan.before == {'bgp-router': {'v1-a': 'ip-v1-a', 'v2-a': 'ip-v2-a'}}
    assert plan.after == {'bgp-router': {'v2-a': 'ip-v2-a'}}
    assert not plan.create and not plan.update


def test_v2_nodes_pruned_by_pre_sync_are_created_and_v1_nodes_deleted():
    """After pre-sync v2 holds v1's node objects only: the real finalize case."""
    nodes = {'config-node': [node('v1-a')], 'database-node': [node('v1-a', 'database-node')]}
    plan = co.plan_nodes(params(config_nodes={'v2-a': '10.0.0.21'},
                                database_nodes={'v2-a': '10.0.0.21'}), ROUTERS, nodes)
    assert ('config-node', 'n-v1-a', 'v1-a') in plan.delete
    assert ('database-node', 'n-v1-a', 'v1-a') in plan.delete
    assert plan.create == [('config-node', 'v2-a', '10.0.0.21'),
                           ('database-node', 'v2-a', '10.0.0.21')]
    assert plan.after['config-node'] == {'v2-a': '10.0.0.21'}
    assert 'analytics-node' not in plan.before


def test_a_wrong_address_is_corrected_and_a_right_one_left():
    nodes = {'analytics-node': [node('v2-a', 'analytics-node', '10.0.0.99'),
                                node('v2-b', 'analytics-node', '10.0.0.22')]}
    plan = co.plan_nodes(params(analytics_nodes={'v2-a': '10.0.0.21', 'v2-b': '10.0.0.22'}),
                         ROUTERS, nodes)
    assert plan.update == [('analytics-node', 'n-v2-a', 'v2-a', '10.0.0.21')]
    assert not plan.create


def test_nothing_to_do_is_no_change():
    plan = co.plan_nodes(params(config_nodes={'v2-a': 'ip-v2-a'}), [router('v2-a')],
                         {'config-node': [node('v2-a')]})
    assert not plan.changed


@pytest.mark.parametrize('bad, message', [
    (params(keep_control_nodes=['v2-a.example.net']), 'no bgp-router'),
    (params(keep_control_nodes=[]), 'empty'),
    (params(config_nodes={}), 'refusing to delete every one'),
])
def test_bad_lists_are_refused_before_any_change(bad, message):
    with pytest.raises(co.CleanupError, match=message):
        co.plan_nodes(bad, ROUTERS, {'config-node': [node('v2-a')]})


class Client:
    def __init__(self):
        self.calls = []

    def read(self, obj_type, uuid, exclude_children=False):
        return {'uuid': uuid, 'bgp_router_refs': [{'uuid': 'peer'}],
                'global_system_config_back_refs': [{'uuid': 'gsc'}]}

    def ref_update(self, obj_type, uuid, ref_type, ref_uuid=None, operation='ADD'):
        self.calls.append(('ref', obj_type, uuid, ref_type, ref_uuid, operation))

    def delete(self, obj_type, uuid):
        self.calls.append(('delete', obj_type, uuid))

    def update(self, obj_type, uuid, body):
        self.calls.append(('update', obj_type, uuid, body))

    def create(self, obj_type, body):
        self.calls.append(('create', obj_type, body))


def test_back_refs_are_removed_before_delete():
    client = Client()
    co.delete_with_back_refs(client, 'bgp-router', 'r1')
    assert client.calls == [('ref', 'global_system_config', 'gsc', 'bgp-router', 'r1', 'DELETE'),
                            ('delete', 'bgp-router', 'r1')]


def test_apply_deletes_before_it_creates():
    nodes = {'config-node': [node('v1-a')]}
    plan = co.plan_nodes(params(config_nodes={'v2-a': '10.0.0.21'}), [router('v2-a')], nodes)
    client = Client()
    co.apply_plan(client, plan)
    assert client.calls[-2] == ('delete', 'config-node', 'n-v1-a')
    assert client.calls[-1] == ('create', 'config-node', {
        'fq_name': ['default-global-system-config', 'v2-a'],
        'parent_type': 'global-system-config', 'config_node_ip_address': '10.0.0.21'})
