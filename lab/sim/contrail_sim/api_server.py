"""Simulated contrail-api (VNC config REST API, port 8082) for OpenContrail 3.2 and 4.0.

Faithful to wire-formats §1-§4: the REST surface the official ``vnc_api`` client and the ISSU
tooling use, objects stored in the ``vnc_cassandra`` column layout (through configdb), fq-name
locks and ids in ZooKeeper under ``/<cluster_id>``, every write published on RabbitMQ's
``vnc_config.object-update`` fanout exchange with the message shape of the running release.

Run: ``python3 -m contrail_sim.api_server --conf_file /etc/contrail/contrail-api.conf``.
The release is taken from ``CONTRAIL_VERSION`` (``3.2.14.0-37`` / ``4.0.3.0-62``) or the conf
key ``[DEFAULTS] contrail_version``.
"""
import argparse
import configparser
import datetime
import json
import logging
import os
import pprint
import queue
import re
import socket
import sys
import time
import uuid as uuidlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg2

from contrail_sim import amqp, configdb, keystone, tls, zk
from contrail_sim.config_daemon import DaemonStatus, connect_zk, db_probe
from contrail_sim.schema_data import TYPES

LOG = logging.getLogger('contrail-api')
KS = 'config_db_uuid'
UUID_CF, FQ_CF, SHARED_CF = 'obj_uuid_table', 'obj_fq_name_table', 'obj_shared_table'
VERSIONS = {'3.2': '3.2.14.0-37', '4.0': '4.0.3.0-62'}
IP_FABRIC_VN = ['default-domain', 'default-project', 'ip-fabric']
LINK_LOCAL_VN = ['default-domain', 'default-project', '__link_local__']
DEFAULT_PERMS = {'owner': 'cloud-admin', 'owner_access': 7, 'group': 'cloud-admin-group',
                 'group_access': 7, 'other_access': 7}
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')

# Action links of the homepage, in the server's order (wire-formats §1.2): (uri, name, method).
ACTIONS = [
    ('/prop-collection-get', 'prop-collection-get', 'GET'),
    ('/prop-collection-update', 'prop-collection-update', 'POST'),
    ('/ref-update', 'ref-update', 'POST'),
    ('/ref-relax-for-delete', 'ref-relax-for-delete', 'POST'),
    ('/fqname-to-id', 'name-to-id', 'POST'),
    ('/id-to-fqname', 'id-to-name', 'POST'),
    ('/ifmap-to-id', 'ifmap-to-id', 'POST'),          # 3.2 only
    ('/useragent-kv', 'useragent-keyvalue', 'POST'),
    ('/db-check', 'database-check', 'POST'),
    ('/fetch-records', 'fetch-records', 'POST'),
    ('/start-profile', 'start-profile', 'POST'),
    ('/stop-profile', 'stop-profile', 'POST'),
    ('/list-bulk-collection', 'list-bulk-collection', 'POST'),
    ('/obj-perms', 'obj-perms', 'GET'),
    ('/chown', 'chown', 'POST'),
    ('/chmod', 'chmod', 'POST'),
    ('/aaa-mode', 'aaa-mode', 'PUT'),
    ('/obj-cache', 'obj-cache', 'POST'),
]
VN_ACTIONS = [('/virtual-network/%s/ip-alloc', 'virtual-network-ip-alloc'),
              ('/virtual-network/%s/ip-free', 'virtual-network-ip-free'),
              ('/virtual-network/%s/subnet-ip-count', 'virtual-network-subnet-ip-count')]


class RawJson(object):
    """A response body that is already JSON text (large lists are assembled as text)."""

    def __init__(self, text):
        self.text = text


class HttpError(Exception):
    """An error answered as Bottle's abort(): plain-text body, given status."""

    def __init__(self, status, message, headers=None):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------
def parse_args(argv=None):
    """Contrail-style CLI: ``--conf_file`` (repeatable) plus the overrides supervisor passes."""
    parser = argparse.ArgumentParser(description='simulated contrail-api')
    parser.add_argument('--conf_file', action='append', default=[])
    parser.add_argument('--listen_port', type=int)
    parser.add_argument('--listen_ip_addr')
    parser.add_argument('--http_server_port', type=int)
    parser.add_argument('--worker_id')
    args = parser.parse_args(argv)
    conf = read_conf(args.conf_file)
    for key in ('listen_port', 'listen_ip_addr', 'http_server_port', 'worker_id'):
        if getattr(args, key) is not None:
            conf[key] = str(getattr(args, key))
    return conf


def read_conf(paths):
    """Merge ``[DEFAULTS]`` of the given files (plus ``keystone_*`` from ``[KEYSTONE]``)."""
    conf = {'listen_ip_addr': '0.0.0.0', 'listen_port': '8082', 'http_server_port': '8084',
            'cassandra_server_list': '127.0.0.1:9160', 'zk_server_ip': '127.0.0.1:2181',
            'rabbit_server': 'localhost', 'rabbit_port': '5672', 'rabbit_vhost': '',
            'cluster_id': '', 'worker_id': '0', 'aaa_mode': 'no-auth', 'auth': '',
            'rabbit_max_pending_updates': '4096', 'stale_lock_seconds': '5'}
    parser = configparser.ConfigParser(interpolation=None, default_section='__none__')
    parser.read(paths)
    for section, prefix in (('DEFAULTS', ''), ('DEFAULT', ''), ('KEYSTONE', 'keystone_')):
        if parser.has_section(section):
            for key, value in parser.items(section):
                conf[prefix + key] = value
    return conf


def release_of(conf):
    """'3.2' or '4.0' from CONTRAIL_VERSION / contrail_version (build strings or v1/v2)."""
    value = os.environ.get('CONTRAIL_VERSION') or conf.get('contrail_version') or '3.2'
    return '4.0' if value.startswith('4') or value == 'v2' else '3.2'


# ------------------------------------------------------------------------------------------
# Schema helpers
# ------------------------------------------------------------------------------------------
def obj_type_of(name):
    """Accept the hyphen or underscore form of a type name; None when unknown."""
    if name is None:
        return None
    candidate = name.replace('-', '_')
    return candidate if candidate in TYPES else None


def res_type(obj_type):
    return TYPES[obj_type]['resource_type']


def collection_to_type(segment):
    """``virtual-networks`` -> ``virtual_network`` (None if not a collection)."""
    return obj_type_of(segment[:-1]) if segment.endswith('s') else None


def now_iso():
    return datetime.datetime.utcnow().isoformat()


def uuid_longs(obj_uuid):
    value = uuidlib.UUID(obj_uuid).int
    return {'uuid_mslong': value >> 64, 'uuid_lslong': value & ((1 << 64) - 1)}


def fq_str(fq_name):
    return ':'.join(fq_name)


def imid(obj_type, fq_name):
    """3.2 IF-MAP identity carried in RabbitMQ messages."""
    text = 'contrail:%s:%s' % (res_type(obj_type), fq_str(fq_name))
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')


# ------------------------------------------------------------------------------------------
# Storage: vnc_cassandra's column layout on configdb
# ------------------------------------------------------------------------------------------
class DbPool(object):
    """A small pool of ConfigDB connections: one per concurrent request, reused."""

    def __init__(self, dsn, prefix, size=8):
        self.dsn = dsn
        self.prefix = prefix
        self.idle = queue.LifoQueue()
        self.size = size

    @contextmanager
    def conn(self):
        try:
            db = self.idle.get_nowait()
        except queue.Empty:
            try:
                db = configdb.ConfigDB(self.dsn, self.prefix)
            except psycopg2.Error as exc:
                raise HttpError(503, 'Config DB unavailable: %s' % str(exc).strip())
        try:
            yield db
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            db.conn.close()
            raise HttpError(503, 'Config DB unavailable: %s' % str(exc).strip())
        else:
            if self.idle.qsize() < self.size:
                self.idle.put(db)
            else:
                db.close()


