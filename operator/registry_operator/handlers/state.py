"""What the operator process shares between its handlers, typed: kopf hands every handler a `memo` (a
dict), which carries exactly one of these under `operator`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import kopf
from kubernetes import client

from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.dependencies import Dependents, ObjectKey

if TYPE_CHECKING:
    from registry_operator.handlers.package_views import PackageViews
    from registry_operator.process.workqueue import WorkQueue


@dataclass
class OperatorState:
    context: ReconcileContext
    kube: client.ApiClient  # for the calls made outside kopf's handler cycle
    max_workers: int
    namespaces: list[str]  # --namespace patterns (none: every namespace)
    label_selector: str | None  # --shard-selector
    package_views: PackageViews
    shard: str | None = None  # --shard: which eventQueues this operator reads
    dependents: Dependents = field(default_factory=Dependents)
    queue: WorkQueue[ObjectKey] | None = None  # serving from start-up on
    runs: Any = None  # handlers.dispatch.Dispatch, from start-up on
    indexes: dict[str, kopf.Index[Any, Any]] = field(default_factory=dict)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # asks a run of an object from any thread (set at start-up)
    ask: Callable[[ObjectKey, str], None] = field(default=lambda key, reason: None)


def of(memo: kopf.Memo) -> OperatorState:
    state = memo.operator
    assert isinstance(state, OperatorState)
    return state
