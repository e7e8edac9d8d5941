"""TCP sockets on one local port by state, from /proc/net/tcp and tcp6 (what `ss -tan` shows).

A server that closes each connection after its response leaves one socket in TIME-WAIT per request for
a minute (Linux's fixed TIME-WAIT period): thousands after a benchmark's thousands of calls.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

# include/net/tcp_states.h
STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT"}


def by_state(port: int) -> Counter[str]:
    """Sockets whose local or remote port is `port`, counted by state (both ends of a loopback
    connection are counted, as each is a socket of its own)."""
    counts: Counter[str] = Counter()
    hex_port = f"{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if local.endswith(":" + hex_port) or remote.endswith(":" + hex_port):
                counts[STATES.get(state, state)] += 1
    return counts


def time_wait(port: int) -> int:
    return by_state(port)["TIME_WAIT"]
