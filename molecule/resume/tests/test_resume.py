"""After the compute phase was killed mid-batch and run again: every compute on v2. After a
finalize failed past its point of no return and was run again: finalized, northbound on v2."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402


def test_every_compute_on_v2_after_the_resumed_run():
    record = L.state_record()
    for name in L.COMPUTES:
        L.assert_compute_on(name, L.V2_VERSION, L.V2_CTRL)
        assert record['hosts'][name]['status'] == 'v2'


def test_the_killed_host_was_finished_not_redone():
    record = L.state_record()
    for name in L.COMPUTES:
        statuses = [h['status'] for h in record['hosts'][name]['history']]
        assert statuses == ['upgrading', 'v2'], (name, statuses)


def test_the_resumed_finalize_completed_through_its_milestones():
    record = L.state_record()
    assert record['phase'] == 'finalized'
    assert sorted(record['steps']) == ['switched', 'synced']
    # The resumed run switched northbound while v1 stopped and dated both in one write.
    assert record['steps']['synced'] == record['steps']['switched']
    # The freeze of the failed run lasted until the resumed run opened northbound: one window.
    assert [w['note'] for w in record['northbound']['windows']] == ['start', 'finalize']
    assert record['northbound']['state'] == 'open'
    api = L.haproxy_servers('contrail-api')
    assert api and all(addr.startswith(L.V2_CTRL + ':') and status == 'UP' for addr, status in api.values()), api
    phases = [h['phase'] for h in record['history']]
    assert phases[-2:] == ['finalizing', 'finalized'] and phases.count('finalizing') == 1
