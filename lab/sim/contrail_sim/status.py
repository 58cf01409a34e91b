"""contrail-status, as Contrail 3.2 and 4.0 print it (wire-formats §6).

Installed as /usr/bin/contrail-status by the contrail-utils package (compute) and run by the
controller images. Same logic as the real tool, one code path for both releases (their output
formats are the same; what differs is what supervisor runs):
- node roles from `dpkg-query -W -f=${Version} <package>`; on lab controllers, which run the
  simulation without role packages, a role also counts as installed when its supervisord conf
  /etc/contrail/supervisord_<role>.conf exists (lab accommodation);
- `vRouter is NOT PRESENT` when `lsmod` shows no vrouter on a node with the agent;
- per role: the init service line `supervisor-<role>:` (skipped in 4.0 containers, detected as
  the real tool does: `initctl list` and `initctl fake` both succeed), then one line per program
  of `supervisorctl -s unix:///var/run/supervisord_<role>.sock status`, state mapped
  (RUNNING->active ...) and, for running daemons that implement it, refined by the NodeStatus UVE
  on the daemon's introspect port (`Snh_SandeshUVECacheReq?x=NodeStatus`).
"""
import configparser
import glob
import optparse
import os
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

# vns.sandesh ServiceHttpPortMap (introspect ports).
SERVICE_HTTP_PORTS = {
    'contrail-vrouter-agent': 8085, 'contrail-control': 8083, 'contrail-api': 8084,
    'contrail-schema': 8087, 'contrail-svc-monitor': 8088, 'contrail-collector': 8089,
    'contrail-analytics-api': 8090, 'contrail-query-engine': 8091, 'contrail-dns': 8092,
    'contrail-device-manager': 8096, 'contrail-alarm-gen': 5995,
    'contrail-snmp-collector': 5920, 'contrail-topology': 5921, 'contrail-discovery': 5997,
    'contrail-config-nodemgr': 8100, 'contrail-control-nodemgr': 8101,
    'contrail-vrouter-nodemgr': 8102, 'contrail-database-nodemgr': 8103,
    'contrail-analytics-nodemgr': 8104,
}
# Daemons whose NodeStatus UVE contrail-status consults (vns.sandesh NodeUVEImplementedServices).
NODE_UVE_SERVICES = {
    'contrail-vrouter-agent', 'contrail-control', 'contrail-dns', 'contrail-collector',
    'contrail-query-engine', 'contrail-analytics-api', 'contrail-alarm-gen',
    'contrail-snmp-collector', 'contrail-topology', 'contrail-api', 'contrail-schema',
    'contrail-svc-monitor', 'contrail-device-manager',
}
# Non-master instances of these are `backup` (their introspect is closed while not master).
BACKUP_SERVICES = {'contrail-schema', 'contrail-svc-monitor', 'contrail-device-manager'}
SUPERVISOR_STATES = {'STARTING': 'initializing', 'RUNNING': 'active', 'STOPPED': 'inactive',
                     'FATAL': 'failed', 'STOPPING': 'failed', 'EXITED': 'failed',
                     'UNKNOWN': 'failed'}
DPDK_NETLINK_TCP_PORT = 20914

# (role, section header, init service, package that marks the role, 4.0 contrailctl switch).
ROLES = [
    ('control', '== Contrail Control ==', 'supervisor-control', 'contrail-control', 'control'),
    ('analytics', '== Contrail Analytics ==', 'supervisor-analytics', 'contrail-analytics', None),
    ('config', '== Contrail Config ==', 'supervisor-config', 'contrail-config', 'config'),
    ('webui', '== Contrail Web UI ==', 'supervisor-webui', 'contrail-web-controller', 'webui'),
]
COMPUTE = ('compute', '== Contrail vRouter ==', 'supervisor-vrouter', 'contrail-vrouter-agent',
           None)
SUPPORT = ('support-service', '== Contrail Support Services ==', 'supervisor-support-service',
           None, None)
