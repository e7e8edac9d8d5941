"""Prometheus metrics of the operator, and the per-thread object a reconcile is working on.

All families are prefixed `registry_operator_`. No label ever carries an ARN or an object's name or
namespace: every label value comes from a bounded set (kinds, results, AWS operations and error codes,
condition types and CamelCase reasons).

Reconciles and AWS:
- `reconciles_total{kind, result}`: one per reconcile that reached a decision; `result` is `ready`,
  `progressing` (retried: waiting for a group, AccessDenied, throttling), `stalled` or `error` (an
  unexpected exception).
- `reconcile_duration_seconds{kind}`: the time of those reconciles, AWS calls included.
- `aws_calls_total{service, operation, outcome}`: every AWS API call the operator's clients make
  (after botocore's own retries), `outcome` being `success` or the AWS error code
  (`ThrottlingException`, `AccessDeniedException`, ...) or, when no answer came, the exception name.
- `aws_errors_total{service, operation, code, category}`: the failed ones among those calls, with the
  operator's reading of the code as `category` (`Throttled`, `AccessDenied`, `NotFound`,
  `AwsValidationError`, `Conflict`, `ResourceLimitExceeded`, `AwsServerError`, `AwsUnreachable`).
- `aws_throttled_requests_total{service, operation}`: every attempt AWS answered with a throttling
  error, botocore's retries included (throttling that retries absorbed shows here only).
- `aws_rate_limit_wait_seconds{service, operation}`: the time each call waited for the operator's own
  rate limiter (aws/ratelimit.py) before it was sent, once AWS has throttled that operation; and
  `aws_rate_limit_waiting{service, operation}`: calls waiting for it now. Waiting is how the operator
  stays at the rate AWS allows: it is not an error, and nothing is logged per call.
  `aws_rate_limit_deferred_total{service, operation}`: calls it did not send because their turn did not
  come within its longest wait (their reconciles report Throttled and are retried); they never reached
  AWS, so they are in neither `aws_calls_total` nor `aws_errors_total`.

Objects, as last seen on the watch:
- `resources{kind, ready}`: by their `Ready` condition (`True`, `False`, `Unknown`).
- `resource_conditions{kind, condition, status, reason}`: by each of `Ready`, `Reconciling` and
  `Stalled`, with the condition's reason. A condition about an older generation counts as `Unknown`
  with reason `StaleGeneration`, a missing one as `Unknown` with reason `NoCondition`.
- `time_to_ready_seconds{kind}`: histogram of the time from the last apply of a spec (the newest
  `managedFields` entry that owns spec fields, else `creationTimestamp`) to Ready for that generation.

Periodic resync (per group of registered versions; groups are never labels, there may be thousands):
- `resync_groups{result}`: tracked groups by the result of their last List (`success`, `failure`).
- `resync_oldest_success_timestamp_seconds`: Unix time as of which every tracked group has been listed
  successfully (a group never listed counts from when it was first tracked; with none tracked, the end
  of the last pass). `time() -` this is the resync lag.
- `resync_interval_seconds`: the configured interval, for comparing the lag with it.
- `resync_duration_seconds`: histogram of the time of one pass over all groups.

Registry events (SageMaker's EventBridge events read from the configured SQS queues; `queue` is
`<account>/<queue name>`, one per configured queue):
- `registry_events_received_total{queue}`: messages received, whatever they held.
- `registry_events_applied_total{queue}`: events whose change the status now reflects.
- `registry_events_ignored_total{queue, reason}`: events that needed nothing: `stale` (older than what
  the status reflects), `duplicate` (already reflected), `unknown` (no object manages the package).
- `registry_events_malformed_total{queue, reason}`: messages deleted unread: `malformed` (not a usable
  event), `foreign` (another event, or no event at all).
- `registry_events_retried_total{queue}`: events left on the queue to come again (not applied yet).
- `registry_event_lag_seconds{queue}`: histogram of the time from an event's `time` (to the second) to
  the status write that applied it.
- `event_queue_errors_total{queue, operation, code}`: failed SQS calls (ReceiveMessage, DeleteMessage,
  ChangeMessageVisibility) by error code.
- `event_queue_last_receive_timestamp_seconds{queue}`: Unix time of the last successful ReceiveMessage
  (empty or not; with 20 s long polls it is never older than about 20 s while the queue can be read);
  while a queue has not been read yet, the time its polling started. Exported while this replica polls.

The process:
- `leader`: 1 while this replica acts (holds the leader Lease, or runs without `--leader-elect`),
  0 while it waits to lead.
- `build_info{version, python_version, kopf_version, botocore_version}`: always 1.
- The process collectors of prometheus-client (memory, CPU, open files) come with the default registry.
"""

