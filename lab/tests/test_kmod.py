"""Unit tests of the vrouter kernel-module model (lab/packages/kmod).

Runs the real scripts (lsmod, modprobe, rmmod, modinfo wrappers) with the state directories moved
under tmp_path; holders are `sleep` processes registered the way the agent registers itself.
"""
import os
import signal
import subprocess
import time

import pytest

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KMOD = os.path.join(LAB, 'packages', 'kmod')


@pytest.fixture
def kmod(tmp_path):
    """Runs a kmod tool; returns (rc, stdout, stderr). `available` holds 3.2.14.0."""
    env = dict(os.environ, VROUTER_KMOD_RUN=str(tmp_path / 'run'),
               VROUTER_KMOD_LIB=str(tmp_path / 'lib'), VROUTER_KMOD_WAIT='5')
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib' / 'available').write_text('3.2.14.0\n')

    def run(*argv):
        proc = subprocess.run([os.path.join(KMOD, argv[0])] + list(argv[1:]), env=env,
                              capture_output=True, text=True, timeout=30)
        return proc.returncode, proc.stdout, proc.stderr
    run.env, run.tmp = env, tmp_path
    return run


def start_time(pid):
    with open('/proc/%d/stat' % pid) as fh:
        return fh.read().rsplit(')', 1)[1].split()[19]


@pytest.fixture
def agent(kmod, tmp_path):
    """Start a stand-in agent process holding the module as contrail_sim.agent does: a file
    holders/<pid> (empty, or with the start time when stamped=True). Killed at the end."""
    procs = []

    def start(stamped=False):
        proc = subprocess.Popen(['sleep', '60'])
        procs.append(proc)
        holders = tmp_path / 'run' / 'holders'
        holders.mkdir(parents=True, exist_ok=True)
        (holders / str(proc.pid)).write_text(start_time(proc.pid) + '\n' if stamped else '')
        return proc
    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def lsmod_vrouter(kmod):
    rc, out, _ = kmod('lsmod')
    assert rc == 0 and out.splitlines()[0] == 'Module                  Size  Used by'
    return [l for l in out.splitlines() if l.split()[:1] == ['vrouter']]


def test_modprobe_loads_available_version(kmod):
    assert lsmod_vrouter(kmod) == []
    assert kmod('modprobe', 'vrouter')[0] == 0
    assert (kmod.tmp / 'run' / 'loaded').read_text().strip() == '3.2.14.0'
    assert lsmod_vrouter(kmod) == ['vrouter               385024  0']


def test_modprobe_keeps_loaded_module_after_dkms_upgrade(kmod):
    kmod('modprobe', 'vrouter')
    (kmod.tmp / 'lib' / 'available').write_text('4.0.3.0\n')
    assert kmod('modprobe', 'vrouter')[0] == 0
    assert (kmod.tmp / 'run' / 'loaded').read_text().strip() == '3.2.14.0'
    assert kmod('modinfo', '-F', 'version', 'vrouter')[1] == '4.0.3.0\n'


def test_modprobe_without_built_module_fails(kmod):
    (kmod.tmp / 'lib' / 'available').unlink()
    rc, _, err = kmod('modprobe', 'vrouter')
    assert rc == 1 and err.startswith('modprobe: FATAL: Module vrouter not found in directory')


def test_rmmod_not_loaded(kmod):
    assert kmod('rmmod', 'vrouter')[::2] == (1, 'rmmod: ERROR: Module vrouter is not currently '
                                                'loaded\n')


def test_running_agent_holds_module(kmod, agent):
    kmod('modprobe', 'vrouter')
    agent()
    assert lsmod_vrouter(kmod) == ['vrouter               385024  1']
    assert kmod('rmmod', 'vrouter')[::2] == (1, 'rmmod: ERROR: Module vrouter is in use\n')
    assert kmod('modprobe', '-r', 'vrouter')[::2] == (1, 'modprobe: FATAL: Module vrouter is in '
                                                         'use.\n')
    assert (kmod.tmp / 'run' / 'loaded').exists()


def test_sigkill_releases_hold(kmod, agent):
    kmod('modprobe', 'vrouter')
    proc = agent()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert lsmod_vrouter(kmod) == ['vrouter               385024  0']
    assert kmod('rmmod', 'vrouter')[0] == 0
    assert lsmod_vrouter(kmod) == []


def test_rmmod_wait_returns_when_holder_exits(kmod, agent):
    kmod('modprobe', 'vrouter')
    proc = agent()
    killer = subprocess.Popen(['sh', '-c', 'sleep 1; kill -9 %d' % proc.pid])
    start = time.monotonic()
    rc, _, err = kmod('rmmod', '-w', 'vrouter')
    killer.wait()
    assert (rc, err) == (0, '')
    assert 0.8 < time.monotonic() - start < 5
    assert not (kmod.tmp / 'run' / 'loaded').exists()


def test_rmmod_wait_is_bounded(kmod, agent):
    kmod('modprobe', 'vrouter')
    agent()
    kmod.env['VROUTER_KMOD_WAIT'] = '0.5'
    assert kmod('rmmod', '-w', 'vrouter')[::2] == (1, 'rmmod: ERROR: Module vrouter is in use\n')


def test_stamped_holders_count(kmod, agent):
    kmod('modprobe', 'vrouter')
    agent(stamped=True)
    agent()
    assert lsmod_vrouter(kmod) == ['vrouter               385024  2']


def test_stale_holder_of_reused_pid_is_ignored(kmod):
    kmod('modprobe', 'vrouter')
    holders = kmod.tmp / 'run' / 'holders'
    holders.mkdir()
    (holders / str(os.getpid())).write_text('1\n')      # our pid, but not our start time
    assert lsmod_vrouter(kmod) == ['vrouter               385024  0']
    assert not (holders / str(os.getpid())).exists()
