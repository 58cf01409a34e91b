"""neutron-server with the OpenContrail core plugin: a Neutron v2.0 API simulation.

Like Juniper's `contrail-neutron-plugin`, it keeps no state of its own: every call becomes a
request to the Contrail config API named in `ContrailPlugin.ini [APISERVER]` (v1's first config
node in the lab, as fab writes it; clients reach neutron-server itself through the HAProxy VIP),
so the northbound workload exercises exactly the path the ISSU freezes and migrates:
- network = virtual-network (id = its uuid; name updates change display_name),
- subnet  = an entry of `ipam_subnets` on the network's ref to default-network-ipam
            (id = subnet_uuid),
- port    = virtual-machine-interface + instance-ip (address allocated by the API server).

Resources: networks (create/list/show/update/delete), subnets and ports (create/list/show/delete).
Errors use Neutron's body `{"NeutronError": {"type", "message", "detail"}}`; a Contrail API that
cannot be reached gives 503, as neutron-server does when its plugin's backend is down.

Run: python3 -m contrail_sim.neutron --config-file /etc/neutron/neutron.conf
                                     --config-file /etc/neutron/plugins/opencontrail/ContrailPlugin.ini
"""
import argparse
import configparser
import json
import re
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from contrail_sim import keystone, tls

DOMAIN = 'default-domain'
DEFAULT_PROJECT = 'admin'
IPAM_FQ_NAME = [DOMAIN, 'default-project', 'default-network-ipam']


class NeutronError(Exception):
    """An error answered to the Neutron client (status + Neutron error type)."""

    def __init__(self, status, kind, message):
        Exception.__init__(self, message)
        self.status, self.kind, self.message = status, kind, message

    def body(self):
        return {'NeutronError': {'type': self.kind, 'message': self.message, 'detail': ''}}


class ContrailError(Exception):
    def __init__(self, status, text):
        Exception.__init__(self, '%s %s' % (status, text))
        self.status, self.text = status, text


# -- Contrail config API client -------------------------------------------------------------

class VncClient(object):
    """Minimal REST client of the Contrail config API (JSON bodies, plain-text errors)."""

    def __init__(self, host, port, timeout=10, use_ssl=False, cafile=None, keystone=None):
        self.base = '%s://%s:%s' % ('https' if use_ssl else 'http', host, port)
        self.context = tls.client_context(cafile) if use_ssl else None
        self.timeout = timeout
        self.keystone = keystone            # a keystone.TokenSource, or None

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            headers = {'Content-Type': 'application/json; charset="UTF-8"',
                       'X-Contrail-Useragent': '%s:neutron-server' % socket.gethostname()}
            try:
                if self.keystone is not None:
                    headers['X-Auth-Token'] = self.keystone.token(refresh=attempt == 2) or ''
                req = urllib.request.Request(self.base + path, data=data, method=method,
                                             headers=headers)
                with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                    text = resp.read().decode()
                return json.loads(text) if text else {}
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and self.keystone is not None and attempt == 1:
                    continue                # the token expired: log in again, once
                raise ContrailError(exc.code, exc.read().decode(errors='replace'))
            except (urllib.error.URLError, OSError) as exc:
                raise ContrailError(503, 'Contrail API unreachable: %s' % exc)

    def create(self, rtype, obj):
        return self.request('POST', '/%ss' % rtype, {rtype: obj})[rtype]

    def read(self, rtype, obj_uuid):
        return self.request('GET', '/%s/%s' % (rtype, obj_uuid))[rtype]

    def update(self, rtype, obj_uuid, obj):
        return self.request('PUT', '/%s/%s' % (rtype, obj_uuid), {rtype: obj})

    def delete(self, rtype, obj_uuid):
        return self.request('DELETE', '/%s/%s' % (rtype, obj_uuid))

    def list(self, rtype, **params):
        query = urllib.parse.urlencode(dict(params, detail='true'))
        result = self.request('GET', '/%ss?%s' % (rtype, query))['%ss' % rtype]
        return [item[rtype] for item in result]

    def fq_name_to_id(self, rtype, fq_name):
        return self.request('POST', '/fqname-to-id',
                            {'type': rtype, 'fq_name': fq_name})['uuid']


# -- the plugin: Neutron resources on Contrail objects --------------------------------------

def _hex(obj_uuid):
    return obj_uuid.replace('-', '')


def _uuid(tenant_id):
    return str(uuid.UUID(tenant_id))


