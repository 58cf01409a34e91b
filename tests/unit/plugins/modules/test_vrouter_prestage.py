# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vrouter_prestage with O(sources): the target release's repository written once (and only
when it differs), and a check mode that reads that repository through a temporary copy of
the host's sources without touching the host's configuration or package lists.

``FakeCompute`` plays apt and dnf on a tree under ``tmp_path``: ``apt-get update`` fetches
into the lists directory it is told (``Dir::State::Lists``) the index of every repository of
the sources it is told (``Dir::Etc::SourceParts``), ``apt-cache madison`` answers from those
lists only, so a check that did not read the target repository finds the target missing.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager
from ansible_collections.opencontrail.issu.plugins.modules import vrouter_prestage

V1, V2 = '3.2.14.0-37', '4.0.3.0-62'
PACKAGES = ('contrail-vrouter-dkms', 'contrail-vrouter-agent', 'contrail-lib')
#: What each repository offers: every package at one version.
REPOS = {'http://repo/3.2': V1, 'http://repo/4.0': V2, 'http://mirror/debian': 'distro'}
TARGET = 'deb [trusted=yes] http://repo/4.0 ./'
HOST_LIST = 'deb [trusted=yes] http://repo/3.2 ./\n'
HOST_DEB822 = 'Types: deb\nURIs: http://repo/3.2\nSuites: ./\nTrusted: yes\n'
TARGET_REPO = ['[contrail-4.0]', 'name=Contrail 4.0', 'baseurl=http://repo/4.0', 'gpgcheck=0']
V2_PINS = ['%s=%s' % (name, V2) for name in sorted(PACKAGES)]


def tree(path):
    """{relative path: content} of every file under ``path`` ('<dir>' for directories)."""
    found = {}
    for top, dirs, files in os.walk(str(path)):
        for name in dirs:
            found[os.path.relpath(os.path.join(top, name), str(path))] = '<dir>'
        for name in files:
            with open(os.path.join(top, name)) as handle:
                found[os.path.relpath(os.path.join(top, name), str(path))] = handle.read()
    return found


def _index_name(uri):
    return re.sub(r'[^A-Za-z0-9]+', '_', uri) + '_._Packages'


