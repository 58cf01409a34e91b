# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: serial_batches
short_description: Validate a rolling-upgrade batch specification and expand it into batch sizes
version_added: 1.0.0
description:
  - Takes the value meant for a play's C(serial) keyword (an integer, a percentage string such as
    C("25%"), or a list of them whose last element repeats) and the number of hosts, and returns
    the list of batch sizes Ansible will use.
  - Fails with a clear message on a specification Ansible would reject or misread (zero, negative,
    above 100%, not a number), so preflight can refuse it before anything changes.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The batch specification.
    type: raw
    required: true
  hosts:
    description: How many hosts are to be upgraded.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Show the batches of the compute phase
  ansible.builtin.debug:
    msg: "{{ [1, '25%', '100%'] | opencontrail.issu.serial_batches(groups['contrail_computes'] | length) }}"
  # 10 hosts -> [1, 2, 7]
"""

RETURN = r"""
_value:
  description: The size of each batch, in order; they add up to the number of hosts.
  type: list
  elements: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.plugin_utils.batch_spec import batch_size, items


def serial_batches(spec, hosts):
    listed = items(spec)
    try:
        hosts = int(hosts)
    except (TypeError, ValueError):
        raise AnsibleFilterError('serial_batches needs the number of hosts, got %r' % (hosts,))
    sizes = [batch_size(item, hosts) for item in listed]
    batches, left, index = [], hosts, 0
    while left > 0:
        size = min(sizes[min(index, len(sizes) - 1)], left)
        batches.append(size)
        left -= size
        index += 1
    return batches


class FilterModule(object):
    def filters(self):
        return {'serial_batches': serial_batches}