class ContrailPlugin(object):
    """Neutron resources mapped onto Contrail objects, as NeutronPluginContrailCoreV2 does."""

    def __init__(self, vnc):
        self.vnc = vnc

    # projects (no keystone in the lab: tenant_id is the project uuid without dashes)
    def project_id(self, tenant_id):
        if tenant_id:
            return _uuid(tenant_id)
        fq_name = [DOMAIN, DEFAULT_PROJECT]
        try:
            return self.vnc.fq_name_to_id('project', fq_name)
        except ContrailError as exc:
            if exc.status != 404:
                raise
        try:
            return self.vnc.create('project', {'parent_type': 'domain', 'fq_name': fq_name})['uuid']
        except ContrailError as exc:
            if exc.status != 409:  # created meanwhile by a concurrent request
                raise
            return self.vnc.fq_name_to_id('project', fq_name)

    def project_fq_name(self, project_uuid):
        return self.vnc.read('project', project_uuid)['fq_name']

    # networks
    def network_dict(self, vn):
        subnets = [s['subnet_uuid'] for s in _ipam_subnets(vn)]
        return {'id': vn['uuid'], 'name': vn.get('display_name') or vn['fq_name'][-1],
                'tenant_id': _hex(vn.get('parent_uuid', '')),
                'project_id': _hex(vn.get('parent_uuid', '')),
                'admin_state_up': vn.get('id_perms', {}).get('enable', True),
                'shared': bool(vn.get('is_shared', False)), 'status': 'ACTIVE',
                'subnets': subnets, 'router:external': bool(vn.get('router_external', False)),
                'port_security_enabled': True}

    def create_network(self, body):
        net = body.get('network') or {}
        if not net.get('name'):
            raise NeutronError(400, 'BadRequest', "Invalid input: 'name' is required")
        project = self.project_id(net.get('tenant_id'))
        fq_name = self.project_fq_name(project) + [net['name']]
        vn = self.vnc.create('virtual-network', {
            'parent_type': 'project', 'fq_name': fq_name, 'display_name': net['name'],
            'is_shared': bool(net.get('shared', False)),
            'router_external': bool(net.get('router:external', False)),
            'id_perms': {'enable': net.get('admin_state_up', True)}})
        return {'network': self.network_dict(self.vnc.read('virtual-network', vn['uuid']))}

    def get_network(self, net_id):
        return {'network': self.network_dict(self.read_or_404('virtual-network', net_id,
                                                              'NetworkNotFound', 'Network'))}

    def list_networks(self, filters):
        vns = self.vnc.list('virtual-network', **_parent_filter(filters))
        nets = [self.network_dict(vn) for vn in vns]
        return {'networks': _filtered(nets, filters)}

    def update_network(self, net_id, body):
        net = body.get('network') or {}
        self.read_or_404('virtual-network', net_id, 'NetworkNotFound', 'Network')
        update = {}
        if 'name' in net:
            update['display_name'] = net['name']
        if 'admin_state_up' in net:
            update['id_perms'] = {'enable': bool(net['admin_state_up'])}
        if 'shared' in net:
            update['is_shared'] = bool(net['shared'])
        if update:
            self.vnc.update('virtual-network', net_id, update)
        return self.get_network(net_id)

    def delete_network(self, net_id):
        self.read_or_404('virtual-network', net_id, 'NetworkNotFound', 'Network')
        try:
            self.vnc.delete('virtual-network', net_id)
        except ContrailError as exc:
            if exc.status == 409:
                raise NeutronError(409, 'NetworkInUse', 'Unable to complete operation on '
                                   'network %s. There are one or more ports still in use on '
                                   'the network.' % net_id)
            raise

    # subnets
    def create_subnet(self, body):
        sub = body.get('subnet') or {}
        net_id, cidr = sub.get('network_id'), sub.get('cidr')
        if not net_id or not cidr:
            raise NeutronError(400, 'BadRequest', "Invalid input: 'network_id' and 'cidr' "
                               "are required")
        match = re.match(r'^(\d+\.\d+\.\d+\.\d+)/(\d+)$', cidr)
        if not match:
            raise NeutronError(400, 'BadRequest', "Invalid input: '%s' is not a valid IP "
                               "subnet" % cidr)
        vn = self.read_or_404('virtual-network', net_id, 'NetworkNotFound', 'Network')
        subnet = {'subnet': {'ip_prefix': match.group(1), 'ip_prefix_len': int(match.group(2))},
                  'default_gateway': sub.get('gateway_ip') or _first_host(match.group(1)),
                  'subnet_uuid': str(uuid.uuid4()), 'subnet_name': sub.get('name', ''),
                  'enable_dhcp': sub.get('enable_dhcp', True), 'addr_from_start': True,
                  'allocation_pools': sub.get('allocation_pools', [])}
        refs = vn.get('network_ipam_refs') or [
            {'to': IPAM_FQ_NAME, 'attr': {'ipam_subnets': []}}]
        refs[0].setdefault('attr', {}).setdefault('ipam_subnets', []).append(subnet)
        self.vnc.update('virtual-network', net_id, {'network_ipam_refs': refs})
        return {'subnet': _subnet_dict(vn, subnet)}

    def _all_subnets(self):
        for vn in self.vnc.list('virtual-network'):
            for subnet in _ipam_subnets(vn):
                yield vn, subnet

    def list_subnets(self, filters):
        subnets = [_subnet_dict(vn, s) for vn, s in self._all_subnets()]
        return {'subnets': _filtered(subnets, filters)}

    def find_subnet(self, subnet_id):
        for vn, subnet in self._all_subnets():
            if subnet['subnet_uuid'] == subnet_id:
                return vn, subnet
        raise NeutronError(404, 'SubnetNotFound', 'Subnet %s could not be found.' % subnet_id)

    def get_subnet(self, subnet_id):
        return {'subnet': _subnet_dict(*self.find_subnet(subnet_id))}

    def delete_subnet(self, subnet_id):
        vn, _ = self.find_subnet(subnet_id)
        refs = vn['network_ipam_refs']
        for ref in refs:
            subnets = ref.get('attr', {}).get('ipam_subnets', [])
            ref['attr']['ipam_subnets'] = [s for s in subnets if s['subnet_uuid'] != subnet_id]
        try:
            self.vnc.update('virtual-network', vn['uuid'], {'network_ipam_refs': refs})
        except ContrailError as exc:
            if exc.status == 409:
                raise NeutronError(409, 'SubnetInUse', 'Unable to complete operation on subnet '
                                   '%s: one or more ports have an IP allocation from this '
                                   'subnet.' % subnet_id)
            raise

    # ports
    def create_port(self, body):
        port = body.get('port') or {}
        vn = self.read_or_404('virtual-network', port.get('network_id') or '',
                              'NetworkNotFound', 'Network')
        port_id = str(uuid.uuid4())
        vmi = {'parent_type': 'project', 'fq_name': vn['fq_name'][:-1] + [port_id],
               'uuid': port_id, 'display_name': port.get('name', ''),
               'virtual_network_refs': [{'to': vn['fq_name'], 'uuid': vn['uuid']}],
               'virtual_machine_interface_device_owner': port.get('device_owner', ''),
               'id_perms': {'enable': port.get('admin_state_up', True)}}
        if port.get('mac_address'):
            vmi['virtual_machine_interface_mac_addresses'] = {'mac_address': [port['mac_address']]}
        self.vnc.create('virtual-machine-interface', vmi)
        try:
            for fixed in port.get('fixed_ips') or [{}]:
                self.create_instance_ip(vn, port_id, fixed.get('ip_address'))
        except ContrailError:
            self.delete_port(port_id)  # the plugin rolls the port back when no IP is allocated
            raise
        return self.get_port(port_id)

    def create_instance_ip(self, vn, port_id, address):
        iip = {'fq_name': [str(uuid.uuid4())],
               'virtual_network_refs': [{'to': vn['fq_name'], 'uuid': vn['uuid']}],
               'virtual_machine_interface_refs': [
                   {'to': vn['fq_name'][:-1] + [port_id], 'uuid': port_id}]}
        if address:
            iip['instance_ip_address'] = address
        self.vnc.create('instance-ip', iip)

    def port_dict(self, vmi, iips):
        vn_refs = vmi.get('virtual_network_refs') or [{}]
        macs = vmi.get('virtual_machine_interface_mac_addresses', {}).get('mac_address') or ['']
        return {'id': vmi['uuid'], 'name': vmi.get('display_name', ''),
                'network_id': vn_refs[0].get('uuid', ''),
                'tenant_id': _hex(vmi.get('parent_uuid', '')),
                'project_id': _hex(vmi.get('parent_uuid', '')),
                'mac_address': macs[0], 'admin_state_up': True, 'status': 'DOWN',
                'device_owner': vmi.get('virtual_machine_interface_device_owner', ''),
                'device_id': '',
                'fixed_ips': [{'ip_address': iip.get('instance_ip_address', '')}
                              for iip in iips]}

    def instance_ips_by_port(self):
        by_port = {}
        for iip in self.vnc.list('instance-ip'):
            for ref in iip.get('virtual_machine_interface_refs') or []:
                by_port.setdefault(ref.get('uuid'), []).append(iip)
        return by_port

    def list_ports(self, filters):
        params = {}
        if filters.get('network_id'):
            params['back_ref_id'] = filters['network_id']
        vmis = self.vnc.list('virtual-machine-interface', **params)
        iips = self.instance_ips_by_port()
        ports = [self.port_dict(v, iips.get(v['uuid'], [])) for v in vmis]
        return {'ports': _filtered(ports, filters)}

    def get_port(self, port_id):
        vmi = self.read_or_404('virtual-machine-interface', port_id, 'PortNotFound', 'Port')
        iips = [self.vnc.read('instance-ip', ref['uuid'])
                for ref in vmi.get('instance_ip_back_refs') or []]
        return {'port': self.port_dict(vmi, iips)}

    def delete_port(self, port_id):
        vmi = self.read_or_404('virtual-machine-interface', port_id, 'PortNotFound', 'Port')
        for ref in vmi.get('instance_ip_back_refs') or []:
            self.vnc.delete('instance-ip', ref['uuid'])
        self.vnc.delete('virtual-machine-interface', port_id)

    # helpers
    def read_or_404(self, rtype, obj_uuid, kind, label):
        try:
            return self.vnc.read(rtype, obj_uuid)
        except ContrailError as exc:
            if exc.status == 404:
                raise NeutronError(404, kind, '%s %s could not be found.' % (label, obj_uuid))
            raise


