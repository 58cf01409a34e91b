# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZooKeeper mirror: plan, ordering, pipelining, check mode and the final check.

The lab test (tests/lab/test_issu_sync_modules.py) drives the module against real ZooKeeper;
here a kazoo-shaped in-memory ensemble checks what ZooKeeper itself would refuse (a create
whose parent is missing, a delete of a znode with children) and counts the round trips.
"""

from __future__ import annotations

import pytest
from kazoo.exceptions import NoNodeError, NodeExistsError, NotEmptyError

from ansible_collections.opencontrail.issu.plugins.module_utils import zk_mirror as zm


class Result(object):
    """kazoo's IAsyncResult: the value or the error, known when the request was sent."""

    def __init__(self, ensemble, call):
        self.ensemble, self.call = ensemble, call

    def get(self, block=True, timeout=None):
        self.ensemble.awaited()
        return self.call()


class Stat(object):
    """The part of kazoo's ZnodeStat the mirror reads."""

    def __init__(self, children):
        self.numChildren = children  # pylint: disable=invalid-name


class Ensemble(object):
    """A ZooKeeper tree with kazoo's async API; counts the waits that follow a send (round trips)."""

    def __init__(self, tree=None):
        self.tree = {'/': b''}
        self.tree.update(tree or {})
        self.round_trips, self.sent_since_wait, self.sent, self.log = 0, 0, 0, []

    # kazoo's client API -----------------------------------------------------------------
    def __call__(self, hosts, timeout):
        self.hosts = hosts
        return self

    def start(self, timeout=None):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        pass

    def awaited(self):
        if self.sent_since_wait:
            self.round_trips += 1
            self.sent_since_wait = 0

    def _send(self, call):
        self.sent_since_wait += 1
        self.sent += 1
        try:
            value = call()
        except Exception as exc:  # pylint: disable=broad-except
            def fail(exc=exc):
                raise exc
            return Result(self, fail)
        return Result(self, lambda: value)

    def _parent(self, path):
        return path.rsplit('/', 1)[0] or '/'

    def _children(self, path):
        prefix = path.rstrip('/') + '/'
        return sorted(p[len(prefix):] for p in self.tree if p.startswith(prefix) and p != prefix
                      and '/' not in p[len(prefix):])

    def _get(self, path):
        if path not in self.tree:
            raise NoNodeError(path)
        return self.tree[path], Stat(len(self._children(path)))

    def _get_children(self, path):
        if path not in self.tree:
            raise NoNodeError(path)
        return self._children(path)

    def _create(self, path, value):
        if path in self.tree:
            raise NodeExistsError(path)
        if self._parent(path) not in self.tree:
            raise NoNodeError(self._parent(path))
        self.tree[path] = value
        self.log.append(('create', path))
        return path

    def _set(self, path, value):
        if path not in self.tree:
            raise NoNodeError(path)
        self.tree[path] = value
        self.log.append(('set', path))

    def _delete(self, path):
        if path not in self.tree:
            raise NoNodeError(path)
        if self._children(path):
            raise NotEmptyError(path)
        del self.tree[path]
        self.log.append(('delete', path))

    def get_async(self, path):
        return self._send(lambda: self._get(path))

    def get_children_async(self, path):
        return self._send(lambda: self._get_children(path))

    def create_async(self, path, value=b''):
        return self._send(lambda: self._create(path, value))

    def set_async(self, path, value):
        return self._send(lambda: self._set(path, value))

    def delete_async(self, path):
        return self._send(lambda: self._delete(path))

    def ensure_path(self, path):
        parts = [p for p in path.split('/') if p]
        for i in range(len(parts)):
            self.tree.setdefault('/' + '/'.join(parts[:i + 1]), b'')


def subtree(base, paths):
    """{absolute path: value} of relative ``paths`` ({rel: value}) under ``base``."""
    return dict((zm.join(base, rel), value) for rel, value in paths.items())


