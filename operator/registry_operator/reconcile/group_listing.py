"""The periodic observation of registered versions: one ListModelPackages per group and interval.

Describing each version instead would cost one call per version per interval; a group's listing carries
every version's approval, life-cycle stage and package status at once (botocore's ModelPackageSummary).
This module only groups and lists: it groups the versions the views track by the group and identity to
list them with, lists each group once, and hands each version whose line says something its status does
not (`model_version.would_change`) to the runner as an observation. A version missing from the listing
is handed over as missing; its run describes it before saying it is gone, so a listing that lags never
reports a live version deleted. Every decision is the run's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile.dependencies import ObjectKey
from registry_operator.reconcile.observations import DELETED, PackageHint, PackageMissing, PackageObserved
from registry_operator.reconcile.permissions import Request


@dataclass(frozen=True)
class TrackedVersion:
    """What the listing needs of one registered ModelVersion, as its object records it."""

    key: ObjectKey
    uid: str
    region: str
    role_arn: str | None
    group: str  # as CreateModelPackage got it: a name, or an ARN
    arn: str
    spec: Mapping[str, Any] = field(default_factory=dict)  # the fields git may decide
    status: Mapping[str, Any] = field(default_factory=dict)  # the fields a listing observes


@dataclass(frozen=True)
class GroupKey:
    region: str
    role_arn: str | None
    group: str


def by_group(versions: Iterable[TrackedVersion]) -> dict[GroupKey, list[TrackedVersion]]:
    groups: dict[GroupKey, list[TrackedVersion]] = defaultdict(list)
    for v in versions:
        groups[GroupKey(v.region, v.role_arn, v.group)].append(v)
    return groups


def listing_request(key: GroupKey) -> Request:
    """What listing a group does with an identity, for the same authorization as the versions' runs: a
    role removed from the config stops being used at the next pass."""
    accounts: tuple[tuple[str, str, str | None], ...] = ()
    if key.group.startswith("arn:"):
        accounts = (("spec.modelPackageGroupName", key.group, key.role_arn),)
    return Request(roles=(("spec.roleArn", key.role_arn or ""),), accounts=accounts)


def list_group(
    registry: SageMakerRegistry,
    key: GroupKey,
    versions: list[TrackedVersion],
    would_change: Callable[[TrackedVersion, PackageObserved], bool],
) -> list[tuple[TrackedVersion, PackageHint]]:
    """One ListModelPackages of the group; the versions to hand to the runner, each with what the
    listing saw of it. Raises AwsError when the group cannot be listed (the caller logs it and tries
    next interval)."""
    summaries = {
        s["ModelPackageArn"].lower(): (s, listed_at)
        for listed_at, page in registry.list_packages_by_page(key.group)
        for s in page
    }
    handed: list[tuple[TrackedVersion, PackageHint]] = []
    covers = registry.summary_members()
    for v in versions:
        summary, listed_at = summaries.get(v.arn.lower(), (None, None))
        if summary is None:
            if v.status.get("modelPackageStatus") != DELETED:  # reported once, not every interval
                handed.append((v, PackageMissing(v.arn, "list")))
            continue
        observed = PackageObserved.from_summary(summary, covers, listed_at)
        if would_change(v, observed):
            handed.append((v, observed))
    return handed
