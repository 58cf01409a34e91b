"""What the sync tools share (``issu_contrail_common.py``): the merge copy and row sync.

``merge_copy`` is ``issu_merge_copy``: per column family, the whole new CF is read into memory,
then every old row is written over it (old columns win, new-only columns of that row removed)
and finally every new row without an old counterpart is deleted ("Pruning New DB"). The result
is a mirror of the old CF; it is idempotent. ``sync_row`` is ``issu_sync_row``: one RabbitMQ
message applied to the new cluster's objects, every failure only logged (LP 1715729).
"""
import json
import sys
import traceback

from contrail_sim import configdb
from contrail_sim.issu import config
from contrail_sim.issu.vnc_objects import ObjectStore


def open_db(server_list, db_prefix, keyspaces=None):
    """ConfigDB for a ``*_cassandra_address_list`` (list of host:9160); create keyspaces if given.

    Connection errors propagate: the tool fails with a non-zero exit status.
    """
    db = configdb.ConfigDB(configdb.dsn_from_server_list(' '.join(server_list)), db_prefix)
    if keyspaces:
        db.ensure_keyspaces(keyspaces)
    return db


class IssuCassandra(object):
    """The old (read) and new (written) config DBs of one sync tool run."""

    def __init__(self, args, keyspaces, log=config.logger):
        self.log = log
        self.log('Issu contrail cassandra initialized...')
        self.log('Issu contrail cassandra prepare...')
        self.old = open_db(args.old_cassandra_address_list, args.odb_prefix)
        self.new = open_db(args.new_cassandra_address_list, args.ndb_prefix, keyspaces)
        self.old_objects = ObjectStore(self.old)
        self.new_objects = ObjectStore(self.new)

    def close(self):
        self.old.close()
        self.new.close()

    def ensure_connected(self):
        """Reopen a DB whose connection broke (pycassa reconnects by itself)."""
        for db in (self.old, self.new):
            if db.conn.closed:
                db.conn = configdb.ConfigDB(db.dsn, db.db_prefix).conn

    def merge_copy(self, keyspace, column_families):
        """Make each new CF of the keyspace a mirror of the old one (values copied verbatim)."""
        self.log('Issu contrail cassandra merge copy, keyspace: %s' % keyspace)
        for cf in column_families:
            new_db = dict(self.new.get_range(keyspace, cf, decode=False))
            self.log('Building New DB memory for columnfamily: %s' % cf)
            old_rows = dict(self.old.get_range(keyspace, cf, decode=False))
            self.log('Doing ISSU copy for columnfamily: %s' % cf)
            self.new.batch_insert(keyspace, cf, old_rows, encode=False)
            for key, columns in old_rows.items():
                extra = set(new_db.pop(key, {})) - set(columns)
                if extra:
                    self.new.remove(keyspace, cf, key, sorted(extra))
            self.log("Pruning New DB if entires don't exist in old DB column family: %s" % cf)
            for key in new_db:
                self.new.remove(keyspace, cf, key)

    def sync_row(self, msg):
        """Apply one CREATE/UPDATE/DELETE to the new DB; errors are logged, never raised."""
        oper, obj_type, obj_uuid = msg.get('oper'), msg.get('type'), msg.get('uuid')
        if oper not in ('CREATE', 'UPDATE', 'DELETE'):
            return
        self.log(msg)
        try:
            if oper == 'CREATE':
                self.new_objects.object_create(obj_type, obj_uuid, msg['obj_dict'])
            elif oper == 'UPDATE':
                current = self.new_objects.object_read(obj_type, obj_uuid)
                updated = dict(current)
                updated.update(self.old_objects.object_read(obj_type, obj_uuid))
                self.new_objects.object_update(obj_type, obj_uuid, updated)
            else:
                self.new_objects.object_delete(obj_type, obj_uuid)
        except Exception as exc:  # the real tool's behaviour: log and carry on
            self.log(str(exc), level='SYS_ERR')

    def read_row(self, msg):
        """The object as the new DB holds it now ({} when absent), to fill a missing fq_name."""
        try:
            return self.new_objects.object_read(msg['type'], msg['uuid'])
        except Exception as exc:
            self.log(str(exc), level='SYS_ERR')
            return {}


def decode_body(body):
    """A RabbitMQ body as the dict it carries (JSON), or the raw text."""
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body


def run_tool(main, log_file, argv=None):
    """Run a tool's main with the real logging; any exception -> logged, exit status 1."""
    config.setup_logging(log_file)
    try:
        main(argv)
    except Exception as exc:
        config.logger('%s: %s' % (type(exc).__name__, exc), level='SYS_ERR')
        traceback.print_exc()
        return 1
    return 0


def entry_point(main, log_file):
    """``if __name__ == '__main__'`` body of every tool."""
    sys.exit(run_tool(main, log_file))
