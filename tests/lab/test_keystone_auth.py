# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config API client's keystone auth (v3 and v2.0 password tokens) against the lab.

A keystone (lab/sim/contrail_sim/keystone.py) is started on the openstack node, where a real
one listens (5000 public, 35357 admin), and a second v1 config API server on lab-v1-ctrl1
(port 18082, same config DB) with ``auth=keystone``: it checks each X-Auth-Token with keystone
as the auth_token middleware does. Both are stopped afterwards.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.lab

API_NODE, API_HOST, API_PORT = 'lab-v1-ctrl1', '10.99.0.11', 18082
KEYSTONE_NODE, KEYSTONE = 'lab-openstack', '10.99.0.5'
OPERATOR, SECRET = 'issu-operator', 'op-s3cret-42'
AUTH_CONF = '/tmp/itest-keystone-auth.conf'
SIM_ENV = ['-e', 'PYTHONPATH=/opt/contrail-sim']


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while not _answers(url):
        assert time.monotonic() < deadline, 'nothing answers on %s' % url
        time.sleep(0.2)


@pytest.fixture(scope='module')
def keystone_api(lab):
    lab.podman('exec', '-d', *SIM_ENV, KEYSTONE_NODE, 'python3', '-m', 'contrail_sim.keystone',
               '--listen', '0.0.0.0:5000', '--listen', '0.0.0.0:35357',
               '--user', 'admin:contrail123:admin:admin', '--user', '%s:%s:admin:admin' % (OPERATOR, SECRET))
    conf = ('[DEFAULTS]\nauth=keystone\naaa_mode=cloud-admin\n[KEYSTONE]\n'
            'auth_url=http://%s:35357/v2.0\nadmin_user=admin\nadmin_password=contrail123\n'
            'admin_tenant_name=admin\n' % KEYSTONE)
    lab.exec(API_NODE, 'sh', '-c', 'cat > %s <<EOF\n%sEOF' % (AUTH_CONF, conf))
    lab.podman('exec', '-d', *SIM_ENV, '-e', 'CONTRAIL_VERSION=v1',
               '-e', 'CONTRAIL_CLUSTER_ID=v1', API_NODE, 'python3', '-m', 'contrail_sim.api_server',
               '--conf_file', '/etc/contrail/contrail-api.conf', '--conf_file', AUTH_CONF,
               '--listen_port', str(API_PORT), '--http_server_port', '18084')
    _wait_for('http://%s:5000/v3' % KEYSTONE)
    _wait_for('http://%s:%d/' % (API_HOST, API_PORT))
    yield
    lab.exec(API_NODE, 'pkill', '-f', AUTH_CONF, check=False)
    lab.exec(API_NODE, 'rm', '-f', AUTH_CONF, check=False)
    lab.exec(KEYSTONE_NODE, 'pkill', '-f', 'contrail_sim.keystone', check=False)


def connection(**extra):
    params = dict(api_server_host=API_HOST, api_server_port=API_PORT, api_retries=0)
    params.update(extra)
    return params


@pytest.mark.parametrize('auth_url', ['http://%s:5000/v3' % KEYSTONE, 'http://%s:35357/v2.0' % KEYSTONE])
def test_keystone_token_opens_the_api(run_module, keystone_api, auth_url):
    result = run_module('contrail_api_info', connection(
        auth_type='keystone', keystone_auth_url=auth_url, username=OPERATOR, password=SECRET,
        tenant_name='admin'))
    assert not result.get('failed'), result.get('msg')
    assert result['asn'] == 64512 and 'bgp-router' in result['resource_types']


def test_without_a_token_the_api_says_401(run_module, keystone_api):
    result = run_module('contrail_api_info', connection())
    assert result.get('failed')
    assert '401' in result['msg'] and 'Authentication required' in result['msg'], result['msg']


def test_wrong_password_is_a_clear_error_that_hides_the_password(run_module, keystone_api):
    output = run_module('contrail_api_info', connection(
        auth_type='keystone', keystone_auth_url='http://%s:5000/v3' % KEYSTONE, username=OPERATOR,
        password='not-' + SECRET, tenant_name='admin'), raw=True)
    assert 'keystone authentication failed' in output and '401' in output, output[-2000:]
    assert 'not-' + SECRET not in output
