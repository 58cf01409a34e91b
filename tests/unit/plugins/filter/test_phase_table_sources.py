# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters read the phase machine from its one table (issu_state.OPERATIONS, PHASES,
NO_RETURN, REVERSIBLE), not from copies of it (issue 10): no filter spells a phase of the
table, and what they derive from it is what they did when they spelled it."""

import ast
import os

import pytest

from ansible_collections.opencontrail.issu.plugins.filter import issu_plan, issu_report, issu_timeline_svg
from ansible_collections.opencontrail.issu.plugins.module_utils import issu_state

FILTERS = os.path.dirname(os.path.abspath(issu_report.__file__))


def phase_literals(path):
    """[(line, phase)] of every string constant of ``path`` that is a phase of the table."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in issu_state.PHASES]


@pytest.mark.parametrize('name', sorted(n for n in os.listdir(FILTERS) if n.endswith('.py')))
def test_no_filter_spells_a_phase_of_the_table(name):
    found = phase_literals(os.path.join(FILTERS, name))
    assert not found, '%s copies phases of issu_state.OPERATIONS (line, phase): %s' % (name, found)


def test_the_check_finds_a_phase_spelled(tmp_path):
    copy = tmp_path / 'copy.py'
    copy.write_text("UNDER_WAY = ('starting', 'finalizing')\nNOTE = 'finalizing later'\n")
    assert phase_literals(str(copy)) == [(1, 'starting'), (1, 'finalizing')]


def test_the_phase_spans_are_the_operations_that_move_the_phase():
    assert issu_report.PHASE_SPANS == (('starting', 'started', 'start'), ('finalizing', 'finalized', 'finalize'),
                                       ('aborting', 'aborted', 'abort'))


def test_past_the_point_of_no_return():
    assert issu_report.IRREVERSIBLE == ('finalizing', 'finalized')
    forced = {'hosts': {'c1': {'left_on_v1': True, 'status': 'v1'}}}
    for phase in issu_state.PHASES:
        header = issu_report.forced_lines(dict(forced, phase=phase))[0]
        assert ('WITHOUT A CONTROL PLANE' in header) == (phase in ('finalizing', 'finalized')), phase


def test_the_phases_under_way():
    assert issu_timeline_svg.RUNNING == ('starting', 'finalizing', 'aborting')
    for phase in issu_state.PHASES:
        assert issu_timeline_svg._under_way({'phase': phase}) == (phase in ('starting', 'finalizing', 'aborting'))


def test_the_milestones_are_the_tables():
    """The report's freeze-window milestones: the point of no return, then finalize's milestones
    in the table's order; the plan's finalize steps name only those (or 'resuming')."""
    finalize = issu_state.OPERATIONS['finalize']
    keys = [key for key in issu_report.MILESTONES if key[0] != 'window']
    assert keys == [('phase', issu_state.NO_RETURN)] + [('step', name) for name in finalize.milestones]
    named = set(step[3] for step in issu_plan.FINALIZE_STEPS) - {None, 'resuming'}
    assert named <= set(finalize.milestones), named


def test_the_plan_measures_start_and_finalize_from_the_table():
    history = [{'phase': 'starting', 'at': '2026-11-24T10:00:00.000000Z'},
               {'phase': 'started', 'at': '2026-11-24T10:00:30.000000Z'},
               {'phase': 'finalizing', 'at': '2026-11-24T10:05:00.000000Z'},
               {'phase': 'finalized', 'at': '2026-11-24T10:05:12.500000Z'}]
    figures = issu_plan.estimates({'phase': 'finalized', 'history': history})
    assert figures['start'] == {'seconds': 30.0, 'source': 'measured'}
    assert figures['finalize'] == {'seconds': 12.5, 'source': 'measured'}
