# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two writers of a config dump, run as a task runs them (main(), options, check and diff
mode) against config APIs held in memory: config_backup (mode=dump) and config_compare
(save_v1, the v1 snapshot of its last comparison). Same snapshot, same bytes.
The modules against real config APIs: tests/lab/test_config_backup.py, test_config_compare.py.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.modules import config_backup as backup_module
from ansible_collections.opencontrail.issu.plugins.modules import config_compare as compare_module
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncError

V1 = dict(api_server_host='10.0.0.1')
V2 = dict(api_server_host='10.0.0.2')


def vn(uuid, name, **extra):
    return dict({'uuid': uuid, 'fq_name': ['default-domain', 'admin', name],
                 'parent_type': 'project'}, **extra)


#: v1's config as its API lists it: objects in no particular order, an empty type, a
#: non-ASCII value (the dump escapes it), and ``card``, which this API does not serve.
CONFIG = {
    'virtual-network': [
        vn('b2', 'vn-b', display_name='r\u00e9seau',
           network_ipam_refs=[{'to': ['d', 'p', 'i'], 'uuid': 'i1', 'attr': None}]),
        vn('a1', 'vn-a', id_perms={'enable': True})],
    'project': [],
}
TYPES = ['project', 'virtual-network', 'card']

#: What config_backup wrote for CONFIG from 10.0.0.1:8082 before config_compare could write a
#: dump too: the format both writers keep.
GOLDEN = (
    b'{"api_server":"10.0.0.1:8082","format":"opencontrail.issu.config_backup/1","types":'
    b'{"project":[],"virtual-network":[{"fq_name":["default-domain","admin","vn-a"],'
    b'"id_perms":{"enable":true},"parent_type":"project","uuid":"a1"},{"display_name":'
    b'"r\\u00e9seau","fq_name":["default-domain","admin","vn-b"],"network_ipam_refs":'
    b'[{"attr":null,"to":["d","p","i"],"uuid":"i1"}],"parent_type":"project","uuid":"b2"}]}}')


class Cluster:
    """A config API's detail lists: the n-th list of a type answers ``rounds[n]`` (the last
    one again once they run out), so a test can change the config between comparisons."""

    def __init__(self, *rounds):
        self.rounds = rounds
        self.listed = []

    def homepage(self):
        return {'links': [{'link': {'rel': 'collection', 'name': t}} for t in self.rounds[0]]}

    def list(self, obj_type, detail=False, exclude_hrefs=False):
        assert detail and exclude_hrefs
        index = min(sum(1 for t in self.listed if t == obj_type), len(self.rounds) - 1)
        self.listed.append(obj_type)
        objects = self.rounds[index]
        if obj_type not in objects:
            raise VncError("Resource type '%s' not found" % obj_type, status=404)
        return copy.deepcopy(objects[obj_type])


@pytest.fixture
def clusters(monkeypatch):
    """``{(host, port): Cluster}``, the APIs the modules' VncClient reaches."""
    served = {}

    class FakeVncClient:
        @classmethod
        def from_params(cls, params):
            return served[(params['api_server_host'], params['api_server_port'])]

    monkeypatch.setattr(backup_module, 'VncClient', FakeVncClient)
    monkeypatch.setattr(compare_module, 'VncClient', FakeVncClient)
    return served


def run(module, args, capsys, check=False, diff=True):
    """The module's JSON result, run through its main()."""
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)), \
            pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    result.pop('invocation', None)
    return result


def backup(path, capsys, check=False, **connection):
    return run(backup_module, dict(connection or V1, path=str(path), types=TYPES), capsys, check)


def compare(path, capsys, check=False, v1=None, **args):
    return run(compare_module, dict(dict(v1=v1 or V1, v2=V2, types=TYPES, save_v1=str(path)),
                                    **args), capsys, check)


def files(path):
    """The dump's bytes, its checksum file's text and both modes."""
    return (path.read_bytes(), open(str(path) + '.sha256').read(),
            stat.S_IMODE(path.stat().st_mode),
            stat.S_IMODE(os.stat(str(path) + '.sha256').st_mode))


