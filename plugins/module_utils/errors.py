# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's errors: :class:`IssuError`.

Every error a module_utils raises for a failure the operator can act on subclasses it, and
declares the structured field its failure carries beside ``msg`` (see :meth:`IssuError.fields`).
``module_base.IssuModule`` catches ``IssuError`` only, so it imports this file and not every
module_utils that defines an error: a module's AnsiballZ payload carries what it uses.
"""

from __future__ import annotations

__metaclass__ = type


class IssuError(Exception):
    """A failure the operator can act on; its text says what went wrong.

    A subclass with a structured field sets :attr:`result_key` and defines ``to_dict()``
    (the field's value), or overrides :meth:`fields`.
    """

    #: The result key of the error's structured field (``wait``, ``command``...); None: none.
    result_key = None

    def fields(self):
        """The result fields a failure from this error carries beside ``msg``."""
        if self.result_key is None:
            return {}
        return {self.result_key: self.to_dict()}  # pylint: disable=no-member
