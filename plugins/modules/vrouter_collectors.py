#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vrouter_collectors
short_description: Point a compute's agent, ToR agents and nodemgr at given collectors, or revert
version_added: 1.0.0
description:
  - Sets C([DEFAULT] collectors) in the agent conf and the ToR agent confs and
    C([COLLECTOR] server_list) in the vRouter nodemgr conf (LP 1675122), so computes still on
    3.2 report to the v2 analytics before the v1 collectors are stopped. Runs before the
    compute phase, or at the end of finalize on the computes a forced finalize left on v1.
  - With O(state=absent) the keys are deleted again (a 3.2 agent then asks discovery).
  - Only these keys change; every other line and comment is kept.
  - The daemons are told when their conf changed - a 4.x agent re-reads its collectors on
    C(SIGHUP), a 3.x agent is restarted (no kernel module reload, so flows survive in the
    kernel), the nodemgr and ToR agents are restarted. Nothing is signalled when nothing changed.
    With O(reload=keep_agents) no agent is restarted.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vrouter
  - opencontrail.issu.vrouter.package_manager
  - opencontrail.issu.vrouter.tor_agents
attributes:
  check_mode:
    description: Reports the edits and the reloads that would happen.
  diff_mode:
    support: full
    description: Shows the edits of each conf file.
