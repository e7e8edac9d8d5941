"""What /proc says about the operator process: peak RSS, CPU time, and when it went idle."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status field in kB (VmHWM is the peak resident set, VmRSS the current one)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class IdleResult:
    seconds: float  # from `since` until the end of the last busy sample
    cpu_seconds: float  # CPU the process had used by then, since it started


def wait_idle(
    pid: int,
    since: float,
    sample: float = 0.5,
    busy_share: float = 0.05,
    quiet: float = 5.0,
    at_least: float = 5.0,
    timeout: float = 900.0,
) -> IdleResult:
    """Wait until the process used under `busy_share` of one core for `quiet` seconds in a row.

    `since` is a time.monotonic() value (the process start); the result counts up to the last sample
    in which it was busy, so the quiet period that proves idleness is not part of the figure.
    """
    last_t, last_cpu = time.monotonic(), cpu_seconds(pid)
    last_busy, busy_cpu = last_t, last_cpu
    deadline = since + timeout
    while True:
        time.sleep(sample)
        now, cpu = time.monotonic(), cpu_seconds(pid)
        if (cpu - last_cpu) / (now - last_t) > busy_share:
            last_busy, busy_cpu = now, cpu
        last_t, last_cpu = now, cpu
        if now - last_busy >= quiet and now - since >= at_least:
            return IdleResult(last_busy - since, busy_cpu)
        if now > deadline:
            raise TimeoutError(f"process {pid} still busy after {timeout:.0f} s")
