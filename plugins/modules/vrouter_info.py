#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vrouter_info
short_description: Report a compute's vRouter - packages, agent conf, service, kernel module, XMPP and routes
version_added: 1.0.0
description:
  - Read-only view of a vRouter compute, used by the preflight and to verify a swap.
  - Installed Contrail packages and versions (dpkg or rpm).
  - The agent's server settings (control, DNS, collector and discovery servers) and the
    release they are written for, and the nodemgr's.
  - The state of C(supervisor-vrouter) (and its programs) or of the systemd units.
  - Whether the vrouter kernel module is loaded (C(lsmod)).
  - The agent's XMPP connections from its introspect (port 8085; per controller its state
    and whether it is the config controller) and its route counts in the tenant VRFs.
  - What M(opencontrail.issu.vrouter_swap) recorded in its fact file.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.attributes.read_only
  - opencontrail.issu.vrouter
  - opencontrail.issu.vrouter.package_manager
  - opencontrail.issu.vrouter.agent_state
options:
  introspect_port:
    description: Port of the agent introspect; default is C([DEFAULT] http_server_port) of the agent conf, else 8085.
    type: int
  introspect_timeout:
    description: Seconds to wait for each introspect answer.
    type: float
    default: 3
  gather_routes:
    description: Count the agent's routes (one introspect request per tenant VRF).
    type: bool
    default: true
seealso:
  - module: opencontrail.issu.vrouter_swap
'''

EXAMPLES = r'''
- name: Look at a compute
  opencontrail.issu.vrouter_info:
  register: vr

- name: It must be on 4.0, connected to the v2 control node
  ansible.builtin.assert:
    that:
      - vr.packages['contrail-vrouter-agent'].version is version('4.0', '>=')
      - >-
        vr.xmpp | selectattr('state', 'equalto', 'Established')
        | map(attribute='controller_ip') | list == ['10.99.0.21']
'''

RETURN = r'''
packages:
  description: Installed Contrail packages, with version and package manager status.
  returned: always
  type: dict
  sample: {contrail-vrouter-agent: {version: 3.2.14.0-37, status: installed}}
version:
  description: Version of C(contrail-vrouter-agent), null when it is not installed.
  returned: always
  type: str
  sample: 3.2.14.0-37
agent_conf:
  description:
    - Servers of the agent conf (control_servers, dns_servers, collectors, discovery_server),
      the release the conf is written for (C(era), V(3.x) or V(4.x)), and the raw values
      (C(raw), keyed C(SECTION/key)).
  returned: always
  type: dict
  sample: {control_servers: [], dns_servers: [], collectors: [], discovery_server: 10.99.0.11, era: 3.x}
nodemgr_conf:
  description: Raw values of the nodemgr conf keys (C(DISCOVERY/server), C(COLLECTOR/server_list)).
  returned: always
  type: dict
service:
  description: The vRouter service (manager, service, state running or stopped, programs and their supervisor state).
  returned: always
  type: dict
  sample: {manager: supervisor, service: supervisor-vrouter, state: running, programs: {contrail-vrouter-agent: RUNNING}}
kmod:
  description:
    - Whether the vrouter kernel module is loaded, and its use count; C(version), the loaded
      module's build as C(vrouter --info) reports it (null when not loaded or not told);
      C(srcversion) and C(installed_srcversion), checksums of the loaded module's and the
      installed module's sources (different means the next load changes the module).
  returned: always
  type: dict
  sample: {loaded: true, used_by: 1, version: 3.2.14.0-37, srcversion: 8C1B2D0E6B3A5F4C2D1E0F9, installed_srcversion: 8C1B2D0E6B3A5F4C2D1E0F9}
xmpp:
  description: The agent's XMPP connections (controller_ip, state, cfg_controller, mcast_controller, peer_address, flap_count, last_state_at).
  returned: always
  type: list
  elements: dict
routes:
  description: Route counts of the tenant VRFs (total, xmpp = learnt from a control node, local).
  returned: when O(gather_routes=true) and the introspect answered
  type: dict
  sample: {total: 6, xmpp: 4, local: 2}
introspect_error:
  description: Why the agent introspect could not be read (the other facts are still returned).
  returned: when the introspect did not answer
  type: str
node:
  description:
    - The kind of vRouter node (C(platform) kernel, dpdk or another C([DEFAULT] platform), C(agent_mode)
      vrouter or tsn, the number of ToR agent confs C(tor_agents)), and C(refused), why an in-place
      swap refuses it (null when it does not). A TSN is swapped like a compute; a DPDK or SmartNIC
      vRouter is refused before anything changes.
  returned: always
  type: dict
  sample: {platform: kernel, agent_mode: vrouter, tor_agents: 0, refused: null}
issu:
  description: The content of O(fact_file) (C(vrouter) holds the previous state and the last swap's status).
  returned: always
  type: dict
'''

from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter_swap_plan
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    IntrospectClient,
    IntrospectError,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule


def introspect_facts(params):
    """XMPP peers and route counts, or the reason the introspect did not answer."""
    port = params['introspect_port'] or vrouter.agent_port(params['agent_conf'])
    client = IntrospectClient(params['introspect_host'], port,
                              timeout=params['introspect_timeout'])
    facts = dict(xmpp=[])
    try:
        facts['xmpp'] = vrouter.xmpp_peers(client)
        if params['gather_routes']:
            facts['routes'] = vrouter.route_summary(vrouter.agent_routes(client))
    except IntrospectError as exc:
        facts['introspect_error'] = str(exc)
    return facts


def run(module):
    params = module.params
    pkg = pkg_manager.detect(module.run_command, params['package_manager'])
    svc = service_manager.detect(module.run_command, 'vrouter', params['service_manager'])
    # One package query: the Contrail packages by pattern (not every installed package, then these).
    packages = pkg.installed_matching(vrouter.CONTRAIL_PACKAGE_PATTERNS)
    snap = vrouter.snapshot(pkg, svc, module.run_command, (), params['agent_conf'],
                            params['nodemgr_conf'], packages=packages)
    agent = vrouter.servers_view(snap['agent_conf'])
    agent['raw'] = snap['agent_conf']
    result = dict(changed=False, packages=packages,
                  version=vrouter_swap_plan.agent_version(dict(packages=packages)),
                  agent_conf=agent, nodemgr_conf=snap['nodemgr_conf'], service=snap['service'],
                  kmod=snap['kmod'], issu=vrouter.read_fact(params['fact_file']),
                  node=vrouter.node_kind(packages, params['agent_conf'],
                                         vrouter.tor_agent_confs()))
    result.update(introspect_facts(params))
    return result


def main():
    IssuModule(dict(
        introspect_port=dict(type='int'),
        introspect_timeout=dict(type='float', default=3),
        gather_routes=dict(type='bool', default=True),
    ), groups=('vrouter', 'vrouter.agent_state')).run_and_exit(run)


if __name__ == '__main__':
    main()
