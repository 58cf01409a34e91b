#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_status_info
short_description: Read a Contrail daemon's NodeStatus from its introspect port, optionally wait until it is Functional
version_added: 1.0.0
description:
  - Reads C(Snh_SandeshUVECacheReq?x=NodeStatus) from a daemon's introspect port - the
    C(ProcessStatus) Contrail's own health measure fills (the state C(contrail-status) and the
    node managers report) - with the daemon's connections and, when it is not Functional, why.
  - With O(functional=true) the module fails unless every process reported is C(Functional);
    with O(wait=true) it polls until they are or O(wait_timeout) passes, and then lists each
    process that is not, with its description (for example C(XMPP:dns-server:10.0.0.11
    connection down) or C(No Configuration for self)).
  - The ISSU's health gates use it on vRouter agents (port 8085) and control nodes (8083).
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.attributes.read_only
  - opencontrail.issu.introspect
  - opencontrail.issu.wait
options:
  host:
    description: Address of the node.
    type: str
    required: true
  port:
    description: Introspect port of the daemon - 8085 for the vRouter agent, 8083 for contrail-control.
    type: int
    required: true
  functional:
    description: Fail unless every process reported is C(Functional) (with O(wait=true), once it stays not).
    type: bool
    default: false
seealso:
  - module: opencontrail.issu.contrail_status_info
  - module: opencontrail.issu.bgp_neighbor_info
'''

EXAMPLES = r'''
- name: The agent is Functional by its own measure
  opencontrail.issu.node_status_info:
    host: 10.99.0.101
    port: 8085
    functional: true
    wait: true
    wait_timeout: 60

- name: Read a control node's NodeStatus
  opencontrail.issu.node_status_info:
    host: 10.99.0.11
    port: 8083
  register: control_status
'''

RETURN = r'''
processes:
  description: One entry per process the daemon reports.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node name the UVE is keyed by.
      type: str
    module_id:
      description: The process, for example C(contrail-vrouter-agent).
      type: str
    state:
      description: V(Functional) or V(Non-Functional).
      type: str
    description:
      description: Why it is not Functional (empty when it is).
      type: str
    connection_infos:
      description: The process's connections (C(type), C(name), C(server_addrs), C(status), C(description)).
      type: list
      elements: dict
  sample:
    - name: lab-compute1
      module_id: contrail-vrouter-agent
      state: Non-Functional
      description: XMPP:dns-server:10.99.0.11 connection down
      connection_infos: [{type: XMPP, name: 'dns-server:10.99.0.11', server_addrs: ['10.99.0.11:8093'], status: Down}]
functional:
  description: Whether every process reported is C(Functional).
  returned: always
  type: bool
not_functional:
  description: "C(<module_id>: <state> (<description>)) of each process that is not Functional."
  returned: always
  type: list
  elements: str
'''

from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import introspect_kwargs
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    IntrospectError, functional_problems, node_status,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout, wait_for,
)


def run(module):
    params = module.params
    where = '%s:%s' % (params['host'], params['port'])

    def probe():
        processes = node_status(params['host'], params['port'], **introspect_kwargs(params))
        return processes, functional_problems(processes)

    timeout = params['wait_timeout'] if params['wait'] and params['functional'] else 0
    try:
        processes, bad = wait_for(
            probe, timeout, params['wait_interval'], describe='NodeStatus Functional on %s' % where,
            until=lambda seen: not (params['functional'] and seen[1]), retry_on=(IntrospectError,))
    except WaitTimeout as exc:
        if exc.last_value is None:
            module.fail_json(msg='introspect %s did not answer: %s' % (where, exc.last_error))
        processes, bad = exc.last_value
        verdict = 'after %ss' % timeout if timeout else '(checked once, wait=false)'
        module.fail_json(msg='%s is not Functional %s: %s' % (where, verdict, '; '.join(bad)),
                         processes=processes, functional=False, not_functional=bad)
    return dict(processes=processes, functional=not bad, not_functional=bad)


def main():
    IssuModule(dict(
        host=dict(type='str', required=True),
        port=dict(type='int', required=True),
        functional=dict(type='bool', default=False),
    ), groups=('wait', 'introspect')).run_and_exit(run)


if __name__ == '__main__':
    main()