class ObjectDB(object):
    """Objects as vnc_cassandra stores them: obj_uuid_table / obj_fq_name_table / obj_shared_table."""

    def __init__(self, db):
        self.db = db

    # -- lookups -------------------------------------------------------------------------
    def fq_name_to_uuid(self, obj_type, fq_name):
        prefix = fq_str(fq_name) + ':'
        for column in self.db.get_row(KS, FQ_CF, obj_type, column_prefix=prefix, decode=False):
            rest = column[len(prefix):]
            if UUID_RE.match(rest):
                return rest
        return None

    def type_uuids(self, obj_type):
        """All uuids of a type, from its obj_fq_name_table row."""
        return [col[-36:] for col in self.db.get_row(KS, FQ_CF, obj_type, decode=False)]

    def row(self, obj_uuid):
        return self.db.get_row(KS, UUID_CF, obj_uuid)

    def rows(self, uuids):
        return self.db.get_rows(KS, UUID_CF, list(uuids)) if uuids else {}

    def fq_names(self, uuids):
        """{uuid: fq_name} for the uuids that exist."""
        if not uuids:
            return {}
        rows = self.db.get_rows(KS, UUID_CF, list(set(uuids)), column_prefix='fq_name')
        return {key: cols['fq_name'] for key, cols in rows.items() if 'fq_name' in cols}

    def columns_with_prefix(self, uuids, prefix):
        """{uuid: [rest of column name]} for columns starting with prefix."""
        rows = self.db.get_rows(KS, UUID_CF, list(uuids), column_prefix=prefix, decode=False)
        return {key: [col[len(prefix):] for col in cols] for key, cols in rows.items()}

    # -- writes --------------------------------------------------------------------------
    def create(self, obj):
        """Write a new object (dict with uuid/type/fq_name/parent/props/refs)."""
        obj_uuid, obj_type = obj['uuid'], obj['type']
        columns = {'fq_name': obj['fq_name'], 'type': obj_type, 'META:latest_col_ts': None}
        if obj.get('parent_uuid'):
            columns['parent_type'] = obj['parent_type']
            columns['parent:%s:%s' % (obj['parent_obj_type'], obj['parent_uuid'])] = None
        columns.update(prop_columns(obj_type, obj['props']))
        rows = {obj_uuid: columns}
        if obj.get('parent_uuid'):
            rows[obj['parent_uuid']] = {'children:%s:%s' % (obj_type, obj_uuid): None,
                                        'META:latest_col_ts': None}
        for ref_type, ref_uuid, attr in obj['refs']:
            self._add_ref_columns(rows, obj_type, obj_uuid, ref_type, ref_uuid, attr)
        with self.db.transaction():
            self.db.batch_insert(KS, UUID_CF, rows)
            self.db.insert(KS, FQ_CF, obj_type, {'%s:%s' % (fq_str(obj['fq_name']), obj_uuid): None})
            self._set_shared(obj_type, obj_uuid, obj['props'].get('perms2'))

    @staticmethod
    def _add_ref_columns(rows, obj_type, obj_uuid, ref_type, ref_uuid, attr):
        data = {'attr': attr, 'is_weakref': False}
        rows.setdefault(obj_uuid, {})['ref:%s:%s' % (ref_type, ref_uuid)] = data
        target = rows.setdefault(ref_uuid, {})
        if ref_type == obj_type:           # same-type refs are stored as ref: on both rows
            target['ref:%s:%s' % (obj_type, obj_uuid)] = data
        else:
            target['backref:%s:%s' % (obj_type, obj_uuid)] = data
        target['META:latest_col_ts'] = None

    def _ref_removals(self, obj_type, obj_uuid, ref_type, ref_uuid):
        own = 'ref:%s:%s' % (ref_type, ref_uuid)
        other = ('ref:%s:%s' if ref_type == obj_type else 'backref:%s:%s') % (obj_type, obj_uuid)
        return [(obj_uuid, own), (ref_uuid, other), (ref_uuid, 'relaxbackref:%s' % obj_uuid)]

    def _remove_columns(self, removals):
        by_key = {}
        for key, column in removals:
            by_key.setdefault(key, []).append(column)
        for key, columns in by_key.items():
            self.db.remove(KS, UUID_CF, key, columns)

    def update(self, obj_type, obj_uuid, set_props, del_props, ref_changes, old_perms2=None):
        """Apply a partial update: props to set/delete, ``ref_changes`` = (adds, removes)."""
        adds, removes = ref_changes
        rows = {obj_uuid: prop_columns(obj_type, set_props)}
        for ref_type, ref_uuid, attr in adds:
            self._add_ref_columns(rows, obj_type, obj_uuid, ref_type, ref_uuid, attr)
        removals = []
        for ref_type, ref_uuid in removes:
            removals.extend(self._ref_removals(obj_type, obj_uuid, ref_type, ref_uuid))
        collection_props = [p for p in list(set_props) + list(del_props)
                            if p in TYPES[obj_type]['list_props'] or p in TYPES[obj_type]['map_props']]
        with self.db.transaction():
            self._clear_collections(obj_uuid, collection_props)
            if del_props:
                self.db.remove(KS, UUID_CF, obj_uuid, ['prop:%s' % p for p in del_props])
            self._remove_columns(removals)
            self.db.batch_insert(KS, UUID_CF, rows)
            if 'perms2' in set_props:
                self._set_shared(obj_type, obj_uuid, set_props['perms2'], old_perms2)

    def _clear_collections(self, obj_uuid, props):
        if not props:
            return
        row = self.db.get_row(KS, UUID_CF, obj_uuid, decode=False)
        stale = [c for c in row if c.split(':')[0] in ('propl', 'propm') and c.split(':')[1] in props]
        if stale:
            self.db.remove(KS, UUID_CF, obj_uuid, stale)

    def delete(self, obj_type, obj_uuid, row):
        """Remove an object with its parent link, refs/backrefs and index entries."""
        removals = []
        for column in row:
            kind, _, rest = column.partition(':')
            if kind == 'ref':
                ref_type, ref_uuid = rest.split(':', 1)
                removals.extend(self._ref_removals(obj_type, obj_uuid, ref_type, ref_uuid)[1:])
            elif kind == 'parent':
                removals.append((rest.split(':', 1)[1], 'children:%s:%s' % (obj_type, obj_uuid)))
            elif kind == 'backref':        # only relaxed back-refs survive the delete checks
                referrer = rest.split(':', 1)[1]
                removals.append((referrer, 'ref:%s:%s' % (obj_type, obj_uuid)))
        with self.db.transaction():
            self._remove_columns(removals)
            self.db.remove(KS, UUID_CF, obj_uuid)
            self.db.remove(KS, FQ_CF, obj_type, ['%s:%s' % (fq_str(row['fq_name']), obj_uuid)])
            self._set_shared(obj_type, obj_uuid, None, row.get('prop:perms2'))

    def _set_shared(self, obj_type, obj_uuid, perms2, old_perms2=None):
        """obj_shared_table: ``global::<uuid>`` / ``tenant:<project>:<uuid>`` = rwx bits."""
        stale = set(shared_columns(obj_uuid, old_perms2)) - set(shared_columns(obj_uuid, perms2))
        if stale:
            self.db.remove(KS, SHARED_CF, obj_type, list(stale))
        columns = shared_columns(obj_uuid, perms2)
        if columns:
            self.db.insert(KS, SHARED_CF, obj_type, columns)

    def touch(self, obj_uuid, props):
        """Rewrite some props (id_perms last_modified bump after ref/prop-collection updates)."""
        self.db.insert(KS, UUID_CF, obj_uuid, {'prop:%s' % k: v for k, v in props.items()})

    def set_collection_items(self, obj_uuid, kind, prop, items):
        """Write ``propl:``/``propm:`` columns {position: value}."""
        self.db.insert(KS, UUID_CF, obj_uuid,
                       {'%s:%s:%s' % (kind, prop, pos): value for pos, value in items.items()})

    def remove_collection_items(self, obj_uuid, kind, prop, positions):
        self.db.remove(KS, UUID_CF, obj_uuid, ['%s:%s:%s' % (kind, prop, p) for p in positions])


def shared_columns(obj_uuid, perms2):
    """The obj_shared_table columns an object's perms2 implies (vnc_db build_shared_index)."""
    columns = {}
    if perms2 and perms2.get('global_access'):
        columns['global::%s' % obj_uuid] = perms2['global_access']
    for share in (perms2 or {}).get('share') or []:
        tenant = share.get('tenant', '')
        kind, tid = tenant.split(':', 1) if ':' in tenant else ('tenant', tenant)
        columns['%s:%s:%s' % (kind, tid.replace('-', ''), obj_uuid)] = share.get('tenant_access', 0)
    return columns


def prop_columns(obj_type, props):
    """Property columns: ``prop:``, or per-element ``propl:``/``propm:`` without the wrapper."""
    spec = TYPES[obj_type]
    columns = {}
    for name, value in props.items():
        if name in spec['list_props']:
            wrapper = spec['list_props'][name]
            items = (value or {}).get(wrapper) if wrapper else value
            for pos, item in enumerate(items or []):
                columns['propl:%s:%s' % (name, pos)] = item
        elif name in spec['map_props']:
            wrapper, key_name = spec['map_props'][name]
            items = (value or {}).get(wrapper) if wrapper else value
            for item in items or []:
                columns['propm:%s:%s' % (name, item.get(key_name))] = item
        else:
            columns['prop:%s' % name] = value
    return columns


