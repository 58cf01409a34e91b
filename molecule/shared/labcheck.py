"""End-state checks shared by the molecule verifiers: they read the lab's nodes through podman
(testinfra's podman backend) and Contrail's own interfaces (introspect, REST, HAProxy stats)."""
import json
import os
import ssl
import sys
import urllib.request
import xml.etree.ElementTree as ET

import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab', 'tools'))
import labtls  # noqa: E402  (HTTPS and keystone on a TLS lab: molecule scenario ha sets LAB_TLS)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import state_record as lab_record  # noqa: E402  (the record read whole)

V1_VERSION = '3.2.14.0-37'
V2_VERSION = '4.0.3.0-62'
V1_CTRL = '10.99.0.11'
V2_CTRL = '10.99.0.21'
COMPUTES = ['lab-compute1', 'lab-compute2', 'lab-compute3']
STATE = lab_record.PATH


def host(name):
    return testinfra.get_host('podman://%s' % name)


def installed_version(node, package):
    return node.check_output("dpkg-query -W -f='${Version}' %s" % package)


def ini_value(node, path, section, key):
    current, value = None, None
    for line in node.file(path).content_string.splitlines():
        line = line.strip()
        if line.startswith('['):
            current = line.strip('[]')
        elif current == section and '=' in line and line.split('=', 1)[0].strip() == key:
            value = line.split('=', 1)[1].strip()
    return value


def introspect(address, port, request):
    with urllib.request.urlopen('http://%s:%d/Snh_%s' % (address, port, request), timeout=5) as resp:
        return ET.fromstring(resp.read().decode().split('?>', 1)[-1])


def agent_xmpp(address):
    """[(controller_ip, state)] from the agent's own introspect."""
    root = introspect(address, 8085, 'AgentXmppConnectionStatusReq')
    return [(peer.findtext('controller_ip'), peer.findtext('state')) for peer in root.iter('AgentXmppData')]


def api_get(address, path):
    tls = labtls.enabled()
    req = urllib.request.Request(labtls.api_url(address, tls) + path,
                                 headers={'X-Auth-Token': labtls.keystone_token()} if tls else {})
    context = ssl.create_default_context(cafile=labtls.CA_FILE) if tls else None
    with urllib.request.urlopen(req, timeout=10, context=context) as resp:
        return json.loads(resp.read().decode())


def vnc_client(address):
    """The official vnc_api client on a cluster's API (HTTPS and keystone on a TLS lab)."""
    from vnc_api import vnc_api
    return vnc_api.VncApi(api_server_host=address, api_server_port=8082,
                          **labtls.vnc_api_kwargs(labtls.enabled()))


def haproxy_servers(backend):
    """{server name: (address, status)} of a backend, from `show stat` on the admin socket."""
    out = host('lab-openstack').check_output(
        "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
        "s.sendall(b'show stat\\n'); print(s.makefile().read())\"")
    lines = [l for l in out.splitlines() if l and not l.startswith('#')]
    header = out.splitlines()[0].lstrip('# ').split(',')
    rows = [dict(zip(header, l.split(','))) for l in lines]
    return dict((r['svname'], (r['addr'], r['status'])) for r in rows
                if r['pxname'] == backend and r['svname'] not in ('FRONTEND', 'BACKEND'))


def state_record():
    return json.loads(host(lab_record.TASK_HOST).check_output(lab_record.shell(STATE)))


def compute_ip(name):
    return '10.99.0.%d' % (100 + int(name.replace('lab-compute', '')))


def assert_compute_on(name, version, controller):
    node = host(name)
    assert installed_version(node, 'contrail-vrouter-agent') == version
    assert node.check_output('cat /run/vrouter-kmod/loaded').startswith(version.split('-')[0])
    assert 'RUNNING' in node.check_output(
        'supervisorctl -s unix:///var/run/supervisord_vrouter.sock status contrail-vrouter-agent')
    sessions = agent_xmpp(compute_ip(name))
    assert (controller, 'Established') in sessions, sessions


def lab_dir():
    return os.path.join(os.environ.get('MOLECULE_PROJECT_DIRECTORY', '.'), 'lab')
