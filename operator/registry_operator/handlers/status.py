"""Write a reconcile outcome to the object: one status patch, its events, and kopf's retry signal."""

from __future__ import annotations

from typing import Any

import kopf

from registry_operator.reconcile.outcome import Outcome, State, status_patch

STALLED_RECHECK_SECONDS = 600.0


def apply(outcome: Outcome, body: kopf.Body, patch: kopf.Patch, logger: Any) -> None:
    generation = int(body.get("metadata", {}).get("generation") or 0)
    previous = body.get("status", {}).get("conditions")
    for key, value in status_patch(outcome, generation, previous).items():
        patch.status[key] = value
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if outcome.state is State.READY:
        logger.info(f"{outcome.reason}: {outcome.message}")
    elif outcome.state is State.STALLED:
        logger.warning(f"Stalled ({outcome.reason}): {outcome.message}")
    else:
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
