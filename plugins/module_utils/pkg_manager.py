# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Installed and available package versions, download-only and exact-version installs.

One interface over dpkg/apt (Ubuntu, the 3.2/4.0 computes) and rpm/dnf/yum (CentOS/RHEL
computes). What the ISSU needs from a package manager, and why:

* ``installed``: the versions on the host (and dpkg's status, so a half-configured package
  left by a failed maintainer script is reported as such, not as installed);
* ``available``: every version the configured repositories offer, to refuse a target that
  is not there *before* stopping anything;
* ``download``: fetch exact versions into the package cache without installing them
  (pre-staging, so no host downloads inside its outage), and ``missing_from_cache``;
* ``install``: exact versions, downgrades allowed (rollback is the same call with the v1
  versions), never interactive, conffiles kept as the operator edited them (the module
  then rewrites only the keys it owns);
* ``extra_sources``: the repositories of the target release as the package manager would see
  them once its sources file is written, without writing it (check mode): a temporary copy
  of the host's source definitions plus the new file, and apt's lists fetched into that
  copy; ``sources_problems`` says what is wrong with such a file before anything is written.

Commands go through ``runner(args, environ_update=None)`` -> ``(rc, stdout, stderr)``,
which is ``AnsibleModule.run_command`` in modules and a fake in unit tests.
"""

from __future__ import annotations

__metaclass__ = type

import contextlib
import glob
import os
import re
import shutil
import tempfile

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

APT_ENV = {'DEBIAN_FRONTEND': 'noninteractive', 'LC_ALL': 'C', 'LANG': 'C'}
# Keep conffiles the operator changed, take the package's version of untouched ones.
DPKG_CONFFILE_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef',
                         '-o', 'Dpkg::Options::=--force-confold']
APT_CACHE = '/var/cache/apt/archives'
RPM_CACHE_GLOBS = ('/var/cache/dnf/*/packages', '/var/cache/yum/*/*/packages',
                   '/var/cache/yum/*/packages')
#: Where apt reads its one-line (*.list) and deb822 (*.sources) source files, and keeps the
#: package lists ``apt-get update`` fetches.
APT_SOURCE_PARTS = '/etc/apt/sources.list.d'
APT_LISTS = '/var/lib/apt/lists'
#: Where dnf and yum read their *.repo files.
YUM_REPOS_DIR = '/etc/yum.repos.d'
#: Name of the sources file of the target release when the caller gives none.
SOURCES_NAME = 'contrail-issu'
#: apt ignores files of sources.list.d named otherwise (apt.conf(5), Dir::Etc::SourceParts).
APT_PART_NAME = re.compile(r'^[A-Za-z0-9_.-]+\.(list|sources)$')
APT_LINE = re.compile(r'^(deb|deb-src)[ \t]+(\[[^\]]*\][ \t]+)?\S+[ \t]+\S+')
REPO_SECTION = re.compile(r'^\s*\[[^\]]+\]\s*$')


class PackageError(IssuError):
    """A package command failed; carries the command and its output for diagnostics."""

    result_key = 'command'

    def __init__(self, message, cmd=None, rc=None, stdout='', stderr=''):
        super(PackageError, self).__init__(message)
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr

    def to_dict(self):
        return dict(msg=str(self), cmd=self.cmd, rc=self.rc,
                    stdout_lines=(self.stdout or '').splitlines()[-40:],
                    stderr_lines=(self.stderr or '').splitlines()[-40:])


# -- version ordering -------------------------------------------------------------------

def _order(char):
    """dpkg's character order: '~' sorts before everything, letters before non-letters."""
    if char == '~':
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left, right):
    """Compare upstream or revision strings the way dpkg does (verrevcmp)."""
    while left or right:
        lead_l = re.match(r'^[^0-9]*', left).group(0)
        lead_r = re.match(r'^[^0-9]*', right).group(0)
        for i in range(max(len(lead_l), len(lead_r))):
            cl = _order(lead_l[i]) if i < len(lead_l) else 0
            cr = _order(lead_r[i]) if i < len(lead_r) else 0
            if cl != cr:
                return -1 if cl < cr else 1
        left, right = left[len(lead_l):], right[len(lead_r):]
        num_l = re.match(r'^[0-9]*', left).group(0)
        num_r = re.match(r'^[0-9]*', right).group(0)
        if int(num_l or 0) != int(num_r or 0):
            return -1 if int(num_l or 0) < int(num_r or 0) else 1
        left, right = left[len(num_l):], right[len(num_r):]
    return 0


