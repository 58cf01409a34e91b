# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/lab: the collection's modules and phase guards against the rehearsal lab.

``collections_path`` and ``run_module`` come from tests/conftest.py, ``lab`` from
lab/pytest_lab.py (root conftest.py); the lab-specific helpers are the ``*_fixtures.py``
modules beside the tests. Every test here needs the lab: it carries the ``lab`` marker
(``make lab-test`` selects it, ``-m "not lab"`` leaves it out) even if its module forgot it.
"""
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents and not item.get_closest_marker('lab'):
            item.add_marker(pytest.mark.lab)
