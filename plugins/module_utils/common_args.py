# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the collection's modules.

One definition per concern: the option names, types and defaults here are what the
doc fragments ``opencontrail.issu.vnc_api`` and ``opencontrail.issu.wait`` document,
so a module that uses both gets matching documentation for free.
"""

from __future__ import annotations

__metaclass__ = type


def api_connection_argument_spec():
    """Options for reaching a Contrail config API (VNC REST, port 8082).

    Returned as a fresh dict so a module can nest it as ``options`` of a ``dict``
    option when it talks to two clusters (v1 and v2) at once.
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


def connection_params(module, value, name):
    """Validate one API connection given as a dict option (``old_api``, ``read_apis[0]``...).

    Modules that talk to two clusters take each connection as a plain ``dict`` option; this
    applies :func:`api_connection_argument_spec` to it, with its defaults and required_if, and
    registers its secrets with the module so they never appear in output, even at -vvv.
    Fails the module with a message naming the option on bad input.
    """
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    validator = ArgumentSpecValidator(api_connection_argument_spec(),
                                      required_if=API_CONNECTION_REQUIRED_IF)
    result = validator.validate(dict(value or {}))
    module.no_log_values.update(result._no_log_values)  # pylint: disable=protected-access
    if result.error_messages:
        module.fail_json(msg='%s: %s' % (name, ' '.join(result.error_messages)))
    return result.validated_parameters
