"""Where kopf keeps its bookkeeping (the last handled spec, and handler progress during retries): in
`status.kopf`, beside the status the reconcile writes, so one reconcile is one API write (the status
subresource only) instead of a status write plus a metadata patch for annotations.

An object from an older release carries the bookkeeping in annotations: it is read from there once,
written to status from then on, and the annotation is removed with that first write.
"""

from __future__ import annotations

from typing import Any, cast

import kopf

from registry_operator.api.common import GROUP

STATUS_FIELD = "kopf"  # status.kopf: declared in every kind's status schema (api/common.py)
DIFFBASE_FIELD = f"status.{STATUS_FIELD}.lastHandledConfiguration"
PROGRESS_FIELD = f"status.{STATUS_FIELD}.progress"
TOUCH_FIELD = f"status.{STATUS_FIELD}.dummy"
ANNOTATION_KEY = "last-handled-configuration"  # the annotation older releases wrote


class DiffBase(kopf.MultiDiffBaseStorage):
    """The last handled spec, in status; read from the older annotation when status has none yet."""

    def __init__(self) -> None:
        self._status = kopf.StatusDiffBaseStorage(field=DIFFBASE_FIELD)
        self._annotation = kopf.AnnotationsDiffBaseStorage(prefix=GROUP, key=ANNOTATION_KEY)
        super().__init__([self._status, self._annotation])

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> Any:
        """The essence kopf compares, built once from what it keeps (kopf's own multi-storage deep-copies
        the whole body, status included, once per storage and again for itself: three copies per event)."""
        meta = body.get("metadata", {})
        light = {k: v for k, v in body.items() if k not in ("status", "metadata")}
        light["metadata"] = {k: meta[k] for k in ("labels", "annotations") if k in meta}
        essence = kopf.DiffBaseStorage.build(
            self, body=kopf.Body(cast(kopf.RawBody, light)), extra_fields=extra_fields
        )
        annotations = essence.get("metadata", {}).get("annotations", {})
        for key in self._annotation.make_keys(ANNOTATION_KEY, body=body):
            annotations.pop(key, None)
        self._annotation.remove_empty_stanzas(essence)
        return essence

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        self._status.store(body=body, patch=patch, essence=essence)
        if self._annotation.fetch(body=body) is not None:  # upgraded: the annotation goes, once
            for key in self._annotation.make_keys(ANNOTATION_KEY, body=body):
                patch.metadata.annotations[key] = None


class Progress(kopf.MultiProgressStorage):
    """Handler progress (retries, delays), in status; an older release's annotations are read, and
    removed when kopf purges the record."""

    def __init__(self) -> None:
        self._status = kopf.StatusProgressStorage(field=PROGRESS_FIELD, touch_field=TOUCH_FIELD)
        self._annotations = kopf.AnnotationsProgressStorage(prefix=GROUP)
        super().__init__([self._status, self._annotations])

    def store(self, *, key: Any, record: Any, body: kopf.Body, patch: kopf.Patch) -> None:
        self._status.store(key=key, record=record, body=body, patch=patch)

    def touch(self, *, body: kopf.Body, patch: kopf.Patch, value: str | None) -> None:
        self._status.touch(body=body, patch=patch, value=value)
