# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of ``comparison_argument_spec()`` (plugins/module_utils/config_compare.py)."""

    DOCUMENTATION = r'''
options:
  types:
    description:
      - Resource types to read (V(virtual-network) or V(virtual_network)).
        Default is every collection of the API's homepage (of v1 when two clusters are compared).
    type: list
    elements: str
  exclude_types:
    description: Resource types not to read.
    type: list
    elements: str
    default: []
  allow_extra:
    description:
      - Objects, as V(<type>:<fq_name joined by :>), that may exist in the second cluster only
        (v2, or the live API against a dump) without counting as a difference. They are listed
        in RV(allowed_extra).
      - The default is what a 4.0 config API creates by itself at every start and 3.2 never had
        (the C(ip-fabric:ip-fabric) routing instance); after pre-sync or run-sync mirror v1,
        it comes back whenever v2's contrail-api restarts.
    type: list
    elements: str
    default: ['routing-instance:default-domain:default-project:ip-fabric:ip-fabric']
  ignore_fields:
    description:
      - More fields to leave out of the comparison, as top-level names (V(display_name)) or
        dotted paths (V(id_perms.description)).
      - The fields always left out, and why, are listed in the description of
        M(opencontrail.issu.config_compare).
    type: list
    elements: str
    default: []
  max_items:
    description: Longest list of missing, extra and different objects returned (counts are always complete).
    type: int
    default: 100
  workers:
    description: Types read in parallel (per cluster when two are compared).
    type: int
    default: 8
'''
