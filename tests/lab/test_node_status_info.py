# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_status_info against the lab's agents and control nodes (NodeStatus over introspect).

A healthy lab is Functional by Contrail's own measure; with v1's contrail-dns stopped the
agents lose their DNS XMPP channel and report Non-Functional, which the module must name.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.lab

DNS = ('exec', 'lab-v1-ctrl1', 'supervisorctl', '-s', 'unix:///var/run/supervisord_control.sock')


def test_healthy_agent_and_control_node_are_functional(run_module, lab):
    for host, port, module_id, connection in (
            ('10.99.0.101', 8085, 'contrail-vrouter-agent', 'XMPP'),
            ('10.99.0.11', 8083, 'contrail-control', 'Database')):
        result = run_module('node_status_info', dict(host=host, port=port, functional=True), check=True)
        assert not result.get('failed') and not result['changed'], result
        assert result['functional'] and result['not_functional'] == []
        assert [p['module_id'] for p in result['processes']] == [module_id]
        assert any(c['type'] == connection for c in result['processes'][0]['connection_infos'])


@pytest.fixture
def dns_stopped(lab):
    lab.podman(*(DNS + ('stop', 'contrail-dns')))
    yield
    lab.podman(*(DNS + ('start', 'contrail-dns')))


def test_an_agent_without_dns_is_reported_not_functional(run_module, lab, dns_stopped):
    args = dict(host='10.99.0.101', port=8085)
    seen = run_module('node_status_info', dict(args, functional=True, wait=True, wait_timeout=20,
                                               wait_interval=0.5))
    assert seen['failed'] and 'is not Functional after 20s' in seen['msg'], seen
    assert 'dns-server:10.99.0.11' in seen['msg']
    assert seen['not_functional'] and seen['processes'][0]['state'] == 'Non-Functional'
    # Without functional=true it only reads.
    read = run_module('node_status_info', args)
    assert not read.get('failed') and read['functional'] is False


def test_a_port_without_introspect_fails_with_the_address(run_module, lab):
    result = run_module('node_status_info', dict(host='10.99.0.101', port=1, timeout=2))
    assert result['failed'] and '10.99.0.101:1' in result['msg']
