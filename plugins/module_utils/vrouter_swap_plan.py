# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a vRouter swap (opencontrail.issu.vrouter_swap): no I/O.

The runner (:mod:`vrouter_swap`) reads the host - installed packages, conf files, service and
kernel module state (``vrouter.snapshot``), the fact file, the package cache - and hands
the facts here. From them this file computes:

* the target: versions and conf edits, from the options or, for a rollback, from the state
  the fact file recorded before the last swap (:func:`target`);
* what changes: packages, conf keys, whether the vRouter restarts and its kernel module is
  reloaded, and the diff (:func:`plan`); a swap whose plan does not restart answers
  ``changed=false``, in check mode too;
* the timed steps, in order (:func:`swap_steps`), and the part of them that is the outage;
* what the fact file records (:func:`fact_record`, :func:`failure_record`) and what a failure
  does (:func:`rolls_back_at_once`, :func:`rollback_overrides`).
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter

#: The steps of a swap between its two ``record`` steps, in their order (each is a key of
#: ``timings`` and a ``failed_step``). See swap_steps for the ones a swap runs.
STEPS = ('install', 'conf', 'prestop', 'stop', 'kmod', 'start', 'xmpp_up', 'routes_back',
         'running', 'functional')
#: The steps of the outage: from the agent's stop until it forwards again (``timings.outage``).
OUTAGE_STEPS = ('stop', 'kmod', 'start', 'xmpp_up', 'routes_back')
#: Steps a failure in which has changed nothing on the host.
UNCHANGED_STEPS = ('validate', 'record')


# -- the target --------------------------------------------------------------------------

def query_names(requested=None):
    """Packages whose installed versions a swap reads first: the kernel module package, the
    known vRouter packages and the requested ones."""
    return list(dict.fromkeys([vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES)
                              + list(requested or [])))


def snapshot_names(names, wanted):
    """``names`` and the target's packages (the packages a snapshot reads)."""
    return list(dict.fromkeys(list(names) + list(wanted)))


def conf_files(agent_conf, nodemgr_conf, tor_confs):
    """[(path, key table)] of the confs a swap points at the target cluster."""
    files = [(agent_conf, vrouter.AGENT_KEYS), (nodemgr_conf, vrouter.NODEMGR_KEYS)]
    return files + [(path, vrouter.AGENT_KEYS) for path in tor_confs]


def target(params, fact, installed, kernel_release, tor_confs):
    """(wanted {package: version}, conf_targets {path: edits}) of the swap.

    ``params`` are the module's options, ``fact`` the fact file's content, ``installed`` the
    installed packages (``pkg.installed``), ``tor_confs`` the host's ToR agent confs. Raises
    VrouterError for options that contradict each other or the record.
    """
    if params['rollback']:
        return _target_from_record(params, fact)
    return _target_from_params(params, installed, kernel_release, tor_confs)


def _target_from_record(params, fact):
    given = [k for k in ('version', 'packages') + vrouter.SERVER_OPTIONS if params[k]]
    if given:
        raise vrouter.VrouterError('rollback=true takes its target from %s; do not give %s'
                                   % (params['fact_file'], ', '.join(given)))
    previous = vrouter.previous_state(fact)
    if not previous:
        raise vrouter.VrouterError('rollback=true but %s records no previous vRouter state '
                                   '(no swap was recorded on this host)' % params['fact_file'])
    recorded = dict([(params['agent_conf'], previous.get('agent_conf') or {}),
                     (params['nodemgr_conf'], previous.get('nodemgr_conf') or {})])
    recorded.update(previous.get('tor_agent_confs') or {})
    return dict(previous['versions']), dict((path, vrouter.restore_edits(values))
                                            for path, values in recorded.items() if values)


def _target_from_params(params, installed, kernel_release, tor_confs):
    if not params['version']:
        raise vrouter.VrouterError('version is required unless rollback=true')
    target_era = vrouter.era(params['version'])
    servers = dict((k, params[k]) for k in vrouter.SERVER_OPTIONS)
    vrouter.validate_servers(target_era, servers)
    names = vrouter.package_set(installed, kernel_release, params['packages'])
    wanted = dict((name, params['version']) for name in names)
    conf_targets = dict((path, vrouter.conf_edits(table, target_era, servers))
                        for path, table in conf_files(params['agent_conf'],
                                                      params['nodemgr_conf'], tor_confs))
    return wanted, conf_targets


def target_view(wanted, conf_targets):
    """The ``target`` result: versions and the edits as ``SECTION/key=value``."""
    return dict(versions=wanted, conf=dict((path, ['%s/%s=%s' % edit for edit in edits])
                                           for path, edits in conf_targets.items()))


# -- what changes ------------------------------------------------------------------------