def _ipam_subnets(vn):
    for ref in vn.get('network_ipam_refs') or []:
        for subnet in (ref.get('attr') or {}).get('ipam_subnets') or []:
            yield subnet


def _subnet_dict(vn, subnet):
    prefix = subnet['subnet']
    return {'id': subnet['subnet_uuid'], 'name': subnet.get('subnet_name', ''),
            'network_id': vn['uuid'], 'tenant_id': _hex(vn.get('parent_uuid', '')),
            'cidr': '%s/%s' % (prefix['ip_prefix'], prefix['ip_prefix_len']), 'ip_version': 4,
            'gateway_ip': subnet.get('default_gateway'),
            'enable_dhcp': subnet.get('enable_dhcp', True),
            'allocation_pools': subnet.get('allocation_pools', [])}


def _first_host(network_address):
    parts = network_address.split('.')
    return '.'.join(parts[:3] + [str(int(parts[3]) + 1)])


def _parent_filter(filters):
    tenant = filters.get('tenant_id') or filters.get('project_id')
    return {'parent_id': _uuid(tenant)} if tenant else {}


def _filtered(items, filters):
    """Neutron's list filters: ?field=value (repeatable), exact match on the returned field."""
    wanted = {k: v for k, v in filters.items() if k not in ('fields', 'tenant_id', 'project_id')}
    return [i for i in items if all(str(i.get(k)) in v.split('\0') for k, v in wanted.items())]


