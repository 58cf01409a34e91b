# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module is built on IssuModule (module_utils/module_base.py), none on AnsibleModule
directly: they take their shared options, fail and show their diff the same way."""

from __future__ import annotations

import pathlib

import pytest

MODULES = pathlib.Path(__file__).resolve().parents[4] / 'plugins' / 'modules'
#: Documentation of an action plugin: it has no module code.
DOCS_ONLY = {'operator_prompt.py'}
BASE_IMPORT = 'from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule'


def module_files():
    return sorted(path.name for path in MODULES.glob('*.py')
                  if path.name != '__init__.py' and path.name not in DOCS_ONLY)


def test_the_modules_are_found():
    assert len(module_files()) >= 20 and 'haproxy_backend.py' in module_files()


@pytest.mark.parametrize('name', module_files())
def test_the_module_is_built_on_issu_module(name):
    text = (MODULES / name).read_text()
    assert 'AnsibleModule(' not in text, '%s builds an AnsibleModule itself' % name
    assert BASE_IMPORT in text and 'IssuModule(' in text, '%s does not use IssuModule' % name
    assert '- opencontrail.issu.module_base' in text, \
        "%s does not extend the opencontrail.issu.module_base doc fragment" % name
