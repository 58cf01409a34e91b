# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""issu_final_sync run as a task runs it (main(), options, check mode): post-sync and
contrail-issu-zk-sync are scripts on PATH that print what the real tools print, v2's config API
is held in memory, the ZooKeeper mirror is replaced where a test says so.

Each part waits (a few seconds at most) until the others have begun, and fails otherwise: a
module that ran them one after the other fails these tests. The module against the lab's real
tools, ZooKeeper and API: tests/lab/test_issu_sync_modules.py.
"""

from __future__ import annotations

import copy
import json
import os
import time

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.module_utils import config_dump, issu_state, issu_sync, zk_mirror
from ansible_collections.opencontrail.issu.plugins.modules import issu_final_sync as final_sync

CONFIG = {'virtual-network': [{'uuid': 'a1', 'fq_name': ['default-domain', 'admin', 'vn-a'],
                               'parent_type': 'project'}],
          'project': []}
WAIT = 5  # seconds a part waits for the others to begin

POST_SYNC = '''#!/bin/sh
touch "{world}/post-sync began"
for i in $(seq 1 {ticks}); do
  [ -e "{world}/zk began" ] && [ -e "{world}/gate 2 began" ] && break
  sleep 0.05
done
[ -e "{world}/zk began" ] && [ -e "{world}/gate 2 began" ] || {{ echo "ran alone"; exit 3; }}
echo "conf $2" >> "{log}"
for ks in bgp useragent svc-monitor dm; do echo "Done syncing $ks keyspace"; done
{extra}
'''
ZK_SYNC = '''#!/bin/sh
touch "{world}/zk began"
echo "Issu contrail zookeeper passed" >> "{log}"
'''


def wait_for(world, *names):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if all(os.path.exists(os.path.join(world, name)) for name in names):
            return
        time.sleep(0.05)
    raise AssertionError('%s never began beside this part' % ', '.join(names))


class V2Api:
    """v2's detail lists; listing marks that gate 2 began and waits for the passes."""

    def __init__(self, world, config):
        self.world, self.config = world, config

    def list(self, obj_type, detail=False, exclude_hrefs=False):
        open(os.path.join(self.world, 'gate 2 began'), 'w').close()
        wait_for(self.world, 'post-sync began', 'zk began')
        return copy.deepcopy(self.config.get(obj_type, []))


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Tools on PATH logging under tmp_path, the dump of CONFIG, v2's API serving ``site.v2``."""
    world, bin_dir = tmp_path / 'world', tmp_path / 'bin'
    world.mkdir()
    bin_dir.mkdir()
    logs = dict((name, str(tmp_path / ('%s.log' % name))) for name in ('post', 'zk'))
    tools = dict(issu_sync.TOOLS)
    for name in ('post', 'zk'):
        tools[name] = issu_sync.SyncTool(name, tools[name].command, logs[name],
                                         tools[name].success_lines, tools[name].failure_lines)
    monkeypatch.setattr(issu_sync, 'TOOLS', tools)
    monkeypatch.setenv('PATH', '%s:%s' % (bin_dir, os.environ['PATH']))
    conf = tmp_path / 'contrail-issu.conf'
    conf.write_text('[DEFAULTS]\nold_zookeeper_address_list=10.0.0.1:2181\n')
    dump = str(tmp_path / 'v1-config-final.json')
    config_dump.save_dump(dump, CONFIG, '10.0.0.1:8082')

    class Site:
        v2 = V2Api(str(world), CONFIG)
        args = dict(api_server_host='10.0.0.2', conf=str(conf), verify=dump)

        @staticmethod
        def tool(command, text):
            path = bin_dir / command
            path.write_text(text)
            path.chmod(0o755)

        @staticmethod
        def post_sync(extra=''):
            Site.tool('contrail-issu-post-sync', POST_SYNC.format(
                world=world, log=logs['post'], ticks=WAIT * 20, extra=extra))

        @staticmethod
        def began():
            return sorted(name for name in os.listdir(str(world)))

    monkeypatch.setattr(final_sync, 'VncClient', type('FakeVncClient', (), dict(
        from_params=classmethod(lambda cls, params: Site.v2))))
    Site.post_sync()
    Site.tool('contrail-issu-zk-sync', ZK_SYNC.format(world=world, log=logs['zk']))
    return Site


