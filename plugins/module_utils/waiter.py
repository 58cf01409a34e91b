# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one poller of the collection.

Every wait (BGP peers Established, HAProxy sessions drained, a sync daemon running...)
goes through :func:`wait_for`, so all of them poll the same way and all of them fail
the same way: with a :class:`WaitTimeout` that carries what was seen last, which is
what an operator needs to decide what to do next.
"""

from __future__ import annotations

__metaclass__ = type

import time

from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import (
    wait_argument_spec,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

__all__ = ['WaitTimeout', 'wait_for', 'wait_argument_spec']

#: First pause between two polls. Small, because most conditions are already (almost)
#: true when a module starts waiting; the pause then doubles up to ``interval``.
INITIAL_INTERVAL = 0.05


class WaitTimeout(IssuError):
    """Raised when a condition did not become true in time; says what was last seen."""

    result_key = 'wait'

    def __init__(self, describe, timeout, attempts, last_value=None, last_error=None):
        self.describe = describe
        self.timeout = timeout
        self.attempts = attempts
        self.last_value = last_value
        self.last_error = last_error
        super(WaitTimeout, self).__init__(self._message())

    def _message(self):
        seen = 'last error: %s' % self.last_error if self.last_error is not None \
            else 'last seen: %r' % (self.last_value,)
        return 'timed out after %ss (%d checks) waiting for %s; %s' % (
            round(self.timeout, 1), self.attempts, self.describe, seen)

    def to_dict(self):
        """The facts a module puts in its fail_json result."""
        return dict(
            describe=self.describe,
            timeout=self.timeout,
            attempts=self.attempts,
            last_value=self.last_value,
            last_error=None if self.last_error is None else str(self.last_error),
        )


def wait_for(probe, timeout, interval=1.0, describe='condition', until=bool,
             retry_on=(Exception,), clock=time.monotonic, sleep=time.sleep):
    """Call ``probe()`` until ``until(value)`` is true; return that value.

    ``probe`` is called at least once, even with ``timeout`` 0, so "check once, no
    waiting" is ``timeout=0``. Exceptions listed in ``retry_on`` are remembered and
    polling goes on (a service that is restarting refuses connections for a while);
    others propagate. Pauses start at ``INITIAL_INTERVAL`` and double up to
    ``interval``, never sleeping past the deadline; the last check happens at the
    deadline. On timeout raise :class:`WaitTimeout` with the last value or error.
    """
    deadline = clock() + max(timeout, 0)
    pause = min(INITIAL_INTERVAL, interval)
    attempts = 0
    last_value = last_error = None
    while True:
        attempts += 1
        try:
            last_value, last_error = probe(), None
            if until(last_value):
                return last_value
        except retry_on as exc:  # pylint: disable=broad-except
            last_error = exc
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(describe, timeout, attempts, last_value, last_error)
        sleep(min(pause, remaining))
        pause = min(pause * 2, interval)
