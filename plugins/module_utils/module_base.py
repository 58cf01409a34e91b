# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's modules: :class:`IssuModule`.

Every module builds its ``AnsibleModule`` through it, so that all of them take their shared
options the same way, fail the same way and show a diff the same way. A module's ``main()``
is then a few lines::

    def run(module):
        ...                       # raises the collection's errors, returns the result
        return dict(changed=changed, before=before, after=after,
                    diff=dict(before=before, after=after))

    def main():
        IssuModule(dict(name=dict(type='str', required=True)),
                   groups=('vnc_api',)).run_and_exit(run)

``IssuModule(argument_spec=None, groups=(), connections=(), **kwargs)``
    Builds the AnsibleModule.

    * ``groups``: shared option groups, each named after the doc fragment that documents
      it, which the module's DOCUMENTATION must extend (``opencontrail.issu.<group>``):
      ``vnc_api`` (a config API connection; also adds its ``required_if``), ``wait``,
      ``introspect``, ``config_compare``, ``vrouter`` (a compute's confs and service
      manager, and its package manager: extend ``opencontrail.issu.vrouter.package_manager``
      too), ``vrouter.package_manager``, ``vrouter.tor_agents``, ``vrouter.agent_state``.
      Two groups must not share an option; an option of the module's own ``argument_spec``
      replaces the group's option of that name (a default of its own: config_compare's
      ``wait_timeout``).
    * ``connections``: options (``dict``, or ``list`` of dicts) that are config API
      connections, validated and defaulted like ``vnc_api``, their passwords never logged
      (see ``common_args.connection_module``).
    * ``supports_check_mode`` defaults to true (every module of the collection supports it);
      other keyword arguments (``required_if``, ``mutually_exclusive``,
      ``add_file_common_args``...) go to AnsibleModule.

``module.module``
    The AnsibleModule. Attributes the base does not define are read from it, so
    ``module.params``, ``module.check_mode``, ``module.run_command``,
    ``module.fail_json``... work as on an AnsibleModule.

``module.diff_mode``
    Whether Ansible runs with ``--diff``.

``module.result``
    The result so far, a dict the module may fill as it goes (what it did before a later
    step failed). Every failure reported through the base (:meth:`fail`, :meth:`failing`,
    :meth:`run_and_exit`) carries it, and :meth:`exit` merges the final result over it.

``module.exit(**result)``
    Exits with ``result`` (``changed`` defaults to false). A ``diff`` in it is shown only
    in diff mode, so a module always states its diff and the base drops it otherwise.

``module.fail(msg, exc=None, **result)``
    Fails with ``msg``, the structured fields of ``exc`` (:func:`error_fields`: an
    ``IssuError``'s ``fields()``),
    ``module.result`` and ``result``, which win in this order: ``result`` over the error's
    fields over ``module.result``. ``diff`` is dropped outside diff mode, as in :meth:`exit`.

``with module.failing(prefix='', errors=COLLECTION_ERRORS):``
    One of ``errors`` raised in the block fails the module at once with ``prefix`` and the
    error's text as ``msg``, through :meth:`fail` (so with the error's fields). For a step
    whose failure needs context (``'config API not usable: '``) or for errors other than the
    collection's (``OSError``).

``module.run_and_exit(run, errors=())``
    Calls ``run(module)``, which returns the result dict, and exits with it
    (:meth:`exit`). One of the collection's errors (any ``errors.IssuError``), or of the
    module's ``errors``, fails the module with the error's text as ``msg`` and its fields.
    Anything else propagates: a bug shows its traceback.

