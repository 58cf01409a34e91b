# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node objects at finalize (``issu_node_cleanup``): what provision_issu.py does, but safe.

After the switch to v2, v2's config holds v1's view of the nodes: pre-sync mirrored v1's
config database into v2 and pruned v2-only rows, so v2 has v1's control-node bgp-routers (and
v2's, which the ISSU start registered in v1) and v1's config/analytics/database node objects,
while v2's own node objects are gone. Like provision_issu.py the finalize then:

* deletes the control-node bgp-routers that are not v2's;
* makes each node type hold exactly v2's nodes: deletes the others, creates the missing ones
  (parent ``default-global-system-config``, property ``<type>_ip_address``) and corrects an
  address that differs.

With two guards provision_issu.py lacks:

* only bgp-routers whose ``router_type`` is ``control-node`` are candidates, so external
  routers (MX, ...) are never deleted (LP 1645914);
* every v2 control node must exist as a bgp-router: a name that matches none is almost always
  the short-name/FQDN mismatch that would otherwise delete the nodes one meant to keep.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import (
    CONTROL_NODE, GSC_FQ_NAME, PARENT_FQ_NAME,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

#: option -> node type whose objects it sets (name -> address).
NODE_TYPES = (('config_nodes', 'config-node'),
              ('analytics_nodes', 'analytics-node'),
              ('database_nodes', 'database-node'))


class CleanupError(IssuError):
    """A plan refused before anything was changed."""


def ip_property(obj_type):
    """``config-node`` -> ``config_node_ip_address`` (the property provisioning sets)."""
    return '%s_ip_address' % obj_type.replace('-', '_')


def _control_nodes(routers):
    """``{name: router}`` of the control-node bgp-routers of the ip-fabric instance."""
    return dict((r['fq_name'][-1], r) for r in routers
                if r['fq_name'][:-1] == PARENT_FQ_NAME and
                (r.get('bgp_router_parameters') or {}).get('router_type') == CONTROL_NODE)


class NodePlan:
    """What to delete, create and correct; ``before``/``after``: ``{type: {name: address}}``."""

    def __init__(self):
        self.delete, self.create, self.update = [], [], []
        self.before, self.after = {}, {}

    @property
    def changed(self):
        return bool(self.delete or self.create or self.update)


def _plan_control_nodes(plan, keep, routers):
    present = _control_nodes(routers)
    if not keep:
        raise CleanupError('the list of v2 control nodes is empty: refusing to delete every '
                           'control-node bgp-router')
    unknown = sorted(set(keep) - set(present))
    if unknown:
        raise CleanupError('v2 control node(s) %s have no bgp-router in v2 (existing: %s); '
                           'refusing to delete anything, a wrong name (short name vs FQDN?) '
                           'would delete the nodes meant to be kept'
                           % (', '.join(unknown), ', '.join(sorted(present)) or 'none'))
    addresses = dict((name, (r.get('bgp_router_parameters') or {}).get('address'))
                     for name, r in present.items())
    plan.before['bgp-router'] = addresses
    plan.after['bgp-router'] = dict((n, a) for n, a in addresses.items() if n in keep)
    plan.delete += [('bgp-router', present[n]['uuid'], n) for n in sorted(present) if n not in keep]


def _plan_node_type(plan, obj_type, wanted, objects):
    if not wanted:
        raise CleanupError('no %s given: refusing to delete every one' % obj_type)
    prop = ip_property(obj_type)
    present = dict((o['fq_name'][-1], o) for o in objects)
    plan.before[obj_type] = dict((n, o.get(prop)) for n, o in present.items())
    plan.after[obj_type] = dict(wanted)
    for name in sorted(present):
        if name not in wanted:
            plan.delete.append((obj_type, present[name]['uuid'], name))
        elif present[name].get(prop) != wanted[name]:
            plan.update.append((obj_type, present[name]['uuid'], name, wanted[name]))
    plan.create += [(obj_type, name, wanted[name]) for name in sorted(wanted) if name not in present]


def plan_nodes(params, routers, nodes):
    """Plan the node objects of v2 at finalize.

    ``params`` maps ``keep_control_nodes`` to names and each NODE_TYPES option to
    ``{name: address}`` or None (leave that type alone); ``routers`` is the detailed
    bgp-router list, ``nodes`` ``{type: detailed objects}``.
    """
    plan = NodePlan()
    _plan_control_nodes(plan, params['keep_control_nodes'], routers)
    for option, obj_type in NODE_TYPES:
        if params.get(option) is not None:
            _plan_node_type(plan, obj_type, params[option], nodes.get(obj_type) or [])
    return plan


def apply_plan(client, plan):
    """Carry a plan out: deletions first (a v1 node may carry the name a v2 one needs)."""
    for obj_type, uuid, _name in plan.delete:
        delete_with_back_refs(client, obj_type, uuid)
    for obj_type, uuid, _name, address in plan.update:
        client.update(obj_type, uuid, {ip_property(obj_type): address})
    for obj_type, name, address in plan.create:
        client.create(obj_type, {'fq_name': GSC_FQ_NAME + [name],
                                 'parent_type': 'global-system-config',
                                 ip_property(obj_type): address})


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
