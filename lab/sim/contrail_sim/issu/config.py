"""``contrail-issu.conf`` parsing and logging, as ``issu_contrail_config.py`` (R4.0) does them.

Parsing is deliberately the real tool's, quirks included, because the collection must write a
file the real tool accepts:
- ``-c`` / ``--conf_file`` (repeatable); the command line is re-joined and split on spaces.
- Section ``[DEFAULTS]`` is read with a plain ConfigParser (py2 ``SafeConfigParser``): ``%``
  interpolation applies, keys are lower-cased, an inline comment needs `` ;``, and **values are
  taken verbatim: quotes are NOT stripped**. LP 1644332 was a shell-quoting bug in the generator
  (``openstack-config --set f DEFAULTS key $val`` unquoted, so a value with spaces was cut to its
  first word); the fix quoted the shell argument, so the file holds unquoted values. A quoted
  value such as ``old_cassandra_address_list="10.0.0.1:9160"`` therefore reaches the tool with its
  quotes and breaks it (host ``"10.0.0.1``), and a quoted ``new_api_info`` literal-evaluates to a
  str, not a dict. The lab reproduces both failures.
- Cassandra address lists are split on whitespace; ``--old_db_prefix/--new_db_prefix`` exist on
  the command line but the tools read ``odb_prefix/ndb_prefix``, so those flags have no effect.
- A missing file or a missing ``[DEFAULTS]`` section raises (NoSectionError), exit status 1.
"""
import argparse
import configparser
import logging
import sys

from contrail_sim import tls

# Keyspace -> column families, in the order the tools copy them (issu_contrail_config.py).
KS_CONFIG_DB_UUID = ('config_db_uuid', ('obj_uuid_table', 'obj_fq_name_table', 'obj_shared_table'))
KS_TO_BGP = ('to_bgp_keyspace', ('route_target_table', 'service_chain_table',
                                 'service_chain_ip_address_table', 'service_chain_uuid_table'))
KS_USERAGENT = ('useragent', ('useragent_keyval_table',))
KS_SVC_MONITOR = ('svc_monitor_keyspace', ('pool_table', 'service_instance_table'))
KS_DM = ('dm_keyspace', ('dm_pr_vn_ip_table', 'dm_pnf_resource_table'))

# (keyspace, column families, line printed when done), as pre-sync and post-sync run them.
PRE_SYNC_STEPS = (
    (KS_CONFIG_DB_UUID, 'Done syncing Configdb uuid'),
    (KS_TO_BGP, 'Done syncing bgp keyspace'),
    (KS_USERAGENT, 'Done syncing useragent keyspace'),
    (KS_SVC_MONITOR, 'Done syncing svc-monitor keyspace'),
    (KS_DM, 'Done syncing dm keyspace'),
)
POST_SYNC_STEPS = PRE_SYNC_STEPS[1:]

ZNODE_LIST = ('fq-name-to-uuid', 'api-server', 'id')

LOG_DIR = '/var/log/contrail'
PRE_SYNC_LOG = LOG_DIR + '/issu_contrail_pre_sync.log'
RUN_SYNC_LOG = LOG_DIR + '/issu_contrail_run_sync.log'
POST_SYNC_LOG = LOG_DIR + '/issu_contrail_post_sync.log'
ZK_SYNC_LOG = '/var/log/issu_contrail_zk.log'

