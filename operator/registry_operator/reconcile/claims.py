"""Which ModelVersion manages which model package, so two resources never manage the same version."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    uid: str
    namespace: str
    name: str
    created: str  # metadata.creationTimestamp: the older claim wins a tie
    holds: bool  # the package ARN is already in this resource's status


class PackageClaims:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_arn: dict[str, dict[str, Claim]] = {}
        self._arn_of: dict[str, str] = {}

    def update(self, arn: str | None, claim: Claim) -> None:
        with self._lock:
            self._drop(claim.uid)
            if arn:
                key = arn.lower()  # SageMaker ARNs are case-insensitive
                self._by_arn.setdefault(key, {})[claim.uid] = claim
                self._arn_of[claim.uid] = key

    def remove(self, uid: str) -> None:
        with self._lock:
            self._drop(uid)

    def _drop(self, uid: str) -> None:
        old = self._arn_of.pop(uid, None)
        if old is not None:
            self._by_arn.get(old, {}).pop(uid, None)
            if not self._by_arn.get(old):
                self._by_arn.pop(old, None)

    def holder(self, arn: str, uid: str) -> Claim | None:
        """The other resource that manages `arn`, if any: one that already holds it, else an older one."""
        with self._lock:
            claims = self._by_arn.get(arn.lower(), {})
            others = [c for c in claims.values() if c.uid != uid]
            mine = claims.get(uid)
        if mine is not None and mine.holds:
            return None  # it is already in this resource's status: this resource manages it
        holding = [c for c in others if c.holds]
        if holding:
            return holding[0]
        if mine is None:
            return min(others, key=lambda c: (c.created, c.namespace, c.name), default=None)
        older = [
            c for c in others if (c.created, c.namespace, c.name) < (mine.created, mine.namespace, mine.name)
        ]
        return min(older, key=lambda c: (c.created, c.namespace, c.name), default=None)
