"""SageMaker's "SageMaker Model Package State Change" events, published by the embedded registry as
SageMaker publishes them: on the default event bus of the package's account and Region, for every change
made through any client.

What is published, and from which documentation:

- The event: source `aws.sagemaker`, detail-type `SageMaker Model Package State Change`, `resources` the
  package ARN, `time` the change (SageMaker developer guide, "Events that Amazon SageMaker AI sends to
  Amazon EventBridge", model package state change). The detail holds the members the guide's example
  shows (ModelPackageGroupName, ModelPackageVersion, ModelPackageArn, CreationTime,
  InferenceSpecification, ModelPackageStatus, ModelPackageStatusDetails, CertifyForMarketplace,
  ModelApprovalStatus, MetadataProperties, ModelMetrics, LastModifiedTime), where the package has them,
  with times as that example writes them (ISO 8601, UTC, to the second). ModelLifeCycle is added when set:
  "Get event notifications for ModelLifeCycle" names this event as the one that carries stage changes.
  The example has neither CreatedBy, LastModifiedBy nor ApprovalDescription, so they are not published:
  a consumer that needs who approved reads DescribeModelPackage.
- When: CreateModelPackage (a new version), every UpdateModelPackage (approval, stage, metadata...),
  each ModelPackageStatus transition the registry models (Pending, InProgress, then Completed or Failed,
  at the times `Lifecycle` sets), and DeleteModelPackage. AWS's guide has no deletion example; the
  package status enumeration has `Deleting` (ModelPackageSummary, SageMaker API reference), so deletion is
  published as a change to Deleting, LastModifiedTime left as it was.
- Not published: model package group changes. The guide lists no model package group event among the
  events SageMaker sends (nor does EventBridge's schema registry for aws.sagemaker), and an idempotent
  CreateModelPackage retry (same ClientToken) changes nothing.

SageMaker "may send multiple events to EventBridge for each state change" (same guide), so consumers
must accept duplicates; the embedded AWS sends one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .eventbridge import ServiceEventBus, event_time
from .registry import ModelPackage, RegistryStore, package_status

log = logging.getLogger(__name__)

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
DELETING = "Deleting"
# In the order of the developer guide's example; members a package lacks are left out.
_DETAIL_MEMBERS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "MetadataProperties",
    "ModelMetrics",
    "ModelLifeCycle",
    "LastModifiedTime",
)
_TIMES = frozenset({"CreationTime", "LastModifiedTime"})

Describe = Callable[[ModelPackage], dict[str, Any]]


def detail_of(described: dict[str, Any]) -> dict[str, Any]:
    """The event's detail from a DescribeModelPackage answer (times as epoch seconds)."""
    detail = {}
    for member in _DETAIL_MEMBERS:
        value = described.get(member)
        if value is None:
            continue
        detail[member] = event_time(value) if member in _TIMES else value
    return detail


class PackageEvents:
    """Publishes package state changes; callers hold the store's lock, so events leave in the order the
    changes were made. Status transitions are timed by a background thread that `reset()` empties."""

    def __init__(self, store: RegistryStore, describe: Describe, bus: ServiceEventBus) -> None:
        self._store = store
        self._describe = describe
        self._bus = bus
        self._lock = threading.Condition()
        self._due: list[tuple[float, int, int, ModelPackage]] = []
        self._sequence = itertools.count()
        self._generation = 0
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._due.clear()

    # -- what the registry calls, holding the store's lock --------------------------------------

    def created(self, package: ModelPackage) -> None:
        self._publish(package, when=package.creation_time)
        lifecycle = self._store.lifecycle
        for after in (lifecycle.package_seconds / 2, lifecycle.package_seconds):
            if after > 0:
                self._schedule(package.creation_time + after, package)

    def updated(self, package: ModelPackage) -> None:
        self._publish(package, when=package.last_modified_time or time.time())

    def deleted(self, package: ModelPackage, when: float) -> None:
        self._publish(package, when=when, status=DELETING)

    # -- publishing -------------------------------------------------------------------------------

    def _publish(self, package: ModelPackage, when: float, status: str | None = None) -> None:
        described = self._describe(package)
        if status is not None:
            described["ModelPackageStatus"] = status
        package.published_status = described["ModelPackageStatus"]
        group = package.group
        try:
            self._bus.put(
                account=group.account,
                region=group.region,
                source=SOURCE,
                detail_type=DETAIL_TYPE,
                resources=[package.arn],
                detail=detail_of(described),
                time=when,
            )
        except Exception:
            # A registry call must not fail because its event could not be published; AWS's API does not.
            log.exception("could not publish the state change of %s", package.arn)

    # -- status transitions -----------------------------------------------------------------------

    def _schedule(self, due: float, package: ModelPackage) -> None:
        with self._lock:
            heapq.heappush(self._due, (due, next(self._sequence), self._generation, package))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="localaws-package-events", daemon=True)
                self._thread.start()
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._due or self._due[0][0] > time.time():
                    wait = max(0.0, self._due[0][0] - time.time()) if self._due else None
                    self._lock.wait(timeout=wait)
                _, _, generation, package = heapq.heappop(self._due)
                if generation != self._generation:
                    continue
            self._transition(package)

    def _transition(self, package: ModelPackage) -> None:
        with self._store.lock:
            group = package.group
            current = self._store.find_group(group.account, group.region, group.name)
            if current is not group or group.packages.get(package.version) is not package:
                return  # deleted (or the registry was reset) before its status moved on
            now = time.time()
            if package_status(package, self._store.lifecycle, now) != package.published_status:
                self._publish(package, when=now)