@pytest.mark.parametrize('port', [None, 18082])
def test_both_modules_write_the_same_dump_of_the_same_snapshot(clusters, tmp_path, capsys, port):
    v1 = dict(V1, api_server_port=port) if port else V1
    clusters[('10.0.0.1', port or 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    (tmp_path / 'backup').mkdir()
    (tmp_path / 'compare').mkdir()
    by_backup, by_compare = tmp_path / 'backup' / 'v1.json', tmp_path / 'compare' / 'v1.json'

    dumped = backup(by_backup, capsys, **v1)
    compared = compare(by_compare, capsys, v1=v1, fail_on_diff=True)

    assert not dumped.get('failed') and not compared.get('failed'), (dumped, compared)
    assert compared['equal'] and compared['changed'] and dumped['changed']
    expected = GOLDEN.replace(b'10.0.0.1:8082', b'10.0.0.1:%d' % (port or 8082))
    digest = hashlib.sha256(expected).hexdigest()
    assert files(by_backup) == files(by_compare) == (expected, '%s  v1.json\n' % digest,
                                                     0o600, 0o600)
    assert compared['saved_v1'] == dict(path=str(by_compare), saved=True, changed=True,
                                        sha256=digest, objects=2)
    assert (dumped['sha256'], dumped['objects']) == (digest, 2)
    assert compared['diff'] == dict(before={}, after=dict(sha256=digest, checksum_file=digest,
                                                          objects=2))
    assert compared['diff'] == dumped['diff']


def test_check_mode_writes_nothing_and_says_what_it_would_then_it_is_idempotent(
        clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    path = tmp_path / 'v1.json'
    digest = hashlib.sha256(GOLDEN).hexdigest()

    would = compare(path, capsys, check=True)
    assert would['changed'] and would['saved_v1'] == dict(path=str(path), saved=True,
                                                          changed=True, sha256=digest, objects=2)
    assert would['diff']['after']['sha256'] == digest
    assert os.listdir(str(tmp_path)) == []

    first = compare(path, capsys)
    assert first['changed'] and first['saved_v1']['sha256'] == digest and first['comparisons'] == 1
    assert path.read_bytes() == GOLDEN

    written = os.stat(str(path)).st_ino
    for check in (False, True):
        again = compare(path, capsys, check=check)
        assert not again['changed'] and again['saved_v1'] == dict(first['saved_v1'],
                                                                  changed=False)
        assert again['diff']['before'] == dict(sha256=digest, checksum_file=digest)
    assert os.stat(str(path)).st_ino == written      # not rewritten
    assert sorted(os.listdir(str(tmp_path))) == ['v1.json', 'v1.json.sha256']


def test_a_file_of_the_other_writer_with_the_same_content_is_not_changed(
        clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    path = tmp_path / 'v1.json'
    assert backup(path, capsys)['changed']
    assert not compare(path, capsys)['changed']
    assert not backup(path, capsys)['changed']


def test_the_snapshot_of_the_last_comparison_is_saved_once_the_wait_ends(
        clusters, tmp_path, capsys):
    late = copy.deepcopy(CONFIG)
    late['virtual-network'].append(vn('c3', 'vn-c'))
    # v1 takes a last write while v2 is still catching up; both hold it at the next comparison.
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG, late)
    clusters[('10.0.0.2', 8082)] = Cluster(dict(CONFIG, **{'virtual-network': []}), late)
    path = tmp_path / 'v1.json'
    result = compare(path, capsys, wait=True, wait_timeout=10, wait_interval=0.01)
    assert result['equal'] and result['saved_v1']['saved'] and result['saved_v1']['objects'] == 3
    assert [o['uuid'] for o in json.loads(path.read_bytes())['types']['virtual-network']] == \
        ['a1', 'b2', 'c3']
    assert clusters[('10.0.0.1', 8082)].listed.count('virtual-network') == 2
    assert result['comparisons'] == 2


def test_nothing_is_saved_when_the_clusters_differ(clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(dict(CONFIG, **{'virtual-network': []}))
    path = tmp_path / 'v1.json'
    path.write_bytes(b'an older dump')

    result = compare(path, capsys)
    assert not result.get('failed') and not result['equal'] and not result['changed']
    assert result['saved_v1'] == dict(path=str(path), saved=False, changed=False)
    gate = compare(path, capsys, fail_on_diff=True)
    assert gate['failed'] and gate['msg'].startswith('configs differ: ')
    assert gate['saved_v1'] == dict(path=str(path), saved=False, changed=False)
    assert path.read_bytes() == b'an older dump' and os.listdir(str(tmp_path)) == ['v1.json']


def test_a_missing_directory_fails_before_any_read_except_in_check_mode(
        clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    path = tmp_path / 'no' / 'v1.json'
    result = compare(path, capsys)
    assert result['failed'] and result['msg'] == \
        'save_v1: directory %s does not exist' % (tmp_path / 'no')
    assert clusters[('10.0.0.1', 8082)].listed == []
    would = compare(path, capsys, check=True)
    assert not would.get('failed') and would['changed'] and would['saved_v1']['saved']


def test_config_backup_verifies_the_dump_config_compare_saved(clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    path = tmp_path / 'v1.json'
    compare(path, capsys)
    verified = run(backup_module, dict(V2, path=str(path), mode='verify'), capsys)
    assert not verified.get('failed') and verified['equal'] and verified['objects'] == 2


def test_without_save_v1_it_only_reads(clusters, tmp_path, capsys):
    clusters[('10.0.0.1', 8082)] = Cluster(CONFIG)
    clusters[('10.0.0.2', 8082)] = Cluster(CONFIG)
    result = run(compare_module, dict(v1=V1, v2=V2, types=TYPES), capsys)
    assert result['equal'] and not result['changed']
    assert 'saved_v1' not in result and 'diff' not in result


def test_recheck_different_reads_again_only_what_differed(clusters, tmp_path, capsys):
    # The start's gate, northbound open: a1 is in flight to v2; c3 is written to v1 after the
    # first read and is the sync's business, not this comparison's.
    late = copy.deepcopy(CONFIG)
    late['virtual-network'].append(vn('c3', 'vn-c'))
    behind = dict(CONFIG, **{'virtual-network': CONFIG['virtual-network'][:1]})    # b2 only
    v1, v2 = Cluster(CONFIG, late), Cluster(behind, CONFIG)
    for cluster in (v1, v2):
        cluster.bulk = []
        cluster.list_bulk = lambda obj_type, c=cluster, **kw: (
            c.bulk.append((obj_type, tuple(kw['obj_uuids']))) or
            [o for o in c.list(obj_type, detail=True, exclude_hrefs=True) if o['uuid'] in kw['obj_uuids']])
    clusters[('10.0.0.1', 8082)], clusters[('10.0.0.2', 8082)] = v1, v2
    result = compare(tmp_path / 'v1.json', capsys, wait=True, wait_timeout=10, wait_interval=0.01,
                     recheck='different', fail_on_diff=True)
    assert result['equal'] and result['totals']['v1'] == 2 and result['saved_v1']['objects'] == 2
    assert v1.bulk == v2.bulk == [('virtual-network', ('a1',))] and result['comparisons'] == 2


def test_recheck_different_fails_on_a_difference_that_stays(clusters, tmp_path, capsys):
    behind = dict(CONFIG, **{'virtual-network': CONFIG['virtual-network'][:1]})    # b2 only
    v1, v2 = Cluster(CONFIG), Cluster(behind)
    for cluster in (v1, v2):
        cluster.list_bulk = lambda obj_type, c=cluster, **kw: [
            o for o in c.list(obj_type, detail=True, exclude_hrefs=True) if o['uuid'] in kw['obj_uuids']]
    clusters[('10.0.0.1', 8082)], clusters[('10.0.0.2', 8082)] = v1, v2
    result = compare(tmp_path / 'v1.json', capsys, wait=True, wait_timeout=1, wait_interval=0.05,
                     recheck='different', fail_on_diff=True)
    assert result['failed'] and result['msg'] == 'configs differ: 2 objects in v1, 1 in v2: 1 missing in v2, ' \
        '0 extra in v2, 0 different'
    assert result['missing'] == [dict(type='virtual-network', uuid='a1', fq_name=['default-domain', 'admin', 'vn-a'])] \
        and v1.listed.count('virtual-network') > 2 and not (tmp_path / 'v1.json').exists()
