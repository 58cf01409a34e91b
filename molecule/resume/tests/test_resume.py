"""After the compute phase was killed mid-batch and run again: every compute on v2."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))

import labcheck as L  # noqa: E402


def test_every_compute_on_v2_after_the_resumed_run():
    record = L.state_record()
    assert record['phase'] == 'started'
    for name in L.COMPUTES:
        L.assert_compute_on(name, L.V2_VERSION, L.V2_CTRL)
        assert record['hosts'][name]['status'] == 'v2'


def test_the_killed_host_was_finished_not_redone():
    record = L.state_record()
    for name in L.COMPUTES:
        statuses = [h['status'] for h in record['hosts'][name]['history']]
        assert statuses == ['upgrading', 'v2'], (name, statuses)
