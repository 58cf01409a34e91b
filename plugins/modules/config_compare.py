#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: config_compare
short_description: Compare the whole config of two Contrail clusters (v1 and v2) object by object
version_added: 1.0.0
description:
  - Reads every object of the given types (or of every type the v1 API lists on its homepage)
    from two config APIs, with one C(list detail=true) request per type and per cluster, the
    types and both clusters read in parallel threads. No object is read individually.
  - Matches objects by uuid and compares their fq_name and a sha256 digest of their properties
    and refs. Returns counts per type and the objects missing in v2, extra in v2 and different.
  - "Ignored because they legitimately differ: C(href), C(parent_href) and the C(href) of refs
    (they name the API server that answered, and 4.0 gives refs no C(href));
    C(name) (computed from C(fq_name)); C(id_perms.created) and C(id_perms.last_modified)
    (a replayed update rewrites them); properties whose value is C(null) (a newer release
    reports new properties as C(null) where the older omits them). Refs are compared as a set."
  - C(perms2) is compared, since the sync copies it verbatim and a difference changes who sees
    an object. Further fields can be ignored with O(ignore_fields).
  - With O(fail_on_diff=true) it is a gate - the task fails when the configs differ.
  - With O(save_v1) it also keeps the v1 config it read, as the dump
    M(opencontrail.issu.config_backup) would write, so v1 is read once where both are needed
    (inside a freeze). Without O(save_v1) it only reads.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.config_compare
  - opencontrail.issu.wait
attributes:
  check_mode:
    support: full
    description:
      - Compares the same way. With O(save_v1) it writes nothing and reports in RV(saved_v1)
        and C(changed) whether the dump would be written and would change.
  diff_mode:
    support: full
    description:
      - With O(save_v1), when the dump is saved, shows the sha256 of the file and of its checksum
        file before, and the sha256 and object count after, as M(opencontrail.issu.config_backup)
        does in dump mode. Otherwise nothing changes and there is no diff.
  platform:
    description: Runs anywhere both config APIs are reachable, normally the C(issu_task) host.
