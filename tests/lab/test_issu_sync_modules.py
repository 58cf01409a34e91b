# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""issu_conf, issu_sync, issu_run_sync, config_service_hold, control_node_reinit on lab-v2-ctrl1.

Each test renders the conf it needs (``rendered_conf``) and leaves run-sync stopped and the v2
config services released, as it found them.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # sync_fixtures.py is beside us
# pylint: disable-next=unused-import
from sync_fixtures import V1_API, V2_API, lab_run, unique, v1_objects  # noqa: E402,F401
from lab_fixtures import V1 as V1_CONNECTION, V2 as V2_CONNECTION  # noqa: E402

pytestmark = pytest.mark.lab

V2 = 'lab-v2-ctrl1'
CONF = '/etc/contrail/contrail-issu.conf'
HELD = ['contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager']
SECRET = 'ssh pass%word'


def node_text(lab, node, *cmd):
    return lab.exec(node, *cmd, check=False).stdout


def conf_args(lab):
    return dict(old=dict(api_conf_content=node_text(lab, 'lab-v1-ctrl1', 'cat',
                                                    '/etc/contrail/contrail-api.conf')),
                new=dict(api_conf='/etc/contrail/contrail-api.conf'),
                new_api_info=[dict(host='10.99.0.21', password=SECRET)])


