#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_service_hold
short_description: Hold v2's schema transformer, svc-monitor and device-manager down during the ISSU, and release them
version_added: 1.0.0
description:
  - During the ISSU, v2 must not derive or allocate anything by itself (routing instances,
    route targets, IDs); those come from v1 through the sync, and post-sync/zk-sync overwrite
    v2's copies at finalize. So C(contrail-schema), C(contrail-svc-monitor) and
    C(contrail-device-manager) stay stopped on v2 until finalize.
  - V(held) with supervisor (3.2, 4.0 on trusty) - C(autostart=false) and C(autorestart=false)
    in C([program:<service>]) of C(/etc/contrail/supervisord_config_files/<service>.ini), the
    new settings loaded with C(supervisorctl reread) and C(update) on the C(supervisor-config)
    socket, and the program stopped. So the services stay down across
    C(service supervisor-config restart), a reboot or a package upgrade.
  - With O(nodemgr=true) C(contrail-config-nodemgr) is held the same way
    (C([eventlistener:contrail-config-nodemgr])), as C(issu_process.sh) does, so it does not
    raise alarms for the stopped services.
  - V(held) with systemd (4.0 on xenial) - C(systemctl disable) and C(stop) of each unit.
  - V(released) undoes it - C(autostart=true) and C(autorestart=true) loaded and the programs
    started, or C(systemctl enable) and C(start).
  - Run it on B(every) v2 config node, because a single node left running its schema transformer
    allocates for the whole cluster (LP 1642780).
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Reports the file edits and the stops or starts it would do, without doing them.
  diff_mode:
    support: full
    description: Shows each C(.ini) file before and after (supervisor hosts).
  platform:
    description: Runs on a v2 config node.
options:
  state:
    description: V(held) or V(released).
    type: str
    default: held
    choices: [held, released]
  services:
    description: The config services to hold or release.
    type: list
    elements: str
    default: [contrail-schema, contrail-svc-monitor, contrail-device-manager]
  nodemgr:
    description: Also hold or release C(contrail-config-nodemgr).
    type: bool
    default: true
  manager:
    description: V(auto) uses supervisor when the host has C(supervisor-config), else systemd.
    type: str
    default: auto
    choices: [auto, supervisor, systemd]
  ini_dir:
    description: Directory of the supervisor C(.ini) files of the config role.
    type: path
    default: /etc/contrail/supervisord_config_files
seealso:
  - module: opencontrail.issu.issu_sync
'''

EXAMPLES = r'''
- name: Hold v2's allocating services on every v2 config node (LP 1642780)
  opencontrail.issu.config_service_hold:
    state: held
  delegate_to: "{{ item }}"
  loop: "{{ groups['contrail_v2_controllers'] }}"

- name: Finalize - release them
  opencontrail.issu.config_service_hold:
    state: released
'''

RETURN = r'''
manager:
  description: V(supervisor) or V(systemd).
  returned: always
  type: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: [edit /etc/contrail/supervisord_config_files/contrail-schema.ini, supervisorctl stop contrail-schema]
services:
  description: State of each service after the module, as supervisor or systemd reports it.
  returned: always
  type: dict
  sample: {contrail-schema: STOPPED, contrail-svc-monitor: STOPPED}
'''

import os

from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import apply_edits, read_text
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_actions import (
    ServiceError,
    WriteFile,
    carry_out,
    diffs_of,
)

NODEMGR = 'contrail-config-nodemgr'


def section_of(service):
    kind = 'eventlistener' if service == NODEMGR else 'program'
    return '%s:%s' % (kind, service)


def ini_path(ini_dir, service):
    return os.path.join(ini_dir, '%s.ini' % service)


def plan_file(ini_dir, service, held):
    """The edit of the service's .ini with autostart/autorestart set (may change nothing)."""
    path = ini_path(ini_dir, service)
    before = read_text(path)
    if ('[%s]' % section_of(service)) not in before:
        raise ServiceError('%s has no [%s] section: is %s installed on this node?'
                           % (path, section_of(service), service))
    value = 'false' if held else 'true'
    after, _keys = apply_edits(before, [(section_of(service), 'autostart', value),
                                        (section_of(service), 'autorestart', value)])
    return WriteFile(path, before, after, verb='edit')


def plan_supervisor(ctl, ini_dir, services, held):
    """Edit the .ini files that differ, load them, stop/start what `update` does not."""
    edits = [(service, plan_file(ini_dir, service, held)) for service in services]
    edits = [(service, edit) for service, edit in edits if edit.changes]
    edited = [service for service, _edit in edits]
    # `update` re-adds each changed program: it stays stopped when held (autostart false) and
    # starts when released.
    actions = [edit for _service, edit in edits] + (ctl.load(*edited) if edited else [])
    others = [service for service in services if service not in edited]
    return actions + service_manager.converge(ctl, others, running=not held)


def plan(svc, ini_dir, services, held):
    """The actions that hold (or release) the services under the role's manager: with
    supervisor through the program files, else disabled and stopped (enabled and started)."""
    if svc.kind == 'supervisor':
        return plan_supervisor(svc.client, ini_dir, services, held)
    return service_manager.converge(svc.client, services, running=not held, enabled=not held)


def run(module):
    params = module.params
    services = list(params['services'])
    if params['nodemgr'] and NODEMGR not in services:
        services.append(NODEMGR)
    result = module.result
    result['changed'] = False
    svc = service_manager.detect(module.run_command, 'config', params['manager'])
    actions = plan(svc, params['ini_dir'], services, params['state'] == 'held')
    result.update(manager=svc.kind, actions=carry_out(actions, module.check_mode),
                  changed=bool(actions), services=svc.client.report(services))
    if diffs_of(actions):
        result['diff'] = diffs_of(actions)
    return result


def main():
    IssuModule(dict(
        state=dict(type='str', default='held', choices=['held', 'released']),
        services=dict(type='list', elements='str',
                      default=['contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager']),
        nodemgr=dict(type='bool', default=True),
        manager=dict(type='str', default='auto', choices=['auto', 'supervisor', 'systemd']),
        ini_dir=dict(type='path', default='/etc/contrail/supervisord_config_files'),
    )).run_and_exit(run, errors=(OSError,))


if __name__ == '__main__':
    main()