# ------------------------------------------------------------------------------------------
# Rendering stored rows as API dicts
# ------------------------------------------------------------------------------------------
class Renderer(object):
    """Turns obj_uuid_table rows into the JSON objects the API returns."""

    def __init__(self, base_url, with_hrefs=True, ref_hrefs=True):
        self.base = base_url
        self.with_hrefs = with_hrefs
        self.ref_hrefs = ref_hrefs and with_hrefs

    def href(self, obj_type, obj_uuid):
        return '%s/%s/%s' % (self.base, res_type(obj_type), obj_uuid)

    @staticmethod
    def linked_uuids(row, kinds):
        """uuids named by ref/backref/children columns (to look their fq_names up in one go)."""
        out = set()
        for column in row:
            kind, _, rest = column.partition(':')
            if kind in kinds:
                out.add(rest.split(':', 1)[1])
        return out

    def render(self, obj_uuid, row, fq_names, fields=None, back_refs=True, children=True):
        """One object; ``fields`` = extra backref/children field names wanted (None = all)."""
        obj_type = row['type']
        obj = {'uuid': obj_uuid, 'fq_name': row['fq_name'], 'name': row['fq_name'][-1]}
        if self.with_hrefs:
            obj['href'] = self.href(obj_type, obj_uuid)
        lists, maps, links = {}, {}, {}
        for column, value in row.items():
            kind, _, rest = column.partition(':')
            if kind == 'prop':
                obj[rest] = value
            elif kind == 'propl':
                name, pos = rest.split(':', 1)
                lists.setdefault(name, []).append((pos, value))
            elif kind == 'propm':
                name, key = rest.split(':', 1)
                maps.setdefault(name, []).append((key, value))
            elif kind == 'parent':
                parent_type, parent_uuid = rest.split(':', 1)
                obj['parent_type'] = row.get('parent_type') or res_type(parent_type)
                obj['parent_uuid'] = parent_uuid
                if self.with_hrefs:
                    obj['parent_href'] = self.href(parent_type, parent_uuid)
            elif kind in ('ref', 'backref', 'children'):
                link_type, link_uuid = rest.split(':', 1)
                links.setdefault((kind, link_type), []).append((link_uuid, value))
        self._add_collections(obj_type, obj, lists, maps)
        self._add_links(obj, links, fq_names, fields, back_refs, children)
        return obj

    @staticmethod
    def _add_collections(obj_type, obj, lists, maps):
        spec = TYPES[obj_type]
        for name, items in lists.items():
            values = [v for _, v in sorted(items, key=lambda i: _pos_key(i[0]))]
            wrapper = spec['list_props'].get(name)
            obj[name] = {wrapper: values} if wrapper else values
        for name, items in maps.items():
            values = [v for _, v in sorted(items)]
            wrapper = (spec['map_props'].get(name) or (None,))[0]
            obj[name] = {wrapper: values} if wrapper else values

    def _add_links(self, obj, links, fq_names, fields, back_refs, children):
        for (kind, link_type), items in sorted(links.items()):
            if kind == 'ref':
                key, hrefs = '%s_refs' % link_type, self.ref_hrefs
            elif kind == 'backref':
                key, hrefs = '%s_back_refs' % link_type, self.with_hrefs
                if not back_refs and (fields is None or key not in fields):
                    continue
            else:
                key, hrefs = '%ss' % link_type, self.with_hrefs
                if not children and (fields is None or key not in fields):
                    continue
            entries = []
            for link_uuid, value in sorted(items):
                if link_uuid not in fq_names:
                    continue                     # dangling column of a half-deleted object
                entry = {'to': fq_names[link_uuid], 'uuid': link_uuid}
                if kind != 'children':
                    entry['attr'] = (value or {}).get('attr')
                if hrefs:
                    entry['href'] = self.href(link_type, link_uuid)
                entries.append(entry)
            obj[key] = entries


def _split_raw_row(columns):
    """(``'"prop": <stored JSON>, ...'`` text, other columns decoded) of an undecoded row.

    Detail lists splice the stored property JSON as is; only the fq_name/type/parent/ref/
    propl/propm columns are decoded; back-refs, children and META are not needed.
    """
    members, row = [], {}
    loads = json.loads
    for column, value in columns.items():
        if column.startswith('prop:'):
            members.append('"%s": %s' % (column[5:], value))
        elif column in ('type', 'parent_type'):
            # plain JSON strings: skip the decoder when there is nothing to unescape
            row[column] = value[1:-1] if '\\' not in value else loads(value)
        elif column.startswith(('ref:', 'propl:', 'propm:')) or column == 'fq_name':
            row[column] = loads(value)
        elif column.startswith('parent:'):
            row[column] = None
    return ', '.join(members), row


def _pos_key(pos):
    return (0, int(pos), '') if pos.isdigit() else (1, 0, pos)


# ------------------------------------------------------------------------------------------
# Notifications (wire-formats §3)
# ------------------------------------------------------------------------------------------
class Notifier(object):
    """Builds 3.2 or 4.0 object-update messages and hands them to the publisher."""

    def __init__(self, publisher, release):
        self.publisher = publisher
        self.release = release

    def _send(self, message):
        if self.publisher is None:
            return
        try:
            self.publisher.publish(message)
        except OverflowError as exc:
            raise HttpError(500, str(exc))

    def check_capacity(self):
        """Refuse a write up front when RabbitMQ has too many pending publishes (500)."""
        if self.publisher is not None and \
                self.publisher.pending_count() >= self.publisher.max_pending:
            raise HttpError(500, 'Too many pending updates to RabbitMQ: %d'
                            % self.publisher.pending_count())

    def create(self, req_id, obj_type, obj_uuid, fq_name, obj_dict, parent):
        if self.release == '3.2':
            parent_imid = imid(parent[0], parent[1]) if parent else 'contrail:config-root:root'
            self._send({'request-id': req_id, 'oper': 'CREATE', 'type': obj_type, 'uuid': obj_uuid,
                        'imid': imid(obj_type, fq_name), 'parent_imid': parent_imid,
                        'obj_dict': obj_dict})
        else:
            self._send({'request-id': req_id, 'oper': 'CREATE', 'type': obj_type, 'uuid': obj_uuid,
                        'fq_name': fq_name, 'obj_dict': obj_dict})

    def update(self, req_id, obj_type, obj_uuid, fq_name):
        if self.release == '3.2':
            self._send({'oper': 'UPDATE', 'type': obj_type, 'uuid': obj_uuid})
        else:
            self._send({'request-id': req_id, 'oper': 'UPDATE', 'type': obj_type,
                        'uuid': obj_uuid, 'fq_name': fq_name})

    def delete(self, req_id, obj_type, obj_uuid, fq_name, obj_dict, parent):
        if self.release == '3.2':
            parent_imid = imid(parent[0], parent[1]) if parent else 'contrail:config-root:root'
            self._send({'oper': 'DELETE', 'type': obj_type, 'uuid': obj_uuid,
                        'imid': imid(obj_type, fq_name), 'parent_imid': parent_imid,
                        'obj_dict': obj_dict})
        else:
            self._send({'request-id': req_id, 'oper': 'DELETE', 'type': obj_type,
                        'uuid': obj_uuid, 'fq_name': fq_name, 'obj_dict': obj_dict})

    def update_implicit(self, req_id, obj_type, odb, uuids):
        """4.0 only: objects whose children/back-refs changed; ``type`` is the originator's."""
        if self.release == '3.2' or not uuids:
            return
        for obj_uuid, fq_name in sorted(odb.fq_names(uuids).items()):
            self._send({'request-id': req_id, 'oper': 'UPDATE-IMPLICIT', 'type': obj_type,
                        'uuid': obj_uuid, 'fq_name': fq_name})


# ------------------------------------------------------------------------------------------
# The API
# ------------------------------------------------------------------------------------------
class Request(object):
    def __init__(self, method, path, query, headers, body, base_url):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.req_id = headers.get('X-Request-Id') or 'req-%s' % uuidlib.uuid4()

    def flag(self, name):
        """Contrail's boolean params: present and containing 'true' (exclude_* only need presence)."""
        value = self.query.get(name)
        return value is not None and 'true' in value.lower()

    def present(self, name):
        return name in self.query

    def json(self):
        if not isinstance(self.body, dict):
            raise HttpError(400, 'Bad Request, body is not a JSON object')
        return self.body


