# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of ``api_connection_argument_spec()`` (plugins/module_utils/common_args.py)."""

    DOCUMENTATION = r'''
options:
  api_server_host:
    description:
      - Address of the Contrail config API server (contrail-api, VNC REST).
      - Set it once for all API modules with C(module_defaults) and the action group
        C(group/opencontrail.issu.contrail_api).
    type: str
    required: true
  api_server_port:
    description:
      - TCP port of the config API.
    type: int
    default: 8082
  api_server_use_ssl:
    description:
      - Use HTTPS to reach the config API.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the server certificate when O(api_server_use_ssl=true) and for keystone over HTTPS.
      - A certificate that fails verification is an error; it is never retried.
    type: bool
    default: true
  ca_cert:
    description:
      - PEM file of the CA that signed the API server (and keystone) certificates.
    type: path
  auth_type:
    description:
      - V(noauth) sends no token (C(aaa_mode=no-auth) or C(auth=noauth) on the server).
      - V(keystone) gets a token from O(keystone_auth_url) and sends it as C(X-Auth-Token);
        a C(401) answer makes the module authenticate again once.
    type: str
    choices: [noauth, keystone]
    default: noauth
  keystone_auth_url:
    description:
      - Keystone endpoint, for example V(http://10.0.0.5:35357/v3) or V(http://10.0.0.5:35357/v2.0).
      - A URL ending in C(/v2.0) uses the keystone v2.0 token API; any other URL uses v3
        (C(/v3) is appended when missing).
      - Required when O(auth_type=keystone).
    type: str
  username:
    description:
      - Keystone user name. Required when O(auth_type=keystone).
    type: str
  password:
    description:
      - Keystone password. Required when O(auth_type=keystone). Never logged.
    type: str
  tenant_name:
    description:
      - Keystone tenant (v2.0) or project (v3) the token is scoped to.
    type: str
    default: admin
    aliases: [project_name]
  user_domain_name:
    description:
      - Keystone v3 domain of O(username).
    type: str
    default: Default
  project_domain_name:
    description:
      - Keystone v3 domain of O(tenant_name).
    type: str
    default: Default
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request is retried after a connection error or an HTTP 502, 503 or 504,
        with exponential backoff from 0.5 seconds. Other errors are reported at once.
    type: int
    default: 3
'''
