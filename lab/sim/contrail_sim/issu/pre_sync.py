"""``contrail-issu-pre-sync``: mirror every keyspace of v1 into v2, config_db_uuid first."""
from contrail_sim.issu import common, config


def sync_keyspaces(args, steps):
    """Merge-copy each (keyspace, CFs) step in order, printing its 'Done syncing ...' line."""
    keyspaces = [ks for (ks, _cfs), _done in steps]
    cass = common.IssuCassandra(args, keyspaces)
    try:
        for (keyspace, cfs), done in steps:
            cass.merge_copy(keyspace, cfs)
            config.lognprint(done)
    finally:
        cass.close()


def main(argv=None):
    args, _ = config.parse_args(argv)
    sync_keyspaces(args, config.PRE_SYNC_STEPS)


if __name__ == '__main__':
    common.entry_point(main, config.PRE_SYNC_LOG)
