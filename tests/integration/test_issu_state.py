"""issu_state driven through ansible-playbook on localhost: a real record file."""
import json

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def record(tmp_path):
    return str(tmp_path / 'issu' / 'state.json')


def test_phases_advance_and_refuse_out_of_order(run_module, record):
    result = run_module('issu_state', {'path': record, 'expect': ['new'], 'phase': 'starting'})
    assert result['changed'] and result['phase'] == 'starting' and result['previous_phase'] == 'new'

    again = run_module('issu_state', {'path': record, 'expect': ['new', 'starting'], 'phase': 'starting'})
    assert not again['changed'], 'the same transition twice must change nothing'

    refused = run_module('issu_state', {'path': record, 'phase': 'finalizing'})
    assert refused['failed']
    assert "phase 'starting' and cannot move to 'finalizing'" in refused['msg']
    assert 'playbooks/issu_start.yml' in refused['msg']

    wrong_step = run_module('issu_state', {'path': record, 'expect': ['started']})
    assert wrong_step['failed'] and 'playbooks/issu_start.yml' in wrong_step['msg']
    assert json.load(open(record))['phase'] == 'starting'


def test_check_mode_writes_nothing(run_module, record):
    result = run_module('issu_state', {'path': record, 'phase': 'starting'}, check=True)
    assert result['changed'] and result['phase'] == 'starting'
    import os
    assert not os.path.exists(os.path.dirname(record)), 'check mode created files'


def test_hosts_and_freeze_windows_with_diff(run_module, record):
    run_module('issu_state', {'path': record, 'phase': 'starting'})
    frozen = run_module('issu_state', {'path': record, 'northbound': 'frozen', 'note': 'pre-sync'})
    assert frozen['changed'] and frozen['record']['northbound']['state'] == 'frozen'
    opened = run_module('issu_state', {'path': record, 'northbound': 'open', 'note': 'pre-sync'})
    window = opened['record']['northbound']['windows'][0]
    assert window['frozen_at'] <= window['opened_at'] and window['note'] == 'pre-sync'

    host = {'path': record, 'hosts': {'compute1': {'status': 'v2', 'version': '4.0.3.0-62'}}}
    first = run_module('issu_state', host)
    assert first['changed'] and first['record']['hosts']['compute1']['status'] == 'v2'
    assert not run_module('issu_state', host)['changed']

    shown = run_module('issu_state', dict(host, hosts={'compute1': {'status': 'v1'}}), diff=True, raw=True)
    lines = [l[0] + l[1:].strip() for l in shown.splitlines() if l[:1] in '+-' and '"status"' in l]
    # The host's status goes v2 -> v1, and its history gains a v1 entry.
    assert '-"status": "v2",' in lines and '+"status": "v1",' in lines, lines
    assert '+"status": "v1"' in lines, lines


def test_a_computes_write_reads_and_writes_its_own_entry_only(run_module, record, tmp_path):
    run_module('issu_state', {'path': record, 'phase': 'starting'})
    run_module('issu_state', {'path': record, 'hosts': dict(
        ('compute%d' % i, {'status': 'v1', 'version': '3.2.14.0-37'}) for i in range(1, 4))})
    on_disk = json.load(open(record))
    entries = tmp_path / 'issu' / 'state.json.hosts' / on_disk['hosts_id']
    assert on_disk['hosts'] == {} and sorted(p.name for p in entries.iterdir()) == [
        'compute1.json', 'compute2.json', 'compute3.json']
    untouched = dict((p.name, p.stat().st_mtime_ns) for p in entries.iterdir())
    main = (tmp_path / 'issu' / 'state.json').stat().st_mtime_ns

    one = run_module('issu_state', {'path': record, 'hosts': {'compute2': {'status': 'upgrading'}}})
    assert one['changed'] and list(one['record']['hosts']) == ['compute2']
    assert (tmp_path / 'issu' / 'state.json').stat().st_mtime_ns == main, "the record's file was rewritten"
    assert dict((p.name, p.stat().st_mtime_ns) for p in entries.iterdir() if p.name != 'compute2.json') == dict(
        (name, mtime) for name, mtime in untouched.items() if name != 'compute2.json')

    whole = run_module('issu_state', {'path': record})['record']
    assert sorted(whole['hosts']) == ['compute1', 'compute2', 'compute3']
    # with anything else in the call the record is read and returned whole
    frozen = run_module('issu_state', {'path': record, 'northbound': 'frozen',
                                       'hosts': {'compute1': {'status': 'upgrading'}}})
    assert frozen['changed'] and sorted(frozen['record']['hosts']) == ['compute1', 'compute2', 'compute3']
    assert whole['hosts']['compute2']['status'] == 'upgrading' and whole['hosts']['compute3']['status'] == 'v1'


def test_bad_host_status_is_refused_before_writing(run_module, record):
    result = run_module('issu_state', {'path': record, 'hosts': {'c1': {'status': 'halfway'}}})
    assert result['failed'] and 'hosts.c1.status' in result['msg']
    import os
    assert not os.path.exists(record)


def test_operations_answer_from_the_phase_table(run_module, record):
    refused = run_module('issu_state', {'path': record, 'operation': 'finalize'})
    assert refused['failed'] and "but it is in phase 'new'" in refused['msg']
    assert 'playbooks/issu_start.yml' in refused['msg']

    began = run_module('issu_state', {'path': record, 'operation': 'start', 'advance': 'begin'})
    assert began['changed'] and began['phase'] == 'starting'
    assert began['operation']['began'] and began['operation']['to_do']
    resumed = run_module('issu_state', {'path': record, 'operation': 'start', 'advance': 'begin'})
    assert not resumed['changed'] and resumed['operation']['resuming']
    run_module('issu_state', {'path': record, 'operation': 'start', 'advance': 'complete'})
    again = run_module('issu_state', {'path': record, 'operation': 'start'})
    assert again['phase'] == 'started' and not again['operation']['to_do']

    checked = run_module('issu_state', {'path': record, 'operation': 'finalize', 'advance': 'begin'},
                         check=True)
    assert checked['changed'] and checked['phase'] == 'finalizing'
    assert json.load(open(record))['phase'] == 'started', 'check mode wrote the record'

    run_module('issu_state', {'path': record, 'operation': 'finalize', 'advance': 'begin'})
    wrong = run_module('issu_state', {'path': record, 'operation': 'finalize', 'step': 'synched'})
    assert wrong['failed'] and 'not a milestone of finalize' in wrong['msg']
    early = run_module('issu_state', {'path': record, 'operation': 'finalize', 'step': 'switched'})
    assert early['failed'] and 'switched cannot be recorded before synced' in early['msg']
    synced = run_module('issu_state', {'path': record, 'operation': 'finalize', 'step': 'synced'})
    assert synced['operation']['behind'] == ['synced'] and not synced['operation']['northbound_may_open']
    assert synced['irreversible']
    abort = run_module('issu_state', {'path': record, 'operation': 'abort', 'advance': 'begin'})
    assert abort['failed'] and "but it is in phase 'finalizing'" in abort['msg']