options:
  v1:
    description:
      - Connection to the config API of the cluster upgraded from (the reference).
      - Its keys are the connection options of the C(opencontrail.issu.vnc_api) doc fragment,
        with their defaults, as M(opencontrail.issu.contrail_api_info) documents them
        (C(api_server_host) is required, C(password) is never logged).
    type: dict
    required: true
  v2:
    description: Connection to the config API of the cluster upgraded to, with the same keys as O(v1).
    type: dict
    required: true
  fail_on_diff:
    description: Fail when an object is missing, extra or different.
    type: bool
    default: false
  wait:
    description:
      - Compare again until the clusters are equal or O(wait_timeout) passes, for a follower that
        is still catching up (run-sync applying its last messages) or clusters that take writes
        while they are compared (run-sync copying them). The result and, with O(fail_on_diff),
        the failure are those of the last comparison.
    type: bool
    default: false
  recheck:
    description:
      - What a comparison after the first reads, with O(wait=true).
      - V(all) reads both configs whole again, so the last comparison holds each cluster as it
        is then, objects written since the first included (the finalize's gates, whose v1
        snapshot O(save_v1) keeps).
      - V(different) reads again, in one list-bulk call per type and cluster, only the objects
        the last comparison found missing, extra or different. An object equal when read stays
        verified, one in flight is judged once it landed, and objects created after the first
        read are left to the sync (the start's gate, northbound open). The result counts each
        object as last read.
    type: str
    choices: [all, different]
    default: all
  wait_timeout:
    description: Seconds to keep comparing with O(wait=true).
    type: int
    default: 60
  save_v1:
    description:
      - Write the v1 snapshot of the last comparison (the one the result describes, after the
        wait with O(wait=true)) to this file as a dump of M(opencontrail.issu.config_backup),
        with its checksum in C(<save_v1>.sha256). The bytes are those
        M(opencontrail.issu.config_backup) in dump mode writes for the same config read from
        the same API server - the same format, C(api_server) is
        C(<api_server_host>:<api_server_port>) of O(v1), the same checksum file, both written
        atomically with mode C(0600) - so M(opencontrail.issu.config_backup) in verify mode
        checks it later.
      - It holds the compared types (O(types), O(exclude_types)) that v1 serves.
      - "Written only when the last comparison found the clusters equal: the file is then a v1
        config that v2 was seen to hold. When they differ nothing is written (a file already
        there is left as it is) and RV(saved_v1.saved) is false; with O(fail_on_diff=true) the
        task fails. A gate that repairs a difference and compares again passes the same path to
        both comparisons, so the file holds v1's config from the one that ends equal, in either
        path."
      - A file that already holds the same dump is not written again (not changed).
      - The directory must exist; that is checked before the first comparison (not in check mode).
    type: path
seealso:
  - module: opencontrail.issu.config_backup
"""

EXAMPLES = r"""
- name: v2 holds exactly v1's config (gate before the computes move)
  opencontrail.issu.config_compare:
    v1: {api_server_host: 10.99.0.11}
    v2: {api_server_host: 10.99.0.21}
    fail_on_diff: true

- name: Compare only networks and ports
  opencontrail.issu.config_compare:
    v1: {api_server_host: 10.99.0.11}
    v2: {api_server_host: 10.99.0.21}
    types: [virtual-network, virtual-machine-interface]
  register: compare

- name: Wait until v2 equals v1 and keep v1's config, as read, for a later verify
  opencontrail.issu.config_compare:
    v1: {api_server_host: 10.99.0.11}
    v2: {api_server_host: 10.99.0.21}
    wait: true
    fail_on_diff: true
    save_v1: /var/lib/contrail-issu/v1-config-final.json

- name: With northbound open, each object that differs read again until its write landed
  opencontrail.issu.config_compare:
    v1: {api_server_host: 10.99.0.11}
    v2: {api_server_host: 10.99.0.21}
    wait: true
    recheck: different
    wait_interval: 0.2
    fail_on_diff: true
"""

RETURN = r"""
allowed_extra:
  description: Objects found only in the second cluster that O(allow_extra) allows.
  returned: always
  type: list
  elements: dict
  sample: [{type: routing-instance, uuid: 42df8f00-1d8e-4d0a-a365-ea499fe9744c,
            fq_name: [default-domain, default-project, ip-fabric, ip-fabric]}]
equal:
  description: Whether no object is missing, extra or different.
  returned: success, and failure with O(fail_on_diff)
  type: bool
  sample: true
counts:
  description:
    - Per type, the objects in v1 and v2 and how many are missing, extra and different.
    - Types without objects on either side are left out.
  returned: success, and failure with O(fail_on_diff)
  type: dict
  sample: {virtual-network: {v1: 12, v2: 12, missing: 0, extra: 0, different: 0}}
totals:
  description: The same counts summed over all types.
  returned: success, and failure with O(fail_on_diff)
  type: dict
  sample: {v1: 1523, v2: 1523, missing: 0, extra: 0, different: 0}
missing:
  description: Objects in v1 and not in v2 (at most O(max_items)).
  returned: success, and failure with O(fail_on_diff)
  type: list
  elements: dict
  sample: [{type: virtual-network, uuid: 2b6b3c1e-9f0e-4c55-8e53-1b8c3f0e2a11, fq_name: [default-domain, admin, vn1]}]
extra:
  description: Objects in v2 and not in v1 (at most O(max_items)), same shape as RV(missing).
  returned: success, and failure with O(fail_on_diff)
  type: list
  elements: dict
different:
  description: Objects in both whose compared content differs, with the top-level fields that differ (at most O(max_items)).
  returned: success, and failure with O(fail_on_diff)
  type: list
  elements: dict
  sample: [{type: virtual-network, uuid: 2b6b3c1e-9f0e-4c55-8e53-1b8c3f0e2a11, fq_name: [default-domain, admin, vn1], fields: [network_ipam_refs]}]
unserved_types:
  description: Per cluster, the compared types its API does not know (HTTP 404); they count as empty.
  returned: success, and failure with O(fail_on_diff)
  type: dict
  sample: {v1: [], v2: []}
comparisons:
  description:
    - How many comparisons ran (more than one with O(wait=true) when the first found the
      clusters different); what a gate's time went to.
  returned: success, and failure with O(fail_on_diff)
  type: int
  sample: 1
types:
  description: The types compared.
  returned: success, and failure with O(fail_on_diff)
  type: list
  elements: str
  sample: [virtual-network]
saved_v1:
  description: With O(save_v1), the dump of the last comparison's v1 snapshot.
  returned: when O(save_v1) is set (success, and failure with O(fail_on_diff))
  type: dict
  contains:
    path:
      description: The dump file, O(save_v1).
      type: str
      sample: /var/lib/contrail-issu/v1-config-final.json
    saved:
      description:
        - Whether the dump was written (in check mode, would be), that is whether the last
          comparison found the clusters equal.
      type: bool
      sample: true
    changed:
      description: Whether the file changed (in check mode, would change) by it.
      type: bool
      sample: true
    sha256:
      description:
        - sha256 of the dump as written or as it would be written, as
          M(opencontrail.issu.config_backup) returns it.
      returned: when RV(saved_v1.saved)
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    objects:
      description: Number of objects in the dump.
      returned: when RV(saved_v1.saved)
      type: int
      sample: 1523
"""

from ansible_collections.opencontrail.issu.plugins.module_utils.config_compare import (
    compare_snapshots, fetch_snapshots, refresh_snapshots, select_types, unserved_types,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.config_dump import (
    DumpError, api_server_label, check_directory, save_dump,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import WaitTimeout, wait_for
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient


def save_v1(module, snapshot, equal):
    """Result fields of saving the v1 ``snapshot`` of the last comparison (see ``save_v1``)."""
    path = module.params['save_v1']
    if not equal:
        return dict(saved_v1=dict(path=path, saved=False, changed=False))
    with module.failing("save_v1: cannot save v1's config to %s: " % path,
                        errors=(DumpError, OSError)):
        dump = save_dump(path, snapshot, api_server_label(module.params['v1']),
                         module.check_mode)
    return dict(changed=dump['changed'], diff=dump['diff'],
                saved_v1=dict(path=path, saved=True, changed=dump['changed'],
                              sha256=dump['sha256'], objects=dump['objects']))


def run(module):
    params = module.params
    if params['save_v1'] and not module.check_mode:
        with module.failing('save_v1: '):
            check_directory(params['save_v1'])
    clients = [VncClient.from_params(params['v1']), VncClient.from_params(params['v2'])]
    types = select_types(clients[0], params['types'], params['exclude_types'])

    last, passes = [], []

    def compare():
        passes.append(1)
        if last and params['recheck'] == 'different':
            v1, v2 = refresh_snapshots(clients, last[:2], last[2].pending, params['workers'])
        else:
            v1, v2 = fetch_snapshots(clients, types, params['workers'])
        last[:] = [v1, v2, compare_snapshots(v1, v2, params['ignore_fields'], params['max_items'],
                                             allow_extra=params['allow_extra'])]
        return tuple(last)

    try:
        v1, v2, result = wait_for(compare, params['wait_timeout'] if params['wait'] else 0,
                                  interval=params['wait_interval'], describe='v1 and v2 to be equal',
                                  until=lambda value: value[2].equal, retry_on=())
    except WaitTimeout as exc:
        v1, v2, result = exc.last_value
    output = dict(result.as_dict(), types=types, changed=False, comparisons=len(passes),
                  unserved_types=dict(v1=unserved_types(v1), v2=unserved_types(v2)))
    if params['save_v1']:
        output.update(save_v1(module, v1, result.equal))
    if params['fail_on_diff'] and not result.equal:
        module.fail('configs differ: %s' % result.summary(), **output)
    return output


def main():
    IssuModule(dict(
        v1=dict(type='dict', required=True),
        v2=dict(type='dict', required=True),
        fail_on_diff=dict(type='bool', default=False),
        recheck=dict(type='str', choices=['all', 'different'], default='all'),
        # config_compare's own default (the wait group's is 120).
        wait_timeout=dict(type='int', default=60),
        save_v1=dict(type='path'),
    ), groups=('config_compare', 'wait'), connections=('v1', 'v2')).run_and_exit(run)


if __name__ == '__main__':
    main()
