"""Per-account, per-operation request rate limits, answered as AWS answers throttling.

AWS throttles each API per account and Region with a token bucket: a bucket of `burst` tokens, one taken
per request, refilled at `ratePerSecond`; a request that finds the bucket empty is refused, and the
refill never takes the bucket past `burst` (Amazon EC2 developer guide, "Request throttling for the
Amazon EC2 API": bucket size and refill rate per API; Amazon ECS API reference, "Request throttling":
sustained and burst rates per operation, per account and Region). SageMaker documents the same per
account and Region (AWS Knowledge Center, "sagemaker-python-throttlingexception").

Settings: `{"sagemaker:CreateModelPackage": {"ratePerSecond": 10, "burst": 20}}`, keyed like fault rules
(exact `service:Operation`, `service:*`, `*`, any fnmatch pattern). A pattern gives each operation it
matches a bucket of its own, as AWS limits each API on its own; an exact key wins over patterns, and
among patterns the first one given. `burst` defaults to one second's worth (at least 1).

The token bucket is written here (a dozen lines): botocore's `TokenBucket` is the client side's (it
blocks until a token comes, its capacity is fixed at one second's worth), and a server needs a
non-blocking admission with a burst of its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

# Refill arithmetic on float clock readings: 0.1 s at 10 per second may come out as 0.99999999 tokens.
_ROUNDING = 1e-9


class RateLimitError(ValueError):
    """Rate-limit settings the control endpoint must refuse."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    operation: str  # exact key or pattern, as in the settings
    rate_per_second: float
    burst: float

    @classmethod
    def from_json(cls, operation: object, raw: object) -> RateLimit:
        if not isinstance(operation, str) or not operation:
            raise RateLimitError("rateLimits keys must be operations such as 'sagemaker:CreateModelPackage'")
        if not isinstance(raw, dict):
            raise RateLimitError(f'rateLimits["{operation}"] must be an object {{"ratePerSecond", "burst"}}')
        unknown = set(raw) - {"ratePerSecond", "burst"}
        if unknown:
            raise RateLimitError(f'rateLimits["{operation}"]: unknown field(s) {sorted(unknown)}')
        rate = raw.get("ratePerSecond")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf:
            raise RateLimitError(f'rateLimits["{operation}"].ratePerSecond must be a positive number')
        burst = raw.get("burst", max(1, math.ceil(rate)))
        if isinstance(burst, bool) or not isinstance(burst, (int, float)) or not 1 <= burst < math.inf:
            raise RateLimitError(f'rateLimits["{operation}"].burst must be a number of at least 1')
        return cls(operation, float(rate), float(burst))

    def to_json(self) -> dict[str, float]:
        return {"ratePerSecond": self.rate_per_second, "burst": self.burst}

    def matches(self, key: str) -> bool:
        return self.operation == "*" or self.operation == key or fnmatchcase(key, self.operation)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimits:
    """The configured limits and a bucket per (account, region, operation) that has been called."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limits: list[RateLimit] = []
        self._by_key: dict[str, RateLimit | None] = {}  # which limit applies to an operation, once known
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    @property
    def active(self) -> bool:
        return bool(self._limits)

    def set(self, limits: list[RateLimit]) -> None:
        """Replace every limit; all buckets start again full."""
        with self._lock:
            self._limits = list(limits)
            self._by_key.clear()
            self._buckets.clear()

    def to_json(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {limit.operation: limit.to_json() for limit in self._limits}

    def _limit_for(self, key: str) -> RateLimit | None:
        if key not in self._by_key:
            exact = next((lim for lim in self._limits if lim.operation == key), None)
            self._by_key[key] = exact or next((lim for lim in self._limits if lim.matches(key)), None)
        return self._by_key[key]

    def admit(self, account: str, region: str, key: str) -> bool:
        """Take a token from this caller's bucket for `key`; False (and nothing taken) when it is empty."""
        with self._lock:
            limit = self._limit_for(key)
            if limit is None:
                return True
            now = self._clock()
            bucket = self._buckets.get((account, region, key))
            if bucket is None:
                bucket = self._buckets[(account, region, key)] = _Bucket(limit.burst, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.rate_per_second)
                bucket.updated = now
            if bucket.tokens < 1.0 - _ROUNDING:
                return False
            bucket.tokens -= 1.0
            return True


def parse(raw: Any) -> list[RateLimit]:
    """The `rateLimits` setting: {operation: {"ratePerSecond", "burst"}}, in the order given."""
    if not isinstance(raw, dict):
        raise RateLimitError('rateLimits must be an object {"service:Operation": {"ratePerSecond", "burst"}}')
    return [RateLimit.from_json(operation, limit) for operation, limit in raw.items()]
