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
  - Packages already installed at the wanted version (unless O(include_installed=true)), and
    packages already in the cache, are not downloaded again; when nothing is left to fetch the
    module reports no change.
  - With O(sources), the module first points the package manager at the repository of the
    target release, which production computes do not have before the ISSU - it writes
    O(sources_file) (mode C(0644), atomically, only when its content or mode differ), then
    refreshes the package lists (those of O(sources_file) only by default, see
    O(update_cache_scope)) and checks and downloads as above.
  - In check mode with O(sources), nothing of the host's package configuration or lists is
    touched, yet the check reads the target repository - the module builds a temporary
    copy of the host's sources with O(sources_file) in it, refreshes the lists into that
    copy, asks it for the versions, and removes it. For apt that is C(apt-get update) and
    C(apt-cache madison) given (with C(-o)) C(Dir::Etc::SourceParts=TMP/parts),
    C(Dir::State::Lists=TMP/lists) and C(APT::Sandbox::User=root), apt's binary caches going
    to C(TMP) too; C(TMP/parts) holds a copy of C(/etc/apt/sources.list.d/*.list) and
    C(*.sources) with O(sources_file) in it, C(TMP/lists) a copy of the host's lists (so only
    what changed is fetched), and C(/etc/apt/sources.list) is read as usual. For dnf and
    yum it is C(--setopt=reposdir=TMP), C(TMP) holding a copy of C(/etc/yum.repos.d/*.repo)
    with O(sources_file) in it; the metadata cache is the host's, so the target
    repository's metadata is fetched into C(/var/cache/dnf) (or C(/var/cache/yum)).
  - Without O(sources) (or with an empty list) the module uses the repositories the host has.
  - With O(include_running), the same run also downloads the packages of the version the
    compute runs (the version of C(contrail-vrouter-agent), RV(running_version), as
    M(opencontrail.issu.vrouter_info) reports it), the packages a rollback installs - checked
    with the others before anything is downloaded, from the package lists as they are once
    refreshed (no second refresh).
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - opencontrail.issu.vrouter.package_manager
attributes:
  check_mode:
    description:
      - Checks the repositories and the cache and reports what would be downloaded, and with
        O(sources) whether O(sources_file) would be written (RV(sources_changed)); the
        repositories are then read through a temporary copy of the host's sources, nothing
        of the host's package configuration or lists is changed.
  diff_mode:
    support: full
    description: With O(sources), shows O(sources_file) before and after.
  platform:
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
      - With O(sources), the lists are refreshed anyway when O(sources_file) is written, and
        always in check mode (into the temporary copy, see the description).
    type: bool
    default: true
  update_cache_scope:
    description:
      - Which repositories a refresh (O(update_cache), or O(sources_file) written) updates,
        in check mode into the temporary copy.
      - V(sources) - with O(sources), those of O(sources_file) only (the target release's, the
        ones the ISSU needs fresh), the other lists kept as they are; when a wanted version is
        then not found, or apt cannot resolve a dependency of the download, every repository
        is refreshed once and the check or the download runs again (when that refresh fails,
        the original error is told, with the refresh's). In check mode the same, in the
        temporary copy. Without O(sources), and with dnf or yum, every repository.
      - V(all) - every configured repository (C(apt-get update)); each distribution mirror's
        index is fetched again, and a mirror that cannot be reached fails the pre-stage.
      - dnf and yum refresh every repository either way (only expired metadata is fetched).
    type: str
    choices: [sources, all]
    default: sources
  include_installed:
    description:
      - Download the packages installed at O(version) too (the package manager keeps no copy
        of what it installed); with O(version) the version the compute runs, these are the
        packages a rollback installs, then found in the cache when the repository cannot be
        reached inside the rollback's outage.
      - Without it a package installed at O(version) is not downloaded.
    type: bool
    default: false
  include_running:
    description:
      - Also download, in the same run, the packages of the set at the version the compute
        runs (RV(running_version)), installed ones included (as O(include_installed) does for
        O(version)), so that a rollback finds them in the cache when the repository cannot be
        reached inside its outage. Checked in the repositories with those of O(version), before
        anything is downloaded.
      - Nothing more is downloaded when the compute's version is unknown (no
        C(contrail-vrouter-agent) installed) or is O(version) already.
    type: bool
    default: false
  sources:
    description:
      - The repository definitions of the target release, one line an element, written to
        O(sources_file) (the lines joined by newlines, with a final newline).
      - For apt, C(sources.list) lines - each line not blank nor a C(#) comment must read
        C(deb [OPTIONS] URI SUITE [COMPONENT...]) or C(deb-src ...), at least one a C(deb)
        line, for example V(deb [trusted=yes] http://repo/4.0 ./); with an O(sources_file)
        ending in C(.sources) the lines are deb822 stanzas, taken as they are.
      - For dnf and yum, the lines of a C(.repo) file, with at least one C([REPOSITORY-ID])
        line (V([contrail-4.0]), V(baseurl=http://repo/4.0), V(gpgcheck=0)).
      - Checked before anything is run or written; the module fails saying which line or
        path is wrong.
      - Empty or omitted, the module uses the repositories the host has and O(sources_file)
        is ignored (an existing file is left as it is, never removed).
    type: list
    elements: str
  sources_file:
    description:
      - The file O(sources) are written to.
      - For apt, an absolute path in C(/etc/apt/sources.list.d) named C(NAME.list) (one-line
        sources) or C(NAME.sources) (deb822), C(NAME) made of letters, digits, C(_), C(-)
        and C(.) only (apt ignores other files); default
        V(/etc/apt/sources.list.d/contrail-issu.list).
      - For dnf and yum, an absolute path in C(/etc/yum.repos.d) ending in C(.repo); default
        V(/etc/yum.repos.d/contrail-issu.repo). An apt path given with dnf or yum fails.
      - Only used with O(sources).
    type: path
seealso:
  - module: opencontrail.issu.vrouter_swap
'''

EXAMPLES = r'''
- name: Pre-stage 4.0 on every compute before the rolling phase
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62

- name: Pre-stage the rollback packages too (the version the compute runs, from its cache)
  opencontrail.issu.vrouter_prestage:
    version: 3.2.14.0-37
    include_installed: true
    update_cache: false

- name: Pre-stage 4.0, and in the same run the packages of the version the compute runs
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62
    include_running: true
  register: prestaged   # prestaged.running_version - the version a rollback returns to

- name: Point apt at the 4.0 repository, then pre-stage 4.0 from it
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62
    sources:
      - deb [trusted=yes] http://repo.example.net/contrail/4.0 ./
    sources_file: /etc/apt/sources.list.d/contrail-4.0.list

- name: Preflight - is 4.0 in the target repository? (writes nothing, downloads nothing)
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62
    sources:
      - deb [trusted=yes] http://repo.example.net/contrail/4.0 ./
    sources_file: /etc/apt/sources.list.d/contrail-4.0.list
  check_mode: true
  register: target_repo

- name: The same on a dnf compute
  opencontrail.issu.vrouter_prestage:
    version: 4.0.3.0-62.el7
    package_manager: dnf
    sources:
      - "[contrail-4.0]"
      - name=Contrail 4.0
      - baseurl=http://repo.example.net/contrail/4.0/el7
      - gpgcheck=0
    sources_file: /etc/yum.repos.d/contrail-4.0.repo
'''

RETURN = r'''
packages:
  description: The packages of the set and their wanted version.
  returned: always
  type: dict
  sample: {contrail-vrouter-agent: 4.0.3.0-62}
running_version:
  description:
    - The version the compute runs, the version of C(contrail-vrouter-agent) (RV(opencontrail.issu.vrouter_info#module:version)
      of M(opencontrail.issu.vrouter_info)); V(null) when it is not installed. Returned on a
      failure after the installed packages were read too.
  returned: always
  type: str
  sample: 3.2.14.0-37
running_packages:
  description:
    - With O(include_running), the packages of the set and RV(running_version), downloaded
      with them; empty without it, and when RV(running_version) is V(null) or O(version).
  returned: always
  type: dict
  sample: {contrail-vrouter-agent: 3.2.14.0-37}
fetched:
  description:
    - Packages downloaded by this run (or that would be, in check mode), those of
      RV(running_packages) included.
  returned: always
  type: list
  elements: str
  sample: [contrail-vrouter-agent=4.0.3.0-62, contrail-vrouter-agent=3.2.14.0-37]
already_cached:
  description:
    - Packages whose wanted version was in the cache (or installed) already, those of
      RV(running_packages) included.
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
  description: Paths of the cached package files of the set (of RV(running_packages) too).
  returned: always
  type: list
  elements: str
missing:
  description:
    - On failure, the C(name=version) entries no configured repository offers (with
      O(sources), no repository once O(sources_file) is written), those of
      RV(running_packages) included.
  returned: failure
  type: list
  elements: str
sources_file:
  description:
    - The file O(sources) are written to (in check mode, would be); V(null) without
      O(sources).
  returned: always
  type: str
  sample: /etc/apt/sources.list.d/contrail-issu.list
sources_changed:
  description:
    - Whether O(sources_file) was written (in check mode, would be) because its content or
      mode differed; C(changed) is true then too. V(false) without O(sources).
  returned: always
  type: bool
  sample: true
'''

import os
import re
import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.opencontrail.issu.plugins.module_utils import ini_edit
from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter_swap_plan
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule

#: Mode of the sources file (apt and dnf read it as root, other tools as any user).
SOURCES_MODE = 0o644


def wanted_packages(pkg, params):
    """{name: version} of the set, from the installed packages or the given names."""
    names = [vrouter.KMOD_DKMS] + list(vrouter.COMPONENT_PACKAGES) + list(params['packages'] or [])
    installed = pkg.installed(names)
    names = vrouter.package_set(installed, os.uname()[2], params['packages'])
    return dict((name, params['version']) for name in names), installed


def split_by_need(pkg, wanted, installed, include_installed=False):
    """(to fetch, already cached or installed) as {name: version} dicts; with
    ``include_installed`` a package installed at its version counts only when cached."""
    fetch, have = {}, {}
    for name, version in sorted(wanted.items()):
        current = (installed.get(name) or {}).get('version')
        if (current == version and not include_installed) or pkg.cache_file(name, version):
            have[name] = version
        else:
            fetch[name] = version
    return fetch, have


def read_sources(module, pkg):
    """-> (path, wanted content, content before or None, whether to write it) of
    O(sources_file); fails before anything is run or written when O(sources) or
    O(sources_file) are refused."""
    params = module.params
    path = params['sources_file'] or pkg.default_sources_file()
    problems = pkg.sources_problems(params['sources'], path)
    if problems:
        module.fail_json(msg='nothing done, the sources are refused: %s' % '; '.join(problems),
                         problems=problems, sources_file=path, sources_changed=False)
    content = pkg_manager.render_sources(params['sources'])
    before, mode = None, None
    try:
        if os.path.lexists(path):
            with open(path, 'rb') as handle:
                before = handle.read().decode('utf-8', 'replace')
            mode = os.stat(path).st_mode & 0o7777
    except (OSError, IOError) as exc:
        module.fail_json(msg='%s: cannot read it: %s' % (path, to_native(exc)),
                         sources_file=path, sources_changed=False)
    return path, content, before, before != content or mode != SOURCES_MODE


def run(module):
    params = module.params
    pkg = pkg_manager.detect(module.run_command, params['package_manager'])
    if not params['sources']:
        result = prestage(module, pkg, params['update_cache'], {})
        result.update(sources_file=None, sources_changed=False)
        return result
    path, content, before, changed = read_sources(module, pkg)
    extra = dict(sources_file=path, sources_changed=changed,
                 diff=dict(before_header=path, after_header=path, before=before or '',
                           after=content))
    if module.check_mode:
        # The repositories as they will be once the file is written; the host's untouched.
        # read_sources checked the sources above, the one check of them.
        with pkg.extra_sources(params['sources'], path, checked=True):
            result = prestage(module, pkg, True, extra)
    else:
        if changed:
            try:
                ini_edit.write_atomic(path, content, mode=SOURCES_MODE)
            except (OSError, IOError) as exc:
                module.fail_json(msg='%s: cannot write it: %s' % (path, to_native(exc)),
                                 sources_file=path, sources_changed=False)
        result = prestage(module, pkg, params['update_cache'] or changed, extra)
    result['changed'] = result['changed'] or changed
    return result


class ListsRefresh:
    """The refreshes of the package lists in one run: the target's sources alone first
    (O(update_cache_scope)), every source once more only when that was not enough. In check
    mode both are the temporary copy's (``pkg.extra_sources``)."""

    def __init__(self, pkg):
        self.pkg = pkg
        self.partial = False    # only the target's sources were refreshed so far
        self.failed = None      # why refreshing every source failed

    def first(self, only):
        self.partial = self.pkg.refresh(only=only)

    def widen(self):
        """Refresh every source, once, after a scoped refresh -> whether it did (False when
        there is nothing to widen, or when it failed: ``told`` then adds why)."""
        if not self.partial:
            return False
        self.partial = False
        try:
            self.pkg.refresh()
        except pkg_manager.PackageError as exc:
            self.failed = str(exc)
            return False
        return True

    def told(self, msg):
        """``msg``, the original error, with why widening failed when it did."""
        if self.failed is None:
            return msg
        return '%s (refreshing every source to look further failed: %s)' % (msg, self.failed)


def prestage(module, pkg, refresh, extra):
    """Check the repositories, then download what the cache lacks -> the result; ``extra``
    goes into it and into the failures. With O(include_running), the packages of the version
    the compute runs too: checked with the others, then downloaded after them."""
    params = module.params
    wanted, installed = wanted_packages(pkg, params)
    running = vrouter_swap_plan.agent_version(dict(packages=installed))
    module.result['running_version'] = running      # every failure from here on says it
    rollback = {}
    if params['include_running'] and running and running != params['version']:
        rollback = dict((name, running) for name in wanted)
    lists = ListsRefresh(pkg)
    if refresh:
        lists.first(extra.get('sources_file') if params['update_cache_scope'] == 'sources'
                    else None)

    def check():
        offered = pkg.available(wanted)
        return pkg_manager.missing(wanted, offered), pkg_manager.missing(rollback, offered)
    missing, missing_running = check()
    if (missing or missing_running) and lists.widen():
        missing, missing_running = check()
    if missing or missing_running:
        where = 'the configured repositories'
        if extra.get('sources_file'):
            where += ' (with %s)' % extra['sources_file']
        msg = lists.told('not in %s: %s' % (where, ', '.join(_pins(missing)
                                                             + _pins(missing_running))))
        if missing_running:
            msg += (' (%s, the version the compute runs, is downloaded for its rollback with '
                    'include_running: offer it in a configured repository, or leave '
                    'include_running false to accept a rollback that downloads it inside its '
                    'outage)' % running)
        module.fail(msg, missing=_pins(missing) + _pins(missing_running), packages=wanted,
                    running_packages=rollback, **extra)
    parts = [(wanted,) + split_by_need(pkg, wanted, installed, params['include_installed']),
             (rollback,) + split_by_need(pkg, rollback, installed, True)]
    fetch_all = [fetch for _part, fetch, _have in parts if fetch]
    result = dict(extra, changed=bool(fetch_all), packages=wanted, running_version=running,
                  running_packages=rollback,
                  fetched=[pin for _part, fetch, _have in parts for pin in _pins(fetch)],
                  already_cached=[pin for _part, _fetch, have in parts for pin in _pins(have)],
                  bytes=0, seconds=0.0)
    if fetch_all and not module.check_mode:
        started = time.monotonic()
        for fetch in fetch_all:     # one command a version: apt and dnf take one a package
            reinstall = [n for n, v in fetch.items()
                         if (installed.get(n) or {}).get('version') == v]
            try:
                pkg.download(fetch, reinstall=reinstall)
            except pkg_manager.PackageError as exc:
                # A dependency only a source not refreshed yet offers: refresh them all, once.
                if not (RESOLVER_ERROR.search('%s %s' % (exc.stderr or '', exc)) and
                        lists.widen()):
                    exc.args = (lists.told(str(exc)),)
                    raise
                pkg.download(fetch, reinstall=reinstall)
        result['seconds'] = round(time.monotonic() - started, 3)
        not_cached = [pin for fetch in fetch_all for pin in _pins(fetch)
                      if not pkg.cache_file(*pin.split('=', 1))]
        if not_cached:
            module.fail('downloaded, yet not in the cache: %s' % ', '.join(not_cached), **result)
        result['bytes'] = sum(os.path.getsize(pkg.cache_file(n, v))
                              for fetch in fetch_all for n, v in fetch.items())
    result['cache_files'] = [f for f in (pkg.cache_file(n, v) for part, _fetch, _have in parts
                                         for n, v in sorted(part.items())) if f]
    return result


#: apt's answers when it cannot resolve what a download needs (the lists at hand lack it).
RESOLVER_ERROR = re.compile(r'unmet dependencies|Unable to correct problems|Unable to locate '
                            r'package|has no installation candidate|was not found|held broken')


def _pins(packages):
    return ['%s=%s' % item for item in sorted(packages.items())]


def main():
    IssuModule(dict(
        version=dict(type='str', required=True),
        packages=dict(type='list', elements='str'),
        update_cache=dict(type='bool', default=True),
        update_cache_scope=dict(type='str', choices=['sources', 'all'], default='sources'),
        include_installed=dict(type='bool', default=False),
        include_running=dict(type='bool', default=False),
        sources=dict(type='list', elements='str'),
        sources_file=dict(type='path'),
    ), groups=('vrouter.package_manager',)).run_and_exit(run)


if __name__ == '__main__':
    main()
