"""Lab provisioning through the config REST API, as provision_control.py / provision_vrouter.py do.

    python3 -m contrail_sim.provision --api-server 10.99.0.11:8082 --asn 64512 --ibgp-auto-mesh \
        --control-node lab-v1-ctrl1:10.99.0.11 --config-node lab-v1-ctrl1:10.99.0.11 \
        --analytics-node lab-v1-ctrl1:10.99.0.11 --database-node lab-v1-ctrl1:10.99.0.11 \
        --vrouter lab-compute1:10.99.0.101 --vn-subnet 10.1.0.0/16 --vm lab-compute1-vm1:10.1.1.1:lab-compute1

Creates or updates: the global ASN (and ibgp_auto_mesh), one bgp-router per control node
(router_type control-node, parent ``default-domain:default-project:ip-fabric:__default__``,
referenced by the global-system-config), the config-, analytics- and database-node objects
of the controllers (as provision_config_node.py, provision_analytics_node.py and
provision_database_node.py leave them: parent ``default-global-system-config``, property
``<type>_ip_address``), one virtual-router per compute, project
``default-domain:admin`` and its network ``lab-vn`` on the default IPAM, and per ``--vm`` what
nova and the neutron plugin create for a VM port: virtual-machine, virtual-machine-interface
(in the project, on lab-vn), instance-ip, and the virtual-router's ref to the VM. Idempotent.

Also holds ``VncRest``, the small stdlib REST client the lab's daemons use (schema transformer).
"""
import argparse
import configparser
import ipaddress
import json
import sys
import time
import urllib.error
import urllib.request

from contrail_sim import keystone, tls

IP_FABRIC_RI = ['default-domain', 'default-project', 'ip-fabric', '__default__']
GSC = ['default-global-system-config']
IPAM = ['default-domain', 'default-project', 'default-network-ipam']
ADDRESS_FAMILIES = ['route-target', 'inet-vpn', 'e-vpn', 'erm-vpn', 'inet6-vpn']


class RestError(Exception):
    def __init__(self, status, text):
        Exception.__init__(self, '%s %s' % (status, text))
        self.status = status
        self.text = text


class VncRest(object):
    """Minimal contrail-api client over urllib (the lab containers have no vnc_api)."""

    def __init__(self, server, token=None, timeout=30, useragent='lab:contrail-sim', use_ssl=False,
                 cafile=None, keystone=None):
        self.base = '%s://%s' % ('https' if use_ssl else 'http', server)
        self.context = tls.client_context(cafile) if use_ssl else None
        self.timeout = timeout
        self.keystone = keystone            # a keystone.TokenSource, or None
        self.headers = {'Content-Type': 'application/json; charset="UTF-8"',
                        'X-Contrail-Useragent': useragent}
        if token:
            self.headers['X-Auth-Token'] = token

    @classmethod
    def from_conf(cls, conf, useragent, lib_ini='/etc/contrail/vnc_api_lib.ini'):
        """As a config daemon's VncApi: api_server_ip/port/use_ssl and [KEYSTONE] of its conf,
        the CA of vnc_api_lib.ini's [global] cafile."""
        lib = configparser.ConfigParser(interpolation=None)
        lib.read(lib_ini)
        return cls('%s:%s' % (conf['api_server_ip'], conf['api_server_port']), conf.get('lab_token'),
                   useragent=useragent, use_ssl=tls.enabled(conf.get('api_server_use_ssl')),
                   cafile=lib.get('global', 'cafile', fallback=None),
                   keystone=keystone.TokenSource.from_conf(conf))

    def request(self, method, path, body=None):
        for attempt in (1, 2):
            headers = dict(self.headers)
            if self.keystone is not None:
                headers['X-Auth-Token'] = self.keystone.token(refresh=attempt == 2) or ''
            data = json.dumps(body).encode() if body is not None else None
            req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                    raw = resp.read()
                return json.loads(raw) if raw.strip() else None
            except urllib.error.HTTPError as err:
                if err.code == 401 and self.keystone is not None and attempt == 1:
                    continue                # the token expired: log in again, once
                raise RestError(err.code, err.read().decode(errors='replace'))

    def wait_ready(self, seconds):
        """Poll the homepage until it answers (bounded)."""
        deadline = time.time() + seconds
        while True:
            try:
                return self.request('GET', '/')
            except (OSError, RestError) as exc:
                if time.time() > deadline:
                    raise RuntimeError('contrail-api at %s not answering: %s' % (self.base, exc))
                time.sleep(0.5)

    def fq_name_to_id(self, rtype, fq_name):
        try:
            return self.request('POST', '/fqname-to-id', {'type': rtype, 'fq_name': fq_name})['uuid']
        except RestError as err:
            if err.status == 404:
                return None
            raise

    def read(self, rtype, obj_uuid, query=''):
        return self.request('GET', '/%s/%s%s' % (rtype, obj_uuid, query))[rtype]

    def create(self, rtype, body):
        return self.request('POST', '/%ss' % rtype, {rtype: body})[rtype]['uuid']

    def update(self, rtype, obj_uuid, body):
        return self.request('PUT', '/%s/%s' % (rtype, obj_uuid), {rtype: body})

    def delete(self, rtype, obj_uuid):
        return self.request('DELETE', '/%s/%s' % (rtype, obj_uuid))

    def list(self, rtype, detail=False, query=''):
        suffix = '?detail=true' if detail else ''
        if query:
            suffix += ('&' if suffix else '?') + query
        items = self.request('GET', '/%ss%s' % (rtype, suffix))['%ss' % rtype]
        return [i[rtype] for i in items] if detail else items

    def ref_update(self, rtype, obj_uuid, ref_type, ref_uuid, operation, attr=None):
        return self.request('POST', '/ref-update', {
            'type': rtype, 'uuid': obj_uuid, 'ref-type': ref_type, 'ref-uuid': ref_uuid,
            'ref-fq-name': None, 'operation': operation, 'attr': attr})

    def ensure(self, rtype, body, update_keys=()):
        """Create the object or, when it exists, update ``update_keys``; returns its uuid."""
        obj_uuid = self.fq_name_to_id(rtype, body['fq_name'])
        if obj_uuid is None:
            try:
                return self.create(rtype, body)
            except RestError as err:
                if err.status != 409:
                    raise
                obj_uuid = self.fq_name_to_id(rtype, body['fq_name'])
        changes = dict((k, body[k]) for k in update_keys if k in body)
        if changes:
            self.update(rtype, obj_uuid, changes)
        return obj_uuid


