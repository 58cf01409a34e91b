#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: bgp_router
short_description: Ensure Contrail control-node bgp-router objects and their BGP peerings
version_added: 1.0.0
description:
  - Creates, updates or deletes C(bgp-router) objects in one Contrail config API, under the
    routing instance C(default-domain:default-project:ip-fabric:__default__), the way
    C(provision_control.py) does, and peers them (C(bgp_router_refs) with
    C(BgpPeeringAttributes)) with other bgp-routers.
  - The ISSU registers every v2 control node in v1 and every v1 control node in v2, so the two
    control planes exchange routes; O(routers) manages several routers in one task.
  - The ASN defaults to C(autonomous_system) of the cluster's C(global-system-config).
    A control node asked to use another ASN, or peered with a control node of another ASN, is
    refused.
  - A control-node router also gets the C(global-system-config) to C(bgp-router) reference
    that C(provision_control.py) adds.
  - Peering refs are symmetric in the config API (each side lists the other), so a peering
    already created by auto-mesh (the schema transformer, when C(ibgp_auto_mesh) is on) or by
    the other side counts as present and is not added again.
  - A router whose C(router_type) is not C(control-node) (an MX, a bgpaas router) is never
    created, changed or deleted unless O(allow_non_control_node=true), and O(purge_peers) never
    removes a peering with one (LP 1645914).
  - Everything is checked before the first change; a refused request changes nothing. Refused
    are an ASN mismatch, two routers with the same address (in the request, or a requested
    address already used by another bgp-router), a peer that does not exist, and a change of
    the address of an existing router (the address is create-only in Contrail).
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vnc_api
attributes:
  check_mode:
    description: Reads the API, computes the same plan as a real run and returns it without writing.
  diff_mode:
    support: full
    description: Shows every managed router before and after (parameters and peers; never the md5 key).
  platform:
    description: Runs anywhere the config API is reachable, normally the C(issu_task) host.
options:
  name:
    description:
      - Name of the bgp-router (the last element of its fq_name), normally the control node's
        host name. Mutually exclusive with O(routers).
    type: str
  routers:
    description:
      - Several routers at once. Each item takes the per-router options below; an option an
        item does not set is taken from the module's top-level option of the same name.
    type: list
    elements: dict
    suboptions:
      name: {description: Name of the bgp-router., type: str, required: true}
      address: {description: See O(address)., type: str}
      identifier: {description: See O(identifier)., type: str}
      router_type: {description: See O(router_type)., type: str,
                    choices: [control-node, external-control-node, router, bgpaas-server, bgpaas-client]}
      vendor: {description: See O(vendor)., type: str}
      asn: {description: See O(asn)., type: int}
      address_families: {description: See O(address_families)., type: list, elements: str}
      hold_time: {description: See O(hold_time)., type: int}
      port: {description: See O(port)., type: int}
      auth_key: {description: See O(auth_key)., type: str}
      peers: {description: See O(peers)., type: list, elements: str}
      purge_peers: {description: See O(purge_peers)., type: bool}
      state: {description: See O(state)., type: str, choices: [present, absent]}
  address:
    description:
      - BGP address of the router. Required for O(state=present).
      - Create-only, as in Contrail; a router that exists with another address is refused.
    type: str
  identifier:
    description: BGP router id. Defaults to O(address).
    type: str
  router_type:
    description: C(router_type) of the router.
    type: str
    default: control-node
    choices: [control-node, external-control-node, router, bgpaas-server, bgpaas-client]
  vendor:
    description:
      - Vendor. Defaults to V(contrail) for control nodes and V(mx) for O(router_type=router).
    type: str
  asn:
    description:
      - Autonomous system. Defaults to C(autonomous_system) of C(global-system-config).
      - For a control node it must equal that global ASN.
    type: int
  address_families:
    description: Address families of the router.
    type: list
    elements: str
    default: [route-target, inet-vpn, e-vpn, erm-vpn, inet6-vpn]
  hold_time:
    description: BGP hold time in seconds (Contrail treats V(0) as 90).
    type: int
    default: 90
  port:
    description: BGP port.
    type: int
    default: 179
  auth_key:
    description:
      - MD5 key of the router's BGP sessions (C(auth_data)). An empty string removes it.
        Not given means the key is left as it is. Never logged nor returned.
    type: str
  peers:
    description:
      - Names of bgp-routers (under the same routing instance) this router peers with.
        A name equal to the router's own is ignored. Not given means peerings are left alone.
    type: list
    elements: str
  purge_peers:
    description:
      - Remove the router's peerings with control nodes that are not in O(peers).
        Peerings with routers of another C(router_type) are kept unless
        O(allow_non_control_node=true).
    type: bool
    default: false
  state:
    description: Whether the router exists. Deleting a router also removes its peerings.
    type: str
    default: present
    choices: [present, absent]
  allow_non_control_node:
    description:
      - Allow creating, changing or deleting routers whose C(router_type) is not
        C(control-node), and purging peerings with them.
    type: bool
    default: false
