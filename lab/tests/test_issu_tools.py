"""The ISSU sync tools (lab/sim/contrail_sim/issu): config parsing, mirror semantics, run-sync.

Two ways of running the tools, same scenarios:
- ``in-process``: the tools run in this process (their logs in tmp_path), against the host's dev
  PostgreSQL/RabbitMQ/ZooKeeper (127.0.0.1, prefixes/vhosts ``devh4a`` / ``devh4b``) when
  ``LAB_DEV_SERVICES=1``, else against lab-infra (marker ``lab``, as in CI);
- ``lab`` (marker ``lab``): inside lab-v2-ctrl1 as /usr/bin/contrail-issu-*.
On lab-infra the prefixes/vhosts are test-only, ``issutesta`` / ``issutestb`` (never v1/v2).
The parsing tests need nothing.
"""
import functools
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from kazoo.client import KazooClient

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'sim'))

from contrail_sim import configdb  # noqa: E402
from contrail_sim.issu import common, config, post_sync, pre_sync, run_sync, zk_sync  # noqa: E402
from contrail_sim.issu.vnc_objects import ObjectStore  # noqa: E402

DEV = os.environ.get('LAB_DEV_SERVICES') == '1'
ALL_CFS = [(ks, cf) for ks, cfs in configdb.KEYSPACES.items() for cf in cfs]
CONF_TEMPLATE = """[DEFAULTS]
old_rabbit_user=guest
old_rabbit_password=guest
old_rabbit_vhost={old}
old_rabbit_port=5672
old_rabbit_address_list={host}
old_rabbit_ha_mode=
new_rabbit_user=guest
new_rabbit_password=guest
new_rabbit_vhost={new}
new_rabbit_port=5672
new_rabbit_address_list={host}
new_rabbit_ha_mode=
old_cassandra_address_list={host}:9160
new_cassandra_address_list={host}:9160
old_zookeeper_address_list={host}:2181
new_zookeeper_address_list={host}:2181
odb_prefix={old}
ndb_prefix={new}
new_api_info={{'{host}': ['root', 'c0ntrail123']}}
"""


# -- parsing (no services) ------------------------------------------------------------------
def write_conf(tmp_path, text):
    path = tmp_path / 'contrail-issu.conf'
    path.write_text(text)
    return str(path)


def test_parse_args_reads_defaults_section_and_keeps_r40_defaults(tmp_path):
    conf = write_conf(tmp_path, CONF_TEMPLATE.format(host='10.99.0.10', old='v1', new='v2'))
    args, _ = config.parse_args(['-c', conf])
    assert args.old_cassandra_address_list == ['10.99.0.10:9160']
    assert (args.odb_prefix, args.ndb_prefix) == ('v1', 'v2')
    assert args.old_rabbit_q_name == args.new_rabbit_q_name == 'vnc-config.issu-queue'
    assert args.old_rabbit_ha_mode == ''
    args, _ = config.parse_args(['--conf_file', conf, '--old_rabbit_user', 'admin'])
    assert args.old_rabbit_user == 'admin'


def test_parse_args_keeps_quotes_like_the_real_configparser(tmp_path):
    conf = write_conf(tmp_path, '[DEFAULTS]\nold_cassandra_address_list="a:9160 b:9160"\n'
                                'NEW_API_INFO="{}" ;comment\nodb_prefix = v1\n')
    args, _ = config.parse_args(['-c', conf, '--old_db_prefix', 'ignored'])
    assert args.old_cassandra_address_list == ['"a:9160', 'b:9160"']
    assert args.new_api_info == '"{}"'  # literal_eval gives a str: run-sync breaks, as the real one
    assert args.odb_prefix == 'v1'


def test_parse_args_without_defaults_section_fails(tmp_path):
    conf = write_conf(tmp_path, '[DEFAULT]\nodb_prefix=v1\n')
    with pytest.raises(Exception, match='DEFAULTS'):
        config.parse_args(['-c', conf])


