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
    held before is back; then, after its daemons are RUNNING, until the agent reports its
    NodeStatus Functional (O(functional_timeout)). A failed install therefore costs no outage: the old agent runs on.
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
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vrouter
  - opencontrail.issu.vrouter.package_manager
  - opencontrail.issu.vrouter.tor_agents
  - opencontrail.issu.vrouter.agent_state
  - opencontrail.issu.wait
attributes:
  check_mode:
    description: Computes the plan (package changes, conf edits, restart) from the host's real state and reports it without changing anything.
  diff_mode:
    support: full
    description: Shows the package version changes and the edits of the agent, nodemgr and ToR agent confs.
  platform:
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
        supervisor's C(startsecs)), so a daemon that exits soon after its start fails the swap;
        last, until the agent's NodeStatus is Functional (O(functional_timeout)).
    type: bool
    default: true
  wait_interval:
    description:
      - Longest pause in seconds between two checks. Short, because the wait is part of the
        outage.
    type: float
    default: 0.25
  functional_timeout:
    description:
      - Seconds the agent may take, once its daemons are RUNNING, to report its NodeStatus
        (C(SandeshUVECacheReq x=NodeStatus) on its introspect, O(introspect_host) and the port
        of O(agent_conf)) C(Functional) by its own measure - its DNS and collector connections,
        its config for itself - as M(opencontrail.issu.node_status_info) waits for it. Timed as
        C(functional) in RV(timings).
      - An agent still not Functional then fails the swap at C(functional), naming each process
        that is not and its description; with O(rollback_on_failure=true) it is rolled back
        as any failed wait is.
      - A compute already on the target (nothing to change, C(changed=false)) is checked the
        same way - it counts as on the target only when its agent is Functional.
      - V(0) (or null) skips it. Only with O(wait=true); not in check mode, and not for a
        rollback (O(rollback=true), or the one O(rollback_on_failure) makes), which restores the
        recorded state as it was.
    type: int
    default: 60
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
    - The kind of vRouter node, as RV(opencontrail.issu.vrouter_info#module:node) of
      M(opencontrail.issu.vrouter_info) - C(platform), C(agent_mode), C(tor_agents) and
      C(refused), why an in-place swap refuses it (null when it does not). A TSN is swapped like a
      compute; a DPDK or SmartNIC vRouter is refused before anything changes.
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
    - Seconds per step (install, conf, prestop, stop, kmod, start, xmpp_up, routes_back, running,
      functional).
    - C(outage) runs from the agent's stop to the routes back.
  returned: when the swap ran
  type: dict
  sample: {prestop: 0.2, stop: 0.41, install: 6.2, conf: 0.01, kmod: 0.05, start: 0.3, xmpp_up: 0.5, routes_back: 0.2, outage: 7.7, running: 4.1,
           functional: 0.3}
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
node_status:
  description:
    - The agent's NodeStatus processes last read by the C(functional) step, as
      RV(opencontrail.issu.node_status_info#module:processes) of
      M(opencontrail.issu.node_status_info) (C(module_id), C(state), C(description),
      C(connection_infos)).
  returned: when the swap waited for NodeStatus Functional (O(functional_timeout)) and the agent answered
  type: list
  elements: dict
  sample: [{name: lab-compute1, module_id: contrail-vrouter-agent, state: Functional, description: '', connection_infos: []}]
failed_step:
  description:
    - On failure, the step that failed (validate, record, install, conf, prestop, stop, kmod, start, xmpp_up, routes_back, running,
      functional).
    - C(functional) is an agent whose NodeStatus stayed not Functional for O(functional_timeout)
      (the message lists each process that is not, and why).
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

from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.vrouter_swap import (
    VALIDATE_ERRORS,
    StepFailed,
    Swap,
)

#: The shared option groups (module_base.ARGUMENT_GROUPS) beside :func:`argument_spec`.
GROUPS = ('vrouter', 'vrouter.tor_agents', 'vrouter.agent_state', 'wait')


def argument_spec():
    """The module's own options; ``wait`` and ``wait_interval`` replace the wait group's, with
    the swap's defaults."""
    return dict(
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
        wait=dict(type='bool', default=True),
        wait_interval=dict(type='float', default=0.25),
        functional_timeout=dict(type='int', default=60),
    )


def run(module):
    names = [vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES)
    try:
        swap = Swap(module)
    except VALIDATE_ERRORS as exc:
        module.fail(str(exc), failed_step='validate', host_state=dict(summary='unchanged'))
    try:
        return swap.run()
    except StepFailed as exc:
        swap.fail(exc.step, str(exc), names + list(swap.wanted), **exc.details)
    except VALIDATE_ERRORS as exc:
        module.fail(str(exc), failed_step='validate', host_state=dict(summary='unchanged'),
                    **swap.result)


def main():
    IssuModule(argument_spec(), groups=GROUPS).run_and_exit(run)


if __name__ == '__main__':
    main()