def _name_ip(value):
    name, sep, ip = value.partition(':')
    if not sep or not name or not ip:
        raise argparse.ArgumentTypeError('expected name:ip, got %r' % value)
    ipaddress.ip_address(ip)
    return name, ip


def _vm_spec(value):
    """NAME:IP:VROUTER"""
    parts = value.split(':')
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError('expected name:ip:vrouter, got %r' % value)
    ipaddress.ip_address(parts[1])
    return tuple(parts)


def bgp_router_body(name, ip, asn):
    params = {'vendor': 'contrail', 'router_type': 'control-node', 'autonomous_system': asn,
              'identifier': ip, 'address': ip, 'port': 179, 'hold_time': 90, 'admin_down': False,
              'address_families': {'family': list(ADDRESS_FAMILIES)}}
    return {'fq_name': IP_FABRIC_RI + [name], 'parent_type': 'routing-instance',
            'bgp_router_parameters': params}


def provision(api, args, log=print):
    gsc_uuid = api.fq_name_to_id('global-system-config', GSC)
    if gsc_uuid is None:
        raise RuntimeError('default-global-system-config missing: is contrail-api initialised?')
    gsc = {'autonomous_system': args.asn}
    if args.ibgp_auto_mesh is not None:
        gsc['ibgp_auto_mesh'] = args.ibgp_auto_mesh
    api.update('global-system-config', gsc_uuid, gsc)
    log('global-system-config: autonomous_system=%s ibgp_auto_mesh=%s' % (args.asn, args.ibgp_auto_mesh))
    for name, ip in args.control_node:
        router = api.ensure('bgp-router', bgp_router_body(name, ip, args.asn), ['bgp_router_parameters'])
        api.ref_update('global-system-config', gsc_uuid, 'bgp-router', router, 'ADD')
        log('bgp-router %s %s (%s)' % (name, ip, router))
    for obj_type, nodes in (('config-node', args.config_node), ('analytics-node', args.analytics_node),
                            ('database-node', args.database_node), ('virtual-router', args.vrouter)):
        prop = '%s_ip_address' % obj_type.replace('-', '_')
        for name, ip in nodes:
            body = {'fq_name': GSC + [name], 'parent_type': 'global-system-config', prop: ip}
            log('%s %s %s (%s)' % (obj_type, name, ip, api.ensure(obj_type, body, [prop])))
    project = ['default-domain', args.project]
    api.ensure('project', {'fq_name': project, 'parent_type': 'domain'})
    vn_fq_name = project + [args.vn_name]
    if args.vn_subnet:
        log('virtual-network %s (%s)' % (':'.join(vn_fq_name),
                                         api.ensure('virtual-network', vn_body(project, args))))
    for name, ip, vrouter in args.vm:
        log('virtual-machine %s %s on %s (port %s)'
            % (name, ip, vrouter, provision_vm(api, project, vn_fq_name, name, ip, vrouter)))


