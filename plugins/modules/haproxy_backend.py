#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: haproxy_backend
short_description: Set HAProxy backend servers ready, drain or maint, switch their addresses, and persist it
version_added: 1.0.0
description:
  - Drives HAProxy's runtime API (stats socket, unix or TCP) for the servers of one or more
    backends. Used by the ISSU to freeze the northbound API (drain, then maint), to open it
    again (ready), and to switch a backend from the v1 API servers to the v2 ones.
  - Sets the administrative state of named servers, or of all servers of the named backends,
    to V(ready), V(drain) or V(maint) with C(set server <backend>/<server> state).
  - Switches server addresses with C(set server <backend>/<server> addr <ip> port <port>).
  - Adds a server for each address of O(add_addresses) that no server of a backend has (once
    O(addresses) is applied) with C(add server) (HAProxy 2.5 or later, a backend with a dynamic
    load-balancing algorithm such as C(roundrobin) or C(leastconn)), so a backend can end on
    more servers than its configuration listed - the switch from one v1 API server to three v2
    ones. With O(config_file) the new server also gets a C(server) line there.
  - Compares the wanted state with what HAProxy reports before acting, so C(changed) is true
    only when a server's state or address (or a persisted copy of them) really changes.
    Live values such as session counts or check status never count as a change.
  - B(Persistence across reload or restart.) HAProxy forgets runtime changes when it reloads.
    This module keeps them with two mechanisms, each used for what it reliably carries
    (checked against HAProxy 2.6).
  - The server-state-file (O(server_state_file)) carries the administrative state.
    HAProxy only reads this file, at start and reload, with C(load-server-state-from-file);
    it never writes it. So after every change the module writes the output of
    C(show servers state) to the file, atomically. This is the mechanism HAProxy provides
    for runtime state, and it needs no rewrite of the configuration.
  - The configuration file (O(config_file)) carries addresses. HAProxy 2.6 restores a
    server's port from the state file but takes its address from the configuration unless
    the server uses DNS resolution. An address switch is therefore also written into the
    C(server) line of the backend (or C(listen)) section of O(config_file), so that a
    reload or restart keeps the v2 addresses. Only the address token of that line is
    replaced; the rest of the file is left as it is.
  - The module does not reload HAProxy. A reload (C(haproxy -sf), C(systemctl reload haproxy))
    after this module keeps the states and addresses it set.
  - A server that is DOWN (failed health checks) can be drained or put in maint. With
    O(wait=true) the module waits for its sessions to reach 0, not for a C(DRAIN) status
    that a DOWN server never shows.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: Reads the current state and reports what would change, without sending any set command or writing any file.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The diff shows, per server, the state and address before and after, and the persisted copies when O(server_state_file) or O(config_file) are set.
  platform:
    description: Target OS/families that can be operated against.
    details: >-
      Runs where O(server_state_file) and O(config_file) are, normally on the HAProxy host.
      The runtime API may be reached over TCP from elsewhere when no file is managed.
