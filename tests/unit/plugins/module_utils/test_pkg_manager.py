# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pkg_manager: version order, dpkg/apt output parsing, the commands it runs."""

from __future__ import annotations

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


def test_available_and_missing_from_repo():
    madison = (' contrail-lib | 4.0.3.0-62 | http://10.99.0.10:8081 ./ Packages\n'
               ' contrail-lib | 3.2.14.0-37 | http://10.99.0.10:8081 ./ Packages\n')
    apt = pkg_manager.Apt(Runner({'apt-cache madison contrail-lib': (0, madison, ''),
                                  'apt-cache madison contrail-x': (0, '', '')}))
    assert apt.available('contrail-lib') == ['4.0.3.0-62', '3.2.14.0-37']
    assert apt.missing_from_repo({'contrail-lib': '4.0.3.0-62', 'contrail-x': '4.0.3.0-62'}) == \
        {'contrail-x': '4.0.3.0-62'}


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
