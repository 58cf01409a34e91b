"""Sandesh introspect for the lab daemons: IDL-like declarations, XML rendering, HTTP server.

Every simulated daemon answers its introspect port exactly like Contrail's C++/Python sandesh
HTTP server (wire-formats reference §5.2-5.7), so contrail-status, the collection's modules and
the tests parse real-looking XML.  Five-minute guide:

1. Declare types with the same text as the ``.sandesh`` IDL (field id, type, name, annotations);
   fields render in *declaration* order, ``optional`` fields only when the value is not None::

       from contrail_sim import sandesh as S
       S.struct('AgentXmppData', '''
           1: string controller_ip
           2: string state
           5: optional string cfg_controller
           10: u32 flap_count
       ''')
       S.response('AgentXmppConnectionStatus', '1: list<AgentXmppData> peer')

   Types: bool byte i16 i32 i64 u16 u32 u64 double string ipv4 ipaddr uuid_t xml,
   ``list<T>``, ``map<K,V>`` and any declared struct name.  Responses get the implicit
   ``more`` field; ``uve('NodeStatusUVE', ...)`` declares a UVE sandesh (no ``more``).
   Values are plain dicts (missing non-optional fields render their default: 0, '', false).

2. Handlers return one part ``(name, values)`` or a list of parts.  One part is sent as a
   single XML document; several parts are sent chunked in ``<__<First>_list type="slist">``,
   every response part but the last with ``more=true`` (§5.3).  ``paged_response`` builds the
   agent's table form (chunks of 100 + ``Pagination``, §5.6).

3. Serve::

       status = S.NodeStatusHolder('ctrl1', 'contrail-control')
       status.set_connection('XMPP', 'control-node:10.0.0.11', up=True)
       server = S.serve_introspect(8085, {
           'AgentXmppConnectionStatusReq': S.Handler(my_fn),            # no query fields
           'VrfListReq': S.Handler(vrf_fn, 'name'),                     # positional fields
       }, node_status=status)
       ...
       server.shutdown()

   ``GET /Snh_VrfListReq?x=blue`` calls ``vrf_fn(name='blue')``: query values are assigned by
   position, names before ``=`` are ignored (§5.2; the C++ generator's ``RequestFromHttp``).
   ``node_status`` adds ``SandeshUVECacheReq`` (sandesh_uve.sandesh: ``1: string tname;
   2: optional string key``), so ``?x=NodeStatus`` (contrail-status) and ``?tname=NodeStatus``
   (contrail-introspect-cli) both fill ``tname`` (§5.7).
"""
import re
import signal
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

XSL_PREFIX = '<?xml-stylesheet type="text/xsl" href="/universal_parse.xsl"?>'
BASE_TYPES = frozenset(('bool', 'byte', 'i16', 'i32', 'i64', 'u16', 'u32', 'u64', 'double',
                        'string', 'ipv4', 'ipaddr', 'uuid_t', 'xml'))
AGENT_PAGE_SIZE = 100          # kEntriesPerPage and entries_per_sandesh (agent_sandesh.cc)

_FIELD_RE = re.compile(r'^(\d+)\s*:\s*(optional\s+)?(\w+(?:<[^>]*>)?)\s+(\w+)\s*(?:\((.*)\))?\s*;?$')
_ANNOT_RE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')

_TYPES = {}                    # every declared struct / sandesh, by name


class Field(object):
    """One declared field: ``id``, ``type`` (IDL text), ``name``, ``optional``, ``annotations``."""

    def __init__(self, fid, ftype, name, optional=False, annotations=None):
        self.id, self.type, self.name = int(fid), ftype, name
        self.optional = optional
        self.annotations = dict(annotations or {})


class Definition(object):
    """A struct (kind 'struct') or a sandesh (kind 'response', 'request', 'uve')."""

    def __init__(self, name, kind, fields):
        self.name, self.kind, self.fields = name, kind, fields

    def field(self, name):
        return next(f for f in self.fields if f.name == name)


