"""AWS services' own events on the embedded EventBridge: matched against the rules of the account's default
event bus and delivered to their SQS targets as EventBridge delivers them.

An AWS service puts its events on the default event bus of the account and Region where the change
happened; a client cannot (`source` values beginning with "aws." are reserved for AWS services: EventBridge
User Guide, "Amazon EventBridge events"), so these events never go through PutEvents. moto 5.2's own
delivery (`Rule.send_to_targets`) is kinder than AWS in ways that would let a wrong install pass here:

- it delivers for DISABLED rules, and a rule with only a schedule matches every event. AWS: "a disabled
  rule doesn't match any events" (EventBridge User Guide, "Disabling or deleting a rule"); a scheduled
  rule has no event pattern to match.
- it never reads the queue's policy. AWS sends to a queue only when the queue policy lets it: in the
  rule's account the statement allows the principal `events.amazonaws.com` `sqs:SendMessage` on the queue,
  usually with `ArnEquals` `aws:SourceArn` = the rule's ARN (EventBridge User Guide, "Using
  resource-based policies for Amazon EventBridge", Amazon SQS permissions).
- it sends to a queue of the rule's own account whatever account the target ARN names. AWS delivers to a
  queue in another account of the same Region only through an execution role of the rule's account
  (the target's RoleArn) that the queue policy allows (EventBridge User Guide, "Sending events to an AWS
  service in another account").
- without an input transformer its message body lacks `account`; AWS delivers the whole event (version,
  id, detail-type, source, account, time, region, resources, detail: "Amazon EventBridge events").

Rule matching itself is moto's (`EventPattern`), which follows AWS's documented pattern semantics for the
filters a registry rule uses (exact values, prefix, anything-but, exists, numeric, $or), checked by the
unit tests. A delivery that fails is dropped, as AWS drops it after its retries when the target has no
dead-letter queue (what AWS reports as FailedInvocations); each outcome is kept for tests to read.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventsBackend, Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.sqs.models import sqs_backends

from .intercept import Request
from .resource_policy import Decision, evaluate, parse_policy

EVENTS_PRINCIPAL = "Service:events.amazonaws.com"
# PutRule State: ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (botocore events model).
_ENABLED = frozenset({"ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"})
_KEPT_OUTCOMES = 1000


def event_time(epoch: float) -> str:
    """An event's `time`: ISO 8601 in UTC to the second, as every event in the EventBridge User Guide and
    the SageMaker developer guide's examples shows it ("2021-02-24T17:00:14Z")."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one matched event at one target."""

    event_id: str
    rule_arn: str
    target_arn: str
    delivered: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "ruleArn": self.rule_arn,
            "targetArn": self.target_arn,
            "delivered": self.delivered,
            "reason": self.reason,
        }


