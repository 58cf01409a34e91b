# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""issu_conf with TLS everywhere: RabbitMQ TLS and config DB credentials/TLS from each
cluster's contrail-api.conf, operator overrides, and secrets kept out of the output."""

from __future__ import annotations

import configparser
import json
import os

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.modules import issu_conf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
V1_RABBIT_PW = 'v1-Rabbit%pw'
V1_CASS_PW = 'v1-Cass-pw'
V2_CASS_PW = 'v2-Cass-pw'

# A 3.2 contrail-api.conf with TLS everywhere: RabbitMQ TLS in [DEFAULTS], the config DB's
# credentials in [CASSANDRA] (the only section contrail-api takes them from), its TLS in both.
V1_API_CONF = """\
[DEFAULTS]
cassandra_server_list=10.0.0.11:9160 10.0.0.12:9160
zk_server_ip=10.0.0.11:2181
rabbit_server=10.0.0.11
rabbit_port=5671
rabbit_user=openstack
rabbit_password=v1-Rabbit%%pw
rabbit_use_ssl=True
kombu_ssl_version=tlsv1_2
kombu_ssl_keyfile=/etc/contrail/ssl/private/server-privkey.pem
kombu_ssl_certfile=/etc/contrail/ssl/certs/server.pem
kombu_ssl_ca_certs=/etc/contrail/ssl/certs/ca-cert.pem ; the CA of v1
cassandra_use_ssl=false
cassandra_user=ignored-by-contrail-api
cluster_id=v1

[CASSANDRA]
cassandra_user=v1cass
cassandra_password=v1-Cass-pw
cassandra_use_ssl=true
cassandra_ca_certs=/etc/contrail/ssl/certs/ca-cert.pem
"""

V2_API_CONF = """\
[DEFAULTS]
cassandra_server_list=10.0.0.21:9160
zk_server_ip=10.0.0.21:2181
rabbit_server=10.0.0.21
rabbit_use_ssl=yes
kombu_ssl_ca_certs=/etc/contrail/ssl/certs/v2-ca.pem
kombu_ssl_version=
cluster_id=v2

[CASSANDRA]
cassandra_user=v2cass
cassandra_password=v2-Cass-pw
"""


def tool_reads(path):
    """contrail-issu.conf as the tools' SafeConfigParser reads it."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(';',))
    parser.read(str(path))
    return dict(parser.items('DEFAULTS'))


def run(args, capsys, check=False, diff=False):
    """Run the module; its JSON result and everything it printed."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(SystemExit):
        issu_conf.main()
    out = capsys.readouterr().out
    return json.loads(out), out


@pytest.fixture
def tls_args(tmp_path):
    v2 = tmp_path / 'contrail-api.conf'
    v2.write_text(V2_API_CONF)
    return dict(path=str(tmp_path / 'contrail-issu.conf'),
                old=dict(api_conf_content=V1_API_CONF), new=dict(api_conf=str(v2)))


# -- contrail-api.conf -> contrail-issu.conf ------------------------------------------------

def test_tls_and_db_credentials_are_read_as_contrail_api_reads_them():
    assert issu_conf.tls_from_api_conf(V1_API_CONF, 'old') == {
        'old_rabbit_use_ssl': True,
        'old_rabbit_ssl_version': 'tlsv1_2',
        'old_rabbit_ssl_keyfile': '/etc/contrail/ssl/private/server-privkey.pem',
        'old_rabbit_ssl_certfile': '/etc/contrail/ssl/certs/server.pem',
        'old_rabbit_ssl_ca_certs': '/etc/contrail/ssl/certs/ca-cert.pem',
        'old_cassandra_use_ssl': True,           # [CASSANDRA] wins over [DEFAULTS]
        'old_cassandra_ca_certs': '/etc/contrail/ssl/certs/ca-cert.pem',
        'old_cassandra_user': 'v1cass',          # [DEFAULTS] cassandra_user does not count
        'old_cassandra_password': V1_CASS_PW,
    }


def test_new_side_gets_new_keys_and_empty_values_stay_out():
    assert issu_conf.tls_from_api_conf(V2_API_CONF, 'new') == {
        'new_rabbit_use_ssl': True,
        'new_rabbit_ssl_ca_certs': '/etc/contrail/ssl/certs/v2-ca.pem',
        'new_cassandra_user': 'v2cass',
        'new_cassandra_password': V2_CASS_PW,
    }


@pytest.mark.parametrize('word, expected', [('True', True), ('on', True), ('1', True),
                                            ('False', False), ('off', False), ('n', False)])
def test_rabbit_use_ssl_is_read_as_strtobool(word, expected):
    text = '[DEFAULTS]\nrabbit_use_ssl=%s\n' % word
    assert issu_conf.tls_from_api_conf(text, 'old') == {'old_rabbit_use_ssl': expected}


def test_cassandra_use_ssl_is_on_only_for_true_like_contrail_api():
    assert issu_conf.tls_from_api_conf('[DEFAULTS]\ncassandra_use_ssl=yes\n', 'old') == {
        'old_cassandra_use_ssl': False}


def test_rabbit_use_ssl_that_is_no_boolean_is_refused():
    with pytest.raises(issu_conf.issu_sync.ConfError, match='rabbit_use_ssl'):
        issu_conf.tls_from_api_conf('[DEFAULTS]\nrabbit_use_ssl=maybe\n', 'new')