def _split_version(version):
    epoch, _colon, rest = version.rpartition(':') if ':' in version else ('0', '', version)
    upstream, _dash, revision = rest.rpartition('-') if '-' in rest else (rest, '', '0')
    return int(epoch or 0), upstream, revision


def compare_versions(left, right):
    """-1, 0 or 1 like dpkg --compare-versions (good enough for rpm VERSION-RELEASE too)."""
    l_epoch, l_up, l_rev = _split_version(left)
    r_epoch, r_up, r_rev = _split_version(right)
    if l_epoch != r_epoch:
        return -1 if l_epoch < r_epoch else 1
    return _compare_part(l_up, r_up) or _compare_part(l_rev, r_rev)


# -- the managers -----------------------------------------------------------------------

class PackageManager:
    """Common part: run commands, raise PackageError with the output on failure.

    ``options`` are put right after the binary of every command that reads the repositories
    (apt-get and apt-cache; dnf or yum; not dpkg-query or rpm). ``extra_sources()`` sets
    them for the time of its block.
    """

    name = None

    def __init__(self, runner):
        self.runner = runner
        self.options = []
        self.overlay = None     # the temporary directory of extra_sources, inside its block

    def _tool(self, binary, *args):
        return [binary] + list(self.options) + list(args)

    def _run(self, args, what, env=None, ok_codes=(0,)):
        rc, out, err = self.runner(args, environ_update=env or {})
        if rc not in ok_codes:
            raise PackageError('%s failed (rc=%s): %s' % (what, rc, _last_line(err or out)),
                               cmd=' '.join(args), rc=rc, stdout=out, stderr=err)
        return out

    def missing_from_repo(self, wanted):
        """{name: version} of wanted exact versions that no configured repository offers (one
        query of the repositories for all of them)."""
        return missing(wanted, self.available(wanted))

    def available(self, names):
        """{name: [versions the configured repositories offer]} for every one of ``names``
        ([] when none), asked in one command for all of them."""
        names = sorted(set(names))
        if not names:
            return {}
        found = self._offered(names)
        return dict((name, found.get(name, [])) for name in names)

    def _offered(self, names):
        """{name: [versions]} of the ``names`` the repositories offer, in one command."""
        raise NotImplementedError

    # -- the sources of a target release ------------------------------------------------

    def default_sources_file(self):
        """The sources file written when the caller names none."""
        raise NotImplementedError

    def sources_problems(self, lines, path):
        """What is wrong with writing ``lines`` to ``path``, as messages an operator can act
        on ([] when nothing is)."""
        raise NotImplementedError

    def _overlay(self, tmp, path, content):
        """Fill ``tmp`` with the host's source definitions plus ``path`` holding ``content``
        -> the options that make the package manager read them."""
        raise NotImplementedError

    @contextlib.contextmanager
    def extra_sources(self, lines, sources_file=None, checked=False):
        """The repositories as they will be once ``lines`` are written to ``sources_file``,
        for the commands run inside the block, without touching the host's configuration.

        Builds a temporary directory (see ``_overlay`` of each manager), sets ``options`` to
        read it, and on leaving the block, even by an exception, restores ``options`` and
        removes the directory. Yields the directory. Raises PackageError when ``lines`` or
        ``sources_file`` are refused (``sources_problems``) or the copy fails; with
        ``checked`` the caller has had ``sources_problems`` accept them already (to fail
        with its own message before anything is run), and they are not checked again.
        """
        path = sources_file or self.default_sources_file()
        problems = [] if checked else self.sources_problems(lines, path)
        if problems:
            raise PackageError('; '.join(problems))
        saved = self.options
        tmp = tempfile.mkdtemp(prefix='issu-sources-')
        try:
            try:
                options = self._overlay(tmp, path, render_sources(lines))
            except (OSError, shutil.Error) as exc:
                raise PackageError('cannot copy the package sources into %s: %s' % (tmp, exc))
            self.options = list(saved) + options
            self.overlay = tmp
            yield tmp
        finally:
            self.options, self.overlay = saved, None
            shutil.rmtree(tmp, ignore_errors=True)


