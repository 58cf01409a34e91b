# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-config snapshots of a Contrail config API and their comparison.

A snapshot is ``{resource type: [object, ...]}`` read with one ``list detail=true`` per
type, without hrefs (``exclude_hrefs``; no per-object reads: 50,000 objects must compare in
seconds), the types read in parallel threads. Objects are matched by uuid; each side is reduced
to a canonical form (:func:`normalize`) whose digest decides equality.

What the canonical form leaves out, and why (everything else is compared):

* ``href``, ``parent_href`` and the ``href`` of each ref: they embed the address of the
  API server that answered, and 4.0 detail lists give refs no ``href`` at all;
* ``name``: it is ``fq_name[-1]``, computed by the server, not stored;
* ``id_perms.created`` and ``id_perms.last_modified``: the sync tools copy rows, but an
  update replayed by run-sync rewrites ``last_modified`` on v2;
* properties whose value is ``null``: a newer release may report a property it added as
  ``null`` where the older one omits it; both mean "not set".

``perms2`` is compared: the sync copies it verbatim, and a difference in ownership or
sharing changes who can see an object after the switch. Refs are compared as a set
(``to``, ``uuid``, ``attr``): the server returns them in no guaranteed order.
"""

from __future__ import annotations

__metaclass__ = type

import hashlib
import json

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.opencontrail.issu.plugins.module_utils.config_dump import load_dump
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import (
    VncError, collection_types, resource_type,
)

#: Fields never compared (see the module docstring); ``id_perms`` sub-keys apart.
IGNORED_FIELDS = frozenset(('href', 'parent_href', 'name'))
IGNORED_ID_PERMS = frozenset(('created', 'last_modified'))

DEFAULT_WORKERS = 8
DEFAULT_MAX_ITEMS = 100


def select_types(client, types=None, exclude_types=None):
    """The types to read: the given list, or all the homepage lists, minus exclusions."""
    chosen = [resource_type(t) for t in types] if types else \
        collection_types(client.homepage())
    excluded = set(resource_type(t) for t in exclude_types or [])
    return [t for t in chosen if t not in excluded]


def _list_type(client, obj_type):
    """Detail list of one type; None when this API does not serve the type (404)."""
    try:
        return client.list(obj_type, detail=True, exclude_hrefs=True)
    except VncError as exc:
        if exc.not_found:
            return None
        raise


def fetch_snapshot(client, types, workers=DEFAULT_WORKERS):
    """``{type: [objects] or None}``: one detail list per type, ``workers`` types at a time.

    None marks a type the API does not know (an older release lacks some types).
    """
    if not types:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(types)))) as pool:
        lists = pool.map(lambda t: _list_type(client, t), types)
        return dict(zip(types, lists))


def unserved_types(snapshot):
    """Types of a snapshot that its API does not serve."""
    return sorted(t for t, objs in snapshot.items() if objs is None)


def fetch_snapshots(clients, types, workers=DEFAULT_WORKERS):
    """Snapshots of several APIs at once (v1 and v2 are read in parallel too)."""
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(lambda c: fetch_snapshot(c, types, workers), clients))


def reread(client, obj_type, uuids):
    """The detail objects of one type's ``uuids`` that exist now, in one list-bulk call (the
    same shape as :func:`fetch_snapshot`'s)."""
    def read(ids):
        return client.list_bulk(obj_type, detail=True, obj_uuids=sorted(ids), exclude_hrefs=True)
    try:
        return read(uuids)
    except VncError as exc:
        if not exc.not_found:
            raise
    # An object deleted between the API's list and its read fails the whole call: one by one.
    found = []
    for uuid in uuids:
        try:
            found.extend(read([uuid]))
        except VncError as exc:
            if not exc.not_found:
                raise
    return found


