"""Client-side rate limiting: one limiter per (account, region, operation), shared by every thread and
every client, that learns AWS's limit from its throttling answers and lets the rate grow back when
they stop.

AWS limits each API per account and Region (a token bucket per API: the Amazon EC2 and Amazon ECS API
references, "Request throttling"; SageMaker per account and Region, AWS Knowledge Center
"sagemaker-python-throttlingexception"). botocore's `adaptive` retry mode paces calls by what it learns
from throttling, but it keeps one limiter per client, for all of that client's operations, and the
operator has one client per (service, region, role) with 32 reconciles on them at once. Measured against
the embedded AWS limiting CreateModelPackage to 10 per second (burst 20), 600 calls from 32 threads
(tests/bench/limiter.py, docs/contributors/performance.md): adaptive mode on one client kept throttling
to 5% of attempts; spread over four clients of one account (roles), each client learnt the limit on
its own and 16% of the attempts were throttled. Its one rate per client also paces every operation of
the client as one (a DescribeModelPackage, never throttled, waits behind CreateModelPackage's limit).
Here the limiter is per account, region and operation instead: 5-6% with one client or four.

The limiter is the one of botocore's adaptive mode, assembled from its own pieces as
`botocore.retries.adaptive.ClientRateLimiter` assembles them: a token bucket (`bucket.TokenBucket`)
whose rate a CUBIC calculator (`throttling.CubicCalculator`, as in TCP CUBIC) sets, cut to 0.7 of the
measured sending rate (`adaptive.RateClocker`) at each throttling answer and grown back along a cubic
curve while none comes, never above twice the measured rate. These modules are importable but not
documented API; botocore is pinned and tests/unit/test_aws_ratelimit.py exercises them, so a botocore
upgrade that changes them fails there. The few lines of glue are written here rather than using
`ClientRateLimiter` itself because the operator needs to know whether a limiter is engaged (for the
wait metric) and classifies throttling by its own table (aws/errors.py), the one its reconciles use.

A limiter does nothing until its operation is first throttled: an operator that never meets a limit
never waits. A call waits before it is signed (on `request-created`), so a long wait cannot age its
signature, and every attempt waits, botocore's retries included. Calls get their tokens in the order
they asked (botocore's bucket wakes its waiters in no order, and a version could starve), and none
waits for its turn longer than `MAX_WAIT_S`: when AWS accepts fewer calls in that time than wait (a
limit far below the workers' pace, or AWS refusing every call), the call fails at once with
`RateLimited`, its reconcile reports Throttled and is retried later, and the worker is free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from botocore.retries.adaptive import RateClocker
from botocore.retries.bucket import Clock, TokenBucket
from botocore.retries.throttling import CubicCalculator

from registry_operator.aws.errors import AwsErrorKind, RateLimited, kind_of
from registry_operator.process import metrics

log = logging.getLogger(__name__)

# botocore's adaptive mode never lets the rate exceed twice the rate actually sent (ClientRateLimiter).
_MAX_RATE_ADJUST_SCALE = 2.0
# The longest a call waits for its turn. At the limit 32 workers wait about 32 / rate seconds each (3 s
# at 10 a second); past this the call is deferred to a later reconcile instead of holding its worker.
MAX_WAIT_S = 15.0


class MonotonicClock(Clock):
    """botocore's Clock reads the wall clock, which steps when NTP corrects it; rates need a steady one."""

    def current_time(self) -> float:
        return time.monotonic()