options:
  collectors:
    description:
      - Collectors, V(ip) or V(ip:port) (port 8086 added). Required with O(state=present).
    type: list
    elements: str
  state:
    description: V(present) sets the keys, V(absent) deletes them.
    type: str
    default: present
    choices: [present, absent]
  reload:
    description:
      - How daemons whose conf changed learn it. V(auto) sends C(SIGHUP) to a 4.x agent and
        restarts a 3.x agent (the agent's version is read with O(package_manager));
        V(restart) always restarts; V(none) leaves them alone.
      - V(keep_agents) never restarts an agent - a 4.x agent gets C(SIGHUP), a 3.x agent and
        the ToR agents keep running and use the new collectors from their next start - and
        restarts the nodemgr, which holds no data-plane state. For a compute without a
        control plane (left on v1 after finalize), whose agent, restarted, would come back
        without the config and routes it still holds.
      - The nodemgr is restarted unless V(none); the ToR agents with V(auto) and V(restart).
      - RV(reloaded) lists what was signalled or restarted, RV(not_reloaded) what was not.
    type: str
    default: auto
    choices: [auto, restart, keep_agents, none]
'''

EXAMPLES = r'''
- name: Report to the v2 analytics before the compute phase (LP 1675122)
  opencontrail.issu.vrouter_collectors:
    collectors: [10.99.0.21, 10.99.0.22]

- name: Point a compute left without a control plane at the v2 analytics, restarting no agent
  opencontrail.issu.vrouter_collectors:
    collectors: [10.99.0.21]
    reload: keep_agents

- name: Revert (3.2 agents find collectors through discovery again)
  opencontrail.issu.vrouter_collectors:
    state: absent
'''

RETURN = r'''
changed_files:
  description: Per conf file, the C(SECTION/key) entries changed.
  returned: always
  type: dict
  sample: {/etc/contrail/contrail-vrouter-agent.conf: [DEFAULT/collectors]}
reloaded:
  description: Daemons signalled or restarted, as C(program:action).
  returned: always
  type: list
  elements: str
  sample: [contrail-vrouter-agent:restart, contrail-vrouter-nodemgr:restart]
not_reloaded:
  description:
    - Daemons whose conf changed but that were neither signalled nor restarted (O(reload),
      or not running); they use the new collectors from their next start.
  returned: always
  type: list
  elements: str
  sample: [contrail-vrouter-agent]
collectors:
  description: The value written (empty with O(state=absent)).
  returned: always
  type: str
  sample: 10.99.0.21:8086 10.99.0.22:8086
'''

import os

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule

AGENT_KEY = vrouter.AGENT_KEYS['4.x']['collectors']
NODEMGR_KEY = vrouter.NODEMGR_KEYS['4.x']['collectors']
AGENT_PROGRAM = 'contrail-vrouter-agent'
NODEMGR_PROGRAM = 'contrail-vrouter-nodemgr'


def targets(params):
    """[(path, (section, key), program)] of the files to edit."""
    files = [(params['agent_conf'], AGENT_KEY, AGENT_PROGRAM),
             (params['nodemgr_conf'], NODEMGR_KEY, NODEMGR_PROGRAM)]
    for path in vrouter.tor_agent_confs(params['tor_agent_confs']):
        program = os.path.basename(path)[:-len('.conf')] if path.endswith('.conf') else path
        files.append((path, AGENT_KEY, program))
    return [item for item in files if os.path.exists(item[0])]


def agent_action(module, pkg, reload):
    """'sighup', 'restart' or None (left running) for the agent: 4.x agents re-read collectors
    on SIGHUP; with keep_agents a 3.x agent is not restarted."""
    if reload == 'restart':
        return 'restart'
    version = (pkg.installed([AGENT_PROGRAM]).get(AGENT_PROGRAM) or {}).get('version')
    if version and vrouter.era(version) == '4.x':
        return 'sighup'
    return None if reload == 'keep_agents' else 'restart'


def action(module, pkg, program, reload):
    """What tells ``program`` its new conf: 'sighup', 'restart' or None (left as it runs)."""
    if program == AGENT_PROGRAM:
        return agent_action(module, pkg, reload)
    if program == NODEMGR_PROGRAM or reload != 'keep_agents':
        return 'restart'
    return None     # a ToR agent, kept with keep_agents


def reload_daemons(module, svc, pkg, programs, reload):
    done = []
    if reload == 'none' or not programs or not svc.is_running():
        return done
    running = svc.programs()
    for program in programs:
        if running and program not in running:
            continue
        what = action(module, pkg, program, reload)
        if what is None:
            continue
        done.append('%s:%s' % (program, what))
        if module.check_mode:
            continue
        if what == 'sighup':
            svc.signal_program(program, 'HUP')
        else:
            svc.restart_program(program)
    return done


def run(module):
    params = module.params
    if params['state'] == 'present' and not [c for c in params['collectors'] if c and c.strip()]:
        module.fail_json(msg='collectors is empty: give the collectors as host:8086 (an empty '
                             'list would leave the agent and nodemgr with no collector)')
    value = vrouter.render('collectors', '4.x', params['collectors']) \
        if params['state'] == 'present' else None
    # Find the package and service managers before any file changes: a host where they cannot
    # be told apart fails untouched.
    pkg = svc = None
    if params['reload'] != 'none':
        pkg = pkg_manager.detect(module.run_command, params['package_manager'])
        svc = service_manager.detect(module.run_command, 'vrouter', params['service_manager'])
    changed_files, diffs, programs = {}, [], []
    for path, key, program in targets(params):
        outcome = ini_edit.edit_file(path, [key + (value,)], check_mode=module.check_mode)
        if outcome['changed']:
            changed_files[path] = [vrouter.key_name(k) for k in outcome['changed_keys']]
            diffs.append(dict(before=outcome['before'], after=outcome['after'],
                              before_header=path, after_header=path))
            programs.append(program)
    result = dict(changed=bool(changed_files), changed_files=changed_files,
                  collectors=value or '', reloaded=[], not_reloaded=list(programs), diff=diffs)
    if programs and svc is not None:
        try:
            result['reloaded'] = reload_daemons(module, svc, pkg, programs, params['reload'])
            told = [entry.split(':', 1)[0] for entry in result['reloaded']]
            result['not_reloaded'] = [program for program in programs if program not in told]
        except (pkg_manager.PackageError, service_manager.ServiceError) as exc:
            module.fail('the collectors were written to %s, but reloading failed: %s; '
                        'restart %s by hand (a re-run finds the files current and reloads '
                        'nothing)' % (', '.join(sorted(changed_files)), exc, ', '.join(programs)),
                        exc, **result)
    return result


def main():
    IssuModule(dict(
        collectors=dict(type='list', elements='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        reload=dict(type='str', default='auto', choices=['auto', 'restart', 'keep_agents', 'none']),
    ), groups=('vrouter', 'vrouter.tor_agents'), required_if=[('state', 'present', ('collectors',))]
    ).run_and_exit(run, errors=(OSError,))


if __name__ == '__main__':
    main()
