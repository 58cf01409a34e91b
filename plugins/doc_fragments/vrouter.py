# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the ``*_argument_spec()`` functions of plugins/module_utils/vrouter.py.

    Each fragment documents the function of its name (``opencontrail.issu.vrouter.tor_agents``:
    ``tor_agents_argument_spec()``); ``host_argument_spec()`` includes the package manager, so
    a module using it extends both ``opencontrail.issu.vrouter`` and
    ``opencontrail.issu.vrouter.package_manager``. ``DOCUMENTATION`` also says where such a
    module runs; a module says more in its own ``platform`` attribute.
    """

    DOCUMENTATION = r'''
attributes:
  platform:
    description: Runs on the compute node.
options:
  agent_conf:
    description: The agent conf.
    type: path
    default: /etc/contrail/contrail-vrouter-agent.conf
  nodemgr_conf:
    description: The vRouter nodemgr conf.
    type: path
    default: /etc/contrail/contrail-vrouter-nodemgr.conf
  service_manager:
    description:
      - How the vRouter runs. V(supervisor) is the C(supervisor-vrouter) init service,
        V(systemd) the C(contrail-vrouter-agent) and C(contrail-vrouter-nodemgr) units,
        V(auto) detects it.
    type: str
    default: auto
    choices: [auto, supervisor, systemd]
'''

    PACKAGE_MANAGER = r'''
options:
  package_manager:
    description: V(auto) detects apt, dnf or yum.
    type: str
    default: auto
    choices: [auto, apt, dnf, yum]
'''

    TOR_AGENTS = r'''
options:
  tor_agent_confs:
    description:
      - ToR agent confs, edited like the agent conf (LP 1676681).
      - Default is every C(/etc/contrail/contrail-tor-agent-*.conf) present.
    type: list
    elements: path
'''

    AGENT_STATE = r'''
options:
  introspect_host:
    description:
      - Address of the agent introspect. Its port is C([DEFAULT] http_server_port) of
        O(agent_conf), else 8085.
    type: str
    default: 127.0.0.1
  fact_file:
    description:
      - The local fact file (JSON) where M(opencontrail.issu.vrouter_swap) records the state
        before a swap, which its rollback restores and M(opencontrail.issu.vrouter_info) reports.
    type: path
    default: /etc/ansible/facts.d/contrail_issu.fact
'''
