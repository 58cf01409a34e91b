# -*- coding: utf-8 -*-
# Copyright: (c) 2024, opencontrail.issu developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit keys of an INI file in place, keeping everything else byte for byte.

Contrail's files (agent conf, nodemgr conf, ToR agent confs, supervisor ``.ini``) are
written by provisioning tools and then hand-edited by operators: comments, blank lines,
key order, ``key=value`` versus ``key = value`` and unknown sections must all survive an
ISSU. ``configparser`` rewrites the whole file and drops comments, so this module edits
lines: a set replaces the value part of the existing line (or adds a line at the end of
the section, or a new section at the end of the file), a delete removes the key's lines.
Key names compare case-insensitively (as Contrail's parsers and ``configparser`` do);
section names compare exactly.
"""

from __future__ import annotations

__metaclass__ = type

import os
import re
import tempfile

SECTION_RE = re.compile(r'^\s*\[(?P<name>[^\]]+)\]\s*(?:[#;].*)?$')
KEY_RE = re.compile(r'^(?P<indent>\s*)(?P<key>[^=:\s#;\[][^=:]*?)(?P<sep>\s*[=:]\s*)(?P<value>.*?)'
                    r'(?P<eol>\r?\n?)$')
COMMENT_PREFIXES = ('#', ';')


def _is_blank_or_comment(line):
    stripped = line.strip()
    return not stripped or stripped.startswith(COMMENT_PREFIXES)


class IniDocument:
    """The lines of an INI text, with the (section, key) -> line positions they define."""

    def __init__(self, text):
        self.lines = text.splitlines(True)

    def text(self):
        return ''.join(self.lines)

    # -- reading -------------------------------------------------------------------------
    def _walk(self):
        """Yield (index, section, key-match or None) for every line."""
        section = None
        for index, line in enumerate(self.lines):
            header = SECTION_RE.match(line)
            if header:
                section = header.group('name').strip()
                yield index, section, None
                continue
            match = None if _is_blank_or_comment(line) else KEY_RE.match(line)
            yield index, section, match

    def _key_lines(self, section, key):
        key = key.lower()
        return [i for i, sec, m in self._walk()
                if m is not None and sec == section and m.group('key').strip().lower() == key]

    def sections(self):
        return list(dict.fromkeys(sec for index, sec, _m in self._walk()
                                  if SECTION_RE.match(self.lines[index])))

    def has_section(self, section):
        return section in self.sections()

    def get(self, section, key, default=None):
        """Value of the last occurrence of ``key`` in ``section`` (the one parsers keep)."""
        lines = self._key_lines(section, key)
        if not lines:
            return default
        return KEY_RE.match(self.lines[lines[-1]]).group('value').strip()

    def items(self, section):
        return [(m.group('key').strip(), m.group('value').strip())
                for _i, sec, m in self._walk() if m is not None and sec == section]

    # -- editing -------------------------------------------------------------------------
    def set(self, section, key, value):
        """Set ``key`` to ``value``; True when the text changed."""
        value = '' if value is None else str(value)
        lines = self._key_lines(section, key)
        if lines:
            changed = False
            for index in lines[:-1]:          # duplicates: the last one wins, drop the others
                self.lines[index] = None
                changed = True
            changed = self._replace_value(lines[-1], value) or changed
            self.lines = [line for line in self.lines if line is not None]
            return changed
        self._insert(section, '%s=%s' % (key, value))
        return True

    def delete(self, section, key):
        """Remove every line of ``key`` in ``section``; True when the text changed."""
        lines = set(self._key_lines(section, key))
        self.lines = [line for i, line in enumerate(self.lines) if i not in lines]
        return bool(lines)

    def _replace_value(self, index, value):
        match = KEY_RE.match(self.lines[index])
        if match.group('value').strip() == value:
            return False
        self.lines[index] = '%s%s%s%s%s' % (match.group('indent'), match.group('key'),
                                            match.group('sep'), value,
                                            match.group('eol') or '\n')
        return True

    def _section_end(self, section):
        """Index after the last key or comment of the section's first occurrence."""
        inside, end = False, None
        for index, sec, _m in self._walk():
            is_header = SECTION_RE.match(self.lines[index]) is not None
            if is_header:
                if inside:
                    break
                inside = sec == section
                end = index + 1 if inside else end
            elif inside and self.lines[index].strip():
                end = index + 1
        return end

    def _insert(self, section, line):
        end = self._section_end(section)
        if end is None:
            self._append_section(section, line)
            return
        if end > 0 and not self.lines[end - 1].endswith('\n'):
            self.lines[end - 1] += '\n'
        self.lines.insert(end, line + '\n')

    def _append_section(self, section, line):
        if self.lines and not self.lines[-1].endswith('\n'):
            self.lines[-1] += '\n'
        if self.lines and self.lines[-1].strip():
            self.lines.append('\n')
        self.lines.extend(['[%s]\n' % section, line + '\n'])


def apply_edits(text, edits):
    """Apply ``edits`` [(section, key, value or None to delete)] -> (new text, changed keys).

    ``changed keys`` lists ``(section, key)`` of the edits that changed the text.
    """
    doc = IniDocument(text)
    changed = []
    for section, key, value in edits:
        did = doc.delete(section, key) if value is None else doc.set(section, key, value)
        if did:
            changed.append((section, key))
    return doc.text(), changed


def read_text(path):
    """File content, or '' when it does not exist (an edit then creates it)."""
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except FileNotFoundError:
        return ''


def write_atomic(path, data, mode=None):
    """Replace ``path`` atomically: a temporary file in the same directory, flushed to disk,
    then renamed over it, so neither a reader nor a crash ever sees half a file.

    ``data`` is text (written as UTF-8) or bytes. ``mode`` is forced on the file; without it
    an existing file keeps its mode and owner, and a new one gets 0644.
    """
    if isinstance(data, str):
        data = data.encode('utf-8')
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif os.path.exists(path):
            stat = os.stat(path)
            os.chmod(tmp, stat.st_mode & 0o7777)
            os.chown(tmp, stat.st_uid, stat.st_gid)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def edit_file(path, edits, check_mode=False):
    """Apply edits to a file -> dict(changed, changed_keys, before, after) (diff-ready)."""
    before = read_text(path)
    after, changed_keys = apply_edits(before, edits)
    changed = after != before
    if changed and not check_mode:
        write_atomic(path, after)
    return dict(path=path, changed=changed, changed_keys=changed_keys, before=before,
                after=after)


def read_values(path, keys):
    """{(section, key): value or None} of the given keys of a file ('' when absent)."""
    doc = IniDocument(read_text(path))
    return dict(((section, key), doc.get(section, key)) for section, key in keys)
