# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalisation, digests and comparison of config snapshots (no API needed)."""

from __future__ import annotations

import copy

from ansible_collections.opencontrail.issu.plugins.module_utils import config_compare as cc
from ansible_collections.opencontrail.issu.plugins.module_utils.vnc_client import VncError


def vn(uuid, name, host='10.0.0.1', **extra):
    obj = {'uuid': uuid, 'fq_name': ['default-domain', 'admin', name], 'name': name,
           'href': 'http://%s:8082/virtual-network/%s' % (host, uuid),
           'parent_href': 'http://%s:8082/project/p' % host, 'parent_uuid': 'p',
           'parent_type': 'project',
           'id_perms': {'enable': True, 'created': '2017-01-01T00:00:00',
                        'last_modified': '2017-01-01T00:00:00', 'description': None},
           'perms2': {'owner': 'cloud-admin', 'owner_access': 7, 'global_access': 0,
                      'share': []},
           'network_ipam_refs': [
               {'to': ['d', 'p', 'ipam1'], 'uuid': 'i1', 'attr': {'x': 1},
                'href': 'http://%s:8082/network-ipam/i1' % host},
               {'to': ['d', 'p', 'ipam2'], 'uuid': 'i2', 'attr': None,
                'href': 'http://%s:8082/network-ipam/i2' % host}]}
    obj.update(extra)
    return obj


def release_40(obj):
    """The same object as a 4.0 server on another host lists it: refs without href,
    new properties reported as null, timestamps rewritten by a replayed update."""
    obj = copy.deepcopy(obj)
    obj['href'] = obj['href'].replace('10.0.0.1', '10.0.0.2')
    obj['parent_href'] = obj['parent_href'].replace('10.0.0.1', '10.0.0.2')
    obj['network_ipam_refs'] = [dict((k, v) for k, v in r.items() if k != 'href')
                                for r in reversed(obj['network_ipam_refs'])]
    obj['id_perms']['last_modified'] = '2018-05-05T10:00:00.123456'
    obj['new_in_40'] = None
    return obj


def test_legitimate_differences_are_ignored():
    a = vn('u1', 'vn1')
    assert cc.digest(cc.normalize(a)) == cc.digest(cc.normalize(release_40(a)))


def test_real_differences_are_detected():
    a = vn('u1', 'vn1')
    for change in ({'perms2': dict(a['perms2'], global_access=5)},
                   {'network_ipam_refs': a['network_ipam_refs'][:1]},
                   {'display_name': 'other'},
                   {'id_perms': dict(a['id_perms'], enable=False)}):
        b = dict(release_40(a), **change)
        assert cc.digest(cc.normalize(a)) != cc.digest(cc.normalize(b)), change


def test_ignore_fields_takes_top_level_and_dotted_paths():
    a = vn('u1', 'vn1')
    b = dict(a, display_name='x', id_perms=dict(a['id_perms'], description='y'))
    assert cc.normalize(a, ['display_name', 'id_perms.description']) == \
        cc.normalize(b, ['display_name', 'id_perms.description'])
    assert 'display_name' in b  # the input is not modified


def test_compare_reports_missing_extra_different_with_counts_and_cap():
    left = {'virtual-network': [vn('u%d' % i, 'vn%d' % i) for i in range(5)],
            'project': []}
    right_vns = [release_40(o) for o in left['virtual-network'][1:]]
    right_vns[0]['display_name'] = 'changed'
    right_vns.append(vn('x1', 'extra1'))
    right_vns.append(vn('x2', 'extra2'))
    result = cc.compare_snapshots(left, {'virtual-network': right_vns}, max_items=1)
    assert result.counts == {'virtual-network': dict(v1=5, v2=6, missing=1, extra=2,
                                                     different=1)}
    assert result.totals == dict(v1=5, v2=6, missing=1, extra=2, different=1)
    assert result.missing == [dict(type='virtual-network', uuid='u0',
                                   fq_name=['default-domain', 'admin', 'vn0'])]
    assert len(result.extra) == 1  # capped, the count stays complete
    assert result.different[0]['fields'] == ['display_name']
    assert not result.equal
    assert result.summary().startswith('5 objects in v1, 6 in v2: 1 missing in v2')


def test_equal_snapshots_and_unserved_types_count_as_empty():
    snap = {'virtual-network': [vn('u1', 'vn1')], 'card': None}
    result = cc.compare_snapshots(snap, {'virtual-network': [release_40(vn('u1', 'vn1'))]})
    assert result.equal and 'card' not in result.counts
    assert cc.unserved_types(snap) == ['card']


def test_collection_types_come_from_homepage_collection_links():
    homepage = {'links': [
        {'link': {'rel': 'root', 'name': 'config-root', 'href': 'h', 'method': None}},
        {'link': {'rel': 'collection', 'name': 'virtual-network', 'href': 'h', 'method': None}},
        {'link': {'rel': 'resource-base', 'name': 'virtual-network', 'href': 'h',
                  'method': None}},
        {'link': {'rel': 'collection', 'name': 'bgp-router', 'href': 'h', 'method': None}}]}
    assert cc.collection_types(homepage) == ['bgp-router', 'virtual-network']


class ListingClient:
    """Serves detail lists from a dict; unknown types answer 404 like the API."""

    def __init__(self, objects):
        self.objects = objects
        self.listed = []

    def homepage(self):
        return {'links': [{'link': {'rel': 'collection', 'name': t}} for t in self.objects]}

    def list(self, obj_type, detail=False, exclude_hrefs=False):
        self.listed.append((obj_type, detail, exclude_hrefs))
        if obj_type not in self.objects:
            raise VncError("Resource type '%s' not found" % obj_type, status=404)
        return self.objects[obj_type]