def poll(probe, timeout=30, interval=0.5):
    """The value of ``probe()`` once truthy, else the last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    return value


def create_vn(v1_objects, name):
    return v1_objects('virtual-network', dict(
        fq_name=['default-domain', 'default-project', name], parent_type='project'))


def supervisor_states(lab, socket='/var/run/supervisord_config.sock'):
    out = node_text(lab, V2, 'supervisorctl', '-s', 'unix://' + socket, 'status')
    return dict(line.split()[:2] for line in out.splitlines() if len(line.split()) >= 2)


@pytest.fixture
def rendered_conf(lab, lab_run):
    """contrail-issu.conf on lab-v2-ctrl1 (the lab may have been recreated since it was)."""
    result = lab_run('issu_conf', conf_args(lab))
    assert not result.get('failed'), result.get('msg')
    return CONF


@pytest.fixture
def run_sync_stopped(lab_run):
    """run-sync absent before and after the test (it would relay v1 writes by itself)."""
    assert not lab_run('issu_run_sync', dict(state='absent')).get('failed')
    yield
    lab_run('issu_run_sync', dict(state='absent'))


# -- issu_conf ---------------------------------------------------------------------------------

def test_conf_check_mode_then_render_then_idempotent(lab, lab_run):
    lab.exec(V2, 'rm', '-f', CONF)
    args = conf_args(lab)
    checked = lab_run('issu_conf', args, check=True)
    assert checked['changed'] and not checked.get('failed')
    assert lab.exec(V2, 'test', '-e', CONF, check=False).returncode != 0
    shown = lab_run('issu_conf', args, diff=True, raw=True)
    assert 'old_rabbit_vhost=v1' in shown and 'odb_prefix=v1' in shown and 'ndb_prefix=v2' in shown
    assert SECRET not in shown and 'ssh pass' not in shown and '********' in shown
    assert node_text(lab, V2, 'stat', '-c', '%a', CONF).strip() == '600'
    text = node_text(lab, V2, 'cat', CONF)
    assert "new_api_info={'10.99.0.21': ['root', 'ssh pass%%word']}" in text
    again = lab_run('issu_conf', args)
    assert again['changed'] is False and again['values']['new_rabbit_vhost'] == 'v2'


def test_conf_refuses_an_unrepresentable_value(lab, lab_run):
    before = node_text(lab, V2, 'cat', CONF)
    args = dict(conf_args(lab), extra=dict(old_rabbit_q_name='a ;b'))
    result = lab_run('issu_conf', args)
    assert result['failed'] and "' ;'" in result['msg']
    assert node_text(lab, V2, 'cat', CONF) == before


# -- issu_sync ---------------------------------------------------------------------------------

def test_pre_sync_mirrors_v1_into_v2(lab, lab_run, v1_objects, run_sync_stopped, rendered_conf):
    vn = create_vn(v1_objects, unique('h9-presync'))
    assert V2_API.call('GET', '/virtual-network/%s' % vn) is None
    log = '/var/log/contrail/issu_contrail_pre_sync.log'
    size = node_text(lab, V2, 'stat', '-c', '%s', log).strip()
    checked = lab_run('issu_sync', dict(tool='pre'), check=True)
    assert checked['changed'] and 'rc' not in checked
    assert node_text(lab, V2, 'stat', '-c', '%s', log).strip() == size
    result = lab_run('issu_sync', dict(tool='pre'))
    assert not result.get('failed'), result.get('msg')
    assert result['keyspaces_synced'] == ['config_db_uuid', 'to_bgp_keyspace', 'useragent',
                                          'svc_monitor_keyspace', 'dm_keyspace']
    assert result['log_tail'][-1].endswith('Done syncing dm keyspace')
    assert poll(lambda: V2_API.call('GET', '/virtual-network/%s' % vn), timeout=15)


def test_post_and_zk_sync_report_their_success_lines(lab_run, run_sync_stopped, rendered_conf):
    post = lab_run('issu_sync', dict(tool='post'))
    assert not post.get('failed') and 'config_db_uuid' not in post['keyspaces_synced']
    zk = lab_run('issu_sync', dict(tool='zk'))
    assert not zk.get('failed'), zk.get('msg')
    assert any('zookeeper passed' in line for line in zk['log_tail'])


def test_final_sync_runs_post_sync_the_zookeeper_pass_and_gate_2(lab, lab_run, v1_objects,
                                                                 run_sync_stopped, rendered_conf):
    # v2 a mirror of v1 (pre-sync) and v1's config kept on the v2 node, as finalize's gate 1
    # leaves them; the v1 API's own client writes the dump here (config_backup).
    # The state record at the point of no return, where the module dates its milestones.
    dump, record = '/tmp/itest-v1-final-config.json', '/tmp/itest-state/state.json'
    try:
        for phase in ('starting', 'started', 'finalizing'):
            assert not lab_run('issu_state', dict(path=record, phase=phase)).get('failed')
        assert not lab_run('issu_sync', dict(tool='pre')).get('failed')
        saved = lab_run('config_backup', dict(V1_CONNECTION, path=dump))
        assert not saved.get('failed'), saved.get('msg')
        result = lab_run('issu_final_sync', dict(V2_CONNECTION, verify=dump, state_path=record))
        assert not result.get('failed'), result.get('msg')
        assert result['state']['operation']['behind'] == ['synced'], result['state']
        assert list(lab_run('issu_state', dict(path=record))['record']['steps']) == ['synced']
        assert result['post_sync']['keyspaces_synced'] == ['to_bgp_keyspace', 'useragent',
                                                           'svc_monitor_keyspace', 'dm_keyspace']
        assert result['zk_sync']['equal'] and result['verify']['equal'], result
        assert result['verify']['objects'] == saved['objects']

        # A v1 write that v2 lacks fails gate 2, which names it; the passes still run.
        vn = create_vn(v1_objects, unique('final-sync'))
        assert not lab_run('config_backup', dict(V1_CONNECTION, path=dump)).get('failed')
        failed = lab_run('issu_final_sync', dict(V2_CONNECTION, verify=dump, zk_sync='tool',
                                                 state_path=record, state_steps=['synced', 'switched']))
        assert failed['failed'] and failed['msg'].startswith('the final sync failed - gate 2: '), failed
        assert list(lab_run('issu_state', dict(path=record))['record']['steps']) == ['synced']
        assert vn in [obj['uuid'] for obj in failed['verify']['missing']], failed['verify']
        assert failed['post_sync']['rc'] == 0 and failed['zk_sync']['rc'] == 0, failed
        assert any('zookeeper passed' in line for line in failed['zk_sync']['log_tail'])
    finally:
        lab.exec(V2, 'rm', '-rf', dump, dump + '.sha256', os.path.dirname(record), check=False)


def zk_tree(side, names=('fq-name-to-uuid', 'api-server', 'id')):
    """{path under the prefix: value} of the ISSU subtrees, one znode at a time (kazoo)."""
    from kazoo.client import KazooClient
    hosts, base = side
    client = KazooClient(hosts=hosts)
    client.start(timeout=10)
    try:
        tree, todo = {}, ['/' + name for name in names if client.exists(base + '/' + name)]
        while todo:
            path = todo.pop()
            tree[path] = client.get(base + path)[0]
            todo.extend(path + '/' + child for child in client.get_children(base + path))
        return tree
    finally:
        client.stop()


@pytest.fixture
def zk_sides(lab, rendered_conf):
    """(hosts, base) of v1 and of v2 from the rendered conf; the test's znodes go afterwards."""
    conf = dict((key.strip(), value.strip()) for key, value in (
        line.split('=', 1) for line in node_text(lab, V2, 'cat', CONF).splitlines()
        if '=' in line and not line.startswith('#')))
    sides = ((conf['old_zookeeper_address_list'], '/' + conf['odb_prefix'].strip('/')),
             (conf['new_zookeeper_address_list'], '/' + conf['ndb_prefix'].strip('/')))
    yield sides
    from kazoo.client import KazooClient
    for hosts, base in sides:
        client = KazooClient(hosts=hosts)
        client.start(timeout=10)
        client.delete(base.rstrip('/') + '/id/issu-test', recursive=True)
        client.stop()