@pytest.fixture
def mirror(monkeypatch, site):
    """The ZooKeeper mirror: marks that it began, waits for the other two, returns its result
    (or raises what ``mirror.raises`` holds); ``mirror.calls`` has its arguments."""
    calls = []

    def fake(conf, names=zk_mirror.ZNODES, timeout=30, check=False, factory=None):
        calls.append(dict(conf=conf, timeout=timeout, check=check))
        open(os.path.join(str(site.v2.world), 'zk began'), 'w').close()
        wait_for(site.v2.world, 'post-sync began', 'gate 2 began')
        if fake.raises:
            raise fake.raises[0]
        return dict(changed=True, created=2, updated=0, deleted=0, equal=True, diff='x')

    fake.calls, fake.raises = calls, []
    monkeypatch.setattr(zk_mirror, 'HAS_KAZOO', True)
    monkeypatch.setattr(zk_mirror, 'mirror', fake)
    return fake


def run(args, capsys, check=False):
    with patch_module_args(dict(args, _ansible_check_mode=check)), pytest.raises(SystemExit):
        final_sync.main()
    result = json.loads(capsys.readouterr().out)
    result.pop('invocation', None)
    return result


def test_post_sync_the_zookeeper_mirror_and_gate_2_run_side_by_side(site, mirror, capsys):
    result = run(site.args, capsys)
    assert not result.get('failed'), result
    assert result['changed']
    assert result['post_sync']['rc'] == 0 and result['post_sync']['missing'] == []
    assert result['post_sync']['keyspaces_synced'] == ['to_bgp_keyspace', 'useragent',
                                                       'svc_monitor_keyspace', 'dm_keyspace']
    assert result['zk_sync'] == dict(changed=True, created=2, updated=0, deleted=0, equal=True)
    assert result['verify']['equal'] and result['verify']['objects'] == 1
    assert result['allowed_extra'] == []
    assert mirror.calls == [dict(conf={'old_zookeeper_address_list': '10.0.0.1:2181'},
                                 timeout=30, check=False)]
    assert set(result['durations']) == {'post_sync', 'zk_sync', 'verify'}
    assert result['duration'] < sum(result['durations'].values())


def test_the_zookeeper_tool_instead_of_the_mirror(site, mirror, capsys):
    result = run(dict(site.args, zk_sync='tool'), capsys)
    assert not result.get('failed'), result
    assert result['zk_sync']['rc'] == 0 and result['zk_sync']['missing'] == []
    assert result['zk_sync']['cmd'][-3].endswith('/contrail-issu-zk-sync')
    assert result['zk_sync']['cmd'][-2:] == ['-c', site.args['conf']]
    assert mirror.calls == []


def test_every_failure_is_told_with_every_result(site, mirror, capsys):
    site.post_sync(extra='echo "SYS_ERR cannot reach cassandra"; exit 1')
    mirror.raises.append(zk_mirror.ZkMirrorError('1 znode(s) of v2 still differ from v1'))
    site.v2.config = dict(CONFIG, project=[{'uuid': 'p9', 'fq_name': ['default-domain', 'v2-only']}])
    result = run(site.args, capsys)
    assert result['failed']
    assert result['msg'].startswith('the final sync failed - post-sync: contrail-issu-post-sync '
                                    'exited with 1'), result['msg']
    assert '; the ZooKeeper pass: 1 znode(s) of v2 still differ from v1' in result['msg']
    assert "; gate 2: v2's config differs from v1's final config %s: " % site.args['verify'] in result['msg']
    assert 'SYS_ERR cannot reach cassandra' in result['post_sync']['errors']
    assert result['verify']['totals']['extra'] == 1 and not result['verify']['equal']
    assert 'msg' not in result['post_sync'] and 'msg' not in result['verify']


def test_check_mode_runs_no_tool_and_writes_nothing(site, mirror, capsys):
    site.tool('contrail-issu-post-sync', '#!/bin/sh\ntouch "%s/post-sync ran"\n' % site.v2.world)
    open(os.path.join(site.v2.world, 'post-sync began'), 'w').close()   # gate 2 need not wait
    result = run(site.args, capsys, check=True)
    assert not result.get('failed'), result
    assert result['changed'] and result['post_sync'] == dict(changed=True)
    assert mirror.calls[0]['check'] is True and result['verify']['equal']
    assert 'post-sync ran' not in site.began()