# -- HTTP front ---------------------------------------------------------------------------------

ROUTES = [
    ('POST', r'/v2.0/networks', 'create_network', True),
    ('GET', r'/v2.0/networks', 'list_networks', False),
    ('GET', r'/v2.0/networks/([^/]+)', 'get_network', False),
    ('PUT', r'/v2.0/networks/([^/]+)', 'update_network', True),
    ('DELETE', r'/v2.0/networks/([^/]+)', 'delete_network', False),
    ('POST', r'/v2.0/subnets', 'create_subnet', True),
    ('GET', r'/v2.0/subnets', 'list_subnets', False),
    ('GET', r'/v2.0/subnets/([^/]+)', 'get_subnet', False),
    ('DELETE', r'/v2.0/subnets/([^/]+)', 'delete_subnet', False),
    ('POST', r'/v2.0/ports', 'create_port', True),
    ('GET', r'/v2.0/ports', 'list_ports', False),
    ('GET', r'/v2.0/ports/([^/]+)', 'get_port', False),
    ('DELETE', r'/v2.0/ports/([^/]+)', 'delete_port', False),
]
CONTRAIL_TO_NEUTRON = {400: 'BadRequest', 404: 'NotFound', 409: 'Conflict'}
VERSIONS = {'versions': [{'status': 'CURRENT', 'id': 'v2.0', 'links': []}]}


