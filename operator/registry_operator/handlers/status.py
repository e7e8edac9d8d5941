"""Between kopf and the runner, for every kind: which object a body is, and writing an outcome back
(one status write, its events, and kopf's retry signal)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kopf

from registry_operator.process import metrics
from registry_operator.reconcile.outcome import Event, ObjectRef, Outcome, State, status_patch

_VOLATILE = {"lastSyncedTime", "lastTransitionTime"}


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


def render(
    outcome: Outcome, body: Mapping[str, Any], owned_fields: Iterable[str]
) -> tuple[dict[str, Any], bool]:
    """The status merge patch for an outcome, and whether it changes anything but timestamps."""
    generation = int(body.get("metadata", {}).get("generation") or 0)
    current = dict(body.get("status") or {})
    new = status_patch(outcome, generation, current, owned_fields)
    merged = {k: v for k, v in {**current, **new}.items() if v is not None}
    return new, _stable(merged) != _stable(current)


def _log(outcome: Outcome, logger: Any) -> None:
    if outcome.state is State.READY:
        logger.info(f"{outcome.reason}: {outcome.message}")
    elif outcome.state is State.STALLED:
        logger.warning(f"Stalled ({outcome.reason}): {outcome.message}")


def _retry(outcome: Outcome) -> None:
    """kopf retries the handler after the delay; the status written says why meanwhile. A refusal by
    AWS that may be cured outside Kubernetes (outcome Stalled with a delay) is looked at again rarely."""
    if outcome.state is State.PROGRESSING:
        raise kopf.TemporaryError(f"{outcome.reason}: {outcome.message}", delay=outcome.retry_after or 10.0)
    if outcome.state is State.STALLED and outcome.retry_after:
        raise kopf.TemporaryError(f"Stalled ({outcome.reason}): {outcome.message}", delay=outcome.retry_after)


def apply(
    outcome: Outcome, body: kopf.Body, patch: kopf.Patch, logger: Any, owned_fields: Iterable[str]
) -> None:
    """Write an outcome through kopf's own patch (one write with kopf's bookkeeping)."""
    metrics.record_outcome(outcome.state)  # counted by the handler's metrics.observe_reconcile
    new, _ = render(outcome, body, owned_fields)
    for key, value in new.items():
        patch.status[key] = value
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    _log(outcome, logger)
    _retry(outcome)


def write(
    outcome: Outcome,
    body: Mapping[str, Any],
    owned_fields: Iterable[str],
    patch_status: Callable[[dict[str, Any]], None],
    post_event: Callable[[Event], None],
    logger: Any,
    only_if_changed: bool = False,
    retry: bool = True,
) -> bool:
    """Write an outcome straight to the API server (for writes that must happen under a lock: kopf's own
    patch is applied after the handler returns). Returns whether the status was written.

    `only_if_changed` (periodic re-checks) skips the write and the log line when nothing but timestamps
    moved; `retry=False` leaves retrying to the next periodic run instead of kopf's backoff."""
    metrics.record_outcome(outcome.state)
    new, changed = render(outcome, body, owned_fields)
    written = changed or not only_if_changed
    if written:
        patch_status(new)
        _log(outcome, logger)
    for event in outcome.events:
        post_event(event)
    if retry:
        _retry(outcome)
    return written


def apply_deletion(outcome: Outcome | None, body: kopf.Body, patch: kopf.Patch, logger: Any) -> None:
    """Deletion: success lets kopf drop the finalizer; anything else keeps it, says why, and retries."""
    if outcome is None:
        return
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if outcome.state is State.READY:
        logger.info(outcome.message)
        return
    generation = int(body.get("metadata", {}).get("generation") or 0)
    current = dict(body.get("status") or {})
    for key, value in status_patch(outcome, generation, current).items():
        patch.status[key] = value
    _log(outcome, logger)
    delay = outcome.retry_after or 10.0
    raise kopf.TemporaryError(f"deletion waits: {outcome.reason}: {outcome.message}", delay=delay)
