"""Observations of a model package that a run is handed instead of reading AWS itself: a version's line in
the periodic ListModelPackages of its group, or a registry event. Each says which DescribeModelPackage
members it covers, so that a run decides only on what the observation says and keeps the rest as its
status records it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# status.modelPackageStatus of a version whose package was deleted outside the operator
DELETED = "Deleted"


@dataclass(frozen=True)
class PackageObserved:
    """A package as a source saw it: DescribeModelPackage-shaped `members`, of which `covers` are the
    ones the source reports (a covered member that is absent is absent in the registry too)."""

    arn: str
    members: Mapping[str, Any]
    covers: frozenset[str]
    source: str  # "list" (the periodic resync), "event" (a registry event)
    at: datetime | None = None  # when the registry made this change, where the source says so
    extra: Mapping[str, Any] = field(default_factory=dict)  # source-specific details (an event's id)

    @classmethod
    def from_summary(
        cls, summary: Mapping[str, Any], covers: frozenset[str], listed_at: datetime | None
    ) -> PackageObserved:
        """A line of ListModelPackages; `covers` is what a ModelPackageSummary holds (the SageMaker
        client's own service model says: SageMakerRegistry.summary_members)."""
        return cls(str(summary["ModelPackageArn"]), dict(summary), covers, "list", listed_at)


@dataclass(frozen=True)
class PackageMissing:
    """A source did not find the package (absent from its group's listing); the run makes sure."""

    arn: str
    source: str


PackageHint = PackageObserved | PackageMissing


def latest_for(arn: str | None, hints: Any) -> PackageHint | None:
    """The newest hint about `arn` among a run's hints (the last one asked wins)."""
    if not arn:
        return None
    found = None
    for hint in hints:
        if isinstance(hint, PackageObserved | PackageMissing) and hint.arn.lower() == arn.lower():
            found = hint
    return found
