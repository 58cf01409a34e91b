#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: operator_prompt
short_description: Wait for the operator at the terminal; fail when there is no terminal
version_added: 1.0.0
description:
  - Shows O(prompt) and waits until the operator presses Enter, as
    C(ansible.builtin.pause) with a prompt does.
  - Where C(ansible.builtin.pause) only warns and runs on when stdin is not a terminal (AWX,
    ansible-runner, cron, a pipe), this fails, with O(noninteractive_msg) appended, so a pause the
    operator asked for is never skipped silently.
  - Ctrl+C then C continues; Ctrl+C then A (or a second Ctrl+C) fails the task.
  - The compute phase uses it between batches with C(issu_batch_pause=prompt).
author:
  - opencontrail.issu developers (@opencontrail-issu)
attributes:
  action:
    support: full
    description: Runs on the Ansible controller as an action plugin.
  bypass_host_loop:
    support: full
    description: Asks once, whatever the number of hosts.
  check_mode:
    support: full
    description: Waits in check mode too.
  diff_mode:
    support: none
    description: Changes nothing.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
options:
  prompt:
    description: What the operator reads, for example what to test and how to go on.
    type: str
    required: true
  noninteractive_msg:
    description: Added to the failure message when there is no terminal or the operator stops;
      say where the run stands and how to go on.
    type: str
notes:
  - In AWX, use an approval node between job templates, or a number of seconds, instead.
seealso:
  - module: ansible.builtin.pause
'''

EXAMPLES = r'''
- name: Wait for the admin's tests before the next batch
  opencontrail.issu.operator_prompt:
    prompt: Batch lab-compute1 is on v2. Test it, then press Enter to continue
    noninteractive_msg: Re-run playbooks/issu_upgrade_computes.yml to go on.
'''

RETURN = r'''
interactive:
  description: Whether a terminal was there to ask.
  returned: always
  type: bool
  sample: true
user_input:
  description: What the operator typed before Enter.
  returned: success
  type: str
  sample: ''
waited:
  description: Seconds the prompt waited.
  returned: success
  type: float
  sample: 42.5
aborted:
  description: The operator stopped the run at the prompt.
  returned: when stopped
  type: bool
  sample: true
'''