@pytest.mark.parametrize('args, message', [
    (dict(timeout=0), 'timeout must be at least 1 second, got 0'),
    (dict(conf='/nonexistent/contrail-issu.conf'), 'conf file /nonexistent/contrail-issu.conf does not exist'),
    (dict(conf='/tmp/a b.conf'), 'contains white space'),
])
def test_bad_input_fails_before_any_part_begins(site, mirror, capsys, args, message):
    result = run(dict(site.args, **args), capsys)
    assert result['failed'] and message in result['msg'], result
    assert site.began() == [] and mirror.calls == []


def test_a_missing_tool_or_kazoo_fails_before_any_part_begins(site, mirror, capsys, monkeypatch):
    os.unlink(os.path.join(os.path.dirname(site.args['conf']), 'bin', 'contrail-issu-zk-sync'))
    result = run(dict(site.args, zk_sync='tool'), capsys)
    assert result['failed'] and 'contrail-issu-zk-sync is not installed' in result['msg'], result
    monkeypatch.setattr(zk_mirror, 'HAS_KAZOO', False)
    result = run(site.args, capsys)
    assert result['failed'] and 'kazoo' in result['msg'], result
    assert site.began() == [] and mirror.calls == []


def test_a_dump_that_does_not_match_its_checksum_fails_gate_2(site, mirror, capsys):
    with open(site.args['verify'], 'a') as handle:
        handle.write(' ')
    open(os.path.join(site.v2.world, 'gate 2 began'), 'w').close()   # it fails before listing
    result = run(site.args, capsys)
    assert result['msg'].startswith('the final sync failed - gate 2: checksum mismatch for %s'
                                    % site.args['verify']), result
    assert result['post_sync']['rc'] == 0 and result['zk_sync']['equal']


@pytest.fixture
def record(tmp_path):
    """A state record at the point of no return (finalizing, nothing behind): its path."""
    path = str(tmp_path / 'state' / 'state.json')
    os.makedirs(os.path.dirname(path))
    state = issu_state.empty_record()
    for phase in ('starting', 'started', 'finalizing'):
        state = issu_state.plan(state, phase=phase)
    issu_state.save(path, state)
    return path


def steps_of(path):
    return sorted(issu_state.load(path)['steps'])


def test_a_sync_that_succeeded_dates_its_milestones_as_the_state_role(site, mirror, record, capsys):
    result = run(dict(site.args, state_path=record, state_steps=['synced', 'switched']), capsys)
    assert not result.get('failed'), result
    assert steps_of(record) == ['switched', 'synced']
    assert result['state']['phase'] == 'finalizing'
    assert result['state']['operation']['behind'] == ['synced', 'switched']
    assert result['state']['operation']['northbound_may_open'] is True
    assert result['state']['record']['steps'] == issu_state.load(record)['steps']


def test_a_failed_sync_records_nothing(site, mirror, record, capsys):
    mirror.raises.append(zk_mirror.ZkMirrorError('1 znode(s) of v2 still differ from v1'))
    result = run(dict(site.args, state_path=record), capsys)
    assert result['failed'] and 'state' not in result, result
    assert steps_of(record) == []


def test_check_mode_answers_without_writing_the_record(site, mirror, record, capsys):
    open(os.path.join(site.v2.world, 'post-sync began'), 'w').close()   # gate 2 need not wait
    result = run(dict(site.args, state_path=record), capsys, check=True)
    assert not result.get('failed'), result
    assert result['state']['operation']['behind'] == ['synced']
    assert steps_of(record) == []


@pytest.mark.parametrize('phase, steps, message', [
    ('new', ['synced'], 'playbooks/issu_finalize.yml needs the ISSU in phase'),
    ('finalizing', ['switched'], 'switched cannot be recorded before synced'),
])
def test_a_record_that_refuses_the_milestones_fails_before_any_part_begins(
        site, mirror, tmp_path, capsys, phase, steps, message):
    path = str(tmp_path / 'refusing.json')
    state = issu_state.empty_record()
    for step in ('starting', 'started', 'finalizing') if phase == 'finalizing' else ():
        state = issu_state.plan(state, phase=step)
    issu_state.save(path, state)
    result = run(dict(site.args, state_path=path, state_steps=steps), capsys)
    assert result['failed'] and message in result['msg'], result
    assert result['msg'].startswith('the final sync cannot be recorded in %s: ' % path), result['msg']
    assert site.began() == [] and mirror.calls == []