def parse_fields(text):
    """Parse IDL field lines (``N: [optional] type name [(k="v", ...)]``), one per line."""
    fields = []
    for line in text.strip().splitlines():
        line = line.split('//')[0].strip()
        if not line:
            continue
        match = _FIELD_RE.match(line)
        if not match:
            raise ValueError('bad sandesh field declaration: %r' % line)
        fid, opt, ftype, name, annots = match.groups()
        fields.append(Field(fid, ftype.replace(' ', ''), name, bool(opt),
                            _ANNOT_RE.findall(annots or '')))
    return fields


def _declare(name, kind, text):
    fields = parse_fields(text)
    if kind == 'response':
        fields.append(Field(0, 'bool', 'more'))   # sandeshy.yy appends it to every response
    _TYPES[name] = Definition(name, kind, fields)
    return _TYPES[name]


def struct(name, text):
    """Declare a struct; returns its Definition (also reachable by name)."""
    return _declare(name, 'struct', text)


def response(name, text):
    """Declare a response sandesh (gets the implicit trailing ``more`` field)."""
    return _declare(name, 'response', text)


def uve(name, text):
    """Declare a UVE sandesh (for example NodeStatusUVE)."""
    return _declare(name, 'uve', text)


def definition(name):
    return _TYPES[name]


