# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A copy of the collection in which some modules are test stand-ins, for the tests that run the
roles' own tasks (blocks, rescues, loops, delegation, the state record) with ansible-playbook on
this machine, where a module would otherwise need a real compute.

``collection_with(tmp_path, {module: source})`` -> the ANSIBLE_COLLECTIONS_PATH of a tree whose
``ansible_collections/opencontrail/issu`` links every part of this checkout except those modules.
``HEAD`` starts a stand-in's source: the stand-ins keep their world in files under ``WORLD``
(``log()`` appends to WORLD/calls.log).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAD = '''#!/usr/bin/python
# -*- coding: utf-8 -*-
# A test stand-in (tests/integration), never shipped.
from __future__ import absolute_import, division, print_function
__metaclass__ = type
import json
import os
import subprocess
from ansible.module_utils.basic import AnsibleModule
WORLD = %(world)r


def log(line):
    with open(os.path.join(WORLD, 'calls.log'), 'a') as handle:
        handle.write(line + '\\n')
'''


#: issu_state as the final sync's record write sees it: logs ``record <steps>`` and answers that
#: the milestones synced and switched are behind.
#: issu_final_sync: logs its options, fails when the world holds ``fail-final``, else logs the
#: milestones it dates (``record synced,switched``) and returns the state record's answer.
FINAL_SYNC = '''
module = AnsibleModule(dict((name, dict(type='raw')) for name in (
    'conf', 'zk_sync', 'timeout', 'verify', 'url', 'state_path', 'state_steps')))
log('final sync %s' % json.dumps(module.params, sort_keys=True))
if os.path.exists(os.path.join(WORLD, 'fail-final')):
    module.fail_json(msg='final sync stand-in fails as told')
log('record %s' % ','.join(module.params['state_steps'] or []))
module.exit_json(changed=True, state=dict(operation=dict(behind=module.params['state_steps'])))
'''


def collection_with(tmp_path, stand_ins, world):
    """The collections path of a copy of the collection with ``stand_ins`` ({module: source
    after HEAD}) instead of those modules; ``world`` is the stand-ins' directory."""
    root = tmp_path / 'collections'
    collection = root / 'ansible_collections' / 'opencontrail' / 'issu'
    (collection / 'plugins' / 'modules').mkdir(parents=True)
    for name in ('galaxy.yml', 'meta', 'roles'):
        (collection / name).symlink_to(ROOT / name)
    for part in (ROOT / 'plugins').iterdir():
        if part.name != 'modules':
            (collection / 'plugins' / part.name).symlink_to(part)
    unknown = set(stand_ins) - {module.stem for module in (ROOT / 'plugins' / 'modules').glob('*.py')}
    assert not unknown, 'no such module: %s' % sorted(unknown)
    for module in (ROOT / 'plugins' / 'modules').iterdir():
        target = collection / 'plugins' / 'modules' / module.name
        if module.stem in stand_ins:
            target.write_text(HEAD % {'world': str(world)} + stand_ins[module.stem])
        else:
            target.symlink_to(module)
    return str(root)


def calls(world):
    """The lines the stand-ins logged, in order."""
    log = Path(world) / 'calls.log'
    return log.read_text().splitlines() if log.exists() else []