class FakeCompute:
    """A compute's package manager as the module drives it; records every command."""

    def __init__(self, root):
        self.root = root
        self.installed = dict((name, V1) for name in PACKAGES)
        self.calls = []
        self.updates = []      # what each apt-get update read: parts, lists, partial present
        self.dnf_reads = []    # what each dnf command read: {repo file: content}
        self.needs = None      # a repository whose list a download needs (a new dependency)

    def run(self, cmd, environ_update=None, **kwargs):
        cmd = list(cmd)
        self.calls.append(cmd)
        return getattr(self, 'cmd_' + os.path.basename(cmd[0]).replace('-', '_'))(cmd)

    # -- dpkg and apt ----------------------------------------------------------------
    @staticmethod
    def apt_dirs(cmd):
        options = dict(cmd[i + 1].split('=', 1) for i, arg in enumerate(cmd[:-1]) if arg == '-o')
        return (options.get('Dir::Etc::SourceParts', pkg_manager.APT_SOURCE_PARTS),
                options.get('Dir::State::Lists', pkg_manager.APT_LISTS))

    @staticmethod
    def apt_uris(parts):
        uris = []
        for name in sorted(os.listdir(parts)):
            with open(os.path.join(parts, name)) as handle:
                text = handle.read()
            if name.endswith('.list'):
                for line in text.splitlines():
                    if line.startswith('deb '):
                        uris.append(re.sub(r'^deb\s+(\[[^\]]*\]\s+)?', '', line).split()[0])
            elif name.endswith('.sources'):
                uris += re.findall(r'^URIs:\s*(\S+)', text, re.M)
        return uris

    def cmd_dpkg_query(self, cmd):
        names = [arg for arg in cmd[2:] if not arg.startswith('-')]
        return 0, ''.join('%s\t%s\tinstall ok installed\n' % (name, self.installed[name])
                          for name in names if name in self.installed), ''

    def cmd_apt_get(self, cmd):
        parts, lists = self.apt_dirs(cmd)
        if 'update' in cmd:
            self.updates.append(dict(parts=tree(parts), lists=lists, lists_before=tree(lists),
                                     partial=os.path.isdir(os.path.join(lists, 'partial'))))
            if not os.path.isdir(os.path.join(lists, 'partial')):
                return 100, '', 'E: List directory %s/partial is missing.' % lists
            uris = self.apt_uris(parts)
            if 'APT::Get::List-Cleanup=0' not in cmd:    # apt drops the lists of other sources
                for name in os.listdir(lists):
                    if name.endswith('_Packages') and name not in map(_index_name, uris):
                        os.remove(os.path.join(lists, name))
            for uri in uris:
                if uri not in REPOS:
                    return 100, '', ('E: Failed to fetch %s/./Packages  404  Not Found\n'
                                     'E: Some index files failed to download. They have been '
                                     'ignored, or old ones used instead.\n' % uri)
                with open(os.path.join(lists, _index_name(uri)), 'w') as handle:
                    handle.write('%s %s\n' % (uri, REPOS[uri]))
            return 0, 'Reading package lists...\n', ''
        assert '--download-only' in cmd, cmd
        if self.needs and not os.path.exists(os.path.join(lists, _index_name(self.needs))):
            return 100, '', ('E: Unable to correct problems, you have held broken packages.\n'
                             '(a dependency only %s offers)' % self.needs)
        offered = self.offered(lists)
        for pin in [arg for arg in cmd if '=' in arg and not arg.startswith(('Dir', 'APT'))]:
            name, version = pin.split('=', 1)
            if version not in offered:
                return 100, '', "E: Version '%s' for '%s' was not found" % (version, name)
            if self.installed.get(name) == version and '--reinstall' not in cmd:
                continue      # "is already the newest version": apt fetches nothing
            with open(os.path.join(pkg_manager.APT_CACHE,
                                   '%s_%s_all.deb' % (name, version)), 'wb') as handle:
                handle.write(b'x' * 100)
        return 0, '', ''

    @staticmethod
    def offered(lists):
        found = {}
        for name in sorted(os.listdir(lists)):
            if name.endswith('_Packages'):
                with open(os.path.join(lists, name)) as handle:
                    uri, version = handle.read().split()
                found[version] = uri
        return found

    def cmd_apt_cache(self, cmd):
        _parts, lists = self.apt_dirs(cmd)
        names = cmd[cmd.index('madison') + 1:]
        return 0, ''.join('%10s | %10s | %s ./ Packages\n' % (name, version, uri)
                          for name in names if name.startswith('contrail-')
                          for version, uri in self.offered(lists).items()), ''

    # -- rpm and dnf -----------------------------------------------------------------
    def cmd_rpm(self, cmd):
        names = [arg for arg in cmd[3:] if not arg.startswith('-')]
        return 0, ''.join('%s\t%s\tinstalled\n' % (name, self.installed[name])
                          for name in names if name in self.installed), ''

    def cmd_dnf(self, cmd):
        reposdir = pkg_manager.YUM_REPOS_DIR
        for arg in cmd:
            if arg.startswith('--setopt=reposdir='):
                reposdir = arg.split('=', 2)[2]
        repos = tree(reposdir)
        self.dnf_reads.append(repos)
        urls = [url for text in repos.values() for url in re.findall(r'^baseurl=(\S+)', text, re.M)]
        unknown = [url for url in urls if url not in REPOS]
        if unknown:
            return 1, '', 'Error: Failed to download metadata for repo: %s' % unknown[0]
        if 'makecache' in cmd:
            return 0, '', ''
        if 'list' in cmd:
            names = cmd[cmd.index('available') + 1:]
            return 0, ''.join('%s.x86_64  %s  repo\n' % (name, REPOS[url]) for name in names
                              if name.startswith('contrail-') for url in urls), ''
        assert '--downloadonly' in cmd, cmd
        for spec in [arg for arg in cmd if arg.startswith('contrail-')]:
            if 'install' in cmd and spec.endswith('-' + self.installed.get(spec.rsplit('-', 2)[0], '?')):
                continue      # "Package ... is already installed": dnf install fetches nothing
            with open(os.path.join(self.root, 'var', 'cache', 'dnf', 'repo', 'packages',
                                   '%s.x86_64.rpm' % spec), 'wb') as handle:
                handle.write(b'x' * 100)
        return 0, '', ''


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A v1 compute: its own sources (the 3.2 repository, no 4.0), lists and cache."""
    paths = dict(parts='etc/apt/sources.list.d', lists='var/lib/apt/lists',
                 archives='var/cache/apt/archives', yum='etc/yum.repos.d',
                 rpms='var/cache/dnf/repo/packages', tmp='tmp')
    paths = dict((key, tmp_path / value) for key, value in paths.items())
    for path in paths.values():
        path.mkdir(parents=True)
    (paths['lists'] / 'partial').mkdir()
    (paths['lists'] / 'lock').write_text('')
    (paths['parts'] / 'ubuntu.list').write_text(HOST_LIST)
    (paths['parts'] / 'other.sources').write_text(HOST_DEB822)
    (paths['parts'] / 'old.list.save').write_text('deb http://nowhere ./\n')     # apt skips it
    (paths['yum'] / 'base.repo').write_text('[base]\nbaseurl=http://repo/3.2\n')
    monkeypatch.setattr(pkg_manager, 'APT_SOURCE_PARTS', str(paths['parts']))
    monkeypatch.setattr(pkg_manager, 'APT_LISTS', str(paths['lists']))
    monkeypatch.setattr(pkg_manager, 'APT_CACHE', str(paths['archives']))
    monkeypatch.setattr(pkg_manager, 'YUM_REPOS_DIR', str(paths['yum']))
    monkeypatch.setattr(pkg_manager, 'RPM_CACHE_GLOBS',
                        (str(tmp_path / 'var' / 'cache' / 'dnf' / '*' / 'packages'),))
    monkeypatch.setattr(pkg_manager.tempfile, 'tempdir', str(paths['tmp']))
    compute = FakeCompute(str(tmp_path))
    monkeypatch.setattr(AnsibleModule, 'run_command',
                        lambda module, cmd, **kwargs: compute.run(cmd, **kwargs))
    compute.paths = dict((key, str(value)) for key, value in paths.items())
    compute.target_file = os.path.join(compute.paths['parts'], 'contrail-issu.list')
    # the host's lists know the 3.2 repository (a previous apt-get update)
    compute.run(['apt-get', 'update', '-q'])
    compute.calls[:], compute.updates[:] = [], []
    return compute


def SCOPED_UPDATE(host):  # noqa: N802  (a constant of the host)
    """The refresh of the target's sources alone, with the directory it used."""
    update = [cmd for cmd in host.calls if 'update' in cmd][0]
    parts = [arg for arg in update if arg.startswith('Dir::Etc::SourceParts=')]
    assert parts and os.path.dirname(parts[-1].split('=', 1)[1]) == host.paths['tmp'], update
    return ['apt-get', 'update', '-q', '-o', 'Dir::Etc::SourceList=/dev/null', '-o', parts[-1],
            '-o', 'APT::Get::List-Cleanup=0']