V1 = {
    'id': b'', 'id/virtual-networks': b'', 'fq-name-to-uuid': b'', 'api-server': b'',
    'fq-name-to-uuid/virtual_network:default-domain:admin:vn1': b'uuid-1',
    'fq-name-to-uuid/virtual_network:default-domain:admin:vn2': b'uuid-2',
}
V1.update(('id/virtual-networks/%010d' % i, b'default-domain:admin:vn%d' % i) for i in range(1, 40))


class Sides(object):
    def __init__(self, old, new, old_prefix='', new_prefix=''):
        self.old, self.new = Ensemble(old), Ensemble(new)
        self.conf = dict(old_zookeeper_address_list='10.0.0.1:2181',
                         new_zookeeper_address_list='10.0.0.2:2181',
                         odb_prefix=old_prefix, ndb_prefix=new_prefix)
        self.clients = iter([self.old, self.new])

    def factory(self, hosts, timeout):
        return next(self.clients)(hosts, timeout)

    def mirror(self, check=False, names=zm.ZNODES):
        return zm.mirror(self.conf, names=names, timeout=5, check=check, factory=self.factory)


def test_plan_orders_creates_parents_first_and_deletes_children_first():
    old = {'id': b'', 'id/a': b'1', 'id/a/b': b'2', 'api-server': b'x'}
    new = {'id': b'', 'id/a': b'0', 'id/z': b'', 'id/z/y': b'', 'api-server': b'x'}
    changes = zm.plan(old, new)
    assert changes == dict(create=['id/a/b'], update=['id/a'], delete=['id/z/y', 'id/z'])
    assert zm.plan(old, dict(old)) == dict(create=[], update=[], delete=[])


def test_read_tree_takes_two_round_trips_per_level_and_one_request_per_leaf():
    ensemble = Ensemble(subtree('/', V1))
    tree = zm.read_tree(ensemble, '/', zm.ZNODES, timeout=5)
    assert tree == V1
    # levels: the three roots, their 3 children, the 39 allocations: values, then the children
    # of the znodes that have some (none below the allocations): 5 waits for 45 znodes.
    assert ensemble.round_trips == 5
    # a value per znode, a child list for the 3 that have children (not one per leaf).
    assert ensemble.sent == len(V1) + 3


def test_read_tree_skips_a_missing_subtree():
    ensemble = Ensemble(subtree('/', {'id': b'', 'id/x': b'1'}))
    assert zm.read_tree(ensemble, '/', zm.ZNODES, timeout=5) == {'id': b'', 'id/x': b'1'}


def test_mirror_into_an_empty_v2_copies_every_znode_and_checks_it():
    sides = Sides(subtree('/', V1), {})
    result = sides.mirror()
    assert result['changed'] and result['equal']
    assert (result['created'], result['updated'], result['deleted']) == (len(V1), 0, 0)
    assert zm.read_tree(sides.new, '/', zm.ZNODES, 5) == V1
    assert result['znodes'] == len(V1)
    assert len(result['paths']['create']) == zm.SAMPLE


def test_mirror_by_difference_deletes_v2_only_sets_values_and_leaves_the_rest_alone():
    v2 = dict(V1)
    v2['id/virtual-networks/0000000001'] = b'stale'          # v2 allocated the same id itself
    del v2['id/virtual-networks/0000000039']                  # v1 allocated since the last pass
    v2['id/virtual-networks/0000000099'] = b'v2-only'        # freed in v1 since
    v2['api-server/election'] = b''                           # a v2-only subtree
    v2['api-server/election/n_0001'] = b'v2'
    other = {'svc-monitor': b'', 'svc-monitor/master': b'v2'}  # not an ISSU znode: never touched
    sides = Sides(subtree('/', V1), subtree('/', dict(v2, **other)))
    result = sides.mirror()
    assert (result['created'], result['updated'], result['deleted']) == (1, 1, 3)
    assert zm.read_tree(sides.new, '/', zm.ZNODES, 5) == V1
    assert sides.new.tree['/svc-monitor/master'] == b'v2'
    deletes = [path for kind, path in sides.new.log if kind == 'delete']
    assert deletes.index('/api-server/election/n_0001') < deletes.index('/api-server/election')
    assert result['paths']['update'] == ['/id/virtual-networks/0000000001']
    assert 'stale' in result['diff']['before'] and '1 created, 1 set, 3 deleted' in result['diff']['after']


