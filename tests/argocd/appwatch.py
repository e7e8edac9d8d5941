"""Argo CD Applications as a user watches them: every change of sync status, revision, health and
operation phase, with the time it was seen (`kubectl get applications -w`)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kube import Kube


@dataclass(frozen=True)
class State:
    seen: datetime
    app: str
    sync: str
    revision: str
    health: str
    phase: str

    def line(self) -> str:
        return (
            f"{self.seen.strftime('%H:%M:%S.%f')[:-3]}  {self.app:<14} sync={self.sync:<10} "
            f"rev={self.revision[:7]:<7} health={self.health:<12} operation={self.phase}"
        )


def summary(app: dict[str, Any]) -> tuple[str, str, str, str]:
    status = app.get("status", {})
    return (
        status.get("sync", {}).get("status", "-"),
        status.get("sync", {}).get("revision", "-"),
        status.get("health", {}).get("status", "-"),
        status.get("operationState", {}).get("phase", "-"),
    )


class AppWatch:
    """Records each Application's state changes from a kubectl watch, in a background thread."""

    def __init__(self, kube: Kube, namespace: str = "argocd") -> None:
        self.kube, self.namespace = kube, namespace
        self.states: list[State] = []
        self._last: dict[str, tuple[str, str, str, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._proc: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        self._thread.join(10)

    def _run(self) -> None:
        # A watch can end (server timeout, apiserver restart): start it again until stopped.
        while not self._stop.is_set():
            self._proc = subprocess.Popen(
                [str(self.kube.info.kubectl), "--kubeconfig", str(self.kube.info.kubeconfig), "get",
                 "applications.argoproj.io", "-n", self.namespace, "-o", "json", "--watch"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            assert self._proc.stdout is not None
            decoder, buffer = json.JSONDecoder(), ""
            for chunk in iter(self._proc.stdout.readline, ""):
                buffer += chunk
                while buffer.strip():
                    try:
                        obj, end = decoder.raw_decode(buffer.lstrip())
                    except json.JSONDecodeError:
                        break
                    buffer = buffer.lstrip()[end:]
                    self._record(obj)
            self._proc.wait()
            self._stop.wait(1)

    def _record(self, app: dict[str, Any]) -> None:
        name = app["metadata"]["name"]
        current = summary(app)
        with self._lock:
            if self._last.get(name) != current:
                self._last[name] = current
                self.states.append(State(datetime.now(UTC), name, *current))

    def mark(self) -> int:
        with self._lock:
            return len(self.states)

    def since(self, mark: int, app: str | None = None) -> list[State]:
        with self._lock:
            return [s for s in self.states[mark:] if app is None or s.app == app]

    def report(self, mark: int, title: str) -> str:
        lines = [s.line() for s in self.since(mark)]
        text = f"--- {title}: Application states observed ---\n" + "\n".join(lines or ["(no change)"])
        print(text)
        return text


def wait_app(kube: Kube, name: str, check: Any, timeout: float = 240, what: str = "") -> dict[str, Any]:
    """Poll the Application until ``check(app)`` is truthy; on timeout show its status."""
    deadline = time.monotonic() + timeout
    app: dict[str, Any] = {}
    while True:
        got = kube.try_get("applications.argoproj.io", name, "argocd")
        if got is not None:
            app = got
            if check(app):
                return app
        if time.monotonic() > deadline:
            raise AssertionError(
                f"Application {name}: not {what or 'as expected'} within {timeout:.0f} s; status:\n"
                + json.dumps(app.get("status", {}), indent=1)[-6000:]
            )
        time.sleep(1)