# Defaults of R4.0 (after the LP 1644332 fix: empty prefixes and new vhost).
DEFAULTS = {
    'old_rabbit_user': 'guest', 'old_rabbit_password': 'guest',
    'old_rabbit_ha_mode': False, 'old_rabbit_q_name': 'vnc-config.issu-queue',
    'old_rabbit_vhost': None, 'old_rabbit_port': '5672',
    'old_rabbit_address_list': '10.84.24.35',
    'new_rabbit_user': 'guest', 'new_rabbit_password': 'guest',
    'new_rabbit_ha_mode': False, 'new_rabbit_q_name': 'vnc-config.issu-queue',
    'new_rabbit_vhost': '', 'new_rabbit_port': '5672',
    'new_rabbit_address_list': '10.84.24.35',
    'odb_prefix': '', 'ndb_prefix': '', 'reset_config': None,
    'old_cassandra_address_list': '10.84.24.35:9160',
    'new_cassandra_address_list': '10.84.24.35:9160',
    'old_zookeeper_address_list': '10.84.24.35:2181',
    'new_zookeeper_address_list': '10.84.24.35:2181',
    'new_api_info': '{"10.84.24.52": [("root"), ("c0ntrail123")]}',
}
# Keys of later releases (§3.1 of the procedure reference). RabbitMQ's TLS keys are used (run-sync
# connects with them); the config DB's and ZooKeeper's are accepted without effect in the lab,
# whose PostgreSQL and ZooKeeper do not serve TLS.
EXTRA_KEYS = [side + key for side in ('old_', 'new_') for key in (
    'rabbit_use_ssl', 'rabbit_ssl_version', 'rabbit_ssl_ca_certs', 'rabbit_ssl_keyfile',
    'rabbit_ssl_certfile', 'cassandra_user', 'cassandra_password', 'cassandra_use_ssl',
    'cassandra_ca_certs', 'zookeeper_use_ssl', 'zookeeper_ca_certs')]


def rabbit_ssl(args, side):
    """The TLS settings of one side's RabbitMQ (``<side>_rabbit_use_ssl`` and
    ``<side>_rabbit_ssl_*``), else None."""
    if not tls.enabled(getattr(args, side + '_rabbit_use_ssl', None)):
        return None
    return dict((key, getattr(args, '%s_rabbit_ssl_%s' % (side, key), None))
                for key in ('ca_certs', 'certfile', 'keyfile'))
LIST_KEYS = ('old_cassandra_address_list', 'new_cassandra_address_list', 'new_api_info')
CLI_ONLY_KEYS = ('old_db_prefix', 'new_db_prefix')


def parse_args(argv=None):
    """Return (args, remaining_argv) like the real ``parse_args``."""
    if argv is None:
        argv = sys.argv[1:]
    argv = ' '.join(argv).split()
    conf_parser = argparse.ArgumentParser(add_help=False)
    conf_parser.add_argument('-c', '--conf_file', action='append', metavar='FILE',
                             help='Specify config file')
    args, remaining = conf_parser.parse_known_args(argv)
    defaults = dict(DEFAULTS)
    if args.conf_file:
        config = configparser.ConfigParser(inline_comment_prefixes=(';',), strict=False)
        config.read(args.conf_file)
        defaults.update(dict(config.items('DEFAULTS')))
    parser = argparse.ArgumentParser(parents=[conf_parser], description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(**defaults)
    for key in sorted(set(DEFAULTS) | set(EXTRA_KEYS) | set(CLI_ONLY_KEYS)):
        parser.add_argument('--' + key, nargs='+' if key in LIST_KEYS else None)
    args_obj, remaining = parser.parse_known_args(remaining)
    for key in ('old_cassandra_address_list', 'new_cassandra_address_list'):
        if isinstance(getattr(args_obj, key), str):
            setattr(args_obj, key, getattr(args_obj, key).split())
    return args_obj, remaining


def setup_logging(filename):
    """``logging.basicConfig`` of the real tools: one file, ``<asctime> <message>``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    logging.basicConfig(level=logging.INFO, filename=filename, format='%(asctime)s %(message)s')


def logger(msg, level='SYS_INFO'):
    """The tools' logger: ``<SandeshLevel name> <msg>`` into the log file only."""
    logging.info('%s %s', level, msg)


def lognprint(msg, level='SYS_INFO'):
    """Print to stdout and log, like ``issu_contrail_config.lognprint``."""
    print(msg, flush=True)
    logger(msg, level)