class ApiServer(object):
    """Request handlers; each returns a JSON-able dict, or None for an empty 200 body."""

    def __init__(self, conf, pool, zkc, publisher):
        self.conf = conf
        # config_api_ssl_enable (4.0 and later): the API serves HTTPS with config_api_ssl_certfile.
        self.scheme = 'https' if tls.enabled(conf.get('config_api_ssl_enable')) else 'http'
        self.release = release_of(conf)
        self.pool = pool
        self.zk = zkc
        self.notify = Notifier(publisher, self.release)
        self.stale_lock_seconds = float(conf.get('stale_lock_seconds', 5))
        self.vn_ids = zk.vn_id_allocator(zkc) if zkc else None
        self.sg_ids = zk.sg_id_allocator(zkc) if zkc else None
        self.stats = {'requests': 0, 'errors': 0}
        self.tokens = keystone.TokenValidator(
            self.keystone_url(), conf.get('keystone_admin_user', ''),
            conf.get('keystone_admin_password', ''), conf.get('keystone_admin_tenant_name', ''))

    def renderer(self, req, ref_hrefs=True):
        return Renderer(req.base_url, with_hrefs=not req.present('exclude_hrefs'), ref_hrefs=ref_hrefs)

    # -- homepage ------------------------------------------------------------------------
    def homepage(self, req):
        base = req.base_url
        links = [_link('documentation', base + '/documentation/index.html', 'documentation', 'GET'),
                 _link('root', base + '/config-root', 'config-root', None)]
        types = sorted(TYPES, key=res_type)
        links += [_link('collection', '%s/%ss' % (base, res_type(t)), res_type(t), None) for t in types]
        links += [_link('resource-base', '%s/%s' % (base, res_type(t)), res_type(t), None) for t in types]
        for uri, name, method in ACTIONS:
            if uri == '/ifmap-to-id' and self.release != '3.2':
                continue
            links.append(_link('action', base + uri, name, method))
        links += [_link('action', base + uri, name, 'POST') for uri, name in VN_ACTIONS]
        return {'href': base, 'links': links}

    # -- read ----------------------------------------------------------------------------
    def read_row(self, odb, obj_type, obj_uuid, missing='Unknown id: %s'):
        row = odb.row(obj_uuid)
        if 'fq_name' not in row or 'type' not in row:
            raise HttpError(404, missing % obj_uuid)
        if obj_type and row['type'] != obj_type:
            raise HttpError(404, 'No %s object found for id %s' % (res_type(obj_type), obj_uuid))
        return row

    def full_object(self, odb, req, obj_uuid, row, fields=None, back_refs=True, children=True):
        linked = Renderer.linked_uuids(row, ('ref', 'backref', 'children'))
        return self.renderer(req).render(obj_uuid, row, odb.fq_names(linked), fields,
                                         back_refs, children)

    def http_read(self, req, obj_type, obj_uuid):
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            row = self.read_row(odb, obj_type, obj_uuid)
            etag = '"%s"' % (row.get('prop:id_perms') or {}).get('last_modified', '')
            if req.headers.get('If-None-Match') == etag:
                raise HttpError(304, '', {'ETag': etag})
            fields = _csv(req.query.get('fields'))
            if fields:
                obj = self.full_object(odb, req, obj_uuid, row, fields, False, False)
            else:
                obj = self.full_object(odb, req, obj_uuid, row, None,
                                       not req.present('exclude_back_refs'),
                                       not req.present('exclude_children'))
        return {res_type(obj_type): obj}, {'ETag': etag}

    # -- list ----------------------------------------------------------------------------
    def http_list(self, req, obj_type):
        query = dict(req.query)
        if query.get('parent_fq_name_str') and query.get('parent_type'):
            with self.pool.conn() as db:
                parent_type = obj_type_of(query['parent_type'])
                pid = ObjectDB(db).fq_name_to_uuid(parent_type, query['parent_fq_name_str'].split(':')) \
                    if parent_type else None
            query['parent_id'] = pid or uuidlib.UUID(int=0).hex
        return self.list_collection(req, obj_type, query)

    def list_bulk(self, req):
        body = req.json()
        obj_type = obj_type_of(body.get('type'))
        if obj_type is None:
            raise HttpError(404, "Resource type '%s' not found" % body.get('type'))
        query = {}
        for key in ('parent_id', 'back_ref_id', 'obj_uuids', 'fields', 'filters'):
            value = body.get(key)
            if value:
                query[key] = ','.join(value) if isinstance(value, list) else str(value)
        for key in ('count', 'detail', 'shared'):
            if body.get(key):
                query[key] = 'true'
        if body.get('exclude_hrefs'):
            query['exclude_hrefs'] = 'true'
        return self.list_collection(req, obj_type, query)

    def list_collection(self, req, obj_type, query):
        sub = Request(req.method, req.path, query, req.headers, None, req.base_url)
        collection = '%ss' % res_type(obj_type)
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            uuids = self._list_candidates(odb, obj_type, query)
            detail, fields = sub.flag('detail'), _csv(query.get('fields'))
            filters = _filters(query.get('filters'))
            need_rows = fields or filters
            if detail and not need_rows and not sub.flag('count'):
                return RawJson('{"%s": %s}' % (collection,
                                               self._detail_entries(odb, sub, obj_type, uuids).text))
            rows = odb.rows(uuids) if need_rows else odb.db.get_rows(KS, UUID_CF, uuids, 'fq_name')
            rows = {k: v for k, v in rows.items() if v.get('fq_name') is not None and
                    (not need_rows or v.get('type') == obj_type) and _matches(v, filters)}
            if sub.flag('count'):
                return {collection: {'count': len(rows)}}
            if detail:
                return RawJson('{"%s": %s}' % (collection,
                                               self._detail_entries(odb, sub, obj_type, rows).text))
            return {collection: self._brief_entries(odb, sub, obj_type, rows, fields)}

    def _list_candidates(self, odb, obj_type, query):
        """uuids selected by parent_id / back_ref_id / obj_uuids (intersection), or all of the type."""
        selections = []
        if query.get('parent_id'):
            found = odb.columns_with_prefix(_csv(query['parent_id']), 'children:%s:' % obj_type)
            selections.append(set(u for cols in found.values() for u in cols))
        if query.get('back_ref_id'):
            ids = _csv(query['back_ref_id'])
            found = odb.columns_with_prefix(ids, 'backref:%s:' % obj_type)
            same = odb.columns_with_prefix(ids, 'ref:%s:' % obj_type)
            selections.append(set(u for d in (found, same) for cols in d.values() for u in cols))
        if query.get('obj_uuids'):
            selections.append(set(_csv(query['obj_uuids'])))
        if not selections:
            return odb.type_uuids(obj_type)
        return list(set.intersection(*selections))

    def _detail_entries(self, odb, req, obj_type, rows):
        """Detail objects (props + refs, no back-refs/children) as pre-encoded JSON text.

        Property values are spliced from the stored JSON (_split_raw_row) instead of
        being decoded and re-encoded: that is what keeps a 50,000-network detail list fast.
        4.0 gives refs no href.
        """
        renderer = self.renderer(req, ref_hrefs=self.release == '3.2')
        split = [(obj_uuid, _split_raw_row(cols)) for obj_uuid, cols in
                 odb.db.get_rows(KS, UUID_CF, list(rows), decode=False).items()]
        linked = set()
        for _, (_, row) in split:
            linked |= Renderer.linked_uuids(row, ('ref',))
        fq_names = odb.fq_names(linked)
        key = res_type(obj_type)
        entries = []
        for obj_uuid, (members, row) in split:
            if row.get('type') != obj_type or row.get('fq_name') is None:
                continue
            text = json.dumps(renderer.render(obj_uuid, row, fq_names, (), False, False))
            if members:
                text = text[:-1] + ', ' + members + '}'
            entries.append('{"%s": %s}' % (key, text))
        return RawJson('[' + ', '.join(entries) + ']')

    def _brief_entries(self, odb, req, obj_type, rows, fields):
        renderer = self.renderer(req)
        entries = []
        fq_names = {}
        if fields:
            linked = set()
            for row in rows.values():
                linked |= Renderer.linked_uuids(row, ('ref', 'backref', 'children'))
            fq_names = odb.fq_names(linked)
        for obj_uuid, row in rows.items():
            entry = {'fq_name': row['fq_name'], 'uuid': obj_uuid}
            if renderer.with_hrefs:
                entry['href'] = renderer.href(obj_type, obj_uuid)
            if fields:
                full = renderer.render(obj_uuid, row, fq_names, fields, False, False)
                entry.update({f: full[f] for f in fields if f in full})
            entries.append(entry)
        return entries

    # -- create --------------------------------------------------------------------------
    def http_create(self, req, obj_type):
        body = req.json()
        obj_dict = body.get(res_type(obj_type), body.get(obj_type))
        if not isinstance(obj_dict, dict):
            raise HttpError(400, 'Bad Request, no %s in POST body' % res_type(obj_type))
        self.notify.check_capacity()
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            obj = self._validate_create(odb, req, obj_type, obj_dict)
            self._lock_fq_name(odb, obj)
            try:
                self._pre_create(obj)
                odb.create(obj)
            except Exception:
                self._undo_create(obj)
                raise
            published = self._published_create_dict(obj)
            parent = (obj['parent_obj_type'], obj['fq_name'][:-1]) if obj.get('parent_uuid') else None
            self.notify.create(req.req_id, obj_type, obj['uuid'], obj['fq_name'], published, parent)
            implicit = [obj['parent_uuid']] if obj.get('parent_uuid') else []
            implicit += [r[1] for r in obj['refs']]
            self.notify.update_implicit(req.req_id, obj_type, odb, implicit)
        renderer = self.renderer(req)
        result = {'name': obj['fq_name'][-1], 'fq_name': obj['fq_name'], 'uuid': obj['uuid'],
                  'href': renderer.href(obj_type, obj['uuid'])}
        if obj.get('parent_uuid'):
            result['parent_uuid'] = obj['parent_uuid']
            result['parent_href'] = renderer.href(obj['parent_obj_type'], obj['parent_uuid'])
        return {res_type(obj_type): result}

    def _validate_create(self, odb, req, obj_type, obj_dict):
        """All of _http_post_validate's checks, in its order; returns the object to write."""
        spec = TYPES[obj_type]
        fq_name = obj_dict.get('fq_name')
        if not fq_name:
            raise HttpError(400, 'Bad Request, no fq_name in POST body')
        fq_name = [str(x) for x in fq_name]
        if ':' in fq_name[-1] and obj_type != 'route_target':
            raise HttpError(400, "Bad Request, name has one of invalid chars set([':'])")
        obj = {'type': obj_type, 'fq_name': fq_name, 'props': {}, 'refs': []}
        self._resolve_parent(odb, obj, obj_dict, spec)
        obj['uuid'] = self._new_uuid(odb, obj_dict.get('uuid'))
        existing = odb.fq_name_to_uuid(obj_type, fq_name)
        if existing:
            raise HttpError(409, '%s already exists with uuid: %s' % (pprint.pformat(fq_name), existing))
        for name in spec['props']:
            if obj_dict.get(name) is not None:
                obj['props'][name] = obj_dict[name]
        self._check_props(obj_type, obj['props'], 'create')
        obj['refs'] = self._resolve_refs(odb, obj_type, obj_dict)
        obj['ref_to'] = odb.fq_names([r[1] for r in obj['refs']])
        self._default_props(odb, req, obj, obj_dict)
        return obj

    def _resolve_parent(self, odb, obj, obj_dict, spec):
        parent_res = obj_dict.get('parent_type')
        if parent_res == 'config-root':
            parent_res = None
        allowed = spec['parents']
        if parent_res is None and len(obj['fq_name']) > 1:
            if len(allowed) != 1:
                raise HttpError(400, 'Missing parent type: %s. Allowed types: %s'
                                % (obj['fq_name'], [res_type(p) for p in allowed]))
            parent_res = res_type(allowed[0])
        if parent_res is None:
            if not spec['root_child'] and allowed:
                raise HttpError(400, 'Missing parent type: %s. Allowed types: %s'
                                % (obj['fq_name'], [res_type(p) for p in allowed]))
            return
        parent_type = obj_type_of(parent_res)
        if parent_type not in allowed:
            raise HttpError(400, 'Invalid parent type: %s. Allowed types: %s'
                            % (parent_res, [res_type(p) for p in allowed]))
        parent_uuid = odb.fq_name_to_uuid(parent_type, obj['fq_name'][:-1])
        if parent_uuid is None:
            raise HttpError(400, 'Parent %s type %s does not exist'
                            % (pprint.pformat(obj['fq_name'][:-1]), res_type(parent_type)))
        obj.update(parent_type=parent_res, parent_obj_type=parent_type, parent_uuid=parent_uuid)

    @staticmethod
    def _new_uuid(odb, requested):
        if not requested:
            return str(uuidlib.uuid4())
        try:
            requested = str(uuidlib.UUID(requested))
        except (ValueError, TypeError, AttributeError):
            raise HttpError(400, 'Invalid UUID format: %s' % requested)
        row = odb.db.get_row(KS, UUID_CF, requested, column_prefix='fq_name')
        if row:
            raise HttpError(409, '%s already exists with fq_name: %s'
                            % (requested, pprint.pformat(row['fq_name'])))
        return requested

    @staticmethod
    def _check_props(obj_type, props, what):
        """Type check of simple properties against the schema (Bad property in create/update)."""
        spec = TYPES[obj_type]['props']
        for name, value in props.items():
            xsd = spec[name]['type']
            ok = True
            if value is None:
                continue
            if spec[name]['complex']:
                ok = isinstance(value, (dict, list))
            elif xsd in ('integer', 'int', 'long', 'unsignedInt', 'unsignedLong'):
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif xsd == 'boolean':
                ok = isinstance(value, bool)
            elif xsd == 'string':
                ok = isinstance(value, str)
            if not ok:
                raise HttpError(400, 'Bad property in %s: %s: %r is not of type %s'
                                % (what, name, value, xsd))

    def _resolve_refs(self, odb, obj_type, obj_dict, only=None):
        """[(ref_type, ref_uuid, attr)] from ``<x>_refs`` lists (by uuid or by ``to``)."""
        refs = []
        for ref_type in TYPES[obj_type]['refs']:
            key = '%s_refs' % ref_type
            if key not in obj_dict or (only is not None and ref_type not in only):
                continue
            for ref in obj_dict.get(key) or []:
                ref_uuid = ref.get('uuid')
                if ref_uuid:
                    row = odb.db.get_row(KS, UUID_CF, ref_uuid, column_prefix='type')
                    if row.get('type') != ref_type:
                        ref_uuid = None
                elif ref.get('to'):
                    ref_uuid = odb.fq_name_to_uuid(ref_type, ref['to'])
                if not ref_uuid:
                    raise HttpError(400, 'Unknown reference in resource %s %s.'
                                    % ('create' if only is None else 'update', ref))
                attr = ref.get('attr')
                if (obj_type, ref_type) == ('virtual_network', 'network_ipam'):
                    attr = _with_subnet_uuids(attr)
                refs.append((ref_type, ref_uuid, attr))
        return refs

    def _default_props(self, odb, req, obj, obj_dict):
        """id_perms / perms2 / display_name as _ensure_id_perms_present & co. fill them."""
        props = obj['props']
        given = obj_dict.get('id_perms') or {}
        stamp = now_iso()
        props['id_perms'] = {
            'permissions': dict(DEFAULT_PERMS), 'uuid': uuid_longs(obj['uuid']),
            'enable': given.get('enable', True), 'created': stamp, 'last_modified': stamp,
            'description': given.get('description'), 'user_visible': given.get('user_visible', True),
            'creator': given.get('creator')}
        perms2 = dict(obj_dict.get('perms2') or {})
        if not perms2.get('owner'):
            perms2['owner'] = self._default_owner(odb, req, obj)
        perms2.setdefault('owner_access', 7)
        perms2.setdefault('global_access', 0)
        perms2.setdefault('share', [])
        props['perms2'] = perms2
        props.setdefault('display_name', obj['fq_name'][-1])

    @staticmethod
    def _default_owner(odb, req, obj):
        if obj['type'] == 'project':
            return obj['uuid'].replace('-', '')
        if obj.get('parent_uuid'):
            parent = odb.db.get_row(KS, UUID_CF, obj['parent_uuid'], column_prefix='prop:perms2')
            owner = (parent.get('prop:perms2') or {}).get('owner')
            if owner:
                return owner
        return (req.headers.get('X-Project-Id') or 'cloud-admin').replace('-', '')

    def _lock_fq_name(self, odb, obj):
        if self.zk is None:
            return
        try:
            holder = self.zk.lock_fq_name(
                obj['type'], obj['fq_name'], obj['uuid'],
                lambda u: bool(odb.db.get_row(KS, UUID_CF, u, column_prefix='fq_name')),
                self.stale_lock_seconds)
        except zk.ZkUnavailable as exc:
            raise HttpError(503, str(exc))
        if holder and holder != obj['uuid']:
            raise HttpError(409, '%s already exists with uuid: %s'
                            % (pprint.pformat(obj['fq_name']), holder))

    def _pre_create(self, obj):
        """Type hooks of vnc_cfg_types: VN and SG ids from ZooKeeper."""
        props, name = obj['props'], fq_str(obj['fq_name'])
        if obj['type'] == 'virtual_network' and self.vn_ids:
            if props.get('virtual_network_network_id'):
                self.vn_ids.reserve(props['virtual_network_network_id'] - 1, name)
            else:
                props['virtual_network_network_id'] = self.vn_ids.alloc(name) + 1
        elif obj['type'] == 'security_group' and self.sg_ids:
            configured = props.get('configured_security_group_id') or 0
            if configured > 0:
                props['security_group_id'] = configured
            else:
                props['security_group_id'] = self.sg_ids.alloc(name) + zk.SGID_MIN_ALLOC

    def _release_ids(self, obj_type, props):
        try:
            if obj_type == 'virtual_network' and self.vn_ids and props.get('virtual_network_network_id'):
                self.vn_ids.delete(props['virtual_network_network_id'] - 1)
            elif obj_type == 'security_group' and self.sg_ids and \
                    not props.get('configured_security_group_id') and \
                    (props.get('security_group_id') or 0) > zk.SGID_MIN_ALLOC:
                self.sg_ids.delete(props['security_group_id'] - zk.SGID_MIN_ALLOC)
        except zk.ZkUnavailable:
            LOG.warning('ids of %s not freed: ZooKeeper down', obj_type)

    def _undo_create(self, obj):
        self._release_ids(obj['type'], obj['props'])
        if self.zk is not None:
            try:
                self.zk.unlock_fq_name(obj['type'], obj['fq_name'])
            except zk.ZkUnavailable:
                pass

    @staticmethod
    def _published_create_dict(obj):
        out = {'fq_name': obj['fq_name'], 'uuid': obj['uuid']}
        if obj.get('parent_uuid'):
            out.update(parent_type=obj['parent_type'], parent_uuid=obj['parent_uuid'])
        out.update(obj['props'])
        for ref_type, ref_uuid, attr in obj['refs']:
            out.setdefault('%s_refs' % ref_type, []).append(
                {'to': obj['ref_to'].get(ref_uuid), 'uuid': ref_uuid, 'attr': attr})
        return out

    # -- update --------------------------------------------------------------------------
    def http_update(self, req, obj_type, obj_uuid):
        if not req.body:
            return None
        obj_dict = req.json().get(res_type(obj_type), req.json().get(obj_type))
        if not obj_dict:
            return None
        self.notify.check_capacity()
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            row = self.read_row(odb, obj_type, obj_uuid)
            set_props, del_props = self._update_props(obj_type, row, obj_dict)
            adds, removes = self._update_refs(odb, obj_type, obj_uuid, row, obj_dict)
            odb.update(obj_type, obj_uuid, set_props, del_props, (adds, removes), row.get('prop:perms2'))
            self.notify.update(req.req_id, obj_type, obj_uuid, row['fq_name'])
            changed = [r[1] for r in adds] + [r[1] for r in removes]
            self.notify.update_implicit(req.req_id, obj_type, odb, changed)
        return {res_type(obj_type): {'uuid': obj_uuid, 'href': self.renderer(req).href(obj_type, obj_uuid)}}

    def _update_props(self, obj_type, row, obj_dict):
        """(props to write, props to delete) for a partial update; id_perms keeps system fields."""
        spec = TYPES[obj_type]['props']
        set_props, del_props = {}, []
        for name in spec:
            if name not in obj_dict or name == 'id_perms':
                continue
            if obj_dict[name] is None:
                del_props.append(name)
            else:
                set_props[name] = obj_dict[name]
        if 'perms2' in set_props and not set_props['perms2'].get('owner'):
            raise HttpError(400, 'owner in perms2 must be present')
        self._check_props(obj_type, set_props, 'update')
        id_perms = dict(row.get('prop:id_perms') or {})
        for key in ('enable', 'description'):
            if key in (obj_dict.get('id_perms') or {}):
                id_perms[key] = obj_dict['id_perms'][key]
        id_perms['last_modified'] = now_iso()
        set_props['id_perms'] = id_perms
        return set_props, del_props

    def _update_refs(self, odb, obj_type, obj_uuid, row, obj_dict):
        """A ``<x>_refs`` key replaces all refs of that type: returns (adds, removes)."""
        present = [t for t in TYPES[obj_type]['refs'] if '%s_refs' % t in obj_dict]
        if not present:
            return [], []
        wanted = self._resolve_refs(odb, obj_type, obj_dict, only=present)
        wanted_keys = set((t, u) for t, u, _ in wanted)
        removes = []
        for column in row:
            kind, _, rest = column.partition(':')
            if kind == 'ref':
                ref_type, ref_uuid = rest.split(':', 1)
                if ref_type in present and (ref_type, ref_uuid) not in wanted_keys:
                    removes.append((ref_type, ref_uuid))
        return wanted, removes

    # -- delete --------------------------------------------------------------------------
    def http_delete(self, req, obj_type, obj_uuid):
        self.notify.check_capacity()
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            row = self.read_row(odb, obj_type, obj_uuid, missing='ID %s does not exist')
            if obj_type == 'virtual_network' and row['fq_name'] in (IP_FABRIC_VN, LINK_LOCAL_VN):
                raise HttpError(409, 'Can not delete system created default virtual-network %s' % obj_uuid)
            full = self.full_object(odb, req, obj_uuid, row)
            defaults = self._check_deletable(req, obj_type, row, full)
            for child_type, child_uuid in defaults:
                self._delete_object(odb, req, child_type, child_uuid)
            self._delete_object(odb, req, obj_type, obj_uuid, row, full)
        return None

    def _check_deletable(self, req, obj_type, row, full):
        """409s of http_resource_delete; returns the default children to delete first."""
        renderer = self.renderer(req)
        blocking, defaults = [], []
        for child_type, derived in TYPES[obj_type]['children'].items():
            for child in full.get('%ss' % child_type, []):
                if child['to'][-1] == 'default-%s' % res_type(child_type):
                    defaults.append((child_type, child['uuid']))
                elif not derived:
                    blocking.append(renderer.href(child_type, child['uuid']))
        if blocking:
            raise HttpError(409, 'Delete when children still present: %s' % blocking)
        relaxed = set(c.split(':', 1)[1] for c in row if c.startswith('relaxbackref:'))
        referred = []
        for column in row:
            kind, _, rest = column.partition(':')
            if kind == 'backref':
                ref_type, ref_uuid = rest.split(':', 1)
                if ref_uuid not in relaxed:
                    referred.append(renderer.href(ref_type, ref_uuid))
        if referred:
            raise HttpError(409, 'Delete when resource still referred: %s' % referred)
        return defaults

    def _delete_object(self, odb, req, obj_type, obj_uuid, row=None, full=None):
        row = row or self.read_row(odb, obj_type, obj_uuid, missing='ID %s does not exist')
        full = full or self.full_object(odb, req, obj_uuid, row)
        odb.delete(obj_type, obj_uuid, row)
        props = dict((c[5:], v) for c, v in row.items() if c.startswith('prop:'))
        self._release_ids(obj_type, props)
        if self.zk is not None:
            try:
                self.zk.unlock_fq_name(obj_type, row['fq_name'])
            except zk.ZkUnavailable:
                LOG.warning('fq-name lock of %s not removed: ZooKeeper down', obj_uuid)
        parent = None
        if full.get('parent_uuid'):
            parent = (obj_type_of(full['parent_type']), row['fq_name'][:-1])
        self.notify.delete(req.req_id, obj_type, obj_uuid, row['fq_name'], full, parent)
        implicit = [full['parent_uuid']] if full.get('parent_uuid') else []
        implicit += Renderer.linked_uuids(row, ('ref',))
        self.notify.update_implicit(req.req_id, obj_type, odb, implicit)

    # -- actions -------------------------------------------------------------------------
    def fqname_to_id(self, req):
        body = req.json()
        obj_type = obj_type_of(body.get('type'))
        fq_name = body.get('fq_name') or []
        with self.pool.conn() as db:
            found = ObjectDB(db).fq_name_to_uuid(obj_type, fq_name) if obj_type else None
        if not found:
            raise HttpError(404, 'Name %s not found' % pprint.pformat(fq_name))
        return {'uuid': found}

    def id_to_fqname(self, req):
        obj_uuid = req.json().get('uuid')
        with self.pool.conn() as db:
            row = db.get_row(KS, UUID_CF, obj_uuid or '') if obj_uuid else {}
        if 'fq_name' not in row:
            raise HttpError(404, 'UUID %s not found' % obj_uuid)
        return {'fq_name': row['fq_name'], 'type': res_type(row['type'])}

    def ifmap_to_id(self, req):
        ifmap_id = req.json().get('ifmap_id') or ''
        parts = ifmap_id.split(':')
        obj_type = obj_type_of(parts[1]) if len(parts) > 2 else None
        with self.pool.conn() as db:
            found = ObjectDB(db).fq_name_to_uuid(obj_type, parts[2:]) if obj_type else None
        if not found:
            raise HttpError(404, 'Name %s not found' % ifmap_id)
        return {'uuid': found}

    def ref_update(self, req):
        body = req.json()
        obj_type, obj_uuid = obj_type_of(body.get('type')), body.get('uuid')
        ref_type, operation = obj_type_of(body.get('ref-type')), body.get('operation')
        if not (body.get('type') and obj_uuid and body.get('ref-type') and operation):
            raise HttpError(400, 'Bad Request: type/uuid/ref-type/operation is null: %s, %s, %s, %s'
                            % (body.get('type'), obj_uuid, body.get('ref-type'), operation))
        operation = operation.upper()
        if operation not in ('ADD', 'DELETE'):
            raise HttpError(400, 'Bad Request: operation should be add or delete: %s' % operation)
        if obj_type is None or ref_type is None or ref_type not in TYPES[obj_type]['refs']:
            raise HttpError(400, 'Bad Request: invalid type or ref-type: %s, %s'
                            % (body.get('type'), body.get('ref-type')))
        self.notify.check_capacity()
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            ref_uuid = self._ref_target(odb, ref_type, body)
            row = self.read_row(odb, obj_type, obj_uuid, missing='Object Not Found: %s')
            if operation == 'ADD':
                odb.update(obj_type, obj_uuid, {}, [], ([(ref_type, ref_uuid, body.get('attr'))], []))
            else:
                odb.update(obj_type, obj_uuid, {}, [], ([], [(ref_type, ref_uuid)]))
            self._bump_last_modified(odb, obj_uuid, row)
            self.notify.update(req.req_id, obj_type, obj_uuid, row['fq_name'])
            self.notify.update_implicit(req.req_id, obj_type, odb, [ref_uuid])
        return {'uuid': obj_uuid}

    @staticmethod
    def _ref_target(odb, ref_type, body):
        ref_uuid = body.get('ref-uuid')
        if ref_uuid:
            return ref_uuid
        if not body.get('ref-fq-name'):
            raise HttpError(400, 'Bad Request: ref-uuid or ref-fq-name must be specified')
        ref_uuid = odb.fq_name_to_uuid(ref_type, body['ref-fq-name'])
        if not ref_uuid:
            raise HttpError(404, 'Name %s not found' % pprint.pformat(body['ref-fq-name']))
        return ref_uuid

    @staticmethod
    def _bump_last_modified(odb, obj_uuid, row):
        id_perms = dict(row.get('prop:id_perms') or {})
        id_perms['last_modified'] = now_iso()
        odb.touch(obj_uuid, {'id_perms': id_perms})

    def ref_relax(self, req):
        body = req.json()
        obj_uuid, ref_uuid = body.get('uuid'), body.get('ref-uuid')
        if not obj_uuid or not ref_uuid:
            raise HttpError(400, 'Bad Request: Both uuid and ref-uuid should be specified: %s, %s'
                            % (obj_uuid, ref_uuid))
        with self.pool.conn() as db:
            db.insert(KS, UUID_CF, ref_uuid, {'relaxbackref:%s' % obj_uuid: None})
        return {'uuid': obj_uuid}

    def prop_collection_get(self, req):
        obj_uuid, fields = req.query.get('uuid'), _csv(req.query.get('fields'))
        if not obj_uuid:
            raise HttpError(400, 'Object uuid needed for property collection get')
        if not fields:
            raise HttpError(400, 'Object property collection fields needed')
        position = req.query.get('position')
        with self.pool.conn() as db:
            row = self.read_row(ObjectDB(db), None, obj_uuid)
        result = {}
        for field in fields:
            kind = self._collection_kind(row['type'], field)
            items = []
            for column, value in row.items():
                parts = column.split(':', 2)
                if parts[0] == kind and parts[1] == field and (position is None or parts[2] == position):
                    items.append((value, parts[2]))
            items.sort(key=lambda i: _pos_key(i[1]) if kind == 'propl' else i[1])
            result[field] = [[v, p] for v, p in items]
        return result

    @staticmethod
    def _collection_kind(obj_type, field):
        if field in TYPES[obj_type]['list_props']:
            return 'propl'
        if field in TYPES[obj_type]['map_props']:
            return 'propm'
        raise HttpError(400, '%s neither "ListProperty" nor "MapProperty"' % field)

    def prop_collection_update(self, req):
        body = req.json()
        obj_uuid = body.get('uuid')
        if not obj_uuid:
            raise HttpError(400, 'Object uuid needed for property collection update')
        self.notify.check_capacity()
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            row = self.read_row(odb, None, obj_uuid)
            for update in body.get('updates') or []:
                self._apply_collection_update(odb, row['type'], obj_uuid, update)
            self._bump_last_modified(odb, obj_uuid, row)
            self.notify.update(req.req_id, row['type'], obj_uuid, row['fq_name'])
        return None

    def _apply_collection_update(self, odb, obj_type, obj_uuid, update):
        field, operation = update.get('field'), update.get('operation')
        kind = self._collection_kind(obj_type, field)
        value, position = update.get('value'), update.get('position')
        if kind == 'propl' and operation == 'add':
            odb.set_collection_items(obj_uuid, kind, field, {position or str(uuidlib.uuid4()): value})
        elif kind == 'propl' and operation == 'modify' and position is not None:
            odb.set_collection_items(obj_uuid, kind, field, {position: value})
        elif kind == 'propm' and operation == 'set':
            key_name = TYPES[obj_type]['map_props'][field][1]
            odb.set_collection_items(obj_uuid, kind, field, {value.get(key_name): value})
        elif operation == 'delete' and position is not None:
            odb.remove_collection_items(obj_uuid, kind, field, [position])
        else:
            raise HttpError(400, 'Unsupported operation %s for %s' % (operation, field))

    def useragent_kv(self, req):
        body = req.json()
        operation = body.get('operation')
        if not operation or 'key' not in body:
            raise HttpError(400, 'Bad Request: operation and key are required')
        key = body['key']
        with self.pool.conn() as db:
            if operation == 'STORE':
                db.insert('useragent', 'useragent_keyval_table', key, {'value': body.get('value')},
                          encode=False)
                return None
            if operation == 'DELETE':
                db.remove('useragent', 'useragent_keyval_table', key)
                return None
            if operation != 'RETRIEVE':
                raise HttpError(404, 'Invalid Operation %s' % operation)
            return self._useragent_retrieve(db, key)

    @staticmethod
    def _useragent_retrieve(db, key):
        if not key:
            rows = db.get_rows('useragent', 'useragent_keyval_table', decode=False)
            return {'value': [{'key': k, 'value': v.get('value')} for k, v in sorted(rows.items())]}
        keys = key if isinstance(key, list) else [key]
        rows = db.get_rows('useragent', 'useragent_keyval_table', keys, decode=False)
        if isinstance(key, list):
            return {'value': [rows[k]['value'] for k in keys if k in rows]}
        if key not in rows:
            raise HttpError(404, 'Unknown User-Agent key %s' % key)
        return {'value': rows[key]['value']}

    def obj_perms(self, req):
        """``GET /obj-perms?uuid=``: the object's permissions for the caller (no-auth: full)."""
        obj_uuid = req.query.get('uuid')
        with self.pool.conn() as db:
            row = self.read_row(ObjectDB(db), None, obj_uuid or '')
        return {'permissions': 'RWX', 'token_info': None,
                'is_global_read_only_role': False, 'is_cloud_admin_role': True,
                'perms2': row.get('prop:perms2')}

    def chown_chmod(self, req, action):
        body = req.json()
        obj_uuid = body.get('uuid')
        with self.pool.conn() as db:
            odb = ObjectDB(db)
            row = self.read_row(odb, None, obj_uuid or '')
            perms2 = dict(row.get('prop:perms2') or {})
            if action == 'chown':
                perms2['owner'] = (body.get('owner') or '').replace('-', '')
            else:
                for key in ('owner', 'owner_access', 'global_access', 'share'):
                    if body.get(key) is not None:
                        perms2[key] = body[key]
            odb.update(row['type'], obj_uuid, {'perms2': perms2}, [], ([], []), row.get('prop:perms2'))
            self.notify.update(req.req_id, row['type'], obj_uuid, row['fq_name'])
        return None

    # -- auth ----------------------------------------------------------------------------
    def check_auth(self, req):
        """auth=keystone and aaa_mode != no-auth: X-Auth-Token must be a valid keystone token.

        Validated as keystone's auth_token middleware does (vnc_auth_keystone.py): with the
        [KEYSTONE] admin credentials against ``auth_url``; ``lab_tokens`` (a static list) is
        accepted too, for tests without a keystone.
        """
        if self.conf.get('auth') != 'keystone' or self.conf.get('aaa_mode') == 'no-auth':
            return
        if req.path == '/' or req.path.startswith('/documentation'):
            return
        token = req.headers.get('X-Auth-Token')
        if token and token in set(_csv(self.conf.get('keystone_lab_tokens'))):
            return
        if token and self.conf.get('keystone_admin_user') and self.tokens.valid(token):
            return
        uri = self.keystone_url()
        raise HttpError(401, 'Authentication required',
                        {'WWW-Authenticate': "Keystone uri='%s'" % uri})

    def keystone_url(self):
        return self.conf.get('keystone_auth_url') or '%s://%s:%s' % (
            self.conf.get('keystone_auth_protocol', 'http'),
            self.conf.get('keystone_auth_host', '127.0.0.1'),
            self.conf.get('keystone_auth_port', '35357'))

    # -- routing -------------------------------------------------------------------------
    def dispatch(self, req):
        """(status, body dict or None, extra headers)."""
        self.check_auth(req)
        result = self._route(req)
        if isinstance(result, tuple):
            return 200, result[0], result[1]
        return 200, result, {}

    def _route(self, req):
        path, method = req.path.rstrip('/') or '/', req.method
        actions = {
            ('POST', '/fqname-to-id'): self.fqname_to_id,
            ('POST', '/id-to-fqname'): self.id_to_fqname,
            ('POST', '/ref-update'): self.ref_update,
            ('POST', '/ref-relax-for-delete'): self.ref_relax,
            ('GET', '/prop-collection-get'): self.prop_collection_get,
            ('POST', '/prop-collection-update'): self.prop_collection_update,
            ('POST', '/useragent-kv'): self.useragent_kv,
            ('POST', '/list-bulk-collection'): self.list_bulk,
            ('GET', '/obj-perms'): self.obj_perms,
            ('POST', '/chown'): lambda r: self.chown_chmod(r, 'chown'),
            ('POST', '/chmod'): lambda r: self.chown_chmod(r, 'chmod'),
            ('GET', '/aaa-mode'): self.aaa_mode,
            ('PUT', '/aaa-mode'): self.aaa_mode,
        }
        if self.release == '3.2':
            actions[('POST', '/ifmap-to-id')] = self.ifmap_to_id
        if path == '/' and method == 'GET':
            return self.homepage(req)
        if (method, path) in actions:
            return actions[(method, path)](req)
        return self._route_resource(req, path, method)

    def _route_resource(self, req, path, method):
        parts = path.strip('/').split('/')
        if len(parts) == 1:
            obj_type = collection_to_type(parts[0])
            if obj_type and method == 'GET':
                return self.http_list(req, obj_type)
            if obj_type and method == 'POST':
                return self.http_create(req, obj_type)
        elif len(parts) == 2 and obj_type_of(parts[0]) and '_' not in parts[0]:
            obj_type = obj_type_of(parts[0])
            handlers = {'GET': self.http_read, 'PUT': self.http_update, 'DELETE': self.http_delete}
            if method in handlers:
                return handlers[method](req, obj_type, parts[1])
        known = '/'.join(parts[:1])
        if len(parts) <= 2 and not (collection_to_type(known) or obj_type_of(known)):
            raise HttpError(404, "Resource type '%s' not found" % (known[:-1] if known.endswith('s') else known))
        raise HttpError(404, 'Not Found')

    def aaa_mode(self, req):
        if req.method == 'PUT':
            mode = req.json().get('aaa-mode')
            if mode not in ('no-auth', 'cloud-admin', 'rbac'):
                raise HttpError(400, 'Invalid aaa-mode %s' % mode)
            self.conf['aaa_mode'] = mode
        return {'aaa-mode': self.conf.get('aaa_mode')}


