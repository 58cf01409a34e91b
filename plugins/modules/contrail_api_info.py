#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: contrail_api_info
short_description: Read the facts an ISSU checks about a Contrail cluster from its config API
version_added: 1.0.0
description:
  - Connects to a Contrail config API with the given credentials and returns what preflight and
    the phase gates compare between v1 and v2, from a handful of reads.
  - The global ASN and C(ibgp_auto_mesh) of C(default-global-system-config).
  - The bgp-routers of the cluster with their type, address and ASN, split into control nodes and
    external routers.
  - The resource types the server knows, and optionally object counts per type.
  - Fails with the HTTP status and the server's message when the API is unreachable, the
    credentials are refused or TLS verification fails, so one task checks reachability and
    credentials at once.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.attributes.read_only
  - opencontrail.issu.vnc_api
attributes:
  platform:
    description: Runs on any host that reaches the config API, normally the issu_task host.
options:
  count_types:
    description:
      - Resource types (for example V(virtual-network)) to count with C(GET /<type>s?count=true).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read v1 and v2 and refuse different ASNs
  opencontrail.issu.contrail_api_info:
    api_server_host: "{{ item.api_server_host }}"
    api_server_port: "{{ item.api_server_port | default(8082) }}"
  loop: ["{{ issu_v1_api }}", "{{ issu_v2_api }}"]
  register: clusters

- name: Count networks and ports on v1
  opencontrail.issu.contrail_api_info:
    api_server_host: 192.0.2.11
    count_types: [virtual-network, virtual-machine-interface]
"""

RETURN = r"""
asn:
  description: C(autonomous_system) of C(default-global-system-config).
  returned: always
  type: int
  sample: 64512
ibgp_auto_mesh:
  description: Whether the schema transformer meshes the control nodes by itself.
  returned: always
  type: bool
  sample: true
control_nodes:
  description: bgp-routers whose C(router_type) is C(control-node).
  returned: always
  type: list
  elements: dict
  sample: [{name: ctrl1, uuid: 3f0e2c1a-0000-4000-8000-000000000001, address: 10.0.0.11,
            asn: 64512, router_type: control-node, fq_name: [default-domain, default-project,
            ip-fabric, __default__, ctrl1]}]
other_routers:
  description: bgp-routers of any other type (external routers, BGPaaS); an ISSU never removes them.
  returned: always
  type: list
  elements: dict
  sample: []
resource_types:
  description: Resource types the server lists on its homepage.
  returned: always
  type: list
  elements: str
  sample: [bgp-router, virtual-network]
counts:
  description: Object count per type of O(count_types).
  returned: always
  type: dict
  sample: {virtual-network: 12}
"""

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import GSC_FQ_NAME
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import (
    VncClient, VncError, collection_types,
)


def summarize_router(router):
    params = router.get('bgp_router_parameters') or {}
    return dict(name=router['fq_name'][-1], uuid=router['uuid'], fq_name=router['fq_name'],
                router_type=params.get('router_type'), address=params.get('address'),
                asn=params.get('autonomous_system'))


def gather(client, count_types):
    types = collection_types(client.homepage())
    unknown = [t for t in count_types if t not in types]
    if unknown:
        raise ValueError('count_types names types the server does not know: %s'
                         % ', '.join(unknown))
    gsc = client.read_fq_name('global-system-config', GSC_FQ_NAME,
                              fields=['autonomous_system', 'ibgp_auto_mesh'])
    if gsc is None:
        raise ValueError('the API has no default-global-system-config: is this a Contrail config API?')
    routers = [summarize_router(r) for r in client.list('bgp-router', detail=True)]
    return dict(
        asn=gsc.get('autonomous_system'),
        ibgp_auto_mesh=bool(gsc.get('ibgp_auto_mesh')),
        control_nodes=[r for r in routers if r['router_type'] == 'control-node'],
        other_routers=[r for r in routers if r['router_type'] != 'control-node'],
        resource_types=types,
        counts=dict((t, client.list(t, count=True)) for t in count_types),
    )


def run(module):
    client = VncClient.from_params(module.params)
    with module.failing('Contrail config API %s: ' % client.base_url, (VncError, ValueError)):
        return dict(changed=False, **gather(client, module.params['count_types']))


def main():
    IssuModule(dict(count_types=dict(type='list', elements='str', default=[])),
               groups=('vnc_api',)).run_and_exit(run)


if __name__ == '__main__':
    main()
