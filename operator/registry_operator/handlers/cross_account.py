"""kopf glue for CrossAccountRegistryAccess: reconcile on change, re-check drift every resync interval."""

from __future__ import annotations

import time
from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.handlers import status
from registry_operator.handlers.resources import CROSS_ACCOUNT_ACCESSES
from registry_operator.reconcile import cross_account as domain

# Timers wake often and cheaply; the work runs once per configured resync interval per object.
TIMER_TICK_SECONDS = 5.0


@kopf.on.resume(*CROSS_ACCOUNT_ACCESSES)
@kopf.on.create(*CROSS_ACCOUNT_ACCESSES)
@kopf.on.update(*CROSS_ACCOUNT_ACCESSES, field="spec")
@metrics.observe_reconcile("CrossAccountRegistryAccess")
def reconcile_access(
    body: kopf.Body,
    reason: str,
    old: Any,
    retry: int,
    patch: kopf.Patch,
    memo: kopf.Memo,
    logger: Any,
    **_: Any,
) -> None:
    previous = dict(old) if reason == "update" and old else None
    outcome = domain.reconcile(
        status.object_ref(body),
        dict(body.get("spec", {})),
        dict(body.get("status", {})),
        memo.context,
        previous,
        retry,
    )
    memo.access_checked[body["metadata"]["uid"]] = time.monotonic()
    status.apply(outcome, body, patch, logger)


@kopf.timer(*CROSS_ACCOUNT_ACCESSES, interval=TIMER_TICK_SECONDS, initial_delay=TIMER_TICK_SECONDS)
@metrics.observe_reconcile("CrossAccountRegistryAccess")
def recheck_access(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any) -> None:
    """Statements or a grant removed outside the operator are put back within one resync interval."""
    uid = body["metadata"]["uid"]
    if _stalled_at_current_generation(body):
        return  # bad input or not permitted: only a spec change (an update) can cure it
    last = memo.access_checked.get(uid, 0.0)
    if time.monotonic() - last < memo.context.config.resync_interval_seconds:
        return
    memo.access_checked[uid] = time.monotonic()
    outcome = domain.reconcile(
        status.object_ref(body), dict(body.get("spec", {})), dict(body.get("status", {})), memo.context
    )
    status.apply(outcome, body, patch, logger, only_if_changed=True, retry=False)


def _stalled_at_current_generation(body: kopf.Body) -> bool:
    generation = body["metadata"].get("generation")
    return any(
        c.get("type") == "Stalled" and c.get("status") == "True" and c.get("observedGeneration") == generation
        for c in body.get("status", {}).get("conditions", [])
    )


@kopf.on.delete(
    *CROSS_ACCOUNT_ACCESSES, when=lambda spec, **_: spec.get("deletionPolicy", "Delete") == "Delete"
)
def delete_access(
    body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    outcome = domain.delete(
        status.object_ref(body), dict(body.get("spec", {})), dict(body.get("status", {})), memo.context, retry
    )
    memo.access_checked.pop(body["metadata"]["uid"], None)
    status.apply_deletion(outcome, body, patch, logger)
