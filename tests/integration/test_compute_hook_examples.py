# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example compute hooks of docs/examples (live-migrate the compute's instances away, let
the scheduler use it again), run by ansible-playbook on this machine against a stand-in
openstack CLI that keeps its servers in a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


FAKE_OPENSTACK = r'''#!%(python)s
"""openstack CLI stand-in: servers in servers.json ({id: {name, host, status}}), calls logged."""
import json, sys
here = %(here)r
args = sys.argv[1:]
with open(here + '/calls.log', 'a') as log:
    log.write(' '.join(args) + '\n')
assert args[:2] == ['--os-cloud', 'admin'], args
args = args[2:]
servers = json.load(open(here + '/servers.json'))
if args[:3] == ['compute', 'service', 'set']:
    sys.exit(0)
if args[:2] == ['server', 'list']:
    host = args[args.index('--host') + 1]
    status = args[args.index('--status') + 1]
    found = [(i, s) for i, s in sorted(servers.items()) if s['host'] == host and s['status'] == status]
    if args[args.index('-f') + 1] == 'json':
        print(json.dumps([{'ID': i, 'Name': s['name']} for i, s in found]))
    else:
        print('\n'.join(s['name'] for i, s in found))
    sys.exit(0)
if args[:2] == ['server', 'migrate']:
    assert '--live-migration' in args and '--wait' in args, args
    server = servers[args[-1]]
    if 'stuck' not in server['name']:        # a failed live migration leaves it ACTIVE where it was
        server['host'] = 'elsewhere'
    json.dump(servers, open(here + '/servers.json', 'w'))
    sys.exit(0)
sys.exit('unexpected: %%s' %% args)
'''

HOOKS = """
- name: The compute phase's hooks, as the vrouter role includes them
  hosts: localhost
  gather_facts: false
  vars:
    issu_hook_host: cmp1
    issu_hook_batch: {index: 2, count: 3, hosts: [cmp1]}
    compute_hook_openstack_host: localhost
  tasks:
    - name: Pre hook
      ansible.builtin.include_tasks: %(root)s/docs/examples/compute_pre_hook.yml
    - name: Post hook
      ansible.builtin.include_tasks: %(root)s/docs/examples/compute_post_hook.yml
"""


@pytest.fixture
def hooks(tmp_path):
    """``hooks(servers)`` -> (rc, output, servers after, CLI calls) of the example pair."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    cli = bin_dir / 'openstack'
    cli.write_text(FAKE_OPENSTACK % {'python': sys.executable, 'here': str(tmp_path)})
    cli.chmod(0o755)
    (tmp_path / 'play.yml').write_text(HOOKS % {'root': ROOT})

    def run(servers):
        (tmp_path / 'servers.json').write_text(json.dumps(servers))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
                   ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0',
                   PATH=os.pathsep.join([str(bin_dir), os.path.dirname(sys.executable), os.environ['PATH']]))
        done = subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local',
                               '-e', 'ansible_python_interpreter=%s' % sys.executable, str(tmp_path / 'play.yml')],
                              env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=180, check=False)
        calls = (tmp_path / 'calls.log').read_text().splitlines()
        return (done.returncode, done.stdout + done.stderr, json.loads((tmp_path / 'servers.json').read_text()),
                calls)
    return run


def test_the_example_pre_hook_moves_the_running_instances_away(hooks):
    rc, output, servers, calls = hooks({
        'id1': {'name': 'vm1', 'host': 'cmp1', 'status': 'ACTIVE'},
        'id2': {'name': 'vm2', 'host': 'cmp1', 'status': 'SHUTOFF'},
        'id3': {'name': 'vm3', 'host': 'cmp2', 'status': 'ACTIVE'},
        'id4': {'name': 'vm4', 'host': 'cmp1', 'status': 'ACTIVE'}})
    assert rc == 0, output[-3000:]
    assert servers['id1']['host'] == servers['id4']['host'] == 'elsewhere'
    assert servers['id2']['host'] == 'cmp1' and servers['id3']['host'] == 'cmp2'
    assert calls[0] == ('--os-cloud admin compute service set --disable --disable-reason '
                        'ISSU: vRouter upgrade, batch 2 cmp1 nova-compute')
    assert [c for c in calls if ' migrate ' in c] == [
        '--os-cloud admin server migrate --live-migration --wait id1',
        '--os-cloud admin server migrate --live-migration --wait id4']
    assert calls[-1] == '--os-cloud admin compute service set --enable cmp1 nova-compute'   # the post hook


def test_the_example_pre_hook_fails_while_an_instance_stays_and_enables_the_compute_again(hooks):
    rc, output, servers, calls = hooks({
        'id1': {'name': 'vm1', 'host': 'cmp1', 'status': 'ACTIVE'},
        'id2': {'name': 'stuck-vm', 'host': 'cmp1', 'status': 'ACTIVE'}})
    assert rc != 0
    assert 'could not move the running instances off cmp1 (stuck-vm)' in output, output[-3000:]
    assert servers['id1']['host'] == 'elsewhere' and servers['id2']['host'] == 'cmp1'
    assert 'compute service set --disable' in calls[0]
    assert calls[-1] == '--os-cloud admin compute service set --enable cmp1 nova-compute'
    assert 'TASK [Post hook]' not in output
