"""The registry event queue poller against the embedded AWS's SQS (real boto3): the events a boto3 user's
registry changes produce reach the callback in order and leave the queue only once handled; unusable
messages are deleted and counted; receive errors back off, are counted and logged once."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from prometheus_client import REGISTRY

from registry_operator.aws.sqs import EventResult, QueuePoller
from registry_operator.process import metrics
from registry_operator.reconcile.registry_events import PackageStateChange, parse_message
from registry_testbed.localaws.server import LocalAWS

REGION = "us-east-2"
ACCOUNT = "123456789012"  # the embedded AWS's default account
DETAIL_TYPE = "SageMaker Model Package State Change"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _client(local_aws: LocalAWS, service: str, config: Config | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=local_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


class Wired:
    """A queue that the documented rule delivers SageMaker's package events to, with the documented
    queue policy; a fresh name per test, so each test has metrics series of its own."""

    def __init__(self, local_aws: LocalAWS) -> None:
        self.sqs = _client(local_aws, "sqs", NO_RETRY)
        self.queue_name = f"events-{uuid.uuid4().hex[:8]}"
        self.url = self.sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]
        self.name = f"{ACCOUNT}/{self.queue_name}"
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue_name}"
        events = _client(local_aws, "events")
        pattern = {"source": ["aws.sagemaker"], "detail-type": [DETAIL_TYPE]}
        rule = events.put_rule(Name=self.queue_name, EventPattern=json.dumps(pattern))["RuleArn"]
        events.put_targets(Rule=self.queue_name, Targets=[{"Id": "q", "Arn": arn}])
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
        }
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": policy})

    def poller(self, handle: Any, **options: Any) -> QueuePoller[PackageStateChange]:
        options.setdefault("wait_seconds", 1)  # the default 20 s long poll, shortened for tests
        return QueuePoller(self.sqs, self.url, self.name, parse_message, handle, **options)

    def left(self) -> tuple[int, int]:
        """(visible, in flight) messages still on the queue."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        found = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)["Attributes"]
        return int(found[names[0]]), int(found[names[1]])

    def metric(self, name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(f"registry_operator_{name}", {"queue": self.name, **labels}) or 0.0


@pytest.fixture
def aws(local_aws: LocalAWS) -> Iterator[LocalAWS]:
    local_aws.admin.reset()
    local_aws.admin.set_settings(packageCompletionSeconds=0)
    yield local_aws
    local_aws.admin.clear_faults()


@pytest.fixture
def wired(aws: LocalAWS) -> Wired:
    return Wired(aws)


@pytest.fixture
def sm(aws: LocalAWS) -> Any:
    client = _client(aws, "sagemaker")
    client.create_model_package_group(ModelPackageGroupName="iris")
    return client


def _register(sm: Any) -> str:
    spec = {
        "Containers": [
            {"Image": f"257758044811.dkr.ecr.{REGION}.amazonaws.com/xgboost:1", "ModelDataUrl": "s3://m/x"}
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    return str(
        sm.create_model_package(ModelPackageGroupName="iris", InferenceSpecification=spec)["ModelPackageArn"]
    )


async def _run_until(poller: QueuePoller[Any], done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Run the poller until `done()` holds (or the timeout passes), then stop it as a shutdown would.
    `done` runs in a thread, so that it may ask the queue without stalling the poller's loop."""
    task = asyncio.create_task(poller.run())
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(done) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_registry_changes_reach_the_callback_in_order_and_leave_the_queue(wired: Wired, sm: Any) -> None:
    arn = _register(sm)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Staging", "StageStatus": "Ok"})
    seen: list[PackageStateChange] = []

    def apply(event: PackageStateChange) -> bool:
        seen.append(event)
        return True

    asyncio.run(_run_until(wired.poller(apply, pollers=1), lambda: len(seen) >= 3 and wired.left() == (0, 0)))
    assert [(e.package_arn, e.approval_status, e.stage) for e in seen] == [
        (arn, "PendingManualApproval", None),
        (arn, "Approved", None),
        (arn, "Approved", "Staging"),
    ]
    assert all(e.package_status == "Completed" and e.account == ACCOUNT for e in seen)
    assert wired.left() == (0, 0)
    assert wired.metric("registry_events_received_total") == 3
    assert wired.metric("registry_events_applied_total") == 3
    assert wired.metric("registry_event_lag_seconds_count") == 3
    # the events' times are whole seconds: a lag is at most a second or so more than it took
    assert 0 <= wired.metric("registry_event_lag_seconds_sum") < 3 * 5


def test_an_async_callback_and_ignored_events(wired: Wired, sm: Any) -> None:
    arn = _register(sm)
    for status in ("Approved", "Rejected", "Approved"):
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
    answers = iter([EventResult.UNKNOWN, EventResult.STALE, EventResult.DUPLICATE, EventResult.APPLIED])
    seen: list[str | None] = []

    async def apply(event: PackageStateChange) -> EventResult:
        await asyncio.sleep(0)
        seen.append(event.approval_status)
        return next(answers)

    asyncio.run(_run_until(wired.poller(apply), lambda: len(seen) >= 4 and wired.left() == (0, 0)))
    assert sorted(map(str, seen)) == sorted(["PendingManualApproval", "Approved", "Rejected", "Approved"])
    assert wired.left() == (0, 0)  # ignored events are done with too
    for reason in ("unknown", "stale", "duplicate"):
        assert wired.metric("registry_events_ignored_total", reason=reason) == 1
    assert wired.metric("registry_events_applied_total") == 1


def test_an_event_not_applied_comes_again_soon(wired: Wired, sm: Any) -> None:
    _register(sm)
    attempts: list[str] = []

    def apply(event: PackageStateChange) -> bool:
        attempts.append(event.event_id)
        if len(attempts) == 1:
            return False  # not applied: the message stays
        if len(attempts) == 2:
            raise RuntimeError("the API server is away")  # an error counts as not applied
        return True

    poller = wired.poller(apply, pollers=1, retry_after_seconds=1)
    asyncio.run(_run_until(poller, lambda: len(attempts) >= 3 and wired.left() == (0, 0), timeout=15))
    # the same event, redelivered after 1 s each time, not after the queue's 30 s visibility timeout
    assert len(attempts) == 3 and len(set(attempts)) == 1
    assert wired.metric("registry_events_retried_total") == 2
    assert wired.metric("registry_events_applied_total") == 1
    assert wired.left() == (0, 0)


def test_malformed_and_foreign_messages_are_deleted_counted_and_logged(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [
        "not json",
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
        json.dumps(
            {
                "source": "aws.sagemaker",
                "detail-type": DETAIL_TYPE,
                "time": "2026-01-01T00:00:00Z",
                "detail": {},
            }
        ),
    ]
    for body in bodies:
        wired.sqs.send_message(QueueUrl=wired.url, MessageBody=body)
    called: list[Any] = []
    caplog.set_level(logging.WARNING, logger="registry_operator.aws.sqs")
    poller = wired.poller(lambda e: called.append(e) or True, pollers=1)
    asyncio.run(
        _run_until(
            poller, lambda: wired.metric("registry_events_received_total") >= 3 and wired.left() == (0, 0)
        )
    )
    assert called == []
    assert wired.left() == (0, 0)
    assert wired.metric("registry_events_malformed_total", reason="malformed") == 2
    assert wired.metric("registry_events_malformed_total", reason="foreign") == 1
    deleting = [r.getMessage() for r in caplog.records if r.getMessage().startswith("deleting a")]
    assert len(deleting) == 3 and any("s3:TestEvent" in m for m in deleting)


def test_receive_errors_back_off_are_counted_and_logged_once(
    aws: LocalAWS, wired: Wired, sm: Any, caplog: pytest.LogCaptureFixture
) -> None:
    aws.admin.set_faults([{"operation": "sqs:ReceiveMessage", "rate": 1.0, "error": "ServiceUnavailable"}])
    _register(sm)
    seen: list[PackageStateChange] = []
    caplog.set_level(logging.DEBUG, logger="registry_operator.aws.sqs")

    async def scenario() -> float:
        poller = wired.poller(lambda e: seen.append(e) or True, pollers=2)
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(2.5)
        unread_since = REGISTRY.get_sample_value(
            "registry_operator_event_queue_last_receive_timestamp_seconds", {"queue": wired.name}
        )
        assert unread_since is not None
        aws.admin.clear_faults()
        while not seen or await asyncio.to_thread(wired.left) != (0, 0):
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return unread_since

    unread_since = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    failures = wired.metric("event_queue_errors_total", operation="ReceiveMessage", code="ServiceUnavailable")
    # two pollers backing off from 1 s, doubling: a handful of attempts in 2.5 s, not a busy loop
    assert 2 <= failures <= 8, failures
    assert aws.admin.faults_injected()["sqs:ReceiveMessage"] == failures
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "cannot read" in r.getMessage()]
    assert len(warnings) == 1 and "ServiceUnavailable" in warnings[0].getMessage()
    assert any("again after" in r.getMessage() for r in caplog.records)
    # the queue's last good read did not move while it failed; the series is gone once polling stops
    assert time.time() - unread_since >= 2.0
    assert (
        REGISTRY.get_sample_value(
            "registry_operator_event_queue_last_receive_timestamp_seconds", {"queue": wired.name}
        )
        is None
    )
    assert len(seen) == 1 and wired.left() == (0, 0)


@pytest.mark.parametrize("pollers", [1, 2])
def test_pollers_receive_concurrently(wired: Wired, sm: Any, pollers: int) -> None:
    # One message per receive: with two pollers the second event is handled while the first is still
    # in its callback; with one it waits.
    arn = _register(sm)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    release = threading.Event()
    started: list[str | None] = []

    def apply(event: PackageStateChange) -> bool:
        started.append(event.approval_status)
        if len(started) == 1:
            release.wait(timeout=10)
        return True

    async def scenario() -> int:
        task = asyncio.create_task(wired.poller(apply, pollers=pollers, max_messages=1).run())
        await asyncio.sleep(2.5)
        concurrently = len(started)
        release.set()
        while await asyncio.to_thread(wired.left) != (0, 0):
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return concurrently

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=30)) == pollers
    assert sorted(map(str, started)) == ["Approved", "PendingManualApproval"]


def test_handler_answers_are_checked(wired: Wired, sm: Any) -> None:
    _register(sm)
    answered: list[Any] = []

    def confused(event: PackageStateChange) -> Any:
        answered.append(event)
        return "yes" if len(answered) == 1 else True

    poller = wired.poller(confused, pollers=1, retry_after_seconds=1)
    asyncio.run(_run_until(poller, lambda: len(answered) >= 2 and wired.left() == (0, 0), 15))
    # "yes" is no answer: the message was kept and came again
    assert len(answered) == 2 and answered[0].event_id == answered[1].event_id
    assert wired.metric("registry_events_retried_total") == 1
    assert wired.left() == (0, 0)


def test_pollers_must_be_few() -> None:
    with pytest.raises(ValueError):
        QueuePoller(None, "u", "n", parse_message, lambda e: True, pollers=0)  # type: ignore[arg-type]


def test_a_receive_finishing_after_polling_stopped_exports_nothing() -> None:
    # A long poll runs on in its worker thread after the poller is cancelled (leadership lost): its
    # answer must not bring the queue's series back, where it would age into a false alert.
    name = f"{ACCOUNT}/late-{uuid.uuid4().hex[:6]}"
    metrics.EVENT_QUEUES.started(name)
    metrics.EVENT_QUEUES.stopped(name)
    metrics.EVENT_QUEUES.received(name)
    assert (
        REGISTRY.get_sample_value(
            "registry_operator_event_queue_last_receive_timestamp_seconds", {"queue": name}
        )
        is None
    )
