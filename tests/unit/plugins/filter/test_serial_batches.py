import pytest
from ansible.errors import AnsibleFilterError
from ansible.utils.helpers import pct_to_int

from ansible_collections.opencontrail.issu.plugins.filter.serial_batches import serial_batches


@pytest.mark.parametrize('spec, hosts, expected', [
    ([1, '25%', '100%'], 10, [1, 2, 7]),
    ([1, '25%', '100%'], 3, [1, 1, 1]),
    ([1, '25%', '100%'], 1, [1]),
    (2, 5, [2, 2, 1]),
    ('50%', 5, [2, 2, 1]),
    ('1%', 30, [1] * 30),
    (['100%'], 30, [30]),
    ([1, 3], 8, [1, 3, 3, 1]),
])
def test_expands_like_ansible(spec, hosts, expected):
    assert serial_batches(spec, hosts) == expected
    assert sum(expected) == hosts


def test_percentages_follow_ansible_rounding():
    for hosts in range(1, 40):
        for pct in ('1%', '25%', '33%', '50%', '99%'):
            assert serial_batches(pct, hosts)[0] == min(pct_to_int(pct, hosts), hosts)


@pytest.mark.parametrize('spec', [0, -1, '0%', '101%', 'abc', '2.5%', [], [1, 'x'], None, True])
def test_rejects_bad_specs(spec):
    with pytest.raises(AnsibleFilterError):
        serial_batches(spec, 10)


def test_no_hosts_gives_no_batches():
    assert serial_batches([1, '25%'], 0) == []


def test_the_default_batches_are_the_canary_shape_and_a_given_spec_wins():
    from ansible_collections.opencontrail.issu.plugins.filter.issu_serial import issu_serial
    assert issu_serial(None) == [1, '25%', '100%']
    assert serial_batches(issu_serial(None), 10) == [1, 2, 7]
    assert issu_serial([2, '50%']) == [2, '50%'] and issu_serial(3) == 3