# -- rendering --------------------------------------------------------------------------------
def _escape(text):
    return (str(text).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&apos;'))


def _split_generic(ftype):
    """'list<x>' -> ('list', ['x']); 'map<k,v>' -> ('map', ['k', 'v']); 'u32' -> ('u32', [])."""
    if '<' not in ftype:
        return ftype, []
    outer, inner = ftype.split('<', 1)
    return outer, inner[:-1].split(',')


def _wire_type(ftype):
    """The ``type`` attribute: base types as is, declared structs as 'struct'."""
    outer, _ = _split_generic(ftype)
    if outer in BASE_TYPES or outer in ('list', 'map', 'set'):
        return outer
    return 'struct'


def _base_value(ftype, value):
    if ftype == 'bool':
        return 'true' if value else 'false'
    if ftype in ('string', 'ipv4', 'ipaddr', 'uuid_t'):
        return _escape('' if value is None else value)
    if ftype == 'xml':
        return '<![CDATA[%s]]>' % ('' if value is None else value)
    if ftype == 'double':
        return repr(float(value or 0))
    return str(int(value or 0))


def _value(ftype, value):
    """Inner XML of a value of IDL type ``ftype``."""
    outer, args = _split_generic(ftype)
    if outer in BASE_TYPES:
        return _base_value(outer, value)
    if outer in ('list', 'set'):
        items = list(value or ())
        return '<%s type="%s" size="%d">%s</%s>' % (
            outer, _wire_type(args[0]), len(items),
            ''.join(_element(args[0], item) for item in items), outer)
    if outer == 'map':
        items = list((value or {}).items())
        return '<map key="%s" value="%s" size="%d">%s</map>' % (
            _wire_type(args[0]), _wire_type(args[1]), len(items),
            ''.join(_element(args[0], k) + _element(args[1], v) for k, v in items))
    return render_struct(outer, value or {})


def _element(ftype, value):
    """A container element: structs appear bare, base values wrapped in <element>."""
    if _wire_type(ftype) == 'struct':
        return _value(ftype, value)
    return '<element>%s</element>' % _value(ftype, value)


def _fields_xml(defn, values):
    out = []
    for field in defn.fields:
        value = values.get(field.name)
        if value is None and field.optional:
            continue
        attrs = ''.join(' %s="%s"' % (k, _escape(v)) for k, v in sorted(field.annotations.items()))
        out.append('<%s type="%s" identifier="%d"%s>%s</%s>' % (
            field.name, _wire_type(field.type), field.id, attrs, _value(field.type, value),
            field.name))
    return ''.join(out)


def render_struct(name, values):
    return '<%s>%s</%s>' % (name, _fields_xml(_TYPES[name], values), name)


def render_sandesh(name, values, more=False):
    """One ``<Name type="sandesh">`` element; ``more`` fills the implicit response field."""
    defn = _TYPES[name]
    if defn.kind == 'response':
        values = dict(values, more=more)
    return '<%s type="sandesh">%s</%s>' % (name, _fields_xml(defn, values), name)


def _as_parts(result):
    return [result] if isinstance(result, tuple) else list(result)


def render_parts(result):
    """Body pieces for a handler result: one string (single part) or chunk strings (§5.3)."""
    parts = _as_parts(result)
    if len(parts) == 1:
        name, values = parts[0]
        return [XSL_PREFIX + render_sandesh(name, values, more=False)]
    wrapper = '__%s_list' % parts[0][0]
    chunks = [XSL_PREFIX + '<%s type="slist">' % wrapper]
    for index, (name, values) in enumerate(parts):
        chunks.append(render_sandesh(name, values, more=index < len(parts) - 1))
    chunks.append('</%s>' % wrapper)
    return chunks


def render(result):
    """The whole body as one string (chunk boundaries dropped); handy for tests."""
    return ''.join(render_parts(result))


# -- agent pagination (§5.6) -------------------------------------------------------------------
struct('PageReqData', '''
    1: string prev_page (link="PageReq")
    2: string next_page (link="PageReq")
    3: string first_page (link="PageReq")
    4: string all (link="PageReq")
    5: u32 table_size
    6: string entries
''')
response('Pagination', '1: PageReqData req')
response('ErrorResp', '1: string resp')


def page_link(table, begin, end, filters=None):
    """``begin:<n>,end:<m>,table:<t>[,k:v]`` with keys sorted like the agent's std::map."""
    args = dict(filters or {}, begin=begin, end=end, table=table)
    return ','.join('%s:%s' % (k, args[k]) for k in sorted(args))


def parse_page_link(link):
    """Inverse of page_link: (table, begin, end, filters)."""
    args = dict(item.split(':', 1) for item in link.split(',') if ':' in item)
    table, begin, end = args.pop('table', ''), int(args.pop('begin', 0)), int(args.pop('end', -1))
    return table, begin, end, args


def paged_response(resp_name, list_field, entries, table, begin=0, end=None, filters=None):
    """Parts for one page of an agent table: response chunks of 100 (more=true) + Pagination.

    ``begin=-1`` means the whole table (the ``all`` link).  ``end`` defaults to one page.
    """
    total = len(entries)
    if begin < 0:
        first, last = 0, total - 1
    else:
        first = min(begin, total)
        last = min(total - 1, begin + AGENT_PAGE_SIZE - 1 if end is None or end < 0 else end)
    rows = entries[first:last + 1]
    parts = [(resp_name, {list_field: rows[i:i + AGENT_PAGE_SIZE]})
             for i in range(0, len(rows), AGENT_PAGE_SIZE)] or [(resp_name, {list_field: []})]
    page = {
        'prev_page': page_link(table, max(0, first - AGENT_PAGE_SIZE), first - 1, filters)
        if first > 0 else '',
        'next_page': page_link(table, last + 1, last + AGENT_PAGE_SIZE, filters)
        if last + 1 < total else '',
        'first_page': page_link(table, 0, AGENT_PAGE_SIZE - 1, filters),
        'all': page_link(table, -1, -1, filters),
        'table_size': total,
        'entries': '%d-%d/%d' % (first, max(last, first), total),
    }
    parts.append(('Pagination', {'req': page}))
    return parts


# -- NodeStatus UVE (§5.7) ---------------------------------------------------------------------
struct('ConnectionInfo', '''
    1: string type
    2: string name
    3: optional list<string> server_addrs
    4: string status
    5: optional string description
''')
struct('ProcessStatus', '''
    1: string module_id
    2: string instance_id
    3: string state
    4: optional list<ConnectionInfo> connection_infos
    5: optional string description
''')
struct('NodeStatus', '''
    1: string name (key="")
    2: optional bool deleted
    6: optional list<ProcessStatus> process_status (aggtype="union")
    10: optional string build_info
''')
uve('NodeStatusUVE', '1: NodeStatus data')
response('SandeshUVECacheResp', '''
    1: u32 returned
    2: optional i32 period
''')


class NodeStatusHolder(object):
    """The process's NodeStatus: connection infos in, Functional/Non-Functional out.

    Mirrors connection_info.cc: the process is Functional when every expected connection is Up;
    otherwise the description lists the down ones (``XMPP:control-node:10.0.0.11, Collector
    connection down``).  ``extra_problem`` (e.g. 'No Configuration for self') is appended.
    """

    def __init__(self, hostname, module_id, instance_id='0', build_info=None):
        self.hostname, self.module_id, self.instance_id = hostname, module_id, instance_id
        self.build_info = build_info
        self.extra_problem = None
        self._connections = {}
        self._lock = threading.Lock()

    def set_connection(self, ctype, name, up, server_addrs=None, description=''):
        with self._lock:
            self._connections[(ctype, name)] = {
                'type': ctype, 'name': name, 'server_addrs': list(server_addrs or []),
                'status': 'Up' if up else 'Down', 'description': description}

    def drop_connection(self, ctype, name):
        with self._lock:
            self._connections.pop((ctype, name), None)

    def process_status(self):
        with self._lock:
            infos = [dict(v) for _, v in sorted(self._connections.items())]
        down = ['%s:%s' % (c['type'], c['name']) if c['name'] else c['type']
                for c in infos if c['status'] != 'Up']
        problems = []
        if down:
            problems.append('%s connection down' % ', '.join(down))
        if self.extra_problem:
            problems.append(self.extra_problem)
        return {'module_id': self.module_id, 'instance_id': self.instance_id,
                'state': 'Non-Functional' if problems else 'Functional',
                'connection_infos': infos, 'description': ', '.join(problems)}

    def uve_parts(self, key=''):
        """The answer to SandeshUVECacheReq(tname=NodeStatus[, key]) (sandesh_uve.cc): the cached
        UVE (only the one named ``key`` when the key is given), then SandeshUVECacheResp with
        ``returned`` and the type's ``period`` (0: NodeStatus has no period annotation)."""
        if key and key != self.hostname:
            return ('SandeshUVECacheResp', {'returned': 0, 'period': 0})
        data = {'name': self.hostname, 'process_status': [self.process_status()],
                'build_info': self.build_info}
        return [('NodeStatusUVE', {'data': data}),
                ('SandeshUVECacheResp', {'returned': 1, 'period': 0})]


def uve_cache_handler(node_status):
    """``SandeshUVECacheReq`` for a daemon whose UVE cache holds its NodeStatus.

    An unknown ``tname`` answers ``returned=0`` without ``period``, as sandesh_uve.cc does when
    the type map has no such type."""
    def handle(tname, key=''):
        if tname == 'NodeStatus':
            return node_status.uve_parts(key)
        return ('SandeshUVECacheResp', {'returned': 0})
    return Handler(handle, 'tname', 'key')


# -- threads that leave process signals to the main thread ------------------------------------
DAEMON_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1}


