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
    """Mark every test here ``lab``; and run the tests that start the ISSU (fixture
    ``issu_started``, session-scoped: the ISSU stays started) after those that need it not
    started (the v2 services hold, the sync tools from scratch), whatever their file names."""
    here = [i for i, item in enumerate(items) if HERE in Path(str(item.fspath)).resolve().parents]
    for i in here:
        if not items[i].get_closest_marker('lab'):
            items[i].add_marker(pytest.mark.lab)
    ordered = sorted((items[i] for i in here), key=lambda item: 'issu_started' in item.fixturenames)
    for i, item in zip(here, ordered):
        items[i] = item
