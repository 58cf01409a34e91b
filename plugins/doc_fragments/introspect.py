# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of ``introspect_argument_spec()`` (plugins/module_utils/common_args.py), and where
    a module that reads an introspect runs."""

    DOCUMENTATION = r'''
attributes:
  platform:
    description: Runs anywhere the daemon's introspect port is reachable.
options:
  timeout:
    description: Seconds to wait for each introspect answer.
    type: int
    default: 10
  use_ssl:
    description: Use HTTPS (introspect with SSL enabled).
    type: bool
    default: false
  validate_certs:
    description: Verify the introspect server certificate when O(use_ssl=true).
    type: bool
    default: true
  ca_cert:
    description: PEM file of the CA that signed the introspect certificate.
    type: path
'''
