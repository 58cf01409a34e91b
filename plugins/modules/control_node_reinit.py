#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: control_node_reinit
short_description: Make a v2 control node re-read its config after ISSU run-sync starts (LP 1779186)
version_added: 1.0.0
description:
  - A 4.x control node reads its config from the config DB and then follows RabbitMQ
    notifications. Objects that pre-sync and run-sync wrote directly into v2's DB (the v1
    control nodes' bgp-routers, routing instances) were never announced, so the control node
    does not see them until it re-reads its config (LP 1779186). 3.x run-sync stopped and
    started v2's control node itself over SSH; the 5.x tool sends it C(SIGUSR1).
  - V(signal) sends C(SIGUSR1) to the C(contrail-control) process (found through supervisor,
    systemd or C(pidof)); the control node then re-reads its whole config.
  - V(restart) restarts C(contrail-control) (C(supervisorctl restart) on the
    C(supervisor-control) socket, or C(systemctl restart)).
  - V(auto) signals when C(contrail-control.conf) has a C([CONFIGDB]) section (a control node
    that reads the config DB, 4.x) and restarts otherwise (3.x, IF-MAP).
  - With O(wait=true) it waits until the control node's introspect answers again and, with
    O(wait_for_peers), until those BGP peers are Established.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.wait
attributes:
  check_mode:
    description: Reports the method and process it would act on, without acting.
  diff_mode:
    support: none
    description: Changes no file.
  platform:
    description: Runs on the v2 control node.
options:
  method:
    description: V(auto), V(signal) (SIGUSR1) or V(restart).
    type: str
    default: auto
    choices: [auto, signal, restart]
  manager:
    description: How contrail-control runs; V(auto) uses supervisor when the host has C(supervisor-control).
    type: str
    default: auto
    choices: [auto, supervisor, systemd]
  conf:
    description: contrail-control.conf (read by V(auto) and for the introspect address).
    type: path
    default: /etc/contrail/contrail-control.conf
  introspect_host:
    description: Introspect address; defaults to C(hostip) of O(conf), else 127.0.0.1.
    type: str
  introspect_port:
    description: Introspect port of contrail-control.
    type: int
    default: 8083
  wait_for_peers:
    description: BGP peers (names or addresses) that must be Established again when O(wait=true).
    type: list
    elements: str
    default: []
seealso:
  - module: opencontrail.issu.issu_run_sync
  - module: opencontrail.issu.bgp_neighbor_info
'''

EXAMPLES = r'''
- name: Run-sync is bound; make v2's control node re-read its config and peer with v1
  opencontrail.issu.control_node_reinit:
    wait: true
    wait_for_peers: "{{ groups['contrail_v1_controllers'] }}"
    wait_timeout: 180
'''

RETURN = r'''
method:
  description: V(signal) or V(restart).
  returned: always
  type: str
pid_before:
  description: contrail-control's process id before acting.
  returned: always
  type: int
pid_after:
  description: Its process id after acting (differs after a restart).
  returned: unless check mode
  type: int
neighbors:
  description: BGP neighbors seen at the end of the wait (peer, address, state).
  returned: when O(wait=true)
  type: list
  elements: dict
'''

import os
import signal

from ansible_collections.opencontrail.issu.plugins.module_utils.bgp import ESTABLISHED, neighbor_view, peer_states
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import IniDocument, read_text
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import bgp_neighbors
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import detect, pidof
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import wait_for

PROGRAM = 'contrail-control'


class ControlProcess:
    """contrail-control as the control role's manager runs it: its pid, a restart."""

    def __init__(self, module):
        self.runner = module.run_command
        self.svc = detect(self.runner, 'control', module.params['manager'])
        self.kind = self.svc.kind

    def pid(self):
        return self.svc.pid(PROGRAM) or pidof(self.runner, PROGRAM)

    def restart(self):
        self.svc.restart_program(PROGRAM)


def control_conf(path):
    return IniDocument(read_text(path))


def pick_method(module, conf):
    method = module.params['method']
    if method != 'auto':
        return method
    return 'signal' if conf.has_section('CONFIGDB') else 'restart'


def established(neighbors, wanted):
    """The wanted peers (by name or address) that are not Established -> {peer: state}."""
    states = peer_states([neighbor_view(n) for n in neighbors], wanted)
    return dict((peer, state or 'absent') for peer, state in states.items() if state != ESTABLISHED)


def wait_back(module, process, host, pid_before, method):
    """Poll until the introspect answers (a new pid after a restart) and the peers are up."""
    params = module.params

    def probe():
        pid = process.pid()
        neighbors = bgp_neighbors(host, params['introspect_port'], timeout=5)
        return dict(pid=pid, neighbors=[dict(peer=n.get('peer'), address=n.get('peer_address'),
                                             state=n.get('state'), encoding=n.get('encoding'))
                                        for n in neighbors],
                    not_established=established(neighbors, params['wait_for_peers']))

    def ready(seen):
        restarted = method != 'restart' or (seen['pid'] and seen['pid'] != pid_before)
        return restarted and not seen['not_established']

    return wait_for(probe, timeout=params['wait_timeout'], interval=params['wait_interval'],
                    describe='%s introspect on %s:%s answering%s' % (
                        PROGRAM, host, params['introspect_port'],
                        ' with peers %s Established' % ', '.join(params['wait_for_peers'])
                        if params['wait_for_peers'] else ''),
                    until=ready)


def run(module):
    params = module.params
    result = module.result
    result['changed'] = False
    conf = control_conf(params['conf'])
    host = params['introspect_host'] or conf.get('DEFAULT', 'hostip') or '127.0.0.1'
    process = ControlProcess(module)
    method = pick_method(module, conf)
    pid_before = process.pid()
    result.update(method=method, pid_before=pid_before, changed=True)
    if method == 'signal' and not pid_before:
        module.fail('%s is not running: nothing to signal' % PROGRAM)
    if module.check_mode:
        return result
    if method == 'signal':
        os.kill(pid_before, signal.SIGUSR1)
    else:
        process.restart()
    if params['wait']:
        seen = wait_back(module, process, host, pid_before, method)
        result.update(pid_after=seen['pid'], neighbors=seen['neighbors'])
    else:
        result['pid_after'] = process.pid()
    return result


def main():
    IssuModule(dict(
        method=dict(type='str', default='auto', choices=['auto', 'signal', 'restart']),
        manager=dict(type='str', default='auto', choices=['auto', 'supervisor', 'systemd']),
        conf=dict(type='path', default='/etc/contrail/contrail-control.conf'),
        introspect_host=dict(type='str'),
        introspect_port=dict(type='int', default=8083),
        wait_for_peers=dict(type='list', elements='str', default=[]),
    ), groups=('wait',)).run_and_exit(run, errors=(OSError,))


if __name__ == '__main__':
    main()
