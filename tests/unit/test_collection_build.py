# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built collection (`ansible-galaxy collection build`, galaxy.yml build_ignore) holds what a
user of the collection runs, and its docs point only at what it holds.

* every top-level entry of the tarball is one of ``SHIPPED``: no lab, molecule scenarios,
  tests, benchmarks, tools, CI or linter settings; ``inventories/`` holds the example only;
* in every shipped Markdown doc, a local link (``[text](path)``, from the doc's directory) and a
  path written as inline code (``docs/awx.md``, ``inventories/example/``, from the collection's
  root) resolves inside the tarball when it names
  something under a shipped top-level entry; one that names a development path of the source
  repository (``lab/DESIGN.md``, ``benchmarks/freeze.py``) must exist there (a stale name is an
  error too); none leaves the collection (``../shared/...``).
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {'MANIFEST.json', 'FILES.json', 'COPYING', 'README.md', 'changelogs', 'docs',
           'inventories', 'meta', 'playbooks', 'plugins', 'roles'}
#: Paths of the source repository that must never be in the tarball.
DEVELOPMENT = ('lab', 'molecule', 'tests', 'benchmarks', 'tools', '.ci', 'requirements',
               'Makefile', 'pytest.ini', 'conftest.py', 'inventories/lab')

FENCE = re.compile(r'^```.*?^```', re.M | re.S)
LINK = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)')
CODE = re.compile(r'`([^`\s]+)`')


def _ansible_galaxy():
    beside = Path(sys.executable).parent / 'ansible-galaxy'
    return str(beside) if beside.exists() else shutil.which('ansible-galaxy')


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """(member names without trailing '/', {doc name: text}) of a fresh build of this checkout."""
    out = tmp_path_factory.mktemp('dist')
    proc = subprocess.run([_ansible_galaxy(), 'collection', 'build', '--force', '--output-path',
                           str(out), str(ROOT)], capture_output=True, text=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob('*.tar.gz')
    with tarfile.open(path) as tar:
        names = {member.name.rstrip('/') for member in tar.getmembers()}
        docs = {member.name: tar.extractfile(member).read().decode()
                for member in tar.getmembers() if member.isfile() and member.name.endswith('.md')}
    return names, docs


def source_files():
    proc = subprocess.run(['git', 'ls-files'], cwd=str(ROOT), capture_output=True, text=True,
                          check=True)
    return set(proc.stdout.split())


def exists(path, names):
    """``path`` (a file, a directory, or a glob) is one of ``names`` or a directory of them."""
    path = path.rstrip('/')
    if any(char in path for char in '*?['):
        return any(fnmatch.fnmatch(name, path) for name in names)
    return path in names or any(name.startswith(path + '/') for name in names)


def local_references(doc, text):
    """(reference as written, path relative to the collection root) of ``doc``'s local paths."""
    text = FENCE.sub('', text)
    found = []
    for _label, target in LINK.findall(text):
        if re.match(r'[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
            continue
        found.append((target, posixpath.normpath(posixpath.join(posixpath.dirname(doc),
                                                                target.split('#')[0]))))
    # A link's text names its target: a path there is checked as the target is (or not, for a URL).
    for token in CODE.findall(LINK.sub('', text)):
        if '/' not in token or token.startswith(('/', '~', '$', '-')) or re.search(r'[<>{}=:]', token):
            continue
        found.append((token, posixpath.normpath(token)))   # written from the collection's root
    return found


def doc_problems(docs, names, source):
    """What is wrong with the local paths of ``docs`` ({name: text}) in a tarball holding
    ``names``, built from a source repository holding ``source``."""
    top_source = {name.split('/')[0] for name in source}
    top_shipped = {name.split('/')[0] for name in names}
    problems = []
    for doc, text in sorted(docs.items()):
        for written, path in local_references(doc, text):
            first = path.split('/')[0]
            if path == '..' or path.startswith('../'):
                problems.append('%s: %s is outside the collection' % (doc, written))
            elif first in top_shipped:
                if not exists(path, names):
                    problems.append('%s: %s is not in the built collection' % (doc, written))
            elif first in top_source and not exists(path, source):
                problems.append('%s: %s is in neither the collection nor its source repository'
                                % (doc, written))
    return problems


def test_the_tarball_holds_only_what_a_user_runs(tarball):
    names = tarball[0]
    assert {name.split('/')[0] for name in names} <= SHIPPED
    shipped_dev = sorted(name for name in names for dev in DEVELOPMENT
                         if fnmatch.fnmatch(name, dev) or fnmatch.fnmatch(name, dev + '/*'))
    assert not shipped_dev, 'development paths in the built collection: %s' % shipped_dev
    inventories = {name for name in names if name.startswith('inventories/')}
    assert inventories and all(name.startswith('inventories/example') for name in inventories)
    for needed in ('README.md', 'docs/procedure.md', 'playbooks/issu_start.yml',
                   'roles/state/meta/argument_specs.yml', 'plugins/modules/issu_state.py',
                   'inventories/example/hosts.yml', 'meta/runtime.yml'):
        assert needed in names


def test_every_local_path_a_doc_names_resolves(tarball):
    names, docs = tarball
    assert 'README.md' in docs and 'docs/procedure.md' in docs
    problems = doc_problems(docs, names, source_files())
    assert not problems, '\n'.join(problems)


NAMES = {'README.md', 'docs', 'docs/awx.md', 'playbooks', 'playbooks/issu_start.yml',
         'inventories', 'inventories/example', 'inventories/example/hosts.yml'}
SOURCE = {'README.md', 'docs/awx.md', 'playbooks/issu_start.yml', 'inventories/example/hosts.yml',
          'inventories/lab/hosts.yml', 'lab/DESIGN.md', 'benchmarks/freeze.py'}


@pytest.mark.parametrize('doc, text, problem', [
    ('docs/awx.md', 'see `../shared/reference/x.md`', 'outside the collection'),
    ('docs/awx.md', 'see [it](../../shared/x.md)', 'outside the collection'),
    ('README.md', 'see `docs/nothing.md`', 'not in the built collection'),
    ('README.md', 'see [awx](docs/nothing.md)', 'not in the built collection'),
    ('README.md', 'see `inventories/lab/hosts.yml`', 'not in the built collection'),
    ('README.md', 'see `benchmarks/gone.py`', 'neither the collection nor its source'),
])
def test_a_doc_naming_a_path_the_user_lacks_is_a_problem(doc, text, problem):
    (found,) = doc_problems({doc: text}, NAMES, SOURCE)
    assert problem in found


def test_paths_in_the_collection_or_the_source_repository_are_fine():
    text = ('[awx](awx.md), [readme](../README.md), `docs/awx.md`, `playbooks/*.yml`, '
            '`inventories/example/`, `lab/DESIGN.md`, `benchmarks/freeze.py`, '
            '`fabfile/tasks/issu_process.py`')
    assert doc_problems({'docs/procedure.md': text, 'README.md': '[awx](docs/awx.md)'},
                        NAMES, SOURCE) == []


def test_urls_fences_and_host_paths_are_not_local_references():
    text = ('[repo](https://example.org/x/y) `/etc/contrail/contrail-api.conf` '
            '[`inventories/lab/`](https://example.org/tree/main/inventories/lab)\n'
            '```\nansible-playbook -i inventories/<site> playbooks/issu_abort.yml\n```\n'
            '`lab/labctl up --tls` `docs/awx.md`')
    assert local_references('README.md', text) == [('docs/awx.md', 'docs/awx.md')]
