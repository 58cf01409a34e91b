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
  - A specification given as text, as an AWX / Automation Controller survey or
    C(-e issu_serial=...) hands it to the playbook, is read first - a YAML or JSON list
    (C([1, "25%", "100%"])), sizes separated by commas (C(1,25%,100%)), or one size (C(2), C(25%)).
    Blank text is the same as not set.
  - Fails with a clear message on a specification that does not read as a list, or whose sizes
    are not positive integers or whole percentages from 1% to 100% (the checks of
    C(opencontrail.issu.serial_batches)), so a play's C(serial) never receives one Ansible would
    reject or misread.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The operator's C(issu_serial) (an integer, a percentage, a list of them, or text), or null when it is not set.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Roll computes in the operator's batches, or the default canary batches
  hosts: contrail_computes
  serial: "{{ issu_serial | default(none) | opencontrail.issu.issu_serial }}"
  tasks: []

# A survey's text answer: '1,25%,100%' and '[1, "25%", "100%"]' both give [1, "25%", "100%"].
"""

RETURN = r"""
_value:
  description:
    - The batch specification to use, for C(serial) and C(opencontrail.issu.serial_batches) - as
      given, or read from text (whole numbers as integers).
  type: raw
"""

from ansible_collections.opencontrail.issu.plugins.plugin_utils.batch_spec import DEFAULT_SERIAL, items, parse


def issu_serial(spec):
    if isinstance(spec, str):
        spec = parse(spec)
    if spec is None:
        return list(DEFAULT_SERIAL)
    items(spec)
    return spec


class FilterModule(object):
    def filters(self):
        return {'issu_serial': issu_serial}
