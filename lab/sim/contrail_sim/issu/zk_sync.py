"""``contrail-issu-zk-sync``: replace v2's ID/lock subtrees in ZooKeeper with v1's.

As ``issu_contrail_zk_sync.py``: only ``/<ndb_prefix>/{fq-name-to-uuid,api-server,id}`` are
deleted in the new ZooKeeper (LP 1632799: deleting more raced other apps), each old subtree is
copied recursively (node values included, 1 s pause per top-level subtree), then the child lists
of the three paths are compared. Deviation, on purpose: the real ``issu_compare`` logs "failed"
and then "passed" anyway and exits 0; the lab logs exactly one verdict and exits 1 on failure.
"""
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from contrail_sim.issu import common, config

CONNECT_TIMEOUT = 10


class ZkIssu(object):
    """Copy of the ISSU znodes between two ZooKeeper ensembles / roots."""

    def __init__(self, args, log=config.logger, pause=1.0):
        self.log = log
        self.pause = pause
        self.old_prefix = '/' + args.odb_prefix
        self.new_prefix = '/' + args.ndb_prefix
        self.old = KazooClient(hosts=args.old_zookeeper_address_list)
        self.new = KazooClient(hosts=args.new_zookeeper_address_list)
        self.log('Issu contrail zookeeper initialized...')

    def _copy(self, old_path, new_path):
        value, _ = self.old.get(old_path)
        self.new.create(new_path, value, makepath=True)
        for child in self.old.get_children(old_path):
            self._copy(old_path + '/' + child, new_path + '/' + child)

    def _children(self, client, path):
        try:
            return sorted(client.get_children(path))
        except NoNodeError:
            return None

    def compare(self, old_root, new_root):
        """True when the three paths have the same child lists on both sides."""
        for name in config.ZNODE_LIST:
            if self._children(self.new, new_root + name) != self._children(self.old, old_root + name):
                self.log('Issu contrail zookeeper failed...')
                return False
        self.log('Issu contrail zookeeper passed...')
        return True

    def run(self):
        self.old.start(timeout=CONNECT_TIMEOUT)
        self.new.start(timeout=CONNECT_TIMEOUT)
        try:
            old_base, new_base = self.old_prefix.rstrip('/'), self.new_prefix.rstrip('/')
            self.new.ensure_path(new_base or '/')
            for child in self.new.get_children(new_base or '/'):
                if child in config.ZNODE_LIST:
                    path = new_base + '/' + child
                    self.log('Issu contrail zookeeper ,issu_zk_start, deleted paths' + path)
                    self.new.delete(path, recursive=True)
            for child in self.old.get_children(old_base or '/'):
                if child in config.ZNODE_LIST:
                    time.sleep(self.pause)
                    self._copy(old_base + '/' + child, new_base + '/' + child)
            return self.compare(old_base + '/', new_base + '/')
        finally:
            self.old.stop()
            self.new.stop()

def main(argv=None, pause=1.0):
    args, _ = config.parse_args(argv)
    if not ZkIssu(args, pause=pause).run():
        raise RuntimeError('zookeeper child lists differ after copy')


if __name__ == '__main__':
    common.entry_point(main, config.ZK_SYNC_LOG)
