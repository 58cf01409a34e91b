# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZooKeeper as the ISSU sees it: v2's ID allocators and fq-name locks made a mirror of v1's.

``contrail-issu-zk-sync`` (``issu_contrail_zk_sync.py``) deletes
``/<ndb_prefix>/{fq-name-to-uuid,api-server,id}`` in the new ZooKeeper, copies each old subtree
one znode at a time (a read, a create and a child listing per znode, one after another) with a
one-second pause per subtree, then compares the child lists of the three paths. Its time grows
with every ID ever allocated, and it runs inside the finalize freeze.

This file reaches the same end state (each of the subtrees in v2 holds exactly v1's paths and
values) by difference: both trees are read level by level with pipelined requests (a round
trip per tree level, not per znode), then only what differs is deleted (children first),
created (parents first) and set. Run once before the freeze it carries the bulk; inside the
freeze only what v1 allocated or freed since. The znodes written are read back, values included.
"""

from __future__ import annotations

__metaclass__ = type

import contextlib
import time

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException, NoNodeError, NodeExistsError
    from kazoo.handlers.threading import KazooTimeoutError
    HAS_KAZOO = True
except ImportError:  # pragma: no cover - depends on the host
    KazooClient, HAS_KAZOO = None, False

    class NoNodeError(Exception):
        """Stands for kazoo's error when kazoo is missing (the module fails first)."""

    class NodeExistsError(Exception):
        """Stands for kazoo's error when kazoo is missing (the module fails first)."""

    class KazooException(Exception):
        """Stands for kazoo's error when kazoo is missing (the module fails first)."""

    class KazooTimeoutError(Exception):
        """Stands for kazoo's error when kazoo is missing (the module fails first)."""

#: The subtrees contrail-issu-zk-sync replaces (only these: LP 1632799).
ZNODES = ('fq-name-to-uuid', 'api-server', 'id')
#: How many paths of each kind a result lists.
SAMPLE = 20


class ZkMirrorError(IssuError):
    """ZooKeeper unreachable, a request that failed, or a mirror that did not hold."""


def base_path(prefix):
    """The root of the ISSU znodes for a DB prefix (``''`` -> ``/``), as the tool builds it."""
    return '/' + (prefix or '').strip('/')


def join(parent, child):
    return parent.rstrip('/') + '/' + child


def settings(conf):
    """(old hosts, new hosts, old base, new base) from contrail-issu.conf values."""
    missing = [key for key in ('old_zookeeper_address_list', 'new_zookeeper_address_list')
               if not conf.get(key)]
    if missing:
        raise ZkMirrorError('%s not set in the contrail-issu.conf: write it with '
                            'opencontrail.issu.issu_conf' % ' and '.join(missing))
    return (conf['old_zookeeper_address_list'], conf['new_zookeeper_address_list'],
            base_path(conf.get('odb_prefix')), base_path(conf.get('ndb_prefix')))


def _results(pending, timeout):
    """[(key, value or None when the znode is gone)] of (key, async result) pairs, in order."""
    out = []
    for key, result in pending:
        try:
            out.append((key, result.get(timeout=timeout)))
        except NoNodeError:
            out.append((key, None))
    return out


def read_tree(client, base, names, timeout):
    """{path relative to base: value} of the subtrees ``names`` under ``base`` (roots included).

    A level at a time, every request of a level sent before the first answer is awaited: the
    values (whose stat tells which znodes have children), then the children of those that have.
    Most znodes are leaves (one per allocated ID), so most cost one request.
    """
    tree = {}
    level = list(names)
    while level:
        parents = []
        for rel, answer in _results([(rel, client.get_async(join(base, rel))) for rel in level],
                                    timeout):
            if answer is None:
                continue  # deleted while read: not part of the tree
            value, stat = answer
            tree[rel] = value
            if stat.numChildren:
                parents.append(rel)
        level = []
        for rel, kids in _results([(rel, client.get_children_async(join(base, rel))) for rel in parents],
                                  timeout):
            level.extend(join(rel, kid) for kid in kids or ())
    return tree


def depth(rel):
    return rel.count('/')


def plan(old, new):
    """What makes ``new`` equal ``old`` ({rel: value} each): creates, updates and deletes.

    Creates are ordered parents first, deletes children first, so each level can be sent at once.
    """
    create = sorted((rel for rel in old if rel not in new), key=lambda rel: (depth(rel), rel))
    delete = sorted((rel for rel in new if rel not in old), key=lambda rel: (-depth(rel), rel))
    update = sorted(rel for rel in old if rel in new and old[rel] != new[rel])
    return dict(create=create, update=update, delete=delete)


def _by_level(paths):
    """Consecutive runs of ``paths`` of the same depth."""
    run, current = [], None
    for rel in paths:
        if run and depth(rel) != current:
            yield run
            run = []
        current = depth(rel)
        run.append(rel)
    if run:
        yield run


def apply(client, base, old, changes, timeout):
    """Carry out ``changes`` (from :func:`plan`) in the tree under ``base``; values from ``old``."""
    for level in _by_level(changes['delete']):
        _results([(rel, client.delete_async(join(base, rel))) for rel in level], timeout)
    for level in _by_level(changes['create']):
        pending = [(rel, client.create_async(join(base, rel), old[rel])) for rel in level]
        for rel, result in pending:
            try:
                result.get(timeout=timeout)
            except NodeExistsError:  # created meanwhile by someone else: take v1's value
                changes['update'].append(rel)
    _results([(rel, client.set_async(join(base, rel), old[rel])) for rel in changes['update']],
             timeout)


