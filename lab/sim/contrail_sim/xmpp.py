"""XMPP between vRouter agent and control node / contrail-dns: stanza codec and TCP stream.

A real XML stream over TCP (wire-formats reference §9): the agent opens
``<stream:stream from='<host>' to='network-control@contrailsystems.com' ...>``, the server
answers with its own stream open (``id='++123'``), then both exchange stanzas until
``</stream:stream>`` or TCP close.  The lab adds one attribute to the stream open,
``contrail-build='3.2.14.0-37'``, so each side knows the other's build: the control node
accepts an agent only when major.minor match (3.2<->3.2, 4.0<->4.0), else it closes the stream.

Used by agent.py (client side) and control_node.py / dns.py (server side).  Routes are plain
dicts ``{'vrf', 'prefix' ('10.1.0.3/32'), 'nexthop', 'label', 'vn'}``.
"""
import socket
import threading
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

CONTROL_JID = 'network-control@contrailsystems.com'
DNS_JID = 'network-dns@contrailsystems.com'
PUBSUB_NS = 'http://jabber.org/protocol/pubsub'
END_OF_RIB = '0/0/EndOfRib'
INET_AFI_SAFI = '1/1'
HOLD_TIME = 90                 # negotiated hold time shown in introspect
KEEPALIVE_INTERVAL = 10        # whitespace keepalive; the peer is dropped after HOLD_TIME silence


def major_minor(build):
    """'3.2.14.0-37' -> '3.2' ('' when unknown)."""
    return '.'.join(str(build or '').split('.')[:2])


def compatible(build_a, build_b):
    return bool(major_minor(build_a)) and major_minor(build_a) == major_minor(build_b)


# -- stanza builders ---------------------------------------------------------------------------
def stream_open(from_, to, build, stream_id=None):
    id_attr = ' id=%s' % quoteattr(stream_id) if stream_id else ''
    return ("<?xml version='1.0'?><stream:stream from=%s to=%s%s version='1.0' xml:lang='en' "
            "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
            "contrail-build=%s>" % (quoteattr(from_), quoteattr(to), id_attr, quoteattr(build)))


STREAM_CLOSE = '</stream:stream>'


def config_subscribe(host, jid=CONTROL_JID):
    return ('<iq type="set" from=%s to=%s><pubsub xmlns="%s"><subscribe node=%s/></pubsub></iq>'
            % (quoteattr(host), quoteattr(jid + '/config'), PUBSUB_NS,
               quoteattr('virtual-router:default-global-system-config:' + host)))


def vrf_subscribe(host, vrf, instance_id, seq, subscribe=True, jid=CONTROL_JID):
    verb = 'subscribe' if subscribe else 'unsubscribe'
    options = '<options><instance-id>%d</instance-id></options>' % instance_id if subscribe else ''
    return ('<iq type="set" from=%s to=%s id="subscribe%d"><pubsub xmlns="%s"><%s node=%s>%s'
            '</%s></pubsub></iq>' % (quoteattr(host), quoteattr(jid + '/bgp-peer'), seq,
                                     PUBSUB_NS, verb, quoteattr(vrf), options, verb))


def route_entry(route):
    """XSD EntryType for one inet route (nlri, next-hops, version, virtual-network...)."""
    return ('<entry><nlri><af>1</af><safi>1</safi><address>%s</address></nlri>'
            '<next-hops><next-hop><af>1</af><address>%s</address><label>%d</label>'
            '<tunnel-encapsulation-list><tunnel-encapsulation>gre</tunnel-encapsulation>'
            '<tunnel-encapsulation>udp</tunnel-encapsulation></tunnel-encapsulation-list>'
            '<virtual-network>%s</virtual-network></next-hop></next-hops><version>1</version>'
            '<virtual-network>%s</virtual-network><sequence-number>0</sequence-number>'
            '<security-group-list/><community-tag-list/><local-preference>100</local-preference>'
            '<med>0</med></entry>' % (escape(route['prefix']), escape(route['nexthop']),
                                      int(route['label']), escape(route['vn']),
                                      escape(route['vn'])))


