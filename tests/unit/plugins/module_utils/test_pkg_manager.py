# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pkg_manager: version order, dpkg/apt output parsing, the commands it runs."""

from __future__ import annotations

import os

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import pkg_manager


@pytest.mark.parametrize('left,right,expected', [
    ('3.2.14.0-37', '4.0.3.0-62', -1),
    ('4.0.3.0-62', '4.0.3.0-63', -1),
    ('4.0.3.0-62', '4.0.3.0-62', 0),
    ('1:3.0-1', '4.0-1', 1),
    ('4.0~rc1-1', '4.0-1', -1),
    ('3.2.0.0-19~mitaka', '3.2.0.0-19', -1),
    ('4.0.10.0-1', '4.0.9.0-1', 1),
])
def test_compare_versions(left, right, expected):
    assert pkg_manager.compare_versions(left, right) == expected


class Runner:
    """Records commands; answers from a {first words: (rc, out, err)} table."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, args, environ_update=None):
        self.calls.append(args)
        for prefix, answer in self.answers.items():
            if ' '.join(args).startswith(prefix):
                return answer
        return 0, '', ''


def test_installed_parses_status_and_skips_absent():
    out = ('contrail-lib\t4.0.3.0-62\tinstall ok installed\n'
           'contrail-vrouter-agent\t4.0.3.0-63\tinstall ok half-configured\n'
           'contrail-foo\t\tunknown ok not-installed\n')
    apt = pkg_manager.Apt(Runner({'dpkg-query': (1, out, 'dpkg-query: no packages found')}))
    assert apt.installed(['contrail-lib']) == {
        'contrail-lib': {'version': '4.0.3.0-62', 'status': 'installed'},
        'contrail-vrouter-agent': {'version': '4.0.3.0-63', 'status': 'half-configured'}}


#: ``apt-cache madison`` of three names, as apt prints it (apt 2.6, bookworm: name and version
#: right-aligned to 10 characters, one line a version and repository, a source package's
#: ``Sources`` line with them), for a flat repository of each release (``deb URI ./``) and a
#: suite/component one; the third name is unknown to apt, which prints nothing for it.
MADISON = (
    'contrail-lib | 4.0.3.0-62 | http://10.99.0.10:8081/4.0 ./ Packages\n'
    'contrail-lib | 3.2.14.0-37 | http://10.99.0.10:8081/3.2 ./ Packages\n'
    'contrail-lib | 3.2.14.0-37 | http://10.99.0.10:8081/3.2 ./ Packages\n'
    'contrail-vrouter-agent | 4.0.3.0-62 | http://10.99.0.10:8081/4.0 ./ Packages\n'
    'contrail-vrouter-agent | 3.2.14.0-37 | http://10.99.0.10:8081/3.2 ./ Packages\n'
    '       apt |      2.6.2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n'
    '       apt |      2.6.1 | http://deb.debian.org/debian bookworm/main amd64 Packages\n'
    '       apt |      2.6.0 | http://deb.debian.org/debian bookworm/main Sources\n'
)


def test_parse_madison_of_several_packages():
    assert pkg_manager.parse_madison(MADISON) == {
        'contrail-lib': ['4.0.3.0-62', '3.2.14.0-37'],
        'contrail-vrouter-agent': ['4.0.3.0-62', '3.2.14.0-37'],
        'apt': ['2.6.2', '2.6.1']}
    assert pkg_manager.parse_madison('') == {}


def test_available_and_missing_from_repo_ask_madison_once_for_all_packages():
    runner = Runner({'apt-cache madison': (0, MADISON, '')})
    apt = pkg_manager.Apt(runner)
    assert apt.available(['contrail-vrouter-agent', 'contrail-x', 'contrail-lib']) == {
        'contrail-lib': ['4.0.3.0-62', '3.2.14.0-37'],
        'contrail-vrouter-agent': ['4.0.3.0-62', '3.2.14.0-37'], 'contrail-x': []}
    assert apt.missing_from_repo({'contrail-lib': '4.0.3.0-62', 'contrail-x': '4.0.3.0-62',
                                  'contrail-vrouter-agent': '4.0.3.0-63'}) == \
        {'contrail-x': '4.0.3.0-62', 'contrail-vrouter-agent': '4.0.3.0-63'}
    assert runner.calls == [
        ['apt-cache', 'madison', 'contrail-lib', 'contrail-vrouter-agent', 'contrail-x']] * 2
    assert apt.available([]) == {} and apt.missing_from_repo({}) == {}
    assert len(runner.calls) == 2                                 # nothing to ask, not asked


#: ``dnf -q list --showduplicates available NAME...`` of two names (an epoch on one version).
DNF_LIST = (
    'contrail-lib.x86_64                  3.2.14.0-37.el7                  contrail-3.2\n'
    'contrail-lib.x86_64                  4.0.3.0-62.el7                   contrail-4.0\n'
    'contrail-vrouter-agent.x86_64        1:4.0.3.0-62.el7                 contrail-4.0\n'
)


def test_dnf_available_asks_once_for_all_packages():
    assert pkg_manager.parse_dnf_list(DNF_LIST) == {
        'contrail-lib': ['3.2.14.0-37.el7', '4.0.3.0-62.el7'],
        'contrail-vrouter-agent': ['4.0.3.0-62.el7']}
    runner = Runner({'dnf -q list': (0, DNF_LIST, '')})
    dnf = pkg_manager.Dnf(runner)
    assert dnf.missing_from_repo({'contrail-lib': '4.0.3.0-62.el7',
                                  'contrail-vrouter-agent': '4.0.3.0-62.el7',
                                  'contrail-x': '4.0.3.0-62.el7'}) == {'contrail-x': '4.0.3.0-62.el7'}
    assert runner.calls == [['dnf', '-q', 'list', '--showduplicates', 'available', 'contrail-lib',
                             'contrail-vrouter-agent', 'contrail-x']]
    none = pkg_manager.Dnf(Runner({'dnf': (1, '', 'Error: No matching Packages to list')}))
    assert none.available(['contrail-x']) == {'contrail-x': []}


def test_install_is_exact_non_interactive_keeps_conffiles_and_reports_downloads():
    out = ('Get:1 http://10.99.0.10:8081 ./ contrail-lib 4.0.3.0-62 [1000 B]\n'
           'Setting up contrail-lib (4.0.3.0-62) ...\n')
    runner = Runner({'apt-get install': (0, out, '')})
    _out, downloaded = pkg_manager.Apt(runner).install({'contrail-lib': '4.0.3.0-62'})
    cmd = runner.calls[-1]
    assert downloaded == ['contrail-lib']
    assert 'contrail-lib=4.0.3.0-62' in cmd and '--allow-downgrades' in cmd and '-y' in cmd
    assert 'Dpkg::Options::=--force-confold' in cmd and 'Dpkg::Options::=--force-confdef' in cmd


def test_failure_carries_output():
    runner = Runner({'apt-get install': (100, 'Setting up x', 'E: Sub-process /usr/bin/dpkg '
                                         'returned an error code (1)')})
    with pytest.raises(pkg_manager.PackageError) as err:
        pkg_manager.Apt(runner).install({'x': '1'})
    assert 'returned an error code' in str(err.value)
    assert err.value.to_dict()['stdout_lines'] == ['Setting up x']


def test_a_failed_refresh_names_the_sources_apt_could_not_fetch():
    err = ('E: Failed to fetch http://repo/4.0/./Packages  404  Not Found\n'
           'E: Some index files failed to download. They have been ignored, or old ones used '
           'instead.\n')
    with pytest.raises(pkg_manager.PackageError) as info:
        pkg_manager.Apt(Runner({'apt-get update': (100, '', err)})).refresh()
    assert str(info.value) == ('apt-get update failed (rc=100): E: Failed to fetch '
                               'http://repo/4.0/./Packages  404  Not Found')
    assert info.value.to_dict()['stderr_lines'] == err.splitlines()
    with pytest.raises(pkg_manager.PackageError, match=r'\(rc=100\): E: Could not get lock'):
        pkg_manager.Apt(Runner({'apt-get update': (100, '', 'E: Could not get lock')})).refresh()


def test_parse_apt_simulation():
    out = ('Inst contrail-lib [3.2.14.0-37] (4.0.3.0-62 lab:./ [all])\n'
           'Inst nova-compute (2:13.1.0 ubuntu [all])\nRemv python-old [1.0]\n'
           'Conf contrail-lib (4.0.3.0-62 lab:./ [all])\n')
    assert pkg_manager.parse_apt_simulation(out) == {
        'install': {'contrail-lib': ('3.2.14.0-37', '4.0.3.0-62'),
                    'nova-compute': (None, '2:13.1.0')},
        'remove': ['python-old']}


def test_dnf_downgrades_separately_and_excludes_protected():
    rpm_q = 'contrail-lib\t4.0.3.0-62\tinstalled\n'
    runner = Runner({'rpm -q': (0, rpm_q, '')})
    dnf = pkg_manager.Dnf(runner)
    dnf.install({'contrail-lib': '3.2.14.0-37', 'contrail-new': '3.2.14.0-37'},
                exclude=['nova-compute'])
    downgrade, install = runner.calls[-2], runner.calls[-1]
    assert downgrade[:2] == ['dnf', 'downgrade'] and 'contrail-lib-3.2.14.0-37' in downgrade
    assert install[:2] == ['dnf', 'install'] and 'contrail-new-3.2.14.0-37' in install
    assert '--exclude=nova-compute' in install


def test_detect():
    assert pkg_manager.detect(Runner({}), 'auto', exists=lambda p: p == '/usr/bin/dnf').name == 'dnf'
    with pytest.raises(pkg_manager.PackageError, match='no supported package manager'):
        pkg_manager.detect(Runner({}), 'auto', exists=lambda p: False)
    with pytest.raises(pkg_manager.PackageError, match='unknown package manager'):
        pkg_manager.detect(Runner({}), 'zypper')


# -- the sources of a target release ----------------------------------------------------

TARGET = 'deb [trusted=yes] http://repo/4.0 ./'


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """The host's apt and yum directories, and the temporary directory, under tmp_path."""
    paths = dict((name, tmp_path / name) for name in ('parts', 'lists', 'yum', 'tmp'))
    for path in paths.values():
        path.mkdir()
    (paths['parts'] / 'host.list').write_text('deb http://repo/3.2 ./\n')
    (paths['parts'] / 'host.sources').write_text('Types: deb\nURIs: http://repo/3.2\n')
    (paths['parts'] / 'contrail-issu.list').write_text('deb http://repo/old ./\n')
    (paths['parts'] / 'notes.txt').write_text('not a source\n')
    (paths['lists'] / 'repo_3.2_._Packages').write_text('Package: contrail-lib\n')
    (paths['lists'] / 'lock').write_text('')
    (paths['lists'] / 'partial').mkdir()
    (paths['yum'] / 'base.repo').write_text('[base]\nbaseurl=http://repo/3.2\n')
    monkeypatch.setattr(pkg_manager, 'APT_SOURCE_PARTS', str(paths['parts']))
    monkeypatch.setattr(pkg_manager, 'APT_LISTS', str(paths['lists']))
    monkeypatch.setattr(pkg_manager, 'YUM_REPOS_DIR', str(paths['yum']))
    monkeypatch.setattr(pkg_manager.tempfile, 'tempdir', str(paths['tmp']))
    return dict((name, str(path)) for name, path in paths.items())


