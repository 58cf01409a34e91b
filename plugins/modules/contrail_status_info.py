#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: contrail_status_info
short_description: Run contrail-status and return per-section, per-service states and a health verdict
version_added: 1.0.0
description:
  - Runs C(contrail-status) on a Contrail node (controller or compute, 3.2 or 4.0) and parses
    its output - the C(vRouter is NOT PRESENT) line, the C(== Contrail <Role> ==) sections, the
    init service line (C(supervisor-<role>:)), systemd unit lines, and the supervisorctl
    program lines with their states and descriptions.
  - Computes RV(healthy). A service is healthy in one of O(healthy_states); services listed in
    O(expected_inactive) are not judged (during the ISSU the v2 schema transformer,
    svc-monitor and device-manager are held stopped) and are reported under RV(held).
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.attributes.read_only
attributes:
  platform:
    description: Runs on the Contrail node.
options:
  expected_inactive:
    description:
      - Services whose state is not judged (program names, with or without supervisor's
        C(:N) suffix).
    type: list
    elements: str
    default: []
  healthy_states:
    description: States that count as healthy.
    type: list
    elements: str
    default: [active, backup]
  fail_unhealthy:
    description: Fail when the node is not healthy (the result still carries the states).
    type: bool
    default: false
  executable:
    description: The contrail-status command.
    type: path
    default: contrail-status
  timeout:
    description: C(-t) of contrail-status, seconds per introspect request it makes.
    type: float
    default: 2
'''

EXAMPLES = r'''
- name: v2 controller is healthy but for the services the ISSU holds
  opencontrail.issu.contrail_status_info:
    expected_inactive: [contrail-schema, contrail-svc-monitor, contrail-device-manager]
    fail_unhealthy: true

- name: Compute status
  opencontrail.issu.contrail_status_info:
  register: st

- name: Show the agent state
  ansible.builtin.debug:
    msg: "{{ st.services['contrail-vrouter-agent'].state }}"
'''

RETURN = r'''
healthy:
  description: True when every judged service is in a healthy state (and the vrouter module is present on a compute).
  returned: always
  type: bool
problems:
  description: The services not healthy (service, section, state, description).
  returned: always
  type: list
  elements: dict
  sample: [{service: contrail-vrouter-agent, section: vrouter, state: initializing, description: No Configuration for self}]
held:
  description: States of the O(expected_inactive) services found.
  returned: always
  type: dict
  sample: {contrail-schema: inactive}
services:
  description: Every service - state, description, boot_disabled and the section it is in.
  returned: always
  type: dict
  sample: {contrail-vrouter-agent: {state: active, description: null, boot_disabled: false, section: vrouter}}
sections:
  description: The sections in output order (name, title, init_service, services).
  returned: always
  type: list
  elements: dict
vrouter_present:
  description: False after C(vRouter is NOT PRESENT), true after C(vRouter is PRESENT), null when the line is absent.
  returned: always
  type: bool
core_files:
  description: Core files listed under C(Run time service failures).
  returned: always
  type: list
  elements: str
stdout_lines:
  description: The raw output.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.opencontrail.issu.plugins.module_utils import contrail_status
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import ServiceError, run_checked


def run(module):
    params = module.params
    executable = module.get_bin_path(params['executable'], required=True) \
        if '/' not in params['executable'] else params['executable']
    try:
        _rc, out, _err = run_checked(module.run_command, [executable, '-t', str(params['timeout'])])
    except ServiceError as exc:
        module.fail(str(exc), exc, stdout_lines=exc.stdout.splitlines(),
                    stderr_lines=exc.stderr.splitlines())
    parsed = contrail_status.parse(out)
    verdict = contrail_status.health(parsed, params['expected_inactive'], params['healthy_states'])
    result = dict(changed=False, stdout_lines=out.splitlines(), **parsed)
    result.update(verdict)
    if params['fail_unhealthy'] and not verdict['healthy']:
        module.fail('not healthy: %s' % ', '.join(
            '%s %s' % (p['service'], p['state']) for p in verdict['problems']), **result)
    return result


def main():
    IssuModule(dict(
        expected_inactive=dict(type='list', elements='str', default=[]),
        healthy_states=dict(type='list', elements='str', default=['active', 'backup']),
        fail_unhealthy=dict(type='bool', default=False),
        executable=dict(type='path', default='contrail-status'),
        timeout=dict(type='float', default=2),
    )).run_and_exit(run)


if __name__ == '__main__':
    main()
