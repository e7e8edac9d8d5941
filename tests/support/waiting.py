"""Polling for conditions that settle asynchronously (the operator, the resync)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 60.0, interval: float = 0.5, what: str = "") -> T:
    """Call `check` until it returns something truthy; fail with the last value or error."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            if result:
                return result
            last = result
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:.0f} s: {what or check.__name__}; last: {last!r}")
        time.sleep(interval)
