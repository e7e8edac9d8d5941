"""Prometheus metrics of the operator, and the per-thread object a reconcile is working on.

Four families, all prefixed `registry_operator_`:

- `reconciles_total{kind, result}`: one per reconcile that reached a decision; `result` is `ready`,
  `progressing` (retried: waiting for a group, AccessDenied, throttling), `stalled` or `error` (an
  unexpected exception).
- `reconcile_duration_seconds{kind}`: the time of those reconciles, AWS calls included.
- `aws_calls_total{service, operation, outcome}`: every AWS API call the operator's clients make
  (after botocore's own retries), `outcome` being `success` or the AWS error code
  (`ThrottlingException`, `AccessDeniedException`, ...) or, when no answer came, the exception name.
- `resources{kind, ready}`: the objects the operator watches, by their `Ready` condition
  (`True`, `False`, `Unknown`), as last seen on the watch.

The process collectors of prometheus-client (memory, CPU, open files) come with the default registry.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# `*_created` series (one timestamp per label set) only double the output here
disable_created_metrics()

PREFIX = "registry_operator"
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")

RECONCILES = Counter(
    f"{PREFIX}_reconciles",
    "Reconciles that reached a decision, by kind and result.",
    ["kind", "result"],
)
RECONCILE_SECONDS = Histogram(
    f"{PREFIX}_reconcile_duration_seconds",
    "Time of one reconcile (AWS calls included), by kind.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
AWS_CALLS = Counter(
    f"{PREFIX}_aws_calls",
    "AWS API calls (after botocore's retries), by service, operation and outcome.",
    ["service", "operation", "outcome"],
)

aws_log = logging.getLogger("registry_operator.aws")

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- resources by Ready


class _ReadyCollector(Collector):
    """`resources{kind, ready}` computed at scrape time from the last state seen of every object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: dict[tuple[str, str, str], str] = {}
        self._kinds: set[str] = set()

    def observe(self, event_type: str, body: dict[str, Any]) -> None:
        meta = body.get("metadata", {})
        kind = str(body.get("kind", ""))
        key = (kind, str(meta.get("namespace", "")), str(meta.get("name", "")))
        with self._lock:
            self._kinds.add(kind)
            if event_type == "DELETED":
                self._ready.pop(key, None)
            else:
                self._ready[key] = ready_state(body)

    def forget_all(self) -> None:
        with self._lock:
            self._ready.clear()
            self._kinds.clear()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            f"{PREFIX}_resources", "Watched objects by kind and Ready condition.", labels=["kind", "ready"]
        )
        with self._lock:
            counts: dict[tuple[str, str], int] = {
                (kind, state): 0 for kind in self._kinds for state in ("True", "False", "Unknown")
            }
            for (kind, _, _), state in self._ready.items():
                counts[(kind, state)] = counts.get((kind, state), 0) + 1
        for (kind, state), count in sorted(counts.items()):
            family.add_metric([kind, state], count)
        yield family


def ready_state(body: dict[str, Any]) -> str:
    """`True` only when Ready is True for the current generation; no condition yet is `Unknown`."""
    generation = body.get("metadata", {}).get("generation")
    for cond in body.get("status", {}).get("conditions", []) or []:
        if cond.get("type") == "Ready":
            status = str(cond.get("status", "Unknown"))
            if status == "True" and cond.get("observedGeneration") not in (None, generation):
                return "Unknown"  # Ready for an older spec says nothing about this one
            return status if status in ("True", "False") else "Unknown"
    return "Unknown"


RESOURCES = _ReadyCollector()
REGISTRY.register(RESOURCES)


# --------------------------------------------------------------------------- reconciles

_current = threading.local()


def current_object() -> dict[str, str] | None:
    """The object the reconcile on this thread works on, in kopf's log-reference shape."""
    return getattr(_current, "ref", None)


def record_outcome(state: str) -> None:
    """Called by the status writer: what the running reconcile decided (`Ready`, `Progressing`, ...)."""
    _current.outcome = state


def observe_reconcile(kind: str) -> Callable[[F], F]:
    """Decorate a kopf reconcile handler: time it, and count it by the outcome it wrote.

    A handler that returns without writing an outcome (a resume of an object already settled, a timer
    tick between re-checks) is not counted. functools.wraps keeps the name kopf derives handler ids from.
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            body = kwargs.get("body") or {}
            meta = body.get("metadata", {})
            _current.ref = {
                "apiVersion": body.get("apiVersion", ""),
                "kind": kind,
                "name": meta.get("name", ""),
                "uid": meta.get("uid", ""),
                "namespace": meta.get("namespace", ""),
            }
            _current.outcome = None
            started = time.perf_counter()
            result = "error"
            try:
                value = fn(*args, **kwargs)
                result = _result(_current.outcome)
                return value
            except Exception as exc:
                # kopf.TemporaryError: status.apply wrote a Progressing outcome and asked for a retry
                result = _result(_current.outcome) if _current.outcome else _error_result(exc)
                raise
            finally:
                if result is not None:
                    RECONCILES.labels(kind, result).inc()
                    RECONCILE_SECONDS.labels(kind).observe(time.perf_counter() - started)
                _current.ref = None
                _current.outcome = None

        return wrapper  # type: ignore[return-value]

    return wrap


def _result(state: str | None) -> str | None:
    return None if state is None else state.lower()


def _error_result(exc: Exception) -> str:
    return "progressing" if type(exc).__name__ == "TemporaryError" else "error"


# --------------------------------------------------------------------------- AWS calls


def instrument(session: Any) -> None:
    """Count every call of every client made from this botocore session (and log writes' request ids)."""
    session.register("after-call", _after_call, unique_id="registry-operator-metrics")
    session.register("after-call-error", _after_call_error, unique_id="registry-operator-metrics-error")


def _names(event_name: str) -> tuple[str, str]:
    # "after-call.sagemaker.CreateModelPackage" -> ("sagemaker", "CreateModelPackage")
    parts = event_name.split(".")
    return (parts[1], parts[2]) if len(parts) >= 3 else ("unknown", "unknown")


def _after_call(http_response: Any, parsed: dict[str, Any], event_name: str, **_: Any) -> None:
    service, operation = _names(event_name)
    error = (parsed or {}).get("Error") or {}
    status = getattr(http_response, "status_code", 200)
    outcome = "success" if status < 300 else str(error.get("Code") or f"HTTP{status}")
    AWS_CALLS.labels(service, operation, outcome).inc()
    if outcome == "success" and service != "sts" and not operation.startswith(READ_PREFIXES):
        request_id = (parsed or {}).get("ResponseMetadata", {}).get("RequestId", "")
        ref = current_object()
        aws_log.info(
            f"AWS {service}:{operation} succeeded (request id {request_id or 'none'})",
            extra={"k8s_ref": ref} if ref else None,
        )


def _after_call_error(exception: Exception, event_name: str, **_: Any) -> None:
    service, operation = _names(event_name)
    AWS_CALLS.labels(service, operation, type(exception).__name__).inc()
