#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_backup
short_description: Dump a Contrail cluster's whole config as JSON with a sha256 checksum, or verify a dump
version_added: 1.0.0
description:
  - O(mode=dump) reads every object of every type the config API lists on its homepage (or of
    O(types)) with one C(list detail=true) request per type, in parallel, and writes them as one
    JSON document to O(path), with its sha256 in C(<path>.sha256) (the format of C(sha256sum),
    so C(sha256sum -c) checks it).
  - Both files are written atomically (a temporary file in the same directory, then a rename)
    with mode C(0600), since the config holds secrets such as BGP md5 keys.
  - The document is canonical (sorted keys, objects sorted by uuid, no timestamp of its own),
    so dumping an unchanged config again produces the same bytes and reports C(changed=false).
  - O(mode=verify) checks the dump against its checksum file, then compares it with the live
    API using the same rules as M(opencontrail.issu.config_compare) (which fields are ignored
    and why is documented there). A checksum mismatch always fails; a difference fails with
    O(fail_on_diff=true).
  - O(types) and O(exclude_types) select what O(mode=dump) reads; O(mode=verify) compares the
    types of the dump, and only it uses O(ignore_fields), O(allow_extra) and O(max_items).
  - The ISSU dumps v1 before anything changes, so the config can be checked (or rebuilt) later.
  - M(opencontrail.issu.config_compare) writes the same dump, byte for byte, of the v1 config
    its comparison read (O(opencontrail.issu.config_compare#module:save_v1)), so a freeze
    need not read v1 a second time for it.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vnc_api
  - opencontrail.issu.config_compare
attributes:
  check_mode:
    description: In dump mode reads the API and reports whether the dump would change, without writing. Verify only reads.
  diff_mode:
    support: full
    description: In dump mode shows the checksum and object count of the file before and after.
  platform:
    description: Runs on the host that keeps the dump (the C(issu_task) host).
options:
  path:
    description: The dump file. Its checksum is C(<path>.sha256). The directory must exist.
    type: path
    required: true
  mode:
    description: V(dump) writes the dump; V(verify) checks it.
    type: str
    default: dump
    choices: [dump, verify]
  fail_on_diff:
    description: In verify mode, fail when the live config differs from the dump.
    type: bool
    default: true
seealso:
  - module: opencontrail.issu.config_compare
'''

EXAMPLES = r'''
- name: Back up v1's config before the ISSU changes anything
  opencontrail.issu.config_backup:
    api_server_host: 10.99.0.11
    path: /var/lib/contrail-issu/v1-config.json

- name: The live v1 config still matches the backup
  opencontrail.issu.config_backup:
    api_server_host: 10.99.0.11
    path: /var/lib/contrail-issu/v1-config.json
    mode: verify
'''

RETURN = r'''
allowed_extra:
  description: Verify mode, objects live and not in the dump that O(allow_extra) allows.
  returned: when O(mode=verify)
  type: list
  elements: dict
path:
  description: The dump file.
  returned: always
  type: str
  sample: /var/lib/contrail-issu/v1-config.json
sha256:
  description: sha256 of the dump file (in dump mode, of the file as written or as it would be written).
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
objects:
  description: Number of objects in the dump.
  returned: always
  type: int
  sample: 1523
counts:
  description:
    - Objects per type in the dump (dump mode).
    - The comparison counts per type (verify mode), with keys C(backup), C(live), C(missing), C(extra) and C(different).
  returned: always
  type: dict
  sample: {virtual-network: 12}
equal:
  description: Verify mode, whether the live config matches the dump.
  returned: when O(mode=verify)
  type: bool
  sample: true
missing:
  description: Verify mode, objects in the dump and not live (at most O(max_items)).
  returned: when O(mode=verify)
  type: list
  elements: dict
extra:
  description: Verify mode, objects live and not in the dump (at most O(max_items)).
  returned: when O(mode=verify)
  type: list
  elements: dict
different:
  description: Verify mode, objects whose compared content differs, with the differing fields (at most O(max_items)).
  returned: when O(mode=verify)
  type: list
  elements: dict
totals:
  description: Verify mode, the comparison's totals (C(backup), C(live), C(missing), C(extra), C(different)).
  returned: when O(mode=verify)
  type: dict
  sample: {backup: 1523, live: 1523, missing: 0, extra: 0, different: 0}
'''

from ansible_collections.opencontrail.issu.plugins.module_utils.config_compare import (
    fetch_snapshot, select_types, verify_dump,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.config_dump import (
    api_server_label, save_dump,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncClient


def dump(module, client):
    params = module.params
    types = select_types(client, params['types'], params['exclude_types'])
    snapshot = fetch_snapshot(client, types, params['workers'])
    return save_dump(params['path'], snapshot, api_server_label(params), module.check_mode)


def verify(module, client):
    params = module.params
    comparison, result = verify_dump(client, params['path'], params)
    result['changed'] = False
    if params['fail_on_diff'] and not comparison.equal:
        module.fail('live config differs from %s: %s' % (params['path'], comparison.summary()),
                    **result)
    return result


def run(module):
    client = VncClient.from_params(module.params)
    if module.params['mode'] == 'dump':
        return dump(module, client)
    return verify(module, client)


def main():
    IssuModule(dict(
        path=dict(type='path', required=True),
        mode=dict(type='str', default='dump', choices=['dump', 'verify']),
        fail_on_diff=dict(type='bool', default=True),
    ), groups=('vnc_api', 'config_compare')).run_and_exit(
        run, errors=(OSError, ValueError))


if __name__ == '__main__':
    main()
