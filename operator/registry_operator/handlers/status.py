"""Between kopf and the reconcilers, for every kind: which object a body is, and writing an outcome back
(one status patch, its events, and kopf's retry signal)."""

from __future__ import annotations

from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.reconcile.outcome import ObjectRef, Outcome, State, status_patch

STALLED_RECHECK_SECONDS = 600.0


def object_ref(body: kopf.Body) -> ObjectRef:
    meta = body["metadata"]
    return ObjectRef(meta["namespace"], meta["name"], meta["uid"], int(meta.get("generation") or 0))


_VOLATILE = {"lastSyncedTime", "lastTransitionTime"}


def _stable(value: Any) -> Any:
    """A status without the fields that change on every reconcile, for "did anything change"."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def apply(
    outcome: Outcome,
    body: kopf.Body,
    patch: kopf.Patch,
    logger: Any,
    only_if_changed: bool = False,
    retry: bool = True,
) -> None:
    """`only_if_changed` (periodic re-checks) skips the write when nothing but timestamps moved;
    `retry=False` leaves retrying to the next periodic run instead of kopf's backoff."""
    metrics.record_outcome(outcome.state)  # counted by the handler's metrics.observe_reconcile
    generation = int(body.get("metadata", {}).get("generation") or 0)
    current = dict(body.get("status", {}))
    new = status_patch(outcome, generation, current.get("conditions"))
    changed = _stable({**current, **new}) != _stable(current)
    if not only_if_changed or changed:
        for key, value in new.items():
            patch.status[key] = value
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    quiet = only_if_changed and not changed  # a periodic re-check that found everything as it was
    if outcome.state is State.READY:
        if not quiet:
            logger.info(f"{outcome.reason}: {outcome.message}")
    elif outcome.state is State.STALLED:
        if not quiet:
            logger.warning(f"Stalled ({outcome.reason}): {outcome.message}")
    elif retry:
        # kopf keeps the status patch made above and retries the handler after the delay
        raise kopf.TemporaryError(f"{outcome.reason}: {outcome.message}", delay=outcome.retry_after or 10.0)


def apply_deletion(outcome: Outcome | None, body: kopf.Body, patch: kopf.Patch, logger: Any) -> None:
    """Deletion: success lets kopf drop the finalizer; anything else keeps it and retries."""
    if outcome is None:
        return
    if outcome.state is State.READY:
        for event in outcome.events:
            kopf.event(body, type=event.type, reason=event.reason, message=event.message)
        logger.info(outcome.message)
        return
    if outcome.state is State.STALLED:
        outcome.retry_after = STALLED_RECHECK_SECONDS
    outcome.state = State.PROGRESSING
    apply(outcome, body, patch, logger)
