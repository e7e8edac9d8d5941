"""kopf start-up and registration: settings, the shared state, the work queue with its workers, the one
handler of every watch event, and the periodic source of observations."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import kopf

from registry_operator.handlers import (  # noqa: F401 (importing registers the handlers)
    dispatch,
    indexes,
    kube,
    observability,
    package_views,
    registry_events,
    state,
    storage,
)
from registry_operator.handlers.periodic import resync_forever
from registry_operator.process import metrics
from registry_operator.process.workqueue import WorkQueue
from registry_operator.reconcile import model_package_group
from registry_operator.reconcile.catalogue import MANAGED_KINDS, managed
from registry_operator.reconcile.claims import PackageClaim
from registry_operator.reconcile.context import GroupInfo
from registry_operator.reconcile.dependencies import ObjectKey

FINALIZER = dispatch.FINALIZER


def _dispatch(memo: kopf.Memo) -> dispatch.Dispatch:
    found = state.of(memo).runs
    assert isinstance(found, dispatch.Dispatch)
    return found


async def watch_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Every watch event of every kind, once: the objects' gauges (metrics), the package views, and the
    dispatch (dependents to wake, a run to ask). One handler rather than one per purpose: kopf's cost
    per handler and event is paid for every object at a restart. async: no worker-thread hop per event."""
    operator = state.of(memo)
    metrics.RESOURCES.observe(type, body)
    kind = managed(str(body.get("kind")))
    if kind.holds_packages:
        operator.package_views.seen(body, deleted=type == "DELETED")
    _dispatch(memo).seen(type, body)


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: Any, **kwargs: Any) -> None:
    operator = state.of(memo)
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = storage.Progress()
    settings.persistence.diffbase_storage = storage.NoDiffBase()
    # Runs are the work queue's; kopf's own pool runs only the deletion handler.
    settings.execution.max_workers = 4
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    # The initial listing (every start, every re-list) in pages: one response with 10,000 objects
    # is ~50 MB of JSON parsed at once; pages keep that peak to one page.
    settings.watching.chunk_size = 500
    # A per-object worker idles this long after its last event, holding that event's whole body
    # (5 s by default): after a restart that was all 10,000 bodies at once.
    settings.queueing.idle_timeout = 1.0
    settings.posting.level = logging.WARNING
    _use_indexes(operator, kwargs)
    _list_packages_on_first_claim(operator, logger)
    # The runs' pool bounds how many AWS calls are in flight at once.
    pool = ThreadPoolExecutor(operator.max_workers, thread_name_prefix="reconcile")
    runs = dispatch.Dispatch(operator, pool)
    operator.runs = runs
    queue: WorkQueue[ObjectKey] = WorkQueue(runs.work, operator.max_workers)
    operator.queue = queue
    loop = asyncio.get_running_loop()
    operator.ask = lambda key, reason: queue.ask_threadsafe(key, reason)
    operator.tasks.append(loop.create_task(queue.serve(), name="work queue"))
    operator.tasks.append(
        loop.create_task(
            resync_forever(operator, lambda key, reason, hint: queue.ask(key, reason, hint=hint)),
            name="resync",
        )
    )

    def ask_and_wait(key: ObjectKey, reason: str, hint: Any) -> asyncio.Future[bool]:
        done: asyncio.Future[bool] = loop.create_future()
        queue.ask(key, reason, hint=hint, waiter=done)
        return done

    events = registry_events.start(operator, ask_and_wait, operator.shard)
    if events:
        # Each event asks which object holds its package: list them now, not when the first one comes.
        operator.tasks.append(
            loop.create_task(asyncio.to_thread(operator.package_views.prime), name="package views")
        )
    operator.tasks += events
    logger.info(
        f"operator started: default region {operator.context.config.default_region}, "
        f"resync every {operator.context.config.resync_interval_seconds} s"
    )


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    for task in state.of(memo).tasks:
        task.cancel()


def _use_indexes(operator: state.OperatorState, kwargs: dict[str, Any]) -> None:
    """kopf hands its indexes to start-up handlers before it fills them; the reconcile context and the
    periodic source read them from here on (kopf fills them before any object's handler runs)."""
    operator.indexes = {name: kwargs[name] for name in indexes.names()}
    by_object, by_declared = operator.indexes["group_objects"], operator.indexes["groups_by_declared_name"]
    views = operator.package_views
    exists = package_views.exists_in(operator.kube)

    def group(namespace: str, name: str) -> GroupInfo | None:
        found = indexes.values(by_object, (namespace, name))
        return found[0] if found else None

    def claimed(arn: str) -> list[PackageClaim]:
        return views.claims(arn, exists)

    def declared(namespace: str, group_name: str) -> list[GroupInfo]:
        return indexes.values(by_declared, (namespace, group_name.lower()))

    operator.context.groups = group
    operator.context.claims = claimed

    def declared_now(namespace: str, group_name: str) -> list[GroupInfo]:
        plural = model_package_group.MANAGED.info.plural
        listed = kube.list_objects(operator.kube, plural, namespace, operator.label_selector)
        infos = [model_package_group.group_info(body) for body in listed]
        return [i for i in infos if i.declared_name.lower() == group_name.lower()]

    operator.context.declared_groups = declared
    operator.context.declared_groups_now = declared_now


def _list_packages_on_first_claim(operator: state.OperatorState, logger: Any) -> None:
    """The package views list every served ModelVersion before the first claim is answered
    (package_views.py); a restart over settled objects asks for none and lists nothing beyond kopf's own
    listing."""

    def list_all(views: package_views.PackageViews) -> None:
        listed = package_views.list_into(views, operator.kube, operator.namespaces, operator.label_selector)
        logger.info(f"{listed} ModelVersion(s) listed for the package claims")

    operator.package_views.lister = list_all


indexes.register()
dispatch.register(_dispatch)
for _kind in MANAGED_KINDS:
    kopf.on.event(*_kind.info.selector)(watch_event)
    metrics.register_kind(_kind.kind)
