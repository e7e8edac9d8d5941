"""kopf's bookkeeping in status: one reconcile is one write; an older release's annotations are read once."""

from __future__ import annotations

import json

import kopf

from registry_operator.handlers import storage

ESSENCE = {"spec": {"approvalStatus": "Approved"}}
ANNOTATION = "modelregistry.io/last-handled-configuration"


def test_the_last_handled_spec_is_stored_in_status_only() -> None:
    body = kopf.Body({"metadata": {"name": "v"}, "spec": {}, "status": {}})
    patch = kopf.Patch()
    storage.DiffBase().store(body=body, patch=patch, essence=ESSENCE)  # type: ignore[arg-type]
    assert json.loads(patch["status"]["kopf"]["lastHandledConfiguration"]) == ESSENCE
    assert not patch.get("metadata")  # no metadata patch: the status write is the only write


def test_an_older_releases_annotation_is_read_then_removed_with_the_first_write() -> None:
    old = json.dumps(ESSENCE)
    body = kopf.Body({"metadata": {"name": "v", "annotations": {ANNOTATION: old}}, "spec": {}})
    diffbase = storage.DiffBase()
    assert diffbase.fetch(body=body) == ESSENCE
    patch = kopf.Patch()
    diffbase.store(body=body, patch=patch, essence=ESSENCE)  # type: ignore[arg-type]
    assert patch["metadata"]["annotations"] == {ANNOTATION: None}
    assert "lastHandledConfiguration" in patch["status"]["kopf"]


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


def test_the_essence_is_the_spec_labels_and_foreign_annotations_only() -> None:
    body = kopf.Body(
        {
            "apiVersion": "modelregistry.io/v1alpha1",
            "kind": "ModelVersion",
            "metadata": {
                "name": "v",
                "labels": {"team": "ml"},
                "annotations": {ANNOTATION: "{}", "note": "kept"},
                "resourceVersion": "7",
            },
            "spec": {"approvalStatus": "Approved"},
            "status": {"kopf": {"lastHandledConfiguration": "{}"}, "conditions": []},
        }
    )
    assert storage.DiffBase().build(body=body) == {
        "spec": {"approvalStatus": "Approved"},
        "metadata": {"labels": {"team": "ml"}, "annotations": {"note": "kept"}},
    }
