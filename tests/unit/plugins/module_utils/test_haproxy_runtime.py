# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy runtime API parsing, addressing and answer checking (answers captured from 2.6)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading

import pytest

from ansible_collections.opencontrail.issu.plugins.module_utils import haproxy_runtime as hr
from ansible_collections.opencontrail.issu.tests.unit.plugins.haproxy_fixtures import SERVERS_STATE_HEADER

SERVERS_STATE = SERVERS_STATE_HEADER + """3 api 1 s1 127.0.0.9 0 0 1 1 4 8 2 0 6 0 0 0 - 19200 - 0 0 - - 0
3 api 2 s2 127.0.0.3 2 8 1 1 0 8 2 0 6 0 0 0 - 19100 - 0 0 - - 0

"""

SHOW_STAT = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,"
    "throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
    "check_duration,addr,\n"
    "fe,FRONTEND,,,0,0,9984,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,,\n"
    "api,s1,0,0,3,5,,7,0,0,,0,,0,0,0,0,DOWN,1,1,0,0,1,159,159,,1,3,1,,0,,2,0,,0,L4CON,,0,"
    "127.0.0.2:19100,\n"
    "api,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT (via api/s1),1,1,0,0,1,159,159,,1,3,2,,0,,2,0,"
    ",0,L4OK,,0,127.0.0.3:19100,\n")


def test_parse_servers_state_converts_numbers_and_dashes():
    rows = hr.parse_servers_state(SERVERS_STATE)
    assert [r['srv_name'] for r in rows] == ['s1', 's2']
    assert rows[0]['srv_addr'] == '127.0.0.9'
    assert rows[0]['srv_port'] == 19200
    assert rows[1]['srv_admin_state'] == hr.ADMF_FDRAIN
    assert rows[0]['srv_fqdn'] is None


def test_parse_servers_state_rejects_an_error_answer():
    with pytest.raises(hr.HAProxyError):
        hr.parse_servers_state("Can't find backend.\n")


def test_parse_stat_csv():
    rows = hr.parse_stat_csv(SHOW_STAT)
    assert [(r['pxname'], r['svname']) for r in rows] == [
        ('fe', 'FRONTEND'), ('api', 's1'), ('api', 's2')]
    assert rows[1]['scur'] == 3 and rows[1]['status'] == 'DOWN'
    assert rows[2]['status'] == 'MAINT (via api/s1)'
    assert rows[2]['addr'] == '127.0.0.3:19100'
    assert rows[0]['weight'] is None


@pytest.mark.parametrize('bits, state', [
    (0, 'ready'), (hr.ADMF_FDRAIN, 'drain'), (hr.ADMF_FMAINT, 'maint'),
    (hr.ADMF_FMAINT | hr.ADMF_FDRAIN, 'maint'), (hr.ADMF_CMAINT, 'maint'),
    (hr.ADMF_IMAINT, 'ready'), (hr.ADMF_IDRAIN, 'ready'),
])
def test_admin_state(bits, state):
    assert hr.admin_state(bits) == state


@pytest.mark.parametrize('address, family, sockaddr', [
    ('/run/haproxy/admin.sock', socket.AF_UNIX, '/run/haproxy/admin.sock'),
    ('unix:/run/haproxy/admin.sock', socket.AF_UNIX, '/run/haproxy/admin.sock'),
    ('tcp://10.99.0.5:9999', socket.AF_INET, ('10.99.0.5', 9999)),
    ('ipv4@127.0.0.1:9999', socket.AF_INET, ('127.0.0.1', 9999)),
    ('tcp://[::1]:9999', socket.AF_INET6, ('::1', 9999)),
])
def test_parse_address(address, family, sockaddr):
    assert hr.parse_address(address) == (family, sockaddr)


def test_parse_address_rejects_a_bare_host():
    with pytest.raises(hr.HAProxyError, match='not a socket address'):
        hr.parse_address('haproxy.example.com')


class CannedSocket:
    """A unix socket server answering each command from a dict, then closing."""

    def __init__(self, answers):
        self.answers = answers
        self.received = []
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, 'admin.sock')
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(self.path)
        self.server.listen(5)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _peer = self.server.accept()
            except OSError:
                return
            with conn:
                command = conn.makefile().readline().strip()
                self.received.append(command)
                conn.sendall(self.answers.get(command, 'Unknown command.\n').encode())

    def close(self):
        self.server.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def canned():
    sockets = []

    def make(answers):
        sockets.append(CannedSocket(answers))
        return hr.HAProxyRuntime(sockets[-1].path, timeout=5), sockets[-1]
    yield make
    for sock in sockets:
        sock.close()


def test_setters_accept_success_answers(canned):
    runtime, sock = canned({
        'set server api/s1 state drain': '\n',
        'set server api/s1 addr 127.0.0.4 port 8082':
            "IP changed from '127.0.0.2' to '127.0.0.4' by 'stats socket command'\n",
        'set server api/s2 addr 127.0.0.5 port 8082':
            "no need to change the addr, no need to change the port by 'stats socket command'\n",
        'del server api/s3': 'Server deleted.\n',
        'add server api/s3 127.0.0.6:8082': 'New server registered.\n',
    })
    runtime.set_server_state('api', 's1', 'drain')
    assert 'IP changed' in runtime.set_server_addr('api', 's1', '127.0.0.4', 8082)
    runtime.set_server_addr('api', 's2', '127.0.0.5', 8082)
    runtime.add_server('api', 's3', '127.0.0.6', 8082)
    runtime.del_server('api', 's3')
    assert sock.received[0] == 'set server api/s1 state drain'


@pytest.mark.parametrize('call, answer', [
    (lambda r: r.set_server_state('api', 'nope', 'maint'), 'No such server.\n'),
    (lambda r: r.set_server_state('nope', 's1', 'maint'), 'No such backend.\n'),
    (lambda r: r.set_server_addr('api', 's1', '1.2.3'),
     "Invalid addr '1.2.3' by 'stats socket command'\n"),
    (lambda r: r.show_servers_state('nope'), "Can't find backend.\n"),
    (lambda r: r.del_server('api', 's1'), 'Only servers in maintenance mode can be deleted.\n'),
])
def test_refusals_raise_with_haproxy_text(canned, call, answer):
    runtime, _sock = canned({})
    runtime_answers = _sock.answers
    runtime_answers.update(dict.fromkeys([
        'set server api/nope state maint', 'set server nope/s1 state maint',
        'set server api/s1 addr 1.2.3', 'show servers state nope', 'del server api/s1'], answer))
    with pytest.raises(hr.HAProxyError) as info:
        call(runtime)
    assert answer.strip() in str(info.value)


def test_set_server_state_rejects_unknown_states_before_sending(canned):
    runtime, sock = canned({})
    with pytest.raises(hr.HAProxyError, match='state must be one of'):
        runtime.set_server_state('api', 's1', 'up')
    assert sock.received == []


def test_show_info_and_version(canned):
    runtime, _sock = canned({'show info': 'Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 42\n'})
    assert runtime.show_info()['Pid'] == 42
    assert runtime.version() == '2.6.12-1+deb12u4'


def test_unreachable_socket_names_the_address(tmp_path):
    runtime = hr.HAProxyRuntime(str(tmp_path / 'missing.sock'), timeout=1)
    with pytest.raises(hr.HAProxyError, match='missing.sock'):
        runtime.show_stat()