class Apt(PackageManager):
    """dpkg + apt-get + apt-cache."""

    name = 'apt'

    def installed(self, names):
        """{name: {'version': v, 'status': 'installed'|'half-configured'|...}} (only present)."""
        fmt = '${Package}\\t${Version}\\t${Status}\\n'
        out = self._run(['dpkg-query', '-W', '-f=%s' % fmt] + list(names), 'dpkg-query',
                        env=APT_ENV, ok_codes=(0, 1))
        return _parse_dpkg_query(out)

    def installed_matching(self, patterns):
        return self.installed(patterns)

    def _offered(self, names):
        # madison prints nothing (and exits 0) for a name apt does not know.
        return parse_madison(self._run(self._tool('apt-cache', 'madison', *names),
                                       'apt-cache madison', env=APT_ENV))

    def refresh(self, only=None):
        """``apt-get update`` of every source, or with ``only`` (a file of sources.list.d) of its
        sources alone: apt reads that file by itself (a directory holding only it, no
        sources.list) and keeps the other sources' lists (APT::Get::List-Cleanup=0). Inside
        ``extra_sources`` the file is the temporary copy's, as it will be written, and the lists
        are the copy's. True when the refresh was of ``only`` alone."""
        if not only:
            self._update([])
            return False
        if self.overlay:
            only = os.path.join(self.overlay, 'parts', os.path.basename(only))
        tmp = tempfile.mkdtemp(prefix='issu-update-')
        try:
            shutil.copyfile(only, os.path.join(tmp, os.path.basename(only)))
            self._update(['-o', 'Dir::Etc::SourceList=/dev/null',
                          '-o', 'Dir::Etc::SourceParts=%s' % tmp,
                          '-o', 'APT::Get::List-Cleanup=0'])
            return True
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _update(self, options):
        try:
            self._run(self._tool('apt-get', 'update', '-q', *options), 'apt-get update',
                      env=APT_ENV)
        except PackageError as exc:
            # apt's last line says only that "some index files failed": name the sources.
            failed = [line for line in (exc.stderr or '').splitlines()
                      if re.match(r'^[EW]: Failed to fetch ', line)]
            if not failed:
                raise
            raise PackageError('apt-get update failed (rc=%s): %s' % (exc.rc, '; '.join(failed)),
                               cmd=exc.cmd, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr)

    def cache_file(self, name, version):
        """The .deb of name=version in apt's cache, or None (epoch ':' is stored as %3a)."""
        pattern = '%s_%s_*.deb' % (name, version.replace(':', '%3a'))
        found = sorted(glob.glob(os.path.join(APT_CACHE, pattern)))
        return found[0] if found else None

    def _pins(self, wanted):
        return ['%s=%s' % (name, version) for name, version in sorted(wanted.items())]

    def download(self, wanted, reinstall=()):
        """Fetch into the cache without installing; returns the apt-get output. ``reinstall``:
        names installed at their wanted version, whose .deb apt fetches only with
        ``--reinstall`` (a rollback's packages)."""
        args = self._tool('apt-get', 'install', '-y', '-q', '--download-only',
                          '--allow-downgrades', '--no-install-recommends')
        args += ['--reinstall'] if reinstall else []
        return self._run(args + self._pins(wanted), 'apt-get --download-only', env=APT_ENV)

    def simulate(self, wanted):
        """What an install would do: {'install': {name: (old, new)}, 'remove': [names]}."""
        args = self._tool('apt-get', 'install', '-s', '-q', '--allow-downgrades',
                          '--no-install-recommends') + DPKG_CONFFILE_OPTIONS + self._pins(wanted)
        return parse_apt_simulation(self._run(args, 'apt-get install (simulated)', env=APT_ENV))

    def install(self, wanted, exclude=()):
        """Install exact versions (downgrades allowed) -> (stdout, [downloaded package names])."""
        args = self._tool('apt-get', 'install', '-y', '-q', '--allow-downgrades',
                          '--no-install-recommends') + DPKG_CONFFILE_OPTIONS + self._pins(wanted)
        out = self._run(args, 'apt-get install', env=APT_ENV)
        return out, re.findall(r'^Get:\d+ \S+ \S+ (\S+) ', out, re.M)

    # -- the sources of a target release ------------------------------------------------

    def default_sources_file(self):
        return os.path.join(APT_SOURCE_PARTS, SOURCES_NAME + '.list')

    def sources_problems(self, lines, path):
        """A file of sources.list.d: one-line sources in a *.list file, deb822 stanzas (taken
        as they are) in a *.sources one."""
        name = os.path.basename(path or '')
        if not _file_in(path, APT_SOURCE_PARTS) or not APT_PART_NAME.match(name):
            return ['sources_file %r: give an absolute path in %s named NAME.list (one-line '
                    '"deb ..." sources) or NAME.sources (deb822 stanzas), NAME made of letters, '
                    'digits, "_", "-" and "." only: apt reads no other file'
                    % (path, APT_SOURCE_PARTS)]
        text = render_sources(lines)
        if name.endswith('.sources'):
            return [] if text.strip() else ['sources: empty, give the deb822 stanzas of %s'
                                            % path]
        problems, debs = [], 0
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if not APT_LINE.match(line):
                problems.append('sources line %d %r is not a one-line apt source: write '
                                '"deb [OPTIONS] URI SUITE [COMPONENT...]", for example '
                                '"deb [trusted=yes] http://repo/4.0 ./" (or give deb822 '
                                'stanzas with a sources_file ending in .sources)' % (number, line))
            elif line.startswith('deb') and not line.startswith('deb-src'):
                debs += 1
        if not problems and not debs:
            problems.append('sources: no "deb ..." line, so no package of the target release '
                            'would be found (deb-src lines give source packages only)')
        return problems

    def _overlay(self, tmp, path, content):
        """``tmp/parts``: the host's sources.list.d/*.list and *.sources, ``path`` replaced
        by (or added with) ``content``; ``tmp/lists``: a copy of the host's package lists
        (hard links where it can: so that ``apt-get update`` fetches only what changed), with its
        ``partial``. The host's /etc/apt/sources.list is read as usual. apt's binary caches go
        to ``tmp`` too, and the commands run as root (the _apt sandbox user cannot read
        ``tmp``)."""
        parts, lists = os.path.join(tmp, 'parts'), os.path.join(tmp, 'lists')
        os.makedirs(os.path.join(lists, 'partial'))
        os.mkdir(parts)
        name = os.path.basename(path)
        for pattern in ('*.list', '*.sources'):
            for source in sorted(glob.glob(os.path.join(APT_SOURCE_PARTS, pattern))):
                if os.path.basename(source) != name and os.path.isfile(source):
                    shutil.copyfile(source, os.path.join(parts, os.path.basename(source)))
        _write_text(os.path.join(parts, name), content)
        for entry in sorted(os.listdir(APT_LISTS)) if os.path.isdir(APT_LISTS) else ():
            source = os.path.join(APT_LISTS, entry)
            if entry != 'lock' and os.path.isfile(source):
                _link_or_copy(source, os.path.join(lists, entry))
        return ['-o', 'Dir::Etc::SourceParts=%s' % parts,
                '-o', 'Dir::State::Lists=%s' % lists,
                '-o', 'Dir::Cache::pkgcache=%s' % os.path.join(tmp, 'pkgcache.bin'),
                '-o', 'Dir::Cache::srcpkgcache=%s' % os.path.join(tmp, 'srcpkgcache.bin'),
                '-o', 'APT::Sandbox::User=root']


