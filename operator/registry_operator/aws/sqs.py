"""Reading the registry event queues: long polls of SQS, each message handed to a callback, deleted only
once the callback is done with it (at-least-once).

A `QueuePoller` runs `pollers` concurrent long polls of one queue (ReceiveMessage with WaitTimeSeconds
20 and MaxNumberOfMessages 10, the maximum of each: SQS API reference, ReceiveMessage; a long poll
answers as soon as a message arrives, so a few pollers keep the latency near zero at a handful of calls
a minute when the queue is idle). Every message body goes through `parse`:

- a `Discard` (malformed, or another kind of event): counted, logged once, deleted. Never retried: SQS
  would otherwise hand it back after every visibility timeout until its retention ends.
- an event: handed to `handle`, a sync or async callable answering what became of it (an `EventResult`,
  or True for APPLIED and False for RETRY). APPLIED and the ignored results (STALE, DUPLICATE, UNKNOWN)
  delete the message; RETRY, or an exception, leaves it on the queue and makes it visible again after
  `retry_after_seconds` (ChangeMessageVisibility), so it comes back soon rather than after the queue's
  whole visibility timeout. "Done" must mean the status reflecting the event is written: a crash before
  that leaves the message to be received again.

Messages of one receive are handled one after the other, in the order SQS returned them. A sync callback
runs in a worker thread (it may call AWS); an async one runs on the loop. Receive errors back off
exponentially (1 s doubling to 60 s, with jitter), are counted by code and logged when they start and
when they end; `event_queue_last_receive_timestamp_seconds` tells for how long the queue has not been
read (the alert RegistryOperatorEventQueueUnreadable).

Wiring, from the operator config's `eventQueues` entries:

    QueuePoller(clients.client("sqs", q.region, q.role_arn), q.queue_url, q.name,
                registry_events.parse_message, apply_event, pollers=q.pollers)

IAM: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility on the queue.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from registry_operator.aws.calls import call
from registry_operator.aws.errors import AwsError
from registry_operator.process import metrics

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)

WAIT_SECONDS = 20  # the longest long poll SQS allows
MAX_MESSAGES = 10  # the most messages one ReceiveMessage returns
_FIRST_BACKOFF_S = 1.0
_MAX_BACKOFF_S = 60.0
_SNIPPET = 200  # how much of an unusable body a log line shows


@dataclass(frozen=True, slots=True)
class Discard:
    """What `parse` answers for a message to delete unread; `reason` is a metric label: `malformed` or
    `foreign`."""

    reason: str
    explanation: str


class EventResult(StrEnum):
    APPLIED = "applied"  # the status reflecting the event is written
    STALE = "stale"  # older than what the status reflects
    DUPLICATE = "duplicate"  # already reflected
    UNKNOWN = "unknown"  # no object manages the package
    RETRY = "retry"  # not applied yet: keep the message


class TimedEvent(Protocol):
    @property
    def event_time(self) -> datetime: ...


E = TypeVar("E", bound=TimedEvent)
Handler = Callable[[E], "bool | EventResult | Awaitable[bool | EventResult]"]


def _result(answer: bool | EventResult) -> EventResult:
    if isinstance(answer, EventResult):
        return answer
    return EventResult.APPLIED if answer else EventResult.RETRY


class QueuePoller(Generic[E]):
    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        name: str,
        parse: Callable[[str], E | Discard],
        handle: Handler[E],
        *,
        pollers: int = 2,
        wait_seconds: int = WAIT_SECONDS,
        max_messages: int = MAX_MESSAGES,
        retry_after_seconds: int = 10,
    ) -> None:
        if not 1 <= pollers <= 10:
            raise ValueError("pollers must be between 1 and 10")
        self._client = client
        self.queue_url = queue_url
        self.name = name  # `<account>/<queue name>`, in logs and as the metrics' queue label
        self._parse = parse
        self._handle = handle
        # an `async def`, or an object whose __call__ is one
        self._handler_is_async = inspect.iscoroutinefunction(handle) or inspect.iscoroutinefunction(
            type(handle).__call__
        )
        self._pollers = pollers
        self._wait_seconds = wait_seconds
        self._max_messages = max_messages
        self._retry_after = retry_after_seconds
        self._lock = threading.Lock()
        self._failures = 0  # consecutive failed receives, over all pollers of this queue

    async def run(self) -> None:
        """Poll until cancelled."""
        metrics.EVENT_QUEUES.started(self.name)
        log.info(f"reading registry events from {self.name} with {self._pollers} long polls")
        try:
            async with asyncio.TaskGroup() as group:
                for index in range(self._pollers):
                    group.create_task(self._poll_forever(), name=f"registry-events-{self.name}-{index}")
        finally:
            metrics.EVENT_QUEUES.stopped(self.name)

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.poll_once()
            except AwsError:
                await asyncio.sleep(self._backoff())
            except asyncio.CancelledError:
                raise
            except Exception:
                # A defect must not end the intake silently: say so and keep reading.
                log.exception(f"reading registry events from {self.name} failed")
                await asyncio.sleep(self._backoff())

    async def poll_once(self) -> int:
        """One ReceiveMessage and the handling of what it returned; the number of messages."""
        messages = await asyncio.to_thread(self._receive)
        for message in messages:
            await self._process(message)
        return len(messages)

    # -- receiving --------------------------------------------------------------------------------

    def _receive(self) -> list[dict[str, Any]]:
        try:
            answer = call(
                "ReceiveMessage",
                self._client.receive_message,
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self._max_messages,
                WaitTimeSeconds=self._wait_seconds,
            )
        except AwsError as err:
            metrics.EVENT_QUEUE_ERRORS.labels(self.name, "ReceiveMessage", err.code).inc()
            with self._lock:
                self._failures += 1
                first = self._failures == 1
            if first:
                log.warning(f"cannot read registry events from {self.name}: {err.describe()}; retrying")
            else:
                log.debug(f"cannot read registry events from {self.name}: {err.describe()}")
            raise
        metrics.EVENT_QUEUES.received(self.name)
        with self._lock:
            failed, self._failures = self._failures, 0
        if failed:
            log.info(f"reading registry events from {self.name} again after {failed} failed attempts")
        found = list(answer.get("Messages") or [])
        if found:
            metrics.EVENTS_RECEIVED.labels(self.name).inc(len(found))
        return found  # type: ignore[return-value]  # TypedDicts, read as dicts

    def _backoff(self) -> float:
        with self._lock:
            failures = max(1, self._failures)
        delay = min(_MAX_BACKOFF_S, _FIRST_BACKOFF_S * 2.0 ** min(failures - 1, 16))
        return delay * random.uniform(0.5, 1.0)

    # -- one message ------------------------------------------------------------------------------

    async def _process(self, message: dict[str, Any]) -> None:
        body = str(message.get("Body", ""))
        receipt = str(message.get("ReceiptHandle", ""))
        parsed = self._parse(body)
        if isinstance(parsed, Discard):
            metrics.EVENTS_MALFORMED.labels(self.name, parsed.reason).inc()
            log.warning(
                f"deleting a {parsed.reason} message {message.get('MessageId', '?')} from {self.name}: "
                f"{parsed.explanation} ({body[:_SNIPPET]!r})"
            )
            await asyncio.to_thread(self._delete, receipt)
            return
        try:
            result = _result(await self._call_handler(parsed))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(f"applying a registry event from {self.name} failed; it will come again")
            result = EventResult.RETRY
        self._count(parsed, result)
        if result is EventResult.RETRY:
            await asyncio.to_thread(self._retry_soon, receipt)
        else:
            await asyncio.to_thread(self._delete, receipt)

    async def _call_handler(self, event: E) -> bool | EventResult:
        if self._handler_is_async:
            answer: Any = await self._handle(event)  # type: ignore[misc]
        else:
            answer = await asyncio.to_thread(self._handle, event)
        if inspect.isawaitable(answer):  # a sync callable that hands back a coroutine
            answer = await answer
        if not isinstance(answer, (bool, EventResult)):
            raise TypeError(f"a registry event handler answered {answer!r}, not a bool or an EventResult")
        return answer

    def _count(self, event: E, result: EventResult) -> None:
        if result is EventResult.APPLIED:
            metrics.EVENTS_APPLIED.labels(self.name).inc()
            lag = time.time() - event.event_time.timestamp()
            metrics.EVENT_LAG.labels(self.name).observe(max(0.0, lag))
        elif result is EventResult.RETRY:
            metrics.EVENTS_RETRIED.labels(self.name).inc()
        else:
            metrics.EVENTS_IGNORED.labels(self.name, result.value).inc()

    def _delete(self, receipt: str) -> None:
        try:
            call("DeleteMessage", self._client.delete_message, QueueUrl=self.queue_url, ReceiptHandle=receipt)
        except AwsError as err:
            # The message comes back after its visibility timeout, and is handled (idempotently) again.
            metrics.EVENT_QUEUE_ERRORS.labels(self.name, "DeleteMessage", err.code).inc()
            log.warning(f"cannot delete a handled message from {self.name}: {err.describe()}")

    def _retry_soon(self, receipt: str) -> None:
        try:
            call(
                "ChangeMessageVisibility",
                self._client.change_message_visibility,
                QueueUrl=self.queue_url,
                ReceiptHandle=receipt,
                VisibilityTimeout=self._retry_after,
            )
        except AwsError as err:
            # It still comes back, after the queue's own visibility timeout.
            metrics.EVENT_QUEUE_ERRORS.labels(self.name, "ChangeMessageVisibility", err.code).inc()
            log.warning(f"cannot make a message of {self.name} visible again soon: {err.describe()}")
