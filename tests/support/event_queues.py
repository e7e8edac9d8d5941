"""An SQS queue that an EventBridge rule delivers SageMaker's model package events to, wired as the
admin docs say (docs/admins/registry-events.md), for the tiers that read registry events."""

from __future__ import annotations

import json
import time
from typing import Any

DETAIL_TYPE = "SageMaker Model Package State Change"
# The developer guide's rule ("Get event notifications for ModelLifeCycle").
DOCUMENTED_PATTERN = {"source": ["aws.sagemaker"], "detail-type": [DETAIL_TYPE]}


def queue_policy(queue_arn: str, rule_arn: str, principal: dict[str, str] | None = None) -> str:
    """The statement the EventBridge User Guide gives for an SQS target ("Amazon SQS permissions")."""
    statement: dict[str, Any] = {
        "Sid": "EventsToMyQueue",
        "Effect": "Allow",
        "Principal": principal or {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
    }
    if principal is None:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": rule_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class Queue:
    def __init__(self, sqs: Any, name: str, attributes: dict[str, str] | None = None) -> None:
        """`attributes` are given at creation: the embedded AWS (moto 5.2) drops a queue's Policy on any
        SetQueueAttributes that does not restate it, where SQS changes only the attributes given."""
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    @property
    def name(self) -> str:
        """`<account>/<queue name>`: how the operator's logs and metrics (its `queue` label) name it."""
        return "/".join(self.url.rstrip("/").split("/")[-2:])

    def allow(self, policy: str) -> None:
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": policy})

    def depth(self) -> int:
        """Messages on the queue, visible or in flight."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def events(self, expected: int, wait_s: float = 5.0, whole_wait: bool = False) -> list[dict[str, Any]]:
        """Receive (and delete) messages until `expected` arrived or `wait_s` passed; a few more than
        expected are collected too, so a test sees extra events. `whole_wait`: receive for all of
        `wait_s`, for events that would come later."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in got.get("Messages", []):
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            if len(found) > expected or (
                len(found) == expected and not got.get("Messages") and not whole_wait
            ):
                break
        return found


def rule_to(
    events: Any, queue: Queue, name: str = "registry", pattern: dict[str, Any] | None = None, **target: Any
) -> str:
    arn = str(events.put_rule(Name=name, EventPattern=json.dumps(pattern or DOCUMENTED_PATTERN))["RuleArn"])
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue.arn, **target}])
    return arn


def wire(
    sqs: Any,
    events: Any,
    name: str,
    pattern: dict[str, Any] | None = None,
    attributes: dict[str, str] | None = None,
) -> Queue:
    """A queue (with `attributes`) that a rule with `pattern` (the documented one by default) delivers to."""
    queue = Queue(sqs, name, attributes)
    rule = rule_to(events, queue, name=f"{name}-rule", pattern=pattern)
    queue.allow(queue_policy(queue.arn, rule))
    return queue
