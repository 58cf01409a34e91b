# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sample ISSU state records, as plugins/module_utils/issu_state.py and the roles write them, for
the report's tests (the timeline picture's unit tests and its renderer test)."""

T0 = '2026-11-24T10:00:00.000000Z'


def at(clock):
    """A record time on the sample day: at('10:01:05.5')."""
    return '2026-11-24T%s%sZ' % (clock, '' if '.' in clock else '.000000')


def phases(*entries):
    return [{'phase': phase, 'at': at(clock), 'note': None} for phase, clock in entries]


def history(*entries):
    return [{'status': status, 'at': at(clock)} for status, clock in entries]


def window(note, frozen, opened):
    return {'frozen_at': at(frozen), 'opened_at': at(opened), 'note': note}


def host(status, entries, version='4.0.3.0-62', **facts):
    entry = {'status': status, 'version': version, 'error': '', 'history': history(*entries),
             'updated_at': at(entries[-1][1]) if entries else None}
    entry.update(facts)
    return entry


#: A whole ISSU: start, three computes in two batches, finalize. 330 s from first to last event.
FULL = {
    'version': 1, 'phase': 'finalized',
    'history': phases(('starting', '10:00:00'), ('started', '10:00:42.5'), ('finalizing', '10:05:00'),
                      ('finalized', '10:05:30')),
    'steps': {'synced': at('10:05:06'), 'switched': at('10:05:07.5')},
    'marks': {},
    'northbound': {'state': 'open', 'since': None, 'windows': [
        window('start', '10:00:20', '10:00:23.25'), window('finalize', '10:04:58', '10:05:08')]},
    'hosts': {
        'compute1': host('v2', [('upgrading', '10:01:00'), ('v2', '10:01:15')], batch='compute1',
                         timings={'install': 5.0, 'conf': 0.1, 'prestop': 0.3, 'stop': 0.4, 'outage': 2.0,
                                  'running': 1.0}),
        'compute2': host('v2', [('upgrading', '10:02:00'), ('v2', '10:02:20')], batch='compute2',
                         timings={'install': 4.0, 'outage': 2.5}),
        'compute3': host('v2', [('upgrading', '10:02:00.5'), ('v2', '10:02:22')], batch='compute2',
                         timings={'install': 4.0, 'outage': 3.1}),
    },
}

#: Computes that failed: compute2's swap failed and the rescue rolled it back (failed, on v1);
#: compute3 did not answer its read (failed, untouched); compute1 went to v2 and the rollback
#: playbook took it back to v1.
ROLLBACK_AND_FAILURE = {
    'version': 1, 'phase': 'started',
    'history': phases(('starting', '10:00:00'), ('started', '10:00:40')),
    'steps': {}, 'marks': {},
    'northbound': {'state': 'open', 'since': None, 'windows': [window('start', '10:00:10', '10:00:12')]},
    'hosts': {
        'compute1': host('v1', [('upgrading', '10:01:00'), ('v2', '10:01:20'), ('rolling_back', '10:03:00'),
                                ('v1', '10:03:30')], version='3.2.14.0-37', batch='compute1',
                         timings={'install': 3.0, 'outage': 1.5}),
        'compute2': host('failed', [('upgrading', '10:02:00'), ('rolling_back', '10:02:30'), ('failed', '10:02:45')],
                         version='3.2.14.0-37', error='swap failed at xmpp_up: <no XMPP> & gone \x1b[0m'),
        'compute3': host('failed', [('failed', '10:02:00')], version=None, error='not read: no answer'),
    },
}

#: In the middle of the compute phase: compute1 on v2, compute2 upgrading, compute3 not begun.
MID_COMPUTES = {
    'version': 1, 'phase': 'started',
    'history': phases(('starting', '10:00:00'), ('started', '10:00:40')),
    'steps': {}, 'marks': {},
    'northbound': {'state': 'open', 'since': None, 'windows': [window('start', '10:00:20', '10:00:23')]},
    'hosts': {
        'compute1': host('v2', [('upgrading', '10:01:00'), ('v2', '10:01:10')], batch='compute1',
                         timings={'outage': 2.0}),
        'compute2': host('upgrading', [('upgrading', '10:01:30')], version='3.2.14.0-37'),
        'compute3': {'status': 'v1', 'version': '3.2.14.0-37'},
    },
}

#: A start interrupted inside its freeze and aborted: the abort opened northbound.
ABORTED = {
    'version': 1, 'phase': 'aborted',
    'history': phases(('starting', '10:00:00'), ('aborting', '10:00:30'), ('aborted', '10:00:50')),
    'steps': {}, 'marks': {},
    'northbound': {'state': 'open', 'since': None, 'windows': [window('abort', '10:00:20', '10:00:35')]},
    'hosts': {},
}

#: A start killed inside its freeze: northbound still frozen, the start not complete.
FROZEN = {
    'version': 1, 'phase': 'starting',
    'history': phases(('starting', '10:00:00')),
    'steps': {}, 'marks': {},
    'northbound': {'state': 'frozen', 'since': at('10:00:20'), 'windows': []},
    'hosts': {},
}
