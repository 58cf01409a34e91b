# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contrail's ISSU sync tools (``contrail_issu``, shipped in the 4.x ``contrail-config`` package).

Four things live here, one per concern of the sync modules:

* **contrail-issu.conf**: the real tools read it with ``SafeConfigParser`` (section
  ``[DEFAULTS]``) and take values **verbatim**: quotes are not stripped, ``%`` starts an
  interpolation, and (Python 2) `` ;`` starts an inline comment. LP 1644332 was a generator that
  did not quote the *shell* argument, so a value with spaces was cut to its first word; the file
  itself must hold the bare value. :func:`encode_value` writes what the parser reads back
  unchanged (``%`` doubled) and refuses what it cannot represent.
* the fab ``generate_conf`` mapping from the two clusters' ``contrail-api.conf``;
* running pre-sync / post-sync / zk-sync and judging them by exit code **and** the tools' own
  success lines (they log most failures and still exit 0);
* the run-sync daemon: where supervisor or systemd keeps it, and what its log says.
"""

from __future__ import annotations

__metaclass__ = type

import ast
import json
import os
import re
import time

from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import IniDocument
from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError

SECTION = 'DEFAULTS'
DEFAULT_CONF = '/etc/contrail/contrail-issu.conf'
PACKAGE = 'contrail-config'
MASK = '********'

# -- contrail-issu.conf ---------------------------------------------------------------------

#: contrail-api.conf [DEFAULTS] key -> contrail-issu.conf key without its old_/new_ side prefix
#: (fab ``issu_contrail_get_and_set_old_conf``); ``cluster_id`` becomes the DB prefix.
API_CONF_MAPPING = (
    ('cassandra_server_list', 'cassandra_address_list'),
    ('zk_server_ip', 'zookeeper_address_list'),
    ('rabbit_user', 'rabbit_user'),
    ('rabbit_password', 'rabbit_password'),
    ('rabbit_vhost', 'rabbit_vhost'),
    ('rabbit_ha_mode', 'rabbit_ha_mode'),
    ('rabbit_port', 'rabbit_port'),
    ('rabbit_server', 'rabbit_address_list'),
)
DB_PREFIX_KEYS = {'old': 'odb_prefix', 'new': 'ndb_prefix'}

#: Per-side keys the real parser knows (issu_contrail_config.parse_args), in file order.
SIDE_KEYS = (
    'cassandra_address_list', 'cassandra_user', 'cassandra_password', 'cassandra_use_ssl',
    'cassandra_ca_certs', 'zookeeper_address_list', 'rabbit_address_list', 'rabbit_port',
    'rabbit_user', 'rabbit_password', 'rabbit_vhost', 'rabbit_ha_mode', 'rabbit_q_name',
    'rabbit_use_ssl', 'rabbit_ssl_version', 'rabbit_ssl_ca_certs', 'rabbit_ssl_keyfile',
    'rabbit_ssl_certfile',
)
#: How each address list is separated: Cassandra lists are split on whitespace by the tool;
#: ZooKeeper (kazoo hosts) and RabbitMQ (kombu) lists are comma-separated.
LIST_SEPARATORS = {'cassandra_address_list': ' ', 'zookeeper_address_list': ',',
                   'rabbit_address_list': ','}
#: Keys used by provision_pre_issu.py / provision_issu.py (same file).
HOST_INFO_KEYS = ('db_host_info', 'config_host_info', 'analytics_host_info', 'control_host_info')
PROVISION_KEYS = ('admin_user', 'admin_password', 'admin_tenant_name', 'openstack_ip',
                  'api_server_ip', 'api_server_port', 'api_server_use_ssl', 'v1_api_server_ip')
FALSE_WORDS = ('', 'false', 'no', 'off', '0', 'none')


class ConfError(IssuError, ValueError):
    """A value that contrail-issu.conf cannot carry, or an unreadable contrail-api.conf."""


def is_secret(key):
    """Keys whose values never appear in output or diffs (new_api_info holds SSH passwords)."""
    return 'password' in key or key == 'new_api_info'


def encode_value(key, value):
    """The text to write after ``key=`` so the tool's ConfigParser reads back ``value``.

    Booleans are written as ``True`` or not at all: the tools test options such as
    ``*_rabbit_ha_mode`` for truth on the raw string, so ``False`` would mean *on*.
    """
    if isinstance(value, bool):
        return 'True' if value else None
    if value is None:
        return None
    text = str(value)
    problem = None
    if '\n' in text or '\r' in text:
        problem = 'contains a line break'
    elif text != text.strip():
        problem = 'starts or ends with white space, which ConfigParser strips'
    elif re.search(r'\s;', text):
        problem = "contains ' ;', which the tool's ConfigParser (Python 2) cuts as a comment"
    if problem:
        shown = MASK if is_secret(key) else repr(text)
        raise ConfError('%s=%s %s' % (key, shown, problem))
    return text.replace('%', '%%')


def decode_value(text):
    """What the tool's ConfigParser makes of a raw value (the inverse of encode_value)."""
    return re.sub('%%', '%', text)