def run(capsys, check=False, diff=False, **params):
    """Run the module as Ansible does -> its result (``failed`` on failure)."""
    args = dict(dict(version=V2, package_manager='apt'), **params)
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(SystemExit):
        vrouter_prestage.main()
    return json.loads(capsys.readouterr().out)


def host_state(host):
    """Everything of the host the check mode must leave as it is."""
    return dict(etc=tree(os.path.join(host.root, 'etc')),
                lists=tree(host.paths['lists']), archives=tree(host.paths['archives']),
                tmp=tree(host.paths['tmp']))


def overlay_options(tmp):
    return ['-o', 'Dir::Etc::SourceParts=%s/parts' % tmp, '-o', 'Dir::State::Lists=%s/lists' % tmp,
            '-o', 'Dir::Cache::pkgcache=%s/pkgcache.bin' % tmp,
            '-o', 'Dir::Cache::srcpkgcache=%s/srcpkgcache.bin' % tmp,
            '-o', 'APT::Sandbox::User=root']


def overlay_of(host):
    """The temporary directory the check used (from the first apt-get update's options)."""
    update = [cmd for cmd in host.calls if cmd[0] == 'apt-get' and 'update' in cmd][0]
    parts = [arg.split('=', 1)[1] for arg in update if arg.startswith('Dir::Etc::SourceParts=')]
    assert parts, update
    return os.path.dirname(parts[0])


# -- the problem: the host alone does not have the target --------------------------------------

def test_without_sources_a_check_on_a_host_without_the_target_repository_finds_it_missing(
        host, capsys):
    result = run(capsys, check=True)
    assert result['failed'] and result['missing'] == V2_PINS
    assert result['msg'].startswith('not in the configured repositories: ')
    assert host.calls[0][:2] == ['dpkg-query', '-W']
    assert ['apt-get', 'update', '-q'] in host.calls          # today's behaviour, kept


# -- written once, then left alone ------------------------------------------------------------

def test_the_sources_file_is_written_then_a_second_run_changes_nothing(host, capsys):
    first = run(capsys, sources=[TARGET])
    assert not first.get('failed'), first.get('msg')
    assert first['changed'] is True and first['sources_changed'] is True
    assert first['sources_file'] == host.target_file
    with open(host.target_file) as handle:
        assert handle.read() == TARGET + '\n'
    assert stat.S_IMODE(os.stat(host.target_file).st_mode) == 0o644
    assert first['fetched'] == V2_PINS and first['bytes'] == 300
    updates = [cmd for cmd in host.calls if cmd[0] == 'apt-get' and 'update' in cmd]
    assert updates == [SCOPED_UPDATE(host)]         # the host's own lists, the target's only
    assert host.updates[0]['parts'] == {'contrail-issu.list': TARGET + '\n'}
    assert host.updates[0]['lists'] == host.paths['lists']
    assert sorted(os.listdir(host.paths['lists'])) == [                 # the others kept
        'http_repo_3_2_._Packages', 'http_repo_4_0_._Packages', 'lock', 'partial']
    assert not [cmd for cmd in host.calls if 'update' not in cmd and
                any('Dir::' in arg for arg in cmd)]
    assert os.listdir(host.paths['tmp']) == []

    inode = os.stat(host.target_file).st_ino
    host.calls[:] = []
    again = run(capsys, sources=[TARGET], update_cache=False)
    assert not again.get('failed'), again.get('msg')
    assert again['changed'] is False and again['sources_changed'] is False
    assert again['fetched'] == [] and again['already_cached'] == V2_PINS
    assert os.stat(host.target_file).st_ino == inode               # not even rewritten
    assert not [cmd for cmd in host.calls if 'update' in cmd]      # unchanged: no refresh


