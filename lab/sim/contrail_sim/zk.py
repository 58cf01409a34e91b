"""ZooKeeper usage of the config daemons: fq-name locks and id allocators (wire-formats §2).

Layout under the cluster root ``/<cluster_id>``:
  /fq-name-to-uuid/<object_type>:<fq:name>   data = uuid (unique-create lock)
  /id/virtual-networks/%010d                 data = VN fq_name string  (network id = index + 1)
  /id/security-groups/id/%010d               data = SG fq_name string  (sg id = index + 8000000)
  /id/bgp/route-targets/%010d                data = RI fq_name string  (rt number = index)
Node names are the absolute index (allocator start + bit), as Contrail's IndexAllocator writes them.
"""
import threading
import time
import uuid as uuidlib

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError

VN_ID_PATH = '/id/virtual-networks/'
SG_ID_PATH = '/id/security-groups/id/'
RT_PATH = '/id/bgp/route-targets/'
FQ_LOCK_PATH = '/fq-name-to-uuid/'
SGID_MIN_ALLOC = 8000000
BGP_RTGT_MIN_ID = 8000000


class ZkUnavailable(Exception):
    """ZooKeeper is not connected: the API answers 503 like the real one."""


def cluster_root(cluster_id):
    """``v1`` -> ``/v1``; '' -> '' (paths then start at ``/``)."""
    cluster_id = (cluster_id or '').strip('/')
    return '/' + cluster_id if cluster_id else ''


class ZkClient(object):
    """A kazoo session rooted at one cluster's prefix."""

    def __init__(self, server_list, cluster_id='', timeout=10):
        self.root = cluster_root(cluster_id)
        self.kazoo = KazooClient(hosts=str(server_list).replace(' ', ','), timeout=timeout)
        self.kazoo.start(timeout=timeout)

    def path(self, rel):
        return self.root + rel

    def connected(self):
        return self.kazoo.connected

    def _require(self):
        if not self.kazoo.connected:
            raise ZkUnavailable('Not connected to zookeeper. Not able to perform requested action')

    def create(self, rel, value, makepath=True):
        self._require()
        self.kazoo.create(self.path(rel), _b(value), makepath=makepath)

    def read(self, rel):
        """(data, stat) or (None, None) when the node is absent."""
        self._require()
        try:
            data, stat = self.kazoo.get(self.path(rel))
        except NoNodeError:
            return None, None
        return (data.decode() if data is not None else None), stat

    def delete(self, rel, recursive=False):
        self._require()
        try:
            self.kazoo.delete(self.path(rel), recursive=recursive)
        except NoNodeError:
            pass

    def children(self, rel):
        self._require()
        try:
            return self.kazoo.get_children(self.path(rel).rstrip('/') or '/')
        except NoNodeError:
            return []

    def stop(self):
        self.kazoo.stop()
        self.kazoo.close()

    # -- fq-name locks -----------------------------------------------------------------------
    @staticmethod
    def fq_lock_path(obj_type, fq_name):
        return '%s%s:%s' % (FQ_LOCK_PATH, obj_type, ':'.join(fq_name))

    def lock_fq_name(self, obj_type, fq_name, obj_uuid, exists_in_db, stale_seconds=5):
        """Take the unique-create lock; returns None, or the uuid already holding the name.

        A lock whose uuid has no DB row and is older than ``stale_seconds`` is a leftover of a
        create that died half-way; it is replaced, as vnc_db.VncZkClient.create_fq_name_to_uuid_mapping does.
        """
        rel = self.fq_lock_path(obj_type, fq_name)
        for _ in range(2):
            try:
                self.create(rel, obj_uuid)
                return None
            except NodeExistsError:
                holder, stat = self.read(rel)
                if holder is None:
                    continue
                age = time.time() - stat.ctime / 1000.0
                if exists_in_db(holder) or age < stale_seconds:
                    return holder
                self.delete(rel)
        return holder

    def unlock_fq_name(self, obj_type, fq_name):
        self.delete(self.fq_lock_path(obj_type, fq_name))


class IndexAllocator(object):
    """Lowest-free-index allocator over ZooKeeper children, one node per allocated index."""

    REFRESH_SECONDS = 30

    def __init__(self, zk, rel_path, size, start=0, reserved=None):
        self.zk = zk
        self.rel_path = rel_path
        self.start = start
        self.size = size
        self._lock = threading.Lock()
        self._used = None
        self._floor = start
        self._loaded_at = 0.0
        for index, value in (reserved or {}).items():
            self.reserve(index, value)

    def _node(self, index):
        return '%s%010d' % (self.rel_path, index)

    def _refresh(self):
        """Reload the used set from ZooKeeper (other daemons allocate and free too)."""
        self._used = set(int(n) for n in self.zk.children(self.rel_path) if n.isdigit())
        self._floor = self.start
        self._loaded_at = time.time()

    def alloc(self, value):
        """Allocate the lowest free index for ``value`` and return it.

        The used set is cached and reloaded every ``REFRESH_SECONDS``: a create that collides
        with another daemon's allocation just moves on to the next index.
        """
        with self._lock:
            if self._used is None or time.time() - self._loaded_at > self.REFRESH_SECONDS:
                self._refresh()
            index = self._floor
            while index < self.start + self.size:
                if index not in self._used:
                    try:
                        self.zk.create(self._node(index), value)
                        self._used.add(index)
                        self._floor = index + 1
                        return index
                    except NodeExistsError:
                        self._used.add(index)
                index += 1
            raise RuntimeError('index space %s exhausted' % self.rel_path)

    def reserve(self, index, value):
        """Claim a given index (explicit ids); False when already taken."""
        try:
            self.zk.create(self._node(index), value)
            return True
        except NodeExistsError:
            return False

    def read(self, index):
        return self.zk.read(self._node(index))[0]

    def delete(self, index):
        self.zk.delete(self._node(index))
        with self._lock:
            if self._used is not None:
                self._used.discard(index)
                self._floor = min(self._floor, index)


def vn_id_allocator(zk):
    return IndexAllocator(zk, VN_ID_PATH, 1 << 24)


def sg_id_allocator(zk):
    return IndexAllocator(zk, SG_ID_PATH, 1 << 32, reserved={0: '__reserved__'})


def rt_allocator(zk):
    return IndexAllocator(zk, RT_PATH, 1 << 24, start=BGP_RTGT_MIN_ID)


def new_uuid():
    return str(uuidlib.uuid4())


def _b(value):
    if value is None:
        value = new_uuid()
    return value if isinstance(value, bytes) else str(value).encode()