def make_handler(plugin):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'neutron-server'

        def log_message(self, fmt, *args):
            sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

        def do_GET(self):
            self.dispatch('GET')

        def do_POST(self):
            self.dispatch('POST')

        def do_PUT(self):
            self.dispatch('PUT')

        def do_DELETE(self):
            self.dispatch('DELETE')

        def dispatch(self, method):
            url = urllib.parse.urlsplit(self.path)
            path = re.sub(r'\.json$', '', url.path.rstrip('/')) or '/'
            try:
                status, body = self.route(method, path, url.query)
            except NeutronError as exc:
                status, body = exc.status, exc.body()
            except ContrailError as exc:
                status = exc.status if exc.status in CONTRAIL_TO_NEUTRON else 503
                kind = CONTRAIL_TO_NEUTRON.get(exc.status, 'ServiceUnavailable')
                status, body = status, NeutronError(status, kind, exc.text).body()
            self.reply(status, body)

        def route(self, method, path, query):
            if method == 'GET' and path in ('/', '/v2.0'):
                return 200, VERSIONS
            for verb, pattern, name, has_body in ROUTES:
                match = re.fullmatch(pattern, path)
                if verb != method or not match:
                    continue
                args = list(match.groups())
                if has_body:
                    args.append(self.read_body())
                elif not args:
                    args.append(_query(query))
                result = getattr(plugin, name)(*args)
                if method == 'DELETE':
                    return 204, None
                return (201 if method == 'POST' else 200), result
            raise NeutronError(404, 'HTTPNotFound', 'The resource could not be found.')

        def read_body(self):
            length = int(self.headers.get('Content-Length') or 0)
            try:
                return json.loads(self.rfile.read(length) or b'{}')
            except ValueError:
                raise NeutronError(400, 'BadRequest', 'Malformed request body')

        def reply(self, status, body):
            data = json.dumps(body).encode() if body is not None else b''
            self.send_response(status)
            if body is not None:
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _query(query):
    """Query string -> {field: value} (repeated fields joined with NUL, for _filtered)."""
    result = {}
    for key, value in urllib.parse.parse_qsl(query):
        result[key] = result[key] + '\0' + value if key in result else value
    return result


def load_config(paths):
    config = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(';',))
    read = config.read(paths)
    if len(read) != len(paths):
        raise SystemExit('neutron-server: cannot read %s' % sorted(set(paths) - set(read)))
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(prog='neutron-server')
    parser.add_argument('--config-file', action='append', required=True)
    args = parser.parse_args(argv)
    config = load_config(args.config_file)
    # With neutron.conf's auth_strategy=keystone the plugin authenticates to the API with
    # ContrailPlugin.ini's [KEYSTONE] admin credentials; [APISERVER] use_ssl / cafile for HTTPS.
    source = None
    if config.get('DEFAULT', 'auth_strategy', fallback='noauth') == 'keystone':
        source = keystone.TokenSource(config.get('KEYSTONE', 'auth_url'),
                                      config.get('KEYSTONE', 'admin_user'),
                                      config.get('KEYSTONE', 'admin_password'),
                                      config.get('KEYSTONE', 'admin_tenant_name', fallback='admin'))
    vnc = VncClient(config.get('APISERVER', 'api_server_ip', fallback='127.0.0.1'),
                    config.get('APISERVER', 'api_server_port', fallback='8082'),
                    use_ssl=tls.enabled(config.get('APISERVER', 'use_ssl', fallback='')),
                    cafile=config.get('APISERVER', 'cafile', fallback=None), keystone=source)
    host = config.get('DEFAULT', 'bind_host', fallback='0.0.0.0')
    port = config.getint('DEFAULT', 'bind_port', fallback=9696)
    server = ThreadingHTTPServer((host, port), make_handler(ContrailPlugin(vnc)))
    server.daemon_threads = True
    sys.stderr.write('neutron-server listening on %s:%d, Contrail API %s\n' % (host, port,
                                                                                vnc.base))
    server.serve_forever()


if __name__ == '__main__':
    main()