def join_list(key, values):
    """An address list as the tool splits it ('cassandra' on spaces, others on commas)."""
    if values is None:
        return None
    if isinstance(values, (list, tuple)):
        sep = LIST_SEPARATORS.get(key.split('_', 1)[1], ',')
        return sep.join(str(v).strip() for v in values)
    return values


def api_info_literal(entries):
    """``new_api_info`` as the Python literal run-sync ``ast.literal_eval``s: {ip: [user, pw]}."""
    if entries is None:
        return None
    literal = repr(dict((e['host'], [e['user'], e['password']]) for e in entries))
    if not isinstance(ast.literal_eval(literal), dict):   # what run-sync will do with it
        raise ConfError('new_api_info does not evaluate to a dict')
    return literal


def host_info_json(mapping):
    """``*_host_info``: JSON ({"ip": "hostname"}); provision_issu.py json.loads it."""
    return None if mapping is None else json.dumps(mapping, sort_keys=True)


def normalize_bool_text(text):
    """A contrail-api.conf boolean word ('False', 'true') as a real bool."""
    return str(text).strip().lower() not in FALSE_WORDS


def side_from_api_conf(text, side):
    """The ISSU keys of one side (``old``/``new``) from a contrail-api.conf text."""
    doc = IniDocument(text or '')
    if not doc.has_section(SECTION):
        raise ConfError('%s contrail-api.conf has no [%s] section' % (side, SECTION))
    values = {}
    for api_key, issu_key in API_CONF_MAPPING:
        value = doc.get(SECTION, api_key)
        if value is None:
            continue
        if issu_key == 'rabbit_ha_mode':
            value = normalize_bool_text(value)
        values['%s_%s' % (side, issu_key)] = value
    cluster_id = doc.get(SECTION, 'cluster_id')
    if cluster_id is not None:
        values[DB_PREFIX_KEYS[side]] = cluster_id
    return values


def side_from_params(params, side):
    """The ISSU keys of one side from the module's ``old``/``new`` options (None = not set)."""
    values = {}
    for key in SIDE_KEYS:
        value = params.get(key)
        if value is None:
            continue
        full = '%s_%s' % (side, key)
        values[full] = join_list(full, value)
    if params.get('db_prefix') is not None:
        values[DB_PREFIX_KEYS[side]] = params['db_prefix']
    return values


def ordered_keys():
    """File order: old side, new side, prefixes, new_api_info, provisioning keys."""
    keys = ['%s_%s' % (side, key) for side in ('old', 'new') for key in SIDE_KEYS]
    keys += ['odb_prefix', 'ndb_prefix', 'new_api_info']
    return keys + list(HOST_INFO_KEYS) + list(PROVISION_KEYS)


