# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the ISSU sync module tests: modules run by ansible-playbook ON a lab node.

The sync modules must run on the v2 controller itself: ``lab_run`` is ``run_module``
(tests/conftest.py) on a host of the lab inventory, lab-v2-ctrl1 unless told.
``lab`` comes from lab/pytest_lab.py (root conftest.py); REST set-up and checks use h7's
``lab_fixtures.Api`` (standard library only, independent of the code under test).
"""

from __future__ import annotations

import os
import sys
import uuid as uuidlib

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import V1, V2, Api  # noqa: E402

V1_API, V2_API = Api(V1), Api(V2)


@pytest.fixture
def lab_run(lab, run_module):
    """``lab_run(module, args, host='lab-v2-ctrl1', **run_module options)``: the lab is up."""
    def run(name, args, host='lab-v2-ctrl1', **kwargs):
        return run_module(name, args, host=host, **kwargs)
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
