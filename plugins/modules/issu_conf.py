#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
---
module: issu_conf
short_description: Render contrail-issu.conf, the configuration of Contrail's ISSU sync tools
version_added: 1.0.0
description:
  - Writes the C([DEFAULTS]) section read by C(contrail-issu-pre-sync), C(-run-sync),
    C(-post-sync), C(-zk-sync) and by C(provision_issu.py), with the key names of the real
    tools (C(old_cassandra_address_list), C(old_rabbit_vhost), C(odb_prefix), ...).
  - Each side (O(old) = v1, O(new) = v2) can be taken from that cluster's
    C(contrail-api.conf), as the fab C(issu_contrail_generate_conf) task does
    (C(cassandra_server_list), C(zk_server_ip), C(rabbit_server), C(rabbit_port),
    C(rabbit_user), C(rabbit_password), C(rabbit_vhost), C(rabbit_ha_mode), C(cluster_id) as the
    DB prefix), and/or from options; options win over the file.
  - From the same file, as C(contrail-api) reads it, the RabbitMQ TLS and the config database
    credentials and TLS are carried too (TLS everywhere, CEM-11371). C(rabbit_use_ssl),
    C(kombu_ssl_version), C(kombu_ssl_keyfile), C(kombu_ssl_certfile), C(kombu_ssl_ca_certs),
    C(cassandra_use_ssl) and C(cassandra_ca_certs) are read from C([DEFAULTS]) or C([CASSANDRA])
    (C([CASSANDRA]) wins); C(cassandra_user) and C(cassandra_password) only from C([CASSANDRA]),
    the one place contrail-api takes them from. They are written as C(<side>_rabbit_use_ssl),
    C(<side>_rabbit_ssl_version), C(<side>_rabbit_ssl_keyfile), C(<side>_rabbit_ssl_certfile),
    C(<side>_rabbit_ssl_ca_certs), C(<side>_cassandra_use_ssl), C(<side>_cassandra_ca_certs),
    C(<side>_cassandra_user) and C(<side>_cassandra_password), with C(<side>) C(old) or C(new).
    In every value read from the file an inline C( ;) comment is cut and C(%%) read as C(%), as
    C(contrail-api)'s parser does; empty TLS and credential values are left out.
    C(rabbit_use_ssl) is read as C(strtobool) does and C(cassandra_use_ssl) as C(true) or not,
    like contrail-api; a C(rabbit_use_ssl) that is no boolean is refused.
  - C(contrail-api.conf) has no ZooKeeper TLS setting in these releases; O(old.zookeeper_use_ssl)
    and O(old.zookeeper_ca_certs) are options only.
  - Values are written so the tools' C(SafeConfigParser) reads them back unchanged. That parser
    keeps quotes, so values are never quoted (a quoted address list breaks the sync, the trap
    behind LP 1644332); C(%) is doubled; a value that cannot be represented (line break,
    leading or trailing blank, C( ;) which Python 2 cuts as a comment) is refused.
  - Booleans are written as C(True) or left out, because the tools test the raw string, so
    C(rabbit_ha_mode=False) would turn HA queues on. C(rabbit_ha_mode) read from a
    C(contrail-api.conf) is converted the same way.
  - The module owns the whole file. It is created with mode C(0600) unless O(mode) says
    otherwise, because it holds passwords. Secret values never appear in the diff.
extends_documentation_fragment:
  - opencontrail.issu.module_base
  - ansible.builtin.files
attributes:
  check_mode:
    description: Renders the file and reports whether it would change, writing nothing.
  diff_mode:
    support: full
    description: Shows the file before and after, with passwords and O(new_api_info) masked.
  platform:
    description: Runs on the node where the sync tools run (a v2 config node).
