# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's example hooks (lab/hooks) live-migrate a compute's VMs away around its swap: the
probe then sees no route gap at all for them, while a compute swapped without hooks shows the
usual gap for its VMs (issue 13, item 2).

playbooks/issu_upgrade_computes.yml on lab-compute1 then lab-compute2, one per batch, with the
probe sampling every agent over the whole run. lab-compute1 has lab/hooks/compute_pre_hook.yml
and compute_post_hook.yml (its VMs go to lab-compute2, the first compute outside its batch, and
come back after its swap); lab-compute2 has no hook.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import threading

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # compute_fixtures.py is beside us
from compute_fixtures import (  # noqa: E402,F401 pylint: disable=unused-import
    COMPUTE, V1, V2, V2_SOURCE_FILE, back_to_v1, compute, issu_started, playbook,
    read_record, run_on, write_record,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'lab', 'tools'))
import probe as lab_probe  # noqa: E402

pytestmark = pytest.mark.lab

HOOKED, PLAIN, OTHER = COMPUTE, 'lab-compute2', 'lab-compute3'
FACT = '/etc/ansible/facts.d/contrail_issu.fact'
LABCTL = os.path.join(ROOT, 'lab', 'labctl')


def labctl(*args):
    proc = subprocess.run([sys.executable, LABCTL] + list(args), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def placement():
    """{vm name: compute} from labctl vm-list."""
    return {row['name']: row['compute'] for row in json.loads(labctl('vm-list', '--json'))}


def home(name):
    """lab-computeN-vmK lives on lab-computeN."""
    return name.rsplit('-', 1)[0]


@pytest.fixture
def migrating(lab, compute, run_on, tmp_path):
    """The lab inventory with lab/hooks set for lab-compute1 only; the ISSU record without the
    two computes (restored after); after the test both computes back on v1 and every VM on its
    own compute."""
    inventory = tmp_path / 'inventory'
    (inventory / 'host_vars').mkdir(parents=True)
    os.symlink(os.path.join(ROOT, 'inventories/lab/hosts.yml'), str(inventory / 'hosts.yml'))
    os.symlink(os.path.join(ROOT, 'inventories/lab/group_vars'), str(inventory / 'group_vars'))
    (inventory / 'host_vars' / ('%s.yml' % HOOKED)).write_text(yaml.safe_dump({
        'issu_compute_pre_hook': os.path.join(ROOT, 'lab', 'hooks', 'compute_pre_hook.yml'),
        'issu_compute_post_hook': os.path.join(ROOT, 'lab', 'hooks', 'compute_post_hook.yml'),
        'lab_hook_labctl': LABCTL}))
    assert all(home(name) == where for name, where in placement().items())
    original = read_record(lab)
    record = json.loads(json.dumps(original))
    for name in (HOOKED, PLAIN):
        record['hosts'].pop(name, None)
    record.pop('progress', None)
    write_record(lab, record)
    had_source = lab.exec(PLAIN, 'test', '-e', V2_SOURCE_FILE, check=False).returncode == 0
    yield str(inventory)
    for name, where in placement().items():
        if where != home(name):
            labctl('vm-migrate', name, home(name))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:     # both at once: a rollback is slow
        list(pool.map(lambda name: back_to_v1(run_on, name), (HOOKED, PLAIN)))
    for name in (HOOKED, PLAIN):
        lab.exec(name, 'rm', '-f', FACT)
    if not had_source:
        lab.exec(PLAIN, 'sh', '-c', 'rm -f %s && apt-get clean' % V2_SOURCE_FILE)
    write_record(lab, original)


def test_the_lab_hooks_move_a_computes_vms_so_the_probe_sees_no_gap_for_them(lab, migrating):
    agents = {n.name: (n.ip, 8085) for n in lab.topology.computes}
    assert set(agents) == {HOOKED, PLAIN, OTHER}, 'the default lab: 3 computes'
    probe = lab_probe.Probe(agents)
    summary = {}
    sampler = threading.Thread(target=lambda: summary.update(probe.run(duration=1200, interval=0.2)))
    sampler.start()
    try:
        run = playbook(migrating, 'issu_upgrade_computes.yml', {'issu_computes': [HOOKED, PLAIN]},
                       {'issu_serial': [1]})
    finally:
        probe.stop()
        sampler.join(60)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-5000:]
    record = read_record(lab)
    for name in (HOOKED, PLAIN):
        assert record['hosts'][name]['status'] == 'v2', record['hosts'][name]

    # the hooks ran around lab-compute1's swap: its VMs went to lab-compute2 (the first compute
    # outside its batch) and came back; lab-compute2 kept its own
    assert 'Live-migrate each VM away and wait for it' in out     # the pre hook's (a block's name is not shown)
    assert 'Move the VMs the pre hook moved away back to this compute' in out
    assert '(item=%s-vm1)' % HOOKED in out and '(item=%s-vm2)' % HOOKED in out
    assert placement() == {'%s-vm%d' % (c, k): c for c in (HOOKED, PLAIN, OTHER) for k in (1, 2)}
    assert probe.owner['10.1.1.1'] == HOOKED and probe.owner['10.1.2.1'] == PLAIN

    moved = {'10.1.1.1', '10.1.1.2'}
    plain = {'10.1.2.1', '10.1.2.2'}
    assert summary['vms'] == 6 and summary['samples'] > 50, summary
    # no route gap at all for the migrated VMs over the whole run, on every compute but
    # lab-compute2 (its own swap, without hooks, leaves it without routes for a while: its gap,
    # not theirs)
    assert [o for o in summary['outages'] if o['vm'] in moved and o['compute'] != PLAIN] == []
    assert {o['vm'] for o in summary['outages'] if o['compute'] == PLAIN} >= moved
    # the compute swapped without hooks: its VMs are unreachable from the others for a while
    gaps = {(o['compute'], o['vm']) for o in summary['outages'] if o['vm'] in plain}
    assert gaps >= {(HOOKED, '10.1.2.1'), (OTHER, '10.1.2.1')}, summary['outages']
