# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of bgp-routers and peerings, and the neighbor views (no API needed)."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import bgp

GSC_UUID = 'gsc-uuid'


def router(name, address, router_type='control-node', asn=64512, peers=(), key=None,
           parent=None, **params):
    body = dict(router_type=router_type, autonomous_system=asn, address=address,
                identifier=address, port=179, hold_time=90, vendor='contrail',
                address_families={'family': list(bgp.DEFAULT_FAMILIES)},
                auth_data=bgp.auth_data(key))
    body.update(params)
    return {'uuid': 'u-' + name, 'fq_name': (parent or bgp.PARENT_FQ_NAME) + [name],
            'bgp_router_parameters': body,
            'bgp_router_refs': [{'to': bgp.router_fq_name(p), 'uuid': 'u-' + p, 'attr': None}
                                for p in peers]}


def inventory(routers, asn=64512, gsc_refs=None):
    names = [r['fq_name'][-1] for r in routers] if gsc_refs is None else gsc_refs
    gsc = {'uuid': GSC_UUID, 'fq_name': bgp.GSC_FQ_NAME, 'autonomous_system': asn,
           'bgp_router_refs': [{'to': bgp.router_fq_name(n), 'uuid': 'u-' + n} for n in names]}
    return bgp.Inventory(routers, gsc)


def params(**kwargs):
    base = dict(name=None, routers=None, address=None, identifier=None,
                router_type='control-node', vendor=None, asn=None,
                address_families=list(bgp.DEFAULT_FAMILIES), hold_time=90, port=179,
                auth_key=None, peers=None, purge_peers=False, state='present',
                allow_non_control_node=False)
    base.update(kwargs)
    return base


def kinds(plan):
    return [bgp.describe(a) for a in plan.actions]


def test_create_takes_asn_from_global_system_config_and_adds_gsc_ref():
    plan = bgp.plan_routers(params(name='v2-ctrl1', address='10.0.0.21'), inventory([], 64999))
    create = plan.actions[0]
    assert create[0] == 'create'
    assert create[2]['fq_name'] == bgp.PARENT_FQ_NAME + ['v2-ctrl1']
    assert create[2]['parent_type'] == 'routing-instance'
    assert create[2]['bgp_router_parameters']['autonomous_system'] == 64999
    assert create[2]['bgp_router_parameters']['identifier'] == '10.0.0.21'
    assert create[2]['bgp_router_parameters']['vendor'] == 'contrail'
    assert kinds(plan) == ['create bgp-router v2-ctrl1',
                           'add global-system-config ref to v2-ctrl1']
    assert plan.before == {'v2-ctrl1': None}
    assert plan.after['v2-ctrl1']['autonomous_system'] == 64999


def test_unchanged_router_plans_nothing():
    inv = inventory([router('a', '10.0.0.1', peers=['b']), router('b', '10.0.0.2', peers=['a'])])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', peers=['b']), inv)
    assert not plan.changed
    assert plan.before == plan.after


def test_hold_time_zero_means_ninety():
    inv = inventory([router('a', '10.0.0.1', hold_time=0)])
    assert not bgp.plan_routers(params(name='a', address='10.0.0.1'), inv).changed


def test_family_order_does_not_matter():
    families = {'family': list(reversed(bgp.DEFAULT_FAMILIES))}
    inv = inventory([router('a', '10.0.0.1', address_families=families)])
    assert not bgp.plan_routers(params(name='a', address='10.0.0.1'), inv).changed


def test_update_keeps_unmanaged_parameters():
    inv = inventory([router('a', '10.0.0.1', hold_time=180, admin_down=False,
                            local_autonomous_system=7)])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1'), inv)
    assert kinds(plan) == ['update bgp-router a']
    sent = plan.actions[0][2]['bgp_router_parameters']
    assert sent['hold_time'] == 90 and sent['local_autonomous_system'] == 7


def test_peering_created_by_auto_mesh_from_the_other_side_is_not_added_again():
    # auto-mesh wrote the ref on b's side only; refs are symmetric, so a sees it too
    inv = inventory([router('a', '10.0.0.1'), router('b', '10.0.0.2', peers=['a'])])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', peers=['b']), inv)
    assert not plan.changed
    assert plan.before['a']['peers'] == ['b']


