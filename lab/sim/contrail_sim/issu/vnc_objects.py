"""Objects in ``config_db_uuid`` in the exact column layout of ``vnc_cassandra`` (3.2/4.0).

run-sync applies each RabbitMQ message as the real tool does, through ``object_create``,
``object_read``, ``object_update`` and ``object_delete`` of a Cassandra client on the new
cluster. This module is that client, on top of ``configdb.ConfigDB`` (wire-formats reference §4):
the object row in ``obj_uuid_table`` (``fq_name``, ``type``, ``parent_type``, ``parent:``,
``prop:``/``propl:``/``propm:``, ``ref:``, ``backref:``, ``children:``, ``META:latest_col_ts``),
its column in ``obj_fq_name_table`` and its sharing columns in ``obj_shared_table``.
No schema is available in the containers, so fields are classified by name: ``*_refs`` are refs,
``*_back_refs`` and children lists are read-only, list/map properties come from LIST_PROPS and
MAP_PROPS (their wrapper field, from the API schema), everything else is a ``prop:``.
"""
import datetime
import urllib.parse

KEYSPACE = 'config_db_uuid'
UUID_CF, FQ_NAME_CF, SHARED_CF = 'obj_uuid_table', 'obj_fq_name_table', 'obj_shared_table'
META_KEYS = frozenset(('uuid', 'fq_name', 'name', 'href', 'parent_type', 'parent_uuid',
                       'parent_href', 'parent_name', 'type'))
LIST_PROPS = {  # ListProperty name -> wrapper field
    'ipam_subnets': 'subnets', 'floating_ip_port_mappings': 'port_mappings',
    'virtual_machine_interface_fat_flow_protocols': 'fat_flow_protocol',
    'virtual_network_fat_flow_protocols': 'fat_flow_protocol',
}
MAP_PROPS = {  # MapProperty name -> (wrapper field, key field)
    'annotations': ('key_value_pair', 'key'),
    'virtual_machine_interface_bindings': ('key_value_pair', 'key'),
    'service_instance_bindings': ('key_value_pair', 'key'),
    'dscp_entries': ('qos_id_forwarding_class_pair', 'key'),
    'vlan_priority_entries': ('qos_id_forwarding_class_pair', 'key'),
    'mpls_exp_entries': ('qos_id_forwarding_class_pair', 'key'),
}


class NoIdError(Exception):
    """Raised like cfgm_common.exceptions.NoIdError when an object does not exist."""


def fq_name_str(fq_name):
    """``utils.encode_string`` of the joined name: quote_plus only when not ASCII."""
    joined = ':'.join(fq_name)
    try:
        joined.encode('ascii')
        return joined
    except UnicodeEncodeError:
        return urllib.parse.quote_plus(joined)


def _now():
    return datetime.datetime.utcnow().isoformat()


def _is_children_field(key, value):
    return (key.endswith('s') and isinstance(value, list) and bool(value) and
            all(isinstance(v, dict) and 'to' in v and 'uuid' in v and 'attr' not in v
                for v in value))


def classify(obj_dict):
    """Split an object dict into (props, refs {ref_type: [ref]}) ignoring read-only fields."""
    props, refs = {}, {}
    for key, value in obj_dict.items():
        if key in META_KEYS or key.endswith('_back_refs') or _is_children_field(key, value):
            continue
        if key.endswith('_refs'):
            refs[key[:-len('_refs')]] = value or []
        else:
            props[key] = value
    return props, refs


def prop_columns(name, value):
    """Columns that store one property (list/map properties without their wrapper)."""
    if value is None:
        return {}
    if name in LIST_PROPS:
        items = value.get(LIST_PROPS[name], []) if isinstance(value, dict) else value
        return {'propl:%s:%s' % (name, pos): item for pos, item in enumerate(items or [])}
    if name in MAP_PROPS:
        wrapper, key_field = MAP_PROPS[name]
        items = value.get(wrapper, []) if isinstance(value, dict) else value
        return {'propm:%s:%s' % (name, item[key_field]): item for item in items or []}
    return {'prop:%s' % name: value}


