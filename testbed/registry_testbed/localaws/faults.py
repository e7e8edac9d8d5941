"""Fault injection and per-operation call counters for tests and benchmarks.

Rules match `service:Operation` keys (exact, `service:*`, `*`, or any fnmatch pattern). Each matching rule
adds its latency; the first matching rule whose dice roll fires answers the request with its error before
the request reaches any backend, so an injected fault never has a side effect.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

# error name -> (HTTP status, message); the codes are the ones botocore's retry handlers recognise.
# "ThrottlingException" names throttling as such: it is answered the way the called service throttles
# (`throttling()`), like a request over a rate limit.
FAULT_ERRORS: dict[str, tuple[int, str]] = {
    "ThrottlingException": (400, "Rate exceeded"),
    "InternalFailure": (500, "We encountered an internal error. Please try again."),
    "ServiceUnavailable": (503, "Service is unavailable. Please try again later."),
}
THROTTLING = "ThrottlingException"

# How a service answers a request over its rate: (HTTP status, error code, message). Every code here is
# one botocore's retry handlers treat as throttling (botocore/retries/standard.py, ThrottledRetryableChecker;
# botocore/data/_retry.json, "throttling" codes).
_THROTTLING_BY_SERVICE: dict[str, tuple[int, str, str]] = {
    # Amazon S3 API reference, "Error responses": SlowDown, 503, "Please reduce your request rate."
    "s3": (503, "SlowDown", "Please reduce your request rate."),
    # AWS KMS developer guide, "Throttling AWS KMS requests": ThrottlingException, status code 400.
    "kms": (
        400,
        "ThrottlingException",
        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    ),
}
_THROTTLING_BY_PROTOCOL: dict[str, tuple[int, str, str]] = {
    # IAM and STS (query protocol), AWS Knowledge Center "iam-sts-throttling-error":
    # "Throttling: Rate exceeded, status code: 400".
    "query": (400, "Throttling", "Rate exceeded"),
}
# SageMaker and the other JSON services: ThrottlingException, HTTP 400, "Rate exceeded" (AWS Knowledge
# Center "sagemaker-python-throttlingexception"; Amazon ECS API reference, "Request throttling").
_THROTTLING_DEFAULT = (400, "ThrottlingException", "Rate exceeded")


def throttling(service: str, protocol: str) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a throttled request to `service` in its `protocol`."""
    found = _THROTTLING_BY_SERVICE.get(service) or _THROTTLING_BY_PROTOCOL.get(protocol)
    return found or _THROTTLING_DEFAULT


class RuleError(ValueError):
    """A fault rule the control endpoint must refuse."""


@dataclass(slots=True)
class FaultRule:
    operation: str
    rate: float
    error: str
    latency_ms: int = 0
    count: int | None = None
    injected: int = 0

    @classmethod
    def from_json(cls, raw: object) -> FaultRule:
        if not isinstance(raw, dict):
            raise RuleError("each rule must be a JSON object")
        operation = raw.get("operation")
        if not isinstance(operation, str) or not operation:
            raise RuleError(
                "rule.operation must be a non-empty string such as 'sagemaker:CreateModelPackage'"
            )
        rate = raw.get("rate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise RuleError("rule.rate must be a number between 0 and 1")
        error = raw.get("error", "ThrottlingException")
        if error not in FAULT_ERRORS:
            raise RuleError(f"rule.error must be one of {sorted(FAULT_ERRORS)}")
        latency = raw.get("latencyMs", 0) or 0
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
            raise RuleError("rule.latencyMs must be a non-negative number")
        count = raw.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise RuleError("rule.count must be null or a non-negative integer")
        return cls(operation=operation, rate=float(rate), error=error, latency_ms=int(latency), count=count)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "rate": self.rate,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "count": self.count,
            "injected": self.injected,
        }

    def matches(self, key: str) -> bool:
        return self.operation == "*" or self.operation == key or fnmatchcase(key, self.operation)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    latency_s: float
    error: str | None


_NO_FAULT = FaultDecision(0.0, None)


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random()

    def set_rules(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self._rules = rules
            if seed is not None:
                # A seed makes a benchmark's fault sequence reproducible (for a given request order).
                self._random.seed(seed)

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def decide(self, key: str) -> FaultDecision:
        with self._lock:
            if not self._rules:
                return _NO_FAULT
            latency_ms = 0
            error: str | None = None
            for rule in self._rules:
                if not rule.matches(key):
                    continue
                latency_ms += rule.latency_ms
                if error is not None or rule.rate <= 0.0:
                    continue
                if rule.count is not None and rule.injected >= rule.count:
                    continue
                if self._random.random() < rule.rate:
                    rule.injected += 1
                    error = rule.error
            return FaultDecision(latency_ms / 1000.0, error)


class CallCounter:
    """Calls, injected faults and requests refused by a rate limit per `service:Operation`, in all; calls
    also per Kubernetes object.

    The operator names the object each call is made for in its User-Agent (`k8s-object/<ns>/<name>/<uid>`),
    so a test can count the calls of its own object while the operator works on others.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._by_object: dict[str, Counter[str]] = {}

    def record_call(self, key: str, obj: str | None = None) -> None:
        with self._lock:
            self._calls[key] += 1
            if obj is not None:
                self._by_object.setdefault(obj, Counter())[key] += 1

    def record_fault(self, key: str) -> None:
        with self._lock:
            self._faults[key] += 1

    def record_throttled(self, key: str) -> None:
        with self._lock:
            self._throttled[key] += 1

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._throttled.clear()
            self._by_object.clear()

    def snapshot(self, obj: str | None = None) -> dict[str, dict[str, int]]:
        """All three counters; with `obj` ("namespace/name", or "namespace/" for a whole namespace) the
        calls made for those objects only."""
        with self._lock:
            if obj is None:
                return {
                    "calls": dict(self._calls),
                    "faults": dict(self._faults),
                    "throttled": dict(self._throttled),
                }
            calls: Counter[str] = Counter()
            for name, counts in self._by_object.items():
                if name == obj or (obj.endswith("/") and name.startswith(obj)):
                    calls.update(counts)
            return {"calls": dict(calls)}


def object_of(user_agent: str) -> str | None:
    """ "namespace/name" of the object a call was made for, from the operator's User-Agent token."""
    for part in user_agent.split():
        if part.startswith("k8s-object/"):
            pieces = part.split("/")
            if len(pieces) >= 3:
                return f"{pieces[1]}/{pieces[2]}"
    return None


class ConnectionCounter:
    """TCP connections the server accepted and still holds open: how many a client's calls cost in new
    connections (a client that reuses its connections opens a handful for thousands of calls)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted = 0
        self._open = 0

    def opened(self) -> None:
        with self._lock:
            self._accepted += 1
            self._open += 1

    def closed(self) -> None:
        with self._lock:
            self._open -= 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"accepted": self._accepted, "open": self._open}
