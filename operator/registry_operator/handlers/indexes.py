"""kopf indexes: the views each kind declares (`ManagedKind.indexes`), and the objects of each periodic
kind. They are few objects each; kopf fills them from its initial listing before any handler runs, so no
run decides on a view that is still being built. They are caches of what the objects declare and record,
nothing more. (ModelVersions, many more, have views of their own: package_views.py.)

async: they run on every watch event, and a sync function would cost a worker-thread hop each time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import kopf

from registry_operator.reconcile.catalogue import MANAGED_KINDS
from registry_operator.reconcile.runner import ManagedKind


def periodic_index(kind: ManagedKind[Any, Any]) -> str:
    """The id of the index of a periodic kind's objects."""
    return f"periodic_{kind.info.plural}"


def _objects(body: Mapping[str, Any]) -> dict[Any, Any] | None:
    meta = body["metadata"]
    if meta.get("deletionTimestamp"):
        return None
    return {(meta["namespace"], meta["name"]): meta["uid"]}


def _index(view: Callable[[Mapping[str, Any]], dict[Any, Any] | None]) -> Any:
    async def index(body: kopf.Body, **_: Any) -> dict[Any, Any] | None:
        return view(body)

    return index


def names() -> list[str]:
    """Every index id, for the start-up handler that takes them from kopf."""
    return [
        *(name for kind in MANAGED_KINDS for name in kind.indexes),
        *(periodic_index(kind) for kind in MANAGED_KINDS if kind.periodic),
    ]


def register() -> None:
    for kind in MANAGED_KINDS:
        for name, view in kind.indexes.items():
            kopf.index(*kind.info.selector, id=name)(_index(view))
        if kind.periodic:
            kopf.index(*kind.info.selector, id=periodic_index(kind))(_index(_objects))


def values(index: kopf.Index[Any, Any] | None, key: Any) -> list[Any]:
    """The values under one key (a copy: kopf updates the index from the event loop meanwhile)."""
    if index is None:
        return []
    for _ in range(5):
        try:
            store = index.get(key)
            return list(store) if store is not None else []
        except RuntimeError:  # changed while copied: copy again
            continue
    return []


def keys(index: kopf.Index[Any, Any] | None) -> Iterator[Any]:
    """The keys of an index, read on the event loop (where kopf writes it)."""
    return iter(list(index) if index is not None else [])
