"""``contrail-issu-run-sync``: the daemon that keeps v2's config_db_uuid following v1.

As ``issu_contrail_run_sync.py`` (R4.0) with ``vnc_kombu.VncKombuClientV2``:
- old side: queue ``old_rabbit_q_name`` (non-durable, ``x-ha-policy: all`` when ha_mode is
  truthy, and the string "False" is truthy, as in the real tool) bound to the fanout exchange
  ``vnc_config.object-update`` of the old vhost. The queue is **deleted on the first connect**,
  so whatever v1 published while run-sync was down is lost;
- start-up work first (STARTUP_SECONDS), then the first connect binds the queue;
- on every (re)connect, after the queue is bound and before consuming: "Config Sync
  initiated...", a full merge copy of config_db_uuid, "Config Sync done...", "Started runtime
  sync...", "Start Compute upgrade...". The 3.2/4.x stop/start of the v2 control node over SSH
  (``new_api_info``) is not done: the lab's v2 control node must be told to re-read its DB
  (SIGUSR1 or a restart) by whoever runs the ISSU, as with the 5.x tool (LP 1779186);
- each message: ``type`` '-' -> '_', CREATE/UPDATE/DELETE applied to the new DB (errors only
  logged, LP 1715729), ``fq_name`` filled from the new DB when missing (CEM-4645), then
  re-published to the new vhost's exchange; a new-side queue ``new_rabbit_q_name`` only logs.
  An exception outside the apply (no ``type``, a body that is not JSON) breaks the drain loop:
  logged, reconnect, full re-copy; the "spiral flap" of LP 1715729.
"""
import ast
import collections
import json
import re
import signal
import threading

import pika
import pika.exceptions

from contrail_sim import tls
from contrail_sim.issu import common, config

EXCHANGE = 'vnc_config.object-update'
RETRY_SECONDS = 1.0
POLL_SECONDS = 0.2
#: The real daemon's start-up before its first connect: the api-server stack's imports and a
#: Cassandra pool per keyspace. Its queue is bound only after it, so a caller that does not
#: wait for "Config sync initiated" reopens northbound before writes reach v2.
STARTUP_SECONDS = 2.0


def connection_params(address_list, port, user, password, vhost, ssl=None):
    """pika parameters for each ``[user[:password]@]host[:port]`` of a comma-separated list;
    ``ssl`` the side's TLS settings (``config.rabbit_ssl``) or None."""
    params = []
    for server in str(address_list).split(','):
        match = re.match(r'(?:(?P<user>.*?)(?::(?P<password>.*?))*@)*(?P<host>.*?)(?::(?P<port>\d+))*$',
                         server)
        host = match.group('host')
        ssl_options = None
        if ssl is not None:
            ssl_options = pika.SSLOptions(tls.client_context(
                ssl.get('ca_certs'), ssl.get('certfile'), ssl.get('keyfile')), host)
        params.append(pika.ConnectionParameters(
            host=host, port=int(match.group('port') or port),
            virtual_host=vhost or '/',
            credentials=pika.PlainCredentials(match.group('user') or user,
                                              match.group('password') or password),
            connection_attempts=1, socket_timeout=5, blocked_connection_timeout=30,
            ssl_options=ssl_options))
    return params


class RabbitSide(object):
    """One RabbitMQ connection (old or new cluster) with the ISSU queue bound to the exchange."""

    def __init__(self, args, side, log):
        self.log = log
        self.q_name = getattr(args, side + '_rabbit_q_name')
        self.ha_mode = getattr(args, side + '_rabbit_ha_mode')
        self.params = connection_params(
            getattr(args, side + '_rabbit_address_list'), getattr(args, side + '_rabbit_port'),
            getattr(args, side + '_rabbit_user'), getattr(args, side + '_rabbit_password'),
            getattr(args, side + '_rabbit_vhost'), ssl=config.rabbit_ssl(args, side))
        self.conn = self.channel = None
        self.first_connect = True

    @property
    def connected(self):
        return self.conn is not None and self.conn.is_open

    def connect(self):
        """(Re)connect, declare the exchange, bind the queue (deleted on the first connect)."""
        self.close()
        self.conn = pika.BlockingConnection(self.params)
        self.channel = self.conn.channel()
        self.channel.exchange_declare(EXCHANGE, exchange_type='fanout', durable=False)
        if self.first_connect:
            self.channel.queue_delete(self.q_name)
            self.first_connect = False
        arguments = {'x-ha-policy': 'all'} if self.ha_mode else None
        self.channel.queue_declare(self.q_name, durable=False, arguments=arguments)
        self.channel.queue_bind(self.q_name, EXCHANGE)
        self.log('RabbitMQ connection ESTABLISHED %s' % self.params[0].host, level='SYS_NOTICE')

    def consume(self, callback):
        self.channel.basic_consume(self.q_name, callback)

    def publish(self, msg):
        self.channel.basic_publish(EXCHANGE, '', json.dumps(msg).encode(),
                                   pika.BasicProperties(content_type='application/json',
                                                        content_encoding='utf-8'))

    def close(self):
        if self.conn is not None and self.conn.is_open:
            try:
                self.conn.close()
            except pika.exceptions.AMQPError:
                pass
        self.conn = self.channel = None

    def delete_queue(self):
        """What VncKombuClient.shutdown does on SIGTERM."""
        if self.connected:
            try:
                self.channel.queue_delete(self.q_name)
            except pika.exceptions.AMQPError as exc:
                self.log('Unable to delete the old ampq queue: %s' % exc, level='SYS_ERR')