def test_new_sources_are_refreshed_even_without_update_cache(host, capsys):
    with open(host.target_file, 'w') as handle:
        handle.write('deb http://repo/3.2 ./\n')
    result = run(capsys, sources=['# Contrail 4.0', TARGET], update_cache=False)
    assert not result.get('failed'), result.get('msg')
    assert result['sources_changed'] is True
    assert [cmd for cmd in host.calls if 'update' in cmd] == [SCOPED_UPDATE(host)]
    with open(host.target_file) as handle:
        assert handle.read() == '# Contrail 4.0\n%s\n' % TARGET


def test_a_file_with_the_content_but_another_mode_gets_0644(host, capsys):
    with open(host.target_file, 'w') as handle:
        handle.write(TARGET + '\n')
    os.chmod(host.target_file, 0o600)
    result = run(capsys, sources=[TARGET])
    assert result['sources_changed'] is True and result['changed'] is True
    assert stat.S_IMODE(os.stat(host.target_file).st_mode) == 0o644


def test_diff_shows_the_file_before_and_after(host, capsys):
    with open(host.target_file, 'w') as handle:
        handle.write('deb http://repo/3.2 ./\n')
    result = run(capsys, diff=True, sources=[TARGET])
    assert result['diff'] == dict(before_header=host.target_file, after_header=host.target_file,
                                  before='deb http://repo/3.2 ./\n', after=TARGET + '\n')
    os.unlink(host.target_file)
    checked = run(capsys, check=True, diff=True, sources=[TARGET])
    assert checked['diff']['before'] == '' and checked['diff']['after'] == TARGET + '\n'
    assert not os.path.exists(host.target_file)
    assert 'diff' not in run(capsys, sources=[TARGET])


# -- check mode: the target repository, through a copy -----------------------------------------

def test_check_mode_reads_the_target_through_an_overlay_and_leaves_the_host_as_it_was(
        host, capsys):
    before = host_state(host)
    result = run(capsys, check=True, sources=[TARGET])
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['sources_changed'] is True
    assert result['sources_file'] == host.target_file
    assert result['fetched'] == V2_PINS and result['bytes'] == 0
    assert host_state(host) == before                  # no file, no list, no package, no temp
    assert not os.path.exists(host.target_file)

    tmp = overlay_of(host)
    assert os.path.dirname(tmp) == host.paths['tmp']
    assert os.path.basename(tmp).startswith('issu-sources-')
    assert not os.path.exists(tmp)
    repo_commands = [cmd for cmd in host.calls if cmd[0] in ('apt-get', 'apt-cache')]
    # The target's sources alone are refreshed (update_cache_scope), into the copy's lists, as
    # outside check mode: no distribution mirror's index is fetched for a check.
    scoped = SCOPED_UPDATE(host)[3:]
    assert os.path.dirname(scoped[3].split('=', 1)[1]) == host.paths['tmp']
    assert repo_commands == [['apt-get'] + overlay_options(tmp) + ['update', '-q'] + scoped] + [
        ['apt-cache'] + overlay_options(tmp) + ['madison'] + sorted(PACKAGES)]
    assert not [cmd for cmd in host.calls if '--download-only' in cmd]
    others = [cmd[0] for cmd in host.calls if cmd[0] not in ('apt-get', 'apt-cache')]
    assert others == ['dpkg-query']
    seen = host.updates[0]
    assert seen['lists'] == os.path.join(tmp, 'lists') and seen['partial']
    assert seen['parts'] == {'contrail-issu.list': TARGET + '\n'}
    # the host's lists were copied in (so only what changed is fetched), not its lock
    index = _index_name('http://repo/3.2')
    assert seen['lists_before'][index] == before['lists'][index]
    assert 'lock' not in seen['lists_before'] and seen['lists_before']['partial'] == '<dir>'


def test_check_mode_replaces_a_host_file_of_the_same_name_in_the_overlay(host, capsys):
    with open(host.target_file, 'w') as handle:
        handle.write('deb http://repo/3.2 ./\n')
    before = host_state(host)
    result = run(capsys, check=True, sources=[TARGET])
    assert not result.get('failed'), result.get('msg')
    assert host.updates[0]['parts']['contrail-issu.list'] == TARGET + '\n'
    assert host_state(host) == before


