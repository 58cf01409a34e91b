# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: bgp_router_spec
short_description: Turn a control node's host variables into a bgp_router definition
version_added: 1.0.0
description:
  - Builds the element of the C(routers) option of the C(opencontrail.issu.bgp_router) module
    for one control node. Its name is C(contrail_hostname), the node's real hostname as
    Contrail registered it (default the inventory name); its address and router id are
    C(contrail_host_ip).
  - Keys of O(defaults) with a value other than null are added (hold time, families, MD5 key).
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The host's variables, for example C(hostvars['ctrl-b1']).
    type: dict
    required: true
  defaults:
    description: Extra bgp_router settings for every router.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The v2 control nodes as bgp_router definitions
  ansible.builtin.debug:
    msg: "{{ groups['contrail_v2_controllers'] | map('extract', hostvars)
             | map('opencontrail.issu.bgp_router_spec', {'hold_time': 90}) | list }}"
"""

RETURN = r"""
_value:
  description: C({name, address, identifier}) plus the non-null O(defaults).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def bgp_router_spec(hostvars, defaults=None):
    name = hostvars.get('contrail_hostname') or hostvars.get('inventory_hostname')
    address = hostvars.get('contrail_host_ip')
    if not name or not address:
        raise AnsibleFilterError('control node %s needs contrail_host_ip (and contrail_hostname when its '
                                 'real hostname differs from the inventory name)' % (name or hostvars,))
    spec = dict(name=str(name), address=str(address), identifier=str(address))
    spec.update((key, value) for key, value in (defaults or {}).items() if value not in (None, ''))
    return spec


class FilterModule(object):
    def filters(self):
        return {'bgp_router_spec': bgp_router_spec}