def _listing(path):
    return dict((name, open(os.path.join(path, name)).read()) for name in sorted(os.listdir(path))
                if os.path.isfile(os.path.join(path, name)))


def test_render_sources():
    assert pkg_manager.render_sources([TARGET, '# x']) == TARGET + '\n# x\n'


def test_apt_extra_sources_overlay_for_repository_commands_only_inside_the_block(dirs):
    runner = Runner({})
    apt = pkg_manager.Apt(runner)
    with apt.extra_sources([TARGET]) as tmp:
        assert os.path.dirname(tmp) == dirs['tmp']
        assert _listing(os.path.join(tmp, 'parts')) == {
            'contrail-issu.list': TARGET + '\n', 'host.list': 'deb http://repo/3.2 ./\n',
            'host.sources': 'Types: deb\nURIs: http://repo/3.2\n'}
        assert _listing(os.path.join(tmp, 'lists')) == {
            'repo_3.2_._Packages': 'Package: contrail-lib\n'}
        assert os.path.isdir(os.path.join(tmp, 'lists', 'partial'))
        apt.refresh()
        apt.missing_from_repo({'contrail-lib': '4.0.3.0-62'})
        apt.installed(['contrail-lib'])
        apt.download({'contrail-lib': '4.0.3.0-62'})
    overlay = ['-o', 'Dir::Etc::SourceParts=%s/parts' % tmp,
               '-o', 'Dir::State::Lists=%s/lists' % tmp,
               '-o', 'Dir::Cache::pkgcache=%s/pkgcache.bin' % tmp,
               '-o', 'Dir::Cache::srcpkgcache=%s/srcpkgcache.bin' % tmp,
               '-o', 'APT::Sandbox::User=root']
    assert runner.calls[0] == ['apt-get'] + overlay + ['update', '-q']
    assert runner.calls[1] == ['apt-cache'] + overlay + ['madison', 'contrail-lib']
    assert runner.calls[2][0] == 'dpkg-query' and '-o' not in runner.calls[2]
    assert runner.calls[3][:len(overlay) + 2] == ['apt-get'] + overlay + ['install']
    assert not os.path.exists(tmp) and os.listdir(dirs['tmp']) == []
    assert apt.options == []
    apt.refresh()
    assert runner.calls[-1] == ['apt-get', 'update', '-q']
    # the host's files are as they were
    assert _listing(dirs['parts'])['contrail-issu.list'] == 'deb http://repo/old ./\n'
    assert sorted(os.listdir(dirs['lists'])) == ['lock', 'partial', 'repo_3.2_._Packages']


