"""The one status writer, for every kind and every path: an outcome becomes one status patch (a field the
run no longer holds is removed with null; a condition whose status did not change keeps its
lastTransitionTime), written only when it changes something besides timestamps, with its events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kopf

from registry_operator.process import metrics
from registry_operator.reconcile.outcome import Event, ObjectRef, Outcome, State, status_patch

# Fields that move with every observation: a write for them alone is not worth making.
_VOLATILE = {"lastSyncedTime", "lastTransitionTime", "observedRegistryTime"}
# What kopf's change handlers kept in status.kopf before every reconcile went through the work queue;
# removed with the first status write after an upgrade (kopf keeps only a deletion's progress there).
_FORMER_BOOKKEEPING = ("lastHandledConfiguration",)
_FORMER_HANDLERS = ("reconcile_group", "reconcile_version", "reconcile_access")


def object_ref(body: Mapping[str, Any]) -> ObjectRef:
    meta = body["metadata"]
    return ObjectRef(meta["namespace"], meta["name"], meta["uid"], int(meta.get("generation") or 0))


def _stable(value: Any) -> Any:
    """A status without the fields that change on every reconcile, for "did anything change"."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE and v is not None}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _former_bookkeeping(current: Mapping[str, Any]) -> dict[str, Any] | None:
    kept = current.get("kopf") or {}
    stale: dict[str, Any] = {k: None for k in _FORMER_BOOKKEEPING if k in kept}
    progress = {h: None for h in _FORMER_HANDLERS if h in (kept.get("progress") or {})}
    if progress:
        stale["progress"] = progress
    return stale or None


def render(
    outcome: Outcome, body: Mapping[str, Any], owned_fields: Iterable[str]
) -> tuple[dict[str, Any], bool]:
    """The status merge patch for an outcome, and whether it changes anything but timestamps."""
    generation = int(body.get("metadata", {}).get("generation") or 0)
    current = dict(body.get("status") or {})
    new = status_patch(outcome, generation, current, owned_fields)
    merged = {k: v for k, v in {**current, **new}.items() if v is not None}
    stale = _former_bookkeeping(current)
    if stale is not None:
        new["kopf"] = stale
    return new, stale is not None or _stable(merged) != _stable(current)


def log(outcome: Outcome, logger: Any) -> None:
    if outcome.state is State.READY:
        logger.info(f"{outcome.reason}: {outcome.message}")
    elif outcome.state is State.STALLED:
        logger.warning(f"Stalled ({outcome.reason}): {outcome.message}")
    else:
        logger.info(f"waiting ({outcome.reason}): {outcome.message}")


def write(
    outcome: Outcome,
    body: Mapping[str, Any],
    owned_fields: Iterable[str],
    patch_status: Callable[[dict[str, Any]], Mapping[str, Any] | None],
    post_event: Callable[[Event], None],
    logger: Any,
) -> Mapping[str, Any] | None:
    """Write an outcome straight to the API server, with its events. Returns the object as the write
    left it; None when nothing but timestamps would have changed (no write, no log line)."""
    metrics.record_outcome(outcome.state)
    new, changed = render(outcome, body, owned_fields)
    written = patch_status(new) if changed else None
    if changed:
        log(outcome, logger)
    for event in outcome.events:
        post_event(event)
    return written


def apply_deletion(outcome: Outcome | None, body: kopf.Body, patch: kopf.Patch, logger: Any) -> None:
    """Deletion (kopf's handler, which holds the finalizer): success lets kopf drop the finalizer;
    anything else keeps it, says why in status through kopf's own patch, and retries."""
    if outcome is None:
        return
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if outcome.state is State.READY:
        logger.info(outcome.message)
        return
    new, _ = render(outcome, body, ())
    new.pop("kopf", None)  # kopf writes its deletion progress there in this same patch
    for key, value in new.items():
        patch.status[key] = value
    log(outcome, logger)
    delay = outcome.retry_after or 10.0
    raise kopf.TemporaryError(f"deletion waits: {outcome.reason}: {outcome.message}", delay=delay)