class ServiceEventBus:
    """Puts AWS service events on an account's default event bus; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: deque[Outcome] = deque(maxlen=_KEPT_OUTCOMES)

    def reset(self) -> None:
        with self._lock:
            self._outcomes.clear()

    def outcomes(self) -> list[dict[str, Any]]:
        with self._lock:
            return [o.to_json() for o in self._outcomes]

    def put(
        self,
        *,
        account: str,
        region: str,
        source: str,
        detail_type: str,
        resources: list[str],
        detail: dict[str, Any],
        time: float,
    ) -> dict[str, Any]:
        """Match the event against the default bus's rules and deliver it; returns the event as delivered."""
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": account,
            "time": event_time(time),
            "region": region,
            "resources": list(resources),
            "detail": detail,
        }
        backend: EventsBackend = events_backends[account][region]
        bus = backend.event_buses.get("default")
        for rule in list(bus.rules.values()) if bus is not None else []:
            if rule.state not in _ENABLED or not rule.event_pattern.dump():
                continue
            if not rule.event_pattern.matches_event(event):  # type: ignore[arg-type]
                continue
            for target in list(rule.targets):
                self._record(self._deliver(rule, target, event))
        return event

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    def _deliver(self, rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> Outcome:
        target_arn = str(target.get("Arn", ""))
        parts = target_arn.split(":", 5)

        def failed(reason: str) -> Outcome:
            return Outcome(event["id"], rule.arn, target_arn, False, reason)

        if len(parts) != 6 or parts[2] != "sqs":
            # The registry's events go to queues; other target kinds are not modelled here.
            return failed("only SQS targets receive AWS service events in the embedded AWS")
        _, partition, _, region, account, name = parts
        if region != rule.region_name:
            return failed("the queue is in another Region than the rule")
        queue = sqs_backends[account][region].queues.get(name)
        if queue is None:
            return failed("the queue does not exist")
        refusal = _queue_policy_refusal(rule, target, queue.policy, queue.queue_arn, account, partition)
        if refusal:
            return failed(refusal)
        sqs = sqs_backends[account][region]
        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if queue.fifo_queue:
            dedup = sqs.get_queue_attributes(queue_name=name, attribute_names=["ContentBasedDeduplication"])
            if str(dedup.get("ContentBasedDeduplication", "false")).lower() != "true":
                # "To let EventBridge send messages to your SQS FIFO queue, you must enable content-based
                # deduplication" (EventBridge User Guide, "Amazon EventBridge targets").
                return failed("the FIFO queue has no content-based deduplication")
        try:
            body = _payload(target, event)
        except Exception as exc:  # a transformer AWS would fail the invocation on
            return failed(f"the target's input cannot be made from the event: {exc}")
        sqs.send_message(queue_name=name, message_body=body, group_id=group_id)
        return Outcome(event["id"], rule.arn, target_arn, True)


def _queue_policy_refusal(
    rule: Rule, target: dict[str, Any], policy_text: str | None, queue_arn: str, account: str, partition: str
) -> str:
    """Why the queue's policy does not let this rule's delivery send to it; "" when it does."""
    if not policy_text:
        # "A new SQS queue has an empty policy" and EventBridge needs a statement in it.
        return "the queue has no policy allowing EventBridge to send to it"
    context = {"aws:SourceArn": rule.arn, "aws:SourceAccount": rule.account_id}
    if account == rule.account_id:
        principals = frozenset({EVENTS_PRINCIPAL})
        who = "events.amazonaws.com"
    else:
        role = str(target.get("RoleArn") or "")
        if f":iam::{rule.account_id}:role/" not in role:
            return "a queue in another account needs an execution role of the rule's account (RoleArn)"
        principals = frozenset({role, rule.account_id, f"arn:{partition}:iam::{rule.account_id}:root"})
        who = role
    try:
        policy = parse_policy(policy_text)
    except Exception:
        return "the queue's policy cannot be read"
    if evaluate(policy, principals, "sqs:SendMessage", [queue_arn], context) is not Decision.ALLOW:
        return f"the queue's policy does not allow {who} sqs:SendMessage from {rule.arn}"
    return ""


def _payload(target: dict[str, Any], event: dict[str, Any]) -> str:
    """The message body: the whole event, or what the target's Input, InputPath or InputTransformer makes
    of it (PutTargets, botocore events model: Target.Input / InputPath / InputTransformer)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse  # moto's own dependency for its input transformer

        found = parse(target["InputPath"]).find(event)  # type: ignore[no-untyped-call]
        return json.dumps(found[0].value if found else None)
    transformer = target.get("InputTransformer")
    if transformer:
        parsed = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            # the parser also fills AWS's reserved <aws.events.event.ingestion-time>
            event={**event, "ingestion-time": event["time"]},  # type: ignore[arg-type]
        )
        return parsed if isinstance(parsed, str) else json.dumps(parsed)
    return json.dumps(event)


def refuse_reserved_sources(request: Request) -> dict[str, Any] | None:
    """PutEvents from a client: an entry whose Source begins with "aws." fails with
    NotAuthorizedForSourceException ("You do not have permissions to publish events with this source onto
    this event bus", botocore events model, PutEventsResultEntry.ErrorCode), since such sources belong to
    AWS services ("Amazon EventBridge events"); moto accepts them. Requests without such an entry are
    left to moto."""
    params = request.json()
    entries = params.get("Entries")
    if not isinstance(entries, list) or not any(_reserved(e) for e in entries):
        return None
    backend: EventsBackend = events_backends[request.caller.account][request.call.region]
    results: list[dict[str, Any]] = []
    for entry in entries:
        if _reserved(entry):
            results.append(
                {
                    "ErrorCode": "NotAuthorizedForSourceException",
                    "ErrorMessage": "Not authorized for the source.",
                }
            )
        else:
            results.extend(backend.put_events([entry]))
    return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def _reserved(entry: Any) -> bool:
    return isinstance(entry, dict) and str(entry.get("Source", "")).startswith("aws.")