def test_zk_mirror_reaches_what_zk_sync_leaves_by_difference(lab_run, run_sync_stopped, zk_sides):
    from kazoo.client import KazooClient
    v1_side, v2_side = zk_sides
    v1_base, v2_base = v1_side[1].rstrip('/'), v2_side[1].rstrip('/')
    v1, v2 = KazooClient(hosts=v1_side[0]), KazooClient(hosts=v2_side[0])
    v1.start(timeout=10)
    v2.start(timeout=10)
    try:
        for i in range(30):
            v1.create(v1_base + '/id/issu-test/vn/%010d' % i, b'v1:%d' % i, makepath=True)
        v2.create(v2_base + '/id/issu-test/vn/%010d' % 3, b'allocated by v2', makepath=True)
        v2.create(v2_base + '/id/issu-test/v2-only/leaf', b'x', makepath=True)
    finally:
        v1.stop()
        v2.stop()

    checked = lab_run('issu_zk_mirror', {}, check=True, diff=True)
    assert not checked.get('failed'), checked.get('msg')
    assert checked['changed'] and not checked['equal']
    assert checked['deleted'] >= 2 and checked['updated'] >= 1 and checked['created'] >= 29
    assert v2_base + '/id/issu-test/vn/0000000003 = allocated by v2' in checked['diff']['before']
    assert '/id/issu-test/v2-only/leaf' in zk_tree(v2_side)

    result = lab_run('issu_zk_mirror', {})
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] and result['equal']
    v1_tree = zk_tree(v1_side)
    assert zk_tree(v2_side) == v1_tree and v1_tree['/id/issu-test/vn/0000000003'] == b'v1:3'

    again = lab_run('issu_zk_mirror', {})
    assert not again['changed'] and again['equal'], again

    # The official tool, run now, leaves exactly the same tree.
    tool = lab_run('issu_sync', dict(tool='zk'))
    assert not tool.get('failed'), tool.get('msg')
    assert zk_tree(v2_side) == v1_tree


def test_zk_mirror_bad_inputs_fail_clearly(lab_run, rendered_conf):
    missing = lab_run('issu_zk_mirror', dict(conf='/etc/contrail/none.conf'))
    assert missing['failed'] and 'issu_conf' in missing['msg']
    other = lab_run('issu_zk_mirror', dict(znodes=['svc-monitor']))
    assert other['failed'] and 'LP 1632799' in other['msg']


def test_sync_bad_inputs_fail_clearly(lab_run, rendered_conf):
    missing_conf = lab_run('issu_sync', dict(tool='pre', conf='/etc/contrail/none.conf'))
    assert missing_conf['failed'] and 'does not exist' in missing_conf['msg']
    no_tool = lab_run('issu_sync', dict(tool='pre'), host='lab-v1-ctrl1')
    assert no_tool['failed'] and 'contrail-config package' in no_tool['msg']
    no_time = lab_run('issu_sync', dict(tool='post', timeout=0))
    assert no_time['failed'] and 'timeout must be at least 1 second' in no_time['msg']


# -- issu_run_sync ----------------------------------------------------------------------------

def test_run_sync_relays_v1_writes_and_reports_restarts(lab, lab_run, v1_objects,
                                                        run_sync_stopped, rendered_conf):
    checked = lab_run('issu_run_sync', dict(state='present'), check=True, diff=True)
    assert checked['changed'] and not checked['running']
    # wait_for alone waits (the roles give no wait: true): run-sync binds its queue only after
    # its start-up work, so a module that returned at once would report it not bound yet.
    started = lab_run('issu_run_sync', dict(state='present', wait_for='bound', wait_timeout=60))
    assert not started.get('failed'), started.get('msg')
    assert started['running'] and started['progress'] in ('bound', 'synced')
    vn = create_vn(v1_objects, unique('h9-runsync'))
    assert poll(lambda: V2_API.call('GET', '/virtual-network/%s' % vn), timeout=30), \
        'a v1 write did not reach v2 while run-sync ran'
    since = time.time()
    again = lab_run('issu_run_sync', dict(state='present', since=since))
    assert again['changed'] is False and again['restarted_since'] is False
    restarted = lab_run('issu_run_sync', dict(state='restarted', since=since, wait_for='synced',
                                              wait_timeout=60))
    assert restarted['pid'] != started['pid'] and restarted['restarted_since'] is True
    assert restarted['progress'] == 'synced'
    assert any('were lost' in w for w in restarted.get('warnings', []))
    stopped = lab_run('issu_run_sync', dict(state='absent'))
    assert stopped['changed'] and not stopped['running']
    assert 'contrail-issu' not in supervisor_states(lab, '/var/run/supervisor.sock')
    assert lab_run('issu_run_sync', dict(state='absent'))['changed'] is False


