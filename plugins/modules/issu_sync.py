#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_sync
short_description: Run Contrail's one-shot ISSU sync tools (pre-sync, post-sync, zk-sync) and check their result
version_added: 1.0.0
description:
  - Runs C(contrail-issu-pre-sync), C(contrail-issu-post-sync) or C(contrail-issu-zk-sync)
    with C(-c) O(conf), under a time limit.
  - Success needs both a zero exit code and the tool's own success lines, because the tools log
    most failures and still exit 0. Pre-sync must print C(Done syncing Configdb uuid),
    C(Done syncing bgp keyspace), C(Done syncing useragent keyspace),
    C(Done syncing svc-monitor keyspace) and C(Done syncing dm keyspace); post-sync the last
    four; zk-sync must log C(Issu contrail zookeeper passed) and not
    C(Issu contrail zookeeper failed) (the real tool logs both when the copy differs).
  - The lines are looked for in the tool's standard output and in the part of its log file
    written during this run (C(/var/log/contrail/issu_contrail_pre_sync.log),
    C(/var/log/contrail/issu_contrail_post_sync.log), C(/var/log/issu_contrail_zk.log)).
  - Pre-sync and post-sync make each copied keyspace of the new cluster a mirror of the old one
    (new-only rows are deleted); zk-sync replaces the new C(fq-name-to-uuid), C(api-server) and
    C(id) znodes. Run them only while nothing allocates on v2 (see
    M(opencontrail.issu.config_service_hold)).
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Checks that the tool and O(conf) exist and reports changed, without running the tool.
  diff_mode:
    support: none
    description: The tools copy databases; there is no file diff to show.
  platform:
    description: Runs on a v2 config node where the C(contrail-config) package installed the tools.
options:
  tool:
    description: Which tool to run.
    type: str
    required: true
    choices: [pre, post, zk]
  conf:
    description: The contrail-issu.conf to pass with C(-c). The path cannot contain blanks.
    type: path
    default: /etc/contrail/contrail-issu.conf
  timeout:
    description: Seconds the tool may run before it is stopped and the module fails (at least 1).
    type: int
    default: 1800
  log_lines:
    description: How many lines of this run's log to return in RV(log_tail).
    type: int
    default: 20
seealso:
  - module: opencontrail.issu.issu_conf
  - module: opencontrail.issu.issu_run_sync
'''

EXAMPLES = r'''
- name: Mirror v1's config DB into v2 (northbound frozen)
  opencontrail.issu.issu_sync:
    tool: pre
  register: pre_sync

- name: At finalize, after run-sync is stopped
  opencontrail.issu.issu_sync:
    tool: "{{ item }}"
    timeout: 3600
  loop: [post, zk]
'''

RETURN = r'''
tool:
  description: Command that was run.
  returned: always
  type: str
  sample: contrail-issu-pre-sync
cmd:
  description: Full command line.
  returned: when the tool ran
  type: list
  elements: str
rc:
  description: Exit code of the tool (124 when O(timeout) stopped it).
  returned: when the tool ran
  type: int
duration:
  description: Seconds the tool ran.
  returned: when the tool ran
  type: float
keyspaces_synced:
  description: Keyspaces whose C(Done syncing ...) line was seen (pre and post).
  returned: when the tool ran
  type: list
  elements: str
  sample: [config_db_uuid, to_bgp_keyspace, useragent, svc_monitor_keyspace, dm_keyspace]
missing:
  description: Success lines that were not seen.
  returned: when the tool ran
  type: list
  elements: str
errors:
  description: Error lines (SYS_ERR, tracebacks) of this run's output and log.
  returned: when the tool ran
  type: list
  elements: str
log_file:
  description: The tool's log file.
  returned: always
  type: str
log_tail:
  description: Last lines the tool wrote to its log during this run.
  returned: when the tool ran
  type: list
  elements: str
stdout_lines:
  description: The tool's standard output.
  returned: when the tool ran
  type: list
  elements: str
stderr_lines:
  description: The last 20 lines of the tool's standard error.
  returned: when the tool ran
  type: list
  elements: str
'''

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_sync
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule


def run(module):
    params = module.params
    tool = issu_sync.TOOLS[params['tool']]
    result = module.result
    result.update(changed=False, tool=tool.command, log_file=tool.log_file)
    executable = issu_sync.tool_executable(module.get_bin_path, tool, params['conf'],
                                           params['timeout'])
    result['changed'] = True
    if module.check_mode:
        return result
    result.update(issu_sync.run_tool(module.run_command, tool, executable, params['conf'],
                                     params['timeout'], params['log_lines']))
    if 'msg' in result:
        module.fail(result.pop('msg'))
    return result


def main():
    IssuModule(dict(
        tool=dict(type='str', required=True, choices=sorted(issu_sync.TOOLS)),
        conf=dict(type='path', default=issu_sync.DEFAULT_CONF),
        timeout=dict(type='int', default=1800),
        log_lines=dict(type='int', default=20),
    )).run_and_exit(run)


if __name__ == '__main__':
    main()
