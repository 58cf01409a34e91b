#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_node_cleanup
short_description: Remove the old cluster's node objects from the new cluster's config at ISSU finalize
version_added: 1.0.0
description:
  - Does what C(provision_issu.py) does at finalize, against the v2 config API, but safely.
  - Deletes the C(bgp-router) objects of C(router_type) C(control-node) under
    C(default-domain:default-project:ip-fabric:__default__) whose name is not in
    O(keep_control_nodes). Routers of any other type (MX and other external routers) are never
    candidates (LP 1645914).
  - Deletes the C(config-node), C(analytics-node) and C(database-node) objects whose name is not
    in O(keep_config_nodes), O(keep_analytics_nodes) and O(keep_database_nodes). A type whose
    keep list is not given is left alone.
  - Refs that point at an object being deleted (the C(global-system-config) ref of a
    control node, for example) are removed first, since they block the deletion.
  - Refuses, before deleting anything, a keep list that is empty or names an object that does
    not exist - a short name given where the objects carry FQDNs (or the reverse) would
    otherwise delete exactly the nodes meant to be kept.
author:
  - opencontrail.issu developers (@opencontrail-issu)
extends_documentation_fragment:
  - opencontrail.issu.vnc_api
attributes:
  check_mode:
    support: full
    description: Lists what would be deleted (RV(deleted)) without deleting it.
  diff_mode:
    support: full
    description: Shows the names of each type before and after.
  platform:
    support: full
    platforms: posix
    description: Runs anywhere the v2 config API is reachable, normally the C(issu_task) host.
options:
  keep_control_nodes:
    description: Names of the control-node bgp-routers to keep (the v2 control nodes).
    type: list
    elements: str
    required: true
  keep_config_nodes:
    description: Names of the config-node objects to keep. Not given means config-nodes are left alone.
    type: list
    elements: str
  keep_analytics_nodes:
    description: Names of the analytics-node objects to keep. Not given means analytics-nodes are left alone.
    type: list
    elements: str
  keep_database_nodes:
    description: Names of the database-node objects to keep. Not given means database-nodes are left alone.
    type: list
    elements: str
seealso:
  - module: opencontrail.issu.bgp_router
'''

EXAMPLES = r'''
- name: Forget the v1 nodes in v2
  opencontrail.issu.issu_node_cleanup:
    api_server_host: 10.99.0.21
    keep_control_nodes: [lab-v2-ctrl1, lab-v2-ctrl2, lab-v2-ctrl3]
    keep_config_nodes: [lab-v2-ctrl1, lab-v2-ctrl2, lab-v2-ctrl3]
    keep_analytics_nodes: [lab-v2-ctrl1, lab-v2-ctrl2, lab-v2-ctrl3]
    keep_database_nodes: [lab-v2-ctrl1, lab-v2-ctrl2, lab-v2-ctrl3]
'''

RETURN = r'''
deleted:
  description: The objects deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: dict
  sample: [{type: bgp-router, uuid: 3f0e2c1a-5c1b-4c1e-9a59-0d5e1c2b3a4f, name: lab-v1-ctrl1}]
before:
  description: Names per cleaned type before the task.
  returned: always
  type: dict
  sample: {bgp-router: [lab-v1-ctrl1, lab-v2-ctrl1]}
after:
  description: Names per cleaned type after the task.
  returned: always
  type: dict
  sample: {bgp-router: [lab-v2-ctrl1]}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import (
    API_CONNECTION_REQUIRED_IF, api_connection_argument_spec,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.contrail_objects import (
    NODE_TYPES, CleanupError, delete_with_back_refs, plan_cleanup,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import (
    VncClient, VncError,
)


def argument_spec():
    spec = api_connection_argument_spec()
    spec.update(keep_control_nodes=dict(type='list', elements='str', required=True))
    for option, _obj_type in NODE_TYPES:
        spec[option] = dict(type='list', elements='str')
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=API_CONNECTION_REQUIRED_IF)
    params = module.params
    client = VncClient.from_params(params)
    try:
        routers = client.list('bgp-router', detail=True)
        nodes = dict((obj_type, client.list(obj_type, detail=True))
                     for option, obj_type in NODE_TYPES if params[option] is not None)
        doomed, before, after = plan_cleanup(params, routers, nodes)
        if not module.check_mode:
            for obj_type, uuid, _name in doomed:
                delete_with_back_refs(client, obj_type, uuid)
    except (CleanupError, VncError) as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=bool(doomed), before=before, after=after,
                  deleted=[dict(type=t, uuid=u, name=n) for t, u, n in doomed])
    if module._diff:
        result['diff'] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