def refresh_snapshots(clients, snapshots, pending, workers=DEFAULT_WORKERS):
    """Copies of ``snapshots`` (one per client) with the objects ``pending`` names
    (``{type: uuids}``) read again from each API; types a side does not serve stay None.

    What a comparison that found differences re-reads: an object that was equal stays
    verified, one that differed is judged by its state now (a write in flight has landed)."""
    def refresh(client, snapshot):
        types = [t for t in sorted(pending) if snapshot.get(t) is not None]
        if not types:
            return dict(snapshot)
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(types)))) as pool:
            fresh = dict(zip(types, pool.map(lambda t: reread(client, t, pending[t]), types)))
        out = dict(snapshot)
        for obj_type, objs in fresh.items():
            out[obj_type] = [o for o in snapshot[obj_type] if o['uuid'] not in pending[obj_type]] + objs
        return out
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(refresh, clients, snapshots))


def _strip_path(obj, path):
    """Remove one dotted ``path`` (``id_perms.description``) from a copy-on-write dict."""
    head, _dot, rest = path.partition('.')
    if head not in obj:
        return obj
    obj = dict(obj)
    if rest and isinstance(obj[head], dict):
        obj[head] = _strip_path(obj[head], rest)
    elif not rest:
        del obj[head]
    return obj


def _ref_key(ref):
    return json.dumps([ref.get('to'), ref.get('uuid'), ref.get('attr')], sort_keys=True)


def normalize(obj, ignore_fields=()):
    """The canonical form of one object (see the module docstring for what is dropped)."""
    out = {}
    for key, value in obj.items():
        if key in IGNORED_FIELDS or value is None:
            continue
        if key == 'id_perms' and isinstance(value, dict):
            value = dict((k, v) for k, v in value.items() if k not in IGNORED_ID_PERMS)
        elif key.endswith('_refs') and isinstance(value, list):
            value = sorted(({'to': r.get('to'), 'uuid': r.get('uuid'), 'attr': r.get('attr')}
                            for r in value), key=_ref_key)
        out[key] = value
    for path in ignore_fields:
        out = _strip_path(out, path)
    return out


