#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: api_write_check
short_description: Prove that a write through one Contrail config API becomes visible in another
version_added: 1.0.0
description:
  - Creates a probe object through O(write_api) (typically the northbound VIP), waits until
    O(read_apis) (typically the v2 config nodes) can read it with the same uuid, then deletes it
    through O(write_api) and, with O(check_delete), waits until it is gone everywhere.
  - After the ISSU start this proves that northbound writes reach v1 and that run-sync carries
    them to v2; after finalize it proves that northbound writes land in v2.
  - The probe is a C(virtual-network) named C(issu-write-check-<random>) under
    O(probe_project); the module always removes it, also when the check fails.
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: In check mode nothing is written; the module only checks that every API answers.
  diff_mode:
    support: none
    description: The probe object is created and removed again, so there is nothing to diff and
      C(changed) is always false.
  platform:
    description: Runs on any host that reaches the APIs, normally the issu_task host.
options:
  write_api:
    description:
      - Connection to the API to write through, with the keys of
        O(opencontrail.issu.config_compare#module:v1).
    type: dict
    required: true
  read_apis:
    description: Connections to the APIs that must see the write, with the same keys as O(write_api).
    type: list
    elements: dict
    required: true
  probe_project:
    description: fq_name of the project that holds the probe network.
    type: list
    elements: str
    default: [default-domain, default-project]
  check_delete:
    description: Also wait until the deletion is visible through every O(read_apis).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the write (and the delete) to become visible.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: A write through the VIP reaches v2 through run-sync
  opencontrail.issu.api_write_check:
    write_api: {api_server_host: 192.0.2.5}
    read_apis:
      - "{{ issu_v1_api }}"
      - "{{ issu_v2_api }}"
"""

RETURN = r"""
uuid:
  description: uuid of the probe object.
  returned: success, not in check mode
  type: str
  sample: 0b0a3e7e-2f1d-4bb8-9e4a-c2d5d0c9a111
visible_after:
  description: Seconds until the probe was readable through each of O(read_apis), in order.
  returned: success, not in check mode
  type: list
  elements: float
  sample: [0.01, 0.35]
deleted_after:
  description: Seconds until the deletion was visible through each of O(read_apis).
  returned: success with O(check_delete), not in check mode
  type: list
  elements: float
  sample: [0.01, 0.29]
"""

import time
import uuid as uuidlib

from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient, VncError
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import WaitTimeout, wait_for


def _seen(client, uuid):
    try:
        return client.read('virtual-network', uuid, fields=['display_name'])['uuid'] == uuid
    except VncError as exc:
        if exc.not_found:
            return False
        raise


def _wait_each(readers, predicate, timeout, describe):
    start = time.monotonic()
    timings = []
    for client in readers:
        left = max(timeout - (time.monotonic() - start), 0)
        wait_for(lambda c=client: predicate(c), left, interval=0.25,
                 describe='%s through %s' % (describe, client.base_url), retry_on=(VncError,))
        timings.append(round(time.monotonic() - start, 3))
    return timings


def run(module):
    params = module.params
    writer = VncClient.from_params(params['write_api'])
    readers = [VncClient.from_params(conn) for conn in params['read_apis']]
    with module.failing('config API not usable: ', VncError):
        for client in [writer] + readers:
            client.homepage()
    if module.check_mode:
        return {}

    name = 'issu-write-check-%s' % uuidlib.uuid4().hex[:12]
    fq_name = list(params['probe_project']) + [name]
    # The probe is created and deleted again: the config is left as it was, so the module
    # reports no change, as in check mode. A failure reports what was seen before it.
    result = module.result
    result['changed'] = False
    uuid = None
    with module.failing('write check failed: ', (WaitTimeout, VncError)):
        try:
            uuid = writer.create('virtual-network', {'fq_name': fq_name, 'parent_type': 'project'})
            result['uuid'] = uuid
            result['visible_after'] = _wait_each(readers, lambda c: _seen(c, uuid), params['timeout'],
                                                 'the probe %s' % ':'.join(fq_name))
            writer.delete('virtual-network', uuid)
            uuid = None
            if params['check_delete']:
                result['deleted_after'] = _wait_each(readers, lambda c: not _seen(c, result['uuid']),
                                                     params['timeout'], 'the deletion of the probe')
        finally:
            if uuid is not None:
                try:
                    writer.delete('virtual-network', uuid)
                except VncError:
                    pass
    return result


def main():
    IssuModule(dict(
        write_api=dict(type='dict', required=True, no_log=False),
        read_apis=dict(type='list', elements='dict', required=True),
        probe_project=dict(type='list', elements='str', default=['default-domain', 'default-project']),
        check_delete=dict(type='bool', default=True),
        timeout=dict(type='int', default=30),
    ), connections=('write_api', 'read_apis')).run_and_exit(run)


if __name__ == '__main__':
    main()
