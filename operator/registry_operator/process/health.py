"""The operator's HTTP endpoints: `/metrics` (Prometheus), `/healthz` (liveness), `/readyz` (readiness).

One small threaded server beside kopf, on `registry-operator run --metrics-port` (8080 by default).

- `/readyz` answers 200 once kopf has run the start-up handlers and begun watching, and also while a
  replica stands by for leadership (`--leader-elect`): readiness says the process is healthy, not that
  it leads, so a Deployment of two replicas becomes Available and rolls normally. Which replica leads
  is in its log and in the Lease.
- `/healthz` answers 200 while the operator's event loop is responsive: a heartbeat task on the
  loop ticks every few seconds, and a loop that has not ticked for `STALE_AFTER_SECONDS` (blocked,
  deadlocked) answers 503 so that the kubelet restarts the pod. The server runs in its own thread,
  so a blocked loop cannot keep it from saying so. Before the loop runs (start-up, or a standby
  replica waiting for leadership) the process is alive and answers 200; it is not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

DEFAULT_PORT = 8080
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 60.0

log = logging.getLogger("registry_operator.process.health")


class Health:
    """What the probes report: set by kopf (ready flag) and by the heartbeat task on the event loop."""

    def __init__(self) -> None:
        self.ready = threading.Event()  # passed to kopf.run(ready_flag=...)
        self.standby = threading.Event()  # a healthy replica waiting for the leader lease
        self._beat = time.monotonic()
        self._beating = False

    def beat(self) -> None:
        self._beat = time.monotonic()
        self._beating = True

    def since_beat(self) -> float:
        return time.monotonic() - self._beat

    async def heartbeat(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def liveness(self) -> tuple[int, str]:
        stale = self.since_beat()
        if self._beating and stale > STALE_AFTER_SECONDS:
            return 503, f"event loop unresponsive for {stale:.0f} s\n"
        return 200, "ok\n"

    def readiness(self) -> tuple[int, str]:
        if self.ready.is_set():
            return self.liveness()
        if self.standby.is_set():
            return 200, "standby: healthy, waiting for the leader lease\n"
        return 503, "starting: start-up handlers not finished\n"


HEALTH = Health()


class _Handler(BaseHTTPRequestHandler):
    server_version = "registry-operator"

    def do_GET(self) -> None:  # the http.server naming convention
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, encoder(REGISTRY), content_type)
        elif path in ("/healthz", "/livez"):
            status, text = HEALTH.liveness()
            self._send(status, text.encode(), "text/plain; charset=utf-8")
        elif path == "/readyz":
            status, text = HEALTH.readiness()
            self._send(status, text.encode(), "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # probes every few seconds would drown the operator's own log


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def serve(host: str, port: int, required: bool) -> _Server | None:
    """Start the endpoints in a daemon thread. A busy port is fatal when asked for explicitly
    (`required`), and only a warning for the default port (several operators on one dev machine)."""
    try:
        server = _Server((host, port), _Handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or required:
            raise
        log.warning(f"port {port} is in use: /metrics, /healthz and /readyz are not served")
        return None
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info(f"serving /metrics, /healthz and /readyz on {host}:{server.server_address[1]}")
    return server


def stop(server: _Server | None) -> None:
    if server is not None:
        with contextlib.suppress(Exception):
            server.shutdown()
            server.server_close()


def start(host: str, port: int | None) -> _Server | None:
    """`--metrics-port`: None is the default port (best effort), 0 switches the endpoints off."""
    if port == 0:
        return None
    return serve(host, DEFAULT_PORT if port is None else port, required=port is not None)
