# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse ``contrail-status`` output of Contrail 3.2 and 4.0 into per-service states.

Formats (wire-formats reference §6): an optional ``vRouter is NOT PRESENT`` / ``vRouter is
PRESENT`` line, then sections ``== Contrail <Name> ==``. In a section, a line whose name ends
with ``:`` is an init service (``supervisor-vrouter:           active``), a systemd unit
(4.0 xenial: ``contrail-vrouter-agent:       active``) or an init.d service
(``contrail-database:``); other lines are supervisorctl programs printed as
``'{0:<30}{1:<20}'``. A state is a word (active, inactive, initializing, failed, backup,
timeout) optionally followed by `` (<description>)`` and/or `` (disabled on boot)``.
A trailing ``========Run time service failures=============`` block lists core files.
"""

from __future__ import annotations

__metaclass__ = type

import re

SECTION_RE = re.compile(r'^==\s*(?P<title>.*?)\s*==\s*$')
PRESENCE_RE = re.compile(r'^vRouter is (?P<not>NOT )?PRESENT\s*$')
FAILURES_HEADER = '========Run time service failures============='
DISABLED_ON_BOOT = '(disabled on boot)'
#: States that count as healthy unless the caller says otherwise: ``backup`` is the normal
#: state of a non-master schema transformer / svc-monitor / device-manager.
DEFAULT_HEALTHY_STATES = ('active', 'backup')


def _section_key(title):
    """'Contrail vRouter' -> 'vrouter', 'Contrail Web UI' -> 'web_ui'."""
    words = title.split()
    if words and words[0] == 'Contrail':
        words = words[1:]
    return '_'.join(words).lower()


def parse_state(text):
    """'initializing (No Configuration for self)' -> dict(state, description, boot_disabled)."""
    text = text.strip()
    boot_disabled = text.endswith(DISABLED_ON_BOOT)
    if boot_disabled:
        text = text[:-len(DISABLED_ON_BOOT)].rstrip()
    state, _sep, rest = text.partition(' ')
    rest = rest.strip()
    description = rest[1:-1] if rest.startswith('(') and rest.endswith(')') else (rest or None)
    return dict(state=state or 'unknown', description=description or None,
                boot_disabled=boot_disabled)


def _service_line(line):
    """(name, is_colon_form, state dict) of one line of a section, or None."""
    stripped = line.strip()
    if not stripped:
        return None
    match = re.match(r'^(?P<name>\S+?)(?P<colon>:)?(?:\s+(?P<state>.*))?$', stripped)
    if not match:
        return None
    return match.group('name'), bool(match.group('colon')), parse_state(match.group('state') or '')


def parse(text):
    """Whole output -> dict(vrouter_present, sections, services, core_files).

    ``sections`` is a list (output order) of dict(name, title, init_service, services);
    ``services`` maps every service name (init services included) to its state dict plus
    the ``section`` it came from.
    """
    result = dict(vrouter_present=None, sections=[], services={}, core_files=[])
    section, in_failures = None, False
    for line in (text or '').splitlines():
        if line.strip() == FAILURES_HEADER:
            in_failures = True
            continue
        if in_failures:
            if line.strip():
                result['core_files'].append(line.strip())
            continue
        presence = PRESENCE_RE.match(line.strip())
        if presence:
            result['vrouter_present'] = not presence.group('not')
            continue
        header = SECTION_RE.match(line.strip())
        if header:
            section = dict(name=_section_key(header.group('title')), title=header.group('title'),
                           init_service=None, services={})
            result['sections'].append(section)
            continue
        parsed = _service_line(line)
        if parsed is None or section is None:
            continue
        _add_service(result, section, *parsed)
    return result


def _add_service(result, section, name, colon, state):
    entry = dict(state, section=section['name'])
    if colon and name.startswith('supervisor-'):
        section['init_service'] = dict(state, name=name)
    else:
        section['services'][name] = state
    result['services'][name] = entry


def health(parsed, expected_inactive=(), healthy_states=DEFAULT_HEALTHY_STATES,
           require_vrouter=None):
    """dict(healthy, problems, held): services not in a healthy state are problems, except
    those listed in ``expected_inactive`` (e.g. v2 schema/svc-monitor/device-manager held
    stopped during ISSU), which are reported under ``held`` with their state.

    A program name matches an expected entry with or without supervisor's ``:N`` suffix.
    ``require_vrouter`` (default: when a vRouter section is present) makes
    ``vRouter is NOT PRESENT`` a problem.
    """
    expected = set(expected_inactive)
    problems, held = [], {}
    for name, entry in sorted(parsed['services'].items()):
        if name in expected or name.split(':')[0] in expected:
            held[name] = entry['state']
            continue
        if entry['state'] not in healthy_states:
            problems.append(dict(service=name, section=entry['section'], state=entry['state'],
                                 description=entry['description']))
    if require_vrouter is None:
        require_vrouter = any(s['name'] == 'vrouter' for s in parsed['sections'])
    if require_vrouter and parsed['vrouter_present'] is False:
        problems.insert(0, dict(service='vrouter kernel module', section='vrouter',
                                state='not present', description='vRouter is NOT PRESENT'))
    if not parsed['sections']:
        problems.append(dict(service='contrail-status', section=None, state='no output',
                             description='no section in the contrail-status output'))
    return dict(healthy=not problems, problems=problems, held=held)
