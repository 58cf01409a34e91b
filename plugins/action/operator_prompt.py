# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait for the operator at the terminal, or fail when there is none (documented in
plugins/modules/operator_prompt.py)."""

from __future__ import annotations

__metaclass__ = type

import time

from ansible.errors import AnsiblePromptInterrupt, AnsiblePromptNoninteractive
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class ActionModule(ActionBase):
    """``ansible.builtin.pause``'s prompt, except that without a terminal it fails instead of
    warning and running on past the pause the operator asked for."""

    BYPASS_HOST_LOOP = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            prompt=dict(type='str', required=True),
            noninteractive_msg=dict(type='str'),
        ))
        result.update(changed=False, interactive=True)
        start = time.time()
        try:
            user_input = display.prompt_until(
                '[%s]\n%s:' % (self._task.get_name().strip(), args['prompt']))
        except AnsiblePromptNoninteractive:
            result.update(failed=True, interactive=False, msg=(
                'No terminal to ask the operator (stdin is not interactive: AWX, ansible-runner, '
                'cron or a pipe), and the run must not go on without the pause asked for. '
                + (args['noninteractive_msg'] or '')).strip())
            return result
        except AnsiblePromptInterrupt:
            user_input = self._continue_or_abort()
            if user_input is None:
                result.update(failed=True, aborted=True, msg='Stopped by the operator at the '
                              'prompt. ' + (args['noninteractive_msg'] or ''))
                return result
        result.update(user_input=to_text(user_input, errors='surrogate_or_strict'),
                      waited=round(time.time() - start, 2))
        return result

    @staticmethod
    def _continue_or_abort():
        """After Ctrl+C: b'c' to go on, None to stop (A or a second Ctrl+C)."""
        try:
            return display.prompt_until("Press 'C' to continue the play or 'A' to abort \r",
                                        interrupt_input=(b'a',), complete_input=(b'c',))
        except AnsiblePromptInterrupt:
            return None