from __future__ import annotations

import logging
import platform
import re
import threading
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import version
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from registry_operator import __version__
from registry_operator.aws.errors import AwsErrorKind, RateLimited, kind_of
from registry_operator.reconcile.readiness import ready_state

# `*_created` series (one timestamp per label set) only double the output here
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "registry_operator"
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")

RESULTS = ("ready", "progressing", "stalled", "error")

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
AWS_ERRORS = Counter(
    f"{PREFIX}_aws_errors",
    "Failed AWS API calls (after botocore's retries), by service, operation, error code and category.",
    ["service", "operation", "code", "category"],
)
AWS_THROTTLED = Counter(
    f"{PREFIX}_aws_throttled_requests",
    "AWS request attempts answered with a throttling error, botocore's retries included.",
    ["service", "operation"],
)
# From a call sent at once to one that queued behind a minute's worth of others.
AWS_RATE_LIMIT_WAIT = Histogram(
    f"{PREFIX}_aws_rate_limit_wait_seconds",
    "Time AWS calls waited for the operator's rate limiter of an operation AWS throttled, by service and "
    "operation.",
    ["service", "operation"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
AWS_RATE_LIMIT_DEFERRED = Counter(
    f"{PREFIX}_aws_rate_limit_deferred",
    "AWS calls the operator's rate limiter did not send, because more calls waited than AWS accepted in "
    "its longest wait; their reconciles are retried later. By service and operation.",
    ["service", "operation"],
)
AWS_RATE_LIMIT_WAITING = Gauge(
    f"{PREFIX}_aws_rate_limit_waiting",
    "AWS calls waiting for the operator's rate limiter now, by service and operation.",
    ["service", "operation"],
)
# From a second (an apply settled at once) to hours (a version waiting for its cross-account access).
TIME_TO_READY = Histogram(
    f"{PREFIX}_time_to_ready_seconds",
    "Time from the last apply of an object's spec to Ready for that generation, by kind.",
    ["kind"],
    buckets=(1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0),
)
RESYNC_SECONDS = Histogram(
    f"{PREFIX}_resync_duration_seconds",
    "Time of one periodic resync pass over every group of registered versions.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
LEADER = Gauge(
    f"{PREFIX}_leader",
    "1 while this replica acts (leads, or runs without leader election), 0 while it waits to lead.",
)
BUILD = Info(f"{PREFIX}_build", "The operator's version and the versions it runs on.")
BUILD.info(
    {
        "version": __version__,
        "python_version": platform.python_version(),
        "kopf_version": version("kopf"),
        "botocore_version": version("botocore"),
    }
)

aws_log = logging.getLogger("registry_operator.aws")

# --------------------------------------------------------------------------- objects by condition

CONDITIONS = ("Ready", "Reconciling", "Stalled")
# A reason is a CamelCase word (Kubernetes API conventions); anything else, and any reason past this
# many distinct ones, is counted as `Other`, so that a status written by someone else cannot blow up
# the number of series. The operator's own reasons are a few dozen.
_REASON = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
MAX_REASONS = 100
OTHER_REASON = "Other"


class _Seen(NamedTuple):
    """What the collector keeps per object: its summary (shared between objects in the same state)
    and the last generation it was seen Ready at (None: not yet, as far as this process knows)."""

    summary: tuple[str, tuple[tuple[str, str, str], ...]]
    ready_generation: int | None


class _ObjectsCollector(Collector):
    """`resources{kind, ready}` and `resource_conditions{kind, condition, status, reason}`, computed at
    scrape time from the last state seen of every object, and `time_to_ready_seconds` observed when an
    object turns Ready for a generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str, str], _Seen] = {}
        self._kinds: set[str] = set()
        self._reasons: set[str] = set()
        # Every label set counted once stays exported (as 0 when no object is in it any more), so a
        # count that drops to zero reads 0 on a graph instead of vanishing. Bounded like the reasons.
        self._condition_keys: set[tuple[str, str, str, str]] = set()
        # Objects in the same state share one summary tuple: 10,000 Ready versions hold one, not 10,000.
        self._summaries: dict[Hashable, Any] = {}

    def observe(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        meta = body.get("metadata", {})
        kind = str(body.get("kind", ""))
        key = (kind, str(meta.get("namespace", "")), str(meta.get("name", "")))
        generation = int(meta.get("generation") or 0)
        with self._lock:
            self._kinds.add(kind)
            if event_type == "DELETED":
                self._objects.pop(key, None)
                return
            summary = self._shared((ready_state(body), self._conditions(body)))
            before = self._objects.get(key)
            ready_generation = before.ready_generation if before else None
            if summary[0] == "True" and ready_generation != generation:
                # The first sight of an object already Ready (a restart) says nothing about how long
                # it took; a later turn to Ready for a new generation does.
                if before is not None:
                    TIME_TO_READY.labels(kind).observe(max(0.0, time.time() - applied_at(meta)))
                ready_generation = generation
            self._objects[key] = _Seen(summary, ready_generation)

    def _shared(self, value: Hashable) -> Any:
        return self._summaries.setdefault(value, value)

    def _conditions(self, body: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
        generation = body.get("metadata", {}).get("generation")
        found = {c.get("type"): c for c in (body.get("status") or {}).get("conditions") or []}
        states = []
        for ctype in CONDITIONS:
            cond = found.get(ctype)
            if cond is None:
                states.append((ctype, "Unknown", "NoCondition"))
            elif cond.get("observedGeneration") not in (None, generation):
                states.append((ctype, "Unknown", "StaleGeneration"))
            else:
                status = str(cond.get("status"))
                status = status if status in ("True", "False") else "Unknown"
                states.append((ctype, status, self._reason(cond.get("reason"))))
        return tuple(states)

    def _reason(self, raw: Any) -> str:
        reason = str(raw or "")
        if not _REASON.fullmatch(reason):
            return OTHER_REASON
        if reason not in self._reasons:
            if len(self._reasons) >= MAX_REASONS:
                return OTHER_REASON
            self._reasons.add(reason)
        return reason

    def forget_all(self) -> None:
        with self._lock:
            self._objects.clear()
            self._kinds.clear()
            self._condition_keys.clear()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ready = GaugeMetricFamily(
            f"{PREFIX}_resources", "Watched objects by kind and Ready condition.", labels=["kind", "ready"]
        )
        conditions = GaugeMetricFamily(
            f"{PREFIX}_resource_conditions",
            "Watched objects by kind and by the status and reason of each of their Ready, Reconciling "
            "and Stalled conditions.",
            labels=["kind", "condition", "status", "reason"],
        )
        with self._lock:
            ready_counts: dict[tuple[str, str], int] = {
                (kind, state): 0 for kind in self._kinds for state in ("True", "False", "Unknown")
            }
            condition_counts: dict[tuple[str, str, str, str], int] = dict.fromkeys(self._condition_keys, 0)
            for (kind, _, _), seen in self._objects.items():
                state, states = seen.summary
                ready_counts[(kind, state)] = ready_counts.get((kind, state), 0) + 1
                for ctype, status, reason in states:
                    label_set = (kind, ctype, status, reason)
                    condition_counts[label_set] = condition_counts.get(label_set, 0) + 1
            self._condition_keys.update(condition_counts)
        for (kind, state), count in sorted(ready_counts.items()):
            ready.add_metric([kind, state], count)
        for label_set, count in sorted(condition_counts.items()):
            conditions.add_metric(list(label_set), count)
        yield ready
        yield conditions


def _timestamp(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def applied_at(meta: Mapping[str, Any]) -> float:
    """When the object's current spec was applied: the newest time of a managedFields entry that owns
    spec fields (kubectl apply, Argo CD, Flux: each records its own), else the creation time. The
    operator's own entries own status or metadata only, so they never count."""
    times = [
        _timestamp(entry.get("time"))
        for entry in meta.get("managedFields") or []
        if not entry.get("subresource") and "f:spec" in (entry.get("fieldsV1") or {})
    ]
    created = _timestamp(meta.get("creationTimestamp"))
    known = [t for t in (created, *times) if t is not None]
    return max(known) if known else time.time()


RESOURCES = _ObjectsCollector()
REGISTRY.register(RESOURCES)


# --------------------------------------------------------------------------- periodic resync


class _ResyncCollector(Collector):
    """The resync's health without a label per group: how many groups last listed fine or failed, and
    the oldest time as of which all of them were listed. Nothing is exported until the resync runs
    (a standby replica has none, and must not look like one that lags)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._interval: float | None = None
        self._since: dict[Hashable, float] = {}  # group -> last successful List, else first tracked
        self._failing: set[Hashable] = set()
        self._idle_since = 0.0  # with no group tracked: when the last pass ended
        self._pass_started: float | None = None

    def start(self, interval_seconds: float) -> None:
        with self._lock:
            self._interval = float(interval_seconds)
            self._idle_since = time.time()

    def pass_started(self, groups: Iterable[Hashable]) -> None:
        """A pass begins over these groups; groups no longer among them are forgotten."""
        now = time.time()
        with self._lock:
            wanted = set(groups)
            self._since = {g: self._since.get(g, now) for g in wanted}
            self._failing &= wanted
            self._pass_started = time.perf_counter()

    def listed(self, group: Hashable) -> None:
        with self._lock:
            self._since[group] = time.time()
            self._failing.discard(group)

    def failed(self, group: Hashable) -> None:
        with self._lock:
            self._since.setdefault(group, time.time())
            self._failing.add(group)

    def pass_finished(self) -> None:
        with self._lock:
            self._idle_since = time.time()
            started, self._pass_started = self._pass_started, None
        if started is not None:
            RESYNC_SECONDS.observe(time.perf_counter() - started)

    def stop(self) -> None:
        with self._lock:
            self._interval = None
            self._since.clear()
            self._failing.clear()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if self._interval is None:
                return
            interval = self._interval
            failing = len(self._failing)
            listed = len(self._since) - failing
            oldest = min(self._since.values()) if self._since else self._idle_since
        groups = GaugeMetricFamily(
            f"{PREFIX}_resync_groups",
            "Groups of registered versions the resync tracks, by the result of their last List.",
            labels=["result"],
        )
        groups.add_metric(["success"], listed)
        groups.add_metric(["failure"], failing)
        yield groups
        yield GaugeMetricFamily(
            f"{PREFIX}_resync_oldest_success_timestamp_seconds",
            "Unix time as of which every tracked group has been listed successfully by the resync.",
            value=oldest,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_resync_interval_seconds", "The configured resync interval.", value=interval
        )


RESYNC = _ResyncCollector()
REGISTRY.register(RESYNC)


# --------------------------------------------------------------------------- registry events

EVENTS_RECEIVED = Counter(
    f"{PREFIX}_registry_events_received", "Messages received from the registry event queues.", ["queue"]
)
EVENTS_APPLIED = Counter(
    f"{PREFIX}_registry_events_applied", "Registry events whose change the status now reflects.", ["queue"]
)
EVENTS_IGNORED = Counter(
    f"{PREFIX}_registry_events_ignored",
    "Registry events that needed nothing, by reason (stale, duplicate, unknown).",
    ["queue", "reason"],
)
EVENTS_MALFORMED = Counter(
    f"{PREFIX}_registry_events_malformed",
    "Messages deleted from the registry event queues unread, by reason (malformed, foreign).",
    ["queue", "reason"],
)
EVENTS_RETRIED = Counter(
    f"{PREFIX}_registry_events_retried",
    "Registry events left on their queue to come again: not applied yet.",
    ["queue"],
)
# From well under a second (the target: p99 within 3 s) to the queue's retention of missed events.
EVENT_LAG = Histogram(
    f"{PREFIX}_registry_event_lag_seconds",
    "Time from a registry event's time to the status write that applied it.",
    ["queue"],
    buckets=(0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
EVENT_QUEUE_ERRORS = Counter(
    f"{PREFIX}_event_queue_errors",
    "Failed SQS calls on the registry event queues, by operation and error code.",
    ["queue", "operation", "code"],
)
IGNORED_REASONS = ("stale", "duplicate", "unknown")
DISCARD_REASONS = ("malformed", "foreign")


class _EventQueuesCollector(Collector):
    """`event_queue_last_receive_timestamp_seconds{queue}` for the queues this replica polls: a standby
    replica polls none and exports no sample, so it cannot look like one that fails to read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def started(self, queue: str) -> None:
        """Polling begins: the queue's series appear, at 0 for the counters (a series that appears with
        its first increment loses that increment to rate()), and counting from now for the gauge."""
        EVENTS_RECEIVED.labels(queue)
        EVENTS_APPLIED.labels(queue)
        EVENTS_RETRIED.labels(queue)
        EVENT_LAG.labels(queue)
        for reason in IGNORED_REASONS:
            EVENTS_IGNORED.labels(queue, reason)
        for reason in DISCARD_REASONS:
            EVENTS_MALFORMED.labels(queue, reason)
        with self._lock:
            self._last.setdefault(queue, time.time())

    def received(self, queue: str) -> None:
        with self._lock:
            # A receive still under way in a worker thread when polling stopped must not bring back a
            # series that then ages into a false RegistryOperatorEventQueueUnreadable.
            if queue in self._last:
                self._last[queue] = time.time()

    def stopped(self, queue: str) -> None:
        with self._lock:
            self._last.pop(queue, None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            f"{PREFIX}_event_queue_last_receive_timestamp_seconds",
            "Unix time of the last successful ReceiveMessage on each registry event queue this replica "
            "polls (the start of polling until the first).",
            labels=["queue"],
        )
        with self._lock:
            last = sorted(self._last.items())
        for queue, when in last:
            family.add_metric([queue], when)
        yield family


EVENT_QUEUES = _EventQueuesCollector()
REGISTRY.register(EVENT_QUEUES)


# --------------------------------------------------------------------------- approvals

APPROVALS = Counter(
    f"{PREFIX}_approvals",
    "Approval changes of ModelVersions, by where they were made (git, registry) and to what.",
    ["source", "status"],
)
APPROVAL_REVERTS = Counter(
    f"{PREFIX}_approval_reverts",
    "Approvals made in the registry that the operator set back, by why: `git` (spec.approvalStatus "
    "decides) or `policy` (the namespace's ApprovalPolicy, for a version the registry decides).",
    ["cause"],
)
APPROVAL_POLICY_VIOLATIONS = Counter(
    f"{PREFIX}_approval_policy_violations",
    "Approvals made in the registry that broke a rule of their namespace's ApprovalPolicy, by rule.",
    ["rule"],
)
# The same version's approval set back this often within the window: someone is fighting git or policy.
FIGHT_REVERTS = 3
FIGHT_WINDOW_SECONDS = 3600.0


class _FightsCollector(Collector):
    """`approval_fights`: versions whose approval was set back FIGHT_REVERTS times or more within the last
    FIGHT_WINDOW_SECONDS, without a label per version (names never become labels)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reverts: dict[str, list[float]] = {}

    def reverted(self, uid: str) -> None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._reverts.get(uid, []) if now - t < FIGHT_WINDOW_SECONDS]
            self._reverts[uid] = [*recent, now]

    def forget(self, uid: str) -> None:
        """A deleted version fights no more."""
        with self._lock:
            self._reverts.pop(uid, None)

    def fights(self) -> int:
        now = time.monotonic()
        with self._lock:
            self._reverts = {
                uid: kept
                for uid, times in self._reverts.items()
                if (kept := [t for t in times if now - t < FIGHT_WINDOW_SECONDS])
            }
            return sum(1 for times in self._reverts.values() if len(times) >= FIGHT_REVERTS)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            f"{PREFIX}_approval_fights",
            f"ModelVersions whose approval was set back {FIGHT_REVERTS} times or more in the last "
            f"{FIGHT_WINDOW_SECONDS:.0f} s.",
            value=self.fights(),
        )


FIGHTS = _FightsCollector()
REGISTRY.register(FIGHTS)
_REGISTRY_APPROVALS = {
    "ApprovedInRegistry": "Approved",
    "RejectedInRegistry": "Rejected",
    "ApprovalChanged": "PendingManualApproval",
}


def approval_events(uid: str, events: Iterable[Any], status: Mapping[str, Any]) -> None:
    """Count what a run's events say of approvals (the domain says it in events; it counts nothing)."""
    record = status.get("approval") or {}
    for event in events:
        if event.reason in _REGISTRY_APPROVALS:
            APPROVALS.labels("registry", _REGISTRY_APPROVALS[event.reason]).inc()
        elif event.reason == "ApprovalUpdated":
            APPROVALS.labels("git", str(status.get("approvalStatus") or "")).inc()
        elif event.reason == "ApprovalReverted":
            APPROVAL_REVERTS.labels("policy" if record.get("violations") else "git").inc()
            FIGHTS.reverted(uid)
        if event.reason in ("ApprovalPolicyViolated", "ApprovalReverted"):
            for rule in record.get("violations") or []:
                APPROVAL_POLICY_VIOLATIONS.labels(str(rule)).inc()


# --------------------------------------------------------------------------- reconciles

_current = threading.local()


def current_object() -> dict[str, str] | None:
    """The object the reconcile on this thread works on, in kopf's log-reference shape."""
    return getattr(_current, "ref", None)


def record_outcome(state: str) -> None:
    """Called by the status writer: what the running reconcile decided (`Ready`, `Progressing`, ...)."""
    _current.outcome = state


@contextmanager
def reconciling(kind: str, ref: Any) -> Iterator[None]:
    """Around one run of one object: names the object for the AWS call log, times the run and counts it
    by the outcome the status writer recorded (`record_outcome`); a run that raises counts as `error`."""
    _current.ref = {"kind": kind, "name": ref.name, "uid": ref.uid, "namespace": ref.namespace}
    _current.outcome = None
    started = time.perf_counter()
    result: str | None = "error"
    try:
        yield
        result = _result(_current.outcome)
    finally:
        if result is not None:
            RECONCILES.labels(kind, result).inc()
            RECONCILE_SECONDS.labels(kind).observe(time.perf_counter() - started)
        _current.ref = None
        _current.outcome = None


def register_kind(kind: str) -> None:
    """Export a kind's reconcile series at 0 before its first reconcile: a counter series that appears
    with its first increment has no earlier sample, so rate() and increase() miss that increment (the
    first error of a kind would never reach an alert)."""
    for result in RESULTS:
        RECONCILES.labels(kind, result)
    RECONCILE_SECONDS.labels(kind)
    TIME_TO_READY.labels(kind)


def _result(state: str | None) -> str | None:
    return None if state is None else state.lower()


# --------------------------------------------------------------------------- AWS calls


def instrument(session: Any) -> None:
    """Count every call of every client made from this botocore session (and log writes' request ids),
    and every attempt AWS throttled."""
    session.register("after-call", _after_call, unique_id="registry-operator-metrics")
    session.register("after-call-error", _after_call_error, unique_id="registry-operator-metrics-error")
    session.register("response-received", _response_received, unique_id="registry-operator-metrics-attempt")


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
    if outcome != "success":
        category = kind_of(outcome, status, str(error.get("Message") or ""))
        AWS_ERRORS.labels(service, operation, outcome, str(category)).inc()
    if outcome == "success" and service != "sts" and not operation.startswith(READ_PREFIXES):
        request_id = (parsed or {}).get("ResponseMetadata", {}).get("RequestId", "")
        ref = current_object()
        aws_log.info(
            f"AWS {service}:{operation} succeeded (request id {request_id or 'none'})",
            extra={"k8s_ref": ref} if ref else None,
        )


def _after_call_error(exception: Exception, event_name: str, **_: Any) -> None:
    if isinstance(exception, RateLimited):
        return  # never sent: counted by the rate limiter as deferred
    service, operation = _names(event_name)
    code = type(exception).__name__
    AWS_CALLS.labels(service, operation, code).inc()
    # No answer came (connection refused, timeout): what aws.errors.translate calls unreachable.
    category = AwsErrorKind.UNREACHABLE if isinstance(exception, BotoCoreError) else OTHER_REASON
    AWS_ERRORS.labels(service, operation, code, str(category)).inc()


def _response_received(
    event_name: str, response_dict: Mapping[str, Any] | None, parsed_response: Any, **_: Any
) -> None:
    """Every attempt, retries included: botocore's retries hide throttling from after-call until they
    run out, and throttling they absorbed still says the operator is near a limit."""
    if not response_dict or not isinstance(parsed_response, Mapping):
        return
    status = int(response_dict.get("status_code") or 0)
    if status < 300:
        return
    error = parsed_response.get("Error") or {}
    code = str(error.get("Code") or "")
    if code and kind_of(code, status) is AwsErrorKind.THROTTLED:
        AWS_THROTTLED.labels(*_names(event_name)).inc()