def test_check_mode_already_written_and_cached_is_no_change(host, capsys):
    run(capsys, sources=[TARGET])
    host.calls[:] = []
    result = run(capsys, check=True, sources=[TARGET])
    assert result['changed'] is False and result['sources_changed'] is False
    assert result['fetched'] == [] and host.updates[-1]['parts']['contrail-issu.list']
    assert any('Dir::State::Lists=' in arg for arg in host.calls[1])   # still the overlay


def test_check_mode_deb822_sources_file(host, capsys):
    path = os.path.join(host.paths['parts'], 'contrail.sources')
    stanza = ['Types: deb', 'URIs: http://repo/4.0', 'Suites: ./', 'Trusted: yes']
    result = run(capsys, check=True, sources=stanza, sources_file=path)
    assert not result.get('failed'), result.get('msg')
    assert result['sources_file'] == path and result['fetched'] == V2_PINS
    assert host.updates[0]['parts']['contrail.sources'] == '\n'.join(stanza) + '\n'
    assert not os.path.exists(path)


@pytest.mark.parametrize('sources, error', [
    (['deb [trusted=yes] http://repo/3.2 ./'],
     'not in the configured repositories (with %s): ' % '{target}'),
    (['deb http://nowhere/4.0 ./'], 'apt-get update failed (rc=100): E: Failed to fetch'),
])
def test_a_failed_check_removes_its_overlay_and_writes_nothing(host, capsys, sources, error):
    before = host_state(host)
    result = run(capsys, check=True, sources=sources)
    assert result['failed'] and result['msg'].startswith(error.format(target=host.target_file))
    assert not os.path.exists(overlay_of(host))
    assert host_state(host) == before


# -- refused before anything is run or written ----------------------------------------------

@pytest.mark.parametrize('sources, name, error', [
    (['http://repo/4.0 ./'], None, "sources line 1 'http://repo/4.0 ./' is not a one-line apt"),
    (['deb[trusted=yes] http://repo/4.0 ./'], None, 'write "deb [OPTIONS] URI SUITE'),
    ([TARGET, 'deb http://repo/4.0'], None, "sources line 2 'deb http://repo/4.0' is not"),
    (['deb-src http://repo/4.0 ./'], None, 'no "deb ..." line'),
    ([TARGET], 'contrail-issu.conf', 'named NAME.list (one-line "deb ..." sources) or'),
    ([TARGET], 'contrail issu.list', 'NAME made of letters, digits'),
    ([TARGET], '../contrail-issu.list', 'give an absolute path in {parts}'),
    ([TARGET], 'relative/contrail-issu.list', "sources_file 'relative/contrail-issu.list'"),
    ([TARGET], '{yum}/contrail-issu.repo', 'give an absolute path in {parts}'),
])
@pytest.mark.parametrize('check', [False, True])
def test_bad_sources_fail_before_anything_is_run_or_written(host, capsys, sources, name, error,
                                                            check):
    params = dict(sources=sources)
    if name:
        params['sources_file'] = name.format(**host.paths) if name.startswith('{') else \
            name if name.startswith('relative') else os.path.join(host.paths['parts'], name)
    before = host_state(host)
    result = run(capsys, check=check, **params)
    assert result['failed'] and result['msg'].startswith('nothing done, the sources are refused')
    assert error.format(**host.paths) in result['msg']
    assert result['sources_changed'] is False
    assert host.calls == [] and host_state(host) == before


@pytest.mark.parametrize('manager, sources', [('apt', [TARGET]), ('dnf', TARGET_REPO)])
@pytest.mark.parametrize('check', [False, True])
def test_the_sources_are_checked_once_in_check_mode_too(host, capsys, monkeypatch, manager, sources,
                                                        check):
    checked = []
    for cls in (pkg_manager.Apt, pkg_manager.Dnf):
        def spy(self, lines, path, _original=cls.sources_problems):
            checked.append((list(lines), path))
            return _original(self, lines, path)
        monkeypatch.setattr(cls, 'sources_problems', spy)
    result = run(capsys, check=check, package_manager=manager, sources=sources)
    assert not result.get('failed'), result.get('msg')
    assert checked == [(sources, result['sources_file'])]


# -- dnf and yum ------------------------------------------------------------------------------

