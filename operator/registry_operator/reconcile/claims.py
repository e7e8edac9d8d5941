"""Which ModelVersion manages which model package, so two objects never manage the same version.

The claims come from a view over every ModelVersion that is complete before any handler runs
(handlers/package_views.py), so after a restart a run sees every other object's claim,
not just those whose watch event happened to come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PackageClaim:
    uid: str
    namespace: str
    name: str
    created: str  # metadata.creationTimestamp: the older claim wins a tie
    holds: bool  # the package ARN is already in this object's status


def claim_key(arn: str) -> str:
    return arn.lower()  # SageMaker ARNs are case-insensitive


def package_claim(body: Mapping[str, Any]) -> tuple[str, PackageClaim] | None:
    """A ModelVersion by the package it holds (status) or adopts (spec): no two objects manage one."""
    st = body.get("status") or {}
    arn = st.get("modelPackageArn") or (body.get("spec") or {}).get("modelPackageArn")
    if not arn:
        return None
    meta = body["metadata"]
    claim = PackageClaim(
        str(meta["uid"]),
        str(meta["namespace"]),
        str(meta["name"]),
        str(meta.get("creationTimestamp", "")),
        bool(st.get("modelPackageArn")),
    )
    return claim_key(str(arn)), claim


def holder(claims: Iterable[PackageClaim], uid: str) -> PackageClaim | None:
    """The other object that manages the package, if any: one that already holds it, else an older one."""
    by_uid = {c.uid: c for c in claims}
    mine = by_uid.pop(uid, None)
    if mine is not None and mine.holds:
        return None  # it is already in this object's status: this object manages it
    holding = sorted((c for c in by_uid.values() if c.holds), key=_age)
    if holding:
        return holding[0]
    others = sorted(by_uid.values(), key=_age)
    if mine is None:
        return others[0] if others else None
    older = [c for c in others if _age(c) < _age(mine)]
    return older[0] if older else None


def _age(c: PackageClaim) -> tuple[str, str, str]:
    return (c.created, c.namespace, c.name)