notes:
  - The ISSU keeps v2's schema transformer stopped, so nothing creates peerings in v2
    automatically; give O(peers) there.
seealso:
  - module: opencontrail.issu.bgp_neighbor_info
'''

EXAMPLES = r'''
- name: Register the v2 control nodes in v1 (auto-mesh peers them with the v1 ones)
  opencontrail.issu.bgp_router:
    api_server_host: 10.99.0.11
    routers:
      - {name: lab-v2-ctrl1, address: 10.99.0.21}
      - {name: lab-v2-ctrl2, address: 10.99.0.22}

- name: Register the v1 control nodes in v2 and peer them with the v2 ones
  opencontrail.issu.bgp_router:
    api_server_host: 10.99.0.21
    auth_key: "{{ bgp_md5_key }}"
    peers: [lab-v2-ctrl1, lab-v2-ctrl2]
    routers:
      - {name: lab-v1-ctrl1, address: 10.99.0.11}
      - {name: lab-v1-ctrl2, address: 10.99.0.12}

- name: Unregister one router
  opencontrail.issu.bgp_router:
    api_server_host: 10.99.0.21
    name: lab-v1-ctrl1
    state: absent
'''

RETURN = r'''
before:
  description: Each managed router before the task, by name (V(null) when it did not exist).
  returned: always
  type: dict
  sample:
    lab-v2-ctrl1:
      name: lab-v2-ctrl1
      router_type: control-node
      vendor: contrail
      autonomous_system: 64512
      address: 10.99.0.21
      identifier: 10.99.0.21
      port: 179
      hold_time: 90
      address_families: [route-target, inet-vpn, e-vpn, erm-vpn, inet6-vpn]
      auth: md5 (key set)
      peers: [lab-v1-ctrl1]
after:
  description: Each managed router after the task (in check mode, as it would be), same shape as RV(before).
  returned: always
  type: dict
actions:
  description: The API changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: [create bgp-router lab-v2-ctrl1, add global-system-config ref to lab-v2-ctrl1,
           peer lab-v2-ctrl1 with lab-v1-ctrl1]
asn:
  description: The global ASN of the cluster (C(global-system-config) C(autonomous_system)).
  returned: always
  type: int
  sample: 64512
'''

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import (
    ROUTER_TYPES, DEFAULT_FAMILIES, apply_plan, describe, load_inventory, plan_routers,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient


def router_options(top_level):
    """Per-router options; the top level has defaults, ``routers`` items inherit them."""
    def opt(kind, default=None, **extra):
        return dict(type=kind, default=default if top_level else None, **extra)
    return dict(
        address=opt('str'),
        identifier=opt('str'),
        router_type=opt('str', 'control-node', choices=ROUTER_TYPES),
        vendor=opt('str'),
        asn=opt('int'),
        address_families=opt('list', list(DEFAULT_FAMILIES), elements='str'),
        hold_time=opt('int', 90),
        port=opt('int', 179),
        auth_key=opt('str', no_log=True),
        peers=opt('list', elements='str'),
        purge_peers=opt('bool', False),
        state=opt('str', 'present', choices=['present', 'absent']),
    )


def argument_spec():
    item = dict(router_options(False), name=dict(type='str', required=True))
    return dict(
        router_options(True),
        name=dict(type='str'),
        routers=dict(type='list', elements='dict', options=item),
        allow_non_control_node=dict(type='bool', default=False),
    )


def run(module):
    client = VncClient.from_params(module.params)
    inv = load_inventory(client)
    plan = plan_routers(module.params, inv)
    if not module.check_mode:
        apply_plan(client, plan, inv)
    return dict(changed=plan.changed, before=plan.before, after=plan.after,
                actions=[describe(a) for a in plan.actions], asn=inv.global_asn,
                diff=dict(before=plan.before, after=plan.after))


def main():
    IssuModule(argument_spec(), groups=('vnc_api',), mutually_exclusive=[('name', 'routers')],
               required_one_of=[('name', 'routers')]).run_and_exit(run)


if __name__ == '__main__':
    main()
