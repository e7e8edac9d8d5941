"""kopf glue for the metrics and probes: the loop heartbeat, leader status, the resync's metrics and
the objects' condition gauges."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.api.kinds import KINDS
from registry_operator.health import HEALTH


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


async def count_ready(type: str, body: kopf.Body, **_: Any) -> None:
    """Feed the `resources` and `resource_conditions` gauges and the time-to-Ready histogram; async so
    it costs no worker thread."""
    metrics.RESOURCES.observe(type, body)


for _info in KINDS:
    kopf.on.event(*_info.selector)(count_ready)
    metrics.register_kind(_info.kind)