def test_extra_sources_cleans_up_when_the_block_fails(dirs):
    apt = pkg_manager.Apt(Runner({'apt-get -o': (100, '', 'E: Failed to fetch')}))
    with pytest.raises(pkg_manager.PackageError, match='Failed to fetch'):
        with apt.extra_sources([TARGET], os.path.join(dirs['parts'], 'c.list')):
            apt.refresh()
    assert os.listdir(dirs['tmp']) == [] and apt.options == []


def test_extra_sources_refuses_bad_sources_before_making_anything(dirs):
    runner = Runner({})
    apt = pkg_manager.Apt(runner)
    with pytest.raises(pkg_manager.PackageError, match='not a one-line apt source'):
        with apt.extra_sources(['http://repo/4.0 ./']):
            pass
    assert os.listdir(dirs['tmp']) == [] and runner.calls == []


def test_extra_sources_checked_by_the_caller_are_not_checked_again(dirs, monkeypatch):
    apt = pkg_manager.Apt(Runner({}))
    monkeypatch.setattr(apt, 'sources_problems', lambda lines, path: pytest.fail('checked again'))
    with apt.extra_sources([TARGET], checked=True) as tmp:
        assert _listing(os.path.join(tmp, 'parts'))['contrail-issu.list'] == TARGET + '\n'
    assert os.listdir(dirs['tmp']) == [] and apt.options == []


