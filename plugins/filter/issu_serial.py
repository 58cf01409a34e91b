# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: issu_serial
short_description: The batch specification of the compute phases, or the collection's default
version_added: 1.1.0
description:
  - Returns the batch specification given (the operator's C(issu_serial)), or, when it is not
    set, the collection's default - a canary of one compute, then 25% of them at a time, then
    the rest (C([1, "25%", "100%"])).
  - The one place the default is written; every compute play's C(serial) and batch display use it.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The operator's C(issu_serial), or null when it is not set.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Roll computes in the operator's batches, or the default canary batches
  hosts: contrail_computes
  serial: "{{ issu_serial | default(none) | opencontrail.issu.issu_serial }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: The batch specification to use, for C(serial) and C(opencontrail.issu.serial_batches).
  type: raw
"""

DEFAULT_SERIAL = (1, '25%', '100%')


def issu_serial(spec):
    return list(DEFAULT_SERIAL) if spec is None else spec


class FilterModule(object):
    def filters(self):
        return {'issu_serial': issu_serial}