def route_publish(host, route, seq, withdraw=False, jid=CONTROL_JID):
    """The two iqs of a route publish (``associate``) or withdraw (``dissociate``)."""
    node = '%s/%s/%s' % (INET_AFI_SAFI, route['vrf'], route['prefix'].split('/')[0])
    header = '<iq type="set" from=%s to=%s id="%%s%d"><pubsub xmlns="%s">' % (
        quoteattr(host), quoteattr(jid + '/bgp-peer'), seq, PUBSUB_NS)
    item = '' if withdraw else '<item>%s</item>' % route_entry(route)
    publish = (header % 'pubsub') + '<publish node=%s>%s</publish></pubsub></iq>' % (
        quoteattr(node), item)
    verb = 'dissociate' if withdraw else 'associate'
    collection = (header % 'collection') + '<collection node=%s><%s node=%s/></collection>' \
        '</pubsub></iq>' % (quoteattr(route['vrf']), verb, quoteattr(node))
    return publish + collection


def route_advertise(host, vrf, routes=(), retracts=(), jid=CONTROL_JID):
    """Control -> agent ``<message><event><items node="1/1/<vrf>">`` with items and retracts."""
    items = ''.join('<item id=%s>%s</item>' % (quoteattr(r['prefix']), route_entry(r))
                    for r in routes)
    items += ''.join('<retract id=%s />' % quoteattr(prefix) for prefix in retracts)
    return ('<message from=%s to=%s><event xmlns="%s"><items node=%s>%s</items></event>'
            '</message>' % (quoteattr(jid), quoteattr(host + '/bgp-peer'), PUBSUB_NS,
                            quoteattr('%s/%s' % (INET_AFI_SAFI, vrf)), items))


def end_of_rib(host, jid=CONTROL_JID):
    return ('<message from=%s to=%s><event xmlns="%s"><items node="%s"></items></event>'
            '</message>' % (quoteattr(jid), quoteattr(host + '/bgp-peer'), PUBSUB_NS, END_OF_RIB))


def config_update(host, nodes, jid=CONTROL_JID):
    """Config push: ``nodes`` = [(type, fq-name-string)]."""
    body = ''.join('<node type=%s><name>%s</name></node>' % (quoteattr(t), escape(n))
                   for t, n in nodes)
    return '<iq type="set" from=%s to=%s><config><update>%s</update></config></iq>' % (
        quoteattr(jid), quoteattr(host + '/config'), body)


# -- stanza parsing ----------------------------------------------------------------------------
def local(tag):
    return tag.rsplit('}', 1)[-1]


def _child(elem, name):
    return next((c for c in elem if local(c.tag) == name), None)


def _text(elem, path):
    for name in path.split('/'):
        elem = _child(elem, name) if elem is not None else None
    return (elem.text or '') if elem is not None else ''


def parse_entry(entry, vrf):
    return {'vrf': vrf, 'prefix': _text(entry, 'nlri/address'),
            'nexthop': _text(entry, 'next-hops/next-hop/address'),
            'label': int(_text(entry, 'next-hops/next-hop/label') or 0),
            'vn': _text(entry, 'virtual-network')}


