# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What finalize tells the operator about v1's config services matches what the playbook has
done by then (issue 10): in the play of the v1 controllers and issu_task each controller stops its
own (stop_v1.yml) while issu_task stops run-sync and switches northbound (switch_over.yml); sync.yml
then checks the stops (v1_stopped.yml). A failure kept frozen may come while they are still
stopping (issu_task's part failed in that play)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

TASKS = Path(__file__).resolve().parents[2] / 'roles' / 'finalize' / 'tasks'


def failure_message(may_open, irreversible):
    """failed.yml's message, rendered by Ansible for a failure in v1_stopped.yml's check."""
    (task,) = [t for t in yaml.safe_load((TASKS / 'failed.yml').read_text()) if 'ansible.builtin.fail' in t]
    variables = {
        'ansible_failed_task': {'name': 'Check every v1 controller stopped its config services'},
        'ansible_failed_result': {'msg': 'Unable to stop service contrail-api'},
        'state_result': {'operation': {'northbound_may_open': may_open, 'irreversible': irreversible}},
    }
    templar = Templar(loader=DataLoader(), variables=variables)
    return ' '.join(str(templar.template(trust_as_template(task['ansible.builtin.fail']['msg']))).split())


def test_kept_frozen_says_v1_may_still_be_stopping():
    message = failure_message(may_open=False, irreversible=True)
    assert message.startswith('Finalize failed at "Check every v1 controller stopped its config services": '
                              'Unable to stop service contrail-api.'), message
    assert "Northbound stays FROZEN (drained at HAProxy, recorded as frozen): v1's config services are " \
           'stopped or stopping' in message, message
    assert 're-run playbooks/issu_finalize.yml' in message


@pytest.mark.parametrize('irreversible, where', [(False, 'to v1: nothing irreversible happened.'), (True, 'on v2.')])
def test_opened_again_says_where(irreversible, where):
    message = failure_message(may_open=True, irreversible=irreversible)
    assert message.endswith('Northbound is opened again %s' % where), message
    assert 'v1\'s config services' not in message


def test_the_sync_header_says_the_stops_are_checked():
    """sync.yml runs after the play in which the controllers stopped their services, and checks them."""
    header = []
    for line in (TASKS / 'sync.yml').read_text().splitlines()[1:]:
        if not line.startswith('#'):
            break
        header.append(line.lstrip('# '))
    header = ' '.join(header)
    assert "every v1 controller stopped its config services" in header, header
    assert 'switch_over.yml' in header, header
    assert 'v1_stopped.yml' in header and 'checks the stops' in header, header
