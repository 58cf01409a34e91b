# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of a vRouter swap (opencontrail.issu.vrouter_swap): the host's I/O and the timed
steps.

It takes the host's lock, reads the host (packages, node kind, confs, service, kernel module,
fact file, package cache), asks :mod:`vrouter_swap_plan` what to do, checks the repositories,
then runs the plan's steps - each timed, each failing as a :class:`StepFailed` that names it -
and records the swap in the fact file. On failure it reports the state the host was left in
and, with rollback_on_failure, first rolls the host back in the same run.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import fcntl
import os
import time

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter_swap_plan as swap_plan
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    IntrospectError,
    client_node_status,
    functional_problems,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout,
    wait_for,
)

AGENT_LOGS = ('/var/log/contrail/contrail-vrouter-agent-stdout.log',
              '/var/log/contrail/contrail-vrouter-agent.log')
#: Errors raised before the swap's first change (its ``validate`` step).
VALIDATE_ERRORS = (vrouter.VrouterError, vrouter.CommandTimeout, pkg_manager.PackageError,
                   service_manager.ServiceError, OSError)


class StepFailed(Exception):
    """A step of the swap failed; ``details`` go to the result."""

    def __init__(self, step, message, **details):
        super(StepFailed, self).__init__(message)
        self.step, self.details = step, details