options:
  path:
    description: The file to write.
    type: path
    default: /etc/contrail/contrail-issu.conf
  old:
    description: The old (v1) cluster. See O(new) for the suboptions.
    type: dict
    default: {}
    suboptions: &side
      api_conf:
        description:
          - Path, on the managed host, of a copy of this cluster's C(contrail-api.conf).
        type: path
      api_conf_content:
        description:
          - Content of this cluster's C(contrail-api.conf), for example read from the other
            cluster with M(ansible.builtin.slurp) (decoded). Mutually exclusive with O(old.api_conf).
          - It holds passwords, so it is never logged.
        type: str
      cassandra_address_list:
        description: Config DB servers, C(host:9160); written space-separated.
        type: list
        elements: str
      cassandra_user:
        description: Cassandra user.
        type: str
      cassandra_password:
        description: Cassandra password.
        type: str
      cassandra_use_ssl:
        description: Use TLS to Cassandra.
        type: bool
      cassandra_ca_certs:
        description: CA file for Cassandra TLS.
        type: path
      zookeeper_address_list:
        description: ZooKeeper servers, C(host:2181); written comma-separated.
        type: list
        elements: str
      rabbit_address_list:
        description: RabbitMQ servers; written comma-separated.
        type: list
        elements: str
      rabbit_port:
        description: RabbitMQ port.
        type: int
      rabbit_user:
        description: RabbitMQ user.
        type: str
      rabbit_password:
        description: RabbitMQ password.
        type: str
      rabbit_vhost:
        description: RabbitMQ virtual host.
        type: str
      rabbit_ha_mode:
        description: Declare the ISSU queue with C(x-ha-policy=all).
        type: bool
      rabbit_q_name:
        description: Name of the ISSU queue (the tools default to C(vnc-config.issu-queue)).
        type: str
      rabbit_use_ssl:
        description: Use TLS to RabbitMQ.
        type: bool
      rabbit_ssl_version:
        description: TLS version for RabbitMQ (C(sslv23), C(tlsv1_2)).
        type: str
      rabbit_ssl_ca_certs:
        description: CA file for RabbitMQ TLS.
        type: path
      rabbit_ssl_keyfile:
        description: Client key for RabbitMQ TLS.
        type: path
      rabbit_ssl_certfile:
        description: Client certificate for RabbitMQ TLS.
        type: path
      zookeeper_use_ssl:
        description:
          - Use TLS to ZooKeeper (C(<side>_zookeeper_use_ssl), read by the tools of CEM-16951 and
            later only; older tools ignore it).
        type: bool
      zookeeper_ca_certs:
        description: CA file for ZooKeeper TLS (C(<side>_zookeeper_ca_certs), CEM-16951).
        type: path
      db_prefix:
        description:
          - Keyspace prefix and ZooKeeper root of this cluster (its C(cluster_id));
            written as C(odb_prefix) or C(ndb_prefix).
        type: str
  new:
    description: The new (v2) cluster, same suboptions as O(old).
    type: dict
    default: {}
    suboptions: *side
  new_api_info:
    description:
      - The v2 config nodes and the SSH credentials run-sync uses on them
        (C(new_api_info), written as the Python literal dict run-sync evaluates,
        address -> [user, password]).
    type: list
    elements: dict
    suboptions:
      host:
        description: Address of the v2 config node.
        type: str
        required: true
      user:
        description: SSH user.
        type: str
        default: root
      password:
        description: SSH password.
        type: str
        required: true
  host_info:
    description:
      - Real host names of the v2 nodes for C(provision_issu.py) (LP 1645914), each a dict
        address -> host name, written as C(<suboption>_host_info) (C(db_host_info) and so on).
    type: dict
    suboptions:
      db: {description: The database nodes., type: dict}
      config: {description: The config nodes., type: dict}
      analytics: {description: The analytics nodes., type: dict}
      control: {description: The control nodes., type: dict}
  admin_user:
    description: Keystone admin user for C(provision_issu.py).
    type: str
  admin_password:
    description: Keystone admin password.
    type: str
  admin_tenant_name:
    description: Keystone admin tenant.
    type: str
  openstack_ip:
    description: Keystone address.
    type: str
  api_server_ip:
    description: v2 config API address used by C(provision_issu.py).
    type: str
  api_server_port:
    description: v2 config API port.
    type: int
  v1_api_server_ip:
    description: v1 config API address used by C(provision_pre_issu.py).
    type: str
  extra:
    description:
      - Further C([DEFAULTS]) keys written as given, for keys of later releases
        (for example C(del_compute_host_info)). The values of keys containing C(password)
        are masked in the result and the diff; pass the known passwords through their own
        options (O(admin_password), O(old.rabbit_password), O(old.cassandra_password), ...),
        which are never logged.
    type: dict
    default: {}