def unfinished(fact):
    """How the last recorded swap did not finish (``in_progress``, ``failed at <step>``), or
    None when it did (or none was recorded)."""
    record = fact.get('vrouter') or {}
    if record.get('status') == 'failed':
        return 'failed at %s' % record.get('failed_step', '?')
    return 'in_progress' if record.get('status') == 'in_progress' else None


def plan(snap, wanted, conf_targets, conf_texts, fact, reload_kmod=True):
    """(plan, diffs): the ``plan`` result and the diff of a swap.

    ``snap`` is the host before the swap (``vrouter.snapshot``), ``conf_texts`` {path: text,
    or None when the file does not exist} of the paths of ``conf_targets`` (a conf the host
    does not have, such as the nodemgr's on a lean compute, is not created). The vRouter
    restarts when packages or confs change, when its kernel module must be reloaded, or when
    it is not running.
    """
    packages = vrouter.package_changes(snap['packages'], wanted)
    conf, diffs = {}, []
    for path, edits in sorted(conf_targets.items()):
        before = conf_texts.get(path)
        if before is None:
            continue
        after, changed = ini_edit.apply_edits(before, edits)
        if changed:
            conf[path] = [vrouter.key_name(spec) for spec in changed]
            diffs.append(dict(before=before, after=after, before_header=path,
                              after_header=path))
    running = snap['service']['state'] == 'running'
    kmod = dict(snap['kmod'], reload=False, reason=None)
    if reload_kmod:
        kmod['reason'] = vrouter.kmod_reload_reason(
            snap['kmod'], vrouter.kmod_target(wanted), bool(packages), unfinished(fact))
        kmod['reload'] = bool(kmod['reason'])
    restart = bool(packages or conf or kmod['reload']) or not running
    if packages:
        diffs.insert(0, package_diff(packages))
    return dict(packages=packages, conf=conf, restart=restart, kmod=kmod), diffs


def package_diff(changes):
    before = ''.join('%s=%s\n' % (n, c['from']) for n, c in sorted(changes.items()))
    after = ''.join('%s=%s\n' % (n, c['to']) for n, c in sorted(changes.items()))
    return dict(before=before, after=after, before_header='packages', after_header='packages')


def agent_version(snap):
    """The agent package's version in a snapshot (None when not installed)."""
    return (snap['packages'].get(vrouter.AGENT_PROGRAM) or {}).get('version')


def state_record(snap, wanted):
    """The recorded state of a host: the versions of the target's packages, conf values and
    service state (``previous`` result, and the fact file's previous/current)."""
    return dict(versions=dict((n, snap['packages'][n]['version'])
                              for n in wanted if n in snap['packages']),
                agent_conf=snap['agent_conf'], nodemgr_conf=snap['nodemgr_conf'],
                tor_agent_confs=snap['tor_agent_confs'], service=snap['service']['state'])


# -- before the first change ---------------------------------------------------------------

def refuse_on_target(params):
    """With require_change, a swap that changes nothing fails."""
    if params['require_change']:
        raise vrouter.VrouterError('already on target (%s) and require_change=true'
                                   % (params['version'] or 'recorded state'))


def refuse_missing(missing):
    """Versions to install that no configured repository offers ({name: version}) fail."""
    if missing:
        raise vrouter.VrouterError('not in the configured repositories: %s' % ', '.join(
            '%s=%s' % item for item in sorted(missing.items())))


def refuse_protected(simulated):
    """An install that would change nova-compute ({'install': {...}, 'remove': [...]}, the
    package manager's simulation) fails."""
    touched = [n for n in list(simulated['install']) + list(simulated['remove'])
               if n in vrouter.PROTECTED_PACKAGES]
    if touched:
        raise vrouter.VrouterError('the install would change %s; the vRouter swap never '
                                   'touches nova-compute' % ', '.join(touched))


def refuse_not_prestaged(params, packages, cached):
    """With require_prestaged, a package to install that is not in the package cache
    (``cached`` {name: bool}) fails the swap before anything is stopped."""
    missing = [name for name in packages if not cached.get(name)]
    if params['require_prestaged'] and missing:
        raise vrouter.VrouterError('require_prestaged=true but not in the package cache: %s '
                                   '(run vrouter_prestage first)' % ', '.join(missing))


# -- the steps ---------------------------------------------------------------------------

def takes_route_baseline(params, snap):
    """Whether the routes the agent holds are read before the stop, to wait for them after."""
    return bool(params['wait']) and params['route_check'] != 'none' \
        and snap['service']['state'] == 'running'


def waits_functional(params):
    """Whether the swap ends waiting until the agent's NodeStatus is Functional: with ``wait``
    and a ``functional_timeout`` (0 or None skips it), and not for a rollback, which restores
    the recorded state, Functional or not, as it was."""
    return bool(params['wait']) and bool(params['functional_timeout']) and not params['rollback']