def render_conf(values, header='# Managed by opencontrail.issu.issu_conf'):
    """contrail-issu.conf text for ``{key: value}``; unknown keys follow the known ones."""
    known = ordered_keys()
    keys = [k for k in known if k in values] + sorted(k for k in values if k not in known)
    lines = [header, '[%s]' % SECTION]
    for key in keys:
        encoded = encode_value(key, values[key])
        if encoded is not None:
            lines.append('%s=%s' % (key, encoded))
    return '\n'.join(lines) + '\n'


def parse_conf(text):
    """{key: value as the tool reads it} of a contrail-issu.conf text ({} when unreadable)."""
    doc = IniDocument(text or '')
    return dict((k.lower(), decode_value(v)) for k, v in doc.items(SECTION))


def read_conf(path):
    """:func:`parse_conf` of the file at ``path``; a ConfError when it cannot be read."""
    try:
        with open(path) as handle:
            return parse_conf(handle.read())
    except (IOError, OSError) as exc:
        raise ConfError('cannot read %s: %s; write it with opencontrail.issu.issu_conf' % (path, exc))


def mask_conf(text, reference=None):
    """``text`` with secret values masked; ``(changed)`` where they differ from ``reference``."""
    before = parse_conf(reference) if reference is not None else {}
    out = []
    for line in (text or '').splitlines(True):
        match = re.match(r'^(\s*)([^=#;\[\s][^=]*?)(\s*=\s*)(.*?)(\r?\n?)$', line)
        if match and is_secret(match.group(2).strip().lower()):
            key = match.group(2).strip().lower()
            mark = MASK
            if reference is not None and before.get(key) != decode_value(match.group(4)):
                mark += ' (changed)'
            line = '%s%s%s%s%s' % (match.group(1), match.group(2), match.group(3), mark,
                                   match.group(5))
        out.append(line)
    return ''.join(out)


# -- the one-shot tools -------------------------------------------------------------------

class SyncTool:
    """One of pre-sync, post-sync, zk-sync: its command, log file and success lines."""

    def __init__(self, name, command, log_file, success_lines, failure_lines=()):
        self.name, self.command, self.log_file = name, command, log_file
        self.success_lines, self.failure_lines = tuple(success_lines), tuple(failure_lines)


#: The line each keyspace's merge copy prints when done (issu_contrail_pre_sync.py) -> keyspace.
KEYSPACE_DONE_LINES = (
    ('Done syncing Configdb uuid', 'config_db_uuid'),
    ('Done syncing bgp keyspace', 'to_bgp_keyspace'),
    ('Done syncing useragent keyspace', 'useragent'),
    ('Done syncing svc-monitor keyspace', 'svc_monitor_keyspace'),
    ('Done syncing dm keyspace', 'dm_keyspace'),
)
ZK_PASSED = 'Issu contrail zookeeper passed'
ZK_FAILED = 'Issu contrail zookeeper failed'

TOOLS = {
    'pre': SyncTool('pre', 'contrail-issu-pre-sync', '/var/log/contrail/issu_contrail_pre_sync.log',
                    [line for line, _ks in KEYSPACE_DONE_LINES]),
    'post': SyncTool('post', 'contrail-issu-post-sync',
                     '/var/log/contrail/issu_contrail_post_sync.log',
                     [line for line, _ks in KEYSPACE_DONE_LINES[1:]]),
    # zk-sync logs its verdict only to the log file; the real issu_compare logs "failed..." and
    # then "passed..." anyway, so "failed" anywhere in this run's log is a failure.
    'zk': SyncTool('zk', 'contrail-issu-zk-sync', '/var/log/issu_contrail_zk.log',
                   [ZK_PASSED], [ZK_FAILED]),
}
RUN_SYNC_COMMAND = 'contrail-issu-run-sync'
RUN_SYNC_LOG = '/var/log/contrail/issu_contrail_run_sync.log'
ERROR_MARKERS = ('SYS_ERR', 'SYS_CRIT', 'SYS_EMERG', 'Traceback')


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def read_from(path, offset, limit=-1):
    """Text appended to ``path`` since ``offset`` (all of it when the file was rotated), at
    most ``limit`` bytes of it when given."""
    try:
        with open(path, 'rb') as handle:
            if file_size(path) >= offset:
                handle.seek(offset)
            return handle.read(limit).decode('utf-8', 'replace')
    except (IOError, OSError):
        return ''


