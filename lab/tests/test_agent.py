"""vRouter agent: kernel-module rule (LP 1631556), refcount, SIGTERM, discovery, SIGHUP."""
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import simdev_h3 as D
from contrail_sim import agent as A


def kmod_dir(lab):
    return os.path.join(lab.dir, 'cmp-kmod')


def test_mismatched_module_version_makes_agent_exit(tmp_path):
    lab = D.Lab(str(tmp_path))
    try:
        proc, _ = lab.agent('cmp', '127.0.0.101', 7, ['127.0.0.1:1'], version='4.0.3.0-62')
        proc.send_signal(signal.SIGTERM)
        proc.wait(5)
        # the package now says 4.0 but the 3.2 module is still loaded
        with open(os.path.join(kmod_dir(lab), 'loaded'), 'w') as handle:
            handle.write('3.2.14.0')
        proc, _ = restart(lab)
        assert proc.wait(10) == 1
        assert 'does not match agent version 4.0.3.0-62' in open(
            os.path.join(lab.dir, 'cmp.log')).read()
        assert A.KernelModule(kmod_dir(lab)).refresh() == 0
    finally:
        lab.cleanup()


def restart(lab):
    base = os.path.join(lab.dir, 'cmp')
    return lab._spawn('cmp', 'contrail_sim.agent', ['--config_file', base + '.conf'], {
        'CONTRAIL_AGENT_VERSION_FILE': base + '.version', 'VROUTER_KMOD_DIR': base + '-kmod',
        'CONTRAIL_SIM_VMS_FILE': base + '-vms.json'}), 18085 + 70


def test_modprobe_when_no_module_and_refcount_survives_sigkill(tmp_path):
    lab = D.Lab(str(tmp_path))
    try:
        proc, port = lab.agent('cmp', '127.0.0.101', 7, ['127.0.0.1:1'])
        D.wait_for(lambda: D.introspect(port, 'VrfListReq'), timeout=10)
        proc.send_signal(signal.SIGKILL)             # supervisor's stopsignal=KILL
        proc.wait(5)
        kmod = A.KernelModule(kmod_dir(lab))
        assert kmod.refresh() == 0                   # the dead holder does not count
        os.unlink(os.path.join(kmod_dir(lab), 'loaded'))
        bindir = tmp_path / 'bin'
        bindir.mkdir()
        (bindir / 'modprobe').write_text('#!/bin/sh\necho "$@" > %s/modprobe.args\n'
                                         'echo 3.2.14.0 > %s/loaded\n'
                                         % (kmod_dir(lab), kmod_dir(lab)))
        (bindir / 'modprobe').chmod(0o755)
        os.environ['PATH'] = '%s:%s' % (bindir, os.environ['PATH'])
        try:
            proc, port = restart(lab)
        finally:
            os.environ['PATH'] = os.environ['PATH'].split(':', 1)[1]
        D.wait_for(lambda: D.introspect(port, 'VrfListReq'), timeout=10)
        assert open(os.path.join(kmod_dir(lab), 'modprobe.args')).read().strip() == 'vrouter'
        assert open(os.path.join(kmod_dir(lab), 'refcnt')).read().strip() == '1'
        started = time.time()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert time.time() - started < 2.0
        assert open(os.path.join(kmod_dir(lab), 'refcnt')).read().strip() == '0'
    finally:
        lab.cleanup()


class Discovery(BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        Discovery.requests.append(body)
        pubs = {'xmpp-server': [{'ip-address': '127.0.0.31', 'port': '5269'},
                                {'ip-address': '127.0.0.32', 'port': '5269'}],
                'dns-server': [{'ip-address': '127.0.0.31', 'port': '53'}],
                'Collector': [{'ip-address': '127.0.0.31', 'port': '8086'}]}
        data = json.dumps({'ttl': 2, body['service']: pubs[body['service']]}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_32_agent_gets_servers_from_discovery(tmp_path):
    server = ThreadingHTTPServer(('127.0.0.1', 0), Discovery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    lab = D.Lab(str(tmp_path))
    try:
        proc, port = lab.agent('cmp', '127.0.0.101', 7, [])
        with open(os.path.join(lab.dir, 'cmp.conf'), 'a') as conf:
            conf.write('[DISCOVERY]\nserver=127.0.0.1\nport=%d\n' % server.server_address[1])
        proc.send_signal(signal.SIGTERM)
        proc.wait(5)
        proc, port = restart(lab)
        root = D.wait_for(lambda: (lambda r: r if len(list(r.iter('AgentXmppData'))) == 2
                                   else None)(D.introspect(port, 'AgentXmppConnectionStatusReq')))
        assert [e.text for e in root.iter('controller_ip')] == ['127.0.0.31', '127.0.0.32']
        assert [e.text for e in root.iter('state')] == ['Down', 'Down']
        dns = D.introspect(port, 'AgentDnsXmppConnectionStatusReq')
        assert dns.findtext('.//peer_address') == '127.0.0.31:8093'
        services = {r['service'] for r in Discovery.requests}
        assert services == {'xmpp-server', 'dns-server', 'Collector'}
        assert Discovery.requests[0]['instances'] == 2
    finally:
        lab.cleanup()
        server.shutdown()


def test_40_agent_rereads_servers_on_sighup(tmp_path):
    lab = D.Lab(str(tmp_path))
    try:
        proc, port = lab.agent('cmp', '127.0.0.101', 7, ['127.0.0.41:5269'],
                               version='4.0.3.0-62')
        ips = lambda: [e.text for e in D.introspect(  # noqa: E731
            port, 'AgentXmppConnectionStatusReq').iter('controller_ip')]
        D.wait_for(lambda: ips() == ['127.0.0.41'], timeout=10)
        conf = os.path.join(lab.dir, 'cmp.conf')
        text = open(conf).read().replace('127.0.0.41:5269', '127.0.0.42:5269 127.0.0.43:5269')
        open(conf, 'w').write(text)
        proc.send_signal(signal.SIGHUP)
        D.wait_for(lambda: ips() == ['127.0.0.42', '127.0.0.43'], timeout=5)
    finally:
        lab.cleanup()


def test_a_channel_up_before_the_agent_lists_it_still_subscribes_to_config(monkeypatch):
    """Seen with 30 computes swapped at once: a new channel's thread came up before set_servers
    had stored the channel list, its on_channel_up found no config channel, and the agent stayed
    'No Configuration for self'. set_servers subscribes once the list is stored."""
    from types import SimpleNamespace

    from contrail_sim import agent as A

    sent = []

    class RacingChannel(object):
        """Comes up (Established) inside its constructor, as a fast thread would."""

        def __init__(self, agent, index, endpoint, jid, kind):
            self.endpoint, self.kind = endpoint, kind
            self.established, self.config_subscribed, self.config_received = True, False, False
            agent.on_channel_up(self)

        def send(self, text, count=1):
            sent.append(text)

    monkeypatch.setattr(A, 'Channel', RacingChannel)
    settings = SimpleNamespace(hostname='cmp', vhost_ip='127.0.0.101', version='4.0.3.0-62')
    agent = A.Agent(settings)
    agent.set_servers([('127.0.0.41', 5269)], [])
    subscribes = [text for text in sent if 'virtual-router:default-global-system-config:cmp' in text]
    assert len(subscribes) == 1, sent
