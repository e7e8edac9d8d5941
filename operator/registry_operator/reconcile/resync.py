"""Per-group resync: one ListModelPackages per group and interval observes every version's approval.

Describing each version instead would cost one call per version per interval; the list returns
ModelApprovalStatus for all of a group's versions at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from registry_operator.aws.errors import AwsError
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile.outcome import Event, Outcome, State, status_patch


@dataclass(frozen=True)
class TrackedVersion:
    """What the resync needs of one registered ModelVersion."""

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


@dataclass(frozen=True)
class GroupKey:
    region: str
    role_arn: str | None
    group: str


@dataclass
class VersionChange:
    version: TrackedVersion
    status: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    missing: bool = False


DELETED = "Deleted"


def deleted_outcome(arn: str) -> Outcome:
    return Outcome(
        State.STALLED,
        "DeletedInRegistry",
        f"model package {arn} no longer exists in SageMaker; it was deleted outside the operator. "
        "Delete and re-apply this ModelVersion to register it again",
        status={"modelPackageStatus": DELETED},
    )


def deleted_status(v: TrackedVersion) -> dict[str, Any]:
    return status_patch(deleted_outcome(v.arn), v.generation, None)


def by_group(versions: list[TrackedVersion]) -> dict[GroupKey, list[TrackedVersion]]:
    groups: dict[GroupKey, list[TrackedVersion]] = defaultdict(list)
    for v in versions:
        groups[GroupKey(v.region, v.role_arn, v.group)].append(v)
    return groups


def resync_group(
    registry: SageMakerRegistry, key: GroupKey, versions: list[TrackedVersion]
) -> list[VersionChange]:
    """Compare the registry's view of one group with the tracked versions; correct or mirror approvals.

    Raises AwsError when the group cannot be listed; the caller logs it and tries next interval.
    """
    approvals = {
        s["ModelPackageArn"]: s.get("ModelApprovalStatus") for s in registry.list_packages(key.group)
    }
    changes: list[VersionChange] = []
    for v in versions:
        if v.arn not in approvals:
            if v.package_status != DELETED:  # reported once, not every interval
                changes.append(
                    VersionChange(
                        v,
                        deleted_status(v),
                        [
                            Event(
                                "Warning", "DeletedInRegistry", (f"{v.arn} was deleted outside the operator")
                            )
                        ],
                        missing=True,
                    )
                )
            continue
        actual = approvals[v.arn]
        if v.spec_approval is not None and actual != v.spec_approval:
            # git is the source of truth for this version: change the registry back
            try:
                registry.update_package(v.arn, ModelApprovalStatus=v.spec_approval)
            except AwsError as err:
                changes.append(
                    VersionChange(v, {}, [Event("Warning", "DriftCorrectionFailed", err.describe())])
                )
                continue
            changes.append(
                VersionChange(
                    v,
                    {"approvalStatus": v.spec_approval},
                    [
                        Event(
                            "Normal",
                            "DriftCorrected",
                            f"approval was changed to {actual} in SageMaker; set back to {v.spec_approval}",
                        )
                    ],
                )
            )
        elif v.spec_approval is None and actual != v.status_approval:
            changes.append(
                VersionChange(
                    v,
                    {"approvalStatus": actual},
                    [Event("Normal", "ApprovalChanged", f"approval is now {actual} in SageMaker")],
                )
            )
    return changes