def test_pairs_are_added_once_for_a_full_mesh_request():
    plan = bgp.plan_routers(params(routers=[{'name': n, 'address': '10.0.0.%d' % i}
                                            for i, n in enumerate('abc', 1)],
                                   peers=['a', 'b', 'c']), inventory([]))
    peerings = [a for a in plan.actions if a[0] == 'peer']
    assert len(peerings) == 3
    assert plan.after['b']['peers'] == ['a', 'c']


def test_routers_items_inherit_top_level_options():
    plan = bgp.plan_routers(params(routers=[{'name': 'a', 'address': '10.0.0.1'},
                                            {'name': 'b', 'address': '10.0.0.2',
                                             'hold_time': 30}],
                                   hold_time=60, auth_key='k'), inventory([]))
    created = dict((a[1], a[2]['bgp_router_parameters']) for a in plan.actions
                   if a[0] == 'create')
    assert created['a']['hold_time'] == 60 and created['b']['hold_time'] == 30
    assert created['a']['auth_data']['key_items'][0]['key'] == 'k'


def test_purge_removes_control_node_peers_only():
    inv = inventory([router('a', '10.0.0.1', peers=['b', 'mx']), router('b', '10.0.0.2'),
                     router('mx', '10.0.0.9', router_type='router', asn=65000)])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', peers=[], purge_peers=True),
                            inv)
    assert kinds(plan) == ['unpeer a with b']
    assert plan.after['a']['peers'] == ['mx']


def test_asn_mismatch_with_global_is_refused():
    with pytest.raises(bgp.PlanError, match='ASN mismatch'):
        bgp.plan_routers(params(name='a', address='10.0.0.1', asn=65000), inventory([]))


def test_asn_mismatch_between_peers_is_refused():
    inv = inventory([router('b', '10.0.0.2', asn=65000)])
    with pytest.raises(bgp.PlanError, match='ASN mismatch between peers'):
        bgp.plan_routers(params(name='a', address='10.0.0.1', peers=['b']), inv)


def test_external_router_may_have_its_own_asn_when_allowed():
    plan = bgp.plan_routers(params(name='mx', address='10.0.0.9', router_type='router',
                                   asn=65000, allow_non_control_node=True), inventory([]))
    assert plan.actions[0][2]['bgp_router_parameters']['vendor'] == 'mx'
    assert [a[0] for a in plan.actions] == ['create']


@pytest.mark.parametrize('request_params', [
    params(routers=[{'name': 'a', 'address': '10.0.0.1'}, {'name': 'b', 'address': '10.0.0.1'}]),
    params(name='a', address='10.0.0.2'),
])
def test_duplicate_addresses_are_refused(request_params):
    inv = inventory([router('b', '10.0.0.2')]) if request_params['name'] else inventory([])
    with pytest.raises(bgp.PlanError, match='duplicate address'):
        bgp.plan_routers(request_params, inv)


def test_non_control_node_router_is_not_touched_by_default():
    inv = inventory([router('mx', '10.0.0.9', router_type='router')])
    with pytest.raises(bgp.PlanError, match='refusing to touch'):
        bgp.plan_routers(params(name='mx', state='absent'), inv)
    with pytest.raises(bgp.PlanError, match='refusing to touch'):
        bgp.plan_routers(params(name='x', address='10.0.0.7', router_type='router'), inv)


def test_address_is_create_only():
    with pytest.raises(bgp.PlanError, match='cannot be changed'):
        bgp.plan_routers(params(name='a', address='10.0.0.5'),
                         inventory([router('a', '10.0.0.1')]))


def test_unknown_peer_is_refused():
    with pytest.raises(bgp.PlanError, match='does not exist'):
        bgp.plan_routers(params(name='a', address='10.0.0.1', peers=['ghost']), inventory([]))


def test_absent_removes_gsc_ref_then_deletes_and_forgets_pairs():
    inv = inventory([router('a', '10.0.0.1', peers=['b']), router('b', '10.0.0.2')])
    plan = bgp.plan_routers(params(name='a', state='absent'), inv)
    assert kinds(plan) == ['delete global-system-config ref to a', 'delete bgp-router a']
    assert plan.after == {'a': None}
    assert plan.before['a']['peers'] == ['b']