class ObjectStore(object):
    """vnc_cassandra's object API over one cluster's ``config_db_uuid`` keyspace."""

    def __init__(self, db):
        self.db = db

    # -- lookups --------------------------------------------------------------------------
    def row(self, obj_uuid):
        return self.db.get_row(KEYSPACE, UUID_CF, obj_uuid)

    def fq_name_to_uuid(self, obj_type, fq_name):
        prefix = fq_name_str(fq_name) + ':'
        cols = self.db.get_row(KEYSPACE, FQ_NAME_CF, obj_type, column_prefix=prefix)
        for column in cols:
            tail = column[len(prefix):]
            if ':' not in tail:
                return tail
        raise NoIdError('Name %s not found' % (fq_name,))

    def _fq_names(self, uuids):
        rows = self.db.get_rows(KEYSPACE, UUID_CF, list(uuids), column_prefix='fq_name')
        return {u: cols.get('fq_name') for u, cols in rows.items()}

    # -- read -----------------------------------------------------------------------------
    def object_read(self, obj_type, obj_uuid):
        """Dict with uuid, fq_name, parent, props, refs, back-refs and children."""
        cols = self.row(obj_uuid)
        if not cols or cols.get('type') != obj_type:
            raise NoIdError('Unknown id: %s' % obj_uuid)
        obj = {'uuid': obj_uuid, 'fq_name': cols['fq_name']}
        linked = []  # (field, uuid, attr or None, is_child)
        for column, value in sorted(cols.items()):
            kind, _, rest = column.partition(':')
            if kind == 'prop':
                obj[rest] = value
            elif kind == 'propl':
                name = rest.split(':', 1)[0]
                obj.setdefault(name, {LIST_PROPS.get(name, 'list'): []})
                obj[name][LIST_PROPS.get(name, 'list')].append(value)
            elif kind == 'propm':
                name = rest.split(':', 1)[0]
                wrapper = MAP_PROPS.get(name, ('map', 'key'))[0]
                obj.setdefault(name, {wrapper: []})[wrapper].append(value)
            elif kind == 'parent':
                obj['parent_uuid'] = rest.split(':', 1)[1]
            elif kind == 'parent_type':
                obj['parent_type'] = value
            elif kind in ('ref', 'backref', 'children'):
                other_type, other_uuid = rest.split(':', 1)
                suffix = {'ref': '_refs', 'backref': '_back_refs', 'children': 's'}[kind]
                attr = (value or {}).get('attr') if kind != 'children' else None
                linked.append((other_type + suffix, other_uuid, attr, kind == 'children'))
        names = self._fq_names(u for _, u, _, _ in linked)
        for field, other_uuid, attr, is_child in linked:
            entry = {'to': names.get(other_uuid), 'uuid': other_uuid}
            if not is_child:
                entry['attr'] = attr
            obj.setdefault(field, []).append(entry)
        return obj

    # -- writes ---------------------------------------------------------------------------
    def object_create(self, obj_type, obj_uuid, obj_dict):
        """Write the object row, its parent's children column, refs/backrefs and indexes."""
        fq_name = obj_dict['fq_name']
        props, refs = classify(obj_dict)
        if isinstance(props.get('id_perms'), dict):
            props['id_perms'] = dict(props['id_perms'], created=_now(), last_modified=_now())
        row = {'fq_name': fq_name, 'type': obj_type, 'META:latest_col_ts': None}
        writes = {}
        parent_type = obj_dict.get('parent_type')
        if parent_type and parent_type != 'config-root':
            parent_obj_type = parent_type.replace('-', '_')
            parent_uuid = obj_dict.get('parent_uuid') or self.fq_name_to_uuid(
                parent_obj_type, fq_name[:-1])
            row['parent_type'] = parent_type
            row['parent:%s:%s' % (parent_obj_type, parent_uuid)] = None
            writes[parent_uuid] = {'children:%s:%s' % (obj_type, obj_uuid): None,
                                   'META:latest_col_ts': None}
        for name, value in props.items():
            row.update(prop_columns(name, value))
        writes.setdefault(obj_uuid, {}).update(row)
        for ref_type, ref_list in refs.items():
            for ref in ref_list:
                self._ref_columns(writes, obj_type, obj_uuid, ref_type, ref)
        self.db.batch_insert(KEYSPACE, UUID_CF, writes)
        self.db.insert(KEYSPACE, FQ_NAME_CF, obj_type, {'%s:%s' % (fq_name_str(fq_name), obj_uuid): None})
        self._set_shared(obj_type, obj_uuid, props.get('perms2'))

    def object_update(self, obj_type, obj_uuid, obj_dict):
        """Partial update: listed props replaced (None deletes), listed ref types replaced."""
        cols = self.row(obj_uuid)
        if not cols:
            raise NoIdError('Unknown id: %s' % obj_uuid)
        props, refs = classify(obj_dict)
        writes, stale = {obj_uuid: {}}, {}
        for name, value in props.items():
            stale.setdefault(obj_uuid, []).extend(
                c for c in cols
                if c == 'prop:' + name or c.startswith(('propl:%s:' % name, 'propm:%s:' % name)))
            writes[obj_uuid].update(prop_columns(name, value))
        for ref_type, ref_list in refs.items():
            wanted = set()
            for ref in ref_list:
                wanted.add(self._ref_columns(writes, obj_type, obj_uuid, ref_type, ref))
            for column in cols:
                if column.startswith('ref:%s:' % ref_type) and column.split(':', 2)[2] not in wanted:
                    self._unlink_ref(stale, obj_type, obj_uuid, ref_type, column.split(':', 2)[2])
        id_perms = writes[obj_uuid].get('prop:id_perms', cols.get('prop:id_perms'))
        if isinstance(id_perms, dict):
            writes[obj_uuid]['prop:id_perms'] = dict(id_perms, last_modified=_now())
        for row_key, columns in stale.items():
            dead = [c for c in columns if c not in writes.get(row_key, {})]
            if dead:
                self.db.remove(KEYSPACE, UUID_CF, row_key, dead)
        self.db.batch_insert(KEYSPACE, UUID_CF, writes)
        if 'perms2' in props:
            self._set_shared(obj_type, obj_uuid, props['perms2'])

    def object_delete(self, obj_type, obj_uuid):
        """Remove the row and every column that points at it from other rows."""
        cols = self.row(obj_uuid)
        if not cols or cols.get('type') != obj_type:
            raise NoIdError('Unknown id: %s' % obj_uuid)
        stale = {}
        for column in cols:
            kind, _, rest = column.partition(':')
            if kind == 'parent':
                stale.setdefault(rest.split(':', 1)[1], []).append(
                    'children:%s:%s' % (obj_type, obj_uuid))
            elif kind == 'ref':
                ref_type, ref_uuid = rest.split(':', 1)
                self._unlink_ref(stale, obj_type, obj_uuid, ref_type, ref_uuid)
        for row_key, columns in stale.items():
            if row_key != obj_uuid:
                self.db.remove(KEYSPACE, UUID_CF, row_key, columns)
        self.db.remove(KEYSPACE, UUID_CF, obj_uuid)
        self.db.remove(KEYSPACE, FQ_NAME_CF, obj_type,
                       ['%s:%s' % (fq_name_str(cols['fq_name']), obj_uuid)])
        self._set_shared(obj_type, obj_uuid, None)

    # -- helpers --------------------------------------------------------------------------
    def _ref_columns(self, writes, obj_type, obj_uuid, ref_type, ref):
        """Add the ``ref:`` column and its ``backref:`` (same-type refs: ``ref:`` both ways)."""
        ref_uuid = ref.get('uuid') or self.fq_name_to_uuid(ref_type, ref['to'])
        data = {'attr': ref.get('attr'), 'is_weakref': False}
        writes.setdefault(obj_uuid, {})['ref:%s:%s' % (ref_type, ref_uuid)] = data
        back = 'ref:%s:%s' if ref_type == obj_type else 'backref:%s:%s'
        writes.setdefault(ref_uuid, {}).update({back % (obj_type, obj_uuid): data,
                                                'META:latest_col_ts': None})
        return ref_uuid

    @staticmethod
    def _unlink_ref(stale, obj_type, obj_uuid, ref_type, ref_uuid):
        back = 'ref:%s:%s' if ref_type == obj_type else 'backref:%s:%s'
        stale.setdefault(obj_uuid, []).append('ref:%s:%s' % (ref_type, ref_uuid))
        stale.setdefault(ref_uuid, []).append(back % (obj_type, obj_uuid))

    def _set_shared(self, obj_type, obj_uuid, perms2):
        """Rebuild the object's ``obj_shared_table`` columns from ``perms2``."""
        existing = self.db.get_row(KEYSPACE, SHARED_CF, obj_type)
        old = [c for c in existing if c.endswith(':' + obj_uuid)]
        if old:
            self.db.remove(KEYSPACE, SHARED_CF, obj_type, old)
        perms2 = perms2 or {}
        shared = {}
        if perms2.get('global_access'):
            shared['global::%s' % obj_uuid] = perms2['global_access']
        for share in perms2.get('share') or []:
            share_type, _, share_id = str(share.get('tenant', '')).rpartition(':')
            shared['%s:%s:%s' % (share_type or 'tenant', share_id, obj_uuid)] = share.get(
                'tenant_access', 0)
        if shared:
            self.db.insert(KEYSPACE, SHARED_CF, obj_type, shared)

