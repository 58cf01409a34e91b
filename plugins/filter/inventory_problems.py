# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: inventory_problems
short_description: List what is wrong with an ISSU inventory, all at once
version_added: 1.0.0
description:
  - Checks the groups and addresses an ISSU needs and returns one message per problem, so
    preflight can report every problem in one run instead of stopping at the first.
  - Required groups (O(required), by default every group an ISSU uses) must exist and be
    non-empty; C(issu_task) must hold exactly one host.
  - Every host of the required controller, compute and HAProxy groups needs a valid unicast IP
    address in the host variable named by O(address_var); addresses must be unique, and the v1
    and v2 controller groups must neither share hosts nor addresses.
  - Each phase playbook checks the groups it uses with it before anything else runs, so a
    missing group is refused with these messages rather than a template error.
  - Addresses are parsed with the C(netaddr) Python library on the Ansible controller.
author:
  - opencontrail.issu developers (@opencontrail-issu)
requirements:
  - netaddr (Python library, on the Ansible controller)
options:
  _input:
    description: The C(groups) magic variable.
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  address_var:
    description: The host variable that holds each node's control-plane address.
    type: str
    default: contrail_host_ip
  required:
    description:
      - The groups to check. Groups left out are neither required nor their addresses checked
        (the report needs only C(issu_task), the compute phase no HAProxy).
      - Each must be one of C(contrail_v1_controllers), C(contrail_v2_controllers),
        C(contrail_computes), C(openstack_haproxy), C(issu_task).
    type: list
    elements: str
    default: [contrail_v1_controllers, contrail_v2_controllers, contrail_computes, openstack_haproxy, issu_task]
"""

EXAMPLES = r"""
- name: Fail with every inventory problem at once
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems }}"
  vars:
    problems: "{{ groups | opencontrail.issu.inventory_problems(hostvars) }}"

- name: Check only what the compute phase uses
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems }}"
  vars:
    problems: >-
      {{ groups | opencontrail.issu.inventory_problems(hostvars,
           required=['contrail_computes', 'contrail_v2_controllers', 'issu_task']) }}
"""

RETURN = r"""
_value:
  description: One human-readable message per problem; empty when the inventory is usable.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

try:
    import netaddr
except ImportError:
    netaddr = None

REQUIRED_GROUPS = ('contrail_v1_controllers', 'contrail_v2_controllers', 'contrail_computes',
                   'openstack_haproxy', 'issu_task')
ADDRESSED_GROUPS = ('contrail_v1_controllers', 'contrail_v2_controllers', 'contrail_computes',
                    'openstack_haproxy')


def _parse(value):
    """A netaddr.IPAddress for a plain unicast address, else None."""
    try:
        address = netaddr.IPAddress(str(value).strip(), flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    if address.is_multicast() or address.is_loopback() or str(address) in ('0.0.0.0', '::'):
        return None
    return address


def inventory_problems(groups, hostvars, address_var='contrail_host_ip', required=None):
    if netaddr is None:
        raise AnsibleFilterError('opencontrail.issu.inventory_problems needs the Python library '
                                 'netaddr on the Ansible controller: pip install netaddr')
    if not isinstance(groups, dict) or not hasattr(hostvars, 'get'):
        raise AnsibleFilterError('opencontrail.issu.inventory_problems needs the groups and hostvars '
                                 'magic variables: groups | opencontrail.issu.inventory_problems(hostvars)')
    required = list(REQUIRED_GROUPS if required is None else required)
    unknown = [group for group in required if group not in REQUIRED_GROUPS]
    if unknown:
        raise AnsibleFilterError('opencontrail.issu.inventory_problems: unknown group(s) %s in required; '
                                 'use %s' % (', '.join(map(str, unknown)), ', '.join(REQUIRED_GROUPS)))
    problems = []
    for group in REQUIRED_GROUPS:
        if group in required and not groups.get(group):
            problems.append('inventory group %s is missing or empty' % group)
    if 'issu_task' in required and len(groups.get('issu_task') or []) > 1:
        problems.append('inventory group issu_task must hold exactly one host, it holds %s'
                        % ', '.join(groups['issu_task']))

    if {'contrail_v1_controllers', 'contrail_v2_controllers'} <= set(required):
        shared = set(groups.get('contrail_v1_controllers') or []) & set(groups.get('contrail_v2_controllers') or [])
        for host in sorted(shared):
            problems.append('host %s is in both contrail_v1_controllers and contrail_v2_controllers' % host)

    owners = {}
    for group in ADDRESSED_GROUPS:
        if group not in required:
            continue
        for host in groups.get(group) or []:
            raw = (hostvars.get(host) or {}).get(address_var)
            if raw in (None, ''):
                problems.append('host %s (%s) has no %s' % (host, group, address_var))
                continue
            address = _parse(raw)
            if address is None:
                problems.append('host %s (%s) has %s=%r, which is not a unicast IP address'
                                % (host, group, address_var, raw))
                continue
            owners.setdefault(address, {})[host] = group

    for address, hosts in sorted(owners.items()):
        if len(hosts) > 1:
            groups_of = sorted(set(hosts.values()))
            kind = ('v1 and v2 controllers overlap' if {'contrail_v1_controllers', 'contrail_v2_controllers'}
                    <= set(groups_of) else 'duplicate address')
            problems.append('%s: %s is used by %s' % (kind, address, ', '.join(
                '%s (%s)' % (h, g) for h, g in sorted(hosts.items()))))
    return problems


class FilterModule(object):
    def filters(self):
        return {'inventory_problems': inventory_problems}
