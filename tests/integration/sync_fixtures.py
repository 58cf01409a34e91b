# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the ISSU sync module tests: modules run by ansible-playbook ON a lab node.

``run_module`` (conftest.py) runs on localhost; the sync modules must run on the v2 controller
itself, so ``lab_run`` uses the lab inventory (containers.podman.podman connection).
``lab`` comes from lab/pytest_lab.py (root conftest.py); REST set-up and checks use h7's
``lab_fixtures.Api`` (standard library only, independent of the code under test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid as uuidlib
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import V1, V2, Api  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
INVENTORY = REPO_ROOT / 'inventories' / 'lab'
V1_API, V2_API = Api(V1), Api(V2)


def _ansible_playbook():
    return str(Path(sys.executable).parent / 'ansible-playbook')


@pytest.fixture
def lab_run(lab, collections_path, tmp_path):
    """``lab_run(module, args, host='lab-v2-ctrl1', check=False, diff=False, raw=False)``."""
    counter = iter(range(1000))

    def run(name, args, host='lab-v2-ctrl1', check=False, diff=False, raw=False, timeout=300):
        playbook = tmp_path / ('sync%d.yml' % next(counter))
        task = {'name': 'module under test', 'opencontrail.issu.%s' % name: args}
        playbook.write_text(json.dumps([{'hosts': host, 'gather_facts': False,
                                         'tasks': [task]}]))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path,
                   CONTAINERS_CONF=lab.labctl.CONTAINERS_CONF,
                   ANSIBLE_STDOUT_CALLBACK='default' if raw else 'json', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_DEPRECATION_WARNINGS='0')
        cmd = [_ansible_playbook(), '-i', str(INVENTORY), str(playbook)]
        cmd += (['--check'] if check else []) + (['--diff'] if diff else [])
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if raw:
            return proc.stdout + proc.stderr
        try:
            output = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError('ansible-playbook did not print JSON:\n%s\n%s'
                                 % (proc.stdout, proc.stderr))
        return output['plays'][0]['tasks'][0]['hosts'][host]

    return run


@pytest.fixture
def v1_objects():
    """Create objects in v1's API; every one is deleted at the end of the test."""
    created, v1 = [], Api(V1)

    def create(obj_type, body):
        created.append((obj_type, v1.create(obj_type, body)))
        return created[-1][1]

    yield create
    for obj_type, obj_uuid in reversed(created):
        v1.delete(obj_type, obj_uuid)


def unique(prefix):
    return '%s-%s' % (prefix, uuidlib.uuid4().hex[:8])
