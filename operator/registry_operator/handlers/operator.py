"""kopf start-up: settings, shared state in memo, and the per-group resync task."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from registry_operator.api.common import GROUP
from registry_operator.handlers import (  # noqa: F401 (importing registers the handlers)
    indexes,
    kube,
    observability,
    reconcilers,
    storage,
    version_views,
)
from registry_operator.handlers.resync import resync_forever
from registry_operator.reconcile.claims import Claim
from registry_operator.reconcile.context import GroupInfo

# Storage keys are decided once: changing them later makes every object look unhandled.
FINALIZER = f"{GROUP}/finalizer"


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: Any, **kwargs: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = storage.Progress()
    settings.persistence.diffbase_storage = storage.DiffBase()
    # Sync handlers run in this pool; it bounds how many AWS calls are in flight at once.
    settings.execution.max_workers = memo.max_workers
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    # The initial listing (every start, every re-list) in pages: one response with 10,000 objects
    # is ~50 MB of JSON parsed at once; pages keep that peak to one page.
    settings.watching.chunk_size = 500
    # A per-object worker idles this long after its last event, holding that event's whole body
    # (5 s by default): after a restart that was all 10,000 bodies at once.
    settings.queueing.idle_timeout = 1.0
    settings.posting.level = logging.WARNING
    _use_indexes(memo, kwargs)
    _list_versions_on_first_claim(memo, logger)
    memo.resync_task = asyncio.get_running_loop().create_task(resync_forever(memo, logger))
    logger.info(
        f"operator started: default region {memo.context.config.default_region}, "
        f"resync every {memo.context.config.resync_interval_seconds} s"
    )


@kopf.on.cleanup()
async def stop_resync(memo: kopf.Memo, **_: Any) -> None:
    task = memo.get("resync_task")
    if task is not None:
        task.cancel()


def _use_indexes(memo: kopf.Memo, kwargs: dict[str, Any]) -> None:
    """kopf hands its indexes to start-up handlers before it fills them; the reconcile context and the
    resync read them from here on (kopf fills them before any object's handler runs)."""
    names = ("group_objects", "groups_by_aws_name", "access_objects")
    memo.indexes = {name: kwargs[name] for name in names}
    by_aws_name, groups = memo.indexes["groups_by_aws_name"], memo.indexes["group_objects"]
    views: version_views.VersionViews = memo.version_views
    exists = version_views.exists_in(memo.kube)

    def group(namespace: str, name: str) -> GroupInfo | None:
        found = indexes.values(groups, (namespace, name))
        return found[0] if found else None

    def claimed(arn: str) -> list[Claim]:
        return views.claims(arn, exists)

    def managed(namespace: str, group_name: str) -> list[GroupInfo]:
        return indexes.values(by_aws_name, (namespace, group_name.lower()))

    memo.context.groups = group
    memo.context.claims = claimed
    memo.context.managed_groups = managed


def _list_versions_on_first_claim(memo: kopf.Memo, logger: Any) -> None:
    """The views list every served ModelVersion before the first claim is answered (version_views.py);
    a restart over settled objects asks for none and lists nothing beyond kopf's own listing."""

    def list_all(views: version_views.VersionViews) -> None:
        listed = version_views.list_into(views, memo.kube, memo.namespaces, memo.label_selector)
        logger.info(f"{listed} ModelVersion(s) listed for the package claims")

    memo.version_views.lister = list_all