def test_mirror_again_changes_nothing():
    sides = Sides(subtree('/', V1), {})
    sides.mirror()
    again = Sides(sides.old.tree, sides.new.tree)
    result = again.mirror()
    assert not result['changed'] and result['equal']
    assert again.new.log == []


def test_check_mode_reports_the_changes_and_writes_nothing():
    sides = Sides(subtree('/', V1), subtree('/', {'id': b'', 'id/gone': b''}))
    result = sides.mirror(check=True)
    assert result['changed'] and not result['equal']
    assert (result['created'], result['deleted']) == (len(V1) - 1, 1)
    assert sides.new.log == [] and '/id/gone' in sides.new.tree


def test_prefixes_map_v1_paths_onto_v2_paths():
    sides = Sides(subtree('/old', V1), {}, old_prefix='old', new_prefix='new/')
    result = sides.mirror()
    assert result['old_base'] == '/old' and result['new_base'] == '/new'
    assert zm.read_tree(sides.new, '/new', zm.ZNODES, 5) == V1
    assert '/id' not in sides.new.tree


def test_a_writer_racing_the_mirror_fails_it_with_what_still_differs():
    sides = Sides(subtree('/', V1), {})
    real_set = sides.new._set

    def racing_create(path, value):
        created = Ensemble._create(sides.new, path, value)
        if path.endswith('0000000007'):
            real_set(path, b'allocated by v2 meanwhile')
        return created
    sides.new._create = racing_create
    with pytest.raises(zm.ZkMirrorError) as failure:
        sides.mirror()
    assert '1 znode(s) of v2 still differ' in str(failure.value)
    assert '/id/virtual-networks/0000000007' in str(failure.value)


def test_missing_addresses_say_how_to_fix_them():
    with pytest.raises(zm.ZkMirrorError) as failure:
        zm.settings(dict(old_zookeeper_address_list='10.0.0.1:2181'))
    assert 'new_zookeeper_address_list' in str(failure.value) and 'issu_conf' in str(failure.value)


def test_an_unreachable_ensemble_names_the_side():
    class Down(Ensemble):
        def start(self, timeout=None):
            raise zm.KazooTimeoutError('Connection time-out')
    clients = iter([Ensemble(subtree('/', V1)), Down()])

    def factory(hosts, timeout):
        return next(clients)(hosts, timeout)
    with pytest.raises(zm.ZkMirrorError) as failure:
        zm.mirror(dict(old_zookeeper_address_list='a:2181', new_zookeeper_address_list='b:2181'),
                  timeout=1, factory=factory)
    assert 'v2 ZooKeeper b:2181' in str(failure.value)


def test_the_check_after_the_writes_reads_back_only_what_was_written():
    # inside the finalize freeze the trees are large and the changes since the pass ahead few:
    # the writes are checked by reading the written znodes, not both trees again
    v2 = dict(V1)
    del v2['id/virtual-networks/0000000039']                  # v1 allocated since the pass ahead
    v2['id/virtual-networks/0000000099'] = b'v2-only'        # freed in v1 since
    sides = Sides(subtree('/', V1), subtree('/', v2))
    result = sides.mirror()
    assert result['equal'] and (result['created'], result['deleted']) == (1, 1)
    # v2's tree read once (a value per znode, a child list for the 3 parents, as read_tree's
    # test counts), one create, one delete, and the two written znodes read back
    assert sides.new.sent == (len(v2) + 3) + 2 + 2, 'v2 was read whole again after the writes'