class RunSync(object):
    """The run-sync daemon: consume v1's notifications, apply them to v2, re-publish them."""

    def __init__(self, args, log=config.logger, stop=None):
        self.log = log
        self.stop = stop or threading.Event()
        self.new_api_info = ast.literal_eval(args.new_api_info)
        self.cass = common.IssuCassandra(args, [config.KS_CONFIG_DB_UUID[0]], log)
        self.old = RabbitSide(args, 'old', log)
        self.new = RabbitSide(args, 'new', log)
        self.pending = collections.deque()

    # -- the sync -------------------------------------------------------------------------
    def prepare_to_consume(self):
        """Full config_db_uuid re-copy; runs on every (re)connect of the drain connection."""
        self.log('Config sync initiated...')
        print('Config Sync initiated...', flush=True)
        try:
            self.cass.ensure_connected()
            self.cass.merge_copy(*config.KS_CONFIG_DB_UUID)
            self.log('Config sync done...')
            print('Config Sync done...', flush=True)
        except Exception as exc:
            self.log(exc)
        self.log('Started runtime sync...')
        print('Started runtime sync...', flush=True)
        for addr, creds in self.new_api_info.items():
            self.log('contrail-control on %s (user %s) not re-initialised by the lab'
                     % (addr, creds[0]), level='SYS_DEBUG')
        self.log('Start Compute upgrade...')
        print('Start Compute upgrade...', flush=True)

    def handle(self, msg):
        """``issu_amqp_callback_handler``: apply, fill fq_name, queue the re-publish."""
        self.log(msg)
        msg['type'] = msg['type'].replace('-', '_')
        self.cass.ensure_connected()
        self.cass.sync_row(msg)
        if not msg.get('fq_name'):
            fq_name = self.cass.read_row(msg).get('fq_name')
            if fq_name:
                msg['fq_name'] = fq_name
        self.pending.append(msg)

    def _on_old_message(self, channel, method, _properties, body):
        try:
            self.handle(json.loads(body))
        finally:
            channel.basic_ack(method.delivery_tag)

    def _on_new_message(self, channel, method, _properties, body):
        """The new-side client only logs what it receives (amqp_callback_handler)."""
        self.log(common.decode_body(body))
        channel.basic_ack(method.delivery_tag)

    # -- connections ----------------------------------------------------------------------
    def _serve_new(self):
        """Keep the new side connected, flush pending re-publishes, drain its log queue."""
        try:
            if not self.new.connected:
                self.new.connect()
                self.new.consume(self._on_new_message)
            while self.pending:
                self.new.publish(self.pending[0])
                self.pending.popleft()
            self.new.conn.process_data_events(time_limit=0)
        except pika.exceptions.AMQPError as exc:
            self.log('Error in rabbitmq publisher greenlet: %r' % exc, level='SYS_ERR')
            self.new.close()

    def _drain_old(self):
        """Connect the old side, re-copy, then consume until the connection breaks or stop."""
        self.old.connect()
        self.prepare_to_consume()
        self.old.consume(self._on_old_message)
        while not self.stop.is_set():
            self.old.conn.process_data_events(time_limit=POLL_SECONDS)
            self._serve_new()

    def run(self):
        """Run until ``stop`` is set; every failure of the drain loop means reconnect + re-copy."""
        self.stop.wait(STARTUP_SECONDS)
        while not self.stop.is_set():
            try:
                self._serve_new()
                self._drain_old()
            except pika.exceptions.AMQPError as exc:
                self.log('RabbitMQ connection down: %r' % exc, level='SYS_NOTICE')
            except Exception as exc:
                self.log('Error in rabbitmq drainer greenlet: %s' % exc, level='SYS_ERR')
            else:
                continue
            self.old.close()
            self.stop.wait(RETRY_SECONDS)
        self.shutdown()

    def shutdown(self):
        for side in (self.old, self.new):
            side.delete_queue()
            side.close()
        self.cass.close()


def main(argv=None):
    args, _ = config.parse_args(argv)
    sync = RunSync(args)
    signal.signal(signal.SIGTERM, lambda *_: sync.stop.set())
    sync.run()


if __name__ == '__main__':
    common.entry_point(main, config.RUN_SYNC_LOG)
