"""Who owns a group or a version in AWS: an owner recorded in AWS itself, so that no other namespace or
cluster can take over what one object manages.

Groups carry the owner as a tag; versions carry it in CustomerMetadataProperties (AWS documents that
versioned packages take no tags). The value is `<cluster>/<namespace>/<name>/<uid>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from registry_operator.config import OperatorConfig
from registry_operator.reconcile.outcome import ObjectRef, Stalled

OWNER_KEY = "modelregistry.io/owner"


@dataclass(frozen=True)
class Owner:
    cluster: str
    namespace: str
    name: str
    uid: str

    def render(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.name}/{self.uid}"

    @classmethod
    def parse(cls, value: str | None) -> Owner | None:
        parts = (value or "").split("/")
        return cls(*parts) if len(parts) == 4 and all(parts) else None

    def describe(self) -> str:
        return f"{self.namespace}/{self.name} in cluster {self.cluster}"


def me(ref: ObjectRef, config: OperatorConfig) -> Owner:
    return Owner(config.cluster_name, ref.namespace, ref.name, ref.uid)


class OwnerCheck(StrEnum):
    OURS = "Ours"  # recorded as this object's: nothing to do
    TAKE = "Take"  # un-owned, or this namespace's under a previous cluster name or another object: claim it


def check(
    recorded: str | None,
    ref: ObjectRef,
    config: OperatorConfig,
    what: str,
    still_managed: Callable[[Owner], bool] = lambda owner: False,
) -> OwnerCheck:
    """Whether this object may manage `what`, from the owner AWS records for it; Stalled OwnedElsewhere,
    naming the owner, when another namespace or cluster owns it, or another object of this namespace
    that still exists (`still_managed`)."""
    owner = Owner.parse(recorded)
    mine = me(ref, config)
    if owner == mine:
        return OwnerCheck.OURS
    if owner is None:
        return OwnerCheck.TAKE  # un-owned (made by hand or a pipeline): the caller checks the config's scopes
    same_cluster = owner.cluster in (config.cluster_name, *config.previous_cluster_names)
    if same_cluster and owner.namespace == ref.namespace:
        if owner.uid != ref.uid and still_managed(owner):
            raise Stalled(
                "AlreadyManaged",
                f"{what} is managed by {owner.describe()} (AWS records {OWNER_KEY}={recorded})",
            )
        return (
            OwnerCheck.TAKE
        )  # this namespace's, from an object gone since, or under a previous cluster name
    raise Stalled(
        "OwnedElsewhere",
        f"{what} is owned by {owner.describe()} (AWS records {OWNER_KEY}={recorded}); this object may not "
        "manage it",
    )