notes:
  - Render it on every node that runs a sync tool; the tools read only this file.
  - Which keys a tool reads depends on its release. Contrail's R4.0 tools read none of the
    TLS and database credential keys; R4.1 reads C(*_cassandra_user) and C(*_cassandra_password);
    C(*_cassandra_use_ssl) and C(*_cassandra_ca_certs) come with R5.1, the C(*_rabbit_use_ssl)
    and C(*_rabbit_ssl_*) keys with CEM-11371 (R1909, R1912 and later), C(*_zookeeper_use_ssl)
    and C(*_zookeeper_ca_certs) with CEM-16951. Keys a tool does not know are ignored by it, so
    they are always written; with TLS on, run the sync with tools that read them.
seealso:
  - module: opencontrail.issu.issu_sync
  - module: opencontrail.issu.issu_run_sync
'''

EXAMPLES = r'''
- name: Read v1's contrail-api.conf on a v1 config node
  ansible.builtin.slurp:
    src: /etc/contrail/contrail-api.conf
  delegate_to: "{{ groups['contrail_v1_controllers'][0] }}"
  register: v1_api_conf

- name: Render contrail-issu.conf on the v2 config node (fab generate_conf mapping)
  opencontrail.issu.issu_conf:
    old:
      api_conf_content: "{{ v1_api_conf.content | b64decode }}"
    new:
      api_conf: /etc/contrail/contrail-api.conf
    new_api_info:
      - host: 10.99.0.21
        password: "{{ vault_v2_root_password }}"
    host_info:
      control: {10.99.0.21: lab-v2-ctrl1}
      config: {10.99.0.21: lab-v2-ctrl1}
    api_server_ip: 10.99.0.21

- name: TLS everywhere - api.conf gives TLS and credentials; v1's CA path differs on this node
  opencontrail.issu.issu_conf:
    old:
      api_conf_content: "{{ v1_api_conf.content | b64decode }}"
      rabbit_ssl_ca_certs: /etc/contrail/ssl/v1-ca.pem
      cassandra_ca_certs: /etc/contrail/ssl/v1-ca.pem
      cassandra_password: "{{ vault_v1_cassandra_password }}"
    new:
      api_conf: /etc/contrail/contrail-api.conf

- name: Everything from options, with an RabbitMQ port override
  opencontrail.issu.issu_conf:
    path: /etc/contrail/contrail-issu.conf
    old:
      cassandra_address_list: [10.0.0.11:9160, 10.0.0.12:9160]
      zookeeper_address_list: [10.0.0.11:2181]
      rabbit_address_list: [10.0.0.11]
      rabbit_port: 5673
      db_prefix: ''
    new:
      cassandra_address_list: [10.0.0.21:9160]
      zookeeper_address_list: [10.0.0.21:2181]
      rabbit_address_list: [10.0.0.21]
      rabbit_port: 5673
'''

RETURN = r'''
path:
  description: The file written.
  returned: always
  type: str
  sample: /etc/contrail/contrail-issu.conf
keys:
  description: Keys written, in file order (values are not returned; some are secrets).
  returned: always
  type: list
  elements: str
  sample: [old_cassandra_address_list, old_zookeeper_address_list, odb_prefix]
values:
  description: Non-secret values as the tools will read them.
  returned: always
  type: dict
  sample: {old_rabbit_vhost: v1, odb_prefix: v1, new_rabbit_port: '5672'}