def swap_steps(plan_, wait, route_check, baseline, functional=False):
    """The timed steps between recording the swap (in progress) and recording it done.

    Packages and conf first, while the old agent still forwards (a running agent keeps the
    code and conf it started with until it restarts), then the role's other daemons stop
    (``prestop``), then the outage: the agent and the service stop, the module is unloaded
    when the plan reloads it, the service starts, and with ``wait`` XMPP comes up and the
    routes held before (``baseline``: they were read) come back; then, with ``wait``, the
    daemons must be RUNNING, and last, with ``functional`` (:func:`waits_functional`), the
    agent's NodeStatus must be Functional.
    """
    steps = ['install'] if plan_['packages'] else []
    steps += ['conf', 'prestop', 'stop']
    if plan_['kmod']['reload']:
        steps.append('kmod')
    steps.append('start')
    if wait:
        steps.append('xmpp_up')
        if route_check == 'previous' and baseline:
            steps.append('routes_back')
        steps.append('running')
        if functional:
            steps.append('functional')
    return steps


def outage_bounds(steps):
    """(first, last) step of the outage among ``steps``."""
    outage = [step for step in steps if step in OUTAGE_STEPS]
    return outage[0], outage[-1]


def running_before(snap):
    """The role's daemons that were RUNNING when the swap began."""
    return set(name for name, state in (snap['service'].get('programs') or {}).items()
               if state == 'RUNNING')


def companions(snap):
    """The daemons stopped before the outage (``prestop``): those that ran, but the agent."""
    return sorted(running_before(snap) - set([vrouter.AGENT_PROGRAM]))


def programs_to_run(snap):
    """The daemons that must be RUNNING at the end: the agent and those that ran before."""
    return sorted(running_before(snap) | set([vrouter.AGENT_PROGRAM]))


def not_functional_message(address, timeout, problems, error=None):
    """The ``functional`` step's failure: the agent's NodeStatus processes that are not
    Functional (``problems``, :func:`introspect.functional_problems`), or, when its introspect
    never answered, the last ``error``."""
    if problems is None:
        return 'the agent introspect %s did not answer its NodeStatus within %ss: %s' % (
            address, timeout, error)
    return 'the agent is not Functional by its NodeStatus (%s) after %ss: %s' % (
        address, timeout, '; '.join(problems))


def xmpp_targets(control_servers, rollback=False, agent_conf_values=None):
    """Control node addresses the agent must reach: the options', or for a rollback those of
    the agent conf it restored (``agent_conf_values``)."""
    if rollback:
        control_servers = vrouter.servers_view(agent_conf_values or {})['control_servers']
    return [server.split(':')[0] for server in control_servers or []]


# -- the record and failures ---------------------------------------------------------------

def fact_record(fact, snap, wanted, status, now):
    """The fact file's ``vrouter`` entry once the swap is ``status`` (in_progress, done).

    The previous state is recorded once, before the first change from a clean state, and
    kept by a rollback to it (so a second rollback is a no-op).
    """
    record = dict(fact.get('vrouter') or {})
    if status == 'in_progress' and vrouter.may_record_previous(fact) \
            and wanted != (record.get('previous') or {}).get('versions'):
        record['previous'] = dict(state_record(snap, wanted), recorded_at=now)
    record.update(status=status, target_versions=wanted, updated_at=now)
    if status == 'done':
        record['current'] = state_record(snap, wanted)
        record.pop('failed_step', None)
        record.pop('host_state', None)
    return record


def failure_record(fact, step, summary, now):
    """The fact file's ``vrouter`` entry after a failure, or None when no swap was in progress
    (nothing to record: the failure came before the swap's first change)."""
    record = dict(fact.get('vrouter') or {})
    if record.get('status') != 'in_progress':
        return None
    record.update(status='failed', failed_step=step, host_state=summary, updated_at=now)
    return record


def records_failure(step, check_mode):
    """Whether a failure is written to the fact file."""
    return step != 'validate' and not check_mode


def rolls_back_at_once(params, step, check_mode):
    """Whether a failed swap is rolled back in the same run (rollback_on_failure), that is
    when it may have changed the host and is not itself a rollback."""
    return bool(params['rollback_on_failure']) and not params['rollback'] \
        and step not in UNCHANGED_STEPS and not check_mode


def rollback_overrides():
    """The options of the rollback made at once: rollback=true, its target from the record."""
    overrides = dict((key, None) for key in ('version', 'packages') + vrouter.SERVER_OPTIONS)
    overrides.update(rollback=True, require_change=False, require_prestaged=False)
    return overrides


def rolled_back_note(back):
    """What the failure message says of the rollback made at once."""
    if back['ok']:
        return '; rolled back at once to %s' % back['version']
    return '; the rollback at once failed at %s: %s' % (back['failed_step'], back['msg'])