def start_thread(target, *args, name=None):
    """Start a daemon thread with the daemon signals blocked.

    Python runs signal handlers in the main thread, but the kernel may deliver a process signal
    to any thread; if it lands on a worker, a main thread sleeping in a long wait only sees it
    later.  Blocking them in every worker (and the threads those spawn) makes SIGTERM / SIGHUP /
    SIGUSR1 act at once.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, DAEMON_SIGNALS)
    try:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return thread


# -- HTTP server (§5.2, §5.3) ------------------------------------------------------------------
class Handler(object):
    """A request sandesh: ``fn(**fields)`` with the request's declared field names, in order."""

    def __init__(self, fn, *fields):
        self.fn, self.fields = fn, fields

    def __call__(self, query):
        # boost::char_separator("&") drops empty tokens; a token without a value leaves its
        # field at the default; values are curl-unescaped ('+' stays '+').
        values = [urllib.parse.unquote(token.split('=', 1)[1] if '=' in token else '')
                  for token in query.split('&') if token] if query else []
        kwargs = {name: (values[i] if i < len(values) else '')
                  for i, name in enumerate(self.fields)}
        return self.fn(**kwargs)


def _make_http_handler(handlers):
    class IntrospectHTTPHandler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'sandesh'

        def log_message(self, *args):          # keep daemon logs readable
            pass

        def do_GET(self):
            path, _, query = self.path.partition('?')
            name = path.lstrip('/')
            if name in ('', 'index.html'):
                return self._send_index()
            handler = handlers.get(name[4:]) if name.startswith('Snh_') else None
            if handler is None:
                return self._send(404, 'text/html', '<html>Not found: %s</html>' % _escape(path))
            try:
                pieces = render_parts(handler(query))
            except Exception as exc:            # a bug in a handler must not kill the server
                return self._send(500, 'text/html', '<html>%s</html>' % _escape(exc))
            if len(pieces) == 1:
                return self._send(200, 'text/xml', pieces[0])
            self._send_chunked(pieces)

        def _send_index(self):
            links = ''.join('<a href="Snh_%s">%s</a><br/>' % (n, n) for n in sorted(handlers))
            self._send(200, 'text/html', '<html><body>%s</body></html>' % links)

        def _send(self, code, ctype, body):
            data = body.encode('utf-8')
            self.send_response(code)
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_chunked(self, pieces):
            self.send_response(200)
            self.send_header('Content-Type', 'text/xml')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for piece in pieces:
                data = piece.encode('utf-8')
                self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
            self.wfile.write(b'0\r\n\r\n')

    return IntrospectHTTPHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_introspect(port, handlers, node_status=None, host='0.0.0.0'):
    """Start the introspect HTTP server in a daemon thread; returns the server (``.shutdown()``).

    ``handlers`` maps request names (without ``Snh_``) to Handler objects or plain callables
    (requests without fields).  ``node_status`` (a NodeStatusHolder) adds SandeshUVECacheReq.
    """
    table = {name: h if isinstance(h, Handler) else Handler(h) for name, h in handlers.items()}
    if node_status is not None:
        table.setdefault('SandeshUVECacheReq', uve_cache_handler(node_status))
    server = _Server((host, port), _make_http_handler(table))
    start_thread(server.serve_forever, name='introspect-%d' % port)
    return server


