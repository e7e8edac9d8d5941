"""Progress lines of the test bed's long steps (builds, start-ups, shut-downs), on stderr as they happen."""

from __future__ import annotations

import sys
from collections.abc import Callable


def progress_log(prefix: str) -> Callable[[str], None]:
    """A function printing each message as `[prefix] message` on stderr, at once."""

    def log(msg: str) -> None:
        print(f"[{prefix}] {msg}", file=sys.stderr, flush=True)

    return log