class Swap:
    """One swap: gather, decide (vrouter_swap_plan), record, then the timed steps."""

    def __init__(self, module, run_cmd=None, lock=None):
        self.module = module
        self.params = module.params
        self.result = dict(changed=False, timings={})
        # Before anything is read: the host's state is read under the lock.
        self.lock = lock or self._lock()
        if run_cmd is None:
            timeout_bin = module.get_bin_path('timeout')
            if not timeout_bin:
                module.warn('no timeout command (coreutils) on this host: the swap\'s commands '
                            'run without a time limit')
            run_cmd = vrouter.TimedRunner(module.run_command, timeout_bin)
        self.run_cmd = run_cmd
        self.pkg = pkg_manager.detect(self.run_cmd, self.params['package_manager'])
        self.svc = service_manager.detect(self.run_cmd, 'vrouter',
                                          self.params['service_manager'])
        self.tor_confs = vrouter.tor_agent_confs(self.params['tor_agent_confs'])
        self.fact = vrouter.read_fact(self.params['fact_file'])
        self.wanted = {}
        self.conf_targets = {}

    def _lock(self):
        """One swap at a time on a host. A swap whose playbook was killed may still run there
        (the SSH session outlives the play), and a re-run must not install and restart under
        it: it waits, up to lock_timeout, then reads the state the other one left."""
        path = self.params['fact_file'] + '.lock'
        if self.module.check_mode and not os.path.exists(path):
            return None               # no swap ever ran here, and check mode creates nothing
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path), 0o755)
        handle = open(path, 'a')
        deadline = time.monotonic() + self.params['lock_timeout']
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                handle.close()
                raise vrouter.VrouterError(
                    'another vrouter_swap still runs on this host after %ss (it holds %s; a '
                    'playbook killed during a swap leaves its swap running on the host): let it '
                    'end, or stop it, then run again' % (self.params['lock_timeout'], path))
            self.result['waited_for_other_swap'] = True
            time.sleep(0.5)

    def release(self):
        """Let the next swap on the host go (the module's exit does it too)."""
        if self.lock is not None and not self.lock.closed:
            self.lock.close()

    # -- the run ---------------------------------------------------------------------------
    def run(self):
        names = swap_plan.query_names(self.params['packages'])
        installed = self.pkg.installed(names + list(vrouter.DPDK_PACKAGES))
        self.result['node'] = vrouter.node_kind(installed, self.params['agent_conf'],
                                                self.tor_confs)
        vrouter.refuse_unsupported(self.result['node'])
        self.wanted, self.conf_targets = swap_plan.target(self.params, self.fact, installed,
                                                          os.uname()[2], self.tor_confs)
        names = swap_plan.snapshot_names(names, self.wanted)
        before = self._snapshot(names)
        plan, diffs = swap_plan.plan(before, self.wanted, self.conf_targets, self._conf_texts(),
                                     self.fact, self.params['reload_kmod'])
        self.result.update(plan=plan, previous=swap_plan.state_record(before, self.wanted),
                           target=swap_plan.target_view(self.wanted, self.conf_targets))
        cached = dict((name, bool(self.pkg.cache_file(name, change['to'])))
                      for name, change in plan['packages'].items())
        self.result['prestaged'] = all(cached.values())
        self.result['version'] = swap_plan.agent_version(before)
        if not plan['restart']:
            swap_plan.refuse_on_target(self.params)
            if not self.module.check_mode:
                self._check_functional()
            return self.result
        if plan['packages']:
            with self.run_cmd.limited(self.params['install_timeout'],
                                      'the package manager to check the repositories'):
                self.check_repositories(plan['packages'])
        swap_plan.refuse_not_prestaged(self.params, plan['packages'], cached)
        self.result['changed'] = True
        if self.module._diff:
            self.result['diff'] = diffs
        if self.module.check_mode:
            return self.result
        self.execute(before, plan, names)
        return self.result

    def _check_functional(self):
        """A compute with nothing to change (a re-run, a swap finished by hand) counts as on
        its target only when its agent is Functional, as after a swap."""
        if not (self.params['wait'] and swap_plan.waits_functional(self.params)):
            return
        port = vrouter.agent_port(self.params['agent_conf'])
        self._step('functional', self._wait_functional,
                   vrouter.introspect_client(self.params['introspect_host'], port),
                   '%s:%s' % (self.params['introspect_host'], port),
                   service_manager.GiveUpWatch(self.svc, [vrouter.AGENT_PROGRAM]))

    def check_repositories(self, changes):
        if self.params['update_cache']:
            self.pkg.refresh()
        wanted = dict((name, change['to']) for name, change in changes.items())
        swap_plan.refuse_missing(self.pkg.missing_from_repo(wanted))
        simulated = self.pkg.simulate(wanted)
        swap_plan.refuse_protected(simulated)
        return simulated

    def execute(self, before, plan, names):
        """Record the swap, run the plan's steps (vrouter_swap_plan.swap_steps), record it done."""
        self._step('record', self._record, before, 'in_progress')
        baseline = self._baseline(before)
        steps = swap_plan.swap_steps(plan, self.params['wait'], self.params['route_check'],
                                     baseline is not None,
                                     swap_plan.waits_functional(self.params))
        outage_begins, outage_ends = swap_plan.outage_bounds(steps)
        live = {}
        actions = dict(
            install=lambda: self._install(plan['packages']),
            conf=self._write_conf,
            prestop=lambda: self._stop_companions(before),
            stop=lambda: self._stop_agent_first(before),
            kmod=self._unload_kmod,
            start=self._start,
            xmpp_up=lambda: self._wait_xmpp(live['client'], live['watch']),
            routes_back=lambda: self._wait_routes(live['client'], baseline, live['watch']),
            running=lambda: self._wait_running(before, live['watch']),
            functional=lambda: self._wait_functional(live['client'], live['address'],
                                                     live['watch']),
        )
        started = None
        for name in steps:
            if name == outage_begins:
                started = time.monotonic()
            self._step(name, actions[name])
            if name == 'start':
                # From the start on, every wait also asks the service manager (at most once a
                # second) whether it gave up on the agent: a dead agent fails the swap in
                # seconds, not after wait_timeout.
                live['watch'] = service_manager.GiveUpWatch(self.svc, [vrouter.AGENT_PROGRAM])
                if self.params['wait']:
                    port = vrouter.agent_port(self.params['agent_conf'])
                    live['client'] = vrouter.introspect_client(self.params['introspect_host'],
                                                               port)
                    live['address'] = '%s:%s' % (self.params['introspect_host'], port)
            if name == outage_ends:
                self.result['timings']['outage'] = round(time.monotonic() - started, 3)
        after = self._snapshot(names)
        self.result['version'] = swap_plan.agent_version(after)
        self._step('record', self._record, after, 'done')

    # -- steps -----------------------------------------------------------------------------
    def _step(self, name, func, *args):
        started = time.monotonic()
        try:
            return func(*args)
        except (pkg_manager.PackageError, service_manager.ServiceError,
                vrouter.CommandTimeout) as exc:
            raise StepFailed(name, str(exc), command=exc.to_dict())
        except service_manager.GaveUp as exc:
            log = _tail(_program_logs(exc.program), lines=5)
            said = '; its log (%s) ends: %s' % (log['path'], ' | '.join(log['lines'])) \
                if log else '; its log is empty'
            raise StepFailed(name, '%s: stopped waiting%s' % (exc, said),
                             gave_up=exc.to_dict())
        except WaitTimeout as exc:
            raise StepFailed(name, str(exc), wait=exc.to_dict())
        except (OSError, IntrospectError) as exc:
            raise StepFailed(name, '%s: %s' % (name, exc))
        finally:
            self.result['timings'][name] = round(time.monotonic() - started, 3)

    def _install(self, changes):
        wanted = dict((name, change['to']) for name, change in changes.items())
        with self.run_cmd.limited(self.params['install_timeout'],
                                  'the package manager (its lock, a download or a maintainer '
                                  'script); the old agent still runs'):
            _out, downloaded = self.pkg.install(wanted, exclude=vrouter.PROTECTED_PACKAGES)
        self.result['downloaded'] = downloaded
        # contrail-vrouter-dkms's postinst runs `dkms build && dkms install || true`: a module
        # that fails to build fails nothing, and its prerm removed the old one. Found here, the
        # old agent still runs on the loaded module; found after `rmmod`, the compute would be
        # left with no module to load.
        kmod_packages = sorted(name for name in wanted if vrouter.is_kmod_package(name))
        if kmod_packages and not vrouter.installed_module(self.run_cmd):
            kernel, package = os.uname()[2], kmod_packages[0]
            why = ('its postinst ignores a failed `dkms build`; see /var/lib/dkms/vrouter/%s/build/'
                   'make.log' % vrouter.upstream(wanted[package])) if package == vrouter.KMOD_DKMS \
                else 'it is built for another kernel than the running %s' % kernel
            raise StepFailed('install', 'the packages installed, but no vrouter kernel module is on '
                             'disk for kernel %s: %s installed none (%s). The old agent still runs '
                             'on the loaded module' % (kernel, package, why))

    def _conf_texts(self):
        """{path: text, or None when the host has no such file} of the confs to point."""
        return dict((path, ini_edit.read_text(path) if os.path.exists(path) else None)
                    for path in self.conf_targets)

    def _write_conf(self):
        for path, edits in sorted(self.conf_targets.items()):
            if os.path.exists(path):
                ini_edit.edit_file(path, edits)

    def _stop_companions(self, before):
        for name in swap_plan.companions(before):
            with self.run_cmd.limited(self.params['service_timeout'], '%s to stop' % name):
                self.svc.stop_program(name)

    def _stop_agent_first(self, before):
        # From the snapshot, not a new status query: this runs inside the outage.
        if vrouter.AGENT_PROGRAM in swap_plan.running_before(before):
            with self.run_cmd.limited(self.params['service_timeout'],
                                      '%s to stop' % vrouter.AGENT_PROGRAM):
                self.svc.stop_program(vrouter.AGENT_PROGRAM)
        with self.run_cmd.limited(self.params['service_timeout'],
                                  'the vRouter service (%s) to stop its daemons and exit'
                                  % _service_name(self.svc)):
            self.svc.stop()

    def _start(self):
        with self.run_cmd.limited(self.params['service_timeout'],
                                  'the vRouter service (%s) to start' % _service_name(self.svc)):
            self.svc.start()

    def _unload_kmod(self):
        if not vrouter.lsmod(self.run_cmd)['loaded']:
            return
        try:
            with self.run_cmd.limited(self.params['kmod_timeout'],
                                      'the vrouter module to have no users (a process still '
                                      'holds it: a leftover agent or a vRouter utility)'):
                rc, out, err = self.run_cmd(['rmmod', '-w', 'vrouter'])
        except vrouter.CommandTimeout as exc:
            kmod = vrouter.lsmod(self.run_cmd)
            raise StepFailed('kmod', '%s; lsmod: vrouter %s' % (
                exc, 'used by %d' % kmod['used_by'] if kmod['loaded'] else 'no longer loaded'),
                command=exc.to_dict())
        if rc != 0 and vrouter.lsmod(self.run_cmd)['loaded']:
            raise StepFailed('kmod', 'rmmod -w vrouter failed (rc=%s): %s'
                             % (rc, (err or out).strip()))

    def _wait_xmpp(self, client, watch):
        values = None
        if self.params['rollback']:
            values = vrouter.read_conf_values(self.params['agent_conf'], vrouter.AGENT_KEYS)
        targets = swap_plan.xmpp_targets(self.params['control_servers'], self.params['rollback'],
                                         values)

        def ready(peers):
            return vrouter.xmpp_ready(peers, targets)
        peers = wait_for(_watched(lambda: vrouter.xmpp_peers(client), ready, watch),
                         self.params['wait_timeout'], self.params['wait_interval'],
                         'XMPP Established to %s' % (', '.join(targets) or 'a control node'),
                         until=ready, retry_on=(IntrospectError,))
        self.result['xmpp'] = peers

    def _wait_running(self, before, watch):
        wanted = swap_plan.programs_to_run(before)
        watch.programs = wanted

        def not_running():
            programs = self.svc.programs()
            watch.judge(programs)     # FATAL at once, EXITED once it lasts: no point waiting
            return dict((name, programs.get(name, 'absent')) for name in wanted
                        if programs.get(name) != 'RUNNING')
        wait_for(not_running, self.params['wait_timeout'], self.params['wait_interval'],
                 'RUNNING for %s' % ', '.join(wanted),
                 until=lambda left: not left, retry_on=(service_manager.ServiceError,))

    def _wait_functional(self, client, address, watch):
        """Until the agent's NodeStatus is Functional by its own measure (its DNS and
        collector connections, its config for itself), as node_status_info waits for it."""
        timeout = self.params['functional_timeout']

        def problems():
            processes = client_node_status(client)
            self.result['node_status'] = processes
            return functional_problems(processes)
        try:
            wait_for(_watched(problems, lambda left: not left, watch), timeout,
                     self.params['wait_interval'], 'NodeStatus Functional on %s' % address,
                     until=lambda left: not left, retry_on=(IntrospectError,))
        except WaitTimeout as exc:
            raise StepFailed('functional', swap_plan.not_functional_message(
                address, timeout, exc.last_value, exc.last_error), wait=exc.to_dict())

    def _wait_routes(self, client, baseline, watch):
        def missing():
            current = vrouter.agent_routes(client)
            self.result['routes']['after'] = vrouter.route_summary(current)
            return vrouter.missing_routes(baseline, current)
        wait_for(_watched(missing, lambda left: not left, watch),
                 self.params['wait_timeout'], self.params['wait_interval'],
                 'the %d routes held before the swap' % len(baseline),
                 until=lambda left: not left, retry_on=(IntrospectError,))

    # -- state -----------------------------------------------------------------------------
    def _snapshot(self, names):
        return vrouter.snapshot(self.pkg, self.svc, self.run_cmd, names,
                                self.params['agent_conf'], self.params['nodemgr_conf'],
                                self.tor_confs)

    def _baseline(self, snap):
        """Routes held before the stop (None when the agent is down or not answering)."""
        if not swap_plan.takes_route_baseline(self.params, snap):
            return None
        port = vrouter.agent_port(self.params['agent_conf'])
        try:
            routes = vrouter.agent_routes(vrouter.introspect_client(
                self.params['introspect_host'], port))
        except IntrospectError as exc:
            self.module.warn('no route baseline, the agent introspect did not answer: %s' % exc)
            return None
        self.result['routes'] = dict(before=vrouter.route_summary(routes))
        return routes

    def _record(self, snap, status):
        """Write the fact file (see vrouter_swap_plan.fact_record)."""
        self.fact['vrouter'] = swap_plan.fact_record(self.fact, snap, self.wanted, status,
                                                     vrouter.now())
        vrouter.write_fact(self.params['fact_file'], self.fact)

    def fail(self, step, msg, names, **details):
        """Report the step and the state the host is in now; record it in the fact file.
        With rollback_on_failure, a swap that changed the host is first rolled back."""
        if swap_plan.rolls_back_at_once(self.params, step, self.module.check_mode):
            details['rolled_back'] = self._roll_back_now()
            msg += swap_plan.rolled_back_note(details['rolled_back'])
        try:
            snap = self._snapshot(names)
            previous = (vrouter.previous_state(self.fact) or {}).get('versions')
            host_state = dict(summary=vrouter.describe_host(snap, self.wanted, previous),
                              version=swap_plan.agent_version(snap),
                              service=snap['service'], packages=snap['packages'],
                              kmod=snap['kmod'], agent_conf=snap['agent_conf'])
        except Exception as exc:  # pylint: disable=broad-except
            host_state = dict(summary='unknown: could not read the host state: %s' % exc)
        details.setdefault('diagnostics', {})
        details['diagnostics']['agent_log'] = _tail(AGENT_LOGS)
        if swap_plan.records_failure(step, self.module.check_mode):
            try:
                self._record_failure(step, host_state['summary'])
            except OSError as exc:
                self.module.warn('could not record the failure in %s: %s'
                                 % (self.params['fact_file'], exc))
        self.result.update(details)
        self.module.fail_json(msg='%s failed: %s (host left: %s)' % (step, msg, host_state['summary']),
                              failed_step=step, host_state=host_state, **self.result)

    def _roll_back_now(self):
        """Return the host to the state recorded before this swap, in this run (as
        rollback=true would): a compute failing in a batch is back in seconds, and the batch's
        other computes, which wait for its routes, are not held until their wait_timeout."""
        params = self.module.params
        saved = dict(params)
        params.update(swap_plan.rollback_overrides())
        try:
            result = Swap(self.module, self.run_cmd, self.lock).run()
            return dict(ok=True, version=result.get('version'), timings=result['timings'])
        except StepFailed as exc:
            return dict(ok=False, failed_step=exc.step, msg=str(exc))
        except VALIDATE_ERRORS as exc:
            return dict(ok=False, failed_step='validate', msg=str(exc))
        finally:
            params.clear()
            params.update(saved)

    def _record_failure(self, step, summary):
        record = swap_plan.failure_record(self.fact, step, summary, vrouter.now())
        if record is None:
            return
        self.fact['vrouter'] = record
        vrouter.write_fact(self.params['fact_file'], self.fact)


def _service_name(svc):
    return svc.service if svc.kind == 'supervisor' else ', '.join(svc.units)


def _watched(probe, until, watch):
    """``probe`` that, while its answer is not ``until`` yet (or the agent does not answer),
    lets ``watch`` ask whether the service manager gave up on the daemon (GaveUp ends the
    wait: wait_for does not retry it)."""
    def check():
        try:
            value = probe()
        except IntrospectError:
            watch.poll()
            raise
        if not until(value):
            watch.poll()
        return value
    return check


def _program_logs(program):
    if program == vrouter.AGENT_PROGRAM:
        return AGENT_LOGS
    return ('/var/log/contrail/%s-stdout.log' % program, '/var/log/contrail/%s.log' % program)


def _tail(paths, lines=15):
    """The last lines of the first of ``paths`` that has any."""
    for path in paths:
        try:
            with open(path) as handle:
                text = handle.read().splitlines()[-lines:]
        except OSError:
            continue
        if text:
            return dict(path=path, lines=text)
    return None