def digest(normalized):
    """sha256 of the canonical JSON of a normalized object."""
    text = json.dumps(normalized, sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def differing_fields(left, right):
    """Top-level fields whose values differ between two normalized objects."""
    return sorted(k for k in set(left) | set(right) if left.get(k) != right.get(k))


class Comparison:
    """Counts per type (types empty on both sides left out), capped lists of missing, extra
    and different objects, and ``pending``: the uuids of all of them per type."""

    def __init__(self, max_items, labels=('v1', 'v2'), allow_extra=()):
        self.max_items = max_items
        self.labels = labels
        self.allow_extra = frozenset(allow_extra)
        self.counts = {}
        self.missing = []
        self.extra = []
        self.allowed_extra = []
        self.different = []
        self.pending = {}
        self.totals = dict(((labels[0], 0), (labels[1], 0), ('missing', 0), ('extra', 0),
                            ('different', 0)))

    @property
    def equal(self):
        return not (self.totals['missing'] or self.totals['extra'] or
                    self.totals['different'])

    def _note(self, kind, entry):
        self.totals[kind] += 1
        self.pending.setdefault(entry['type'], set()).add(entry['uuid'])
        items = getattr(self, kind)
        if len(items) < self.max_items:
            items.append(entry)

    def add_type(self, obj_type, left, right, ignore_fields):
        """Compare the objects of one type, matched by uuid."""
        lmap = dict((o['uuid'], o) for o in left)
        rmap = dict((o['uuid'], o) for o in right)
        count = {self.labels[0]: len(lmap), self.labels[1]: len(rmap), 'missing': 0,
                 'extra': 0, 'different': 0}
        for uuid in sorted(set(lmap) - set(rmap)):
            count['missing'] += 1
            self._note('missing', dict(type=obj_type, uuid=uuid, fq_name=lmap[uuid]['fq_name']))
        for uuid in sorted(set(rmap) - set(lmap)):
            entry = dict(type=obj_type, uuid=uuid, fq_name=rmap[uuid]['fq_name'])
            if '%s:%s' % (obj_type, ':'.join(entry['fq_name'])) in self.allow_extra:
                self.allowed_extra.append(entry)
                continue
            count['extra'] += 1
            self._note('extra', entry)
        for uuid in sorted(set(lmap) & set(rmap)):
            # Identical as read => identical canonical forms (normalize is a function of the
            # object): most synced objects end here, in one C-level dict comparison.
            if lmap[uuid] == rmap[uuid]:
                continue
            a = normalize(lmap[uuid], ignore_fields)
            b = normalize(rmap[uuid], ignore_fields)
            # Equal canonical forms <=> equal digests; comparing the dicts is the same test
            # without serialising 2 x 50,000 objects. Digests are computed for the report.
            if a != b:
                count['different'] += 1
                self._note('different', dict(type=obj_type, uuid=uuid,
                                             fq_name=a.get('fq_name'),
                                             fields=differing_fields(a, b),
                                             digests=[digest(a), digest(b)]))
        for label in self.labels:
            self.totals[label] += count[label]
        if lmap or rmap:
            self.counts[obj_type] = count

    def as_dict(self):
        return dict(equal=self.equal, counts=self.counts, totals=self.totals,
                    missing=self.missing, extra=self.extra, different=self.different,
                    allowed_extra=self.allowed_extra)

    def summary(self):
        """One line for a failure message."""
        t, (left, right) = self.totals, self.labels
        return ('%d objects in %s, %d in %s: %d missing in %s, %d extra in %s, %d different'
                % (t[left], left, t[right], right, t['missing'], right, t['extra'], right,
                   t['different']))


#: Objects a v2 API server creates by itself at every start, which v1 (3.2) never had: after
#: pre-sync or run-sync mirror v1 they come back whenever v2's contrail-api restarts. They are
#: system objects, not config an operator could lose, so they are no difference.
V2_STARTUP_OBJECTS = (
    'routing-instance:default-domain:default-project:ip-fabric:ip-fabric',  # 4.0 default RI
)


def compare_snapshots(left, right, ignore_fields=(), max_items=DEFAULT_MAX_ITEMS,
                      labels=('v1', 'v2'), allow_extra=V2_STARTUP_OBJECTS):
    """Compare two snapshots type by type; a type absent from one side counts as empty.

    ``allow_extra`` names (``type:fq:name``) objects that may exist on the right side only.
    """
    result = Comparison(max_items, labels, allow_extra)
    for obj_type in sorted(set(left) | set(right)):
        result.add_type(obj_type, left.get(obj_type) or [], right.get(obj_type) or [],
                        ignore_fields)
    return result


def verify_dump(client, path, params):
    """(comparison, result fields) of the dump at ``path`` (checked against its checksum)
    against the live config ``client`` reads, by the rules of ``params`` (the
    :func:`comparison_argument_spec` options)."""
    doc, digest = load_dump(path)
    saved = doc['types']
    live = fetch_snapshot(client, sorted(saved), params['workers'])
    comparison = compare_snapshots(saved, live, params['ignore_fields'], params['max_items'],
                                   allow_extra=params['allow_extra'], labels=('backup', 'live'))
    return comparison, dict(comparison.as_dict(), path=path, sha256=digest,
                            objects=sum(len(objs) for objs in saved.values()))


def comparison_argument_spec():
    """Options of the modules that read whole configs and compare them (config_compare,
    config_backup): which types, what may differ, how much is reported, how many threads.

    Documented by the doc fragment ``opencontrail.issu.config_compare``.
    """
    return dict(
        types=dict(type='list', elements='str'),
        exclude_types=dict(type='list', elements='str', default=[]),
        ignore_fields=dict(type='list', elements='str', default=[]),
        allow_extra=dict(type='list', elements='str', default=list(V2_STARTUP_OBJECTS)),
        max_items=dict(type='int', default=DEFAULT_MAX_ITEMS),
        workers=dict(type='int', default=DEFAULT_WORKERS),
    )
