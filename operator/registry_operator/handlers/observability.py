"""kopf glue for the metrics and probes: the loop heartbeat, leader status, the resync's metrics, and
the one handler of every watch event (the objects' condition gauges and the ModelVersion views)."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from registry_operator.api.kinds import KINDS
from registry_operator.api.model_version import KIND as VERSION_KIND
from registry_operator.process import metrics
from registry_operator.process.health import HEALTH


@kopf.on.startup()
async def start_heartbeat(memo: kopf.Memo, **_: Any) -> None:
    memo.heartbeat_task = asyncio.get_running_loop().create_task(HEALTH.heartbeat())
    # kopf runs only in the replica that acts: the one holding the lease, or the only one.
    metrics.LEADER.set(1)
    metrics.RESYNC.start(memo.context.config.resync_interval_seconds)


@kopf.on.cleanup()
async def stop_heartbeat(memo: kopf.Memo, **_: Any) -> None:
    task = memo.get("heartbeat_task")
    if task is not None:
        task.cancel()
    metrics.RESYNC.stop()


async def watch_event(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Every watch event of every kind, once: the `resources` and `resource_conditions` gauges, the
    time-to-Ready histogram, and for a ModelVersion the views (version_views.py). One handler rather
    than one per purpose: kopf's cost per handler and event is paid for every object at a restart.
    async: no worker-thread hop per event."""
    metrics.RESOURCES.observe(type, body)
    if body.get("kind") == VERSION_KIND:
        memo.version_views.seen(body, deleted=type == "DELETED")


for _info in KINDS:
    kopf.on.event(*_info.selector)(watch_event)
    metrics.register_kind(_info.kind)
