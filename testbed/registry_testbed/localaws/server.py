"""Serving the embedded AWS: `serve()` for `registry-testbed local-aws`, `LocalAWS` for tests.

moto keeps its state in module-level backends, so every server in one process shares moto's resources
(the registry store is per server). Tests therefore use one server at a time and reset between tests.
"""

from __future__ import annotations

import contextlib
import io
import logging
import signal
import socket
import threading
from types import FrameType, TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import DechunkedInput, ThreadedWSGIServer

from .app import LocalAWSApp
from .client import LocalAWSAdmin

log = logging.getLogger(__name__)

# A keep-alive connection holds one thread; an idle client's thread is released after this long.
IDLE_CONNECTION_TIMEOUT_S = 60.0


class _RequestHandler(MotoRequestHandler):
    """Keeps connections alive, as AWS endpoints do (an SDK reuses its pooled connections).

    werkzeug's server closes the connection after every response (`Connection: close`) because of how it
    reads requests: it hands the application the connection's own stream, and after the response it
    reads and discards whatever else has arrived, which on a kept-alive connection is the client's next
    request. Here the whole body is read before the application runs and handed to it in memory, and
    werkzeug's after-response read is given an empty stream: the connection then always stands at the
    next request and stays open. It closes when the client asks (`Connection: close`, HTTP/1.0), when a
    request's length cannot be read, or after an idle timeout.
    """

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_TIMEOUT_S
    # TCP_NODELAY on every accepted connection (socketserver.StreamRequestHandler.setup() sets it when
    # this is true). werkzeug writes a response in two pieces, the status line and headers, then the
    # body; with Nagle's algorithm on, the body waits for the client's ACK of the headers, and the
    # client delays that ACK by up to 40 ms on Linux: every call on a kept-alive connection took 44 ms
    # instead of under a millisecond (tests/bench/NOTES.md, "The 40 ms stall"). Buffering each response
    # into one write removed the stall too for bodies that fit the buffer, but measured no faster than
    # this, and a body larger than the buffer would leave in pieces again.
    disable_nagle_algorithm = True
    _connection_stream: Any  # the connection's own reader, while werkzeug's rfile is swapped out

    def run_wsgi(self) -> None:
        connection_stream = self.rfile
        self._connection_stream = connection_stream
        self.rfile = io.BytesIO()  # what werkzeug's after-response discard reads: nothing
        try:
            super().run_wsgi()
        finally:
            self.rfile = connection_stream

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        stream = self._connection_stream
        if environ.get("wsgi.input_terminated"):
            # Transfer-Encoding: chunked; werkzeug's reader stops after the last chunk.
            body = DechunkedInput(stream).read()
            environ["CONTENT_LENGTH"] = str(len(body))
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
                self.close_connection = True  # where this request ends is unknown: no next one
            body = stream.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug's unconditional close is honoured only when the connection closes anyway (the client
        # asked, or the request's length was unreadable): then telling the client is right.
        if keyword.lower() == "connection" and value.lower() == "close" and not self.close_connection:
            return
        super().send_header(keyword, value)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # One line per request would cost more than the registry call itself under benchmark load.
        log.debug('"%s" %s %s', getattr(self, "requestline", ""), code, size)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, also able to close its open connections when it stops."""

    def __init__(self, host: str, port: int, app: LocalAWSApp) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._counter = app.connections
        super().__init__(host, port, app, handler=_RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        self._counter.opened()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            known = request in self._connections
            self._connections.discard(request)
        if known:
            self._counter.closed()
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(host: str, port: int, settings: dict[str, Any] | None = None) -> None:
    """Serve the embedded AWS until SIGINT or SIGTERM; `settings` as `PUT /_localaws/settings` takes them."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = _Server(host, port, LocalAWSApp(settings))

    def _stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() blocks until serve_forever returns, so it cannot run on the serving thread itself.
        threading.Thread(target=server.shutdown, name="localaws-shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("embedded AWS (moto + model registry) listening on %s", _url(host, server.port))
    try:
        server.serve_forever()
    finally:
        server.close_connections()
        server.server_close()
        log.info("embedded AWS stopped")


class LocalAWS:
    """The embedded AWS on a background thread; `LocalAWS()` picks a free port on 127.0.0.1. `settings`
    as `PUT /_localaws/settings` takes them, kept across resets."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, settings: dict[str, Any] | None = None
    ) -> None:
        self.app = LocalAWSApp(settings)
        self._server = _Server(host, port, self.app)
        self.host = host
        self.port = self._server.port
        self.endpoint_url = _url(host, self.port)
        self.admin = LocalAWSAdmin(self.endpoint_url)
        self._stopped = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="localaws", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> LocalAWS:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