# Paths the tool inspects (module attributes so unit tests can point them elsewhere).
CONTRAILCTL_CONF = '/etc/contrailctl/controller.conf'
CONTRAIL_ETC = '/etc/contrail'
INIT_D = '/etc/init.d'
RC_DIRS = '/etc/rc*.d'
SOCKET_DIRS = ('/tmp', '/var/run')
CRASHES = '/var/crashes'


def run(cmd):
    """(exit code, stdout) of a command; (127, '') when it does not exist."""
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return 127, ''
    return proc.returncode, proc.stdout


def package_installed(pkg):
    code, out = run(['dpkg-query', '-W', '-f=${Version}', pkg])
    return code == 0 and bool(out.strip())


def role_installed(role, pkg):
    if package_installed(pkg):
        return True
    # Lab controllers run the simulation without role packages (see module docstring).
    return role != 'compute' and os.path.exists('%s/supervisord_%s.conf' % (CONTRAIL_ETC, role))


def service_enabled(switch):
    """4.0 contrailctl: a role switched off by `enable_<role>_service = False` is not shown."""
    try:
        with open(CONTRAILCTL_CONF) as fh:
            lines = [l for l in fh if not l.lstrip().startswith('#')]
    except OSError:
        return True
    return not any('enable_%s_service' % switch in l and 'False' in l for l in lines)


def init_system():
    """'upstart', 'supervisor' (4.0 container: initctl is /bin/true) or 'sysv'."""
    if run(['initctl', 'list'])[0] != 0:
        return 'sysv'
    return 'supervisor' if run(['initctl', 'fake'])[0] == 0 else 'upstart'


def service_line(svc, init):
    """`supervisor-vrouter:           active` (3.2/4.0 '%-30s%s%s' format)."""
    if init == 'upstart':
        installed = run(['initctl', 'show-config', svc])
        bootstatus = '' if '  start on' in installed[1] else ' (disabled on boot)'
        installed = installed[0] == 0
    else:
        installed = os.path.exists(os.path.join(INIT_D, svc))
        bootstatus = '' if glob.glob('%s/S*%s' % (RC_DIRS, svc)) else ' (disabled on boot)'
    if installed:
        status = 'active' if 'running' in run(['service', svc, 'status'])[1] else 'inactive'
    else:
        status, bootstatus = 'inactive', ' (disabled on boot)'
    return '%-30s%s%s' % (svc + ':', status, bootstatus)


