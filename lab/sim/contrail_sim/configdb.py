"""The lab's config database: Cassandra's keyspace / column-family / wide-row model on PostgreSQL.

Cassandra is not installable on the lab machines, so each keyspace `<cluster_id>_<keyspace>` is a
PostgreSQL schema and each column family a table `(key, column1, value, writetime)`, the shape CQL
shows for a thrift column family. Column names and JSON values follow `vnc_cassandra` exactly
(`fq_name`, `type`, `prop:<name>`, `ref:<type>:<uuid>`, `backref:...`, `children:...`, ...).

Every daemon of the lab (API server, control node, schema transformer, sync tools) goes through
this module; nothing else talks SQL.
"""
import json
import time

import psycopg2
import psycopg2.extras

# keyspace -> column families, as created by the real daemons (wire-formats reference §4).
KEYSPACES = {
    'config_db_uuid': ('obj_uuid_table', 'obj_fq_name_table', 'obj_shared_table'),
    'to_bgp_keyspace': ('route_target_table', 'service_chain_table',
                        'service_chain_ip_address_table', 'service_chain_uuid_table'),
    'useragent': ('useragent_keyval_table',),
    'svc_monitor_keyspace': ('pool_table', 'service_instance_table'),
    'dm_keyspace': ('dm_pr_vn_ip_table', 'dm_pnf_resource_table'),
}


def dsn_from_server_list(server_list, dbname='contrail', user='contrail', password='contrail'):
    """Map a `cassandra_server_list` (``host:9160 host2:9160``) to a PostgreSQL DSN.

    The port is ignored: the lab's store answers on PostgreSQL's port of the same host.
    """
    hosts = [item.rsplit(':', 1)[0] for item in str(server_list).replace(',', ' ').split()]
    return 'host=%s dbname=%s user=%s password=%s connect_timeout=5' % (
        ','.join(hosts), dbname, user, password)


def now_usec():
    return int(time.time() * 1000000)


class ConfigDB(object):
    """Wide-row access to one cluster's keyspaces (``db_prefix`` = cluster_id, may be '')."""

    def __init__(self, dsn, db_prefix=''):
        self.dsn = dsn
        self.db_prefix = db_prefix or ''
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def schema(self, keyspace):
        return '%s_%s' % (self.db_prefix, keyspace) if self.db_prefix else keyspace

    def _table(self, keyspace, cf):
        return '"%s"."%s"' % (self.schema(keyspace), cf)

    def close(self):
        self.conn.close()

    # -- DDL -------------------------------------------------------------------------------
    def ensure_keyspaces(self, keyspaces=None):
        # column1 is COLLATE "C": columns sort bytewise like Cassandra's BytesType comparator, and
        # `column1 LIKE 'prefix%'` (fq-name lookups in rows of 50k columns) can use the key index.
        with self.conn.cursor() as cur:
            for ks in keyspaces or KEYSPACES:
                cur.execute('CREATE SCHEMA IF NOT EXISTS "%s"' % self.schema(ks))
                for cf in KEYSPACES[ks]:
                    cur.execute(
                        'CREATE TABLE IF NOT EXISTS %s (key text NOT NULL, column1 text COLLATE "C" NOT NULL, '
                        'value text, writetime bigint NOT NULL, PRIMARY KEY (key, column1))'
                        % self._table(ks, cf))

    def drop_keyspaces(self):
        with self.conn.cursor() as cur:
            for ks in KEYSPACES:
                cur.execute('DROP SCHEMA IF EXISTS "%s" CASCADE' % self.schema(ks))

    # -- reads -----------------------------------------------------------------------------
    def get_row(self, keyspace, cf, key, column_prefix=None, decode=True):
        """Columns of one row as {column: value}; {} when the row does not exist."""
        return self.get_rows(keyspace, cf, [key], column_prefix, decode).get(key, {})

    def get_rows(self, keyspace, cf, keys=None, column_prefix=None, decode=True):
        """{key: {column: value}} for the given keys (all rows when keys is None)."""
        sql = 'SELECT key, column1, value FROM %s' % self._table(keyspace, cf)
        where, args = [], []
        if keys is not None:
            where.append('key = ANY(%s)')
            args.append(list(keys))
        if column_prefix:
            where.append('column1 LIKE %s')
            args.append(column_prefix.replace('%', r'\%').replace('_', r'\_') + '%')
        if where:
            sql += ' WHERE ' + ' AND '.join(where)
        rows = {}
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            for key, column, value in cur:
                rows.setdefault(key, {})[column] = _decode(value) if decode else value
        return rows

    def get_range(self, keyspace, cf, decode=True):
        """Iterate (key, {column: value}) over a whole column family, like pycassa get_range."""
        return iter(self.get_rows(keyspace, cf, decode=decode).items())

    def row_keys(self, keyspace, cf):
        with self.conn.cursor() as cur:
            cur.execute('SELECT DISTINCT key FROM %s' % self._table(keyspace, cf))
            return [r[0] for r in cur]

    # -- writes ----------------------------------------------------------------------------
    def insert(self, keyspace, cf, key, columns, encode=True):
        """Upsert columns of one row; values are JSON-encoded unless encode=False."""
        self.batch_insert(keyspace, cf, {key: columns}, encode)

    def batch_insert(self, keyspace, cf, rows, encode=True):
        """Upsert {key: {column: value}} in one transaction."""
        ts = now_usec()
        values = [(key, col, json.dumps(val) if encode else val, ts)
                  for key, cols in rows.items() for col, val in cols.items()]
        if not values:
            return
        with self.conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                'INSERT INTO %s (key, column1, value, writetime) VALUES %%s '
                'ON CONFLICT (key, column1) DO UPDATE SET value = EXCLUDED.value, '
                'writetime = EXCLUDED.writetime' % self._table(keyspace, cf),
                values, page_size=1000)

    def remove(self, keyspace, cf, key, columns=None):
        """Delete a whole row, or only the named columns of it."""
        with self.conn.cursor() as cur:
            if columns is None:
                cur.execute('DELETE FROM %s WHERE key = %%s' % self._table(keyspace, cf), (key,))
            else:
                cur.execute('DELETE FROM %s WHERE key = %%s AND column1 = ANY(%%s)'
                            % self._table(keyspace, cf), (key, list(columns)))

    def transaction(self):
        """``with db.transaction():`` groups several writes atomically."""
        return _Transaction(self.conn)


class _Transaction(object):
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.autocommit = False
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.autocommit = True
        return False


def _decode(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
