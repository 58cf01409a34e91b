# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch specification of the compute phases (``issu_serial``): its default, how a text
answer reads (AWX survey, ``-e issu_serial=...``), and which specifications are valid.

Shared by the ``issu_serial`` and ``serial_batches`` filters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import yaml

from ansible.errors import AnsibleFilterError

#: A canary of one compute, then 25% of them at a time, then the rest.
DEFAULT_SERIAL = (1, '25%', '100%')

EXAMPLE = '[1, "25%", "100%"] (or 1,25%,100%)'
_WHOLE = re.compile(r'^[0-9]+$')


def batch_size(item, hosts):
    """The size of the batch ``item`` gives for ``hosts`` hosts.

    Ansible's own rule (ansible.utils.helpers.pct_to_int): a whole-number percentage is
    int(pct / 100 * hosts), at least 1. Ansible turns 0 or a negative size into "all hosts at
    once", which for a rolling upgrade is never what was meant, so those are refused here."""
    text = str(item).strip()
    try:
        if text.endswith('%'):
            pct = int(text[:-1])
            if not 0 < pct <= 100:
                raise ValueError
            return int((pct / 100.0) * hosts) or 1
        value = int(text)
        if value <= 0:
            raise ValueError
        return value
    except ValueError:
        raise AnsibleFilterError(
            'invalid batch size %r: use a positive integer or a whole percentage from 1%% to 100%%, '
            'for example %s' % (item, EXAMPLE))


def items(spec):
    """The batch sizes of a specification (an integer, a percentage or a non-empty list of
    them), each checked; fails naming the first bad one."""
    if isinstance(spec, bool) or spec is None or spec == []:
        raise AnsibleFilterError('invalid batch specification %r: give an integer, a percentage or '
                                 'a list of them, for example %s' % (spec, EXAMPLE))
    listed = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    for item in listed:
        batch_size(item, 1)
    return listed


def _scalar(text):
    text = text.strip()
    return int(text) if _WHOLE.match(text) else text


def parse(text):
    """A specification given as text, as an AWX survey or ``-e issu_serial=...`` gives it: a
    YAML/JSON list (``[1, "25%", "100%"]``), comma-separated sizes (``1,25%,100%``) or one size
    (``2``, ``25%``). Blank text means no specification (None). Whole numbers become integers."""
    text = text.strip()
    if not text:
        return None
    if text.startswith('['):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise AnsibleFilterError('invalid batch specification %r: it starts like a list but does not '
                                     'read as one (%s); write it as %s'
                                     % (text, getattr(exc, 'problem', None) or 'not YAML', EXAMPLE))
        if not isinstance(value, list):
            raise AnsibleFilterError('invalid batch specification %r: not a list; write it as %s'
                                     % (text, EXAMPLE))
        return [_scalar(item) if isinstance(item, str) else item for item in value]
    if ',' in text:
        return [_scalar(item) for item in text.split(',')]
    return _scalar(text)
