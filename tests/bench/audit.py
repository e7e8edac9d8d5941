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

    def _entries(self, start: int) -> tuple[list[dict], int]:
        """Complete entries from byte `start` on, and the byte where the next read starts."""
        with self.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read()
        # A line still being written has no newline yet; it belongs to the next read.
        data = data[: data.rfind(b"\n") + 1]
        return [json.loads(line) for line in data.splitlines() if line.strip()], start + len(data)

    def wait_quiet(self, start: int, namespace: str, quiet: float = 3.0, timeout: float = 60.0) -> None:
        """Wait until nobody but the benchmark has written to objects in `namespace` for `quiet` s.
        Reads only what was appended since the last look: after 10,000 versions the window holds tens
        of thousands of entries."""
        deadline = time.monotonic() + timeout
        position, last_change = start, time.monotonic()
        while time.monotonic() < deadline:
            entries, position = self._entries(position)
            if any(_classify(e, namespace, "modelversions") not in (None, "event") for e in entries):
                last_change = time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                return
            time.sleep(0.5)

    def count(self, start: int, namespace: str, resource: str = "modelversions") -> WriteCounts:
        counts = WriteCounts()
        for entry in self._entries(start)[0]:
            kind = _classify(entry, namespace, resource)
            if kind is None:
                continue
            if kind == "event":
                counts.events += 1
                continue
            counts.by_kind[kind] += 1
            counts.by_agent[entry.get("userAgent", "").split(" ")[0]] += 1
            if int((entry.get("responseStatus") or {}).get("code") or 0) >= 400:
                counts.failed += 1
        return counts


def _classify(entry: dict, namespace: str, resource: str) -> str | None:
    """metadata | status | delete | other for a write to `resource` in `namespace` by anyone but the
    benchmark, "event" for a Kubernetes Event there, None for anything else."""
    if entry.get("stage") != "ResponseComplete":
        return None
    ref = entry.get("objectRef") or {}
    if entry.get("userAgent", "").startswith(BENCH_USER_AGENT) or ref.get("namespace") != namespace:
        return None
    if ref.get("resource") == "events":
        return "event"
    if ref.get("resource") != resource:
        return None
    verb = entry.get("verb")
    if ref.get("subresource") == "status":
        return "status"
    if verb in ("patch", "update"):
        return "metadata"  # annotations (diff-base, progress) and finalizers: kopf's bookkeeping
    if verb in ("delete", "deletecollection"):
        return "delete"
    return "other"
