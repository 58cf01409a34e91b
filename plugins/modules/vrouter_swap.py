#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vrouter_swap
short_description: Swap a compute's vRouter to another Contrail release in place (upgrade or rollback)
version_added: 1.0.0
description:
  - Moves one compute from its Contrail release to another, the in-place step of the ISSU
    (3.2 to 4.0, or back). The data plane is down from the stop of the vRouter service until
    the agent holds its routes again; every step is timed and the sequence is kept minimal.
  - "Sequence, as the fab procedure orders it (upgrade_compute_node, then switch_compute_node):
    while the old agent still forwards, install the exact target versions of the package set,
    downgrades allowed (the packages do not restart a running agent), and rewrite only the conf
    keys that point the compute at a cluster, keeping every other line and comment; then the
    outage - stop the agent, then the vRouter service (C(supervisor-vrouter) or the systemd
    units; its other daemons, such as the nodemgr, were stopped before the outage), unload the
    old kernel module with C(rmmod -w vrouter) (LP 1631556, LP 1680653), start the service,
    and wait until XMPP is Established to the target control nodes and every route the agent
    held before is back. A failed install therefore costs no outage: the old agent runs on.
    That includes a kernel module that did not build: C(contrail-vrouter-dkms) ignores a failed
    C(dkms build), so after installing it the module checks that a vrouter module is on disk
    (C(modinfo -F filename vrouter)) before anything is stopped."
  - "The loaded kernel module, not the package plan, decides the reload: a swap resumed after
    its install (the packages at target, the old agent still running on the old module) still
    restarts the agent and reloads the module, so it completes in one run with one outage. See
    O(reload_kmod)."
  - "Every wait watches the daemons too: once supervisor (or systemd) has given up on the agent
    (FATAL, or EXITED / STOPPED for 3 s; systemd C(failed), or C(inactive) for 3 s) the swap
    fails at once, naming the state and the end of the agent's log, instead of waiting
    O(wait_timeout). BACKOFF (and systemd C(activating)) is not given up: supervisor is still
    retrying (C(startretries), then FATAL)."
  - "Every command has a time limit (O(install_timeout), O(service_timeout), O(kmod_timeout),
    30 s for queries); one that does not return in time is killed and the step fails saying
    what it was waiting for, so a hung compute fails its swap instead of hanging the play."
  - Rollback is the same code path. With O(rollback=true) the target is the state recorded in
    O(fact_file) before the last swap (versions and conf values, restored exactly); explicit
    v1 parameters work as well.
  - Before changing anything the module checks that every target version is in the configured
    repositories, that the install would not touch nova-compute, that the options belong to
    the target release, and records the current state in O(fact_file) (JSON, read by Ansible
    as C(ansible_local.contrail_issu)).
  - A compute already on target (versions, conf values, service running) is left alone, without
    a restart.
  - On failure the result names the step that failed (RV(failed_step)) and the state the host
    was left in (RV(host_state)); the fact file records it too, so the playbook can roll the
    host back with O(rollback=true).
  - Pre-stage the packages with M(opencontrail.issu.vrouter_prestage) so nothing is downloaded
    during the outage; O(require_prestaged=true) refuses to start an outage otherwise.
author:
  - opencontrail.issu developers (@opencontrail-issu)
extends_documentation_fragment:
  - opencontrail.issu.vrouter
  - opencontrail.issu.vrouter.package_manager
  - opencontrail.issu.vrouter.tor_agents
  - opencontrail.issu.vrouter.agent_state
  - opencontrail.issu.wait
attributes:
  check_mode:
    support: full
    description: Computes the plan (package changes, conf edits, restart) from the host's real state and reports it without changing anything.
  diff_mode:
    support: full
    description: Shows the package version changes and the edits of the agent, nodemgr and ToR agent confs.
  platform:
    support: full
    platforms: posix
    description: Runs on the compute node (Ubuntu with apt, or RHEL/CentOS with dnf or yum).
