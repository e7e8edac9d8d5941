"""Counting API-server writes from the local control plane's audit log (Metadata level, writes only).

The log records every create/update/patch/delete with its user agent and object reference, so the
operator's own writes (kopf's and the resync's) can be told apart from the benchmark's applies and
from Kubernetes Events, and each write classified by the part of the object it touched.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH_USER_AGENT = "registry-bench/1"


@dataclass
class WriteCounts:
    """Writes by everyone except the benchmark itself, over one window of the audit log."""

    by_kind: Counter[str] = field(default_factory=Counter)  # metadata | status | delete | other
    failed: int = 0  # answered >= 400 (e.g. a 409/422 conflict): still a request the server handled
    events: int = 0  # Kubernetes Events posted; reported, excluded from the per-version figure
    by_agent: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def _entries(self, start: int) -> list[dict]:
        with self.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read()
        # A line still being written has no newline yet; it belongs to the next read.
        data = data[: data.rfind(b"\n") + 1]
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    def wait_quiet(self, start: int, namespace: str, quiet: float = 3.0, timeout: float = 60.0) -> None:
        """Wait until nobody but the benchmark has written to objects in `namespace` for `quiet` s."""
        deadline = time.monotonic() + timeout
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.count(start, namespace).total
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                return
            time.sleep(0.5)

    def count(self, start: int, namespace: str, resource: str = "modelversions") -> WriteCounts:
        counts = WriteCounts()
        for entry in self._entries(start):
            if entry.get("stage") != "ResponseComplete":
                continue
            ref = entry.get("objectRef") or {}
            agent = entry.get("userAgent", "")
            if agent.startswith(BENCH_USER_AGENT) or ref.get("namespace") != namespace:
                continue
            if ref.get("resource") == "events":
                counts.events += 1
                continue
            if ref.get("resource") != resource:
                continue
            verb = entry.get("verb")
            if ref.get("subresource") == "status":
                kind = "status"
            elif verb in ("patch", "update"):
                kind = "metadata"  # annotations (diff-base, progress) and finalizers: kopf's bookkeeping
            elif verb in ("delete", "deletecollection"):
                kind = "delete"
            else:
                kind = "other"
            counts.by_kind[kind] += 1
            counts.by_agent[agent.split(" ")[0]] += 1
            if int((entry.get("responseStatus") or {}).get("code") or 0) >= 400:
                counts.failed += 1
        return counts
