import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.pair_addresses import pair_addresses


def test_pairs_in_order_and_cycles_a_smaller_v2():
    assert pair_addresses(['a', 'b', 'c'], ['x', 'y'], 8082) == {'a': 'x:8082', 'b': 'y:8082', 'c': 'x:8082'}
    assert pair_addresses(['a'], ['x', 'y']) == {'a': 'x'}


@pytest.mark.parametrize('old, new', [([], ['x']), (['a'], []), (None, ['x'])])
def test_refuses_empty_sides(old, new):
    with pytest.raises(AnsibleFilterError):
        pair_addresses(old, new)
