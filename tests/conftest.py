# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the suites that run the collection's modules through ansible-playbook
(tests/integration: local services only; tests/lab: the rehearsal lab).

* ``collections_path``: an ``ansible_collections/opencontrail/issu`` tree pointing at this
  checkout ($ISSU_COLLECTIONS_PATH, or a symlink tree made in a temp dir);
* ``run_module``: runs one module task through ``ansible-playbook`` on localhost (or on a
  host of the lab inventory) and returns the task result (JSON callback), or the plain
  text output.

(The ``lab`` fixture comes from lab/pytest_lab.py, loaded by the root conftest.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


# -- ansible ---------------------------------------------------------------------------

@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """A directory holding ansible_collections/opencontrail/issu -> this checkout."""
    configured = os.environ.get('ISSU_COLLECTIONS_PATH')
    if configured and (Path(configured) / 'ansible_collections/opencontrail/issu').exists():
        return configured
    root = tmp_path_factory.mktemp('collections')
    link = root / 'ansible_collections' / 'opencontrail' / 'issu'
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(root)


def _ansible_playbook():
    beside = Path(sys.executable).parent / 'ansible-playbook'
    return str(beside) if beside.exists() else shutil.which('ansible-playbook')


#: The lab's inventory: its hosts are podman containers reached over SSH (Debian's
#: /usr/bin/python3), the way the playbooks reach them.
LAB_INVENTORY = REPO_ROOT / 'inventories' / 'lab'


def _target_args(host):
    """ansible-playbook arguments that reach ``host``: localhost with this Python, else a
    host of the lab inventory."""
    if host is None:
        return ['-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % sys.executable]
    return ['-i', str(LAB_INVENTORY)]


@pytest.fixture
def run_module(collections_path, tmp_path):
    """``run_module(name, args, check=False, diff=False, raw=False, timeout=None, host=None)``.

    Runs the module on localhost, or with ``host`` on that host of the lab inventory (its
    connection, podman exec, is slower: the default timeout is then 300 s instead of 120 s).
    Returns the task result dict (with ``failed``/``changed``), or with ``raw=True`` the
    process output of the default callback (to see what an operator sees with --diff).
    """
    counter = iter(range(1000))

    def run(name, args, check=False, diff=False, raw=False, timeout=None, host=None):
        target = host or 'localhost'
        playbook = tmp_path / ('play%d.yml' % next(counter))
        task = {'name': 'module under test', 'opencontrail.issu.%s' % name: args}
        playbook.write_text(json.dumps([{'hosts': target, 'gather_facts': False,
                                         'tasks': [task]}]))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path,
                   ANSIBLE_STDOUT_CALLBACK='default' if raw else 'json',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_DEPRECATION_WARNINGS='0',
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
        env.setdefault('CONTAINERS_CONF', str(REPO_ROOT / 'lab' / 'containers.conf'))
        cmd = [_ansible_playbook()] + _target_args(host) + [str(playbook)]
        cmd += ['--check'] if check else []
        cmd += ['--diff'] if diff else []
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                              timeout=timeout or (120 if host is None else 300))
        if raw:
            return proc.stdout + proc.stderr
        try:
            output = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError('ansible-playbook did not print JSON:\n%s\n%s'
                                 % (proc.stdout, proc.stderr))
        return output['plays'][0]['tasks'][0]['hosts'][target]

    return run