class Dnf(PackageManager):
    """rpm + dnf (or yum, same options for what is used here)."""

    name = 'dnf'

    def __init__(self, runner, binary='dnf'):
        super(Dnf, self).__init__(runner)
        self.binary = binary

    def installed(self, names):
        fmt = '%{NAME}\\t%{VERSION}-%{RELEASE}\\tinstalled\\n'
        out = self._run(['rpm', '-q', '--qf', fmt] + list(names), 'rpm -q', ok_codes=(0, 1))
        return _parse_dpkg_query(out)

    def installed_matching(self, patterns):
        fmt = '%{NAME}\\t%{VERSION}-%{RELEASE}\\tinstalled\\n'
        out = self._run(['rpm', '-qa', '--qf', fmt] + list(patterns), 'rpm -qa')
        return _parse_dpkg_query(out)

    def _offered(self, names):
        # rc 1 ("No matching Packages to list") when none of the names is offered.
        return parse_dnf_list(self._run(
            self._tool(self.binary, '-q', 'list', '--showduplicates', 'available', *names),
            '%s list' % self.binary, ok_codes=(0, 1)))

    def refresh(self, only=None):
        """``makecache`` of every repository (``only`` is not narrowed to: dnf and yum fetch
        only the metadata that expired) -> False, the refresh was of every repository."""
        self._run(self._tool(self.binary, '-q', 'makecache'), '%s makecache' % self.binary)
        return False

    def cache_file(self, name, version):
        for directory in RPM_CACHE_GLOBS:
            found = sorted(glob.glob(os.path.join(directory, '%s-%s.*.rpm' % (name, version))))
            if found:
                return found[0]
        return None

    def _specs(self, wanted):
        return ['%s-%s' % (name, version) for name, version in sorted(wanted.items())]

    def download(self, wanted, reinstall=()):
        """``reinstall``: names installed at their wanted version (``reinstall --downloadonly``
        fetches them; ``install`` would see nothing to do)."""
        out = ''
        for verb, part in (('install', dict((n, v) for n, v in wanted.items() if n not in reinstall)),
                           ('reinstall', dict((n, v) for n, v in wanted.items() if n in reinstall))):
            if part:
                args = self._tool(self.binary, verb, '-y', '-q', '--downloadonly',
                                  '--setopt=keepcache=1') + self._specs(part)
                out += self._run(args, '%s %s --downloadonly' % (self.binary, verb))
        return out

    def simulate(self, wanted):
        return {'install': {}, 'remove': []}

    def install(self, wanted, exclude=()):
        """Downgrades first (``dnf downgrade``), then installs/upgrades; protected packages
        are excluded so the transaction fails rather than touching them."""
        current = self.installed(list(wanted))
        down = dict((n, v) for n, v in wanted.items()
                    if n in current and compare_versions(v, current[n]['version']) < 0)
        up = dict((n, v) for n, v in wanted.items() if n not in down)
        excludes = ['--exclude=%s' % name for name in exclude]
        out = ''
        if down:
            args = self._tool(self.binary, 'downgrade', '-y', '-q', '--setopt=keepcache=1')
            out += self._run(args + excludes + self._specs(down), '%s downgrade' % self.binary)
        if up:
            args = self._tool(self.binary, 'install', '-y', '-q', '--setopt=keepcache=1')
            out += self._run(args + excludes + self._specs(up), '%s install' % self.binary)
        return out, re.findall(r'^\(\d+/\d+\): (\S+)\.rpm', out, re.M)

    # -- the sources of a target release ------------------------------------------------

    def default_sources_file(self):
        return os.path.join(YUM_REPOS_DIR, SOURCES_NAME + '.repo')

    def sources_problems(self, lines, path):
        """A *.repo file of /etc/yum.repos.d, with at least one [repository] section."""
        name = os.path.basename(path or '')
        if not _file_in(path, YUM_REPOS_DIR) or not name.endswith('.repo') or name == '.repo':
            return ['sources_file %r: give an absolute path in %s ending in .repo: %s reads '
                    'no other file' % (path, YUM_REPOS_DIR, self.binary)]
        if not [line for line in render_sources(lines).splitlines() if REPO_SECTION.match(line)]:
            return ['sources: no "[REPOSITORY-ID]" line; give the lines of a .repo file, for '
                    'example "[contrail-4.0]", "baseurl=http://repo/4.0", "gpgcheck=0"']
        return []

    def _overlay(self, tmp, path, content):
        """``tmp``: the host's /etc/yum.repos.d/*.repo, ``path`` replaced by (or added with)
        ``content``, read instead of /etc/yum.repos.d. The metadata cache stays the host's:
        the target repository's metadata is fetched into it."""
        name = os.path.basename(path)
        for source in sorted(glob.glob(os.path.join(YUM_REPOS_DIR, '*.repo'))):
            if os.path.basename(source) != name and os.path.isfile(source):
                shutil.copyfile(source, os.path.join(tmp, os.path.basename(source)))
        _write_text(os.path.join(tmp, name), content)
        return ['--setopt=reposdir=%s' % tmp]