def read_paths(client, base, paths, timeout):
    """{rel: value} of ``paths`` as they are now (those that do not exist left out), in one round
    trip."""
    return dict((rel, answer[0]) for rel, answer in
                _results([(rel, client.get_async(join(base, rel))) for rel in paths], timeout)
                if answer is not None)


def differences(old, new):
    """Paths whose presence or value differ (sorted), for a failure message."""
    return sorted(rel for rel in set(old) | set(new) if old.get(rel) != new.get(rel))


def sample(paths, base):
    return [join(base, rel) for rel in paths[:SAMPLE]]


def shown(value):
    text = (value or b'').decode('utf-8', 'replace')
    return text if len(text) <= 80 else text[:77] + '...'


def diff(old, new, changes, new_base):
    """A before/after text of the znodes that change (at most SAMPLE of each kind)."""
    before, after = [], []
    for rel in changes['delete'][:SAMPLE]:
        before.append('%s = %s' % (join(new_base, rel), shown(new[rel])))
    for rel in changes['update'][:SAMPLE]:
        before.append('%s = %s' % (join(new_base, rel), shown(new[rel])))
        after.append('%s = %s' % (join(new_base, rel), shown(old[rel])))
    for rel in changes['create'][:SAMPLE]:
        after.append('%s = %s' % (join(new_base, rel), shown(old[rel])))
    counts = '%d created, %d set, %d deleted\n' % (
        len(changes['create']), len(changes['update']), len(changes['delete']))
    return dict(before='\n'.join(sorted(before)) + '\n', after=counts + '\n'.join(sorted(after)) + '\n')


@contextlib.contextmanager
def failing(what):
    """Turn a ZooKeeper error or timeout inside the block into a ZkMirrorError."""
    try:
        yield
    except (KazooException, KazooTimeoutError) as exc:
        raise ZkMirrorError('%s failed: %s (nothing is lost: a re-run mirrors from what it '
                            'finds)' % (what, repr(exc)))


def read_both(old_side, new_side, names, timeout):
    """(v1's tree, v2's tree). One after the other: on two threads they take longer (both
    clients' request handling competes for the interpreter)."""
    trees = []
    for (client, base, hosts), side in ((old_side, 'v1'), (new_side, 'v2')):
        with failing('reading %s\'s znodes under %s (%s)' % (side, base, hosts)):
            trees.append(read_tree(client, base, names, timeout))
    return tuple(trees)


class Session:
    """Both ZooKeeper clients, started and stopped together."""

    def __init__(self, old_hosts, new_hosts, timeout, factory=None):
        factory = factory or KazooClient
        self.timeout = timeout
        self.clients = dict(old=factory(hosts=old_hosts, timeout=timeout),
                            new=factory(hosts=new_hosts, timeout=timeout))
        self.hosts = dict(old=old_hosts, new=new_hosts)

    def __enter__(self):
        for side in ('old', 'new'):
            try:
                self.clients[side].start(timeout=self.timeout)
            except Exception as exc:  # kazoo raises its own timeout and socket errors
                self.__exit__(None, None, None)
                raise ZkMirrorError('cannot reach the %s ZooKeeper %s in %ss: %s'
                                    % ('v1' if side == 'old' else 'v2', self.hosts[side],
                                       self.timeout, exc))
        return self.clients['old'], self.clients['new']

    def __exit__(self, *exc):
        for client in self.clients.values():
            try:
                client.stop()
                client.close()
            except Exception:  # pylint: disable=broad-except
                pass  # closing a client that never connected
        return False


def mirror(conf, names=ZNODES, timeout=30, check=False, factory=None):
    """Make v2's ``names`` subtrees a mirror of v1's; the result of the module."""
    old_hosts, new_hosts, old_base, new_base = settings(conf)
    started = time.monotonic()
    with Session(old_hosts, new_hosts, timeout, factory) as (old_client, new_client):
        old, new = read_both((old_client, old_base, old_hosts), (new_client, new_base, new_hosts),
                             names, timeout)
        changes = plan(old, new)
        changed = any(changes.values())
        text = diff(old, new, changes, new_base)
        counts = dict(created=len(changes['create']), updated=len(changes['update']),
                      deleted=len(changes['delete']))
        result = dict(changed=changed, znodes=len(old), old_base=old_base, new_base=new_base,
                      paths=dict(create=sample(changes['create'], new_base),
                                 update=sample(changes['update'], new_base),
                                 delete=sample(changes['delete'], new_base)),
                      diff=text, **counts)
        if changed and not check:
            with failing('writing v2\'s znodes under %s' % new_base):
                new_client.ensure_path(new_base)
                apply(new_client, new_base, old, changes, timeout)
            # What was written is read back (not both trees again: inside the finalize freeze
            # the trees are large and the writes since the pass ahead of it few).
            written = set(changes['create']) | set(changes['update']) | set(changes['delete'])
            with failing('reading v2\'s written znodes back'):
                back = read_paths(new_client, new_base, sorted(written), timeout)
            new = dict((rel, value) for rel, value in new.items() if rel not in written)
            new.update(back)
        left = differences(old, new)
        result['equal'] = not left
        result['duration'] = round(time.monotonic() - started, 3)
        if left and not check:
            raise ZkMirrorError(
                '%d znode(s) of v2 still differ from v1 after the mirror (%s): something else '
                'writes there. v2\'s schema-transformer, svc-monitor and device-manager must stay '
                'held and northbound frozen while v2 takes v1\'s allocators'
                % (len(left), ', '.join(sample(left, new_base))))
    return result
