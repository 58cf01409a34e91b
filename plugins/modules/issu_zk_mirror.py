#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_zk_mirror
short_description: Make v2's ISSU znodes (ID allocators, fq-name locks) a mirror of v1's, by difference
version_added: 1.0.0
description:
  - Leaves each of the O(znodes) subtrees under C(/<ndb_prefix>) of the new (v2) ZooKeeper with
    exactly the paths and values of the same subtree under C(/<odb_prefix>) of the old (v1) one
    - the end state of C(contrail-issu-zk-sync), which deletes the new subtrees and copies the
    old ones again one znode at a time, with a one-second pause per subtree.
  - Both trees are read a level at a time with every request of a level in flight at once, and
    only the znodes that differ are deleted (children first), created (parents first) or set.
    So the time follows the tree's depth and what changed, not every ID ever allocated. Run it
    once before the finalize freeze to copy the bulk, and inside the freeze it carries only
    what v1 allocated or freed since.
  - The znodes it wrote are read back, values included (the tool compares child lists only);
    the module fails when one still differs, which means something else writes there. Only
    those are read again, not both trees, so the pass inside the freeze costs what changed.
  - The ZooKeeper addresses and DB prefixes are read from O(conf), the contrail-issu.conf the
    ISSU tools read (C(old_zookeeper_address_list), C(new_zookeeper_address_list),
    C(odb_prefix), C(ndb_prefix)).
  - Run the last pass only while nothing allocates in v1 or v2 (northbound frozen, v1's config
    services stopped, v2's schema-transformer, svc-monitor and device-manager held; see
    M(opencontrail.issu.config_service_hold)).
requirements:
  - kazoo (the C(python3-kazoo) or C(python-kazoo) package, which C(contrail-issu-zk-sync) needs too)
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Reads both trees and reports what would be created, set and deleted, without writing.
  diff_mode:
    support: full
    description: >-
      Shows the znodes that change (path = value; up to 20 of each kind) and how many are
      created, set and deleted.
  platform:
    description: Runs on the host that runs the ISSU tools (C(issu_task)), which reaches both ZooKeeper ensembles.
options:
  conf:
    description: The contrail-issu.conf that names both ZooKeeper ensembles and DB prefixes.
    type: path
    default: /etc/contrail/contrail-issu.conf
  znodes:
    description:
      - The subtrees to mirror, under each side's DB prefix.
      - The default is the list C(contrail-issu-zk-sync) replaces; the tool was fixed to touch
        no other subtree (LP 1632799), so do not add any.
    type: list
    elements: str
    default: [fq-name-to-uuid, api-server, id]
  timeout:
    description: Seconds to connect to each ensemble and to wait for each level of requests.
    type: int
    default: 30
seealso:
  - module: opencontrail.issu.issu_sync
  - module: opencontrail.issu.issu_conf
'''

EXAMPLES = r'''
- name: Copy v1's allocators into v2 ahead of the freeze (v1 still serves)
  opencontrail.issu.issu_zk_mirror:
    conf: /etc/contrail/contrail-issu.conf

- name: Inside the freeze, once v1's config services are stopped - only what changed since
  opencontrail.issu.issu_zk_mirror:
  register: zk_mirror

- name: What a mirror would change, without writing
  opencontrail.issu.issu_zk_mirror:
  check_mode: true
  diff: true
'''

RETURN = r'''
znodes:
  description: How many znodes v1's subtrees hold (their roots included).
  returned: always
  type: int
  sample: 1042
created:
  description: Znodes that were (or in check mode would be) created in v2.
  returned: always
  type: int
updated:
  description: Znodes of v2 whose value was (would be) set to v1's.
  returned: always
  type: int
deleted:
  description: Znodes that were (would be) deleted from v2 (v2 only).
  returned: always
  type: int
paths:
  description: Up to 20 paths of each kind of change, in v2.
  returned: always
  type: dict
  sample: {create: [/id/virtual-networks/0000000012], update: [], delete: []}
equal:
  description: Whether v2's subtrees now equal v1's (in check mode, whether they do already).
  returned: always
  type: bool
duration:
  description: Seconds the reads and writes took.
  returned: always
  type: float
old_base:
  description: Where v1's subtrees live (C(/) and the old DB prefix).
  returned: always
  type: str
  sample: /
new_base:
  description: Where v2's subtrees live (C(/) and the new DB prefix).
  returned: always
  type: str
  sample: /
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_sync, zk_mirror
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule


def run(module):
    if not zk_mirror.HAS_KAZOO:
        module.fail(missing_required_lib('kazoo (python3-kazoo; contrail-issu-zk-sync needs it too)'))
    params = module.params
    if params['timeout'] < 1:
        module.fail('timeout must be at least 1 second, got %s' % params['timeout'])
    unknown = sorted(set(params['znodes']) - set(zk_mirror.ZNODES))
    if unknown or not params['znodes']:
        module.fail('znodes must be some of %s (what contrail-issu-zk-sync replaces, LP 1632799), '
                    'got %s' % (', '.join(zk_mirror.ZNODES), params['znodes']))
    return zk_mirror.mirror(issu_sync.read_conf(params['conf']), names=tuple(params['znodes']),
                            timeout=params['timeout'], check=module.check_mode)


def main():
    IssuModule(dict(
        conf=dict(type='path', default=issu_sync.DEFAULT_CONF),
        znodes=dict(type='list', elements='str', default=list(zk_mirror.ZNODES)),
        timeout=dict(type='int', default=30),
    )).run_and_exit(run)


if __name__ == '__main__':
    main()