def detect(runner, which='auto', exists=os.path.exists):
    """The host's package manager: 'apt', 'dnf', 'yum' or 'auto' (by the tools present)."""
    if which == 'auto':
        for name, path in (('apt', '/usr/bin/apt-get'), ('dnf', '/usr/bin/dnf'),
                           ('yum', '/usr/bin/yum')):
            if exists(path):
                which = name
                break
        else:
            raise PackageError('no supported package manager found (apt-get, dnf or yum)')
    if which == 'apt':
        return Apt(runner)
    if which in ('dnf', 'yum'):
        return Dnf(runner, which)
    raise PackageError('unknown package manager %r (apt, dnf, yum or auto)' % which)


# -- parsing ----------------------------------------------------------------------------

def _parse_dpkg_query(out):
    """'name\\tversion\\tstatus' lines -> {name: {version, status}}; not-installed skipped."""
    result = {}
    for line in out.splitlines():
        fields = line.split('\t')
        if len(fields) < 3 or not fields[1]:
            continue
        status = fields[2].split()[-1] if fields[2].split() else 'unknown'
        if status in ('not-installed', 'config-files'):
            continue
        result[fields[0]] = dict(version=fields[1], status=status)
    return result


def parse_madison(out):
    """``apt-cache madison NAME...`` output -> {name: [versions]}, each name's versions once,
    in madison's order; source package lines (``... Sources``) skipped. One line a version and
    repository: ``NAME | VERSION | URI SUITE[/COMPONENT] [ARCH] Packages``, the name and
    version right-aligned to 10 characters."""
    found = {}
    for line in out.splitlines():
        fields = [field.strip() for field in line.split('|')]
        if len(fields) >= 3 and fields[0] and 'Sources' not in fields[2]:
            versions = found.setdefault(fields[0], [])
            if fields[1] not in versions:
                versions.append(fields[1])
    return found


