"""Host-side harness for the control-node / agent simulators (no containers).

Seeds a cluster's config DB in vnc_cassandra's wire format, writes daemon confs on loopback
addresses (127.0.0.1x control nodes, 127.0.0.10x computes) and runs the daemons as processes.
Needs a PostgreSQL config DB (and RabbitMQ for 4.0): the host's dev services
(/tmp/dev-services.ready) when they run, else lab-infra's (LAB_PG_SERVERS).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(os.path.dirname(HERE), 'sim')
sys.path.insert(0, SIM)

from contrail_sim import configdb  # noqa: E402

PG_SERVERS = '127.0.0.1:9160'          # the host's dev PostgreSQL (thrift port mapped to 5432)
LAB_PG_SERVERS = '10.99.0.10:9160'      # lab-infra's
VRF = 'default-domain:admin:lab-vn:lab-vn'
VN = 'default-domain:admin:lab-vn'


def pg_available():
    try:
        socket.create_connection(('127.0.0.1', 5432), timeout=1).close()
        return True
    except OSError:
        return False


def open_db(prefix, db_servers=PG_SERVERS):
    db = configdb.ConfigDB(configdb.dsn_from_server_list(db_servers), prefix)
    db.drop_keyspaces()
    db.ensure_keyspaces()
    return db


def add_object(db, obj_type, fq_name, props=None, refs=()):
    obj_uuid = str(uuid.uuid4())
    cols = {'fq_name': fq_name, 'type': obj_type}
    cols.update({'prop:%s' % k: v for k, v in (props or {}).items()})
    for ref_type, ref_uuid in refs:
        cols['ref:%s:%s' % (ref_type, ref_uuid)] = {'attr': None, 'is_weakref': False}
    db.insert('config_db_uuid', 'obj_uuid_table', obj_uuid, cols)
    db.insert('config_db_uuid', 'obj_fq_name_table', obj_type,
              {'%s:%s' % (':'.join(fq_name), obj_uuid): None})
    return obj_uuid


def add_bgp_router(db, name, address, asn=64512, auth_key=None):
    params = {'vendor': 'contrail', 'router_type': 'control-node', 'autonomous_system': asn,
              'identifier': address, 'address': address, 'port': 179, 'hold_time': 0,
              'address_families': {'family': ['route-target', 'inet-vpn', 'e-vpn']},
              'auth_data': {'key_type': 'md5', 'key_items': [{'key_id': 0, 'key': auth_key}]}
              if auth_key else None}
    return add_object(db, 'bgp_router',
                      ['default-domain', 'default-project', 'ip-fabric', '__default__', name],
                      {'bgp_router_parameters': params})


def peer(db, uuid_a, uuid_b):
    """bgp_router <-> bgp_router refs are stored on both rows (wire-formats §4.1)."""
    attr = {'attr': {'session': [{'uuid': None, 'attributes': [
        {'bgp_router': None, 'address_families': {'family': ['inet-vpn']}}]}]},
        'is_weakref': False}
    db.insert('config_db_uuid', 'obj_uuid_table', uuid_a, {'ref:bgp_router:%s' % uuid_b: attr})
    db.insert('config_db_uuid', 'obj_uuid_table', uuid_b, {'ref:bgp_router:%s' % uuid_a: attr})


def seed_cluster(prefix, controls, computes, rt='target:64512:8000001', db_servers=PG_SERVERS):
    """controls: [(name, ip)], computes: [name]; full mesh + one VN with its RI and RT."""
    db = open_db(prefix, db_servers)
    uuids = [add_bgp_router(db, name, ip) for name, ip in controls]
    for i, a in enumerate(uuids):
        for b in uuids[i + 1:]:
            peer(db, a, b)
    rt_uuid = add_object(db, 'route_target', [rt])
    add_object(db, 'routing_instance', VRF.split(':'), refs=[('route_target', rt_uuid)])
    for name in computes:
        add_object(db, 'virtual_router', ['default-global-system-config', name],
                   {'virtual_router_ip_address': '127.0.0.1'})
    return db, uuids


class Lab(object):
    """Processes and files of one dev scenario; ``close()`` stops everything it started."""

    def __init__(self, workdir):
        self.dir = workdir
        self.procs = []
        os.makedirs(workdir, exist_ok=True)

    def _spawn(self, name, module, args, env_extra):
        env = dict(os.environ, PYTHONPATH=SIM, **env_extra)
        log = open(os.path.join(self.dir, name + '.out'), 'ab')
        proc = subprocess.Popen([sys.executable, '-m', module] + args, env=env, stdout=log,
                                stderr=log, start_new_session=True)
        self.procs.append(proc)
        return proc

    def control(self, name, ip, index, version='3.2.14.0-37', prefix='devh3a', vhost=None,
                db_servers=PG_SERVERS):
        conf = os.path.join(self.dir, name + '.conf')
        with open(conf, 'w') as handle:
            handle.write('[DEFAULT]\nhostname=%s\nhostip=%s\nhttp_server_port=%d\n'
                         'gobgp_api_port=%d\ngobgp_work_dir=%s\nlog_file=%s\n'
                         '[CONFIGDB]\nconfig_db_server_list=%s\ncluster_id=%s\n'
                         'rabbitmq_server_list=127.0.0.1:5672\nrabbitmq_vhost=%s\n'
                         % (name, ip, 18083 + 10 * index, 50061 + index, self.dir,
                            os.path.join(self.dir, name + '.log'), db_servers, prefix,
                            vhost or 'v2'))
        proc = self._spawn(name, 'contrail_sim.control_node', ['--conf_file', conf],
                           {'CONTRAIL_VERSION': version})
        return proc, 18083 + 10 * index

    def agent(self, name, ip, index, controls, version='3.2.14.0-37', vms=()):
        base = os.path.join(self.dir, name)
        os.makedirs(base + '-kmod', exist_ok=True)
        with open(base + '-kmod/loaded', 'w') as handle:
            handle.write(version.split('-')[0])
        with open(base + '.version', 'w') as handle:
            handle.write(version)
        with open(base + '-vms.json', 'w') as handle:
            json.dump([{'name': '%s-vm%d' % (name, i), 'ip': vm, 'vn': VN, 'vrf': VRF}
                       for i, vm in enumerate(vms)], handle)
        key = 'servers' if version.startswith('4.0') else 'server'
        with open(base + '.conf', 'w') as handle:
            handle.write('[DEFAULT]\nhostname=%s\nhttp_server_port=%d\nlog_file=%s.log\n'
                         '[CONTROL-NODE]\n%s=%s\n[VIRTUAL-HOST-INTERFACE]\nname=vhost0\n'
                         'ip=%s/24\n' % (name, 18085 + 10 * index, base, key,
                                         ' '.join(controls), ip))
        proc = self._spawn(name, 'contrail_sim.agent', ['--config_file', base + '.conf'], {
            'CONTRAIL_AGENT_VERSION_FILE': base + '.version',
            'VROUTER_KMOD_DIR': base + '-kmod', 'CONTRAIL_SIM_VMS_FILE': base + '-vms.json'})
        return proc, 18085 + 10 * index

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []

    def cleanup(self):
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def introspect(port, request, host='127.0.0.1'):
    with urllib.request.urlopen('http://%s:%d/Snh_%s' % (host, port, request), timeout=5) as r:
        return ET.fromstring(r.read().decode().split('?>', 1)[1])


def wait_for(predicate, timeout=30.0, interval=0.3):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:          # daemon not up yet
            last = exc
        time.sleep(interval)
    raise AssertionError('timed out; last=%r' % (last,))
