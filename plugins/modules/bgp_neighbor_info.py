#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: bgp_neighbor_info
short_description: Read a Contrail control node's BGP and XMPP neighbors, optionally wait for peers to be Established
version_added: 1.0.0
description:
  - Reads C(Snh_BgpNeighborReq) from a control node's introspect port (8083), following every
    C(next_batch) page, and returns one entry per neighbor - BGP peers (other control nodes,
    external routers) and XMPP peers (vRouter agents).
  - With O(wait_for), checks that each listed peer (by name or address) is C(Established);
    with O(wait=true) it polls until they all are or O(wait_timeout) passes. On failure the
    module lists the peers that are not Established with the state last seen.
  - The ISSU uses it as a gate after peering v1 and v2 - every v2 control node must see the
    v1 control nodes Established before any compute moves.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.attributes.read_only
  - opencontrail.issu.introspect
  - opencontrail.issu.wait
options:
  host:
    description: Address of the control node.
    type: str
    required: true
  port:
    description: Introspect port of contrail-control.
    type: int
    default: 8083
  search:
    description: Search string of the request (the control node filters neighbors by it).
    type: str
    default: ''
  encoding:
    description: Return only BGP or only XMPP neighbors, or V(all).
    type: str
    default: all
    choices: [all, BGP, XMPP]
  wait_for:
    description:
      - Peers (neighbor names or addresses) that must be C(Established).
      - With O(wait=false) they are checked once; with O(wait=true) until O(wait_timeout).
    type: list
    elements: str
    default: []
seealso:
  - module: opencontrail.issu.bgp_router
'''

EXAMPLES = r'''
- name: The v2 control node sees the v1 control nodes Established
  opencontrail.issu.bgp_neighbor_info:
    host: 10.99.0.21
    encoding: BGP
    wait_for: [lab-v1-ctrl1, 10.99.0.12]
    wait: true
    wait_timeout: 180

- name: Read every neighbor
  opencontrail.issu.bgp_neighbor_info:
    host: 10.99.0.11
  register: neighbors
'''

RETURN = r'''
neighbors:
  description: The neighbors, BGP peers first then XMPP peers, as the control node orders them.
  returned: always
  type: list
  elements: dict
  contains:
    peer:
      description: Neighbor name (control node or router name, or agent host name).
      type: str
    address:
      description: Neighbor address.
      type: str
    asn:
      description: Neighbor ASN (0 for XMPP peers).
      type: int
    encoding:
      description: V(BGP) or V(XMPP).
      type: str
    state:
      description: Session state (V(Idle), V(Active), V(Connect), V(OpenSent), V(OpenConfirm), V(Established)).
      type: str
    flap_count:
      description: How many times the session went down.
      type: int
    families:
      description: Negotiated address families (configured ones when none are negotiated yet).
      type: list
      elements: str
    router_type:
      description: C(router_type) of a BGP peer (empty for XMPP peers).
      type: str
    peer_type:
      description: V(internal) or V(external).
      type: str
    last_state:
      description: Previous state, when the control node reports it.
      type: str
    last_error:
      description: Last error, when the control node reports it.
      type: str
  sample:
    - {peer: lab-v1-ctrl1, address: 10.99.0.11, asn: 64512, encoding: BGP, state: Established,
       flap_count: 0, families: [inet-vpn, route-target], router_type: control-node,
       peer_type: internal, last_state: OpenConfirm, last_error: ''}
states:
  description: The state of each O(wait_for) peer when the module returned (V(null) when not a neighbor).
  returned: always
  type: dict
  sample: {lab-v1-ctrl1: Established}
not_established:
  description: The O(wait_for) peers that are not Established, as C(name (state)).
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import (
    neighbor_view, not_established, peer_states,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import introspect_kwargs
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    IntrospectError, bgp_neighbors,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout, wait_for,
)


def read_neighbors(params):
    """One introspect read -> neighbor views, filtered by encoding."""
    raw = bgp_neighbors(params['host'], params['port'], params['search'],
                        **introspect_kwargs(params))
    views = [neighbor_view(item) for item in raw]
    if params['encoding'] != 'all':
        views = [v for v in views if v['encoding'] == params['encoding']]
    return views


def run(module):
    params = module.params
    wanted = params['wait_for']

    def probe():
        neighbors = read_neighbors(params)
        return neighbors, peer_states(neighbors, wanted)

    timeout = params['wait_timeout'] if params['wait'] and wanted else 0
    try:
        neighbors, states = wait_for(
            probe, timeout, params['wait_interval'],
            describe='BGP peers %s to be Established' % ', '.join(wanted),
            until=lambda seen: not not_established(seen[1]), retry_on=(IntrospectError,))
    except WaitTimeout as exc:
        if exc.last_value is None:
            module.fail_json(msg='control node introspect %s:%s did not answer: %s'
                             % (params['host'], params['port'], exc.last_error))
        neighbors, states = exc.last_value
        missing = not_established(states)
        verdict = 'after %ss' % timeout if timeout else '(checked once, wait=false)'
        module.fail_json(msg='peers not Established %s: %s' % (verdict, ', '.join(missing)),
                         neighbors=neighbors, states=states, not_established=missing)
    return dict(neighbors=neighbors, states=states, not_established=[])


def main():
    IssuModule(dict(
        host=dict(type='str', required=True),
        port=dict(type='int', default=8083),
        search=dict(type='str', default=''),
        encoding=dict(type='str', default='all', choices=['all', 'BGP', 'XMPP']),
        wait_for=dict(type='list', elements='str', default=[]),
    ), groups=('wait', 'introspect')).run_and_exit(run)


if __name__ == '__main__':
    main()