options:
  socket:
    description:
      - The HAProxy stats socket, which needs C(level admin).
      - A unix socket path (V(/run/haproxy/admin.sock) or V(unix:/run/haproxy/admin.sock)),
        or TCP as V(tcp://127.0.0.1:9999) or V(ipv4@127.0.0.1:9999).
    type: str
    default: /run/haproxy/admin.sock
  socket_timeout:
    description:
      - Seconds to wait for each runtime API answer.
    type: int
    default: 10
  backends:
    description:
      - Names of the backends (or C(listen) sections) to act on.
    type: list
    elements: str
    required: true
    aliases: [backend]
  servers:
    description:
      - Names of the servers to act on in each of O(backends).
      - When empty or omitted, all servers of the backends.
    type: list
    elements: str
    default: []
    aliases: [server]
  state:
    description:
      - Administrative state of the servers.
      - V(ready) takes the servers out of drain and maintenance.
      - V(drain) sends no new session to the servers; established sessions go on.
      - V(maint) takes the servers out of load balancing and stops health checks.
      - When omitted, the state is not changed.
    type: str
    choices: [ready, drain, maint]
  addresses:
    description:
      - New addresses of the servers, as V(ip) (keeps the port) or V(ip:port) (V([ipv6]:port)).
      - Either a mapping or a list.
      - A B(mapping) is keyed by server name or by the current address (V(ip) or V(ip:port)),
        for example the v1 API server address mapped to the v2 one. A key that matches no
        server is an error unless a server already has its value (the switch was done
        earlier), or O(fail_on_not_found=false).
      - A B(list) gives the new addresses in the order of the servers in each backend
        (the configuration order); its length must equal the number of servers acted on
        in each backend.
      - Applied before O(add_addresses).
    type: raw
  add_addresses:
    description:
      - Addresses, V(ip:port) or V(ip) (then the port of the backend's first server), that every
        backend of O(backends) must have a server for. A server is added for each one that no
        server of the backend has once O(addresses) is applied, so a second run adds nothing.
      - The new server is named after its address (V(ip), or V(ip-2) ... when that name is
        taken). It gets the options of O(add_options), and gets the state of O(state), else the
        (wanted) state of the backend's first server, so a frozen backend stays frozen.
      - HAProxy creates it with C(add server) and, when its options have C(check), starts its
        health checks with C(enable health). HAProxy does not reload a runtime-only server, so
        with O(config_file) a C(server) line is added after the last one of the backend (also
        for a server added by an earlier run whose line is missing).
      - Requires HAProxy 2.5 or later and a backend with a dynamic load-balancing algorithm;
        HAProxy refuses C(add server) otherwise, and the module fails with its message.
    type: list
    elements: str
  add_options:
    description:
      - Options of the servers O(add_addresses) adds (the words after the address of a
        C(server) line), for example V(check inter 2000 rise 2 fall 3).
      - When omitted, the options of the backend's first C(server) line in O(config_file)
        (health checks included), else none. Copied options must be keywords that
        C(add server) accepts (HAProxy 2.6's list); another one (V(cookie), V(resolvers) ...)
        is an error before anything changes, and this option then says what to use.
    type: str
  fail_on_not_found:
    description:
      - Fail when a backend or a server does not exist, before changing anything.
      - When V(false), missing ones are skipped and listed in RV(not_found).
    type: bool
    default: true
  server_state_file:
    description:
      - Path of the HAProxy C(server-state-file). When set, the module writes the output of
        C(show servers state) to it after changing anything, and also when the file does not
        yet hold the wanted state of the servers, so a reload keeps their state.
      - The HAProxy configuration must name this file in C(server-state-file) and use
        C(load-server-state-from-file global) (in C(defaults) or the backends).
    type: path
  config_file:
    description:
      - Path of the HAProxy configuration. When set together with O(addresses), the address of
        each switched server is also written in its C(server) line, so a restart keeps it.
      - A server that O(addresses) switches but that has no C(server) line in its section of
        this file is an error.
      - A server that O(add_addresses) adds (or added earlier) gets a C(server) line after the
        last one of its section.
    type: path
  backup:
    description:
      - Keep a timestamped copy of O(config_file) before changing it.
    type: bool
    default: false
notes:
  - The O(wait) condition depends on each server's final state. For V(ready) the server must be
    C(UP) (or have no health check). For V(drain) and V(maint) its current session count
    (C(scur)) must be 0.
  - Requires HAProxy 1.8 or later (C(set server ... state), C(show servers state), C(set server ... addr ... port)),
    and 2.5 or later for O(add_addresses) (C(add server)).
seealso:
  - name: HAProxy management guide, runtime API
    description: The runtime API commands used by this module.
    link: https://docs.haproxy.org/2.6/management.html#9.3
  - name: HAProxy server-state-file
    description: How HAProxy loads the state file on reload.
    link: https://docs.haproxy.org/2.6/configuration.html#3.1-server-state-file
'''

EXAMPLES = r'''
- name: Freeze the northbound API - stop new sessions to the v1 API servers, wait for them to end
  opencontrail.issu.haproxy_backend:
    socket: tcp://127.0.0.1:9999
    backends: contrail-api
    state: drain
    wait: true
    wait_timeout: 300
    server_state_file: /var/lib/haproxy/server-state

- name: Then put them in maintenance (a DOWN server is fine)
  opencontrail.issu.haproxy_backend:
    backends: [contrail-api, neutron-server]
    state: maint
    server_state_file: /var/lib/haproxy/server-state

- name: Switch the API backend to the v2 controllers and open it again
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses:
      10.99.0.11: 10.99.0.21
      10.99.0.12: 10.99.0.22
      10.99.0.13: 10.99.0.23
    state: ready
    wait: true
    server_state_file: /var/lib/haproxy/server-state
    config_file: /etc/haproxy/haproxy.cfg
    backup: true

- name: Same switch, by position
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses: [10.99.0.21, 10.99.0.22, 10.99.0.23]
    config_file: /etc/haproxy/haproxy.cfg

- name: Switch a backend of one v1 API server to three v2 ones (the third added)
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    addresses:
      10.99.0.11: 10.99.0.21:8082
    add_addresses: [10.99.0.21:8082, 10.99.0.22:8082, 10.99.0.23:8082]
    server_state_file: /var/lib/haproxy/server-state
    config_file: /etc/haproxy/haproxy.cfg

- name: Take one server out, by name
  opencontrail.issu.haproxy_backend:
    backends: contrail-api
    servers: [ctrl2]
    state: maint
'''

RETURN = r'''
before:
  description:
    - Per server (C(<backend>/<server>)), the state and address before the module ran, under
      C(servers) (a server O(add_addresses) adds is absent here and present in RV(after));
      with O(server_state_file), what that file held under C(server_state_file);
      with O(config_file) and O(addresses), the configured addresses under C(config_file).
  returned: always
  type: dict
  sample:
    servers:
      contrail-api/ctrl1: {state: ready, address: 10.99.0.11, port: 8082}
after:
  description: Same keys as RV(before), after the module ran (or would run, in check mode).
  returned: always
  type: dict
  sample:
    servers:
      contrail-api/ctrl1: {state: maint, address: 10.99.0.11, port: 8082}
commands:
  description: Runtime API commands sent (or, in check mode, that would be sent), in order.
  returned: always
  type: list
  elements: str
  sample:
    - set server contrail-api/ctrl1 state maint
    - add server contrail-api/10.99.0.22 10.99.0.22:8082 check inter 2000
    - enable health contrail-api/10.99.0.22
servers:
  description: Live view of each server at the end, including its check status and sessions.
  returned: always
  type: list
  elements: dict
  sample:
    - {backend: contrail-api, server: ctrl1, state: maint, status: MAINT, address: 10.99.0.11, port: 8082, sessions: 0}
persisted:
  description: Which files were written (or would be, in check mode).
  returned: always
  type: dict
  sample: {server_state_file: true, config_file: false}
not_found:
  description: Backends or servers (C(<backend>/<server>)) that do not exist, with O(fail_on_not_found=false).
  returned: always
  type: list
  elements: str
  sample: [contrail-api/ctrl9]
haproxy_version:
  description: Version of the HAProxy process behind the socket.
  returned: always
  type: str
  sample: 2.6.12-1+deb12u4
wait:
  description: On a wait timeout, what was waited for and the last state seen.
  returned: failure
  type: dict
backup_file:
  description: Copy of O(config_file) taken before it was rewritten, with O(backup=true).
  returned: when O(backup=true) and O(config_file) changed
  type: str
  sample: /etc/haproxy/haproxy.cfg.12345.2026-11-24@10:00:00~
'''

from ansible_collections.opencontrail.issu.plugins.module_utils import haproxy_config
from ansible_collections.opencontrail.issu.plugins.module_utils.haproxy_runtime import HAProxyRuntime
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule


def argument_spec():
    return dict(
        socket=dict(type='str', default='/run/haproxy/admin.sock'),
        socket_timeout=dict(type='int', default=10),
        backends=dict(type='list', elements='str', required=True, aliases=['backend']),
        servers=dict(type='list', elements='str', default=[], aliases=['server']),
        state=dict(type='str', choices=['ready', 'drain', 'maint']),
        addresses=dict(type='raw'),
        add_addresses=dict(type='list', elements='str'),
        add_options=dict(type='str'),
        fail_on_not_found=dict(type='bool', default=True),
        server_state_file=dict(type='path'),
        config_file=dict(type='path'),
        backup=dict(type='bool', default=False),
    )


def run(module):
    """Read and plan (haproxy_config), apply unless in check mode, report the servers."""
    params = module.params
    runtime = HAProxyRuntime(params['socket'], params['socket_timeout'])
    result = dict(haproxy_version=runtime.version())
    plan = haproxy_config.read_and_plan(runtime, params)
    result.update(plan.result())
    result['diff'] = dict(before=plan.before, after=plan.after)
    if not module.check_mode:
        result.update(haproxy_config.apply(runtime, plan, params, backup=module.backup_local))
    result['servers'] = haproxy_config.current_servers(runtime, params['backends'],
                                                       set(plan.after['servers']))
    return result


def main():
    IssuModule(argument_spec(), groups=('wait',)).run_and_exit(
        run, errors=(ValueError, IOError))


if __name__ == '__main__':
    main()
