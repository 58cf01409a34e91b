"""The lab's vRouter packages: repository build (unit) and an apt swap in a container (`lab`).

Unit part: build.sh --broken into a temporary directory, then inspect the index and the .debs
with dpkg-deb (fields, files, conffiles, maintainer scripts, versions) and check that every
dependency resolves inside the repository or to a Debian package of the lab's base image.

Container part (marker `lab`; needs podman and the lab's base image, which `labctl` builds when
it is missing -- not the running lab): a throwaway container issu-pkgtest-<pid>
gets the repository as a file: source and the kmod model in /usr/local/sbin, installs v1,
swaps to v2 by hand with the module loaded, and checks what an operator would see (LP 1631556),
then downgrades back to v1.
"""
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import time

import pytest

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(LAB, 'packages', 'build.sh')
KMOD = os.path.join(LAB, 'packages', 'kmod')
V1, V2, BROKEN = '3.2.14.0-37', '4.0.3.0-62', '4.0.3.0-63'
PACKAGES = ['contrail-lib', 'contrail-nodemgr', 'contrail-nova-vif', 'contrail-openstack-vrouter',
            'contrail-utils', 'contrail-vrouter-agent', 'contrail-vrouter-common',
            'contrail-vrouter-dkms', 'contrail-vrouter-init', 'contrail-vrouter-utils',
            'python-contrail']
# Debian packages the dependencies may name: all are in the lab's base image.
DEBIAN_BASE = {'adduser', 'coreutils', 'hostname', 'python3', 'python3-lxml', 'python3-pika',
               'python3-requests', 'supervisor'}
BUILD_SECONDS = {}


def stanzas(text):
    """deb822 paragraphs as dicts (continuation lines joined)."""
    result = []
    for block in text.strip().split('\n\n'):
        fields, key = {}, None
        for line in block.splitlines():
            if line.startswith(' ') and key:
                fields[key] += '\n' + line[1:]
            else:
                key, _, value = line.partition(':')
                fields[key] = value.strip()
        result.append(fields)
    return result


@pytest.fixture(scope='module')
def repo(tmp_path_factory):
    out = tmp_path_factory.mktemp('repo')
    start = time.monotonic()
    subprocess.run([BUILD, '--out', str(out), '--broken'], check=True, capture_output=True)
    BUILD_SECONDS['repo'] = time.monotonic() - start
    print('\nrepo build (3 versions, %d packages each): %.2f s' % (len(PACKAGES),
                                                                  BUILD_SECONDS['repo']))
    return out / 'all'


@pytest.fixture(scope='module')
def index(repo):
    with open(repo / 'Packages') as fh:
        return stanzas(fh.read())


def deb(repo, pkg, version):
    return str(repo / ('%s_%s_all.deb' % (pkg, version)))


def contents(repo, pkg, version):
    out = subprocess.run(['dpkg-deb', '-c', deb(repo, pkg, version)], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[-1].lstrip('.') for line in out.splitlines() if not line.endswith('/')}


def member(repo, pkg, version, path):
    """A file of a .deb (dpkg-deb --fsys-tarfile | tar -xO)."""
    tar = subprocess.run('dpkg-deb --fsys-tarfile %s | tar -xO .%s' % (deb(repo, pkg, version),
                                                                      path),
                         shell=True, check=True, capture_output=True, text=True)
    return tar.stdout