def test_dnf_check_mode_reads_the_target_through_a_reposdir_overlay(host, capsys):
    before = host_state(host)
    result = run(capsys, check=True, package_manager='dnf', sources=TARGET_REPO)
    assert not result.get('failed'), result.get('msg')
    target = os.path.join(host.paths['yum'], 'contrail-issu.repo')
    assert result['sources_file'] == target and result['sources_changed'] is True
    assert result['changed'] is True and result['fetched'] == V2_PINS
    assert host_state(host) == before
    dnf = [cmd for cmd in host.calls if cmd[0] == 'dnf']
    reposdir = dnf[0][1].split('=', 2)[2]
    assert os.path.dirname(reposdir) == host.paths['tmp'] and not os.path.exists(reposdir)
    assert dnf == [['dnf', '--setopt=reposdir=%s' % reposdir, '-q', 'makecache'],
                   ['dnf', '--setopt=reposdir=%s' % reposdir, '-q', 'list', '--showduplicates',
                    'available'] + sorted(PACKAGES)]
    assert host.dnf_reads[0] == {'base.repo': '[base]\nbaseurl=http://repo/3.2\n',
                                 'contrail-issu.repo': '\n'.join(TARGET_REPO) + '\n'}


def test_dnf_writes_the_repo_file_then_reads_the_host_repositories(host, capsys):
    target = os.path.join(host.paths['yum'], 'contrail-4.0.repo')
    result = run(capsys, package_manager='dnf', sources=TARGET_REPO, sources_file=target)
    assert not result.get('failed'), result.get('msg')
    with open(target) as handle:
        assert handle.read() == '\n'.join(TARGET_REPO) + '\n'
    assert result['fetched'] == V2_PINS and result['bytes'] == 300
    assert not [cmd for cmd in host.calls if any('reposdir' in arg for arg in cmd)]
    assert run(capsys, package_manager='dnf', sources=TARGET_REPO,
               sources_file=target)['changed'] is False


@pytest.mark.parametrize('sources, name, error', [
    (TARGET_REPO, '{parts}/contrail-issu.list', 'give an absolute path in {yum} ending in .repo'),
    (TARGET_REPO, '{yum}/contrail-issu.conf', 'ending in .repo: dnf reads no other file'),
    (['baseurl=http://repo/4.0'], None, 'no "[REPOSITORY-ID]" line'),
])
def test_dnf_bad_sources_fail_before_anything(host, capsys, sources, name, error):
    params = dict(sources=sources, package_manager='dnf')
    if name:
        params['sources_file'] = name.format(**host.paths)
    before = host_state(host)
    result = run(capsys, **params)
    assert result['failed'] and error.format(**host.paths) in result['msg'], result['msg']
    assert host.calls == [] and host_state(host) == before


# -- the rollback's packages: installed, so only fetched on request ---------------------------

@pytest.mark.parametrize('manager', ['apt', 'dnf'])
def test_the_installed_version_is_fetched_for_a_rollback_only_when_asked(host, capsys, manager):
    v1_pins = ['%s=%s' % (name, V1) for name in sorted(PACKAGES)]
    plain = run(capsys, version=V1, package_manager=manager)
    assert not plain.get('failed') and plain['changed'] is False, plain
    assert plain['fetched'] == [] and plain['already_cached'] == v1_pins
    host.calls[:] = []
    staged = run(capsys, version=V1, package_manager=manager, include_installed=True,
                 update_cache=False)
    assert not staged.get('failed'), staged.get('msg')
    assert staged['changed'] is True and staged['fetched'] == v1_pins and staged['bytes'] == 300
    fetch = [cmd for cmd in host.calls if '--download-only' in cmd or '--downloadonly' in cmd]
    assert len(fetch) == 1 and ('--reinstall' in fetch[0] or 'reinstall' in fetch[0]), fetch
    again = run(capsys, version=V1, package_manager=manager, include_installed=True,
                update_cache=False)
    assert again['changed'] is False and again['already_cached'] == v1_pins


# -- include_running: the target's and the running version's packages in one run -------------

V1_PINS = ['%s=%s' % (name, V1) for name in sorted(PACKAGES)]


def _downloads(host):
    return [cmd for cmd in host.calls if '--download-only' in cmd or '--downloadonly' in cmd]


@pytest.mark.parametrize('manager, sources', [('apt', [TARGET]), ('dnf', TARGET_REPO)])
def test_include_running_downloads_both_versions_after_one_refresh_and_one_query(
        host, capsys, manager, sources):
    result = run(capsys, package_manager=manager, sources=sources, include_running=True)
    assert not result.get('failed'), result.get('msg')
    assert result['running_version'] == V1
    assert result['running_packages'] == dict((name, V1) for name in PACKAGES)
    assert result['packages'] == dict((name, V2) for name in PACKAGES)
    assert result['changed'] is True and result['fetched'] == V2_PINS + V1_PINS
    assert result['bytes'] == 600 and len(result['cache_files']) == 6
    refreshes = [cmd for cmd in host.calls if 'update' in cmd or 'makecache' in cmd]
    queries = [cmd for cmd in host.calls if 'madison' in cmd or 'list' in cmd]
    assert len(refreshes) == 1 and len(queries) == 1, host.calls
    assert [cmd[0] for cmd in host.calls if cmd[0] in ('dpkg-query', 'rpm')] == \
        ['dpkg-query' if manager == 'apt' else 'rpm']                  # read once
    fetch = _downloads(host)
    assert len(fetch) == 2 and all('%s=%s' % (name, V2) in ' '.join(fetch[0]) or
                                   '%s-%s' % (name, V2) in fetch[0] for name in PACKAGES)
    assert '--reinstall' in fetch[1] or 'reinstall' in fetch[1]          # the installed ones
    host.calls[:] = []
    again = run(capsys, package_manager=manager, sources=sources, include_running=True)
    assert again['changed'] is False and again['fetched'] == []
    assert again['already_cached'] == V2_PINS + V1_PINS and not _downloads(host)


