# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared poller: returns the value, backs off, reports the last value or error."""

from __future__ import annotations

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout, wait_argument_spec, wait_for,
)


class FakeClock:
    """Time that only moves when the poller sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def test_returns_the_first_value_that_satisfies_until():
    clock = FakeClock()
    values = iter([3, 2, 1, 0])
    result = wait_for(lambda: next(values), timeout=10, interval=1, until=lambda v: v == 0,
                      clock=clock, sleep=clock.sleep)
    assert result == 0
    assert clock.sleeps == [0.05, 0.1, 0.2]


def test_backoff_is_capped_at_interval_and_never_passes_the_deadline():
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as info:
        wait_for(lambda: 'busy', timeout=2, interval=0.5, describe='the thing',
                 until=lambda v: False, clock=clock, sleep=clock.sleep)
    assert clock.sleeps[:5] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert max(clock.sleeps) == 0.5
    assert clock.now == pytest.approx(2.0)
    exc = info.value
    assert exc.last_value == 'busy'
    assert exc.attempts == len(clock.sleeps) + 1
    assert "waiting for the thing; last seen: 'busy'" in str(exc)
    assert exc.to_dict()['last_value'] == 'busy'


def test_zero_timeout_checks_exactly_once():
    clock = FakeClock()
    calls = []
    with pytest.raises(WaitTimeout):
        wait_for(lambda: calls.append(1), timeout=0, clock=clock, sleep=clock.sleep)
    assert calls == [1]
    assert clock.sleeps == []


def test_retryable_errors_are_remembered_and_reported():
    clock = FakeClock()
    attempts = iter([ConnectionRefusedError('refused'), ConnectionRefusedError('still'), 'up'])

    def probe():
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    assert wait_for(probe, timeout=5, retry_on=(OSError,), clock=clock,
                    sleep=clock.sleep) == 'up'

    with pytest.raises(WaitTimeout) as info:
        wait_for(lambda: 1 / 0, timeout=1, retry_on=(ZeroDivisionError,), clock=clock,
                 sleep=clock.sleep)
    assert 'last error: division by zero' in str(info.value)
    assert info.value.to_dict()['last_error'] == 'division by zero'


def test_other_errors_propagate():
    clock = FakeClock()
    with pytest.raises(KeyError):
        wait_for(lambda: {}['x'], timeout=5, retry_on=(OSError,), clock=clock,
                 sleep=clock.sleep)


def test_wait_argument_spec_matches_the_doc_fragment_defaults():
    spec = wait_argument_spec()
    assert spec == dict(wait=dict(type='bool', default=False),
                        wait_timeout=dict(type='int', default=120),
                        wait_interval=dict(type='float', default=1.0))
