#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_final_sync
short_description: The final sync of the finalize freeze - post-sync, zk-sync and the check of v2's config, side by side
version_added: 1.0.0
description:
  - Once v1's config services and C(contrail-issu-run-sync) are stopped, inside the finalize
    northbound freeze, runs at the same time and waits for all three
    - C(contrail-issu-post-sync), which copies the derived keyspaces (bgp, useragent,
      svc-monitor, dm) once more, judged as M(opencontrail.issu.issu_sync) judges it (exit code
      and the tool's own success lines);
    - the ZooKeeper pass, which leaves v2's ID allocators and fq-name locks equal to v1's - by
      difference as M(opencontrail.issu.issu_zk_mirror) does (O(zk_sync=mirror)), or
      C(contrail-issu-zk-sync) itself (O(zk_sync=tool));
    - the check that v2's config (the API of the connection options) holds v1's final config, the
      dump of O(verify) that M(opencontrail.issu.config_compare) saved as v1's final config
      (O(opencontrail.issu.config_compare#module:save_v1)), by the rules of
      M(opencontrail.issu.config_backup) in verify mode. Neither pass touches the config it reads.
  - The freeze then lasts the longest of the three, not their sum, and one task, not a task for
    each plus the launches of background jobs and a wait for them.
  - Fails when any of the three fails, with every failure in its message; the result of each is
    returned either way.
  - Run it only while nothing writes to v1 or v2 (northbound frozen, v1's config services and
    run-sync stopped, v2's schema-transformer, svc-monitor and device-manager held; see
    M(opencontrail.issu.config_service_hold)).
requirements:
  - kazoo (the C(python3-kazoo) or C(python-kazoo) package) for O(zk_sync=mirror)
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vnc_api
  - opencontrail.issu.config_compare
attributes:
  check_mode:
    description: >-
      Checks that the tools and O(conf) exist, compares v2's config with O(verify) and reads
      what the ZooKeeper mirror would write; runs no tool and writes nothing.
  diff_mode:
    support: none
    description: The tools copy databases; the ZooKeeper pass's changes are in RV(zk_sync).
  platform:
    description: Runs on a v2 config node where the C(contrail-config) package installed the tools (C(issu_task)).
options:
  conf:
    description: The contrail-issu.conf of the tools and of the ZooKeeper mirror. The path cannot contain blanks.
    type: path
    default: /etc/contrail/contrail-issu.conf
  verify:
    description: The dump of v1's final config (with its C(.sha256) file) that v2's config must hold.
    type: path
    required: true
  zk_sync:
    description:
      - V(mirror) - v2's C(fq-name-to-uuid), C(api-server) and C(id) znodes made v1's by
        difference, in this process (see M(opencontrail.issu.issu_zk_mirror)).
      - V(tool) - C(contrail-issu-zk-sync), which copies every znode again with a second's pause
        per subtree.
    type: str
    default: mirror
    choices: [mirror, tool]
  timeout:
    description:
      - Seconds each tool may run before it is stopped and the module fails (at least 1).
      - The ZooKeeper mirror waits at most 30 seconds to connect and for each level of requests.
    type: int
    default: 1800
  log_lines:
    description: How many lines of each tool's log to return.
    type: int
    default: 20
  state_path:
    description:
      - The ISSU state record (O(opencontrail.issu.issu_state#module:path)). When given, a final
        sync that succeeded dates O(state_steps) there before the module returns, as
        M(opencontrail.issu.issu_state) with O(opencontrail.issu.issu_state#module:operation=finalize)
        would, and returns the record's answer as RV(state) - inside the freeze, one task less.
      - The finalize must be able to date them, checked before any part begins. Nothing is
        recorded when a part fails; in check mode the record is computed, not written.
    type: path
  state_steps:
    description: The milestones of the finalize to date in O(state_path) once the sync succeeded.
    type: list
    elements: str
    choices: [synced, switched]
    default: [synced]
seealso:
  - module: opencontrail.issu.issu_sync
  - module: opencontrail.issu.issu_zk_mirror
  - module: opencontrail.issu.config_backup
  - module: opencontrail.issu.config_compare
'''

EXAMPLES = r'''
- name: Gate 1 - v2 equals v1 while v1 still serves; keep v1's config
  opencontrail.issu.config_compare:
    v1: {api_server_host: 10.99.0.11}
    v2: {api_server_host: 10.99.0.21}
    wait: true
    save_v1: /var/lib/contrail-issu/v1-final-config.json

# ... v1's config services and run-sync stopped ...

- name: Post-sync, the ZooKeeper pass and gate 2, side by side
  opencontrail.issu.issu_final_sync:
    api_server_host: 10.99.0.21
    verify: /var/lib/contrail-issu/v1-final-config.json
  register: final_sync

# ... or, with northbound already switched to v2, dating both milestones in the state record
- name: Post-sync, the ZooKeeper pass and gate 2, then record synced and switched
  opencontrail.issu.issu_final_sync:
    api_server_host: 10.99.0.21
    verify: /var/lib/contrail-issu/v1-final-config.json
    state_path: /var/lib/contrail-issu/state.json
    state_steps: [synced, switched]
  register: final_sync
'''

RETURN = r'''
post_sync:
  description: What C(contrail-issu-post-sync) did (the fields of M(opencontrail.issu.issu_sync)'s result).
  returned: always
  type: dict
  sample: {cmd: [timeout, -k, '10', '1800', /usr/bin/contrail-issu-post-sync, -c, /etc/contrail/contrail-issu.conf],
           rc: 0, duration: 1.2, keyspaces_synced: [to_bgp_keyspace, useragent, svc_monitor_keyspace, dm_keyspace],
           missing: [], errors: []}
zk_sync:
  description: >-
    What the ZooKeeper pass did - the result of M(opencontrail.issu.issu_zk_mirror) (C(created),
    C(updated), C(deleted), C(equal)...) or of M(opencontrail.issu.issu_sync) for the tool.
  returned: always
  type: dict
  sample: {created: 2, updated: 0, deleted: 0, equal: true, duration: 0.3}
verify:
  description: >-
    The check of v2's config against O(verify) - the fields of
    M(opencontrail.issu.config_backup) in verify mode (C(equal), C(totals), C(missing), C(extra),
    C(different)...).
  returned: always
  type: dict
  sample: {equal: true, objects: 1523, totals: {backup: 1523, live: 1523, missing: 0, extra: 0, different: 0}}
allowed_extra:
  description: >-
    Objects of v2 that O(verify)'s dump lacks and O(allow_extra) allows (no difference), as in
    RV(verify).
  returned: always
  type: list
  elements: dict
durations:
  description: Seconds each part took (V(post_sync), V(zk_sync), V(verify)).
  returned: always
  type: dict
  sample: {post_sync: 1.2, zk_sync: 0.3, verify: 0.9}
duration:
  description: Seconds the three took together (the longest of them and a little more).
  returned: always
  type: float
  sample: 1.3
state:
  description: >-
    The state record once O(state_steps) were dated - what M(opencontrail.issu.issu_state)
    returns with O(opencontrail.issu.issu_state#module:operation=finalize) (C(record), C(phase),
    C(operation) with C(behind) and C(northbound_may_open)...).
  returned: when O(state_path) is given and the sync succeeded
  type: dict
  sample: {phase: finalizing, operation: {name: finalize, behind: [synced, switched], northbound_may_open: true}}
'''

import time

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state, issu_sync, zk_mirror
from ansible_collections.opencontrail.issu.plugins.module_utils.config_compare import verify_dump
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient

ZK_TIMEOUT = 30


def tool_run(module, tool, executable):
    """One of the ISSU tools run as issu_sync runs it (not in check mode)."""
    params = module.params
    if module.check_mode:
        return dict(changed=True)
    return dict(issu_sync.run_tool(module.run_command, issu_sync.TOOLS[tool], executable,
                                   params['conf'], params['timeout'], params['log_lines']),
                changed=True)


def post_sync(module, executable):
    return tool_run(module, 'post', executable)


def zk_pass(module, executable):
    if module.params['zk_sync'] == 'tool':
        return tool_run(module, 'zk', executable)
    # Fails (ZkMirrorError) when a znode still differs after the mirror.
    result = zk_mirror.mirror(issu_sync.read_conf(module.params['conf']), timeout=ZK_TIMEOUT,
                              check=module.check_mode)
    result.pop('diff', None)
    return result


def verify(module, client):
    comparison, result = verify_dump(client, module.params['verify'], module.params)
    if not comparison.equal:
        result['msg'] = ('v2\'s config differs from v1\'s final config %s: %s'
                         % (module.params['verify'], comparison.summary()))
    return result


def timed(part, *args):
    """``part(*args)`` -> (its result, seconds); a collection error becomes the result's msg."""
    started = time.monotonic()
    try:
        result = part(*args)
    except (IssuError, OSError, ValueError) as exc:
        result = dict(msg=str(exc))
    return result, round(time.monotonic() - started, 3)


def run(module):
    params = module.params
    if params['zk_sync'] == 'mirror' and not zk_mirror.HAS_KAZOO:
        module.fail(missing_required_lib('kazoo (python3-kazoo; contrail-issu-zk-sync needs it too)'))
    # Everything that can be wrong before a part starts fails here, with nothing run.
    post_executable = issu_sync.tool_executable(module.get_bin_path, issu_sync.TOOLS['post'],
                                                params['conf'], params['timeout'])
    zk_executable = None
    if params['zk_sync'] == 'tool':
        zk_executable = issu_sync.tool_executable(module.get_bin_path, issu_sync.TOOLS['zk'],
                                                  params['conf'], params['timeout'])
    if params['state_path']:
        with module.failing('the final sync cannot be recorded in %s: ' % params['state_path'],
                            (IssuError, IOError, OSError)):
            issu_state.check_steps_allowed(params['state_path'], 'finalize', params['state_steps'])
    client = VncClient.from_params(params)
    started = time.monotonic()
    parts = (('post_sync', 'post-sync', post_sync, (module, post_executable)),
             ('zk_sync', 'the ZooKeeper pass', zk_pass, (module, zk_executable)),
             ('verify', 'gate 2', verify, (module, client)))
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        futures = [(name, label, pool.submit(timed, part, *args)) for name, label, part, args in parts]
        done = [(name, label) + future.result() for name, label, future in futures]
    result = dict(changed=True, durations=dict((name, seconds) for name, _l, _r, seconds in done),
                  duration=round(time.monotonic() - started, 3))
    failures = []
    for name, label, part_result, _seconds in done:
        if 'msg' in part_result:
            failures.append('%s: %s' % (label, part_result.pop('msg')))
        result[name] = part_result
    result['allowed_extra'] = result['verify'].get('allowed_extra', [])
    if failures:
        module.fail('the final sync failed - %s' % '; '.join(failures), **result)
    if params['state_path']:
        result['state'] = record(module, result)
    return result


def record(module, result):
    """Date the milestones of a sync that succeeded: the state record's answer."""
    params = module.params
    why = ('the final sync succeeded but %s could not be recorded in %s (northbound stays frozen: '
           're-run the finalize, which syncs again from the stopped v1): '
           % (', '.join(params['state_steps']), params['state_path']))
    try:
        return issu_state.record_steps(params['state_path'], 'finalize', params['state_steps'],
                                       check=module.check_mode)[1]
    except (IssuError, IOError, OSError) as exc:
        module.fail(why + str(exc), **result)


def main():
    IssuModule(dict(
        conf=dict(type='path', default=issu_sync.DEFAULT_CONF),
        verify=dict(type='path', required=True),
        zk_sync=dict(type='str', default='mirror', choices=['mirror', 'tool']),
        timeout=dict(type='int', default=1800),
        log_lines=dict(type='int', default=20),
        state_path=dict(type='path'),
        state_steps=dict(type='list', elements='str', choices=['synced', 'switched'],
                         default=['synced']),
    ), groups=('vnc_api', 'config_compare')).run_and_exit(run)


if __name__ == '__main__':
    main()
