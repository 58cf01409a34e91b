#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: contrail_programs_stop
short_description: Stop every program of a Contrail role's supervisord at once
version_added: 1.0.0
description:
  - Contrail 3.2 (and 4.0 on trusty) runs each role's daemons as programs of one supervisord,
    C(supervisor-<role>) (C(/etc/contrail/supervisord_<role>.conf)). C(service supervisor-config
    stop) makes supervisord stop its programs one group after another, a turn of its loop each,
    and exit after them; a Python 3 supervisord wakes from that loop only once a second, so
    stopping v1's config role that way holds the finalize freeze for seconds.
  - This module asks the role's supervisord, over the XML-RPC interface of its UNIX socket
    (what C(supervisorctl) speaks), to stop every program at once
    (C(supervisor.stopAllProcesses)) and returns as soon as none of them runs, polling their
    states. supervisord itself keeps running with its programs stopped (it does not restart a
    program it was asked to stop); stop the C(supervisor-<role>) service afterwards, outside the
    freeze.
  - Falls back to C(supervisorctl stop all) when the socket does not answer XML-RPC (a
    supervisord that wants credentials).
  - A role whose supervisord is not running has no program running, so there is nothing to do.
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Reports the programs it would stop, without stopping them.
  diff_mode:
    support: full
    description: Shows each program's state before and after.
  platform:
    description: Runs on the node of the role (a v1 controller, for finalize).
options:
  role:
    description:
      - The Contrail role whose supervisord is asked, C(supervisord_<role>.sock) in C(/var/run)
        or C(/tmp) (3.2 has both, by release).
    type: str
    default: config
  socket:
    description: The supervisord's UNIX socket, instead of the role's.
    type: path
  timeout:
    description: Seconds the programs may take to stop.
    type: int
    default: 60
seealso:
  - module: opencontrail.issu.config_service_hold
  - module: opencontrail.issu.contrail_status_info
'''

EXAMPLES = r'''
- name: Finalize, inside the freeze - stop v1's config API and daemons at once
  opencontrail.issu.contrail_programs_stop:
    role: config
  delegate_to: "{{ item }}"
  loop: "{{ groups['contrail_v1_controllers'] }}"

- name: After the freeze - stop supervisor-config itself
  ansible.builtin.service:
    name: supervisor-config
    state: stopped
'''

RETURN = r'''
socket:
  description: The supervisord socket asked.
  returned: always
  type: str
  sample: /var/run/supervisord_config.sock
supervisord:
  description: V(running), or V(not running) (nothing to stop).
  returned: always
  type: str
stopped:
  description: The programs that were running and were stopped (would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [contrail-api:0, contrail-schema, contrail-svc-monitor]
programs:
  description: Every program's state before.
  returned: always
  type: dict
  sample: {contrail-api:0: RUNNING, contrail-schema: RUNNING}
programs_after:
  description: Every program's state after.
  returned: when a program was stopped, not in check mode
  type: dict
'''

import re

from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import (
    SupervisorCtl,
    SupervisorRole,
    not_stopped,
)

#: supervisord_<role>.sock: a word, so the role cannot point the module at another path.
ROLE = re.compile(r'^[a-z][a-z0-9_-]*$')


def shown(states):
    return ''.join('%s: %s\n' % (name, state) for name, state in sorted(states.items()))


def run(module):
    params = module.params
    if params['timeout'] < 0:
        module.fail('timeout must be 0 or more seconds, got %s' % params['timeout'])
    if not ROLE.match(params['role']):
        module.fail("role must be a Contrail role's name (config, control, analytics...), got %s"
                    % params['role'])
    socket = params['socket'] or SupervisorRole(module.run_command, params['role']).socket()
    client = SupervisorCtl(module.run_command, socket)
    result = module.result
    result.update(socket=socket, changed=False, stopped=[], programs={})
    if not client.answers():
        result['supervisord'] = 'not running'
        return result
    before = client.states()
    up = not_stopped(before)
    result.update(supervisord='running', programs=before, stopped=up, changed=bool(up))
    if not up or module.check_mode:
        after = dict(before, **dict((name, 'STOPPED') for name in up))
    else:
        after = result['programs_after'] = client.stop_all(params['timeout'])
    result['diff'] = dict(before=shown(before), after=shown(after),
                          before_header='%s (before)' % socket, after_header='%s (after)' % socket)
    return result


def main():
    IssuModule(dict(
        role=dict(type='str', default='config'),
        socket=dict(type='path'),
        timeout=dict(type='int', default=60),
    )).run_and_exit(run)


if __name__ == '__main__':
    main()
