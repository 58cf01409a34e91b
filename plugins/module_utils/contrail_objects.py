# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalize cleanup of node objects (``issu_node_cleanup``), like provision_issu.py but safe.

After the switch to v2, v2's config still holds the v1 nodes (copied by the sync): their
control-node bgp-routers and their config/analytics/database node objects. The cleanup
deletes what is not in the keep lists, with two guards provision_issu.py lacks:

* only bgp-routers whose ``router_type`` is ``control-node`` are candidates, so external
  routers (MX, ...) are never deleted (LP 1645914);
* every name of a keep list must exist: a name that matches nothing is almost always the
  short-name/FQDN mismatch that would otherwise delete the nodes one meant to keep.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import (
    CONTROL_NODE, PARENT_FQ_NAME,
)

#: keep-list option -> resource type it protects.
NODE_TYPES = (('keep_config_nodes', 'config-node'),
              ('keep_analytics_nodes', 'analytics-node'),
              ('keep_database_nodes', 'database-node'))


class CleanupError(Exception):
    """A cleanup refused before anything was deleted."""


def _control_nodes(routers):
    """``{name: router}`` of the control-node bgp-routers of the ip-fabric instance."""
    return dict((r['fq_name'][-1], r) for r in routers
                if r['fq_name'][:-1] == PARENT_FQ_NAME and
                (r.get('bgp_router_parameters') or {}).get('router_type') == CONTROL_NODE)


def _check_keep(obj_type, keep, present):
    unknown = sorted(set(keep) - set(present))
    if unknown:
        raise CleanupError('keep list names %s %s that do not exist (existing: %s); refusing to '
                           'delete anything, a wrong name (short name vs FQDN?) would delete '
                           'the nodes meant to be kept'
                           % (obj_type, ', '.join(unknown), ', '.join(sorted(present)) or 'none'))


def plan_cleanup(keep, routers, nodes):
    """Objects to delete, as ``(type, uuid, name)``, and the names per type before/after.

    ``keep`` maps ``keep_control_nodes`` and the NODE_TYPES options to lists (None = leave
    that type alone); ``routers`` is the bgp-router list, ``nodes`` ``{type: objects}``.
    """
    doomed, before, after = [], {}, {}
    targets = [('bgp-router', keep['keep_control_nodes'], _control_nodes(routers))]
    for option, obj_type in NODE_TYPES:
        if keep.get(option) is not None:
            targets.append((obj_type, keep[option],
                            dict((o['fq_name'][-1], o) for o in nodes.get(obj_type) or [])))
    for obj_type, keep_names, present in targets:
        if not keep_names:
            raise CleanupError('the keep list of %s is empty: refusing to delete every one'
                               % obj_type)
        if not present and obj_type != 'bgp-router':
            # A cluster provisioned without these node objects: nothing can be deleted by
            # mistake, so a keep list naming the v2 nodes is no error. The v2 control nodes
            # (bgp-routers) must exist, though: they are checked as always.
            before[obj_type] = after[obj_type] = []
            continue
        _check_keep(obj_type, keep_names, present)
        before[obj_type] = sorted(present)
        after[obj_type] = sorted(n for n in present if n in keep_names)
        doomed += [(obj_type, present[n]['uuid'], n) for n in sorted(present)
                   if n not in keep_names]
    return doomed, before, after


def back_refs(obj):
    """``(referrer type, referrer uuid)`` of every back-ref of a read object."""
    refs = []
    for key, value in sorted(obj.items()):
        if key.endswith('_back_refs'):
            refs += [(key[:-len('_back_refs')], ref['uuid']) for ref in value or []]
    return refs


def delete_with_back_refs(client, obj_type, uuid):
    """Remove the refs that point at an object (they block its deletion), then delete it."""
    obj = client.read(obj_type, uuid, exclude_children=True)
    for ref_type, ref_uuid in back_refs(obj):
        client.ref_update(ref_type, ref_uuid, obj_type, ref_uuid=uuid, operation='DELETE')
    client.delete(obj_type, uuid)
