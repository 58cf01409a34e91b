# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config dump file: written with its checksum, read back only when the checksum and the
format hold. Its two writers: tests/unit/plugins/modules/test_config_dump_writers.py."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import config_dump as cd

SNAPSHOT = {'virtual-network': [{'uuid': 'u2', 'fq_name': ['d', 'p', 'b']},
                                {'uuid': 'u1', 'fq_name': ['d', 'p', 'a']}],
            'project': [], 'card': None}


def test_a_saved_dump_loads_back_and_sha256sum_checks_it(tmp_path):
    path = str(tmp_path / 'v1.json')
    saved = cd.save_dump(path, SNAPSHOT, cd.api_server_label(
        dict(api_server_host='10.0.0.1', api_server_port=8082)))
    assert saved['changed'] and saved['counts'] == {'virtual-network': 2}
    doc, digest = cd.load_dump(path)
    assert digest == saved['sha256'] and doc['api_server'] == '10.0.0.1:8082'
    assert doc['types'] == {'project': [], 'virtual-network': [
        {'uuid': 'u1', 'fq_name': ['d', 'p', 'a']}, {'uuid': 'u2', 'fq_name': ['d', 'p', 'b']}]}
    assert subprocess.run(['sha256sum', '-c', 'v1.json.sha256'], cwd=str(tmp_path),
                          capture_output=True, check=False).returncode == 0
    assert not cd.save_dump(path, SNAPSHOT, '10.0.0.1:8082')['changed']
    assert cd.save_dump(path, SNAPSHOT, '10.0.0.1:18082')['changed']


def test_a_dump_that_cannot_be_trusted_is_refused(tmp_path):
    path = tmp_path / 'v1.json'
    with pytest.raises(cd.DumpError, match='no dump at'):
        cd.load_dump(str(path))
    cd.save_dump(str(path), SNAPSHOT, 'h:1')
    path.write_bytes(path.read_bytes().replace(b'"u1"', b'"u9"'))
    with pytest.raises(cd.DumpError, match='checksum mismatch for'):
        cd.load_dump(str(path))
    (tmp_path / 'v1.json.sha256').unlink()
    with pytest.raises(cd.DumpError, match='no checksum file'):
        cd.load_dump(str(path))
    other = json.dumps({'format': 'something/1'}).encode()
    cd.write_dump(str(path), other, hashlib.sha256(other).hexdigest())
    with pytest.raises(cd.DumpError, match='is not a dump of this module'):
        cd.load_dump(str(path))


def test_a_missing_directory_is_refused_before_writing(tmp_path):
    with pytest.raises(cd.DumpError, match='directory .*no does not exist'):
        cd.save_dump(str(tmp_path / 'no' / 'v1.json'), SNAPSHOT, 'h:1')
    assert cd.save_dump(str(tmp_path / 'no' / 'v1.json'), SNAPSHOT, 'h:1',
                        check_mode=True)['changed']
