"""RabbitMQ notifications shared by the lab's config daemons (wire-formats §3).

Exchange ``vnc_config.object-update``: fanout, non-durable, JSON bodies
(``content_type: application/json``), empty routing key. Consumers bind their own non-durable
queue (``vnc_config.<host>-<port>``, ``schema_transformer.<host>``, ...).

pika's BlockingConnection is not thread-safe, so each Publisher / Consumer owns one connection in
its own thread; writers only touch a thread-safe queue, which is also what lets the API server
refuse writes when too many publishes are pending (as ``rabbit_max_pending_updates`` does).
"""
import json
import logging
import queue
import threading
import time

import pika

from contrail_sim import tls

EXCHANGE = 'vnc_config.object-update'
LOG = logging.getLogger('contrail_sim.amqp')


def connection_params(servers, port=5672, user='guest', password='guest', vhost=None,
                      heartbeat=30, ssl=None):
    """pika parameters for each broker of a ``rabbit_server`` comma list (first that answers wins).

    ``ssl``: None, or a dict of the kombu TLS keys (``ca_certs``, ``certfile``, ``keyfile``)."""
    creds = pika.PlainCredentials(user, password)
    params = []
    for server in str(servers).replace(' ', ',').split(','):
        if not server:
            continue
        host, _, sport = server.partition(':')
        ssl_options = None
        if ssl is not None:
            ssl_options = pika.SSLOptions(tls.client_context(
                ssl.get('ca_certs'), ssl.get('certfile'), ssl.get('keyfile')), host)
        params.append(pika.ConnectionParameters(
            host=host, port=int(sport or port), virtual_host=vhost or '/', credentials=creds,
            heartbeat=heartbeat, connection_attempts=1, socket_timeout=5, blocked_connection_timeout=30,
            ssl_options=ssl_options))
    return params


def ssl_from_conf(conf, prefix='kombu_ssl_', use_key='rabbit_use_ssl'):
    """The TLS settings of a daemon's conf (``rabbit_use_ssl`` and ``kombu_ssl_*``), else None."""
    if not tls.enabled(conf.get(use_key)):
        return None
    return dict((key, conf.get(prefix + key)) for key in ('ca_certs', 'certfile', 'keyfile'))


def params_from_conf(conf):
    """Parameters from a daemon's [DEFAULTS] dict using Contrail's key names."""
    return connection_params(conf.get('rabbit_server', 'localhost'), int(conf.get('rabbit_port', 5672)),
                             conf.get('rabbit_user', 'guest'), conf.get('rabbit_password', 'guest'),
                             conf.get('rabbit_vhost') or None, ssl=ssl_from_conf(conf))


def declare_exchange(channel):
    channel.exchange_declare(exchange=EXCHANGE, exchange_type='fanout', durable=False)


class Publisher(object):
    """Background publisher to the object-update exchange; messages survive broker outages."""

    def __init__(self, params, max_pending=4096):
        self.params = params
        self.max_pending = max_pending
        self.pending = queue.Queue()
        self.connected = False
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='amqp-publisher', daemon=True)
        self._thread.start()

    def pending_count(self):
        return self.pending.qsize()

    def publish(self, message):
        """Queue one message (a dict); raises OverflowError when too many are pending."""
        count = self.pending.qsize()
        if count >= self.max_pending:
            raise OverflowError('Too many pending updates to RabbitMQ: %d' % count)
        self.pending.put(message)

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        message = None
        while not self._stop.is_set():
            try:
                conn = pika.BlockingConnection(self.params)
                channel = conn.channel()
                declare_exchange(channel)
                channel.confirm_delivery()
                self.connected = True
                while not self._stop.is_set():
                    if message is None:
                        try:
                            message = self.pending.get(timeout=1)
                        except queue.Empty:
                            conn.process_data_events(0)
                            continue
                    channel.basic_publish(EXCHANGE, '', json.dumps(message).encode(),
                                          pika.BasicProperties(content_type='application/json'))
                    self.published += 1
                    message = None
                conn.close()
            except Exception as exc:  # broker down or connection lost: retry, keep the message
                self.connected = False
                LOG.warning('RabbitMQ publisher: %s; retrying', exc)
                self._stop.wait(1)


class Consumer(object):
    """Consume the object-update exchange through one named queue, calling ``callback(dict)``.

    ``delete_first`` re-creates the queue at start (the API server does this, losing anything
    queued while it was down, exactly like the real one).
    """

    def __init__(self, params, queue_name, callback, delete_first=False, exclusive=False):
        self.params = params
        self.queue_name = queue_name
        self.callback = callback
        self.delete_first = delete_first
        self.exclusive = exclusive
        self.connected = False
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='amqp-consumer', daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def _setup(self, channel):
        declare_exchange(channel)
        if self.delete_first:
            channel.queue_delete(queue=self.queue_name)
            self.delete_first = False
        channel.queue_declare(queue=self.queue_name, durable=False, exclusive=self.exclusive)
        channel.queue_bind(queue=self.queue_name, exchange=EXCHANGE)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn = pika.BlockingConnection(self.params)
                channel = conn.channel()
                self._setup(channel)
                self.connected = True
                channel.basic_consume(self.queue_name, lambda _ch, _m, _p, body: self._deliver(body),
                                      auto_ack=True)
                while not self._stop.is_set():
                    conn.process_data_events(time_limit=0.5)
                conn.close()
            except Exception as exc:
                self.connected = False
                LOG.warning('RabbitMQ consumer %s: %s; retrying', self.queue_name, exc)
                self._stop.wait(1)

    def _deliver(self, body):
        self.received += 1
        try:
            message = json.loads(body)
        except ValueError:
            LOG.warning('undecodable message on %s: %r', self.queue_name, body[:200])
            return
        try:
            self.callback(message)
        except Exception:
            LOG.exception('handler failed for %s', message.get('uuid'))


def wait_connected(*clients, timeout=10.0):
    """Block until every publisher/consumer is connected or the timeout passes; returns bool."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(c.connected for c in clients):
            return True
        time.sleep(0.05)
    return False