class OperationLimiter:
    """The rate of one operation in one account and region."""

    def __init__(self, service: str, operation: str, clock: Any = None, max_wait: float = MAX_WAIT_S) -> None:
        self.service, self.operation, self.max_wait = service, operation, max_wait
        self._clock = clock or MonotonicClock()
        self._cubic = CubicCalculator(starting_max_rate=0, start_time=self._clock.current_time())
        self._bucket = TokenBucket(max_rate=1, clock=self._clock)
        self._sent = RateClocker(self._clock)
        self._lock = threading.Lock()
        self.engaged = False  # set by the first throttling answer, never cleared: the cubic curve recovers
        # Callers in the order they asked; the first one's event is set, and only it takes from the bucket.
        self._queue: deque[threading.Event] = deque()
        self._queue_lock = threading.Lock()

    @property
    def rate(self) -> float | None:
        """Calls per second the limiter lets through now; None while it is not engaged."""
        return float(self._bucket.max_rate) if self.engaged else None

    def acquire(self) -> None:
        """Wait for this operation's next token (at once while the limiter is not engaged); raise
        RateLimited when the turn does not come within `max_wait`."""
        if not self.engaged:
            return
        waiting = metrics.AWS_RATE_LIMIT_WAITING.labels(self.service, self.operation)
        waiting.inc()
        started = time.monotonic()
        try:
            self._take_turn()
        finally:
            waiting.dec()
            metrics.AWS_RATE_LIMIT_WAIT.labels(self.service, self.operation).observe(
                time.monotonic() - started
            )

    def _take_turn(self) -> None:
        turn = threading.Event()
        with self._queue_lock:
            self._queue.append(turn)
            if len(self._queue) == 1:
                turn.set()
        if not turn.wait(self.max_wait):
            with self._queue_lock:
                deferred = not turn.is_set()  # else the turn came as the wait ended: take it
                if deferred:
                    self._queue.remove(turn)
            if deferred:
                metrics.AWS_RATE_LIMIT_DEFERRED.labels(self.service, self.operation).inc()
                raise RateLimited(self.operation, self.max_wait)
        try:
            self._bucket.acquire()  # at most 1 / rate: 2 s at botocore's lowest rate
        finally:
            with self._queue_lock:
                self._queue.popleft()
                if self._queue:
                    self._queue[0].set()

    def answered(self, throttled: bool) -> None:
        """One attempt's answer: a throttling answer lowers the rate, any other lets it grow."""
        measured = self._sent.record()
        now = self._clock.current_time()
        with self._lock:
            if throttled:
                sending = measured if not self.engaged else min(measured, self._bucket.max_rate)
                new_rate = self._cubic.error_received(sending, now)
                if not self.engaged:
                    log.info(
                        f"AWS throttled {self.service}:{self.operation}; pacing its calls from now on, "
                        "at the rate AWS accepts (registry_operator_aws_rate_limit_wait_seconds)"
                    )
                self.engaged = True
            else:
                new_rate = self._cubic.success_received(now)
            self._bucket.max_rate = min(new_rate, _MAX_RATE_ADJUST_SCALE * measured)


class RateLimiters:
    """Every limiter of one operator process, by (account, region, service, operation)."""

    def __init__(self, clock: Any = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str, str, str], OperationLimiter] = {}

    def get(self, account: str, region: str, service: str, operation: str) -> OperationLimiter:
        key = (account, region, service, operation)
        found = self._limiters.get(key)
        if found is None:
            with self._lock:
                found = self._limiters.setdefault(key, OperationLimiter(service, operation, self._clock))
        return found

    def engaged(self) -> dict[tuple[str, str, str, str], float]:
        """The rate of every engaged limiter, by (account, region, service, operation)."""
        with self._lock:
            found = dict(self._limiters)
        return {key: limiter.rate for key, limiter in found.items() if limiter.rate is not None}

    def install(self, client: Any, region: str, account: Callable[[], str]) -> None:
        """Pace every call of `client` (one service, one region, one identity) by its operation's limiter;
        `account` names the identity's account (asked at each call: the operator learns its own at
        start-up, after its first clients exist)."""
        service = client.meta.service_model.service_id.hyphenize()

        def before_signing(operation_name: str, **_: Any) -> None:
            # Once per attempt ("request-created.<service>.<operation>"), before the signer, which the
            # client registered on this same event: register_first puts this handler ahead of it.
            self.get(account(), region, service, operation_name).acquire()

        def after_attempt(response: tuple[Any, Mapping[str, Any]] | None, operation: Any, **_: Any) -> None:
            # needs-retry: every attempt's answer, or None when none came (a connection error says
            # nothing about the rate). Returning None leaves the retry decision to botocore.
            if response is None:
                return
            http, parsed = response
            error = parsed.get("Error") or {}
            status = int(getattr(http, "status_code", 0) or 0)
            throttled = (
                status >= 300 and kind_of(str(error.get("Code") or ""), status) is AwsErrorKind.THROTTLED
            )
            self.get(account(), region, service, operation.name).answered(throttled)

        events = client.meta.events
        events.register_first(f"request-created.{service}", before_signing, unique_id="rate-limit-wait")
        events.register(f"needs-retry.{service}", after_attempt, unique_id="rate-limit-answer")