def test_rendered_file_has_each_sides_tls_and_credentials(tls_args, capsys):
    result, _out = run(tls_args, capsys)
    assert result['changed'] is True
    read = tool_reads(tls_args['path'])
    for key, value in {
            'old_rabbit_use_ssl': 'True', 'old_rabbit_ssl_version': 'tlsv1_2',
            'old_rabbit_ssl_keyfile': '/etc/contrail/ssl/private/server-privkey.pem',
            'old_rabbit_ssl_certfile': '/etc/contrail/ssl/certs/server.pem',
            'old_rabbit_ssl_ca_certs': '/etc/contrail/ssl/certs/ca-cert.pem',
            'old_cassandra_user': 'v1cass', 'old_cassandra_password': V1_CASS_PW,
            'old_cassandra_use_ssl': 'True',
            'old_cassandra_ca_certs': '/etc/contrail/ssl/certs/ca-cert.pem',
            'old_rabbit_password': V1_RABBIT_PW, 'old_rabbit_port': '5671',
            'new_rabbit_use_ssl': 'True',
            'new_rabbit_ssl_ca_certs': '/etc/contrail/ssl/certs/v2-ca.pem',
            'new_cassandra_user': 'v2cass', 'new_cassandra_password': V2_CASS_PW}.items():
        assert read.get(key) == value, key
    for absent in ('new_rabbit_ssl_version', 'new_rabbit_ssl_keyfile', 'new_cassandra_use_ssl',
                   'new_cassandra_ca_certs'):
        assert absent not in read
    assert oct(os.stat(tls_args['path']).st_mode & 0o777) == '0o600'


def test_operator_settings_win_over_and_add_to_the_api_conf(tls_args, capsys):
    tls_args['old'].update(rabbit_ssl_ca_certs='/etc/contrail/ssl/v1-ca.pem',
                           cassandra_password='override-pw', rabbit_use_ssl=False,
                           zookeeper_use_ssl=True, zookeeper_ca_certs='/etc/zk/ca.pem')
    tls_args['new'].update(cassandra_use_ssl=True, cassandra_ca_certs='/etc/v2/ca.pem',
                           rabbit_ssl_version='tlsv1_2')
    run(tls_args, capsys)
    read = tool_reads(tls_args['path'])
    assert read['old_rabbit_ssl_ca_certs'] == '/etc/contrail/ssl/v1-ca.pem'
    assert read['old_cassandra_password'] == 'override-pw'
    assert 'old_rabbit_use_ssl' not in read          # False is written as absent (tool default)
    assert read['old_zookeeper_use_ssl'] == 'True'
    assert read['old_zookeeper_ca_certs'] == '/etc/zk/ca.pem'
    assert read['new_cassandra_use_ssl'] == 'True'
    assert read['new_cassandra_ca_certs'] == '/etc/v2/ca.pem'
    assert read['new_rabbit_ssl_version'] == 'tlsv1_2'
    assert read['old_cassandra_user'] == 'v1cass'    # not overridden: still from the api.conf


# -- check mode, diff, idempotence, secrets ---------------------------------------------------

def test_check_mode_writes_nothing_then_a_rerun_changes_nothing(tls_args, capsys):
    checked, _out = run(tls_args, capsys, check=True)
    assert checked['changed'] is True and not os.path.exists(tls_args['path'])
    run(tls_args, capsys)
    again, _out = run(tls_args, capsys, diff=True)
    assert again['changed'] is False
    assert again['diff']['before'] == again['diff']['after']


def test_secrets_stay_out_of_result_and_diff(tls_args, capsys):
    tls_args['extra'] = dict(old_zookeeper_password='zk-Secret')
    result, out = run(tls_args, capsys, diff=True)
    for secret in (V1_CASS_PW, V2_CASS_PW, V1_RABBIT_PW, 'v1-Rabbit%%pw', 'zk-Secret'):
        assert secret not in out
    assert 'old_cassandra_password' in result['keys']
    assert not any('password' in key for key in result['values'])
    assert result['values']['old_rabbit_ssl_version'] == 'tlsv1_2'
    assert 'old_cassandra_password=******** (changed)\n' in result['diff']['after']
    assert 'new_cassandra_password=******** (changed)\n' in result['diff']['after']
    tls_args['new']['cassandra_password'] = 'rotated-pw'
    result, out = run(tls_args, capsys, diff=True)
    assert result['changed'] is True and 'rotated-pw' not in out
    assert V2_CASS_PW not in out
    assert 'old_cassandra_password=********\n' in result['diff']['after']
    assert 'new_cassandra_password=******** (changed)\n' in result['diff']['after']
    assert 'new_cassandra_password=********\n' in result['diff']['before']


# -- the config_sync role ---------------------------------------------------------------------

def test_role_overrides_take_the_modules_tls_and_credential_options():
    with open(os.path.join(ROOT, 'roles', 'config_sync', 'meta', 'argument_specs.yml')) as handle:
        conf = yaml.safe_load(handle)['argument_specs']['conf']['options']
    with open(os.path.join(ROOT, 'roles', 'config_sync', 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    for var in ('config_sync_v1_overrides', 'config_sync_v2_overrides'):
        assert defaults[var] == {}
        options = conf[var]['options']
        for name, spec in options.items():
            assert spec['type'] == issu_conf.SIDE_OPTIONS[name]['type'], name
            assert spec.get('no_log', False) == issu_conf.SIDE_OPTIONS[name].get('no_log', False)
        mapped = set(mapping[2] for mapping in issu_conf.API_CONF_TLS_MAPPING)
        assert mapped | set(issu_conf.ZOOKEEPER_TLS_KEYS) <= set(options)
    with open(os.path.join(ROOT, 'roles', 'config_sync', 'tasks', 'conf.yml')) as handle:
        tasks = yaml.safe_load(handle)
    render = [task for task in tasks if 'opencontrail.issu.issu_conf' in task][0]
    args = render['opencontrail.issu.issu_conf']
    assert 'config_sync_v1_overrides' in args['old'] and 'config_sync_v2_overrides' in args['new']