def test_vnc_layout_of_a_created_object_is_exactly_vnc_cassandras():
    store = ObjectStore(FakeDB())
    store.object_create('virtual_network', 'vn-u', {
        'fq_name': ['default-domain', 'admin', 'vn1'], 'parent_type': 'project',
        'parent_uuid': 'proj-u', 'id_perms': {'enable': True},
        'perms2': {'owner': 'x', 'global_access': 5, 'share': []},
        'annotations': {'key_value_pair': [{'key': 'k', 'value': 'v'}]},
        'network_ipam_refs': [{'to': ['d', 'p', 'ipam'], 'uuid': 'ipam-u', 'attr': {'a': 1}}]})
    rows = store.db.rows
    vn = rows[('obj_uuid_table', 'vn-u')]
    assert set(vn) == {'fq_name', 'type', 'parent_type', 'parent:project:proj-u', 'prop:id_perms',
                       'prop:perms2', 'propm:annotations:k', 'ref:network_ipam:ipam-u',
                       'META:latest_col_ts'}
    assert vn['ref:network_ipam:ipam-u'] == {'attr': {'a': 1}, 'is_weakref': False}
    assert 'children:virtual_network:vn-u' in rows[('obj_uuid_table', 'proj-u')]
    assert 'backref:virtual_network:vn-u' in rows[('obj_uuid_table', 'ipam-u')]
    assert rows[('obj_fq_name_table', 'virtual_network')] == {'default-domain:admin:vn1:vn-u': None}
    assert rows[('obj_shared_table', 'virtual_network')] == {'global::vn-u': 5}


class FakeDB(object):
    """In-memory stand-in for ConfigDB's row API (config_db_uuid only)."""

    def __init__(self):
        self.rows = {}

    def get_rows(self, _ks, cf, keys=None, column_prefix=None, decode=True):
        return {k: {c: v for c, v in cols.items() if c.startswith(column_prefix or '')}
                for (rcf, k), cols in self.rows.items() if rcf == cf and (keys is None or k in keys)}

    def get_row(self, ks, cf, key, column_prefix=None):
        return self.get_rows(ks, cf, [key], column_prefix).get(key, {})

    def batch_insert(self, _ks, cf, rows, encode=True):
        for key, cols in rows.items():
            self.rows.setdefault((cf, key), {}).update(cols)

    def insert(self, ks, cf, key, cols):
        self.batch_insert(ks, cf, {key: cols})

    def remove(self, _ks, cf, key, columns=None):
        for column in columns or list(self.rows.get((cf, key), {})):
            self.rows.get((cf, key), {}).pop(column, None)


# -- backends ---------------------------------------------------------------------------------
class DevBackend(object):
    """Host dev services; tools in-process with their log in tmp_path."""
    host, old, new = '127.0.0.1', 'devh4a', 'devh4b'

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.conf = write_conf(tmp_path, CONF_TEMPLATE.format(host=self.host, old=self.old,
                                                              new=self.new))
        self.threads = {}

    def run_tool(self, module, conf=None, capsys=None):
        log = str(self.tmp / ('%s.log' % module.__name__.rsplit('.', 1)[1]))
        main = functools.partial(zk_sync.main, pause=0) if module is zk_sync else module.main
        rc = common.run_tool(main, log, ['-c', conf or self.conf])
        out = capsys.readouterr().out if capsys else ''
        return rc, out, open(log).read()

    def start_run_sync(self):
        self.run_log = str(self.tmp / 'run_sync.log')
        config.setup_logging(self.run_log)
        args, _ = config.parse_args(['-c', self.conf])
        sync = run_sync.RunSync(args)
        thread = threading.Thread(target=sync.run, daemon=True)
        thread.start()
        self.sync = sync

    def stop_run_sync(self, kill=False):
        """Stop the daemon; kill=True leaves its queue behind, like supervisor's stopsignal=KILL."""
        if kill:
            self.sync.shutdown = lambda: [side.close() for side in (self.sync.old, self.sync.new)]
        self.sync.stop.set()
        time.sleep(2 * run_sync.POLL_SECONDS + 0.5)

    def run_sync_log(self):
        return open(self.run_log).read()

    def cleanup(self):
        """Delete the queues the tools and the tests declared in the test vhosts."""
        args, _ = config.parse_args(['-c', self.conf])
        for side, queues in (('old', ('vnc-config.issu-queue', 'issu-test-v1-probe')),
                             ('new', ('vnc-config.issu-queue', 'issu-test-v2-listener'))):
            rabbit = run_sync.RabbitSide(args, side, lambda *a, **k: None)
            rabbit.conn = run_sync.pika.BlockingConnection(rabbit.params)
            for queue in queues:
                rabbit.conn.channel().queue_delete(queue)
            rabbit.close()