options:
  version:
    description:
      - Target version of every package of the set, as the package manager spells it
        (V(4.0.3.0-62)).
      - Required unless O(rollback=true).
    type: str
  packages:
    description:
      - Names of the packages to swap.
      - Default is the kernel module package (C(contrail-vrouter-dkms), or the installed
        C(contrail-vrouter-<kernel>)) plus the installed packages among
        C(contrail-vrouter-agent), C(contrail-vrouter-common), C(contrail-vrouter-utils),
        C(contrail-vrouter-init), C(contrail-nova-vif), C(contrail-nodemgr), C(contrail-utils),
        C(contrail-lib), C(python-contrail), C(python-contrail-vrouter-api),
        C(python-opencontrail-vrouter-netns) and C(contrail-openstack-vrouter).
      - C(nova-compute) is refused.
    type: list
    elements: str
  control_servers:
    description:
      - Control nodes, V(ip) or V(ip:port). 4.x C([CONTROL-NODE] servers) (port 5269 added),
        3.x C([CONTROL-NODE] server) (addresses only).
      - Mutually exclusive with O(discovery_server).
    type: list
    elements: str
  dns_servers:
    description:
      - DNS servers, V(ip) or V(ip:port). 4.x C([DNS] servers) (port 53 added), 3.x C([DNS] server).
    type: list
    elements: str
  collectors:
    description:
      - Collectors, V(ip) or V(ip:port) (port 8086 added). Agent C([DEFAULT] collectors) and
        nodemgr C([COLLECTOR] server_list).
    type: list
    elements: str
  discovery_server:
    description:
      - 3.x discovery server, C([DISCOVERY] server) of the agent and nodemgr confs. A 4.x
        target with this option is an error (conflicting era keys).
    type: str
  rollback:
    description:
      - Return to the state recorded in O(fact_file) before the last swap, that is its versions
        and its conf values. O(version) and the server options must then be omitted.
    type: bool
    default: false
  require_change:
    description:
      - Fail, before changing anything, when the compute is already on target.
    type: bool
    default: false
  require_prestaged:
    description:
      - Fail, before stopping anything, when a package to install is not in the package cache.
    type: bool
    default: false
  update_cache:
    description:
      - Refresh the package lists (C(apt-get update), C(dnf makecache)) before checking the
        repositories. Done before the outage, and in check mode too (it changes only the
        package manager's cache of the lists).
    type: bool
    default: false
  reload_kmod:
    description:
      - Unload the vrouter kernel module (C(rmmod -w vrouter)) inside the outage when the loaded
        one is not the target's, so the service start loads the installed one. Needed in
        3.2/4.0 (LP 1631556), as an agent refuses a module of another release.
      - The loaded module's build is read with C(vrouter --info); when the host cannot tell it,
        the module is reloaded when its C(srcversion) differs from the installed module's, when
        packages change, or when O(fact_file) records that the last swap did not finish.
      - A loaded module that is not the target's restarts the vRouter even when no package or
        conf changes (a resumed swap).
    type: bool
    default: true
  install_timeout:
    description:
      - Seconds the package install (and C(update_cache), the checks of the repositories) may
        take before it is killed and the swap fails at C(install); the old agent still runs.
    type: int
    default: 600
  service_timeout:
    description:
      - Seconds each stop or start of the vRouter service or of one of its daemons may take
        before it is killed and the swap fails at that step.
    type: int
    default: 60
  kmod_timeout:
    description:
      - Seconds C(rmmod -w vrouter) may wait for the module's users to let it go before it is
        killed and the swap fails at C(kmod) with the module's use count.
    type: int
    default: 60
  route_check:
    description:
      - V(previous) waits, after XMPP is up, until every route of the tenant VRFs the agent
        held before the stop is back (learnt from a control node again when it was before).
      - V(none) only waits for XMPP.
    type: str
    default: previous
    choices: [previous, none]
  lock_timeout:
    description:
      - Seconds to wait for another swap on the same host to end (a playbook killed during a
        swap leaves its swap running there) before failing, nothing changed. The swap then
        reads the state the other one left, so a completed swap is not done twice.
    type: int
    default: 900
  rollback_on_failure:
    description:
      - When a step fails after the host was changed, return it at once, in this run, to the
        state recorded before the swap (as O(rollback=true) would), then fail. RV(rolled_back)
        says how that went.
      - Computes swapped in one batch wait for each other's routes; without it a compute that
        fails is rolled back only once every swap of the batch has ended, and the others wait
        for its routes until their O(wait_timeout) and fail too.
    type: bool
    default: false
  wait:
    description:
      - Wait, after the start, for XMPP Established to the target control nodes (two of
        O(control_servers), as many sessions as an agent keeps, or all when fewer are listed;
        one control node when not given), for the routes (O(route_check)), and
        then until the agent, and every daemon of the role that ran before, is RUNNING (past
        supervisor's C(startsecs)), so a daemon that exits soon after its start fails the swap.
    type: bool
    default: true
  wait_interval:
    description:
      - Longest pause in seconds between two checks. Short, because the wait is part of the
        outage.
    type: float
    default: 0.25
notes:
  - A DPDK or SmartNIC vRouter (C([DEFAULT] platform) other than the kernel's, or a
    C(contrail-vrouter-dpdk) package) is refused before anything changes, as its upgrade rebinds
    the NICs and restarts vhost0. A TSN (C(agent_mode=tsn)) is swapped like a compute.
  - nova-compute is never installed, upgraded or restarted; with apt the install is simulated
    first and refused if it would change a protected package.
  - Conffiles changed by the operator are kept (C(--force-confdef --force-confold)); the
    module then edits only its keys.
seealso:
  - module: opencontrail.issu.vrouter_prestage
  - module: opencontrail.issu.vrouter_info
'''

EXAMPLES = r'''
- name: Upgrade a compute to 4.0, pointing it at the v2 control nodes
  opencontrail.issu.vrouter_swap:
    version: 4.0.3.0-62
    control_servers: [10.99.0.21, 10.99.0.22]
    dns_servers: [10.99.0.21, 10.99.0.22]
    collectors: [10.99.0.21, 10.99.0.22]
    require_prestaged: true
    wait_timeout: 120
  register: swap

- name: Roll it back to what was recorded before the swap
  opencontrail.issu.vrouter_swap:
    rollback: true

- name: Same rollback with explicit 3.2 parameters
  opencontrail.issu.vrouter_swap:
    version: 3.2.14.0-37
    discovery_server: 10.99.0.11
'''

RETURN = r'''
plan:
  description: What the swap changes (or would change, in check mode).
  returned: always
  type: dict
  contains:
    packages:
      description: Per package, the version before (C(from), null when not installed) and the target (C(to)).
      type: dict
    conf:
      description: Per conf file, the C(SECTION/key) entries that change.
      type: dict
    restart:
      description: Whether the vRouter service is stopped and started.
      type: bool
    kmod:
      description:
        - Whether the vrouter module is unloaded inside the outage (C(reload)), why (C(reason)),
          and what was read of the module (C(loaded), C(used_by), the loaded build C(version),
          C(srcversion), C(installed_srcversion); null when the host does not tell).
      type: dict
  sample:
    packages: {contrail-vrouter-agent: {from: 3.2.14.0-37, to: 4.0.3.0-62}}
    conf: {/etc/contrail/contrail-vrouter-agent.conf: [CONTROL-NODE/servers, DISCOVERY/server]}
    restart: true
    kmod: {reload: true, reason: "the loaded vrouter module is 3.2.14.0-37, the agent to start is 4.0.3.0-62",
           loaded: true, used_by: 1, version: 3.2.14.0-37, srcversion: null, installed_srcversion: null}
node:
  description:
    - The kind of vRouter node (C(platform) kernel, dpdk or another C([DEFAULT] platform), C(agent_mode)
      vrouter or tsn, the number of ToR agent confs C(tor_agents)), and C(refused), why an in-place
      swap refuses it (null when it does not). A TSN is swapped like a compute; a DPDK or SmartNIC
      vRouter is refused before anything changes.
  returned: when the host could be read
  type: dict
  sample: {platform: kernel, agent_mode: vrouter, tor_agents: 0, refused: null}
waited_for_other_swap:
  description: The swap waited for another swap on the host to end first (see O(lock_timeout)).
  returned: when it waited
  type: bool
  sample: true
rolled_back:
  description:
    - With O(rollback_on_failure=true), the rollback made at once after a failed step - C(ok),
      the C(version) it ended on and its C(timings), or its C(failed_step) and C(msg).
  returned: when a swap with O(rollback_on_failure=true) failed after changing the host
  type: dict
  sample: {ok: true, version: 3.2.14.0-37, timings: {install: 3.1, start: 0.4, xmpp_up: 1.2}}
version:
  description: The C(contrail-vrouter-agent) version the host is on when the module ends (read after the swap).
  returned: success
  type: str
  sample: 4.0.3.0-62
previous:
  description: The state before the swap (versions and managed conf values), as recorded in O(fact_file).
  returned: always
  type: dict
  sample:
    versions: {contrail-vrouter-agent: 3.2.14.0-37}
    agent_conf: {DISCOVERY/server: 10.99.0.11, CONTROL-NODE/servers: null}
target:
  description: Target versions and conf edits.
  returned: always
  type: dict
timings:
  description:
    - Seconds per step (install, conf, prestop, stop, kmod, start, xmpp_up, routes_back, running).
    - C(outage) runs from the agent's stop to the routes back.
  returned: when the swap ran
  type: dict
  sample: {prestop: 0.2, stop: 0.41, install: 6.2, conf: 0.01, kmod: 0.05, start: 0.3, xmpp_up: 0.5, routes_back: 0.2, outage: 7.7, running: 4.1}
prestaged:
  description: Whether every package to install was in the package cache before the install.
  returned: always
  type: bool
downloaded:
  description: Packages the install downloaded (empty when pre-staged).
  returned: when the swap ran
  type: list
  elements: str
xmpp:
  description: The agent's XMPP peers after the swap (controller_ip, state, cfg_controller, ...).
  returned: when the swap ran, or on a wait failure
  type: list
  elements: dict
routes:
  description: Route counts of the tenant VRFs before the stop and after the swap (total, xmpp, local).
  returned: when the swap ran
  type: dict
failed_step:
  description: On failure, the step that failed (validate, record, install, conf, prestop, stop, kmod, start, xmpp_up, routes_back, running).
  returned: failure
  type: str
host_state:
  description:
    - On failure, the state the host was left in, read after the failure, as a one-line summary
      (naming the agent version it is on) and the details (C(version) of the agent, service,
      packages, kmod, conf values).
  returned: failure
  type: dict
wait:
  description: On a wait timeout, what was waited for and what was seen last.
  returned: failure
  type: dict
gave_up:
  description:
    - When a wait stopped because the service manager gave up on a daemon, which (C(program)),
      its state (C(state), for example V(FATAL)), the manager, why the state is final
      (C(reason)) and how many seconds after the start it was seen (C(after)).
  returned: failure
  type: dict
  sample: {program: contrail-vrouter-agent, state: FATAL, manager: supervisor, after: 7.1,
           reason: "supervisor gave up starting it (it exited before startsecs, startretries times in a row)"}
command:
  description:
    - On a failed or timed-out command, the command, its exit code or time limit
      (C(timeout)) and what it was waiting for (C(waiting_for)), and its last output lines.
  returned: failure
  type: dict
diagnostics:
  description: On failure, the failing command's output, the service status and the tail of the agent log.
  returned: failure
  type: dict
'''

import errno
import fcntl
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import service_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils.common_args import (
    wait_argument_spec,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.introspect import (
    IntrospectError,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.waiter import (
    WaitTimeout,
    wait_for,
)

AGENT_LOGS = ('/var/log/contrail/contrail-vrouter-agent-stdout.log',
              '/var/log/contrail/contrail-vrouter-agent.log')


class StepFailed(Exception):
    """A step of the swap failed; ``details`` go to the result."""

    def __init__(self, step, message, **details):
        super(StepFailed, self).__init__(message)
        self.step, self.details = step, details


def argument_spec():
    spec = vrouter.host_argument_spec()
    spec.update(vrouter.tor_agents_argument_spec())
    spec.update(vrouter.agent_state_argument_spec())
    spec.update(
        version=dict(type='str'),
        packages=dict(type='list', elements='str'),
        control_servers=dict(type='list', elements='str'),
        dns_servers=dict(type='list', elements='str'),
        collectors=dict(type='list', elements='str'),
        discovery_server=dict(type='str'),
        rollback=dict(type='bool', default=False),
        require_change=dict(type='bool', default=False),
        require_prestaged=dict(type='bool', default=False),
        update_cache=dict(type='bool', default=False),
        reload_kmod=dict(type='bool', default=True),
        route_check=dict(type='str', default='previous', choices=['previous', 'none']),
        rollback_on_failure=dict(type='bool', default=False),
        lock_timeout=dict(type='int', default=900),
        install_timeout=dict(type='int', default=600),
        service_timeout=dict(type='int', default=60),
        kmod_timeout=dict(type='int', default=60),
    )
    spec.update(wait_argument_spec())
    spec['wait']['default'] = True
    spec['wait_interval']['default'] = 0.25
    return spec


class Swap:
    """One swap: gather, decide, record, then the timed steps."""

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

    # -- target ----------------------------------------------------------------------------
    def conf_files(self):
        files = [(self.params['agent_conf'], vrouter.AGENT_KEYS),
                 (self.params['nodemgr_conf'], vrouter.NODEMGR_KEYS)]
        return files + [(path, vrouter.AGENT_KEYS) for path in self.tor_confs]

    def decide_target(self, installed_names):
        """self.wanted {package: version} and self.conf_targets {path: edits}."""
        if self.params['rollback']:
            self._target_from_record()
        else:
            self._target_from_params(installed_names)

    def _target_from_record(self):
        given = [k for k in ('version', 'packages') + vrouter.SERVER_OPTIONS if self.params[k]]
        if given:
            raise vrouter.VrouterError('rollback=true takes its target from %s; do not give %s'
                                       % (self.params['fact_file'], ', '.join(given)))
        previous = vrouter.previous_state(self.fact)
        if not previous:
            raise vrouter.VrouterError('rollback=true but %s records no previous vRouter state '
                                       '(no swap was recorded on this host)'
                                       % self.params['fact_file'])
        self.wanted = dict(previous['versions'])
        recorded = dict([(self.params['agent_conf'], previous.get('agent_conf') or {}),
                         (self.params['nodemgr_conf'], previous.get('nodemgr_conf') or {})])
        recorded.update(previous.get('tor_agent_confs') or {})
        self.conf_targets = dict((path, vrouter.restore_edits(values))
                                 for path, values in recorded.items() if values)

    def _target_from_params(self, installed_names):
        if not self.params['version']:
            raise vrouter.VrouterError('version is required unless rollback=true')
        target_era = vrouter.era(self.params['version'])
        servers = dict((k, self.params[k]) for k in vrouter.SERVER_OPTIONS)
        vrouter.validate_servers(target_era, servers)
        names = vrouter.package_set(installed_names, os.uname()[2], self.params['packages'])
        self.wanted = dict((name, self.params['version']) for name in names)
        self.conf_targets = dict((path, vrouter.conf_edits(table, target_era, servers))
                                 for path, table in self.conf_files())

    # -- plan ------------------------------------------------------------------------------
    def plan(self, snap):
        packages = vrouter.package_changes(snap['packages'], self.wanted)
        conf, diffs = {}, []
        for path, edits in sorted(self.conf_targets.items()):
            before = ini_edit.read_text(path)
            if not before and not os.path.exists(path):
                continue          # a conf the host does not have (nodemgr on a lean compute)
            after, changed = ini_edit.apply_edits(before, edits)
            if changed:
                conf[path] = [vrouter.key_name(spec) for spec in changed]
                diffs.append(dict(before=before, after=after, before_header=path,
                                  after_header=path))
        running = snap['service']['state'] == 'running'
        kmod = dict(snap['kmod'], reload=False, reason=None)
        if self.params['reload_kmod']:
            record = self.fact.get('vrouter') or {}
            unfinished = record.get('status') if record.get('status') in ('in_progress',
                                                                          'failed') else None
            if unfinished == 'failed':
                unfinished = 'failed at %s' % record.get('failed_step', '?')
            kmod['reason'] = vrouter.kmod_reload_reason(
                snap['kmod'], vrouter.kmod_target(self.wanted), bool(packages), unfinished)
            kmod['reload'] = bool(kmod['reason'])
        restart = bool(packages or conf or kmod['reload']) or not running
        if packages:
            diffs.insert(0, _package_diff(packages))
        return dict(packages=packages, conf=conf, restart=restart, kmod=kmod), diffs

    def check_repositories(self, changes):
        if self.params['update_cache']:
            self.pkg.refresh()
        wanted = dict((name, change['to']) for name, change in changes.items())
        missing = self.pkg.missing_from_repo(wanted)
        if missing:
            raise vrouter.VrouterError(
                'not in the configured repositories: %s' % ', '.join(
                    '%s=%s' % item for item in sorted(missing.items())))
        simulated = self.pkg.simulate(wanted)
        touched = [n for n in list(simulated['install']) + simulated['remove']
                   if n in vrouter.PROTECTED_PACKAGES]
        if touched:
            raise vrouter.VrouterError('the install would change %s; the vRouter swap never '
                                       'touches nova-compute' % ', '.join(touched))
        return simulated

    # -- the run ---------------------------------------------------------------------------
    def run(self):
        names = list(dict.fromkeys([vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES)
                                   + list(self.params['packages'] or [])))
        installed = self.pkg.installed(names + list(vrouter.DPDK_PACKAGES))
        self.result['node'] = vrouter.node_kind(installed, self.params['agent_conf'],
                                                self.tor_confs)
        vrouter.refuse_unsupported(self.result['node'])
        self.decide_target(installed)
        names = list(dict.fromkeys(names + list(self.wanted)))
        before = self._snapshot(names)
        plan, diffs = self.plan(before)
        self.result.update(plan=plan, previous=self._state_record(before),
                           target=dict(versions=self.wanted, conf=dict(
                               (p, ['%s/%s=%s' % e for e in edits])
                               for p, edits in self.conf_targets.items())))
        self.result['prestaged'] = all(self.pkg.cache_file(n, c['to'])
                                       for n, c in plan['packages'].items())
        self.result['version'] = _agent_version(before)
        if not plan['restart']:
            if self.params['require_change']:
                raise vrouter.VrouterError('already on target (%s) and require_change=true'
                                           % (self.params['version'] or 'recorded state'))
            return self.result
        if plan['packages']:
            with self.run_cmd.limited(self.params['install_timeout'],
                                      'the package manager to check the repositories'):
                self.check_repositories(plan['packages'])
        if self.params['require_prestaged'] and not self.result['prestaged']:
            missing = [n for n, c in plan['packages'].items() if not self.pkg.cache_file(n, c['to'])]
            raise vrouter.VrouterError('require_prestaged=true but not in the package cache: %s '
                                       '(run vrouter_prestage first)' % ', '.join(missing))
        self.result['changed'] = True
        if self.module._diff:
            self.result['diff'] = diffs
        if self.module.check_mode:
            return self.result
        self.execute(before, plan, names)
        return self.result

    def execute(self, before, plan, names):
        self._step('record', self._record, before, 'in_progress')
        baseline = self._baseline(before)
        # Packages and conf first, while the old agent still forwards: a running agent keeps
        # the code and conf it started with until it is restarted (4.x re-reads the server
        # lists on SIGHUP only), so the outage is only the stop, module reload and start.
        if plan['packages']:
            self._step('install', self._install, plan['packages'])
        self._step('conf', self._write_conf)
        # The role's other daemons (nodemgr) do not forward: they stop before the outage, and
        # the agent is stopped on its own first, so the service stop only has supervisord left
        # to end (2.2 s -> 1.3 s on the lab).
        self._step('prestop', self._stop_companions, before)
        started = time.monotonic()
        self._step('stop', self._stop_agent_first, before)
        # The loaded module decides (plan['kmod']), not the package plan: a resumed swap has
        # no package left to change and the old module still loaded.
        if plan['kmod']['reload']:
            self._step('kmod', self._unload_kmod)
        self._step('start', self._start)
        # From the start on, every wait also asks the service manager (at most once a second)
        # whether it gave up on the agent: a dead agent fails the swap in seconds, not after
        # wait_timeout.
        watch = service_manager.GiveUpWatch(self.svc, [vrouter.AGENT_PROGRAM])
        if self.params['wait']:
            port = vrouter.agent_port(self.params['agent_conf'])
            client = vrouter.introspect_client(self.params['introspect_host'], port)
            self._step('xmpp_up', self._wait_xmpp, client, watch)
            if self.params['route_check'] == 'previous' and baseline is not None:
                self._step('routes_back', self._wait_routes, client, baseline, watch)
        self.result['timings']['outage'] = round(time.monotonic() - started, 3)
        if self.params['wait']:
            # Forwarding is back; the swap is done when supervisor (or systemd) also calls
            # the daemons up: an agent still in STARTING may yet exit, BACKOFF and be lost.
            self._step('running', self._wait_running, before, watch)
        after = self._snapshot(names)
        self.result['version'] = _agent_version(after)
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

    def _write_conf(self):
        for path, edits in sorted(self.conf_targets.items()):
            if os.path.exists(path):
                ini_edit.edit_file(path, edits)

    @staticmethod
    def _running_before(before):
        """The role's daemons that were RUNNING when the swap began."""
        return set(name for name, state in (before['service'].get('programs') or {}).items()
                   if state == 'RUNNING')

    def _stop_companions(self, before):
        for name in sorted(self._running_before(before) - set([vrouter.AGENT_PROGRAM])):
            with self.run_cmd.limited(self.params['service_timeout'], '%s to stop' % name):
                self.svc.stop_program(name)

    def _stop_agent_first(self, before):
        # From the snapshot, not a new status query: this runs inside the outage.
        if vrouter.AGENT_PROGRAM in self._running_before(before):
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
        targets = [s.split(':')[0] for s in self.params['control_servers'] or []]
        if self.params['rollback']:
            targets = vrouter.servers_view(vrouter.read_conf_values(
                self.params['agent_conf'], vrouter.AGENT_KEYS))['control_servers']
            targets = [s.split(':')[0] for s in targets]

        def ready(peers):
            return vrouter.xmpp_ready(peers, targets)
        peers = wait_for(_watched(lambda: vrouter.xmpp_peers(client), ready, watch),
                         self.params['wait_timeout'], self.params['wait_interval'],
                         'XMPP Established to %s' % (', '.join(targets) or 'a control node'),
                         until=ready, retry_on=(IntrospectError,))
        self.result['xmpp'] = peers

    def _wait_running(self, before, watch):
        wanted = self._running_before(before) | set([vrouter.AGENT_PROGRAM])
        watch.programs = sorted(wanted)

        def not_running():
            programs = self.svc.programs()
            watch.judge(programs)     # FATAL at once, EXITED once it lasts: no point waiting
            return dict((name, programs.get(name, 'absent')) for name in sorted(wanted)
                        if programs.get(name) != 'RUNNING')
        wait_for(not_running, self.params['wait_timeout'], self.params['wait_interval'],
                 'RUNNING for %s' % ', '.join(sorted(wanted)),
                 until=lambda left: not left, retry_on=(service_manager.ServiceError,))

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
        if not self.params['wait'] or self.params['route_check'] == 'none' \
                or snap['service']['state'] != 'running':
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

    def _state_record(self, snap):
        return dict(versions=dict((n, snap['packages'][n]['version'])
                                  for n in self.wanted if n in snap['packages']),
                    agent_conf=snap['agent_conf'], nodemgr_conf=snap['nodemgr_conf'],
                    tor_agent_confs=snap['tor_agent_confs'], service=snap['service']['state'])

    def _record(self, snap, status):
        """Write the fact file. The previous state is recorded once, before the first change
        from a clean state, and kept by a rollback to it (so a second rollback is a no-op)."""
        record = dict(self.fact.get('vrouter') or {})
        if status == 'in_progress' and vrouter.may_record_previous(self.fact) \
                and self.wanted != (record.get('previous') or {}).get('versions'):
            record['previous'] = dict(self._state_record(snap), recorded_at=vrouter.now())
        record.update(status=status, target_versions=self.wanted, updated_at=vrouter.now())
        if status == 'done':
            record['current'] = self._state_record(snap)
            record.pop('failed_step', None)
            record.pop('host_state', None)
        self.fact['vrouter'] = record
        vrouter.write_fact(self.params['fact_file'], self.fact)

    def fail(self, step, msg, names, **details):
        """Report the step and the state the host is in now; record it in the fact file.
        With rollback_on_failure, a swap that changed the host is first rolled back."""
        if self.params['rollback_on_failure'] and not self.params['rollback'] \
                and step not in ('validate', 'record') and not self.module.check_mode:
            details['rolled_back'] = self._roll_back_now()
            back = details['rolled_back']
            msg += ('; rolled back at once to %s' % back['version'] if back['ok'] else
                    '; the rollback at once failed at %s: %s' % (back['failed_step'], back['msg']))
        try:
            snap = self._snapshot(names)
            previous = (vrouter.previous_state(self.fact) or {}).get('versions')
            host_state = dict(summary=vrouter.describe_host(snap, self.wanted, previous),
                              version=_agent_version(snap),
                              service=snap['service'], packages=snap['packages'],
                              kmod=snap['kmod'], agent_conf=snap['agent_conf'])
        except Exception as exc:  # pylint: disable=broad-except
            host_state = dict(summary='unknown: could not read the host state: %s' % exc)
        details.setdefault('diagnostics', {})
        details['diagnostics']['agent_log'] = _tail(AGENT_LOGS)
        if step not in ('validate',) and not self.module.check_mode:
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
        params.update(dict((key, None) for key in ('version', 'packages') + vrouter.SERVER_OPTIONS))
        params.update(rollback=True, require_change=False, require_prestaged=False)
        try:
            result = Swap(self.module, self.run_cmd, self.lock).run()
            return dict(ok=True, version=result.get('version'), timings=result['timings'])
        except StepFailed as exc:
            return dict(ok=False, failed_step=exc.step, msg=str(exc))
        except (vrouter.VrouterError, vrouter.CommandTimeout, pkg_manager.PackageError,
                service_manager.ServiceError, OSError) as exc:
            return dict(ok=False, failed_step='validate', msg=str(exc))
        finally:
            params.clear()
            params.update(saved)

    def _record_failure(self, step, summary):
        record = dict(self.fact.get('vrouter') or {})
        if record.get('status') != 'in_progress':
            return
        record.update(status='failed', failed_step=step, host_state=summary,
                      updated_at=vrouter.now())
        self.fact['vrouter'] = record
        vrouter.write_fact(self.params['fact_file'], self.fact)


def _service_name(svc):
    return svc.service if svc.kind == 'supervisor' else ', '.join(svc.units)


def _agent_version(snap):
    return (snap['packages'].get(vrouter.AGENT_PROGRAM) or {}).get('version')


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


def _package_diff(changes):
    before = ''.join('%s=%s\n' % (n, c['from']) for n, c in sorted(changes.items()))
    after = ''.join('%s=%s\n' % (n, c['to']) for n, c in sorted(changes.items()))
    return dict(before=before, after=after, before_header='packages', after_header='packages')


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


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
    )
    names = [vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES)
    try:
        swap = Swap(module)
    except (vrouter.VrouterError, vrouter.CommandTimeout, pkg_manager.PackageError,
            service_manager.ServiceError, OSError) as exc:
        module.fail_json(msg=str(exc), failed_step='validate',
                         host_state=dict(summary='unchanged'))
    try:
        result = swap.run()
    except StepFailed as exc:
        swap.fail(exc.step, str(exc), names + list(swap.wanted), **exc.details)
    except (vrouter.VrouterError, vrouter.CommandTimeout, pkg_manager.PackageError,
            service_manager.ServiceError, OSError) as exc:
        module.fail_json(msg=str(exc), failed_step='validate',
                         host_state=dict(summary='unchanged'), **swap.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
