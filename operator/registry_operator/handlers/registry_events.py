"""The registry's events as a source of observations: one poller per queue this operator reads (the
config's `eventQueues` for its shard), each SageMaker event handed to the runs of the objects that hold
its package, as what they observed. A message is deleted once their status reflects it: the pollers
(aws/sqs.py) wait for the runs this asks for.

What an event says is checked against what the object's status already reflects (its
`observedRegistryTime`): an event about an earlier change is stale and changes nothing; one about the
same moment that would change nothing is a duplicate; anything else is run, and the run itself takes the
event only when it is not older than the status it starts from (reconcile/model_version.py), so an
event never moves a status back, whatever order EventBridge delivers them in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from registry_operator.aws.sqs import EventResult, QueuePoller
from registry_operator.handlers.state import OperatorState
from registry_operator.reconcile import model_version, registry_members
from registry_operator.reconcile.dependencies import ObjectKey
from registry_operator.reconcile.observations import PackageHint, PackageMissing, PackageObserved
from registry_operator.reconcile.registry_events import (
    Freshness,
    PackageStateChange,
    freshness,
    parse_message,
)

log = logging.getLogger("registry_operator.events")

# What the event's detail speaks for, as DescribeModelPackage names it ("Events that Amazon SageMaker AI
# sends to Amazon EventBridge", model package state change; ModelLifeCycle whenever the package has a
# stage, "Get event notifications for ModelLifeCycle").
EVENT_MEMBERS = frozenset(
    {"ModelApprovalStatus", "ModelPackageStatus", "ModelLifeCycle", "CreationTime", "LastModifiedTime"}
)

Asker = Callable[[ObjectKey, str, Any], "asyncio.Future[bool]"]


def observation(event: PackageStateChange) -> PackageHint:
    """What an event says of its package, as a run takes it."""
    if event.deleted:
        return PackageMissing(event.package_arn, "event")  # the run describes it: gone, or Deleting
    members: dict[str, Any] = {
        "ModelPackageArn": event.package_arn,
        "ModelPackageStatus": event.package_status,
        "CreationTime": event.creation_time,
        "LastModifiedTime": event.last_modified_time,
    }
    covers = set(EVENT_MEMBERS)
    if event.approval_status is not None:
        members["ModelApprovalStatus"] = event.approval_status
    else:
        covers.discard("ModelApprovalStatus")  # not said: not taken as cleared
    if event.stage is not None:
        members["ModelLifeCycle"] = {"Stage": event.stage, "StageStatus": event.stage_status or ""}
    return PackageObserved(
        event.package_arn,
        {k: v for k, v in members.items() if v is not None},
        frozenset(covers),
        "event",
        event.last_modified_time,
        {"eventId": event.event_id},
    )


class EventIntake:
    """The pollers' callback: which objects an event is about, and whether their status reflects it."""

    def __init__(self, operator: OperatorState, ask: Asker) -> None:
        self.operator = operator
        self.ask = ask

    async def __call__(self, event: PackageStateChange) -> EventResult:
        claims = await asyncio.to_thread(self.operator.context.claims, event.package_arn)
        holders = [c for c in claims if c.holds]
        if not holders:
            return EventResult.UNKNOWN
        hint = observation(event)
        results = []
        for claim in holders:
            key = ObjectKey(model_version.MANAGED.kind, claim.namespace, claim.name)
            tracked = self.operator.package_views.tracked_of(claim.uid)
            if tracked is not None and isinstance(hint, PackageObserved):
                reflected = registry_members.parse_iso(tracked.status.get("observedRegistryTime"))
                fresh = freshness(event, reflected)
                if fresh is Freshness.OLDER:
                    results.append(EventResult.STALE)
                    continue
                if fresh is Freshness.SAME and not model_version.would_change(tracked, hint):
                    results.append(EventResult.DUPLICATE)
                    continue
            done = await self.ask(key, "event", hint)
            results.append(EventResult.APPLIED if done else EventResult.RETRY)
        for result in (EventResult.RETRY, EventResult.APPLIED, EventResult.DUPLICATE):
            if result in results:
                return result
        return EventResult.STALE


def start(operator: OperatorState, ask: Asker, shard: str | None) -> list[asyncio.Task[None]]:
    """A task per queue this operator reads; none without `eventQueues`."""
    intake = EventIntake(operator, ask)
    tasks = []
    for queue in operator.context.config.event_queues_for(shard):
        region = queue.region or operator.context.config.default_region
        client = operator.context.clients.client("sqs", region, queue.role_arn)
        poller = QueuePoller(
            client, queue.queue_url, queue.name, parse_message, intake, pollers=queue.pollers
        )
        tasks.append(asyncio.get_running_loop().create_task(poller.run(), name=f"events {queue.name}"))
    return tasks
