"""pytest plugin with the lab fixtures, loaded for every suite by the root conftest.py.

`lab` (session): the rehearsal lab, brought up once per test run with `labctl up` and removed at
the end. A lab that is already running and healthy (every lab-* container running and labctl's
health checks passing, e.g. a developer's `make lab-up`) is reused as it is and left running; one
that is not (containers whose processes were killed, a lab left finalized by a demo) is removed
and brought up again. Set LAB_KEEP=1 to keep a lab this run started.

Two rules for the lab's own tests (lab/tests):
- marker `lab_last`: the test runs after every other test of the session (it takes the lab down);
- in CI (env CI=true) a `lab` test that skips fails instead: CI must run them for real, a missing
  service or image there is a broken pipeline, not a reason to pass.
"""
import importlib.machinery
import importlib.util
import os
import subprocess
import time

import pytest

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
LABCTL = os.path.join(LAB_DIR, 'labctl')


def in_ci():
    return os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def pytest_configure(config):
    config.addinivalue_line('markers', 'lab_last: run after every other test (takes the lab down)')


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    # A test that uses the lab is a lab test, marked or not: `-m "not lab"` (make unit) must
    # never bring the lab up or take down one that another run is using.
    for item in items:
        if 'lab' in getattr(item, 'fixturenames', ()) and not item.get_closest_marker('lab'):
            item.add_marker(pytest.mark.lab)
    last = [item for item in items if item.get_closest_marker('lab_last')]
    items[:] = [item for item in items if item not in last] + last


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and item.get_closest_marker('lab') and \
            str(item.path).startswith(os.path.join(LAB_DIR, 'tests')) and \
            not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = 'failed'
        report.longrepr = 'a lab test may not skip in CI: %s' % reason


def load_labctl():
    """labctl as a module (it is a script without .py), for its topology and helpers."""
    loader = importlib.machinery.SourceFileLoader('labctl', LABCTL)
    spec = importlib.util.spec_from_loader('labctl', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def labctl(*args, timeout=600):
    return subprocess.run(['python3', LABCTL] + list(args), capture_output=True, text=True,
                          timeout=timeout)


class Lab(object):
    """The running lab: its topology (labctl.Topology) and a podman helper."""

    def __init__(self, module, topology, started):
        self.labctl = module
        self.topology = topology
        self.started = started
        self.is_up = True

    def podman(self, *args, check=True, timeout=120, input_text=None):
        env = dict(os.environ, CONTAINERS_CONF=self.labctl.CONTAINERS_CONF)
        proc = subprocess.run(['podman'] + list(args), capture_output=True, text=True,
                              env=env, timeout=timeout, input=input_text)
        if check and proc.returncode != 0:
            raise AssertionError('podman %s: %s' % (' '.join(args), proc.stderr))
        return proc

    def exec(self, node, *cmd, check=True, timeout=120):
        return self.podman('exec', node, *cmd, check=check, timeout=timeout)


def _running_lab(module, settle=30):
    """The topology of a lab that can be reused: all containers running and healthy."""
    os.environ['CONTAINERS_CONF'] = module.CONTAINERS_CONF
    states = module.container_states()
    if not states:
        return None
    if any(state != 'running' for state in states.values()):
        print('lab: not reused, containers not running: %s' % ', '.join(
            sorted(name for name, state in states.items() if state != 'running')))
        return None
    topology = module.running_topology()
    try:
        module.wait_for(module.health_checks(topology), time.time() + settle)
    except module.LabError as exc:
        print('lab: not reused, %s' % ' '.join(str(exc).splitlines()[:2]))
        return None
    return topology


@pytest.fixture(scope='session')
def labctl_module():
    """labctl loaded as a module (no containers needed)."""
    return load_labctl()


@pytest.fixture(scope='session')
def run_labctl():
    """Run a labctl command: run_labctl('status') -> CompletedProcess."""
    return labctl


@pytest.fixture(scope='session')
def lab():
    module = load_labctl()
    topology = _running_lab(module)
    started = topology is None
    if started:
        labctl('down')
        proc = labctl('up')
        if proc.returncode != 0:
            pytest.fail('labctl up failed:\n%s%s' % (proc.stdout, proc.stderr))
        topology = module.running_topology()
    info = Lab(module, topology, started)
    yield info
    if started and info.is_up and not os.environ.get('LAB_KEEP'):
        labctl('down')
