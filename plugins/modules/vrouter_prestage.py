#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vrouter_prestage
short_description: Download a Contrail release's vRouter packages into the package cache without installing them
version_added: 1.0.0
description:
  - Pre-stages the packages of a compute's vRouter swap, so that no compute downloads anything
    during its outage. Run it on all target computes in parallel before the rolling phase.
  - First checks that every wanted version exists in the configured repositories, and fails
    with the list of the missing ones before downloading anything.
  - Then downloads the exact versions (C(apt-get install --download-only), or
    C(dnf install --downloadonly)); nothing is installed or started.
  - Packages already installed at the wanted version, and packages already in the cache, are
    not downloaded again; when nothing is left to fetch the module reports no change.
author:
  - opencontrail.issu developers (@opencontrail-issu)
extends_documentation_fragment:
  - opencontrail.issu.vrouter.package_manager
attributes:
  check_mode:
    support: full
    description: Checks the repositories and the cache and reports what would be downloaded.
  diff_mode:
    support: none
    description: Nothing is edited; the result lists the packages fetched.
  platform:
    support: full
    platforms: posix
    description: Runs on the compute node (apt, dnf or yum).
options:
  version:
    description: Version of every package to pre-stage (V(4.0.3.0-62)).
    type: str
    required: true
  packages:
    description:
      - Packages to pre-stage; default is the swap's package set (see
        M(opencontrail.issu.vrouter_swap) O(opencontrail.issu.vrouter_swap#module:packages)).
    type: list
    elements: str
  update_cache:
    description:
      - Refresh the package lists first (C(apt-get update), C(dnf makecache)), in check mode too;
        the refresh changes only the package manager's cache of the lists, and without it a
        release just published would be reported missing (preflight relies on it).
    type: bool
    default: true
seealso:
  - module: opencontrail.issu.vrouter_swap
'''

EXAMPLES = r'''
- name: Pre-stage 4.0 on every compute before the rolling phase
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62

- name: Pre-stage the rollback packages too
  opencontrail.issu.vrouter_prestage:
    version: 3.2.14.0-37
    update_cache: false
'''

RETURN = r'''
packages:
  description: The packages of the set and their wanted version.
  returned: always
  type: dict
  sample: {contrail-vrouter-agent: 4.0.3.0-62}
fetched:
  description: Packages downloaded by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [contrail-vrouter-agent=4.0.3.0-62]
already_cached:
  description: Packages whose wanted version was in the cache (or installed) already.
  returned: always
  type: list
  elements: str
bytes:
  description: Size in bytes of the package files fetched by this run.
  returned: always
  type: int
  sample: 1843200
seconds:
  description: Time spent downloading.
  returned: always
  type: float
  sample: 2.31
cache_files:
  description: Paths of the cached package files of the set.
  returned: always
  type: list
  elements: str
missing:
  description: On failure, the C(name=version) entries no configured repository offers.
  returned: failure
  type: list
  elements: str
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter


def wanted_packages(pkg, params):
    """{name: version} of the set, from the installed packages or the given names."""
    names = [vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES) + list(params['packages'] or [])
    installed = pkg.installed(names)
    names = vrouter.package_set(installed, os.uname()[2], params['packages'])
    return dict((name, params['version']) for name in names), installed


def split_by_need(pkg, wanted, installed):
    """(to fetch, already cached or installed) as {name: version} dicts."""
    fetch, have = {}, {}
    for name, version in sorted(wanted.items()):
        current = (installed.get(name) or {}).get('version')
        if current == version or pkg.cache_file(name, version):
            have[name] = version
        else:
            fetch[name] = version
    return fetch, have


def run(module):
    params = module.params
    pkg = pkg_manager.detect(module.run_command, params['package_manager'])
    wanted, installed = wanted_packages(pkg, params)
    if params['update_cache']:
        pkg.refresh()
    missing = pkg.missing_from_repo(wanted)
    if missing:
        module.fail_json(msg='not in the configured repositories: %s' % ', '.join(
            '%s=%s' % item for item in sorted(missing.items())),
            missing=['%s=%s' % item for item in sorted(missing.items())], packages=wanted)
    fetch, have = split_by_need(pkg, wanted, installed)
    result = dict(changed=bool(fetch), packages=wanted, fetched=_pins(fetch),
                  already_cached=_pins(have), bytes=0, seconds=0.0)
    if fetch and not module.check_mode:
        started = time.monotonic()
        pkg.download(fetch)
        result['seconds'] = round(time.monotonic() - started, 3)
        not_cached = [n for n, v in fetch.items() if not pkg.cache_file(n, v)]
        if not_cached:
            module.fail_json(msg='downloaded, yet not in the cache: %s' % ', '.join(not_cached),
                             **result)
        result['bytes'] = sum(os.path.getsize(pkg.cache_file(n, v)) for n, v in fetch.items())
    result['cache_files'] = [f for f in (pkg.cache_file(n, v) for n, v in sorted(wanted.items()))
                             if f]
    return result


def _pins(packages):
    return ['%s=%s' % item for item in sorted(packages.items())]


def main():
    spec = vrouter.package_manager_argument_spec()
    spec.update(
        version=dict(type='str', required=True),
        packages=dict(type='list', elements='str'),
        update_cache=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        module.exit_json(**run(module))
    except pkg_manager.PackageError as exc:
        module.fail_json(msg=str(exc), command=exc.to_dict())
    except vrouter.VrouterError as exc:
        module.fail_json(msg=str(exc))


if __name__ == '__main__':
    main()