'''

import os

from ansible_collections.opencontrail.issu.plugins.module_utils import issu_sync
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import (
    IniDocument, read_text, write_atomic,
)
from ansible_collections.opencontrail.issu.plugins.module_utils.module_base import IssuModule

#: Side options issu_sync.SIDE_KEYS does not know (CEM-16951), written as <side>_<option>.
ZOOKEEPER_TLS_KEYS = ('zookeeper_use_ssl', 'zookeeper_ca_certs')
#: The type of each side option that is neither a string nor an address list.
SIDE_TYPES = dict(
    rabbit_port='int', cassandra_use_ssl='bool', rabbit_ha_mode='bool', rabbit_use_ssl='bool',
    zookeeper_use_ssl='bool', cassandra_ca_certs='path', rabbit_ssl_ca_certs='path',
    rabbit_ssl_keyfile='path', rabbit_ssl_certfile='path', zookeeper_ca_certs='path')


def side_option(key):
    """The argument spec of the side option ``key``: a list for the address lists the file joins
    (issu_sync.LIST_SEPARATORS), no_log for a secret (issu_sync.is_secret), else SIDE_TYPES'."""
    if key in issu_sync.LIST_SEPARATORS:
        return dict(type='list', elements='str')
    spec = dict(type=SIDE_TYPES.get(key, 'str'))
    if issu_sync.is_secret(key):
        spec['no_log'] = True
    return spec


#: A side (old, new): its contrail-api.conf (a path or its text), then one option per key the
#: module writes as <side>_<key> - the tool's, ZooKeeper's TLS, and the DB prefix.
SIDE_OPTIONS = dict(
    [('api_conf', dict(type='path')), ('api_conf_content', dict(type='str', no_log=True))]
    + [(key, side_option(key))
       for key in issu_sync.SIDE_KEYS + ZOOKEEPER_TLS_KEYS + ('db_prefix',)])

#: TLS and credentials in contrail-api.conf -> (sections read, last wins; contrail-issu.conf key
#: without its side prefix; how contrail-api reads the value). contrail-api (utils.parse_args)
#: merges [DEFAULTS] and then [CASSANDRA] into one namespace, but resets cassandra_user and
#: cassandra_password to what [CASSANDRA] says, so those two count only there.
BOTH = ('DEFAULTS', 'CASSANDRA')
API_CONF_TLS_MAPPING = (
    ('rabbit_use_ssl', BOTH, 'rabbit_use_ssl', 'strtobool'),
    ('kombu_ssl_version', BOTH, 'rabbit_ssl_version', 'text'),
    ('kombu_ssl_keyfile', BOTH, 'rabbit_ssl_keyfile', 'text'),
    ('kombu_ssl_certfile', BOTH, 'rabbit_ssl_certfile', 'text'),
    ('kombu_ssl_ca_certs', BOTH, 'rabbit_ssl_ca_certs', 'text'),
    ('cassandra_use_ssl', BOTH, 'cassandra_use_ssl', 'true'),
    ('cassandra_ca_certs', BOTH, 'cassandra_ca_certs', 'text'),
    ('cassandra_user', ('CASSANDRA',), 'cassandra_user', 'text'),
    ('cassandra_password', ('CASSANDRA',), 'cassandra_password', 'text'),
)
#: distutils.util.strtobool, which vnc_kombu applies to rabbit_use_ssl.
STRTOBOOL = {'y': True, 'yes': True, 't': True, 'true': True, 'on': True, '1': True,
             'n': False, 'no': False, 'f': False, 'false': False, 'off': False, '0': False}


def argument_spec():
    side = dict(type='dict', default={}, options=SIDE_OPTIONS,
                mutually_exclusive=[('api_conf', 'api_conf_content')])
    return dict(
        path=dict(type='path', default=issu_sync.DEFAULT_CONF),
        old=dict(side),
        new=dict(side),
        new_api_info=dict(type='list', elements='dict', no_log=False, options=dict(
            host=dict(type='str', required=True),
            user=dict(type='str', default='root'),
            password=dict(type='str', required=True, no_log=True))),
        host_info=dict(type='dict', options=dict(
            db=dict(type='dict'), config=dict(type='dict'),
            analytics=dict(type='dict'), control=dict(type='dict'))),
        admin_user=dict(type='str'),
        admin_password=dict(type='str', no_log=True),
        admin_tenant_name=dict(type='str'),
        openstack_ip=dict(type='str'),
        api_server_ip=dict(type='str'),
        api_server_port=dict(type='int'),
        v1_api_server_ip=dict(type='str'),
        extra=dict(type='dict', default={}),
    )


def api_conf_text(module, side, params):
    """The side's contrail-api.conf text (from a path on the host or given content), or None."""
    if params.get('api_conf_content') is not None:
        return params['api_conf_content']
    path = params.get('api_conf')
    if path is None:
        return None
    if not os.path.isfile(path):
        module.fail_json(msg='%s api_conf %s does not exist' % (side, path))
    return read_text(path)


def api_conf_value(raw):
    """A raw contrail-api.conf value as contrail-api's SafeConfigParser (Python 2) reads it:
    cut at the first ``;`` after a blank (inline comment), ``%%`` read as ``%``."""
    pos = raw.find(';')
    if pos > 0 and raw[pos - 1].isspace():
        raw = raw[:pos]
    return issu_sync.decode_value(raw.strip())


def tls_from_api_conf(text, side):
    """RabbitMQ TLS and config DB credentials/TLS of one side from a contrail-api.conf text."""
    doc = IniDocument(text or '')
    values = {}
    for api_key, sections, issu_key, kind in API_CONF_TLS_MAPPING:
        raw = None
        for section in sections:
            found = doc.get(section, api_key)
            if found is not None:
                raw = found
        value = None if raw is None else api_conf_value(raw)
        if not value:
            continue
        if kind == 'strtobool':
            if value.lower() not in STRTOBOOL:
                raise issu_sync.ConfError('%s contrail-api.conf %s=%r is not a boolean'
                                          % (side, api_key, value))
            value = STRTOBOOL[value.lower()]
        elif kind == 'true':
            value = value.lower() == 'true'
        values['%s_%s' % (side, issu_key)] = value
    return values


def side_values(module, side):
    """One side's keys: its contrail-api.conf first, then its options over them."""
    params = module.params[side]
    values = {}
    text = api_conf_text(module, side, params)
    if text is not None:
        values.update((key, api_conf_value(value) if isinstance(value, str) else value)
                      for key, value in issu_sync.side_from_api_conf(text, side).items())
        values.update(tls_from_api_conf(text, side))
    values.update(issu_sync.side_from_params(params, side))
    for key in ZOOKEEPER_TLS_KEYS:
        if params.get(key) is not None:
            values['%s_%s' % (side, key)] = params[key]
    return values


def wanted_values(module):
    """Every key of the file: api.conf mapping first, then options over it."""
    params = module.params
    values = {}
    for side in ('old', 'new'):
        values.update(side_values(module, side))
    values['new_api_info'] = issu_sync.api_info_literal(params['new_api_info'])
    for name, mapping in (params['host_info'] or {}).items():
        values['%s_host_info' % name] = issu_sync.host_info_json(mapping)
    for key in issu_sync.PROVISION_KEYS:
        if key in params:
            values[key] = params[key]
    values.update(params['extra'])
    return dict((k, v) for k, v in values.items() if v is not None)


def create_private(path):
    """Create ``path`` empty with mode 0600 (write_atomic then keeps that mode): the file holds
    passwords and must never exist readable by others, even for a moment."""
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def run(module):
    path = module.params['path']
    if module.params['mode'] is None:
        module.params['mode'] = '0600'
    module.no_log_values.update(str(value) for key, value in module.params['extra'].items()
                                if issu_sync.is_secret(key) and value not in (None, ''))
    with module.failing('%s: cannot read or write it: ' % path, (OSError, UnicodeDecodeError)):
        values = wanted_values(module)
        text = issu_sync.render_conf(values)
        before = read_text(path) if os.path.exists(path) else None
        changed = before != text
        if changed and not module.check_mode:
            create_private(path)
            write_atomic(path, text)
    file_args = module.load_file_common_arguments(module.params, path=path)
    if os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    written = issu_sync.parse_conf(text)
    return dict(changed=changed, path=path, keys=list(written),
                values=dict((k, v) for k, v in written.items() if not issu_sync.is_secret(k)),
                diff=dict(before_header=path, after_header=path,
                          before=issu_sync.mask_conf(before or ''),
                          after=issu_sync.mask_conf(text, reference=before or '')))


def main():
    IssuModule(argument_spec(), add_file_common_args=True).run_and_exit(run)


if __name__ == '__main__':
    main()