# -- config_service_hold ----------------------------------------------------------------------

def test_hold_survives_supervisor_restart_then_release(lab, lab_run):
    try:
        checked = lab_run('config_service_hold', dict(state='held'), check=True)
        assert checked['changed'] and 'autostart=false' not in node_text(
            lab, V2, 'cat', '/etc/contrail/supervisord_config_files/contrail-schema.ini')
        held = lab_run('config_service_hold', dict(state='held'), diff=True)
        assert not held.get('failed'), held.get('msg')
        assert lab_run('config_service_hold', dict(state='held'))['changed'] is False
        lab.exec(V2, 'service', 'supervisor-config', 'restart')
        time.sleep(3)
        states = supervisor_states(lab)
        assert all(states[s] == 'STOPPED' for s in HELD + ['contrail-config-nodemgr']), states
        assert states['contrail-api:0'] in ('RUNNING', 'STARTING')
        status = lab.exec(V2, 'contrail-status', check=False)
        if status.returncode == 0:
            for service in HELD:
                assert '%s' % service in status.stdout and 'inactive' in [
                    line.split()[-1] for line in status.stdout.splitlines() if service in line][0]
    finally:
        released = lab_run('config_service_hold', dict(state='released'))
    assert not released.get('failed'), released.get('msg')
    assert poll(lambda: all(supervisor_states(lab).get(s) == 'RUNNING' for s in HELD),
                timeout=15), supervisor_states(lab)


# -- control_node_reinit ----------------------------------------------------------------------

def v2_neighbors():
    with urllib.request.urlopen('http://10.99.0.21:8083/Snh_BgpNeighborReq?x=', timeout=5) as r:
        return r.read().decode()


def test_reinit_makes_the_control_node_read_pre_synced_peers(lab, lab_run, v1_objects,
                                                             run_sync_stopped, rendered_conf):
    own = [r for r in V1_API.objects('bgp-router') if r['fq_name'][-1] == V2]
    if not own:
        v1_objects('bgp-router', dict(
            fq_name=['default-domain', 'default-project', 'ip-fabric', '__default__', V2],
            parent_type='routing-instance', bgp_router_parameters=dict(
                router_type='control-node', vendor='contrail', autonomous_system=64512,
                address='10.99.0.21', identifier='10.99.0.21', port=179, hold_time=90,
                address_families=dict(family=['inet-vpn']))))
    ghost = unique('h9-ghost')
    v1_objects('bgp-router', dict(
        fq_name=['default-domain', 'default-project', 'ip-fabric', '__default__', ghost],
        parent_type='routing-instance', bgp_router_parameters=dict(
            router_type='router', vendor='mx', autonomous_system=64512, address='10.99.0.199',
            identifier='10.99.0.199', port=179, hold_time=90,
            address_families=dict(family=['inet-vpn'])),
        bgp_router_refs=[dict(to=['default-domain', 'default-project', 'ip-fabric',
                                  '__default__', V2],
                              attr=dict(session=[dict(attributes=[dict(
                                  address_families=dict(family=['inet-vpn']))])]))]))
    assert not lab_run('issu_sync', dict(tool='pre')).get('failed')
    time.sleep(2)
    assert ghost not in v2_neighbors(), 'v2 control node saw a DB-only write without reinit'
    checked = lab_run('control_node_reinit', {}, check=True)
    assert checked['changed'] and checked['method'] == 'signal' and 'pid_after' not in checked
    result = lab_run('control_node_reinit', dict(wait=True, wait_timeout=60))
    assert not result.get('failed'), result.get('msg')
    assert result['pid_after'] == result['pid_before']
    assert poll(lambda: ghost in v2_neighbors(), timeout=20), 'ghost peer never appeared'


def test_reinit_by_restart_waits_for_a_new_process(lab_run):
    result = lab_run('control_node_reinit', dict(method='restart', wait=True, wait_timeout=90))
    assert not result.get('failed'), result.get('msg')
    assert result['method'] == 'restart' and result['pid_after'] != result['pid_before']