def parse_dnf_list(out):
    """``dnf list --showduplicates available NAME...`` output -> {name: [versions]}: lines
    ``NAME.ARCH [EPOCH:]VERSION-RELEASE REPOSITORY``, the epoch dropped, each version once."""
    found = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            versions = found.setdefault(fields[0].rsplit('.', 1)[0], [])
            version = fields[1].split(':', 1)[-1]
            if version not in versions:
                versions.append(version)
    return found


def missing(wanted, offered):
    """{name: version} of ``wanted`` that ``offered`` ({name: [versions]}) lacks."""
    return dict((name, version) for name, version in sorted(wanted.items())
                if version not in offered.get(name, ()))


SIM_INST = re.compile(r'^Inst (?P<name>\S+) (?:\[(?P<old>[^\]]+)\] )?\((?P<new>\S+)')
SIM_REMV = re.compile(r'^Remv (?P<name>\S+)')


def parse_apt_simulation(out):
    """``apt-get -s install`` output -> {'install': {name: (old or None, new)}, 'remove': [..]}."""
    install, remove = {}, []
    for line in out.splitlines():
        match = SIM_INST.match(line)
        if match:
            install[match.group('name')] = (match.group('old'), match.group('new'))
            continue
        match = SIM_REMV.match(line)
        if match:
            remove.append(match.group('name'))
    return dict(install=install, remove=remove)


def _last_line(text):
    lines = [line for line in (text or '').splitlines() if line.strip()]
    return lines[-1] if lines else ''


def render_sources(lines):
    """The content of a sources file: the lines, one a line, ending with a newline."""
    return '\n'.join(lines or []) + '\n'


def _file_in(path, directory):
    """True when ``path`` is absolute and names an entry of ``directory`` itself."""
    return bool(path) and os.path.isabs(path) and \
        os.path.normpath(os.path.dirname(path)) == os.path.normpath(directory)


def _link_or_copy(source, target):
    """A hard link (apt replaces list files by rename, so the host's stay as they are), else a
    copy (another file system)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_text(path, text):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
