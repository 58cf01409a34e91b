# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrail_status_info on the lab's nodes (3.2 compute, 4.0 controller with held services)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us
from compute_fixtures import run_on  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab


def test_compute_status(lab, run_on):
    result = run_on('lab-compute2', 'contrail_status_info', {})
    assert not result.get('failed'), result.get('msg')
    assert result['sections'][0]['name'] == 'vrouter'
    assert result['sections'][0]['init_service']['name'] == 'supervisor-vrouter'
    assert 'contrail-vrouter-agent' in result['services']


def test_v2_controller_held_services(lab, run_on):
    held = ['contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager']
    result = run_on('lab-v2-ctrl1', 'contrail_status_info', {'expected_inactive': held})
    assert not result.get('failed'), result.get('msg')
    assert {'control', 'config'} <= set(s['name'] for s in result['sections'])
    assert set(result['held']) <= set(held)
    assert all(p['service'] not in held for p in result['problems'])
