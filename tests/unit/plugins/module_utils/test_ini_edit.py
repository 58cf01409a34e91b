# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ini_edit: only the named keys change; comments, spacing, order and unknown lines survive."""

from __future__ import annotations

import os

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit

AGENT_32 = """\
# Provisioned by setup-vnc-compute
[CONTROL-NODE]

[DEFAULT]
; log settings
log_file=/var/log/contrail/contrail-vrouter-agent.log
log_level = SYS_NOTICE
#collectors=1.2.3.4:8086

[DISCOVERY]
server=10.0.0.10
max_control_nodes=2

[DNS]
"""


def test_untouched_text_round_trips_byte_for_byte():
    text, changed = ini_edit.apply_edits(AGENT_32, [])
    assert text == AGENT_32 and changed == []


def test_set_existing_key_keeps_its_spacing_and_comments():
    text, changed = ini_edit.apply_edits(AGENT_32, [('DEFAULT', 'log_level', 'SYS_DEBUG')])
    assert 'log_level = SYS_DEBUG\n' in text
    assert text.replace('SYS_DEBUG', 'SYS_NOTICE') == AGENT_32
    assert changed == [('DEFAULT', 'log_level')]


def test_set_new_key_goes_at_the_end_of_its_section_not_into_a_comment():
    text, _changed = ini_edit.apply_edits(AGENT_32, [('DEFAULT', 'collectors', '10.0.0.21:8086')])
    assert '#collectors=1.2.3.4:8086\ncollectors=10.0.0.21:8086\n\n[DISCOVERY]' in text
    assert ini_edit.IniDocument(text).get('DEFAULT', 'collectors') == '10.0.0.21:8086'


def test_set_in_empty_section_and_new_section():
    edits = [('CONTROL-NODE', 'servers', '10.0.0.21:5269'), ('DNS', 'servers', '10.0.0.21:53'),
             ('NEW', 'key', 'v')]
    text, _changed = ini_edit.apply_edits(AGENT_32, edits)
    assert text.startswith('# Provisioned by setup-vnc-compute\n[CONTROL-NODE]\n'
                           'servers=10.0.0.21:5269\n\n[DEFAULT]')
    assert text.endswith('[DNS]\nservers=10.0.0.21:53\n\n[NEW]\nkey=v\n')


def test_delete_removes_only_that_key_and_keeps_the_commented_one():
    text, changed = ini_edit.apply_edits(AGENT_32, [('DISCOVERY', 'server', None),
                                                    ('DEFAULT', 'collectors', None)])
    assert 'server=10.0.0.10' not in text and 'max_control_nodes=2' in text
    assert '#collectors=1.2.3.4:8086' in text
    assert changed == [('DISCOVERY', 'server')]


def test_set_then_delete_round_trip_restores_the_original():
    edited, _changed = ini_edit.apply_edits(AGENT_32, [('DEFAULT', 'collectors', 'x:8086')])
    restored, _changed = ini_edit.apply_edits(edited, [('DEFAULT', 'collectors', None)])
    assert restored == AGENT_32


def test_same_value_is_no_change_and_keys_compare_case_insensitively():
    text, changed = ini_edit.apply_edits(AGENT_32, [('DEFAULT', 'LOG_LEVEL', 'SYS_NOTICE')])
    assert text == AGENT_32 and changed == []


def test_duplicate_keys_collapse_to_the_last_one():
    text, _changed = ini_edit.apply_edits('[A]\nk=1\nk=2\n', [('A', 'k', '3')])
    assert text == '[A]\nk=3\n'


def test_file_without_trailing_newline_and_supervisor_program_sections():
    ini = '[program:contrail-vrouter-agent]\ncommand=/usr/bin/contrail-vrouter-agent\nautostart=true'
    section = 'program:contrail-vrouter-agent'
    edits = [(section, 'killasgroup', 'true'), (section, 'autostart', 'false')]
    text, _changed = ini_edit.apply_edits(ini, edits)
    assert text == ('[program:contrail-vrouter-agent]\ncommand=/usr/bin/contrail-vrouter-agent\n'
                    'autostart=false\nkillasgroup=true\n')


def test_edit_file_check_mode_writes_nothing_and_real_mode_keeps_mode(tmp_path):
    path = tmp_path / 'agent.conf'
    path.write_text(AGENT_32)
    os.chmod(path, 0o640)
    edits = [('DISCOVERY', 'server', '10.0.0.20')]
    preview = ini_edit.edit_file(str(path), edits, check_mode=True)
    assert preview['changed'] and path.read_text() == AGENT_32
    done = ini_edit.edit_file(str(path), edits)
    assert done['after'] == path.read_text() and 'server=10.0.0.20' in path.read_text()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert not ini_edit.edit_file(str(path), edits)['changed']


def test_write_atomic_keeps_the_mode_unless_told_and_leaves_no_temp_file(tmp_path):
    kept, forced, new = tmp_path / 'kept.conf', tmp_path / 'forced.json', tmp_path / 'new.conf'
    for path in (kept, forced):
        path.write_text('old\n')
        path.chmod(0o640)
    ini_edit.write_atomic(str(kept), 'text \u00e9\n')
    ini_edit.write_atomic(str(forced), b'{}', mode=0o600)
    ini_edit.write_atomic(str(new), 'new\n')
    assert kept.read_bytes() == 'text \u00e9\n'.encode('utf-8') and forced.read_bytes() == b'{}'
    assert [p.stat().st_mode & 0o777 for p in (kept, forced, new)] == [0o640, 0o600, 0o644]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['forced.json', 'kept.conf', 'new.conf']
