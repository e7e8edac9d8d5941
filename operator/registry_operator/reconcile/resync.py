"""Per-group resync: one ListModelPackages per group and interval observes every version's approval,
life-cycle stage and package status.

Describing each version instead would cost one call per version per interval; the list's summaries carry
ModelApprovalStatus, ModelLifeCycle and ModelPackageStatus (botocore's ModelPackageSummary) for all of a
group's versions at once, so enforcing or mirroring the stage costs no call beyond the list. A version
missing from the list is described once before it is reported deleted, so a list that differs in case or
lags never reports a live version as gone; a version that turned Failed is described once, for
SageMaker's reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from registry_operator.aws import attribution
from registry_operator.aws.errors import AwsError
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile.model_version import DELETED
from registry_operator.reconcile.outcome import Event, Outcome, Stalled, State, now_iso
from registry_operator.reconcile.permissions import Request
from registry_operator.reconcile.registry_members import described_status, life_cycle_status


@dataclass(frozen=True)
class Stage:
    """A life-cycle stage as the spec sets it or the registry holds it (ModelLifeCycle)."""

    stage: str
    status: str | None = None
    description: str | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, Any] | None) -> Stage | None:
        """From spec.modelLifeCycle or status.modelLifeCycle (lowerCamelCase)."""
        if not fields or not fields.get("stage"):
            return None
        return cls(fields["stage"], fields.get("stageStatus"), fields.get("stageDescription"))

    @classmethod
    def from_aws(cls, held: dict[str, Any] | None) -> Stage | None:
        return cls.from_fields(life_cycle_status(held))

    def satisfied_by(self, held: Stage | None) -> bool:
        """The registry holds what the spec asks for (a description the spec leaves out is not compared)."""
        return (
            held is not None
            and held.stage == self.stage
            and held.status == self.status
            and (self.description is None or held.description == self.description)
        )

    def to_aws(self) -> dict[str, str]:
        out = {"Stage": self.stage, "StageStatus": self.status or ""}
        if self.description is not None:
            out["StageDescription"] = self.description
        return out

    def to_status(self) -> dict[str, str]:
        return life_cycle_status(self.to_aws()) or {}


@dataclass(frozen=True)
class TrackedVersion:
    """What the resync needs of one registered ModelVersion, as its object records it."""

    namespace: str
    name: str
    uid: str
    region: str
    role_arn: str | None
    group: str  # as CreateModelPackage got it: a name, or an ARN
    arn: str
    spec_approval: str | None
    status_approval: str | None
    generation: int = 0
    package_status: str | None = None
    ready: bool = True  # Ready=True for the current generation
    # Why it is not Ready, when it is not; only a wait the registry ends (a pending package, a package
    # thought deleted) is the resync's to end. Anything else is the handler's.
    waiting_on_registry: bool = False
    reason: str | None = None  # the Ready condition's reason
    spec_stage: Stage | None = None  # set: git decides the stage; None: the registry does, mirrored
    status_stage: Stage | None = None


@dataclass(frozen=True)
class GroupKey:
    region: str
    role_arn: str | None
    group: str


@dataclass
class VersionChange:
    """What the resync learned of one version: the status fields to write and, when readiness flips,
    the outcome whose conditions to write."""

    version: TrackedVersion
    status: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    outcome: Outcome | None = None


# Ready=False reasons that only the registry's own progress ends.
REGISTRY_WAITS = frozenset({"PackagePending", "DeletedInRegistry"})


def request(v: TrackedVersion, own_account: str | None) -> Request:
    """What the resync would do with a version's identity, for the same authorization as its handler:
    a role removed from the config stops being used at the next pass."""
    accounts: tuple[tuple[str, str, str | None], ...] = ()
    if v.group.startswith("arn:"):
        accounts = (("spec.modelPackageGroupName", v.group, v.role_arn),)
    return Request(roles=(("spec.roleArn", v.role_arn or ""),), accounts=accounts)


def refused(v: TrackedVersion, stalled: Stalled) -> VersionChange | None:
    """A version the config no longer allows: Stalled NotPermitted, written once."""
    if v.reason == stalled.reason:
        return None
    return VersionChange(
        v,
        {},
        [Event("Warning", stalled.reason, stalled.message)],
        Outcome(State.STALLED, stalled.reason, stalled.message),
    )


def by_group(versions: Iterable[TrackedVersion]) -> dict[GroupKey, list[TrackedVersion]]:
    groups: dict[GroupKey, list[TrackedVersion]] = defaultdict(list)
    for v in versions:
        groups[GroupKey(v.region, v.role_arn, v.group)].append(v)
    return groups


def _deleted(v: TrackedVersion) -> VersionChange:
    message = (
        f"model package {v.arn} no longer exists in SageMaker; it was deleted outside the operator. "
        "Delete and re-apply this ModelVersion to register it again"
    )
    return VersionChange(
        v,
        {"modelPackageStatus": DELETED},
        [Event("Warning", "DeletedInRegistry", f"{v.arn} was deleted outside the operator")],
        Outcome(State.STALLED, "DeletedInRegistry", message),
    )


def _observed(
    v: TrackedVersion, approval: str, package_status: str, stage: Stage | None
) -> VersionChange | None:
    """A version the registry still holds, as it is now; None when the object's status already says so."""
    status: dict[str, Any] = {}
    events: list[Event] = []
    if approval != v.status_approval and v.spec_approval is None:
        status["approvalStatus"] = approval
        events.append(Event("Normal", "ApprovalChanged", f"approval is now {approval} in SageMaker"))
    if stage != v.status_stage:
        status["modelLifeCycle"] = stage.to_status() if stage is not None else None
        if v.spec_stage is None and stage is not None:
            events.append(
                Event("Normal", "StageChanged", f"life-cycle stage is now {stage.stage} in SageMaker")
            )
    if package_status != v.package_status:
        status["modelPackageStatus"] = package_status
    completed = package_status == "Completed"
    outcome = None
    if completed and not v.ready and v.waiting_on_registry:
        # Pending when the object was last written, or wrongly thought deleted: Ready now.
        outcome = Outcome(State.READY, "Registered", f"{v.arn} is {approval}")
    elif not completed and package_status not in ("Pending", "InProgress") and v.ready:
        outcome = Outcome(
            State.STALLED, f"Package{package_status}", f"{v.arn} is {package_status} in SageMaker"
        )
    if not status and outcome is None:
        return None
    status["lastSyncedTime"] = now_iso()
    return VersionChange(v, status, events, outcome)


