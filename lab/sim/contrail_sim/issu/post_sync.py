"""``contrail-issu-post-sync``: mirror the non-config_db_uuid keyspaces again, at finalize."""
from contrail_sim.issu import common, config
from contrail_sim.issu.pre_sync import sync_keyspaces


def main(argv=None):
    args, _ = config.parse_args(argv)
    sync_keyspaces(args, config.POST_SYNC_STEPS)


if __name__ == '__main__':
    common.entry_point(main, config.POST_SYNC_LOG)