class InProcessLabBackend(DevBackend):
    """lab-infra services, tools in-process (what CI runs: it has no host dev services)."""
    host, old, new = '10.99.0.10', 'issutesta', 'issutestb'


class LabBackend(DevBackend):
    """lab-infra services, tools run inside lab-v2-ctrl1 (real image and /usr/bin wrappers)."""
    host, old, new = '10.99.0.10', 'issutesta', 'issutestb'
    node = 'lab-v2-ctrl1'
    logs = {'pre_sync': config.PRE_SYNC_LOG, 'post_sync': config.POST_SYNC_LOG,
            'zk_sync': config.ZK_SYNC_LOG, 'run_sync': config.RUN_SYNC_LOG}

    def __init__(self, tmp_path):
        super().__init__(tmp_path)
        self.remote_conf = '/tmp/issu-test.conf'
        self.push_conf(self.conf)

    def push_conf(self, conf):
        with open(conf) as handle:
            podman('exec', '-i', self.node, 'sh', '-c', 'cat > %s' % self.remote_conf,
                   input=handle.read())

    def _log_size(self, name):
        out = podman('exec', self.node, 'sh', '-c', 'cat %s 2>/dev/null | wc -c' % self.logs[name])
        return int(out.stdout.strip() or 0)

    def _log_since(self, name, size):
        return podman('exec', self.node, 'sh', '-c', 'tail -c +%d %s' % (size + 1, self.logs[name])
                      ).stdout

    def run_tool(self, module, conf=None, capsys=None):
        name = module.__name__.rsplit('.', 1)[1]
        if conf:
            self.push_conf(conf)
        size = self._log_size(name)
        proc = podman('exec', self.node, '/usr/bin/contrail-issu-' + name.replace('_', '-'),
                      '-c', self.remote_conf, check=False)
        if conf:
            self.push_conf(self.conf)
        return proc.returncode, proc.stdout, self._log_since(name, size)

    def start_run_sync(self):
        self.run_size = self._log_size('run_sync')
        podman('exec', '-d', self.node, 'sh', '-c', 'echo $$ > /tmp/issu-test-run-sync.pid; '
               'exec /usr/bin/contrail-issu-run-sync -c %s' % self.remote_conf)
        time.sleep(1)

    def stop_run_sync(self, kill=False):
        podman('exec', self.node, 'sh', '-c', 'kill -%s $(cat /tmp/issu-test-run-sync.pid)'
               % ('KILL' if kill else 'TERM'))
        time.sleep(1)

    def run_sync_log(self):
        return self._log_since('run_sync', self.run_size)

    @classmethod
    def vhosts(cls, present):
        """Create (once per module) or delete the test vhosts in lab-infra's RabbitMQ."""
        for vhost in (cls.old, cls.new):
            if present:
                podman('exec', 'lab-infra', 'rabbitmqctl', 'add_vhost', vhost, check=False)
                podman('exec', 'lab-infra', 'rabbitmqctl', 'set_permissions', '-p', vhost,
                       'guest', '.*', '.*', '.*')
            else:
                podman('exec', 'lab-infra', 'rabbitmqctl', 'delete_vhost', vhost, check=False)


