"""kopf's bookkeeping: a deletion's progress in status, no last-handled spec at all, and what an older
release kept there removed with the first status write."""

from __future__ import annotations

import json

import kopf

from registry_operator.handlers import status, storage
from registry_operator.reconcile.outcome import Outcome, State

ESSENCE = {"spec": {"approvalStatus": "Approved"}}


def test_no_last_handled_spec_is_built_kept_or_written() -> None:
    """Every reconcile goes through the work queue; kopf's change detection serves only deletion, which
    needs no diff: building one deep-copied every body on every event, storing one cost a write."""
    body = kopf.Body({"metadata": {"name": "v"}, "spec": {"approvalStatus": "Approved"}, "status": {}})
    diffbase = storage.NoDiffBase()
    assert diffbase.build(body=body) is None and diffbase.fetch(body=body) is None
    patch = kopf.Patch()
    diffbase.store(body=body, patch=patch, essence=ESSENCE)  # type: ignore[arg-type]
    assert not patch


def test_the_first_status_write_after_an_upgrade_removes_the_former_bookkeeping() -> None:
    former = {
        "kopf": {
            "lastHandledConfiguration": json.dumps(ESSENCE),
            "progress": {"reconcile_version": {"retries": 1}, "delete_version": {"retries": 2}},
        },
        "conditions": [],
    }
    body = {"metadata": {"name": "v", "generation": 1}, "spec": {}, "status": former}
    outcome = Outcome(State.READY, "UpToDate", "fine")
    patch, changed = status.render(outcome, body, ())
    assert changed
    assert patch["kopf"] == {"lastHandledConfiguration": None, "progress": {"reconcile_version": None}}
    cleaned = {
        "metadata": body["metadata"],
        "status": {"conditions": patch["conditions"], "observedGeneration": 1},
    }
    assert "kopf" not in status.render(outcome, cleaned, ())[0]


def test_progress_lives_in_status_and_an_old_record_is_purged_from_annotations() -> None:
    progress = storage.Progress()
    body = kopf.Body({"metadata": {"name": "v"}, "spec": {}, "status": {}})
    patch = kopf.Patch()
    progress.store(key="reconcile_version", record={"retries": 2}, body=body, patch=patch)  # type: ignore[arg-type,typeddict-unknown-key]
    assert patch["status"]["kopf"]["progress"]["reconcile_version"]["retries"] == 2
    assert not patch.get("metadata")
    old = {"metadata": {"name": "v", "annotations": {"modelregistry.io/reconcile_version": '{"retries": 1}'}}}
    patch = kopf.Patch()
    progress.purge(key="reconcile_version", body=kopf.Body(old), patch=patch)  # type: ignore[arg-type]
    assert patch["metadata"]["annotations"] == {"modelregistry.io/reconcile_version": None}