@pytest.mark.parametrize('lines, name, problem', [
    ([TARGET], 'contrail-issu.list', None),
    (['# 4.0', '', TARGET, 'deb-src http://repo/4.0 ./'], 'c.list', None),
    (['deb http://repo/4.0 xenial main contrib'], 'c.list', None),
    (['Types: deb', 'URIs: http://repo/4.0'], 'c.sources', None),
    ([], 'c.sources', 'sources: empty'),
    (['deb http://repo/4.0'], 'c.list', "sources line 1 'deb http://repo/4.0' is not"),
    (['deb\thttp://repo/4.0 ./', 'rpm http://x ./'], 'c.list', 'sources line 2'),
    (['deb-src http://repo/4.0 ./'], 'c.list', 'no "deb ..." line'),
    ([TARGET], 'c.conf', 'named NAME.list'),
    ([TARGET], '.list', 'named NAME.list'),
    ([TARGET], 'sub/c.list', 'absolute path in'),
])
def test_apt_sources_problems(dirs, lines, name, problem):
    problems = pkg_manager.Apt(Runner({})).sources_problems(lines,
                                                            os.path.join(dirs['parts'], name))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


def test_apt_default_sources_file_and_relative_path(dirs):
    apt = pkg_manager.Apt(Runner({}))
    assert apt.default_sources_file() == os.path.join(dirs['parts'], 'contrail-issu.list')
    assert 'absolute path' in apt.sources_problems([TARGET], 'contrail-issu.list')[0]


def test_dnf_extra_sources_reposdir_overlay(dirs):
    runner = Runner({})
    dnf = pkg_manager.Dnf(runner, 'yum')
    lines = ['[contrail-4.0]', 'baseurl=http://repo/4.0', 'gpgcheck=0']
    assert dnf.default_sources_file() == os.path.join(dirs['yum'], 'contrail-issu.repo')
    with dnf.extra_sources(lines) as tmp:
        assert _listing(tmp) == {'base.repo': '[base]\nbaseurl=http://repo/3.2\n',
                                 'contrail-issu.repo': '\n'.join(lines) + '\n'}
        dnf.refresh()
        dnf.available(['contrail-lib'])
        dnf.installed(['contrail-lib'])
    assert runner.calls[0] == ['yum', '--setopt=reposdir=%s' % tmp, '-q', 'makecache']
    assert runner.calls[1] == ['yum', '--setopt=reposdir=%s' % tmp, '-q', 'list',
                               '--showduplicates', 'available', 'contrail-lib']
    assert runner.calls[2][:2] == ['rpm', '-q']
    assert not [arg for arg in runner.calls[2] if 'reposdir' in arg]
    assert not os.path.exists(tmp) and dnf.options == []
    assert sorted(os.listdir(dirs['yum'])) == ['base.repo']


@pytest.mark.parametrize('lines, path, problem', [
    (['[c]', 'baseurl=http://repo/4.0'], '{yum}/c.repo', None),
    (['[c]'], '{parts}/c.list', 'absolute path in {yum} ending in .repo'),
    (['[c]'], '{yum}/c.list', 'ending in .repo'),
    (['[c]'], 'c.repo', 'ending in .repo'),
    (['baseurl=http://repo/4.0'], '{yum}/c.repo', 'no "[REPOSITORY-ID]" line'),
])
def test_dnf_sources_problems(dirs, lines, path, problem):
    problems = pkg_manager.Dnf(Runner({})).sources_problems(lines, path.format(**dirs))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem.format(**dirs) in problems[0], problems