# -- value helpers shared by the daemons -------------------------------------------------------
def utc_usec_string(ts=None):
    """Contrail's UTCUsecToString format, e.g. ``2017-Mar-02 10:11:12.123456`` ('' for None)."""
    if ts is None:
        return ''
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime('%Y-%b-%d %H:%M:%S.') + '%06d' % moment.microsecond


def now():
    return time.time()


# -- small daemon helpers (every lab daemon reads an ini and logs like Contrail) ---------------
def read_conf(path):
    """An ini file as configparser (no interpolation, duplicate-tolerant, '#'/';' comments)."""
    import configparser
    conf = configparser.ConfigParser(interpolation=None, strict=False, allow_no_value=True)
    if path:
        conf.read(path)
    return conf


def conf_get(conf, section, key, default=None):
    """One stripped value; ``default`` when the key is missing or empty."""
    if section == 'DEFAULT':               # configparser keeps [DEFAULT] apart from sections
        value = conf.defaults().get(key)
    else:
        value = conf.get(section, key, fallback=None) if conf.has_section(section) else None
    return default if value in (None, '') else value.strip()


def setup_logging(log_file, name):
    """Log to ``log_file`` (dir created) or stderr when it is not writable."""
    import logging
    import os
    handler = logging.StreamHandler()
    if log_file:
        try:
            os.makedirs(os.path.dirname(log_file) or '.', exist_ok=True)
            handler = logging.FileHandler(log_file)
        except OSError:
            pass
    handler.setFormatter(logging.Formatter('%(asctime)s ' + name + ' [%(levelname)s] %(message)s'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return logging.getLogger(name)