def http_server_port(svc):
    """[DEFAULT] or [DEFAULTS] http_server_port of /etc/contrail/<svc>.conf, else the default."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        with open('%s/%s.conf' % (CONTRAIL_ETC, svc)) as fh:
            parser.read_string('\n'.join(line.strip() for line in fh))
        for section in ('DEFAULT', 'DEFAULTS'):
            if parser.has_option(section, 'http_server_port'):
                return parser.getint(section, 'http_server_port')
    except (OSError, configparser.Error, ValueError):
        pass
    return SERVICE_HTTP_PORTS.get(svc)


def node_status(svc, timeout):
    """(state, description) of process_status[0] in the NodeStatus UVE, or (None, None).

    Raises OSError subclasses for connection errors and timeouts (the caller maps them).
    """
    port = http_server_port(svc)
    if port is None:
        return None, None
    url = 'http://127.0.0.1:%d/Snh_SandeshUVECacheReq?x=NodeStatus' % port
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            root = ET.fromstring(resp.read())
    except (urllib.error.HTTPError, ET.ParseError):
        return None, None              # answered, but no usable UVE
    for status in root.iter('NodeStatus'):
        process = status.find('./process_status/list/ProcessStatus')
        if process is not None:
            return (process.findtext('state'), process.findtext('description'))
    return None, None


def uve_refined(svc, status, timeout):
    """The NodeStatus refinement of an `active` program (see §6.1)."""
    if status != 'active' or (svc not in NODE_UVE_SERVICES
                              and svc.rsplit('-', 1)[0] not in NODE_UVE_SERVICES):
        return status
    try:
        state, description = node_status(svc, timeout)
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        if isinstance(reason, TimeoutError) or 'timed out' in str(reason):
            state, description = 'connection-timeout', None
        else:
            state, description = 'connection-error', None
    if state is None:
        status = 'initializing'
    elif state == 'Non-Functional':
        status = 'initializing'
    elif state == 'connection-error':
        status = 'backup' if svc in BACKUP_SERVICES else 'initializing'
    elif state == 'connection-timeout':
        status = 'timeout'
    if description:
        status += ' (%s)' % description
    return status


def supervisor_lines(svc, timeout, detail):
    """Program lines of supervisor-<role> plus the closing blank line; [] if it is down."""
    sock = svc.replace('-', '_').replace('supervisor_', 'supervisord_') + '.sock'
    paths = [os.path.join(d, sock) for d in SOCKET_DIRS]
    path = next((p for p in paths if os.path.exists(p)), paths[-1])
    out = run(['supervisorctl', '-s', 'unix://' + path, 'status'])[1]
    if 'refused connection' in out or 'no such file' in out:
        return []
    lines = []
    for row in out.splitlines():
        fields = row.split()
        if len(fields) < 2:
            continue
        name, state = fields[0], SUPERVISOR_STATES.get(fields[1], fields[1])
        state = uve_refined(name, state, timeout)
        if detail:
            lines.append('{0:<30}{1:<20}{2:<40}'.format(name, state, ' '.join(fields[2:])))
        else:
            lines.append('{0:<30}{1:<20}'.format(name, state))
    return lines + ['']


def section(spec, init, options):
    _role, header, svc, _pkg, _switch = spec
    lines = [header]
    if init != 'supervisor':
        lines.append(service_line(svc, init))
    return lines + supervisor_lines(svc, options.timeout, options.detail)


def vrouter_present():
    out = run(['lsmod'])[1]
    if 'vrouter' in out:
        return True
    return bool(run(['lsof', '-ni:%d' % DPDK_NETLINK_TCP_PORT, '-sTCP:LISTEN'])[1])


def report(options):
    """All output lines of contrail-status, in the real section order."""
    init = init_system()
    lines = []
    if package_installed('contrail-vrouter-agent'):
        if not vrouter_present():
            lines += ['vRouter is NOT PRESENT', '']
        lines += section(COMPUTE, init, options)
    elif vrouter_present():
        lines += ['vRouter is PRESENT', '']
    for spec in ROLES:
        role, _header, _svc, pkg, switch = spec
        if role_installed(role, pkg) and (switch is None or service_enabled(switch)):
            lines += section(spec, init, options)
    if role_installed('config', 'contrail-config') and \
            os.path.exists(os.path.join(SOCKET_DIRS[-1], 'supervisord_support_service.sock')):
        lines += section(SUPPORT, init, options)
    cores = glob.glob(os.path.join(CRASHES, 'core.*'))
    if cores:
        lines += ['========Run time service failures============='] + cores
    return lines


def main(argv=None):
    parser = optparse.OptionParser()
    parser.add_option('-d', '--detail', dest='detail', default=False, action='store_true',
                      help='show detailed status')
    parser.add_option('-x', '--debug', dest='debug', default=False, action='store_true',
                      help='show debugging information')
    parser.add_option('-t', '--timeout', dest='timeout', type='float', default=2,
                      help='timeout in seconds to use for HTTP requests to services')
    for short, name, default in (('-k', 'keyfile', '/etc/contrail/ssl/private/server-privkey.pem'),
                                 ('-c', 'certfile', '/etc/contrail/ssl/certs/server.pem'),
                                 ('-a', 'cacert', '/etc/contrail/ssl/certs/ca-cert.pem')):
        parser.add_option(short, '--' + name, dest=name, default=default,
                          help='%s to use for HTTP requests to services' % name)
    options, args = parser.parse_args(argv)
    if args:
        parser.error('No arguments are permitted')
    for line in report(options):
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