def test_absent_of_missing_router_is_a_no_op():
    assert not bgp.plan_routers(params(name='a', state='absent'), inventory([])).changed


def test_key_never_shows_and_a_key_change_is_marked():
    inv = inventory([router('a', '10.0.0.1', key='s3cr3t-old')])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', auth_key='s3cr3t-new'), inv)
    assert kinds(plan) == ['update bgp-router a']
    assert plan.before['a']['auth'] == bgp.KEY_SET
    assert plan.after['a']['auth'] == bgp.KEY_CHANGED
    assert 's3cr3t' not in repr(plan.before) + repr(plan.after)


def test_empty_key_removes_authentication():
    inv = inventory([router('a', '10.0.0.1', key='old')])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', auth_key=''), inv)
    assert plan.actions[0][2]['bgp_router_parameters']['auth_data'] is None


def test_missing_gsc_ref_is_added_to_an_existing_router():
    inv = inventory([router('a', '10.0.0.1')], gsc_refs=[])
    assert kinds(bgp.plan_routers(params(name='a', address='10.0.0.1'), inv)) == \
        ['add global-system-config ref to a']


def test_routers_of_other_routing_instances_are_not_managed():
    other = router('a', '10.0.0.1', parent=['default-domain', 'p', 'vn', 'vn'])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.3'), inventory([other]))
    assert plan.actions[0][0] == 'create'


class RecordingClient:
    """Records the API calls apply_plan makes."""

    def __init__(self):
        self.calls = []

    def create(self, obj_type, body):
        self.calls.append(('create', body['fq_name'][-1]))
        return 'u-' + body['fq_name'][-1]

    def update(self, obj_type, uuid, body):
        self.calls.append(('update', uuid))

    def delete(self, obj_type, uuid):
        self.calls.append(('delete', uuid))

    def ref_update(self, obj_type, uuid, ref_type, ref_uuid=None, ref_fq_name=None,
                   operation='ADD', attr=None):
        self.calls.append(('ref', obj_type, uuid, ref_uuid, operation,
                           attr is not None))


def test_apply_uses_uuids_of_created_routers():
    inv = inventory([router('b', '10.0.0.2')])
    plan = bgp.plan_routers(params(name='a', address='10.0.0.1', peers=['b']), inv)
    client = RecordingClient()
    bgp.apply_plan(client, plan, inv)
    assert client.calls == [('create', 'a'),
                            ('ref', 'global-system-config', GSC_UUID, 'u-a', 'ADD', False),
                            ('ref', 'bgp-router', 'u-a', 'u-b', 'ADD', True)]


# -- neighbors --------------------------------------------------------------------------

NEIGHBORS = [
    {'peer': 'v1-ctrl1', 'peer_address': '10.0.0.11', 'peer_asn': 64512, 'encoding': 'BGP',
     'state': 'Established', 'flap_count': 2, 'router_type': 'control-node',
     'negotiated_address_families': ['inet-vpn'], 'configured_address_families': ['x']},
    {'peer': 'v1-ctrl2', 'peer_address': '10.0.0.12', 'peer_asn': 64512, 'encoding': 'BGP',
     'state': 'Active', 'configured_address_families': ['inet-vpn', 'e-vpn']},
]


def test_neighbor_view_prefers_negotiated_families():
    views = [bgp.neighbor_view(n) for n in NEIGHBORS]
    assert views[0]['families'] == ['inet-vpn'] and views[0]['address'] == '10.0.0.11'
    assert views[1]['families'] == ['inet-vpn', 'e-vpn'] and views[1]['flap_count'] == 0


def test_wanted_peers_match_by_name_or_address():
    views = [bgp.neighbor_view(n) for n in NEIGHBORS]
    states = bgp.peer_states(views, ['v1-ctrl1', '10.0.0.12', 'ghost'])
    assert states == {'v1-ctrl1': 'Established', '10.0.0.12': 'Active', 'ghost': None}
    assert bgp.not_established(states) == ['10.0.0.12 (Active)', 'ghost (not a neighbor)']
