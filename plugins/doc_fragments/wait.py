# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of ``wait_argument_spec()`` (plugins/module_utils/common_args.py)."""

    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until the module's condition holds (the module's own documentation says which).
      - Polling starts at 0.05 seconds and backs off to O(wait_interval).
      - On timeout the module fails and reports what it saw last.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true). V(0) checks once without waiting.
    type: int
    default: 120
  wait_interval:
    description:
      - Longest pause in seconds between two checks.
    type: float
    default: 1.0
'''