def judge_run(tool, rc, stdout, log_text):
    """Verdict of one tool run -> dict(ok, missing, failures, keyspaces_synced, errors)."""
    seen = (stdout or '') + '\n' + (log_text or '')
    missing = [line for line in tool.success_lines if line not in seen]
    failures = [line for line in tool.failure_lines if line in seen]
    keyspaces = [ks for line, ks in KEYSPACE_DONE_LINES
                 if line in tool.success_lines and line in seen]
    errors = [line.strip() for line in seen.splitlines()
              if any(marker in line for marker in ERROR_MARKERS)]
    return dict(ok=rc == 0 and not missing and not failures, missing=missing,
                failures=failures, keyspaces_synced=keyspaces, errors=errors[-20:])


def timeout_command(args, timeout):
    """``args`` under coreutils ``timeout`` (TERM, then KILL 10 s later); rc 124 = timed out."""
    return ['timeout', '-k', '10', str(int(timeout))] + list(args)


def check_conf_path(path):
    """The tools re-join their argv and split it on spaces: a conf path cannot contain any."""
    if re.search(r'\s', path):
        raise ConfError('conf path %r contains white space; the ISSU tools split their command '
                        'line on spaces and would not find it' % path)
    if not os.path.isfile(path):
        raise ConfError('conf file %s does not exist (render it with opencontrail.issu.issu_conf)'
                        % path)


def missing_tool_message(command):
    return ('%s is not installed on this host: it ships with the %s package of the new (v2) '
            'release; run the sync on a v2 config node' % (command, PACKAGE))


def tail(text, lines=20):
    return [line for line in (text or '').splitlines() if line.strip()][-lines:]


def tool_executable(get_bin_path, tool, conf, timeout):
    """The path of ``tool``'s command once it may run (installed, ``conf`` usable, a time
    limit); a ConfError saying what is wrong otherwise. ``get_bin_path`` is
    AnsibleModule.get_bin_path."""
    if timeout < 1:
        # coreutils timeout reads 0 as "no limit": refuse it rather than wait for ever.
        raise ConfError('timeout must be at least 1 second, got %s' % timeout)
    executable = get_bin_path(tool.command)
    if executable is None:
        raise ConfError(missing_tool_message(tool.command))
    check_conf_path(conf)
    return executable


def run_tool(run_command, tool, executable, conf, timeout, log_lines=20):
    """Run ``tool`` (one of :data:`TOOLS`) once with ``-c conf`` under ``timeout`` seconds and
    judge it (:func:`judge_run`): the result fields of the modules that run it, with ``msg``
    when it failed. ``run_command`` is AnsibleModule.run_command."""
    offset = file_size(tool.log_file)
    cmd = timeout_command([executable, '-c', conf], timeout)
    started = time.monotonic()
    rc, out, err = run_command(cmd, environ_update={'LC_ALL': 'C'})
    duration = round(time.monotonic() - started, 3)
    log_text = read_from(tool.log_file, offset)
    verdict = judge_run(tool, rc, out + err, log_text)
    result = dict(cmd=cmd, rc=rc, duration=duration, log_tail=tail(log_text, log_lines),
                  stdout_lines=(out or '').splitlines(), stderr_lines=(err or '').splitlines()[-20:],
                  keyspaces_synced=verdict['keyspaces_synced'], missing=verdict['missing'],
                  errors=verdict['errors'])
    if not verdict['ok']:
        result['msg'] = tool_failure_message(tool, rc, verdict, timeout)
    return result


