import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.inventory_problems import inventory_problems

GROUPS = {
    'contrail_v1_controllers': ['v1a', 'v1b'],
    'contrail_v2_controllers': ['v2a'],
    'contrail_computes': ['c1', 'c2'],
    'openstack_haproxy': ['os'],
    'issu_task': ['v2a'],
}
HOSTVARS = {
    'v1a': {'contrail_host_ip': '10.0.0.11'}, 'v1b': {'contrail_host_ip': '10.0.0.12'},
    'v2a': {'contrail_host_ip': '10.0.0.21'},
    'c1': {'contrail_host_ip': '10.0.0.101'}, 'c2': {'contrail_host_ip': 'fd00::102'},
    'os': {'contrail_host_ip': '10.0.0.5'},
}


def test_good_inventory_has_no_problems():
    assert inventory_problems(GROUPS, HOSTVARS) == []


def test_same_host_in_two_addressed_groups_is_fine():
    groups = dict(GROUPS, openstack_haproxy=['v1a'])
    assert inventory_problems(groups, HOSTVARS) == []


def test_reports_every_problem_at_once():
    groups = dict(GROUPS, contrail_computes=[], issu_task=['v2a', 'v1a'])
    groups.pop('openstack_haproxy')
    hostvars = dict(HOSTVARS, v1b={'contrail_host_ip': '10.0.0.21'}, v2a={'contrail_host_ip': '10.0.0.21'},
                    v1a={'contrail_host_ip': '10.0.0.300'})
    problems = inventory_problems(groups, hostvars)
    assert problems == [
        'inventory group contrail_computes is missing or empty',
        'inventory group openstack_haproxy is missing or empty',
        'inventory group issu_task must hold exactly one host, it holds v2a, v1a',
        "host v1a (contrail_v1_controllers) has contrail_host_ip='10.0.0.300', which is not a unicast IP address",
        'v1 and v2 controllers overlap: 10.0.0.21 is used by v1b (contrail_v1_controllers), '
        'v2a (contrail_v2_controllers)',
    ]


@pytest.mark.parametrize('bad', ['', None, 'ctrl1', '224.0.0.1', '127.0.0.1', '0.0.0.0', '10.0.0', '10.0.0.1/24'])
def test_rejects_unusable_addresses(bad):
    hostvars = dict(HOSTVARS, c1={'contrail_host_ip': bad} if bad is not None else {})
    problems = inventory_problems(GROUPS, hostvars)
    assert len(problems) == 1 and problems[0].startswith('host c1 (contrail_computes) has')


def test_duplicate_compute_addresses():
    hostvars = dict(HOSTVARS, c2={'contrail_host_ip': '10.0.0.101'})
    assert inventory_problems(GROUPS, hostvars) == [
        'duplicate address: 10.0.0.101 is used by c1 (contrail_computes), c2 (contrail_computes)']


def test_host_in_both_controller_groups():
    groups = dict(GROUPS, contrail_v2_controllers=['v2a', 'v1b'])
    assert 'host v1b is in both contrail_v1_controllers and contrail_v2_controllers' in inventory_problems(groups, HOSTVARS)


@pytest.mark.parametrize('missing', sorted(GROUPS))
def test_each_missing_group_is_named(missing):
    groups = dict(GROUPS)
    groups.pop(missing)
    assert inventory_problems(groups, HOSTVARS) == ['inventory group %s is missing or empty' % missing]


def test_only_the_required_groups_are_checked():
    # The report needs issu_task only; the compute phase no HAProxy: neither the missing groups
    # nor the addresses of the groups it does not use are problems.
    groups = {'issu_task': ['v2a'], 'contrail_computes': ['c1'], 'openstack_haproxy': ['os']}
    hostvars = dict(HOSTVARS, os={})
    assert inventory_problems(groups, hostvars, required=['issu_task']) == []
    assert inventory_problems(groups, hostvars, required=['contrail_computes', 'contrail_v2_controllers',
                                                          'issu_task']) == [
        'inventory group contrail_v2_controllers is missing or empty']
    assert inventory_problems(groups, hostvars, required=['openstack_haproxy']) == [
        'host os (openstack_haproxy) has no contrail_host_ip']


def test_required_issu_task_must_be_one_host():
    groups = dict(GROUPS, issu_task=['v2a', 'v1a'])
    assert inventory_problems(groups, HOSTVARS, required=['issu_task']) == [
        'inventory group issu_task must hold exactly one host, it holds v2a, v1a']
    assert inventory_problems({}, {}, required=['issu_task']) == ['inventory group issu_task is missing or empty']


def test_controller_overlap_needs_both_groups_required():
    groups = dict(GROUPS, contrail_v2_controllers=['v2a', 'v1b'])
    assert inventory_problems(groups, HOSTVARS, required=['contrail_v2_controllers', 'issu_task']) == []


def test_unknown_required_group_is_an_error():
    with pytest.raises(AnsibleFilterError, match='unknown group'):
        inventory_problems(GROUPS, HOSTVARS, required=['issu_tasks'])


def test_wrong_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match='groups and hostvars'):
        inventory_problems(['issu_task'], HOSTVARS)
