# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role entry point the playbooks and roles enter has an argument spec (issue 10).

Ansible validates an entry point's variables only when the role's meta/argument_specs.yml has
an entry for it; an entry point without one runs with whatever it is given, unchecked and
undocumented. So each ``include_role`` / ``import_role`` of playbooks/*.yml and
roles/*/tasks/*.yml (``tasks_from: X`` or ``X.yml``; none is ``main``) and each role a play
lists must name a role of this collection (``opencontrail.issu.<role>``), a task file it has,
and an entry point of its argument specs.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE_KEYS = ('ansible.builtin.include_role', 'ansible.builtin.import_role', 'include_role', 'import_role')
PREFIX = 'opencontrail.issu.'


def entries(node, found=None):
    """[(role name as written, entry point)] of every role the YAML data enters."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key in ROLE_KEYS:
            if isinstance(node.get(key), dict):
                entry = str(node[key].get('tasks_from', 'main'))
                found.append((node[key].get('name'), entry[:-len('.yml')] if entry.endswith('.yml') else entry))
        roles = node.get('roles')
        for role in roles if isinstance(roles, list) else []:
            found.append((role.get('role', role.get('name')) if isinstance(role, dict) else role, 'main'))
        for value in node.values():
            entries(value, found)
    elif isinstance(node, list):
        for item in node:
            entries(item, found)
    return found


def sources(root):
    return sorted(list(root.glob('playbooks/*.yml')) + list(root.glob('roles/*/tasks/*.yml')))


def problems(root):
    """What is wrong with the role entry points the playbooks and roles of ``root`` enter."""
    found = []
    for path in sources(root):
        where = path.relative_to(root)
        for name, entry in entries(yaml.safe_load(path.read_text())):
            if not isinstance(name, str) or not name.startswith(PREFIX):
                found.append('%s: role %r is not named %s<role>' % (where, name, PREFIX))
                continue
            role = root / 'roles' / name[len(PREFIX):]
            if not (role / 'tasks' / ('%s.yml' % entry)).is_file():
                found.append('%s: %s has no tasks/%s.yml' % (where, name, entry))
            specs_file = role / 'meta' / 'argument_specs.yml'
            specs = yaml.safe_load(specs_file.read_text())['argument_specs'] if specs_file.is_file() else {}
            if entry not in specs:
                found.append('%s: %s enters %s, which meta/argument_specs.yml does not list'
                             % (where, name, entry))
    return found


def test_every_entry_point_entered_has_an_argument_spec():
    assert sources(ROOT) and any(entries(yaml.safe_load(p.read_text())) for p in sources(ROOT))
    assert not problems(ROOT), '\n'.join(problems(ROOT))


@pytest.mark.parametrize('tasks_from', ['stop', 'stop.yml'])
def test_the_check_finds_an_entry_point_without_a_spec(tmp_path, tasks_from):
    (tmp_path / 'playbooks').mkdir()
    (tmp_path / 'playbooks' / 'p.yml').write_text(yaml.safe_dump([{'hosts': 'all', 'tasks': [
        {'name': 'Stop', 'ansible.builtin.include_role': {'name': 'opencontrail.issu.r', 'tasks_from': tasks_from}},
        {'name': 'Go', 'ansible.builtin.import_role': {'name': 'opencontrail.issu.r', 'tasks_from': 'go.yml'}},
        {'name': 'Bare', 'ansible.builtin.include_role': {'name': 'r', 'tasks_from': 'go'}}]}]))
    (tmp_path / 'roles' / 'r' / 'tasks').mkdir(parents=True)
    (tmp_path / 'roles' / 'r' / 'meta').mkdir()
    for name in ('stop', 'go'):
        (tmp_path / 'roles' / 'r' / 'tasks' / ('%s.yml' % name)).write_text('[]\n')
    specs = {'argument_specs': {'go': {'short_description': 'Go', 'options': {}}}}
    (tmp_path / 'roles' / 'r' / 'meta' / 'argument_specs.yml').write_text(yaml.safe_dump(specs))
    assert problems(tmp_path) == [
        'playbooks/p.yml: opencontrail.issu.r enters stop, which meta/argument_specs.yml does not list',
        "playbooks/p.yml: role 'r' is not named opencontrail.issu.<role>"]