def control_file(repo, pkg, version, name):
    proc = subprocess.run(['dpkg-deb', '-I', deb(repo, pkg, version), name],
                          capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


# -- repository build ---------------------------------------------------------------------------
def test_every_package_in_every_version(index):
    found = {(s['Package'], s['Version']) for s in index}
    assert found == {(p, v) for p in PACKAGES for v in (V1, V2, BROKEN)}
    assert {s['Architecture'] for s in index} == {'all'}
    assert all(s['Filename'] == './%s_%s_all.deb' % (s['Package'], s['Version']) for s in index)


def test_release_hashes_match_indexes(repo):
    release = stanzas((repo / 'Release').read_text())[0]
    for header, algo in (('MD5Sum', 'md5'), ('SHA256', 'sha256')):
        for line in release[header].strip().splitlines():
            digest, size, name = line.split()
            data = (repo / name).read_bytes()
            assert (hashlib.new(algo, data).hexdigest(), int(size)) == (digest, len(data))
    assert gzip.decompress((repo / 'Packages.gz').read_bytes()) == (repo / 'Packages').read_bytes()


def satisfies(candidate, op, wanted):
    cmp = subprocess.run(['dpkg', '--compare-versions', candidate, op, wanted]).returncode
    return cmp == 0


def resolvable(alternative, index, version):
    """One `name (op ver)` alternative: a repo package (real or Provides) or a base package."""
    match = re.match(r'^([\w.+-]+)(?:\s*\((<<|<=|=|>=|>>)\s*([^)]+)\))?$', alternative.strip())
    name, op, wanted = match.groups()
    if name in DEBIAN_BASE:
        return True
    for stanza in index:
        if stanza['Version'] != version:
            continue
        provides = [p.strip() for p in stanza.get('Provides', '').split(',') if p.strip()]
        if stanza['Package'] == name and (op is None or satisfies(stanza['Version'], op, wanted)):
            return True
        if name in provides and op is None:
            return True
    return False


@pytest.mark.parametrize('version', [V1, V2, BROKEN])
def test_dependencies_resolve_within_the_same_release(index, version):
    for stanza in index:
        if stanza['Version'] != version:
            continue
        for group in filter(None, stanza.get('Depends', '').split(',')):
            assert any(resolvable(alt, index, version) for alt in group.split('|')), \
                '%s %s: unresolvable %r' % (stanza['Package'], version, group)


def test_key_relations(index):
    fields = {(s['Package'], s['Version']): s for s in index}
    assert fields[('contrail-vrouter-dkms', V1)]['Provides'] == 'contrail-vrouter'
    assert 'contrail-lib (>= %s)' % V2 in fields[('contrail-vrouter-agent', V2)]['Depends']
    assert 'nova-compute' not in fields[('contrail-openstack-vrouter', V1)]['Depends']
    assert 'supervisor' in fields[('contrail-vrouter-init', V1)]['Depends']
    assert 'supervisor' not in fields[('contrail-vrouter-init', V2)]['Depends']


@pytest.mark.parametrize('version', [V1, V2])
def test_agent_package_files(repo, version):
    files = contents(repo, 'contrail-vrouter-agent', version)
    assert {'/usr/bin/contrail-vrouter-agent', '/usr/share/contrail/vrouter-agent.version',
            '/etc/contrail/supervisord_vrouter.conf', '/etc/init.d/supervisor-vrouter',
            '/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini',
            '/etc/contrail/contrail-vrouter-agent.conf'} <= files
    assert member(repo, 'contrail-vrouter-agent', version,
                  '/usr/share/contrail/vrouter-agent.version') == version + '\n'
    ini = member(repo, 'contrail-vrouter-agent', version,
                 '/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini')
    for line in ('[program:contrail-vrouter-agent]', 'command=/usr/bin/contrail-vrouter-agent',
                 'priority=420', 'autostart=true', 'stopsignal=KILL'):
        assert line in ini.splitlines()
    conffiles = control_file(repo, 'contrail-vrouter-agent', version, 'conffiles').split()
    assert '/etc/contrail/contrail-vrouter-agent.conf' in conffiles
    assert '/etc/init.d/supervisor-vrouter' in conffiles


def test_agent_conf_format_follows_release(repo):
    conf = {v: member(repo, 'contrail-vrouter-agent', v, '/etc/contrail/contrail-vrouter-agent.conf')
            for v in (V1, V2)}
    assert '[DISCOVERY]' in conf[V1] and '[DISCOVERY]' not in conf[V2]
    assert '# servers=' in conf[V2] and '# server=' in conf[V1]


@pytest.mark.parametrize('version', [V1, V2])
def test_dkms_package(repo, version):
    upstream = version.split('-')[0]
    dkms_conf = member(repo, 'contrail-vrouter-dkms', version, '/usr/src/vrouter-%s/dkms.conf'
                       % upstream)
    assert 'PACKAGE_NAME=vrouter' in dkms_conf.splitlines()
    assert 'PACKAGE_VERSION=%s' % upstream in dkms_conf.splitlines()
    postinst = control_file(repo, 'contrail-vrouter-dkms', version, 'postinst').splitlines()
    assert 'version=%s' % upstream in postinst
    assert '    echo "$version" >/var/lib/vrouter-kmod/available' in postinst
    # The real postinst's shape: a failed build fails nothing (contrail-packages
    # debian/contrail/debian/contrail-vrouter-dkms.postinst).
    assert '    dkms_build && dkms_install || true' in postinst


def test_broken_dkms_variant_builds_no_module(tmp_path):
    subprocess.run([BUILD, '--out', str(tmp_path), '--broken=dkms'], check=True,
                   capture_output=True)
    postinst = control_file(tmp_path / 'all', 'contrail-vrouter-dkms', BROKEN, 'postinst')
    assert 'Error! Bad return status for module build' in postinst
    assert '    dkms_build && dkms_install || true' in postinst.splitlines()
    assert 'Error!' not in control_file(tmp_path / 'all', 'contrail-vrouter-dkms', V2, 'postinst')


def test_python_contrail_ships_the_daemon_code_without_issu(repo):
    files = contents(repo, 'python-contrail', V2)
    base = '/usr/lib/python3/dist-packages/contrail_sim/'
    sim = os.path.join(LAB, 'sim', 'contrail_sim')
    expected = {base + f for f in os.listdir(sim) if f.endswith('.py')}
    assert expected and expected <= files
    assert not [f for f in files if f.startswith(base + 'issu') or f.endswith('.pyc')]


def test_entry_points(repo):
    assert {'/usr/bin/contrail-status', '/usr/bin/contrail-version'} <= \
        contents(repo, 'contrail-utils', V1)
    assert 'contrail_sim.status' in member(repo, 'contrail-utils', V1, '/usr/bin/contrail-status')
    nodemgr = contents(repo, 'contrail-nodemgr', V1)
    assert {'/usr/bin/contrail-nodemgr',
            '/etc/contrail/supervisord_vrouter_files/contrail-vrouter-nodemgr.ini'} <= nodemgr


def test_broken_build_agent_fails(repo):
    launcher = member(repo, 'contrail-vrouter-agent', BROKEN, '/usr/bin/contrail-vrouter-agent')
    assert 'exit 127' in launcher
    assert 'contrail_sim.agent' in member(repo, 'contrail-vrouter-agent', V2,
                                          '/usr/bin/contrail-vrouter-agent')


def test_broken_postinst_variant(tmp_path):
    subprocess.run([BUILD, '--out', str(tmp_path), '--broken=postinst'], check=True,
                   capture_output=True)
    every = tmp_path / 'all'
    assert 'exit 1' in control_file(every, 'contrail-vrouter-agent', BROKEN, 'postinst')
    assert 'exit 127' not in member(every, 'contrail-vrouter-agent', BROKEN,
                                    '/usr/bin/contrail-vrouter-agent')


def test_each_release_has_its_own_repository(repo):
    """Production publishes 3.2 and 4.0 apart: a compute with 3.2's source sees no 4.0."""
    for release, versions in (('3.2', {V1}), ('4.0', {V2, BROKEN})):
        with open(repo.parent / release / 'Packages') as fh:
            found = stanzas(fh.read())
        assert {s['Version'] for s in found} == versions
        assert {s['Package'] for s in found} == set(PACKAGES)
        assert all(os.path.exists(repo.parent / release / s['Filename']) for s in found)
        assert (repo.parent / release / 'Release').exists()


# -- apt swap in a container --------------------------------------------------------------------
class Node(object):
    """A throwaway container with the repo at file:/srv/repo and the kmod model installed."""

    def __init__(self, image, repo):
        self.env = dict(os.environ, CONTAINERS_CONF=os.path.join(LAB, 'containers.conf'))
        self.name = 'issu-pkgtest-%d' % os.getpid()
        subprocess.run(['podman', 'rm', '-f', self.name], env=self.env, capture_output=True)
        subprocess.run(['podman', 'run', '-d', '--name', self.name, '--stop-timeout=1',
                        '-v', '%s:/srv/repo:ro' % repo, '-v', '%s:/opt/kmod:ro' % KMOD,
                        image, 'sleep', '900'], env=self.env, check=True, capture_output=True)
        self.sh('cp /opt/kmod/* /usr/local/sbin/ && '
                'echo "deb [trusted=yes] file:/srv/repo ./" >/etc/apt/sources.list.d/contrail.list'
                ' && apt-get update -qq', check=True)

    def sh(self, script, check=False, timeout=120):
        proc = subprocess.run(['podman', 'exec', self.name, 'bash', '-c', script], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert not check or proc.returncode == 0, (script, proc.stdout, proc.stderr)
        return proc.returncode, proc.stdout + proc.stderr

    def install(self, version, downgrade=False):
        pins = ' '.join('%s=%s' % (p, version) for p in PACKAGES)
        opts = '-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'
        start = time.monotonic()
        self.sh('DEBIAN_FRONTEND=noninteractive apt-get install -y -q %s %s %s'
                % (opts, '--allow-downgrades' if downgrade else '', pins), check=True)
        return time.monotonic() - start

    def program_state(self, program='contrail-vrouter-agent'):
        out = self.sh('supervisorctl -s unix:///var/run/supervisord_vrouter.sock status ' +
                      program)[1].split()
        return out[1] if len(out) > 1 else None

    def wait_state(self, states, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = self.program_state()
            if state in states:
                return state
            time.sleep(0.5)
        return self.program_state()

    def loaded(self):
        return self.sh('cat /run/vrouter-kmod/loaded')[1].strip()

    def remove(self):
        subprocess.run(['podman', 'rm', '-f', self.name], env=self.env, capture_output=True)


@pytest.fixture(scope='module')
def node(repo, labctl_module):
    os.environ['CONTAINERS_CONF'] = labctl_module.CONTAINERS_CONF
    n = Node(labctl_module.base_image(), repo)     # the lab's base image, built when missing
    yield n
    n.remove()


def status_lines(node):
    return node.sh('contrail-status')[1].splitlines()


@pytest.mark.lab
class TestSwapInContainer(object):
    """Ordered steps on one container: install v1, swap to v2 with the module loaded, downgrade."""

    def test_install_v1_and_start(self, node):
        seconds = node.install(V1)
        print('\ninstall v1 (%d packages): %.2f s' % (len(PACKAGES), seconds))
        node.sh('service supervisor-vrouter start', check=True)
        assert node.wait_state({'RUNNING'}) == 'RUNNING'
        assert node.loaded() == '3.2.14.0'
        lines = status_lines(node)
        assert lines[:2] == ['== Contrail vRouter ==', 'supervisor-vrouter:           active']
        assert re.match(r'^contrail-vrouter-agent {8}(active|initializing)', lines[2])
        assert 'vRouter is NOT PRESENT' not in lines

    def test_lsmod_shows_vrouter_held(self, node):
        out = node.sh('lsmod')[1].splitlines()
        assert out[0] == 'Module                  Size  Used by'
        assert out[1] == 'vrouter               385024  1'

    def test_swap_to_v2_with_module_loaded(self, node):
        seconds = node.install(V2)
        print('\nswap to v2 (%d packages): %.2f s' % (len(PACKAGES), seconds))
        assert node.sh('cat /var/lib/vrouter-kmod/available')[1].strip() == '4.0.3.0'
        assert node.loaded() == '3.2.14.0'                   # dkms does not reload it
        assert node.sh('rmmod vrouter') == (1, 'rmmod: ERROR: Module vrouter is in use\n')
        assert 'contrail-vrouter-agent                 4.0.3.0-62' in node.sh('contrail-version')[1]

    def test_v2_agent_refuses_old_module(self, node):
        node.sh('supervisorctl -s unix:///var/run/supervisord_vrouter.sock restart '
                'contrail-vrouter-agent')
        assert node.wait_state({'BACKOFF', 'FATAL', 'EXITED'}) in {'BACKOFF', 'FATAL', 'EXITED'}
        time.sleep(1)
        assert node.program_state() != 'RUNNING'
        assert node.loaded() == '3.2.14.0'

    def test_rmmod_wait_and_restart_fix_it(self, node):
        rc, out = node.sh('service supervisor-vrouter stop >/dev/null; rmmod -w vrouter; echo rc=$?;'
                          ' contrail-status; service supervisor-vrouter start')
        assert 'rc=0' in out
        assert 'vRouter is NOT PRESENT' in out and 'supervisor-vrouter:           inactive' in out
        assert node.wait_state({'RUNNING'}) == 'RUNNING'
        assert node.loaded() == '4.0.3.0'
        assert status_lines(node)[1] == 'supervisor-vrouter:           active'

    def test_rmmod_wait_blocks_until_agent_stops(self, node):
        rc, out = node.sh('(rmmod -w vrouter; echo "rmmod=$?" >/tmp/rmmod.rc) & sleep 1; '
                          'lsmod | grep -c "^vrouter"; service supervisor-vrouter stop >/dev/null; '
                          'wait; cat /tmp/rmmod.rc')
        assert out.split() == ['1', 'rmmod=0']
        node.sh('service supervisor-vrouter start', check=True)
        assert node.wait_state({'RUNNING'}) == 'RUNNING'

    def test_downgrade_to_v1(self, node):
        seconds = node.install(V1, downgrade=True)
        print('\ndowngrade to v1: %.2f s' % seconds)
        node.sh('service supervisor-vrouter stop; rmmod -w vrouter; service supervisor-vrouter '
                'start', check=True)
        assert node.wait_state({'RUNNING'}) == 'RUNNING'
        assert node.loaded() == '3.2.14.0'
        versions = node.sh("dpkg-query -W -f='${Version}\\n' " + ' '.join(PACKAGES))[1].split()
        assert set(versions) == {V1}