def tool_failure_message(tool, rc, verdict, timeout):
    if rc == 124:
        why = 'did not finish in %ss' % timeout
    elif rc != 0:
        why = 'exited with %s' % rc
    elif verdict['failures']:
        why = 'reported %s' % ', '.join(repr(line) for line in verdict['failures'])
    else:
        why = 'exited 0 without reporting %s' % ', '.join(repr(line) for line in verdict['missing'])
    return '%s %s; see errors, log_tail and %s' % (tool.command, why, tool.log_file)


# -- the run-sync daemon ---------------------------------------------------------------------

#: Log lines of run-sync's ``prepare_to_consume`` (the log says "sync", stdout "Sync").
BOUND_LINE = 'config sync initiated'
SYNCED_LINE = 'start compute upgrade'
LOG_TIME_RE = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,(\d+))?\s')


def log_time(line):
    """Epoch seconds of a ``logging`` asctime prefix (host local time), or None."""
    match = LOG_TIME_RE.match(line)
    if not match:
        return None
    seconds = time.mktime(time.strptime(match.group(1), '%Y-%m-%d %H:%M:%S'))
    return seconds + int(match.group(2) or 0) / 1000.0


def _first_stamp_after(handle, offset, block):
    """The stamp of the first whole line starting after ``offset``, or None in that block."""
    handle.seek(offset)
    lines = handle.read(block).decode('utf-8', 'replace').splitlines()
    for line in lines[1:] if offset else lines:
        stamp = log_time(line)
        if stamp is not None:
            return stamp
    return None


def offset_at(path, since, block=65536):
    """A byte offset of the time-ordered log ``path`` at or before its first line stamped at or
    after ``since``: a binary search, so a log written for days costs a few reads."""
    low, high = 0, file_size(path)
    try:
        with open(path, 'rb') as handle:
            while high - low > block:
                middle = (low + high) // 2
                stamp = _first_stamp_after(handle, middle, block)
                if stamp is None or stamp >= since:
                    high = middle
                else:
                    low = middle
    except (IOError, OSError):
        return 0
    return low


#: How much of run-sync's log after its start holds its start-up lines (bound, synced).
START_WINDOW_BYTES = 4 * 1024 * 1024


def progress_since(path, started_at):
    """How far run-sync got since it started at ``started_at`` ('none', 'bound', 'synced'),
    read from its start in the log however much it logged since (it logs every message)."""
    text = read_from(path, offset_at(path, started_at), START_WINDOW_BYTES)
    return sync_progress(lines_since(text, started_at))


def lines_since(text, since):
    """Log lines stamped at or after ``since`` (lines without a stamp follow their block)."""
    keep, out = since is None, []
    for line in (text or '').splitlines():
        stamp = log_time(line)
        if stamp is not None:
            keep = since is None or stamp >= since
        if keep:
            out.append(line)
    return out


def sync_progress(lines):
    """How far run-sync got in the given log lines: 'none', 'bound' or 'synced'."""
    lowered = [line.lower() for line in lines]
    if any(SYNCED_LINE in line for line in lowered):
        return 'synced'
    if any(BOUND_LINE in line for line in lowered):
        return 'bound'
    return 'none'


def process_start_time(pid, proc='/proc'):
    """Epoch seconds at which ``pid`` started (from /proc), or None."""
    try:
        with open('%s/%d/stat' % (proc, pid)) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
        with open('%s/stat' % proc) as handle:
            btime = next(int(line.split()[1]) for line in handle if line.startswith('btime '))
    except (IOError, OSError, IndexError, StopIteration, ValueError):
        return None
    return btime + int(fields[19]) / float(os.sysconf('SC_CLK_TCK'))


def lost_messages_warning(started_at, since):
    """Why a (re)start after ``since`` matters: the queue, and what it held, was deleted."""
    return ('contrail-issu-run-sync (re)started at %s, after %s: it deletes its RabbitMQ queue '
            'on start, so v1 notifications published while it was down were lost. Only '
            'config_db_uuid was re-copied; to_bgp_keyspace, useragent, svc_monitor_keyspace and '
            'dm_keyspace catch up only at post-sync. Compare v1 and v2 config before trusting v2.'
            % (time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started_at)),
               time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(since))))
