# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: pair_addresses
short_description: Map each v1 server address to the v2 address that replaces it
version_added: 1.0.0
description:
  - Pairs the v1 config API servers of an HAProxy backend with the v2 ones, in inventory order,
    for the northbound switch at finalize.
  - When v2 has fewer nodes than v1, v2 addresses are reused in turn, so every v1 server line
    gets a live v2 address.
  - When v2 has more nodes than v1, the mapping holds only as many v2 addresses as there are v1
    ones; the northbound switch gives all the v2 addresses to
    P(opencontrail.issu.haproxy_backend#module)'s O(opencontrail.issu.haproxy_backend#module:add_addresses),
    which adds a server for each one no server line serves.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The v1 addresses.
    type: list
    elements: str
    required: true
  new:
    description: The v2 addresses.
    type: list
    elements: str
    required: true
  port:
    description: Port appended to every v2 address; none when omitted.
    type: int
"""

EXAMPLES = r"""
- name: Show the switch
  ansible.builtin.debug:
    msg: "{{ ['10.0.0.11', '10.0.0.12'] | opencontrail.issu.pair_addresses(['10.0.0.21'], 8082) }}"
  # {'10.0.0.11': '10.0.0.21:8082', '10.0.0.12': '10.0.0.21:8082'}
"""

RETURN = r"""
_value:
  description: v1 address -> v2 address (with C(:port) when O(port) is given).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def pair_addresses(old, new, port=None):
    if not old or not new:
        raise AnsibleFilterError('pair_addresses needs at least one v1 and one v2 address, got %r and %r'
                                 % (old, new))
    suffix = '' if port is None else ':%d' % int(port)
    return dict((address, '%s%s' % (new[index % len(new)], suffix)) for index, address in enumerate(old))


class FilterModule(object):
    def filters(self):
        return {'pair_addresses': pair_addresses}