def classify(stanza):
    """Turn one stanza into an event tuple for the daemons.

    ('config-subscribe', node) | ('vrf-subscribe', vrf, instance_id) | ('vrf-unsubscribe', vrf)
    | ('publish', route) | ('withdraw', vrf, prefix) | ('advertise', vrf, [routes], [prefixes])
    | ('end-of-rib',) | ('config', [(type, name)]) | ('ignore',)
    """
    kind = local(stanza.tag)
    pubsub = _child(stanza, 'pubsub')
    if kind == 'iq' and pubsub is not None:
        for op in pubsub:
            name = local(op.tag)
            node = op.get('node', '')
            if name == 'subscribe' and node.startswith('virtual-router:'):
                return ('config-subscribe', node)
            if name == 'subscribe':
                return ('vrf-subscribe', node, int(_text(op, 'options/instance-id') or 0))
            if name == 'unsubscribe':
                return ('vrf-unsubscribe', node)
            if name == 'publish':
                item = _child(op, 'item')
                _, _, rest = node.split('/', 2)
                vrf = rest.rsplit('/', 1)[0]
                if item is not None and _child(item, 'entry') is not None:
                    return ('publish', parse_entry(_child(item, 'entry'), vrf))
                return ('ignore',)
            if name == 'collection':
                target = op[0] if len(op) else None
                if target is not None and local(target.tag) == 'dissociate':
                    _, _, rest = target.get('node', '').split('/', 2)
                    vrf, address = rest.rsplit('/', 1)
                    return ('withdraw', vrf, address + '/32')
                return ('ignore',)
    if kind == 'iq' and _child(stanza, 'config') is not None:
        update = _child(_child(stanza, 'config'), 'update')
        nodes = [(n.get('type'), _text(n, 'name')) for n in (update if update is not None else [])]
        return ('config', nodes)
    if kind == 'message':
        event = _child(stanza, 'event')
        items = _child(event, 'items') if event is not None else None
        if items is None:
            return ('ignore',)
        node = items.get('node', '')
        if node == END_OF_RIB:
            return ('end-of-rib',)
        vrf = node.split('/', 2)[2]
        routes = [parse_entry(_child(i, 'entry'), vrf) for i in items if local(i.tag) == 'item']
        retracts = [i.get('id') for i in items if local(i.tag) == 'retract']
        return ('advertise', vrf, routes, retracts)
    return ('ignore',)


# -- the TCP stream ----------------------------------------------------------------------------
class StreamClosed(Exception):
    pass


class XmppStream(object):
    """One side of an XMPP TCP stream: thread-safe ``send``, blocking ``events`` iterator.

    ``events()`` yields ('open', attrs) once, then ('stanza', Element) per top-level stanza;
    it ends on ``</stream:stream>``, TCP close or hold-time expiry.
    """

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(KEEPALIVE_INTERVAL)
        self._send_lock = threading.Lock()
        self.closed = False
        self.peer = sock.getpeername()

    @classmethod
    def connect(cls, host, port, timeout=3.0, source=None):
        sock = socket.create_connection((host, port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
        return cls(sock)

    def send(self, text):
        with self._send_lock:
            if self.closed:
                raise StreamClosed()
            try:
                self.sock.sendall(text.encode('utf-8'))
            except OSError as exc:
                self.close()
                raise StreamClosed(str(exc))

    def keepalive(self):
        self.send(' ')

    def close(self, send_close=False):
        if send_close and not self.closed:
            try:
                with self._send_lock:
                    self.sock.sendall(STREAM_CLOSE.encode())
            except OSError:
                pass
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def events(self):
        parser = ET.XMLPullParser(events=('start', 'end'))
        depth, silent, root = 0, 0.0, None
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                silent += KEEPALIVE_INTERVAL
                if silent >= HOLD_TIME:
                    return
                continue
            except OSError:
                return
            if not data:
                return
            silent = 0.0
            try:
                parser.feed(data)
                for event, elem in parser.read_events():
                    if event == 'start':
                        depth += 1
                        if depth == 1:
                            root = elem
                            yield ('open', dict(elem.attrib))
                    else:
                        depth -= 1
                        if depth == 0:
                            return
                        if depth == 1:
                            root.remove(elem)      # keep memory flat on long streams
                            yield ('stanza', elem)
            except ET.ParseError:
                return


def serve_tcp(address, port, on_connection):
    """Accept TCP connections forever in a daemon thread; ``on_connection(sock)`` per client."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(128)

    def accept_loop():
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=on_connection, args=(sock,), daemon=True).start()

    from contrail_sim.sandesh import start_thread
    start_thread(accept_loop, name='xmpp-accept-%d' % port)
    return listener
