# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: canary_problems
short_description: How a canary compute on v2 is worse than before its swap and than its v1 peers
version_added: 1.2.0
description:
  - The canary gate of the compute phase. Given a compute's vRouter state read before its swap,
    twice after it (an observation window apart) and the state of computes still on v1, returns
    one line per way the canary is worse. An empty list passes the gate.
  - Checked - NodeStatus Functional at the end of the window; XMPP Established to two of the
    control nodes it was given (an agent keeps two; one when it was given one); no XMPP flap and
    no session re-established (an agent restart) within the window; no more routes lost than
    O(max_route_loss) percent of what it had before the swap; routes learnt over XMPP when every
    v1 peer learns some and it learnt some before its swap (a compute without VMs has no VRF to
    learn routes in).
  - A canary that is not Functional while no v1 peer is Functional either has the site's problem,
    not its own - it is not counted against the canary.
author:
  - opencontrail.issu developers (@opencontrail-issu)
options:
  _input:
    description: The canary's state read before its swap (C(opencontrail.issu.vrouter_info) with C(gather_routes)).
    type: dict
    required: true
  first:
    description: The canary's state at the start of the window (C(vrouter_info) with C(gather_routes)).
    type: dict
    required: true
  last:
    description: The canary's state at the end of the window, plus C(functional) and C(not_functional) from C(opencontrail.issu.node_status_info).
    type: dict
    required: true
  peers:
    description: The C(vrouter_info) reads (with C(gather_routes)) of computes still on v1.
    type: list
    elements: dict
    default: []
  peer_status:
    description: The C(node_status_info) results of the same computes.
    type: list
    elements: dict
    default: []
  control_servers:
    description: The control nodes the canary must be Established to.
    type: list
    elements: str
    required: true
  max_route_loss:
    description: Percent of the routes it had before the swap the canary may have lost.
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Judge the canary
  ansible.builtin.set_fact:
    canary_found: >-
      {{ canary_before | opencontrail.issu.canary_problems(first=canary_first, last=canary_last,
         peers=canary_peers, peer_status=canary_peer_status,
         control_servers=vrouter_control_servers) }}
"""

RETURN = r"""
_value:
  description: One line per way the canary is worse; empty when it passes.
  type: list
  elements: str
"""


def _established(state):
    return dict((x.get('controller_ip'), x) for x in state.get('xmpp') or []
                if x.get('state') == 'Established')


def _routes(state, key='total'):
    return (state.get('routes') or {}).get(key)


def _functional(state):
    return state.get('functional') is not False


def canary_problems(before, first, last, peers=(), peer_status=(), control_servers=(), max_route_loss=0):
    found = []
    peer_states = list(peers or ())

    if not _functional(last) and not (peer_status and all(not _functional(p) for p in peer_status)):
        found.append('NodeStatus is not Functional: %s' % '; '.join(last.get('not_functional') or ['?']))

    established = _established(last)
    # An agent keeps XMPP to two of the control nodes it is given (the rest are spares).
    wanted = min(2, len(control_servers))
    up = [c for c in control_servers if c in established]
    if len(up) < wanted:
        found.append('XMPP Established to %d of the control nodes %s, %d wanted'
                     % (len(up), ', '.join(control_servers), wanted))

    flaps = sum(int(x.get('flap_count') or 0) for x in last.get('xmpp') or [])
    if flaps:
        found.append('%d XMPP flap(s) since the swap' % flaps)
    restarted = sorted(ip for ip, x in _established(first).items()
                       if ip in established and established[ip].get('last_state_at') != x.get('last_state_at'))
    if restarted:
        found.append('XMPP re-established within the window (agent restart or flap) to %s' % ', '.join(restarted))

    had, has = _routes(before), _routes(last)
    if had is not None and has is None:
        found.append('routes not readable (had %d before the swap)' % had)
    elif had and has < had * (1 - float(max_route_loss) / 100):
        found.append('%d routes, %d before the swap (more than %s%% lost)' % (has, had, max_route_loss))
    learnt = [_routes(p, 'xmpp') for p in peer_states]
    # A canary that learnt none before its swap (no VM of its own: its pre hook moved them
    # away, or it never had any) has no VRF to learn routes in: its peers say nothing of it.
    if learnt and all(n for n in learnt) and not _routes(last, 'xmpp') and _routes(before, 'xmpp') != 0:
        found.append('no route learnt over XMPP, while every v1 peer learns some (%d-%d)' % (min(learnt), max(learnt)))
    return found


class FilterModule(object):
    def filters(self):
        return {'canary_problems': canary_problems}