def podman(*argv, check=True, input=None):
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(os.path.dirname(__file__), '..',
                                                        'containers.conf'))
    return subprocess.run(('podman',) + argv, check=check, capture_output=True, text=True,
                          input=input, env=env, timeout=120)


@pytest.fixture(scope='module')
def lab_vhosts(lab):
    LabBackend.vhosts(present=True)
    yield
    LabBackend.vhosts(present=False)


IN_PROCESS = pytest.param('in-process', marks=() if DEV else pytest.mark.lab)
IN_LAB = pytest.param('lab', marks=pytest.mark.lab)


@pytest.fixture(params=[IN_PROCESS, IN_LAB])
def env(request, tmp_path):
    """An empty old and new cluster (config DB, ZooKeeper, RabbitMQ queues) and a tool runner."""
    if request.param == 'lab':
        backend_class = LabBackend
    else:
        backend_class = DevBackend if DEV else InProcessLabBackend
    if backend_class is not DevBackend:
        request.getfixturevalue('lab_vhosts')
    backend = backend_class(tmp_path)
    backend.dsn = configdb.dsn_from_server_list(backend.host + ':9160')
    backend.olddb = configdb.ConfigDB(backend.dsn, backend.old)
    backend.newdb = configdb.ConfigDB(backend.dsn, backend.new)
    zk = KazooClient(hosts=backend.host + ':2181')
    zk.start(timeout=10)
    backend.zk = zk

    def clean(recreate=True):
        for db in (backend.olddb, backend.newdb):
            db.drop_keyspaces()
            if recreate:
                db.ensure_keyspaces()
        for prefix in (backend.old, backend.new):
            zk.delete('/' + prefix, recursive=True)
    clean()
    yield backend
    if getattr(backend, 'sync', None) is not None or hasattr(backend, 'run_size'):
        try:
            backend.stop_run_sync()
        except Exception:
            pass
    clean(recreate=False)
    backend.cleanup()
    zk.stop()
    backend.olddb.close()
    backend.newdb.close()



# -- helpers ---------------------------------------------------------------------------------
def dump(db, keyspaces=None):
    return {(ks, cf): dict(db.get_range(ks, cf, decode=False))
            for ks, cf in ALL_CFS if keyspaces is None or ks in keyspaces}


def fill_every_keyspace(db, tag):
    """A row in every CF, with a column that differs between clusters and one shared row."""
    for ks, cf in ALL_CFS:
        db.insert(ks, cf, 'shared-row', {'common': 'from-%s' % tag, 'only-%s' % tag: 1})
        db.insert(ks, cf, 'row-%s' % tag, {'c': tag})


