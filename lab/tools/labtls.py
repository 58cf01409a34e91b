"""How the lab's own tools reach a TLS lab (`labctl up --tls`): the lab's CA, keystone's admin
token, and the config API's URL. One place for labctl, the e2e tests and the verifiers.

The lab's CA and server certificate are made by labctl into lab/.build/tls and mounted at
/etc/contrail/ssl on the lab's nodes; keystone runs on the openstack node (HTTP, 5000 / 35357)
with the admin credentials the lab's services are provisioned with.
"""
import json
import os
import urllib.request

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TLS_DIR = os.path.join(LAB, '.build', 'tls')
CA_FILE = os.path.join(TLS_DIR, 'ca.pem')
SSL_MOUNT = '/etc/contrail/ssl'
VIP = '10.99.0.5'
KEYSTONE_URL = 'http://%s:35357/v2.0' % VIP
KEYSTONE_ADMIN = ('admin', 'contrail123', 'admin')


def enabled():
    """Whether the lab the caller works on is a TLS lab (LAB_TLS=1, as `labctl up` reads it)."""
    return os.environ.get('LAB_TLS') == '1'


def keystone_token(timeout=5.0):
    """A token for the lab's admin (identity v2.0)."""
    user, password, tenant = KEYSTONE_ADMIN
    body = json.dumps({'auth': {'tenantName': tenant, 'passwordCredentials': {
        'username': user, 'password': password}}}).encode()
    req = urllib.request.Request(KEYSTONE_URL + '/tokens', data=body,
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())['access']['token']['id']


def api_url(address, tls, port=8082):
    return '%s://%s:%d' % ('https' if tls else 'http', address, port)


#: Where the official ``vnc_api`` keeps the CA bundles it makes of ``apicafile`` for a server
#: (``/tmp/<address with _>/<name>``), per address, across processes and checkouts.
VNC_API_BUNDLE_ROOT = '/tmp'
VNC_API_BUNDLE_NAMES = ('apiservercertbundle.pem', 'keystonecertbundle.pem')


def forget_stale_vnc_api_bundles(ca_file=CA_FILE, root=VNC_API_BUNDLE_ROOT, names=VNC_API_BUNDLE_NAMES):
    """Remove vnc_api's cached CA bundles that do not hold this lab's CA -> the paths removed.

    vnc_api remakes a bundle only when the CA file is newer than it, so a lab whose CA is older
    than a bundle another checkout's lab left (same addresses, another CA) fails certificate
    verification with a bare ``ConnectionError``."""
    with open(ca_file) as handle:
        ca = handle.read()
    removed = []
    for entry in sorted(os.listdir(root)):
        for name in names:
            path = os.path.join(root, entry, name)
            if entry.count('_') == 3 and os.path.isfile(path):
                with open(path) as handle:
                    if handle.read() != ca:
                        os.unlink(path)
                        removed.append(path)
    return removed


def vnc_api_kwargs(tls):
    """Keyword arguments of the official ``vnc_api.VncApi`` for the lab (keystone and the CA with
    TLS; nothing without). With TLS, vnc_api's cached bundles of another lab's CA are dropped
    first."""
    if not tls:
        return {}
    forget_stale_vnc_api_bundles()
    user, password, tenant = KEYSTONE_ADMIN
    return dict(username=user, password=password, tenant_name=tenant, api_server_use_ssl=True,
                apicafile=CA_FILE, auth_type='keystone', auth_host=VIP, auth_port=35357,
                auth_protocol='http', auth_url='/v2.0/tokens')