def test_include_running_check_mode_reports_both_and_downloads_nothing(host, capsys):
    before = host_state(host)
    result = run(capsys, check=True, sources=[TARGET], include_running=True)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['fetched'] == V2_PINS + V1_PINS
    assert result['bytes'] == 0 and result['running_version'] == V1
    assert host_state(host) == before and not _downloads(host)
    assert len([cmd for cmd in host.calls if 'madison' in cmd]) == 1


@pytest.mark.parametrize('installed, running', [
    (dict((name, V2) for name in PACKAGES), V2),               # on the target already
    (dict((name, V1) for name in PACKAGES if name != 'contrail-vrouter-agent'), None),
])
def test_include_running_adds_nothing_on_the_target_or_without_an_agent(host, capsys, installed,
                                                                        running):
    host.installed = installed
    result = run(capsys, sources=[TARGET], include_running=True)
    assert not result.get('failed'), result.get('msg')
    assert result['running_version'] == running and result['running_packages'] == {}
    assert not [pin for pin in result['fetched'] + result['already_cached'] if V1 in pin]
    if running == V2:             # every package installed at the target: nothing downloaded
        assert result['fetched'] == [] and not _downloads(host)
        assert result['already_cached'] == V2_PINS


def test_without_include_running_the_running_version_is_told_and_not_downloaded(host, capsys):
    result = run(capsys, sources=[TARGET])
    assert result['running_version'] == V1 and result['running_packages'] == {}
    assert result['fetched'] == V2_PINS and len(_downloads(host)) == 1


def test_a_running_version_no_repository_offers_fails_before_any_download(host, capsys):
    old = '3.2.13.0-1'
    host.installed = dict((name, old) for name in PACKAGES)
    result = run(capsys, sources=[TARGET], include_running=True)
    assert result['failed'] and not _downloads(host)
    assert result['missing'] == ['%s=%s' % (name, old) for name in sorted(PACKAGES)]
    assert result['msg'].startswith('not in the configured repositories (with %s): '
                                    'contrail-lib=3.2.13.0-1' % host.target_file)
    assert '3.2.13.0-1, the version the compute runs, is downloaded for its rollback' in \
        result['msg'] and 'leave include_running false' in result['msg']
    assert result['running_version'] == old


def test_a_failure_says_the_running_version(host, capsys):
    result = run(capsys, check=True, include_running=True)        # the target's repository missing
    assert result['failed'] and result['missing'] == V2_PINS and result['running_version'] == V1


# -- update_cache_scope: the target's sources alone, every source only when needed ------------

def test_scope_all_refreshes_every_source_as_apt_get_update_does(host, capsys):
    result = run(capsys, sources=[TARGET], update_cache_scope='all')
    assert not result.get('failed'), result.get('msg')
    assert [cmd for cmd in host.calls if 'update' in cmd] == [['apt-get', 'update', '-q']]
    assert sorted(host.updates[0]['parts']) == ['contrail-issu.list', 'old.list.save',
                                                'other.sources', 'ubuntu.list']


def test_a_distribution_mirror_that_cannot_be_reached_does_not_fail_the_pre_stage(host, capsys):
    with open(os.path.join(host.paths['parts'], 'debian.list'), 'w') as handle:
        handle.write('deb http://unreachable/debian bookworm main\n')
    scoped = run(capsys, sources=[TARGET], include_running=True)
    assert not scoped.get('failed'), scoped.get('msg')
    assert scoped['fetched'] == V2_PINS + ['%s=%s' % (n, V1) for n in sorted(PACKAGES)]
    host.calls[:] = []
    os.remove(host.target_file)
    every = run(capsys, sources=[TARGET], update_cache_scope='all')
    assert every['failed'] and 'http://unreachable/debian' in every['msg']


