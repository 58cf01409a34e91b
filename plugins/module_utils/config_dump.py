# -*- coding: utf-8 -*-
# Copyright: (c) 2026, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dump file of a whole-config snapshot (see ``config_compare``): its format, its
checksum file, how it is written and how it is read back.

Written by ``config_backup`` (``mode=dump``) and by ``config_compare`` (``save_v1``: the v1
snapshot of its last comparison, so that a freeze reads v1 once), read by ``config_backup``
(``mode=verify``). Both writers go through :func:`save_dump`, so the same snapshot of the
same API server gives the same bytes whichever module wrote it.

The format (:data:`FORMAT`) is one canonical JSON document: sorted keys, no whitespace, the
served types only (a type the API does not know is left out), each type's objects sorted by
uuid, no timestamp of its own; so an unchanged config gives the same bytes again. Beside it
``<path>.sha256`` holds its sha256 as ``sha256sum`` writes it (``sha256sum -c`` checks it).
Both files are replaced atomically with mode 0600: the config holds secrets (BGP md5 keys).
"""

from __future__ import annotations

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.opencontrail.issu.plugins.module_utils.errors import IssuError
from ansible_collections.opencontrail.issu.plugins.module_utils.ini_edit import write_atomic

FORMAT = 'opencontrail.issu.config_backup/1'

#: Mode of the dump and of its checksum file.
FILE_MODE = 0o600


class DumpError(IssuError):
    """A dump that cannot be written or trusted."""


def api_server_label(params):
    """The ``api_server`` recorded in a dump: ``host:port`` of the connection's options
    (``api_connection_argument_spec``, port defaulted)."""
    return '%s:%s' % (params['api_server_host'], params['api_server_port'])


def render_dump(snapshot, api_server):
    """Canonical bytes of a dump: served types only, objects sorted by uuid, sorted keys."""
    types = dict((t, sorted(objs, key=lambda o: o['uuid']))
                 for t, objs in snapshot.items() if objs is not None)
    doc = {'format': FORMAT, 'api_server': api_server, 'types': types}
    return json.dumps(doc, sort_keys=True, separators=(',', ':')).encode('utf-8')


def sha256_line(digest, path):
    """The checksum file's content, as ``sha256sum`` writes it."""
    return '%s  %s\n' % (digest, os.path.basename(path))


def file_sha256(path):
    sha = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def recorded_sha256(path):
    """The digest in ``<path>.sha256``; None when there is no checksum file."""
    try:
        with open(path + '.sha256') as handle:
            return handle.read().split()[0]
    except (OSError, IndexError):
        return None


def load_dump(path):
    """The dump's document, after checking it against its checksum file."""
    if not os.path.isfile(path):
        raise DumpError('no dump at %s' % path)
    expected, actual = recorded_sha256(path), file_sha256(path)
    if expected is None:
        raise DumpError('no checksum file %s.sha256' % path)
    if expected != actual:
        raise DumpError('checksum mismatch for %s: %s.sha256 says %s, the file has %s'
                        % (path, path, expected, actual))
    with open(path, 'rb') as handle:
        doc = json.loads(handle.read().decode('utf-8'))
    if doc.get('format') != FORMAT:
        raise DumpError('%s is not a dump of this module (format %r)'
                        % (path, doc.get('format')))
    return doc, actual


def file_state(path):
    """sha256 of an existing dump and the one its checksum file records; None if no dump."""
    if not os.path.isfile(path):
        return None
    return dict(sha256=file_sha256(path), checksum_file=recorded_sha256(path))


def check_directory(path):
    """Raise :class:`DumpError` unless the directory of ``path`` exists."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DumpError('directory %s does not exist' % directory)


def write_dump(path, data, digest):
    """Write the dump's bytes and then its checksum file, each atomically, mode 0600."""
    check_directory(path)
    write_atomic(path, data, mode=FILE_MODE)
    write_atomic(path + '.sha256', sha256_line(digest, path), mode=FILE_MODE)


def save_dump(path, snapshot, api_server, check_mode=False):
    """Write ``snapshot`` read from ``api_server`` (``host:port``) as a dump at ``path``
    unless the file and its checksum file already hold exactly it; in check mode only tell.

    Returns the result of a dump: ``changed``, ``path``, ``sha256`` (of the dump as written
    or as it would be), ``counts`` (objects per type, types without objects left out),
    ``objects`` and ``diff`` (the file's sha256, its checksum file's and, after, the objects).
    """
    data = render_dump(snapshot, api_server)
    digest = hashlib.sha256(data).hexdigest()
    before = file_state(path)
    changed = before != dict(sha256=digest, checksum_file=digest)
    if changed and not check_mode:
        write_dump(path, data, digest)
    counts = dict((t, len(objs)) for t, objs in snapshot.items() if objs)
    objects = sum(counts.values())
    return dict(changed=changed, path=path, sha256=digest, counts=counts, objects=objects,
                diff=dict(before=before or {},
                          after=dict(sha256=digest, checksum_file=digest, objects=objects)))
