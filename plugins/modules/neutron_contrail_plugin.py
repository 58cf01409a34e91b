#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: neutron_contrail_plugin
short_description: Set keys of neutron's Contrail plugin conf and restart neutron-server for them
version_added: 1.0.0
description:
  - neutron-server reaches Contrail through its Contrail plugin, configured in
    C(ContrailPlugin.ini) (C([APISERVER] api_server_ip), C(api_server_port),
    C([COLLECTOR] analytics_api_ip)), which it reads only when it starts. Finalize points it at
    v2 inside the northbound freeze.
  - This module sets the keys it is given, keeping every other line of the file (comments, key
    order, other sections) as it is, with a backup of the file it changes, and restarts
    neutron-server when the file changed or when neutron-server runs a config it has not read (a
    process started with this file as a C(--config-file) before the file last changed, as an
    earlier run that changed the file and could not restart it leaves it). One module run for what
    C(community.general.ini_file) per key and C(ansible.builtin.service) would do in several, and
    inside the freeze each run is time every northbound client waits.
  - The restart is C(systemctl restart) under a running systemd, else C(service <name> restart)
    (Contrail 3.2 and 4.0 hosts, sysvinit or upstart).
extends_documentation_fragment:
  - opencontrail.issu.module_base
attributes:
  check_mode:
    description: Reports the keys it would change and whether it would restart neutron-server.
  diff_mode:
    support: full
    description: Shows the file before and after.
  platform:
    description: Runs on a neutron-server host.
options:
  path:
    description: The Contrail plugin conf.
    type: path
    default: /etc/neutron/plugins/opencontrail/ContrailPlugin.ini
  settings:
    description: The keys to set.
    type: list
    elements: dict
    required: true
    suboptions:
      section:
        description: The section (C(APISERVER), C(COLLECTOR)...).
        type: str
        required: true
      option:
        description: The key.
        type: str
        required: true
      value:
        description: Its value.
        type: str
        required: true
  service:
    description: The neutron-server service restarted for the file; empty, none is restarted.
    type: str
    default: neutron-server
  backup:
    description: Keep a copy of the file as it was, beside it, when it changes.
    type: bool
    default: true
seealso:
  - module: community.general.ini_file
  - module: opencontrail.issu.haproxy_backend
'''

EXAMPLES = r'''
- name: Finalize, inside the freeze - point neutron's Contrail plugin at v2
  opencontrail.issu.neutron_contrail_plugin:
    settings:
      - {section: APISERVER, option: api_server_ip, value: 10.0.0.21}
      - {section: COLLECTOR, option: analytics_api_ip, value: 10.0.0.21}
'''

RETURN = r'''
path:
  description: The conf.
  returned: always
  type: str
changed_keys:
  description: The keys whose value changed (would, in check mode), as C(section.option).
  returned: always
  type: list
  elements: str
  sample: [APISERVER.api_server_ip, COLLECTOR.analytics_api_ip]
backup_file:
  description: The copy of the file as it was.
  returned: when the file changed, with O(backup), not in check mode
  type: str
restarted:
  description: Whether neutron-server was restarted (would be, in check mode).
  returned: always
  type: bool
restart_reason:
  description: Why it was restarted - V(changed), V(stale) (a process older than the file) or V(none).
  returned: always
  type: str
'''

import os

from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import apply_edits, read_text, write_atomic
from ansible_collections.opencontrail.issu.plugins.module_utils.issu_sync import process_start_time
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule
from ansible_collections.opencontrail.issu.plugins.module_utils.service_manager import restart_service


def readers(path, proc='/proc'):
    """The pids of the processes started with ``path`` as a ``--config-file`` (neutron-server's
    API and RPC workers, whatever their process title)."""
    wanted = os.path.realpath(path)
    pids = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, 'cmdline'), 'rb') as handle:
                args = handle.read().decode('utf-8', 'replace').split('\0')
        except (IOError, OSError):
            continue                       # gone meanwhile, or not ours to read
        for flag, value in zip(args, args[1:] + ['']):
            named = value if flag == '--config-file' else \
                flag.split('=', 1)[1] if flag.startswith('--config-file=') else None
            if named and os.path.realpath(named) == wanted:
                pids.append(int(entry))
                break
    return pids


def stale(path, proc='/proc'):
    """True when a process reading ``path`` started before the file last changed."""
    try:
        changed_at = os.stat(path).st_mtime
    except OSError:
        return False
    started = [process_start_time(pid, proc) for pid in readers(path, proc)]
    return any(at is not None and at < changed_at - 1 for at in started)   # /proc counts in ticks


def run(module):
    params = module.params
    path = params['path']
    if not os.path.isfile(path):
        module.fail('%s does not exist: is this a neutron-server host with the Contrail plugin '
                    '(path)?' % path)
    edits = []
    for key in params['settings']:
        for field in ('section', 'option'):
            if not key[field] or any(c in key[field] for c in '[]=\n'):
                module.fail('settings: %s must be a plain INI %s name, got %r' % (field, field, key[field]))
        if '\n' in key['value']:
            module.fail('settings: the value of %s.%s spans lines' % (key['section'], key['option']))
        edits.append((key['section'], key['option'], key['value']))
    before = read_text(path)
    after, changed_keys = apply_edits(before, edits)
    changed = after != before
    reason = 'changed' if changed else ('stale' if params['service'] and stale(path) else 'none')
    restart = bool(params['service']) and reason != 'none'
    result = module.result
    result.update(path=path, changed=changed or restart, restarted=restart, restart_reason=reason,
                  changed_keys=['%s.%s' % key for key in changed_keys],
                  diff=dict(before=before, after=after, before_header=path, after_header=path))
    if module.check_mode:
        return result
    if changed:
        if params['backup']:
            result['backup_file'] = module.backup_local(path)
        write_atomic(path, after)
    if restart:
        restart_service(module.run_command, params['service'])
    return result


def main():
    IssuModule(dict(
        path=dict(type='path', default='/etc/neutron/plugins/opencontrail/ContrailPlugin.ini'),
        settings=dict(type='list', elements='dict', required=True, options=dict(
            section=dict(type='str', required=True),
            option=dict(type='str', required=True),
            value=dict(type='str', required=True),
        )),
        service=dict(type='str', default='neutron-server'),
        backup=dict(type='bool', default=True),
    )).run_and_exit(run, errors=(OSError,))


if __name__ == '__main__':
    main()