def _set_back(v: TrackedVersion, approval: str, stage: Stage | None) -> tuple[dict[str, Any], list[Event]]:
    """What git decides and the registry no longer holds: (UpdateModelPackage parameters, events)."""
    fixes: dict[str, Any] = {}
    events: list[Event] = []
    if v.spec_approval is not None and approval != v.spec_approval:
        fixes["ModelApprovalStatus"] = v.spec_approval
        events.append(
            Event(
                "Normal",
                "DriftCorrected",
                f"approval was changed to {approval} in SageMaker; set back to {v.spec_approval}",
            )
        )
    if v.spec_stage is not None and not v.spec_stage.satisfied_by(stage):
        fixes["ModelLifeCycle"] = v.spec_stage.to_aws()
        held = stage.stage if stage is not None else "(none)"
        events.append(
            Event(
                "Normal",
                "DriftCorrected",
                f"life-cycle stage was changed to {held} in SageMaker; set back to {v.spec_stage.stage}",
            )
        )
    return fixes, events


def _failure_details(registry: SageMakerRegistry, v: TrackedVersion, change: VersionChange) -> None:
    """A version that just turned Failed: one Describe, for SageMaker's reasons (the list has none)."""
    described = registry.describe_package(v.arn) or {}
    details = described_status(described)["modelPackageStatusDetails"]
    if details is not None:
        change.status["modelPackageStatusDetails"] = details
    reasons = [
        f"{item.get('name')}: {item.get('status')}"
        + (f" ({item['failureReason']})" if item.get("failureReason") else "")
        for items in (details or {}).values()
        for item in items
        if item.get("status") == "Failed"
    ]
    if reasons and change.outcome is not None:
        change.outcome.message += ": " + "; ".join(reasons)


def resync_group(
    registry: SageMakerRegistry,
    key: GroupKey,
    versions: list[TrackedVersion],
    still_wanted: Callable[[TrackedVersion], bool] = lambda v: True,
) -> list[VersionChange]:
    """Compare the registry's view of one group with the versions' recorded status: mirror approvals,
    life-cycle stages and package status, and set back the approvals and stages that git decides.

    `still_wanted` re-reads an object before anything is written back, so a spec changed since the view
    was taken is never overwritten with the old one. Raises AwsError when the group cannot be
    listed; the caller logs it and tries next interval.
    """
    summaries = {s["ModelPackageArn"].lower(): s for s in registry.list_packages(key.group)}
    changes: list[VersionChange] = []
    for v in versions:
        with attribution.acting_for(v.namespace, v.name, v.uid):
            summary = summaries.get(v.arn.lower())
            if summary is None:
                described = registry.describe_package(v.arn)
                if described is None:
                    if v.package_status != DELETED:  # reported once, not every interval
                        changes.append(_deleted(v))
                    continue
                summary = described
            approval = str(summary.get("ModelApprovalStatus") or "PendingManualApproval")
            package_status = str(summary.get("ModelPackageStatus") or "Pending")
            stage = Stage.from_aws(summary.get("ModelLifeCycle"))
            fixes, events = _set_back(v, approval, stage)
            if fixes and still_wanted(v):
                # git is the source of truth for these: change the registry back, in one call
                try:
                    registry.update_package(v.arn, **fixes)
                except AwsError as err:
                    changes.append(
                        VersionChange(v, {}, [Event("Warning", "DriftCorrectionFailed", err.describe())])
                    )
                    continue
                approval = fixes.get("ModelApprovalStatus", approval)
                stage = v.spec_stage if "ModelLifeCycle" in fixes else stage
                change = _observed(v, approval, package_status, stage) or VersionChange(
                    v, {"lastSyncedTime": now_iso()}
                )
                if "ModelApprovalStatus" in fixes:
                    change.status["approvalStatus"] = approval
                change.events[:0] = events
                changes.append(change)
                continue
            observed = _observed(v, approval, package_status, stage)
            if observed is not None:
                if observed.outcome is not None and observed.outcome.state is State.STALLED:
                    _failure_details(registry, v, observed)
                changes.append(observed)
    return changes