def _with_subnet_uuids(attr):
    """VnSubnetsType with a ``subnet_uuid`` on every ipam subnet: the API server allocates the ones
    the client left out (vnc_cfg_types), which is what neutron shows as the subnet id."""
    for subnet in (attr or {}).get('ipam_subnets') or []:
        if isinstance(subnet, dict) and not subnet.get('subnet_uuid'):
            subnet['subnet_uuid'] = str(uuidlib.uuid4())
    return attr


def _link(rel, href, name, method):
    return {'link': {'rel': rel, 'href': href, 'name': name, 'method': method}}


def _csv(value):
    if not value:
        return []
    if isinstance(value, list):
        return value
    return [v for v in str(value).split(',') if v]


def _filters(value):
    """``k==v,k2==v2`` -> {k: [values]}; values JSON-decoded when possible (utils.get_filters)."""
    out = {}
    for item in _csv(value):
        key, sep, raw = item.partition('==')
        if not sep:
            continue
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = raw
        out.setdefault(key, []).append(decoded)
    return out


def _matches(row, filters):
    for key, values in filters.items():
        if row.get('prop:%s' % key) not in values:
            return False
    return True


# ------------------------------------------------------------------------------------------
# HTTP transport
# ------------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """Thin HTTP/1.1 adapter: JSON in, JSON or plain-text error out."""

    protocol_version = 'HTTP/1.1'
    server_version = 'WSGIServer/0.1'
    api = None  # set on the subclass built by make_server

    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.address_string(), fmt % args)

    def _handle(self):
        try:
            req = self._request()
            status, body, headers = self.api.dispatch(req)
        except HttpError as err:
            status, body, headers = err.status, err.message, err.headers
        except Exception as exc:  # a bug: answer 500 like Bottle does, keep serving
            LOG.exception('internal error on %s %s', self.command, self.path)
            status, body, headers = 500, 'Internal Server Error: %s' % exc, {}
        self._respond(status, body, headers)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def _request(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        body = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise HttpError(400, 'Bad Request, invalid JSON body')
        host = self.headers.get('Host') or '%s:%s' % self.server.server_address[:2]
        return Request(self.command, url.path, query, self.headers, body,
                       '%s://%s' % (self.api.scheme, host))

    def _respond(self, status, body, headers):
        if isinstance(body, str):
            payload, ctype = body.encode(), 'text/html; charset=UTF-8'
        elif body is None:
            payload, ctype = b'', 'text/html; charset=UTF-8'
        elif isinstance(body, RawJson):
            payload, ctype = body.text.encode(), 'application/json'
        else:
            payload, ctype = json.dumps(body).encode(), 'application/json'
        if status == 304:
            payload = b''
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def make_server(api, host, port):
    handler = type('ApiHandler', (Handler,), {'api': api})
    return Server((host, port), handler)


# ------------------------------------------------------------------------------------------
# Objects created at start-up (wire-formats §1.11)
# ------------------------------------------------------------------------------------------
def default_objects(release):
    """(resource type, fq_name, body extras) in _db_init_entries' order for the release."""
    ri_default = {'routing_instance_is_default': True}
    objs = [
        ('global-system-config', ['default-global-system-config'],
         {'autonomous_system': 64512, 'config_version': '1'}),
        ('domain', ['default-domain'], {}),
        ('project', ['default-domain', 'default-project'], {}),
        ('namespace', ['default-domain', 'default-namespace'], {}),
        ('virtual-network', ['default-domain', 'default-project', 'default-virtual-network'], {}),
        ('network-ipam', ['default-domain', 'default-project', 'default-network-ipam'],
         {'perms2': {'owner': 'cloud-admin', 'owner_access': 7, 'global_access': 5, 'share': []}}),
        ('routing-instance', ['default-domain', 'default-project', 'default-virtual-network',
                              'default-virtual-network'], ri_default),
        ('virtual-network', IP_FABRIC_VN, {}),
        ('routing-instance', IP_FABRIC_VN + ['__default__'],
         ri_default if release == '3.2' else {}),
        ('virtual-network', LINK_LOCAL_VN, {}),
        ('routing-instance', LINK_LOCAL_VN + ['__link_local__'], ri_default),
    ]
    if release != '3.2':
        objs.append(('routing-instance', IP_FABRIC_VN + ['ip-fabric'], ri_default))
    else:
        objs.append(('security-group', ['default-domain', 'default-project', '__no_rule__'],
                     {'security_group_entries': {'policy_rule': []},
                      'perms2': {'owner': 'cloud-admin', 'owner_access': 7, 'global_access': 5,
                                 'share': []}}))
    objs += [
        ('discovery-service-assignment', ['default-discovery-service-assignment'], {}),
        ('global-qos-config', ['default-global-system-config', 'default-global-qos-config'], {}),
    ]
    return objs


def create_default_objects(api):
    """Create the singleton objects when missing; a concurrent API server may win the race."""
    base = '%s://127.0.0.1:%s' % (api.scheme, api.conf.get('listen_port'))
    for rtype, fq_name, extras in default_objects(api.release):
        obj_type = obj_type_of(rtype)
        with api.pool.conn() as db:
            if ObjectDB(db).fq_name_to_uuid(obj_type, fq_name):
                continue
        body = dict(extras, fq_name=fq_name)
        parents = TYPES[obj_type]['parents']
        if len(fq_name) > 1:
            body['parent_type'] = res_type(parents[0]) if len(parents) == 1 else \
                {'namespace': 'domain', 'global-qos-config': 'global-system-config'}.get(rtype)
        req = Request('POST', '/%ss' % rtype, {}, {}, {rtype: body}, base)
        try:
            api.http_create(req, obj_type)
        except HttpError as err:
            if err.status != 409:
                raise


# ------------------------------------------------------------------------------------------
# Process
# ------------------------------------------------------------------------------------------
def start_introspect(api, conf):
    """Introspect (http_server_port, 8084) with the api-server's NodeStatus connections."""
    status = DaemonStatus('contrail-api', int(conf['http_server_port']), {
        ('Zookeeper', 'Zookeeper'): api.zk.connected,
        ('Database', 'RabbitMQ'): lambda: api.notify.publisher.connected,
        ('Database', 'Cassandra'): db_probe(api.pool.dsn),
    }, host=conf.get('listen_ip_addr', '0.0.0.0'))
    return status.serve()


def build(conf):
    """Wire DB pool, ZooKeeper, RabbitMQ and the API object from a parsed conf."""
    dsn = configdb.dsn_from_server_list(conf['cassandra_server_list'])
    prefix = conf.get('cluster_id') or ''
    pool = DbPool(dsn, prefix)
    _wait_for_db(pool)
    zkc = connect_zk(conf)
    params = amqp.params_from_conf(conf)
    publisher = amqp.Publisher(params, int(conf.get('rabbit_max_pending_updates', 4096)))
    api = ApiServer(conf, pool, zkc, publisher)
    queue_name = 'vnc_config.%s-%s' % (socket.gethostname(), conf['listen_port'])
    api.consumer = amqp.Consumer(params, queue_name, lambda msg: _on_notification(api, msg),
                                 delete_first=True)
    return api


def _wait_for_db(pool, attempts=120):
    """Create our keyspaces, waiting (bounded) for the config DB to accept connections."""
    for attempt in range(attempts):
        try:
            with pool.conn() as db:
                db.ensure_keyspaces(['config_db_uuid', 'useragent'])
            return
        except HttpError as err:
            LOG.warning('%s, retry %d', err.message, attempt)
            time.sleep(1)
    raise SystemExit('config DB %s not reachable' % pool.dsn)


def _on_notification(api, message):
    """Own queue: where an object cache would be invalidated (this server reads the DB)."""
    api.stats['notifications'] = api.stats.get('notifications', 0) + 1


def main(argv=None):
    conf = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s contrail-api %(levelname)s %(message)s')
    logging.getLogger('pika').setLevel(logging.WARNING)
    api = build(conf)
    create_default_objects(api)
    start_introspect(api, conf)
    server = make_server(api, conf['listen_ip_addr'], int(conf['listen_port']))
    if api.scheme == 'https':
        tls.wrap_server(server, conf['config_api_ssl_certfile'], conf.get('config_api_ssl_keyfile'))
    LOG.info('contrail-api %s (cluster %r) listening on %s:%s', VERSIONS[api.release],
             conf.get('cluster_id'), conf['listen_ip_addr'], conf['listen_port'])
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