def wait_for(predicate, timeout=15.0, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError('timed out waiting for %s' % predicate)


# -- pre-sync / post-sync -----------------------------------------------------------------
def test_pre_sync_mirrors_every_keyspace_old_wins_new_only_pruned(env, capsys):
    fill_every_keyspace(env.olddb, 'old')
    fill_every_keyspace(env.newdb, 'new')
    rc, out, log = env.run_tool(pre_sync, capsys=capsys)
    assert rc == 0
    assert dump(env.newdb) == dump(env.olddb)
    assert dump(env.newdb)[('useragent', 'useragent_keyval_table')]['shared-row'] == {
        'common': '"from-old"', 'only-old': '1'}
    done = ['Done syncing Configdb uuid', 'Done syncing bgp keyspace',
            'Done syncing useragent keyspace', 'Done syncing svc-monitor keyspace',
            'Done syncing dm keyspace']
    assert out.split() == ' '.join(done).split()
    assert [line.split(' SYS_INFO ', 1)[1] for line in log.splitlines()
            if line.split(' SYS_INFO ', 1)[-1] in done] == done
    assert 'Pruning New DB' in log
    rc, _, _ = env.run_tool(pre_sync, capsys=capsys)  # idempotent
    assert rc == 0 and dump(env.newdb) == dump(env.olddb)


def test_post_sync_mirrors_all_but_config_db_uuid(env, capsys):
    fill_every_keyspace(env.olddb, 'old')
    fill_every_keyspace(env.newdb, 'new')
    before = dump(env.newdb, ['config_db_uuid'])
    rc, out, _ = env.run_tool(post_sync, capsys=capsys)
    assert rc == 0
    others = [ks for ks in configdb.KEYSPACES if ks != 'config_db_uuid']
    assert dump(env.newdb, others) == dump(env.olddb, others)
    assert dump(env.newdb, ['config_db_uuid']) == before != dump(env.olddb, ['config_db_uuid'])
    assert 'Done syncing Configdb uuid' not in out and 'Done syncing dm keyspace' in out


def test_pre_sync_fails_when_db_is_unreachable_or_value_quoted(env, tmp_path, capsys):
    text = open(env.conf).read()
    quoted = text.replace('old_cassandra_address_list=%s:9160' % env.host,
                          'old_cassandra_address_list="%s:9160"' % env.host)
    rc, _, log = env.run_tool(pre_sync, write_conf(tmp_path, quoted), capsys)
    assert rc == 1 and 'SYS_ERR OperationalError' in log
    bad_host = text.replace('old_cassandra_address_list=%s' % env.host,
                            'old_cassandra_address_list=127.0.0.9')
    rc, _, _ = env.run_tool(pre_sync, write_conf(tmp_path, bad_host), capsys)
    assert rc == 1


# -- zk-sync ---------------------------------------------------------------------------------
def zk_tree(zk, path):
    value, _ = zk.get(path)
    return {'value': value, 'children': {c: zk_tree(zk, path + '/' + c)
                                         for c in sorted(zk.get_children(path))}}


def test_zk_sync_replaces_exactly_the_three_subtrees(env, capsys):
    zk, old, new = env.zk, '/' + env.old, '/' + env.new
    zk.create(old + '/fq-name-to-uuid/virtual_network:default-domain:admin:vn1', b'uuid-1',
              makepath=True)
    zk.create(old + '/id/virtual-networks/0000000004', b'default-domain:admin:vn1', makepath=True)
    zk.create(old + '/id/bgp/route-targets/0008000001', b'ri-1', makepath=True)
    zk.create(old + '/api-server/subnets/vn1:10.1.0.0/16/0167837697', b'iip-1', makepath=True)
    zk.create(old + '/schema-transformer/leader', b'old-only', makepath=True)
    zk.create(new + '/id/virtual-networks/0000000009', b'stale-v2-alloc', makepath=True)
    zk.create(new + '/fq-name-to-uuid/virtual_network:stale', b'x', makepath=True)
    zk.create(new + '/api-server-election/lock', b'keep-me', makepath=True)
    rc, _, log = env.run_tool(zk_sync, capsys=capsys)
    assert rc == 0, log
    for name in config.ZNODE_LIST:
        assert zk_tree(zk, new + '/' + name) == zk_tree(zk, old + '/' + name)
    assert zk.get(new + '/api-server-election/lock')[0] == b'keep-me'
    assert not zk.exists(new + '/schema-transformer')
    assert 'SYS_INFO Issu contrail zookeeper passed...' in log
    assert 'deleted paths' + new + '/id' in log


@pytest.mark.parametrize('env', [IN_PROCESS], indirect=True)   # inspects the tool's objects
def test_zk_sync_compare_reports_failure(env):
    zk, old, new = env.zk, '/' + env.old, '/' + env.new
    zk.create(old + '/id/virtual-networks/0000000001', b'a', makepath=True)
    args, _ = config.parse_args(['-c', env.conf])
    logged = []
    issu = zk_sync.ZkIssu(args, log=lambda m, level='SYS_INFO': logged.append(m), pause=0)
    assert issu.run() is True
    zk.create(new + '/id/extra', b'', makepath=True)
    issu.old.start()
    issu.new.start()
    try:
        assert issu.compare(old + '/', new + '/') is False
    finally:
        issu.old.stop()
        issu.new.stop()
    assert logged[-1] == 'Issu contrail zookeeper failed...'


# -- run-sync --------------------------------------------------------------------------------
class V1Api(object):
    """What a v1 API server does on a write: the DB row first, then the RabbitMQ notification."""

    def __init__(self, env):
        self.store = ObjectStore(env.olddb)
        self.rabbit = run_sync.RabbitSide(config.parse_args(['-c', env.conf])[0], 'old', lambda *a, **k: None)
        self.rabbit.q_name = 'issu-test-v1-probe'
        self.rabbit.connect()

    def publish(self, msg):
        self.rabbit.publish(msg)

    def create(self, obj_type, fq_name, parent_type=None, parent_uuid=None, **props):
        obj_uuid = str(uuid.uuid4())
        obj = dict(props, fq_name=fq_name, uuid=obj_uuid, id_perms={'enable': True},
                   perms2={'owner': 'cloud-admin', 'owner_access': 7, 'global_access': 0,
                           'share': []})
        if parent_type:
            obj.update(parent_type=parent_type, parent_uuid=parent_uuid)
        self.store.object_create(obj_type, obj_uuid, obj)
        self.publish({'oper': 'CREATE', 'type': obj_type, 'uuid': obj_uuid,
                      'imid': 'contrail:%s:%s' % (obj_type.replace('_', '-'), ':'.join(fq_name)),
                      'obj_dict': obj})
        return obj_uuid

    def update(self, obj_type, obj_uuid, **props):
        self.store.object_update(obj_type, obj_uuid, props)
        self.publish({'oper': 'UPDATE', 'type': obj_type, 'uuid': obj_uuid})  # 3.2: no fq_name

    def delete(self, obj_type, obj_uuid):
        obj = self.store.object_read(obj_type, obj_uuid)
        self.store.object_delete(obj_type, obj_uuid)
        self.publish({'oper': 'DELETE', 'type': obj_type, 'uuid': obj_uuid, 'obj_dict': obj})


class V2Listener(object):
    """A consumer of v2's vnc_config.object-update exchange (what v2's daemons would see)."""

    def __init__(self, env):
        self.rabbit = run_sync.RabbitSide(config.parse_args(['-c', env.conf])[0], 'new', lambda *a, **k: None)
        self.rabbit.q_name = 'issu-test-v2-listener'
        self.rabbit.connect()

    def messages(self):
        got = []
        while True:
            method, _, body = self.rabbit.channel.basic_get(self.rabbit.q_name, auto_ack=True)
            if method is None:
                return got
            got.append(json.loads(body))


def v2_row(env, obj_uuid):
    return env.newdb.get_row('config_db_uuid', 'obj_uuid_table', obj_uuid)


def test_run_sync_applies_create_update_delete_and_republishes(env):
    v1, v2 = V1Api(env), V2Listener(env)
    proj = v1.create('project', ['default-domain', 'admin'], 'domain', str(uuid.uuid4()))
    env.start_run_sync()
    wait_for(lambda: v2_row(env, proj))  # initial config_db_uuid copy
    assert 'Start Compute upgrade...' in wait_for(env.run_sync_log)
    ipam = v1.create('network_ipam', ['default-domain', 'admin', 'ipam1'], 'project', proj)
    vn = v1.create('virtual_network', ['default-domain', 'admin', 'vn1'], 'project', proj,
                   network_ipam_refs=[{'to': ['default-domain', 'admin', 'ipam1'],
                                       'attr': {'ipam_subnets': []}}])
    row = wait_for(lambda: v2_row(env, vn))
    assert row['fq_name'] == ['default-domain', 'admin', 'vn1']
    assert 'ref:network_ipam:%s' % ipam in row
    assert 'backref:virtual_network:%s' % vn in v2_row(env, ipam)
    assert 'children:virtual_network:%s' % vn in v2_row(env, proj)
    assert env.newdb.get_row('config_db_uuid', 'obj_fq_name_table', 'virtual_network') == {
        'default-domain:admin:vn1:%s' % vn: None}

    v1.update('virtual_network', vn, display_name='renamed')
    wait_for(lambda: v2_row(env, vn).get('prop:display_name') == 'renamed')
    v1.publish({'oper': 'UPDATE', 'type': 'virtual-network', 'uuid': str(uuid.uuid4())})  # unknown
    v1.delete('virtual_network', vn)
    wait_for(lambda: not v2_row(env, vn))
    assert 'backref:virtual_network:%s' % vn not in v2_row(env, ipam)
    assert 'children:virtual_network:%s' % vn not in v2_row(env, proj)

    seen = wait_for(lambda: [m for m in v2.messages() if m.get('uuid') == vn] or None)
    seen += [m for m in v2.messages() if m.get('uuid') == vn]
    assert [m['oper'] for m in seen] == ['CREATE', 'UPDATE', 'DELETE']
    assert seen[1]['fq_name'] == ['default-domain', 'admin', 'vn1']  # filled from the v2 DB
    log = env.run_sync_log()
    assert 'SYS_ERR' in log  # the unknown uuid: only logged, the DELETE after it still applied
    assert log.index('Config sync initiated...') < log.index('Config sync done...') < \
        log.index('Started runtime sync...') < log.index('Start Compute upgrade...')


def test_run_sync_loses_its_queue_while_down_only_config_db_uuid_recopied(env):
    v1, v2 = V1Api(env), V2Listener(env)
    proj = v1.create('project', ['default-domain', 'admin'], 'domain', str(uuid.uuid4()))
    env.start_run_sync()
    wait_for(lambda: v2_row(env, proj))
    env.stop_run_sync(kill=True)  # supervisor's stopsignal=KILL: the queue stays, unconsumed
    v2.messages()

    down_vn = v1.create('virtual_network', ['default-domain', 'admin', 'down'], 'project', proj)
    ghost = str(uuid.uuid4())  # a notification whose DB write v1 never made
    v1.publish({'oper': 'CREATE', 'type': 'virtual_network', 'uuid': ghost,
                'fq_name': ['default-domain', 'admin', 'ghost'],
                'obj_dict': {'fq_name': ['default-domain', 'admin', 'ghost'],
                             'parent_type': 'project', 'parent_uuid': proj}})
    env.olddb.insert('to_bgp_keyspace', 'route_target_table', 'default-domain:admin:down:down',
                     {'rtgt_num': 8000009})
    wait_for(lambda: v1.rabbit.channel.queue_declare(
        'vnc-config.issu-queue', passive=True).method.message_count == 2)  # queued while down

    env.start_run_sync()
    wait_for(lambda: v2_row(env, down_vn))  # config_db_uuid re-copied on reconnect...
    time.sleep(2)
    assert not v2_row(env, ghost)  # ...but the queued messages were dropped with the queue
    assert [m for m in v2.messages() if m.get('uuid') in (down_vn, ghost)] == []
    assert not env.newdb.get_row('to_bgp_keyspace', 'route_target_table',
                                 'default-domain:admin:down:down')  # other keyspaces: post-sync


@pytest.mark.parametrize('env', [IN_PROCESS], indirect=True)   # log timing: in-process only
def test_run_sync_recopies_after_a_message_that_breaks_the_drain_loop(env):
    v1 = V1Api(env)
    env.start_run_sync()
    wait_for(lambda: 'Start Compute upgrade...' in env.run_sync_log())
    v1.publish({'oper': 'CREATE', 'uuid': 'no-type'})
    wait_for(lambda: env.run_sync_log().count('Config sync initiated...') == 2)
    assert 'Error in rabbitmq drainer greenlet' in env.run_sync_log()
