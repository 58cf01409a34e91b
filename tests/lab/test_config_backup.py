# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_backup against the lab's v1 config API."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lab_fixtures.py is beside us
from lab_fixtures import PARENT, api, scratch_routers, v1_api  # noqa: E402,F401 pylint: disable=unused-import

pytestmark = pytest.mark.lab

TYPES = ['bgp-router', 'virtual-network', 'global-system-config', 'project']


def test_dump_is_atomic_private_checksummed_and_idempotent(
        run_module, v1_api, tmp_path, scratch_routers):
    tmp_path = tmp_path / 'backup'
    tmp_path.mkdir()
    path = tmp_path / 'v1.json'
    args = dict(v1_api, path=str(path), types=TYPES)
    check = run_module('config_backup', args, check=True)
    assert check['changed'] and not path.exists()
    first = run_module('config_backup', args)
    assert first['changed'] and first['objects'] > 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / 'v1.json.sha256').stat().st_mode) == 0o600
    assert subprocess.run(['sha256sum', '-c', 'v1.json.sha256'], cwd=tmp_path,
                          capture_output=True, check=False).returncode == 0
    doc = json.loads(path.read_text())
    assert sorted(doc['types']) == sorted(TYPES)
    assert sum(len(v) for v in doc['types'].values()) == first['objects']
    assert sorted(os.listdir(tmp_path)) == ['v1.json', 'v1.json.sha256']   # no temp left
    again = run_module('config_backup', args)
    assert not again['changed'] and again['sha256'] == first['sha256']


def test_verify_detects_changes_and_tampering(run_module, v1_api, api, tmp_path,
                                              scratch_routers):
    path = tmp_path / 'v1.json'
    args = dict(v1_api, path=str(path), types=TYPES)
    run_module('config_backup', args)
    ok = run_module('config_backup', dict(args, mode='verify'))
    assert not ok.get('failed') and ok['equal'], ok
    uuid = api['v1'].create('bgp-router', {
        'parent_type': 'routing-instance', 'fq_name': PARENT + [scratch_routers + 'new'],
        'bgp_router_parameters': {'router_type': 'router', 'address': '10.99.0.206',
                                  'identifier': '10.99.0.206', 'autonomous_system': 65000}})
    changed = run_module('config_backup', dict(args, mode='verify'))
    assert changed['failed'] and 'differs' in changed['msg']
    assert [e['uuid'] for e in changed['extra']] == [uuid]
    path.write_text(path.read_text().replace('"global-system-config"', '"global-system-confiG"'))
    tampered = run_module('config_backup', dict(args, mode='verify'))
    assert tampered['failed'] and 'checksum mismatch' in tampered['msg']


def test_bad_path_and_unreachable_api_fail_clearly(run_module, v1_api, tmp_path):
    missing_dir = run_module('config_backup', dict(v1_api, path=str(tmp_path / 'no' / 'x.json'),
                                                   types=['project']))
    assert missing_dir['failed'] and 'does not exist' in missing_dir['msg']
    down = run_module('config_backup', dict(v1_api, api_server_port=1, api_retries=0,
                                            path=str(tmp_path / 'x.json')))
    assert down['failed'] and 'cannot connect' in down['msg']
    assert not (tmp_path / 'x.json').exists()
