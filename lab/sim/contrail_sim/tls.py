"""TLS of the lab's daemons, from the keys their Contrail conf files use.

Servers (contrail-api with ``config_api_ssl_enable``, keystone with ``--tls-cert``) wrap their
listening socket; the handshake happens in the request's thread, so one slow client does not
hold the accept loop. Clients (RabbitMQ with ``rabbit_use_ssl`` / ``kombu_ssl_*``, the REST
clients of the schema transformer, the neutron plugin and provisioning) verify the server
against the CA file they are given, as Contrail's clients do when a CA is configured.
"""
import ssl

TRUE = ('1', 'true', 'yes', 'on')


def enabled(value):
    """A Contrail boolean conf value (``True``, ``true``, ``1``)."""
    return str(value or '').strip().lower() in TRUE


def server_context(certfile, keyfile=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile or None)
    return context


def wrap_server(server, certfile, keyfile=None):
    """Serve TLS on a socketserver's listening socket (handshake on the first read)."""
    server.socket = server_context(certfile, keyfile).wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False)
    return server


def client_context(cafile=None, certfile=None, keyfile=None, verify=True):
    """A client context verifying the server with ``cafile`` (else the system's CAs)."""
    context = ssl.create_default_context(cafile=cafile or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if certfile:
        context.load_cert_chain(certfile, keyfile or None)
    return context
