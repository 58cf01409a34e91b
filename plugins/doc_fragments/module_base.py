# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """What every module built on ``IssuModule`` (plugins/module_utils/module_base.py) shares:
    its authors, check mode (each module says what it does in it), the POSIX platform (each
    module says where it runs) and the shape of its failures."""

    DOCUMENTATION = r'''
options: {}
author:
  - opencontrail.issu developers (@opencontrail-issu)
attributes:
  check_mode:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - A failed result has C(msg), what went wrong, and by the error also C(wait) when a wait timed
    out (what was waited for, for how long, how many checks, what was seen last), C(command)
    when a package or service command failed (the command, its exit code and its last output
    lines), C(gave_up) when the service manager gave up on a daemon (which, its state and why),
    and C(status) when the config API answered with an error (its HTTP status, null when it did
    not answer).
'''