def test_fetch_reads_one_detail_list_per_type_and_marks_unserved_types():
    client = ListingClient({'virtual-network': [vn('u1', 'vn1')], 'project': []})
    types = cc.select_types(client, None, ['project'])
    assert types == ['virtual-network']
    snapshot = cc.fetch_snapshot(client, types + ['card'], workers=4)
    assert snapshot == {'virtual-network': [vn('u1', 'vn1')], 'card': None}
    assert sorted(client.listed) == [('card', True, True), ('virtual-network', True, True)]


def test_fetch_raises_other_errors():
    class Broken(ListingClient):
        def list(self, obj_type, detail=False, exclude_hrefs=False):
            raise VncError('cannot connect', status=None)
    try:
        cc.fetch_snapshot(Broken({}), ['virtual-network'])
    except VncError as exc:
        assert 'cannot connect' in str(exc)
    else:
        raise AssertionError('no error raised')


def test_v2_startup_objects_are_allowed_extra_but_nothing_else():
    from ansible_collections.opencontrail.issu.plugins.module_utils.config_compare import compare_snapshots
    ri = {'uuid': 'u-ri', 'fq_name': ['default-domain', 'default-project', 'ip-fabric', 'ip-fabric']}
    other = {'uuid': 'u-x', 'fq_name': ['default-domain', 'default-project', 'ip-fabric', 'other']}
    allowed = compare_snapshots({'routing-instance': []}, {'routing-instance': [ri]})
    assert allowed.equal and allowed.as_dict()['allowed_extra'][0]['uuid'] == 'u-ri'
    strict = compare_snapshots({'routing-instance': []}, {'routing-instance': [ri]}, allow_extra=())
    assert not strict.equal and strict.totals['extra'] == 1
    assert not compare_snapshots({'routing-instance': []}, {'routing-instance': [ri, other]}).equal


class BulkClient(ListingClient):
    """ListingClient with ``list_bulk`` by uuid; ``racy`` answers 404 to a bulk read that names
    a uuid it does not hold (an object deleted between the API's list and its read)."""

    def __init__(self, objects, racy=False):
        super().__init__(objects)
        self.racy = racy
        self.bulk = []

    def list_bulk(self, obj_type, detail=False, obj_uuids=None, exclude_hrefs=False):
        self.bulk.append((obj_type, tuple(obj_uuids), detail, exclude_hrefs))
        held = dict((o['uuid'], o) for o in self.objects.get(obj_type, []))
        if self.racy and set(obj_uuids) - set(held):
            raise VncError('No virtual-network object found for id %s' % obj_uuids[0], status=404)
        return [held[u] for u in obj_uuids if u in held]


def test_a_second_pass_rereads_only_what_differed_and_judges_it_as_it_is_now():
    v1 = BulkClient({'virtual-network': [vn('u1', 'vn1'), vn('u2', 'vn2'), vn('u3', 'vn3')]})
    v2 = BulkClient({'virtual-network': [vn('u1', 'vn1'), vn('u3', 'vn3', display_name='x'),
                                         vn('u4', 'vn4')]})
    first = cc.fetch_snapshots([v1, v2], ['virtual-network'])
    result = cc.compare_snapshots(*first)
    assert result.pending == {'virtual-network': {'u2', 'u3', 'u4'}} and not result.equal
    # The writes in flight land: u2 reaches v2, u3's update reaches v2, u4 goes from v2 too,
    # and u1 changes on v1 after it was found equal (a later write; not this pass's business).
    v2.objects['virtual-network'] = [vn('u1', 'vn1'), vn('u2', 'vn2'), vn('u3', 'vn3')]
    v1.objects['virtual-network'] = [vn('u1', 'vn1', display_name='later'), vn('u2', 'vn2'),
                                     vn('u3', 'vn3')]
    second = cc.refresh_snapshots([v1, v2], first, result.pending)
    assert [c.bulk for c in (v1, v2)] == [[('virtual-network', ('u2', 'u3', 'u4'), True, True)]] * 2
    again = cc.compare_snapshots(*second)
    assert again.equal and again.pending == {} and again.totals['v1'] == 3
    assert first[0]['virtual-network'][0] == vn('u1', 'vn1')      # the snapshots are copies


def test_a_reread_that_races_a_delete_reads_the_objects_one_by_one():
    v1 = BulkClient({'virtual-network': [vn('u1', 'vn1')]}, racy=True)
    assert cc.reread(v1, 'virtual-network', {'u1', 'u9'}) == [vn('u1', 'vn1')]
    assert v1.bulk[0] == ('virtual-network', ('u1', 'u9'), True, True)
    assert sorted(v1.bulk[1:]) == [('virtual-network', ('u1',), True, True),
                                   ('virtual-network', ('u9',), True, True)]


def test_a_side_that_does_not_serve_a_type_keeps_it_unserved():
    v1 = BulkClient({'virtual-network': [vn('u1', 'vn1')]})
    v2 = BulkClient({})
    first = cc.fetch_snapshots([v1, v2], ['virtual-network'])
    result = cc.compare_snapshots(*first)
    second = cc.refresh_snapshots([v1, v2], first, result.pending)
    assert second[1] == {'virtual-network': None} and v2.bulk == []
    assert cc.compare_snapshots(*second).pending == {'virtual-network': {'u1'}}
