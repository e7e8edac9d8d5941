"""Where kopf keeps its bookkeeping: a deletion's progress during retries, in `status.kopf` (the status
subresource only: no metadata patch for annotations); and no last-handled spec at all (`NoDiffBase`).

An object from an older release may carry the progress in annotations: it is read from there, and
removed when kopf purges the record.
"""

from __future__ import annotations

from typing import Any

import kopf

from registry_operator.api.common import GROUP

STATUS_FIELD = "kopf"  # status.kopf: declared in every kind's status schema (api/common.py)
PROGRESS_FIELD = f"status.{STATUS_FIELD}.progress"
TOUCH_FIELD = f"status.{STATUS_FIELD}.dummy"


class NoDiffBase(kopf.DiffBaseStorage):
    """No last-handled spec at all: every reconcile goes through the work queue (dispatch.py), which
    compares generations, not kopf's diffs; kopf's change detection serves only its deletion handler,
    which needs none. Storing one would cost a write of its own per spec change."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> Any:
        return None  # kopf would deep-copy every body on every event to build it

    def fetch(self, *, body: kopf.Body) -> Any:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        return None


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