def test_check_mode_does_not_fail_for_a_distribution_mirror_that_cannot_be_reached(host, capsys):
    """Preflight's repository check (check mode) refreshes the target's sources alone too: an
    unreachable distribution mirror fails neither the check nor the pre-stage after it (before,
    the check refreshed every source of its temporary copy and failed on the mirror)."""
    with open(os.path.join(host.paths['parts'], 'debian.list'), 'w') as handle:
        handle.write('deb http://unreachable/debian bookworm main\n')
    before = host_state(host)
    checked = run(capsys, check=True, sources=[TARGET], include_running=True)
    assert not checked.get('failed'), checked.get('msg')
    assert checked['fetched'] == V2_PINS + ['%s=%s' % (n, V1) for n in sorted(PACKAGES)]
    assert [update['parts'] for update in host.updates] == [{'contrail-issu.list': TARGET + '\n'}]
    assert host_state(host) == before
    host.calls[:], host.updates[:] = [], []
    every = run(capsys, check=True, sources=[TARGET], update_cache_scope='all')
    assert every['failed'] and 'http://unreachable/debian' in every['msg']


def test_check_mode_refreshes_every_source_of_its_copy_once_when_the_target_lacks_a_version(
        host, capsys):
    os.remove(os.path.join(host.paths['lists'], 'http_repo_3_2_._Packages'))  # lists never fetched
    before = host_state(host)
    result = run(capsys, check=True, sources=[TARGET], include_running=True)
    assert not result.get('failed'), result.get('msg')
    assert result['fetched'] == V2_PINS + ['%s=%s' % (n, V1) for n in sorted(PACKAGES)]
    tmp = overlay_of(host)
    updates = [cmd for cmd in host.calls if 'update' in cmd]
    assert updates == [['apt-get'] + overlay_options(tmp) + ['update', '-q']
                       + SCOPED_UPDATE(host)[3:],
                       ['apt-get'] + overlay_options(tmp) + ['update', '-q']]
    assert [len(update['parts']) for update in host.updates] == [1, 3]
    assert len([cmd for cmd in host.calls if 'madison' in cmd]) == 2
    assert host_state(host) == before                  # the host's lists are as they were


def test_a_version_the_target_sources_lack_refreshes_every_source_and_checks_again(host, capsys):
    os.remove(os.path.join(host.paths['lists'], 'http_repo_3_2_._Packages'))  # lists never fetched
    result = run(capsys, sources=[TARGET], include_running=True)
    assert not result.get('failed'), result.get('msg')
    assert result['fetched'] == V2_PINS + ['%s=%s' % (n, V1) for n in sorted(PACKAGES)]
    updates = [cmd for cmd in host.calls if 'update' in cmd]
    assert updates == [SCOPED_UPDATE(host), ['apt-get', 'update', '-q']]
    assert len([cmd for cmd in host.calls if 'madison' in cmd]) == 2


def test_a_dependency_in_another_source_refreshes_every_source_and_downloads_again(host, capsys):
    with open(os.path.join(host.paths['parts'], 'debian.list'), 'w') as handle:
        handle.write('deb http://mirror/debian bookworm main\n')
    host.needs = 'http://mirror/debian'                # v2 pulls a package only it offers
    result = run(capsys, sources=[TARGET])
    assert not result.get('failed'), result.get('msg')
    assert result['fetched'] == V2_PINS
    assert [cmd[1] for cmd in host.calls if cmd[0] == 'apt-get'] == [
        'update', 'install', 'update', 'install']
    assert [cmd for cmd in host.calls if 'update' in cmd][1] == ['apt-get', 'update', '-q']
    # Already refreshed in full (scope all, or a second failure): the download's error.
    host.calls[:] = []
    host.needs = 'http://repo/none'
    os.remove(host.target_file)
    for name in os.listdir(host.paths['archives']):
        os.remove(os.path.join(host.paths['archives'], name))
    failed = run(capsys, sources=[TARGET], update_cache_scope='all')
    assert failed['failed'] and 'a dependency only http://repo/none offers' in failed['msg']
    assert len([cmd for cmd in host.calls if 'update' in cmd]) == 1


def test_a_failed_full_refresh_is_told_with_the_missing_versions_not_instead_of_them(host, capsys):
    os.remove(os.path.join(host.paths['lists'], 'http_repo_3_2_._Packages'))
    with open(os.path.join(host.paths['parts'], 'debian.list'), 'w') as handle:
        handle.write('deb http://unreachable/debian bookworm main\n')
    result = run(capsys, sources=[TARGET], include_running=True)
    assert result['failed']
    assert result['msg'].startswith('not in the configured repositories')
    assert '%s=%s' % (PACKAGES[0], V1) in result['msg'] and 'http://unreachable/debian' in result['msg']


def test_a_download_error_that_is_no_dependency_problem_refreshes_nothing_more(host, capsys):
    original = host.cmd_apt_get

    def locked(cmd):
        if '--download-only' in cmd:
            return 100, '', 'E: Could not get lock /var/cache/apt/archives/lock'
        return original(cmd)
    host.cmd_apt_get = locked
    result = run(capsys, sources=[TARGET])
    assert result['failed'] and 'Could not get lock' in result['msg']
    assert len([cmd for cmd in host.calls if 'update' in cmd]) == 1