def provision_vm(api, project, vn_fq_name, name, ip, vrouter):
    """One VM port as nova + the Contrail neutron plugin leave it in the config API."""
    vm = api.ensure('virtual-machine', {'fq_name': [name]})
    vmi = api.ensure('virtual-machine-interface', {
        'fq_name': project + [name + '-port'], 'parent_type': 'project',
        'virtual_machine_refs': [{'to': [name]}], 'virtual_network_refs': [{'to': vn_fq_name}]})
    api.ensure('instance-ip', {
        'fq_name': [name + '-ip'], 'instance_ip_address': ip, 'instance_ip_family': 'v4',
        'virtual_network_refs': [{'to': vn_fq_name}],
        'virtual_machine_interface_refs': [{'to': project + [name + '-port']}]})
    vr_uuid = api.fq_name_to_id('virtual-router', GSC + [vrouter])
    if vr_uuid is None:
        raise RuntimeError('VM %s: virtual-router %s is not provisioned' % (name, vrouter))
    api.ref_update('virtual-router', vr_uuid, 'virtual-machine', vm, 'ADD')
    return vmi


def vn_body(project, args):
    net = ipaddress.ip_network(args.vn_subnet, strict=False)
    subnet = {'subnet': {'ip_prefix': str(net.network_address), 'ip_prefix_len': net.prefixlen},
              'default_gateway': str(net.network_address + 1), 'dns_server_address': str(net.network_address + 2),
              'enable_dhcp': True, 'addr_from_start': True}
    return {'fq_name': project + [args.vn_name], 'parent_type': 'project',
            'network_ipam_refs': [{'to': IPAM, 'attr': {'ipam_subnets': [subnet]}}]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='provision the lab through contrail-api')
    parser.add_argument('--api-server', required=True, help='ip:port')
    parser.add_argument('--asn', type=int, default=64512)
    parser.add_argument('--ibgp-auto-mesh', dest='ibgp_auto_mesh', action='store_true', default=None)
    parser.add_argument('--no-ibgp-auto-mesh', dest='ibgp_auto_mesh', action='store_false')
    parser.add_argument('--control-node', type=_name_ip, action='append', default=[], metavar='NAME:IP')
    for node_type in ('config-node', 'analytics-node', 'database-node', 'vrouter'):
        parser.add_argument('--' + node_type, type=_name_ip, action='append', default=[], metavar='NAME:IP')
    parser.add_argument('--vm', type=_vm_spec, action='append', default=[],
                        metavar='NAME:IP:VROUTER', help='a VM port on the network (repeatable)')
    parser.add_argument('--project', default='admin')
    parser.add_argument('--vn-name', default='lab-vn')
    parser.add_argument('--vn-subnet', default=None, help='e.g. 10.1.0.0/16')
    parser.add_argument('--token', default=None)
    parser.add_argument('--use-ssl', action='store_true', help='the API serves HTTPS')
    parser.add_argument('--cafile', default=None, help="CA of the API's certificate")
    parser.add_argument('--os-auth-url', default=None, help='keystone, e.g. http://10.99.0.5:35357/v2.0')
    parser.add_argument('--os-username', default='admin')
    parser.add_argument('--os-password', default=None)
    parser.add_argument('--os-tenant-name', default='admin')
    parser.add_argument('--wait', type=float, default=60, help='seconds to wait for the API')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    source = keystone.TokenSource(args.os_auth_url, args.os_username, args.os_password or '',
                                  args.os_tenant_name) if args.os_auth_url else None
    api = VncRest(args.api_server, args.token, useragent='lab:provision', use_ssl=args.use_ssl,
                  cafile=args.cafile, keystone=source)
    try:
        api.wait_ready(args.wait)
        provision(api, args)
    except (RuntimeError, RestError, OSError) as exc:
        print('provision failed: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
