# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_actions: run_checked, the typed actions and carry_out, against a fake runner."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import service_actions as sa


class Runner:
    """Answers each command with the next scripted (rc, out, err); records commands and env."""

    def __init__(self, *answers):
        self.answers, self.calls, self.envs = list(answers), [], []

    def __call__(self, args, environ_update=None):
        self.calls.append(list(args))
        self.envs.append(environ_update)
        return self.answers.pop(0) if self.answers else (0, '', '')


def test_run_checked_returns_the_answer_under_lc_all_c():
    runner = Runner((0, 'out\n', ''))
    assert sa.run_checked(runner, ['contrail-status', '-t', 2.0]) == (0, 'out\n', '')
    assert runner.calls == [['contrail-status', '-t', '2.0']]
    assert runner.envs == [{'LC_ALL': 'C'}]


def test_run_checked_raises_with_rc_and_output():
    runner = Runner((100, 'partial\n', 'E: Failed to fetch\n'))
    with pytest.raises(sa.ServiceError) as info:
        sa.run_checked(runner, ['apt-get', 'update'])
    exc = info.value
    assert str(exc) == 'apt-get update failed (rc=100): E: Failed to fetch'
    assert (exc.cmd, exc.rc, exc.stdout, exc.stderr) == ('apt-get update', 100, 'partial\n',
                                                         'E: Failed to fetch\n')
    assert exc.output == 'partial\nE: Failed to fetch\n'
    assert exc.to_dict()['output_lines'] == ['partial', 'E: Failed to fetch']


def test_run_checked_quotes_stdout_when_stderr_is_empty_and_only_its_tail():
    with pytest.raises(sa.ServiceError) as info:
        sa.run_checked(Runner((1, 'x' * 1000 + 'the end', '')), ['cmd'])
    assert str(info.value).endswith('x' * (sa.MESSAGE_TAIL - 7) + 'the end')
    assert len(info.value.output) == 1007


def test_run_checked_ok_codes_and_failure_predicate():
    assert sa.run_checked(Runner((3, 'inactive\n', '')), ['systemctl', 'is-active', 'x'],
                          ok_codes=(0, 3))[0] == 3
    assert sa.run_checked(Runner((4, '', '')), ['pidof', 'x'], ok_codes=None)[0] == 4
    with pytest.raises(sa.ServiceError, match='ERROR'):
        sa.run_checked(Runner((0, 'x: ERROR (no such process)\n', '')), ['supervisorctl'],
                       failure=lambda rc, out, err: 'ERROR' in out)


def test_command_describes_itself_and_runs_checked():
    runner = Runner((0, '', ''), (1, '', 'boom'))
    action = sa.Command(runner, ['service', 'supervisor', 'start'], starts=True)
    assert action.describe() == 'service supervisor start' and action.starts
    assert sa.Command(runner, ['x'], text='start it').describe() == 'start it'
    action.run()
    with pytest.raises(sa.ServiceError, match='boom'):
        action.run()
    assert runner.calls == [['service', 'supervisor', 'start']] * 2


def test_write_and_remove_file(tmp_path):
    path = str(tmp_path / 'a.ini')
    write = sa.WriteFile(path, '', '[a]\nx=1\n', verb='edit')
    assert write.changes and write.describe() == 'edit %s' % path and not write.starts
    assert write.diff == dict(before_header=path, after_header=path, before='', after='[a]\nx=1\n')
    assert not sa.WriteFile(path, 'same', 'same').changes
    write.run()
    assert open(path).read() == '[a]\nx=1\n'
    remove = sa.RemoveFile(path)
    assert remove.describe() == 'remove %s' % path and remove.diff is None
    remove.run()
    remove.run()                                   # already gone is what was asked
    assert not (tmp_path / 'a.ini').exists()


class Client:
    """A service manager client: how it reads a verb, and what it was asked to do."""

    def __init__(self):
        self.done = []

    def describe(self, verb, *names):
        return ' '.join(['ctl', verb] + list(names))

    def act(self, verb, *names):
        self.done.append((verb,) + names)


@pytest.mark.parametrize('verb, starts', [('start', True), ('restart', True), ('update', True),
                                          ('stop', False), ('enable', False), ('reread', False)])
def test_service_action_goes_through_its_client(verb, starts):
    client = Client()
    action = sa.ServiceAction(client, verb, 'a', 'b')
    assert action.describe() == 'ctl %s a b' % verb and action.starts is starts
    action.run()
    assert client.done == [(verb, 'a', 'b')]


def test_carry_out_runs_in_order_and_nothing_in_check_mode(tmp_path):
    client, path = Client(), str(tmp_path / 'f')
    actions = [sa.WriteFile(path, '', 'x'), sa.ServiceAction(client, 'reread'),
               sa.ServiceAction(client, 'update', 'p')]
    plan = ['write %s' % path, 'ctl reread', 'ctl update p']
    assert sa.carry_out(actions, check_mode=True) == plan
    assert client.done == [] and not (tmp_path / 'f').exists()
    assert sa.carry_out(actions) == plan == sa.describe_all(actions)
    assert client.done == [('reread',), ('update', 'p')] and open(path).read() == 'x'
    assert sa.diffs_of(actions) == [actions[0].diff]


def test_carry_out_stops_at_the_first_failure():
    client = Client()
    failing = sa.Command(Runner((2, '', 'no')), ['false'])
    with pytest.raises(sa.ServiceError, match='false failed'):
        sa.carry_out([sa.ServiceAction(client, 'stop', 'a'), failing,
                      sa.ServiceAction(client, 'start', 'b')])
    assert client.done == [('stop', 'a')]
