"""The periodic listing's path through the runner, in-process: the objects as the views track them, one
ListModelPackages per group, and a run of each version the listing hands over with what it saw (what the
operator's work queue does with the resync's asks, without the queue)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry_operator.reconcile import group_listing, model_version, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import ObjectRef, Outcome, conditions


@dataclass
class Version:
    """One ModelVersion object: its ref, spec and status as the API server holds them."""

    ref: ObjectRef
    spec: dict[str, Any]
    outcome: Outcome

    def body(self) -> dict[str, Any]:
        status = dict(self.outcome.status)
        status["conditions"] = conditions(self.outcome, self.ref.generation, None)
        return {
            "kind": "ModelVersion",
            "metadata": {
                "namespace": self.ref.namespace,
                "name": self.ref.name,
                "uid": self.ref.uid,
                "generation": self.ref.generation,
            },
            "spec": self.spec,
            "status": status,
        }


def listing_runs(ctx: ReconcileContext, versions: list[Version]) -> dict[str, Outcome]:
    """The outcome of every run the listing asks for, by object name."""
    by_name: Mapping[str, Version] = {v.ref.name: v for v in versions}
    tracked = [t for t in (model_version.tracked(v.body()) for v in versions) if t is not None]
    outcomes: dict[str, Outcome] = {}
    for key, group in group_listing.by_group(tracked).items():
        registry = ctx.registry(key.region, key.role_arn)
        for v, hint in group_listing.list_group(registry, key, group, model_version.would_change):
            obj = by_name[v.key.name]
            outcomes[v.key.name] = runner.reconcile(
                model_version.MANAGED, obj.ref, obj.spec, obj.body()["status"], ctx, hints=[hint]
            )
    return outcomes
