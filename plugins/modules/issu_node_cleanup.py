#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_node_cleanup
short_description: Leave the new cluster's node objects as provision_issu.py does at ISSU finalize
version_added: 1.0.0
description:
  - Does what C(provision_issu.py) does at finalize, against the v2 config API, but safely.
  - Pre-sync mirrors v1's config database into v2 and prunes v2-only rows, so at finalize v2
    holds v1's node objects and none of its own config, analytics and database nodes.
  - Deletes the C(bgp-router) objects of C(router_type) C(control-node) under
    C(default-domain:default-project:ip-fabric:__default__) whose name is not in
    O(keep_control_nodes). Routers of any other type (MX and other external routers) are never
    candidates (LP 1645914).
  - Makes the C(config-node), C(analytics-node) and C(database-node) objects exactly
    O(config_nodes), O(analytics_nodes) and O(database_nodes) - deletes the others, creates the
    missing ones (parent C(default-global-system-config), property C(<type>_ip_address)) and
    corrects an address that differs. A type whose option is not given is left alone.
  - Refs that point at an object being deleted (the C(global-system-config) ref of a
    control node, for example) are removed first, since they block the deletion.
  - Refuses, before changing anything, an empty list or a O(keep_control_nodes) name that has
    no bgp-router - a short name given where the objects carry FQDNs (or the reverse) would
    otherwise delete exactly the control nodes meant to be kept.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vnc_api
attributes:
  check_mode:
    description: Returns the plan (RV(deleted), RV(created), RV(updated)) without changing anything.
  diff_mode:
    support: full
    description: Shows each type's names and addresses before and after.
  platform:
    description: Runs anywhere the v2 config API is reachable, normally the C(issu_task) host.
options:
  keep_control_nodes:
    description: Names of the control-node bgp-routers to keep (the v2 control nodes). Each must exist.
    type: list
    elements: str
    required: true
  config_nodes:
    description:
      - The config nodes v2 must hold, name to IP address (C(config_node_ip_address)).
      - Not given means config-nodes are left alone; the same holds for O(analytics_nodes) and
        O(database_nodes).
    type: dict
  analytics_nodes:
    description: The analytics nodes, as O(config_nodes) (C(analytics_node_ip_address)).
    type: dict
  database_nodes:
    description: The database nodes, as O(config_nodes) (C(database_node_ip_address)).
    type: dict
seealso:
  - module: opencontrail.issu.bgp_router
'''

EXAMPLES = r'''
- name: Leave v2 with its own nodes and none of v1's
  opencontrail.issu.issu_node_cleanup:
    api_server_host: 10.99.0.21
    keep_control_nodes: [lab-v2-ctrl1, lab-v2-ctrl2]
    config_nodes: &v2_nodes
      lab-v2-ctrl1: 10.99.0.21
      lab-v2-ctrl2: 10.99.0.22
    analytics_nodes: *v2_nodes
    database_nodes: *v2_nodes
'''

RETURN = r'''
deleted:
  description: The objects deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: dict
  sample: [{type: bgp-router, uuid: 3f0e2c1a-5c1b-4c1e-9a59-0d5e1c2b3a4f, name: lab-v1-ctrl1}]
created:
  description: The node objects created (in check mode, that would be created).
  returned: always
  type: list
  elements: dict
  sample: [{type: config-node, name: lab-v2-ctrl1, address: 10.99.0.21}]
updated:
  description: The node objects whose address was corrected (in check mode, would be).
  returned: always
  type: list
  elements: dict
  sample: [{type: config-node, uuid: 0c5d1e2f-3a4b-4c5d-8e9f-a0b1c2d3e4f5, name: lab-v2-ctrl1, address: 10.99.0.21}]
before:
  description: Names and addresses per handled type before the task.
  returned: always
  type: dict
  sample: {bgp-router: {lab-v1-ctrl1: 10.99.0.11, lab-v2-ctrl1: 10.99.0.21}, config-node: {lab-v1-ctrl1: 10.99.0.11}}
after:
  description: Names and addresses per handled type after the task.
  returned: always
  type: dict
  sample: {bgp-router: {lab-v2-ctrl1: 10.99.0.21}, config-node: {lab-v2-ctrl1: 10.99.0.21}}
'''

import ipaddress

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.opencontrail.issu.plugins.module_utils.contrail_objects import (
    NODE_TYPES, CleanupError, apply_plan, plan_nodes,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient


def checked_addresses(params):
    """The node options with their addresses as text; CleanupError for one that is no IP."""
    for option, _obj_type in NODE_TYPES:
        nodes = params[option]
        if nodes is None:
            continue
        for name, address in nodes.items():
            try:
                ipaddress.ip_address(to_text(address))
            except ValueError:
                raise CleanupError('%s: %r is not an IP address (node %s)' % (option, address, name))
        params[option] = dict((to_text(n), to_text(a)) for n, a in nodes.items())
    return params


def run(module):
    params = checked_addresses(module.params)
    client = VncClient.from_params(params)
    routers = client.list('bgp-router', detail=True)
    nodes = dict((obj_type, client.list(obj_type, detail=True))
                 for option, obj_type in NODE_TYPES if params[option] is not None)
    plan = plan_nodes(params, routers, nodes)
    if not module.check_mode:
        apply_plan(client, plan)
    return dict(changed=plan.changed, before=plan.before, after=plan.after,
                deleted=[dict(type=t, uuid=u, name=n) for t, u, n in plan.delete],
                created=[dict(type=t, name=n, address=a) for t, n, a in plan.create],
                updated=[dict(type=t, uuid=u, name=n, address=a) for t, u, n, a in plan.update],
                diff=dict(before=plan.before, after=plan.after))


def main():
    spec = dict(keep_control_nodes=dict(type='list', elements='str', required=True))
    spec.update((option, dict(type='dict')) for option, _obj_type in NODE_TYPES)
    IssuModule(spec, groups=('vnc_api',)).run_and_exit(run)


if __name__ == '__main__':
    main()
