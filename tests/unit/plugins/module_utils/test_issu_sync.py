# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrail-issu.conf mapping/quoting, success-line checks and run-sync log reading."""

from __future__ import annotations

import ast
import configparser
import os
import time

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_sync as iss
from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import SupervisorCtl

V1_API_CONF = """\
[DEFAULTS]
cassandra_server_list=10.0.0.11:9160 10.0.0.12:9160
zk_server_ip=10.0.0.11:2181,10.0.0.12:2181
rabbit_server=10.0.0.11,10.0.0.12
rabbit_port=5673
rabbit_user=openstack
rabbit_password=s3cret
rabbit_vhost=/
rabbit_ha_mode=False
cluster_id=v1
listen_port=8082
"""


def tool_parser(text):
    """The real tool's reading: SafeConfigParser (interpolation on), ' ;' inline comments."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(';',))
    parser.read_string(text)
    return dict(parser.items('DEFAULTS'))


# -- mapping ----------------------------------------------------------------------------------

def test_api_conf_maps_to_fab_generate_conf_keys():
    values = iss.side_from_api_conf(V1_API_CONF, 'old')
    assert values == {
        'old_cassandra_address_list': '10.0.0.11:9160 10.0.0.12:9160',
        'old_zookeeper_address_list': '10.0.0.11:2181,10.0.0.12:2181',
        'old_rabbit_address_list': '10.0.0.11,10.0.0.12',
        'old_rabbit_port': '5673', 'old_rabbit_user': 'openstack',
        'old_rabbit_password': 's3cret', 'old_rabbit_vhost': '/',
        'old_rabbit_ha_mode': False, 'odb_prefix': 'v1',
    }


def test_new_side_uses_ndb_prefix_and_absent_keys_stay_absent():
    values = iss.side_from_api_conf('[DEFAULTS]\ncluster_id=v2\nrabbit_server=10.0.0.21\n', 'new')
    assert values == {'ndb_prefix': 'v2', 'new_rabbit_address_list': '10.0.0.21'}


def test_api_conf_without_defaults_is_refused():
    with pytest.raises(iss.ConfError, match='no \\[DEFAULTS\\]'):
        iss.side_from_api_conf('[KEYSTONE]\nauth_host=x\n', 'old')


def test_params_join_lists_as_the_tool_splits_them():
    values = iss.side_from_params(dict(cassandra_address_list=['a:9160', 'b:9160'],
                                       zookeeper_address_list=['a:2181', 'b:2181'],
                                       rabbit_address_list=['a', 'b'], rabbit_port=5672,
                                       db_prefix=''), 'new')
    assert values == {'new_cassandra_address_list': 'a:9160 b:9160',
                      'new_zookeeper_address_list': 'a:2181,b:2181',
                      'new_rabbit_address_list': 'a,b', 'new_rabbit_port': 5672,
                      'ndb_prefix': ''}


# -- quoting ----------------------------------------------------------------------------------

def test_rendered_values_read_back_unchanged_by_the_tools_parser():
    values = {'old_rabbit_password': 'pa ss%word;x', 'old_rabbit_vhost': '/',
              'odb_prefix': '', 'old_cassandra_address_list': '10.0.0.1:9160 10.0.0.2:9160',
              'new_api_info': iss.api_info_literal([dict(host='10.0.0.21', user='root',
                                                         password='c0n%trail 1')])}
    parsed = tool_parser(iss.render_conf(values))
    assert parsed['old_rabbit_password'] == 'pa ss%word;x'
    assert parsed['old_cassandra_address_list'].split() == ['10.0.0.1:9160', '10.0.0.2:9160']
    assert parsed['odb_prefix'] == ''
    assert ast.literal_eval(parsed['new_api_info']) == {'10.0.0.21': ['root', 'c0n%trail 1']}
    assert iss.parse_conf(iss.render_conf(values)) == dict(
        (k, v) for k, v in parsed.items())


def test_values_are_never_quoted():
    text = iss.render_conf({'old_cassandra_address_list': '10.0.0.1:9160'})
    assert 'old_cassandra_address_list=10.0.0.1:9160\n' in text
    assert '"' not in text


@pytest.mark.parametrize('value, reason', [
    ('two\nlines', 'line break'), (' padded', 'white space'), ('a ;b', "' ;'"),
])
def test_unrepresentable_values_are_refused_with_secrets_masked(value, reason):
    with pytest.raises(iss.ConfError, match=reason) as info:
        iss.encode_value('old_rabbit_password', value)
    assert value.strip() not in str(info.value)


def test_booleans_are_true_or_absent_because_the_tool_tests_the_string():
    text = iss.render_conf({'old_rabbit_ha_mode': False, 'new_rabbit_ha_mode': True})
    assert 'old_rabbit_ha_mode' not in text
    assert 'new_rabbit_ha_mode=True' in text


def test_mask_conf_hides_secrets_and_marks_changes():
    before = iss.render_conf({'old_rabbit_password': 'a', 'old_rabbit_user': 'u'})
    after = iss.render_conf({'old_rabbit_password': 'b', 'old_rabbit_user': 'u'})
    masked = iss.mask_conf(after, reference=before)
    assert 'old_rabbit_password=******** (changed)' in masked
    assert 'old_rabbit_user=u' in masked and '=b' not in masked
    assert '(changed)' not in iss.mask_conf(before, reference=before)


# -- success lines ----------------------------------------------------------------------------

PRE_OUT = '\n'.join(line for line, _ks in iss.KEYSPACE_DONE_LINES) + '\n'


def test_pre_sync_needs_every_done_line():
    verdict = iss.judge_run(iss.TOOLS['pre'], 0, PRE_OUT, '')
    assert verdict['ok'] and verdict['keyspaces_synced'] == [
        'config_db_uuid', 'to_bgp_keyspace', 'useragent', 'svc_monitor_keyspace', 'dm_keyspace']
    partial = iss.judge_run(iss.TOOLS['pre'], 0, PRE_OUT.replace('Done syncing dm keyspace', ''),
                            '2026-01-01 00:00:00,000 SYS_ERR boom')
    assert not partial['ok'] and partial['missing'] == ['Done syncing dm keyspace']
    assert partial['errors'] == ['2026-01-01 00:00:00,000 SYS_ERR boom']


def test_nonzero_exit_fails_even_with_all_lines():
    assert not iss.judge_run(iss.TOOLS['post'], 1, PRE_OUT, '')['ok']


def test_zk_verdict_is_read_from_the_log_and_failed_wins():
    tool = iss.TOOLS['zk']
    assert iss.judge_run(tool, 0, '', 'x SYS_INFO Issu contrail zookeeper passed...\n')['ok']
    both = 'x Issu contrail zookeeper failed...\nx Issu contrail zookeeper passed...\n'
    verdict = iss.judge_run(tool, 0, '', both)
    assert not verdict['ok'] and verdict['failures'] == [iss.ZK_FAILED]
    assert not iss.judge_run(tool, 0, '', '')['ok']


def test_read_from_returns_only_what_this_run_appended(tmp_path):
    log = tmp_path / 'tool.log'
    log.write_text('old run\n')
    offset = iss.file_size(str(log))
    with open(log, 'a') as handle:
        handle.write('this run\n')
    assert iss.read_from(str(log), offset) == 'this run\n'
    log.write_text('rotated\n')                  # smaller than the offset: read it all
    assert iss.read_from(str(log), offset + 100) == 'rotated\n'
    assert iss.read_from(str(tmp_path / 'missing.log'), 0) == ''


def test_conf_path_with_blanks_or_missing_is_refused(tmp_path):
    with pytest.raises(iss.ConfError, match='white space'):
        iss.check_conf_path('/etc/contrail/my issu.conf')
    with pytest.raises(iss.ConfError, match='does not exist'):
        iss.check_conf_path(str(tmp_path / 'none.conf'))


# -- run-sync log -----------------------------------------------------------------------------

def stamp(epoch):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(epoch)) + ',250'


def test_progress_counts_only_lines_since_the_start():
    start = 1_700_000_000
    log = '\n'.join([
        '%s SYS_INFO Config sync initiated...' % stamp(start - 100),
        '%s SYS_INFO Start Compute upgrade...' % stamp(start - 99),
        '%s SYS_INFO Config sync initiated...' % stamp(start + 1),
        'continuation line of the same record',
    ])
    since = iss.lines_since(log, start)
    assert since[-1] == 'continuation line of the same record'
    assert iss.sync_progress(since) == 'bound'
    assert iss.sync_progress(iss.lines_since(log, None)) == 'synced'
    assert iss.sync_progress([]) == 'none'
    assert iss.log_time(stamp(start) + ' SYS_INFO x') == pytest.approx(start + 0.25)
    assert iss.log_time('no stamp here') is None


def test_process_start_time_of_this_process_is_in_the_past():
    started = iss.process_start_time(os.getpid())
    assert started is not None and time.time() - 3600 < started <= time.time()
    assert iss.process_start_time(2 ** 22 + 7) is None


def test_supervisorctl_pid_and_errors():
    calls = []

    def runner(cmd, environ_update=None):
        calls.append(cmd)
        if cmd[-2:] == ['pid', 'contrail-issu']:
            return 0, '4242\n', ''
        if cmd[-1] == 'status':
            return 3, 'contrail-issu  RUNNING   pid 4242, uptime 0:01:00\n', ''
        return 1, 'No such process nosuch\n', ''

    ctl = SupervisorCtl(runner, '/var/run/supervisor.sock')
    assert ctl.pid('contrail-issu') == 4242
    assert ctl.pid('nosuch') == 0
    assert ctl.states() == {'contrail-issu': 'RUNNING'}
    assert calls[0][:3] == ['supervisorctl', '-s', 'unix:///var/run/supervisor.sock']


def _stamp(epoch):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(epoch)) + ',000'


def test_run_sync_progress_is_read_from_its_start_however_much_it_logged_since(tmp_path):
    """run-sync logs every message it relays: after days, its start-up lines are far behind
    the end of the log, and a reader of the log's tail would see it neither bound nor synced."""
    log = tmp_path / 'run_sync.log'
    start = 1796300000.0
    lines = ['%s SYS_INFO an earlier run' % _stamp(start - 3600),
             '%s SYS_INFO Config sync initiated...' % _stamp(start - 3600),
             '%s SYS_INFO Start Compute upgrade...' % _stamp(start - 3599),
             '%s SYS_INFO Issu contrail cassandra initialized...' % _stamp(start),
             '%s SYS_INFO Config sync initiated...' % _stamp(start + 2)]
    spam = ['%s SYS_INFO {"oper": "UPDATE", "type": "virtual_network", "uuid": "%032d"}'
            % (_stamp(start + 10 + i // 100), i) for i in range(60000)]
    log.write_text('\n'.join(lines + spam) + '\n')
    assert log.stat().st_size > iss.START_WINDOW_BYTES
    assert iss.progress_since(str(log), start) == 'bound'      # not the earlier run's 'synced'
    lines.append('%s SYS_INFO Start Compute upgrade...' % _stamp(start + 3))
    log.write_text('\n'.join(lines + spam) + '\n')
    assert iss.progress_since(str(log), start) == 'synced'
    assert iss.progress_since(str(log), start + 100000) == 'none'
    text = log.read_text()
    first = text.index(_stamp(start + 100))                   # the first line stamped then
    assert first - 65536 <= iss.offset_at(str(log), start + 100) <= first
