"""The official Contrail client (vnc_api, PyPI contrail-api-client) against the lab's contrail-api.

Marker ``lab``: the v1 API of the running lab (10.99.0.11:8082), or with LAB_DEV_SERVICES=1 an
API server started on the host against the dev services (see test_api_server.py).
What is checked is what the ISSU tooling relies on: homepage parsing, CRUD of bgp-router,
project and virtual-network, fq_name_to_id, ref_update with BgpPeeringAttributes,
bgp_routers_list(detail=True), server-allocated network ids, and the client exceptions a real
server causes (NoIdError on 404, RefsExistError on 409).
"""
import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api_server import v1  # noqa: E402,F401  (session fixture: the API under test)

vnc_api = pytest.importorskip('vnc_api.vnc_api')
xsd = pytest.importorskip('vnc_api.gen.resource_xsd')

pytestmark = pytest.mark.lab
FABRIC_RI = ['default-domain', 'default-project', 'ip-fabric', '__default__']


@pytest.fixture(scope='module')
def client(v1):  # noqa: F811
    host, port = v1.url[len('http://'):].rsplit(':', 1)
    return vnc_api.VncApi(api_server_host=host, api_server_port=int(port))


def _suffix():
    return uuid.uuid4().hex[:8]


def _router(name, ip, ri):
    params = xsd.BgpRouterParams(vendor='contrail', router_type='control-node', autonomous_system=64512,
                                 identifier=ip, address=ip, port=179,
                                 address_families=xsd.AddressFamilies(family=['inet-vpn', 'route-target']))
    return vnc_api.BgpRouter(name, ri, bgp_router_parameters=params)


def test_homepage_parsed_by_client(client, v1):  # noqa: F811
    assert client._srv_root_url == v1.url
    actions = client._action_uri
    for name, uri in (('name-to-id', '/fqname-to-id'), ('id-to-name', '/id-to-fqname'),
                      ('ref-update', '/ref-update'), ('useragent-keyvalue', '/useragent-kv'),
                      ('list-bulk-collection', '/list-bulk-collection')):
        assert actions.get(name) == uri, name
    assert vnc_api.VirtualNetwork.create_uri == '/virtual-networks'
    assert vnc_api.BgpRouter.resource_uri_base['bgp-router'] == '/bgp-router'


def test_project_and_network_crud(client):
    project = vnc_api.Project('vc-%s' % _suffix(), vnc_api.Domain('default-domain'))
    project_id = client.project_create(project)
    vn = vnc_api.VirtualNetwork('vn', project)
    vn_id = client.virtual_network_create(vn)
    read = client.virtual_network_read(id=vn_id)
    assert read.get_fq_name() == project.get_fq_name() + ['vn']
    assert isinstance(read.virtual_network_network_id, int) and read.virtual_network_network_id > 0
    other = client.virtual_network_read(id=client.virtual_network_create(vnc_api.VirtualNetwork('vn2', project)))
    assert other.virtual_network_network_id != read.virtual_network_network_id
    assert client.fq_name_to_id('virtual-network', read.get_fq_name()) == vn_id
    read.set_display_name('renamed')
    client.virtual_network_update(read)
    assert client.virtual_network_read(fq_name=read.get_fq_name()).display_name == 'renamed'
    with pytest.raises(vnc_api.RefsExistError):
        client.virtual_network_create(vnc_api.VirtualNetwork('vn', project))
    with pytest.raises(vnc_api.RefsExistError):
        client.project_delete(id=project_id)
    client.virtual_network_delete(id=vn_id)
    client.virtual_network_delete(id=other.uuid)
    with pytest.raises(vnc_api.NoIdError):
        client.virtual_network_read(id=vn_id)
    client.project_delete(id=project_id)
    with pytest.raises(vnc_api.NoIdError):
        client.project_read(id=project_id)


def test_bgp_router_peering(client):
    ri = client.routing_instance_read(fq_name=FABRIC_RI)
    suffix = _suffix()
    r1 = client.bgp_router_read(id=client.bgp_router_create(_router('vc1-' + suffix, '192.0.2.1', ri)))
    r2 = client.bgp_router_read(id=client.bgp_router_create(_router('vc2-' + suffix, '192.0.2.2', ri)))
    assert r1.get_bgp_router_parameters().router_type == 'control-node'
    attr = xsd.BgpPeeringAttributes(session=[xsd.BgpSession(attributes=[
        xsd.BgpSessionAttributes(address_families=xsd.AddressFamilies(family=['inet-vpn']))])])
    client.ref_update('bgp-router', r1.uuid, 'bgp-router', r2.uuid, None, 'ADD', attr)
    routers = dict((r.uuid, r) for r in client.bgp_routers_list(detail=True))
    assert r1.uuid in routers and r2.uuid in routers
    # stored on both rows; the schema transformer's iBGP auto-mesh may add the lab's own control
    # nodes (same ASN), as the real one does
    peers_of_r2 = dict((p['uuid'], p) for p in routers[r2.uuid].get_bgp_router_refs())
    assert r1.uuid in peers_of_r2
    session = peers_of_r2[r1.uuid]['attr'].session[0]
    assert session.attributes[0].address_families.family == ['inet-vpn']
    with pytest.raises(vnc_api.RefsExistError):
        client.bgp_router_create(_router('vc1-' + suffix, '192.0.2.1', ri))
    client.bgp_router_delete(id=r1.uuid)
    assert r1.uuid not in [p['uuid'] for p in
                           client.bgp_router_read(id=r2.uuid).get_bgp_router_refs() or []]
    client.bgp_router_delete(id=r2.uuid)
    with pytest.raises(vnc_api.NoIdError):
        client.bgp_router_read(id=r2.uuid)
