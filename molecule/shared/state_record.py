"""The ISSU state record read whole by the tests, the scenarios and the benchmarks, on this machine
or inside the lab's issu_task container - independently of the collection's own reader.

The record's file holds all but the computes; each compute's entry is a file of its own in
``<path>.hosts/<hosts_id>/<quoted name>.json`` (a record written by a test with its computes
inside, and no ``hosts_id``, is read as it is).

    read(path)                  -> the record as a dict, {} when there is none (local files)
    command(path)               -> argv that prints it as JSON where it runs (podman exec NAME + argv)
    shell(path)                 -> the same as one shell command line
    write_inline(record)        -> JSON of a record holding its computes (a test's fixture)
"""
import json
import shlex

PATH = '/var/lib/contrail-issu/state.json'
TASK_HOST = 'lab-v2-ctrl1'

# One reader, run here (exec) and in the container (python3 -c): stdlib only.
_READER = r'''
import json, os, sys
from urllib.parse import unquote


def read(path):
    try:
        with open(path) as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return {}
    hosts = dict(record.get('hosts') or {})
    if record.get('hosts_id'):
        directory = os.path.join(path + '.hosts', record['hosts_id'])
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            if name.endswith('.json'):
                with open(os.path.join(directory, name)) as handle:
                    hosts[unquote(name[:-5])] = json.load(handle)
    record['hosts'] = hosts
    return record
'''

_namespace = {}
exec(compile(_READER, __file__ + ':_READER', 'exec'), _namespace)  # pylint: disable=exec-used
read = _namespace['read']


def command(path=PATH):
    return ['python3', '-c', _READER + '\nprint(json.dumps(read(sys.argv[1])))\n', path]


def shell(path=PATH):
    return ' '.join(shlex.quote(arg) for arg in command(path))


def write_inline(record):
    """A record to write over the record's file: its computes inside, no ``hosts_id`` (so the
    entries' files of whatever record was there are not read as its own)."""
    record = dict(record)
    record.pop('hosts_id', None)
    record['version'] = 1
    return json.dumps(record)
