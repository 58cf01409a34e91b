# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_compare against the lab's v1 and v2 config APIs."""

from __future__ import annotations

import os
import stat
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import PARENT, api, scratch_routers, v1_api, v2_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab


def test_a_cluster_equals_itself(run_module, v1_api):
    result = run_module('config_compare', {'v1': v1_api, 'v2': v1_api, 'fail_on_diff': True},
                        check=True)
    assert not result.get('failed') and not result['changed'], result.get('msg')
    assert result['equal'] and result['totals']['v1'] == result['totals']['v2'] > 0
    assert 'bgp-router' in result['types'] and 'virtual-network' in result['counts']


def test_an_object_only_in_v1_is_missing_and_gates(run_module, v1_api, v2_api, api,
                                                   scratch_routers):
    name = scratch_routers + 'only-v1'
    uuid = api['v1'].create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT + [name],
        'bgp_router_parameters': {'router_type': 'router', 'address': '10.99.0.207',
                                  'identifier': '10.99.0.207', 'autonomous_system': 65000}})
    args = {'v1': v1_api, 'v2': v2_api, 'types': ['bgp_router']}
    result = run_module('config_compare', args)
    assert not result.get('failed') and not result['equal']
    assert dict(type='bgp-router', uuid=uuid, fq_name=PARENT + [name]) in result['missing']
    counts = result['counts']['bgp-router']
    assert counts['v1'] - counts['missing'] == counts['v2'] - counts['extra']
    gate = run_module('config_compare', dict(args, fail_on_diff=True))
    assert gate['failed'] and 'configs differ' in gate['msg'] and 'missing in v2' in gate['msg']


def test_a_write_that_lands_while_compared_is_read_again_and_passes(
        run_module, v1_api, v2_api, api, lab):
    # What the start's gate meets with northbound open: an object in v1 that reaches v2 while
    # the comparison runs; its later passes re-read it (list-bulk by uuid) on both sides. A card
    # (parent config-root, none in a fresh lab) compares equal on both sides once both hold it.
    body = {'parent_type': 'config-root', 'fq_name': ['itest-h7-in-flight'],
            'uuid': '1d3c6a8e-0000-4000-8000-00000000f117'}
    uuid = api['v1'].create('card', body)
    landed = threading.Timer(4, lambda: api['v2'].create('card', body))
    landed.start()
    began = time.monotonic()
    try:
        result = run_module('config_compare', {'v1': v1_api, 'v2': v2_api, 'types': ['card'],
                                               'fail_on_diff': True, 'wait': True,
                                               'recheck': 'different', 'wait_timeout': 30,
                                               'wait_interval': 0.2})
    finally:
        landed.join()
        for side in api.values():
            side.delete('card', uuid)
    assert not result.get('failed') and result['equal'], result.get('msg')
    assert time.monotonic() - began > 4 and result['counts']['card'] == dict(
        v1=1, v2=1, missing=0, extra=0, different=0)


def test_unreachable_api_is_a_clear_error(run_module, v1_api):
    result = run_module('config_compare', {
        'v1': v1_api, 'v2': dict(v1_api, api_server_port=1, api_retries=0)})
    assert result['failed'] and 'cannot connect' in result['msg']


def test_save_v1_keeps_the_dump_config_backup_writes_and_verifies(run_module, v1_api, tmp_path,
                                                                  scratch_routers):
    types = ['bgp-router', 'virtual-network', 'global-system-config', 'project']
    (tmp_path / 'compare').mkdir()
    (tmp_path / 'backup').mkdir()
    saved, dumped = tmp_path / 'compare' / 'v1.json', tmp_path / 'backup' / 'v1.json'
    args = {'v1': v1_api, 'v2': v1_api, 'types': types, 'fail_on_diff': True,
            'save_v1': str(saved)}
    check = run_module('config_compare', args, check=True)
    assert not check.get('failed') and check['changed'] and check['saved_v1']['saved'], check
    assert not saved.exists()
    first = run_module('config_compare', args)
    assert not first.get('failed') and first['equal'] and first['changed'], first.get('msg')
    assert first['saved_v1']['saved'] and first['saved_v1']['objects'] == first['totals']['v1']
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    verified = run_module('config_backup', dict(v1_api, path=str(saved), mode='verify'))
    assert not verified.get('failed') and verified['equal'], verified.get('msg')
    assert verified['sha256'] == first['saved_v1']['sha256']
    # config_backup's own dump of the same config: the same bytes and checksum line
    backup = run_module('config_backup', dict(v1_api, path=str(dumped), types=types))
    assert backup['sha256'] == first['saved_v1']['sha256']
    assert dumped.read_bytes() == saved.read_bytes()
    assert (tmp_path / 'backup' / 'v1.json.sha256').read_text() == \
        (tmp_path / 'compare' / 'v1.json.sha256').read_text()
    again = run_module('config_compare', args)
    assert not again.get('failed') and not again['changed'] and not again['saved_v1']['changed']