The error shape: ``msg`` is the error's text (with a prefix from :meth:`failing`), and an
``IssuError`` adds its structured field (its ``fields()``, from ``result_key``): ``wait``
for a ``WaitTimeout`` (what was waited for, how long, what was seen last), ``command`` for a
``PackageError``, ``ServiceError`` or ``CommandTimeout`` (the command, its return code and
the end of its output), ``gave_up`` for a ``GaveUp`` (the daemon the service manager gave
up on) and ``status`` for a ``VncError`` (the HTTP status, null when the API did not
answer). The base imports only ``errors`` (and the group specs' module_utils), so a
module's AnsiballZ payload carries the module_utils it uses, not all of them.
"""

from __future__ import annotations

__metaclass__ = type

import contextlib

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.opencontrail.issu.plugins.module_utils import common_args
from ansible_collections.opencontrail.issu.plugins.module_utils import config_compare
from ansible_collections.opencontrail.issu.plugins.module_utils import vrouter
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

#: Group name (= its doc fragment ``opencontrail.issu.<name>``) -> (argument spec function,
#: ``required_if`` rules that go with it).
ARGUMENT_GROUPS = {
    'vnc_api': (common_args.api_connection_argument_spec, common_args.API_CONNECTION_REQUIRED_IF),
    'wait': (common_args.wait_argument_spec, []),
    'introspect': (common_args.introspect_argument_spec, []),
    'config_compare': (config_compare.comparison_argument_spec, []),
    'vrouter': (vrouter.host_argument_spec, []),
    'vrouter.package_manager': (vrouter.package_manager_argument_spec, []),
    'vrouter.tor_agents': (vrouter.tor_agents_argument_spec, []),
    'vrouter.agent_state': (vrouter.agent_state_argument_spec, []),
}

#: The errors of the collection's module_utils: each is a failure the operator can act on,
#: its text says what went wrong. They all subclass ``errors.IssuError``, so the base needs
#: no module_utils that defines one.
COLLECTION_ERRORS = (IssuError,)


def error_fields(exc):
    """The structured result fields of an error (``IssuError.fields()``); {} for others."""
    if isinstance(exc, IssuError):
        return exc.fields()
    return {}


def merged_argument_spec(argument_spec, groups):
    """(argument spec, required_if rules) of ``groups`` and the module's own options."""
    spec, required_if = {}, []
    for name in groups:
        if name not in ARGUMENT_GROUPS:
            raise ValueError('unknown argument group %r; known: %s'
                             % (name, ', '.join(sorted(ARGUMENT_GROUPS))))
        group_spec, group_required_if = ARGUMENT_GROUPS[name]
        options = group_spec()
        shared = sorted(set(spec) & set(options))
        if shared:
            raise ValueError('argument group %r repeats options of another group: %s'
                             % (name, ', '.join(shared)))
        spec.update(options)
        required_if.extend(group_required_if)
    spec.update(argument_spec or {})
    return spec, required_if


class IssuModule:
    """An AnsibleModule with the collection's shared options, error shape and diff rule;
    the module docstring above documents its API."""

    def __init__(self, argument_spec=None, groups=(), connections=(), **kwargs):
        spec, required_if = merged_argument_spec(argument_spec, groups)
        if required_if:
            kwargs['required_if'] = required_if + list(kwargs.get('required_if') or [])
        kwargs.setdefault('supports_check_mode', True)
        if connections:
            self.module = common_args.connection_module(spec, connections, **kwargs)
        else:
            self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.result = {}

    def __getattr__(self, name):
        # Only called for what the instance does not have: the AnsibleModule's attributes.
        if name == 'module':
            raise AttributeError(name)
        return getattr(self.module, name)

    @property
    def diff_mode(self):
        return bool(self.module._diff)  # pylint: disable=protected-access

    def _shown(self, result):
        if not self.diff_mode:
            result.pop('diff', None)
        return result

    def exit(self, **result):
        """Exit with the result so far and ``result``; ``diff`` only in diff mode."""
        result = self._shown(dict(self.result, **result))
        result.setdefault('changed', False)
        self.module.exit_json(**result)

    def fail(self, msg, exc=None, **result):
        """Fail with ``msg``, the fields of ``exc``, the result so far and ``result``."""
        fields = dict(self.result)
        if exc is not None:
            fields.update(error_fields(exc))
        fields.update(result)
        self.module.fail_json(msg=msg, **self._shown(fields))

    @contextlib.contextmanager
    def failing(self, prefix='', errors=COLLECTION_ERRORS):
        """Fail with ``prefix`` + the error's text on one of ``errors`` raised in the block."""
        try:
            yield
        except errors as exc:
            self.fail(prefix + to_native(exc), exc)

    def run_and_exit(self, run, errors=()):
        """Exit with ``run(self)``'s result; fail on the collection's errors and ``errors``."""
        with self.failing(errors=COLLECTION_ERRORS + tuple(errors)):
            result = run(self)
        self.exit(**result)
