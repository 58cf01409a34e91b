# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the collection's modules.

One definition per concern: the option names, types and defaults here are what the
doc fragments ``opencontrail.issu.vnc_api``, ``opencontrail.issu.wait`` and
``opencontrail.issu.introspect`` document,
so a module that uses both gets matching documentation for free.
"""

from __future__ import annotations

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError


def api_connection_argument_spec():
    """Options for reaching a Contrail config API (VNC REST, port 8082).

    Returned as a fresh dict, for a module to extend with its own options.
    """
    return dict(
        api_server_host=dict(type='str', required=True),
        api_server_port=dict(type='int', default=8082),
        api_server_use_ssl=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_cert=dict(type='path'),
        auth_type=dict(type='str', default='noauth', choices=['noauth', 'keystone']),
        keystone_auth_url=dict(type='str', no_log=False),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        tenant_name=dict(type='str', default='admin', aliases=['project_name']),
        user_domain_name=dict(type='str', default='Default'),
        project_domain_name=dict(type='str', default='Default'),
        timeout=dict(type='int', default=30),
        api_retries=dict(type='int', default=3),
    )


API_CONNECTION_REQUIRED_IF = [
    ('auth_type', 'keystone', ('keystone_auth_url', 'username', 'password')),
]
"""``required_if`` rules that go with :func:`api_connection_argument_spec`."""


def wait_argument_spec():
    """Options of every module that can wait for a condition (see ``waiter.wait_for``)."""
    return dict(
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=120),
        wait_interval=dict(type='float', default=1.0),
    )


def introspect_argument_spec():
    """Options for reading a daemon's Sandesh introspect port (doc fragment ``introspect``)."""
    return dict(
        timeout=dict(type='int', default=10),
        use_ssl=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_cert=dict(type='path'),
    )


def introspect_kwargs(params):
    """The IntrospectClient keyword arguments of a module's introspect options."""
    return dict((key, params[key]) for key in introspect_argument_spec())


def connection_params(module, value, name):
    """Validate one API connection given as a dict option (``old_api``, ``read_apis[0]``...).

    Modules that talk to two clusters take each connection as a plain ``dict`` option; this
    applies :func:`api_connection_argument_spec` to it, with its defaults and required_if, and
    registers its secrets with the module so they never appear in output, even at -vvv.
    Fails the module with a message naming the option on bad input.
    """
    validator = ArgumentSpecValidator(api_connection_argument_spec(),
                                      required_if=API_CONNECTION_REQUIRED_IF)
    result = validator.validate(dict(value or {}))
    module.no_log_values.update(result._no_log_values)  # pylint: disable=protected-access
    if result.error_messages:
        messages = [('unsupported parameters: ' if isinstance(error, UnsupportedError) else '')
                    + error.msg for error in result.errors]
        module.fail_json(msg='%s: %s' % (name, ' '.join(messages)))
    return result.validated_parameters


def connection_module(argument_spec, connections, **kwargs):
    """The AnsibleModule of a module whose options ``connections`` are API connections.

    Each of those options is a plain ``dict`` (``v1``, ``write_api``) or a list of dicts
    (``read_apis``), documented by pointing at the ``opencontrail.issu.vnc_api`` fragment
    rather than by repeating it as suboptions. Each connection is replaced in
    ``module.params`` by :func:`connection_params`' result, with its defaults, as a ``dict``
    option with ``options`` would be.

    Their passwords become known secrets only then, after AnsibleModule was built; but
    AnsibleModule logs its invocation (to the target's journal) while it is built. So the
    module is built with ``no_log`` and logs its invocation once the secrets are known.
    """
    module = AnsibleModule(argument_spec=argument_spec, no_log=True, **kwargs)
    for name in connections:
        value = module.params[name]
        if isinstance(value, list):
            value = [connection_params(module, item, '%s[%d]' % (name, index))
                     for index, item in enumerate(value)]
        elif value is not None:
            value = connection_params(module, value, name)
        module.params[name] = value
    module.no_log = False
    module._log_invocation()  # pylint: disable=protected-access
    return module
