# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of bgp-router objects and their peering refs (``bgp_router`` module).

The plan is computed from what the config API holds (one detail list of bgp-routers and
the global-system-config) before anything is written, so every refusal (ASN mismatch,
duplicate address, a router that is not a control node) happens with nothing changed,
and check mode reports exactly what a real run would do.

Peering refs between bgp-routers are stored symmetrically by the API server (each side
lists the other under ``bgp_router_refs``), so peerings are handled as unordered pairs:
a peering that auto-mesh (the schema transformer) or the other side already created is
not created again.
"""

from __future__ import annotations

__metaclass__ = type

import copy

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

PARENT_FQ_NAME = ['default-domain', 'default-project', 'ip-fabric', '__default__']
GSC_FQ_NAME = ['default-global-system-config']
CONTROL_NODE = 'control-node'
DEFAULT_FAMILIES = ['route-target', 'inet-vpn', 'e-vpn', 'erm-vpn', 'inet6-vpn']
DEFAULT_HOLD_TIME = 90
ROUTER_TYPES = ['control-node', 'external-control-node', 'router', 'bgpaas-server',
                'bgpaas-client']
VENDORS = {'control-node': 'contrail', 'external-control-node': 'contrail', 'router': 'mx'}

#: Per-router options; a router of the ``routers`` list inherits each one it does not set
#: from the module's top level.
ROUTER_KEYS = ('name', 'address', 'identifier', 'router_type', 'vendor', 'asn',
               'address_families', 'hold_time', 'port', 'auth_key', 'peers', 'purge_peers',
               'state')

#: Shown instead of an md5 key in before/after: keys are secrets.
KEY_SET, KEY_CHANGED = 'md5 (key set)', 'md5 (key changed)'


class PlanError(IssuError):
    """A request that must be refused before anything is changed."""


def router_fq_name(name):
    return PARENT_FQ_NAME + [name]


def peering_attr():
    """``BgpPeeringAttributes`` as the schema transformer's auto-mesh writes it: one session
    with default attributes (families empty = the routers' own families)."""
    return {'session': [{'uuid': None, 'attributes': [{
        'bgp_router': None, 'admin_down': False, 'passive': False, 'hold_time': 0,
        'loop_count': 0, 'local_autonomous_system': 0, 'address_families': {'family': []},
        'auth_data': None, 'family_attributes': [], 'private_as_action': None}]}]}


def auth_data(key):
    """``AuthenticationData`` for an md5 key; an empty key removes authentication."""
    if not key:
        return None
    return {'key_type': 'md5', 'key_items': [{'key_id': 0, 'key': key}]}


def _md5_key(params):
    items = ((params or {}).get('auth_data') or {}).get('key_items') or []
    return items[0].get('key') if items else None


def _same_hold_time(a, b):
    """0 means "default", which is 90 seconds."""
    return (a or DEFAULT_HOLD_TIME) == (b or DEFAULT_HOLD_TIME)


# -- normalising the request ---------------------------------------------------------------

def router_specs(params):
    """The routers the module manages, each with every option resolved.

    ``routers`` items inherit unset options from the top level; without ``routers`` the
    top-level options describe a single router.
    """
    items = params.get('routers') or [dict((k, params.get(k)) for k in ('name',))]
    specs = []
    for item in items:
        spec = dict((key, item.get(key) if item.get(key) is not None else params.get(key))
                    for key in ROUTER_KEYS)
        spec['name'] = item['name']
        specs.append(spec)
    names = [spec['name'] for spec in specs]
    dupes = sorted(set(n for n in names if names.count(n) > 1))
    if dupes:
        raise PlanError('router names given more than once: %s' % ', '.join(dupes))
    return specs


def desired_params(spec, asn):
    """The ``bgp_router_parameters`` keys the module manages, for one present router."""
    router_type = spec['router_type']
    params = {
        'router_type': router_type,
        'autonomous_system': asn,
        'address': spec['address'],
        'identifier': spec['identifier'] or spec['address'],
        'port': spec['port'],
        'hold_time': spec['hold_time'],
        'address_families': {'family': list(spec['address_families'] or DEFAULT_FAMILIES)},
    }
    vendor = spec['vendor'] or VENDORS.get(router_type)
    if vendor:
        params['vendor'] = vendor
    if spec['auth_key'] is not None:
        params['auth_data'] = auth_data(spec['auth_key'])
    return params


def changed_params(current, desired):
    """Names of the managed parameters whose value differs (families compared as sets)."""
    changed = []
    for key, value in desired.items():
        have = current.get(key)
        if key == 'address_families':
            same = sorted((have or {}).get('family') or []) == sorted(value['family'])
        elif key == 'hold_time':
            same = _same_hold_time(have, value)
        elif key == 'auth_data':
            same = _md5_key(current) == _md5_key(desired)
        else:
            same = have == value
        if not same:
            changed.append(key)
    return changed


# -- what the API holds --------------------------------------------------------------------

class Inventory:
    """The bgp-routers of one config API, indexed for planning."""

    def __init__(self, routers, gsc):
        self.by_name = {}
        self.by_uuid = {}
        for router in routers:
            self.by_uuid[router['uuid']] = router
            if router['fq_name'][:-1] == PARENT_FQ_NAME:
                self.by_name[router['fq_name'][-1]] = router
        self.gsc = gsc
        self.global_asn = gsc.get('autonomous_system')
        self.gsc_refs = set(ref['to'][-1] for ref in gsc.get('bgp_router_refs') or []
                            if ref['to'][:-1] == PARENT_FQ_NAME)
        self.pairs = set()
        for router in self.by_name.values():
            for ref in router.get('bgp_router_refs') or []:
                if ref['to'][:-1] == PARENT_FQ_NAME:
                    self.pairs.add(frozenset((router['fq_name'][-1], ref['to'][-1])))

    def params(self, name):
        return self.by_name[name].get('bgp_router_parameters') or {}

    def router_type(self, name):
        return self.params(name).get('router_type')

    def peers_of(self, name):
        return sorted(other for pair in self.pairs if name in pair
                      for other in pair if other != name)


def summary(name, params, peers, key_marker=None):
    """One router as before/after shows it (the md5 key replaced by a marker)."""
    if params is None:
        return None
    shown = dict((k, v) for k, v in params.items() if k != 'auth_data')
    shown['address_families'] = list((params.get('address_families') or {}).get('family') or [])
    shown['auth'] = key_marker or (KEY_SET if _md5_key(params) else None)
    shown['peers'] = sorted(peers)
    shown['name'] = name
    return shown


# -- the plan ------------------------------------------------------------------------------

class Plan:
    """Ordered API actions plus the before/after view of every router involved."""

    def __init__(self):
        self.actions = []
        self.before = {}
        self.after = {}

    @property
    def changed(self):
        return bool(self.actions)

    def add(self, *action):
        self.actions.append(action)


def _check_router_type(inv, spec, allow_non_control_node):
    """LP 1645914: never touch a router that is not a control node unless told to."""
    name = spec['name']
    if allow_non_control_node:
        return
    current = inv.router_type(name) if name in inv.by_name else None
    for router_type in (current, spec['router_type'] if spec['state'] == 'present' else None):
        if router_type not in (None, CONTROL_NODE):
            raise PlanError('bgp-router %s has router_type %s, not %s: refusing to touch it '
                            '(set allow_non_control_node to manage it)'
                            % (name, router_type, CONTROL_NODE))


def _resolve_asn(inv, spec):
    """ASN from global-system-config unless given; control nodes must use the global one."""
    asn = spec['asn'] if spec['asn'] is not None else inv.global_asn
    if asn is None:
        raise PlanError('no asn given and global-system-config has no autonomous_system')
    if spec['router_type'] == CONTROL_NODE and inv.global_asn is not None \
            and asn != inv.global_asn:
        raise PlanError('ASN mismatch: bgp-router %s asks for asn %s but this cluster\'s '
                        'global-system-config autonomous_system is %s; control nodes must '
                        'use the global ASN' % (spec['name'], asn, inv.global_asn))
    return asn


def _check_addresses(inv, specs):
    """Refuse two routers with one address: in the request, or against other routers."""
    seen = {}
    for spec in specs:
        if spec['state'] != 'present':
            continue
        if not spec['address']:
            raise PlanError('bgp-router %s: address is required with state=present'
                            % spec['name'])
        if spec['address'] in seen:
            raise PlanError('duplicate address %s: given for bgp-routers %s and %s'
                            % (spec['address'], seen[spec['address']], spec['name']))
        seen[spec['address']] = spec['name']
    managed = set(spec['name'] for spec in specs)
    for name, router in sorted(inv.by_name.items()):
        address = (router.get('bgp_router_parameters') or {}).get('address')
        if address in seen and name != seen[address] and name not in managed:
            raise PlanError('duplicate address %s: wanted for bgp-router %s but bgp-router '
                            '%s (uuid %s) already has it' % (address, seen[address], name,
                                                             router['uuid']))


def _check_peer_asn(inv, name, asn, peer, future_params):
    """Control nodes only peer (iBGP) with control nodes of their own ASN."""
    params = future_params.get(peer) or (inv.params(peer) if peer in inv.by_name else None)
    if params is None:
        raise PlanError('peer %s of bgp-router %s does not exist' % (peer, name))
    if params.get('router_type') == CONTROL_NODE and params.get('autonomous_system') != asn:
        raise PlanError('ASN mismatch between peers: bgp-router %s has asn %s but its peer %s '
                        'has asn %s' % (name, asn, peer, params.get('autonomous_system')))


def _plan_router(plan, inv, spec, asn):
    """Create or update one present router (and its global-system-config ref)."""
    name = spec['name']
    desired = desired_params(spec, asn)
    current = inv.by_name.get(name)
    if current is None:
        plan.add('create', name, {'parent_type': 'routing-instance',
                                  'fq_name': router_fq_name(name),
                                  'bgp_router_parameters': desired})
        merged = desired
    else:
        have = current.get('bgp_router_parameters') or {}
        if have.get('address') != desired['address']:
            raise PlanError('bgp-router %s has address %s, not %s: the address of a '
                            'bgp-router cannot be changed (delete it first with state=absent)'
                            % (name, have.get('address'), desired['address']))
        merged = dict(have, **desired)
        if changed_params(have, desired):
            plan.add('update', name, {'bgp_router_parameters': merged})
    if desired['router_type'] == CONTROL_NODE and name not in inv.gsc_refs:
        plan.add('gsc_ref', name, 'ADD')
    return merged


def _plan_peers(plan, inv, specs, future_params, allow_non_control_node):
    """Add missing peerings, and with purge_peers remove the ones not asked for."""
    pairs = set(inv.pairs)
    for spec in specs:
        name = spec['name']
        if spec['state'] != 'present' or spec['peers'] is None:
            continue
        wanted = set(p for p in spec['peers'] if p != name)
        for peer in sorted(wanted):
            _check_peer_asn(inv, name, future_params[name]['autonomous_system'], peer,
                            future_params)
            pair = frozenset((name, peer))
            if pair not in pairs:
                plan.add('peer', name, peer, 'ADD')
                pairs.add(pair)
        if spec['purge_peers']:
            for pair in sorted(pairs, key=sorted):
                if name not in pair:
                    continue
                other = [p for p in pair if p != name][0]
                other_type = (future_params.get(other) or {}).get('router_type')
                if other in wanted or (other_type != CONTROL_NODE and
                                       not allow_non_control_node):
                    continue
                plan.add('peer', name, other, 'DELETE')
                pairs.discard(pair)
    return pairs


def plan_routers(params, inv):
    """The full plan for the module's parameters against inventory ``inv``."""
    specs = router_specs(params)
    allow = params.get('allow_non_control_node', False)
    for spec in specs:
        _check_router_type(inv, spec, allow)
    _check_addresses(inv, specs)
    plan = Plan()
    future = dict((name, inv.params(name)) for name in inv.by_name)
    present = [s for s in specs if s['state'] == 'present']
    for spec in present:
        future[spec['name']] = _plan_router(plan, inv, spec, _resolve_asn(inv, spec))
    removed = [s['name'] for s in specs if s['state'] == 'absent' and s['name'] in inv.by_name]
    for name in removed:
        future.pop(name)
    pairs = _plan_peers(plan, inv, specs, future, allow)
    for name in removed:
        if name in inv.gsc_refs:
            plan.add('gsc_ref', name, 'DELETE')
        plan.add('delete', name, inv.by_name[name]['uuid'])
        pairs = set(pair for pair in pairs if name not in pair)
    _views(plan, inv, specs, future, pairs)
    return plan


def _views(plan, inv, specs, future, pairs):
    """before/after of every managed router; the md5 key never shows."""
    for spec in specs:
        name = spec['name']
        before = inv.params(name) if name in inv.by_name else None
        after = future.get(name)
        marker = None
        if before is not None and after is not None and _md5_key(after) \
                and _md5_key(before) != _md5_key(after):
            marker = KEY_CHANGED
        plan.before[name] = summary(name, before, inv.peers_of(name))
        plan.after[name] = summary(name, after, [o for pair in pairs if name in pair
                                                 for o in pair if o != name], marker)


# -- applying ------------------------------------------------------------------------------

def load_inventory(client):
    """One detail list of bgp-routers and of global-system-configs."""
    gscs = client.list('global-system-config', detail=True)
    gsc = next((g for g in gscs if g['fq_name'] == GSC_FQ_NAME), None)
    if gsc is None:
        raise PlanError('the config API has no default-global-system-config')
    return Inventory(client.list('bgp-router', detail=True), gsc)


def apply_plan(client, plan, inv):
    """Run the plan's actions in order against the API."""
    uuids = dict((name, router['uuid']) for name, router in inv.by_name.items())
    for action in plan.actions:
        kind, name = action[0], action[1]
        if kind == 'create':
            uuids[name] = client.create('bgp-router', copy.deepcopy(action[2]))
        elif kind == 'update':
            client.update('bgp-router', uuids[name], action[2])
        elif kind == 'gsc_ref':
            client.ref_update('global-system-config', inv.gsc['uuid'], 'bgp-router',
                              ref_uuid=uuids[name], operation=action[2])
        elif kind == 'peer':
            peer, operation = action[2], action[3]
            client.ref_update('bgp-router', uuids[name], 'bgp-router',
                              ref_fq_name=router_fq_name(peer),
                              ref_uuid=uuids.get(peer), operation=operation,
                              attr=peering_attr() if operation == 'ADD' else None)
        elif kind == 'delete':
            client.delete('bgp-router', uuids[name])


def describe(action):
    """A one-line description of an action, for the module's ``actions`` result."""
    kind, name = action[0], action[1]
    if kind == 'peer':
        verb = 'peer' if action[3] == 'ADD' else 'unpeer'
        return '%s %s with %s' % (verb, name, action[2])
    if kind == 'gsc_ref':
        return '%s global-system-config ref to %s' % (action[2].lower(), name)
    return '%s bgp-router %s' % (kind, name)


# -- control-node introspect (bgp_neighbor_info) --------------------------------------------

ESTABLISHED = 'Established'


def neighbor_view(resp):
    """A ``BgpNeighborResp`` dict -> the fields an operator (and a gate) needs."""
    families = resp.get('negotiated_address_families') or \
        resp.get('configured_address_families') or []
    return dict(
        peer=resp.get('peer', ''),
        address=resp.get('peer_address', ''),
        asn=resp.get('peer_asn', 0),
        encoding=resp.get('encoding', ''),
        state=resp.get('state', ''),
        flap_count=resp.get('flap_count', 0),
        families=list(families),
        router_type=resp.get('router_type', ''),
        peer_type=resp.get('peer_type', ''),
        last_state=resp.get('last_state', ''),
        last_error=resp.get('last_error', ''),
    )


def peer_states(neighbors, wanted):
    """``{wanted peer: state}`` matching names or addresses; None for no such neighbor."""
    states = {}
    for key in wanted:
        match = [n for n in neighbors if key in (n['peer'], n['address'])]
        states[key] = match[0]['state'] if match else None
    return states


def not_established(states):
    """The wanted peers that are not Established, as ``name (state)`` strings."""
    return ['%s (%s)' % (key, state or 'not a neighbor')
            for key, state in sorted(states.items()) if state != ESTABLISHED]
