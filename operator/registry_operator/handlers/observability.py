"""kopf glue for the metrics and probes: the loop heartbeat, leader status and the resync's metrics.
(The objects' condition gauges are fed by the one handler of every watch event, in operator.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from registry_operator.handlers import state
from registry_operator.process import metrics
from registry_operator.process.health import HEALTH


@kopf.on.startup()
async def start_heartbeat(memo: kopf.Memo, **_: Any) -> None:
    state.of(memo).tasks.append(asyncio.get_running_loop().create_task(HEALTH.heartbeat()))
    # kopf runs only in the replica that acts: the one holding the lease, or the only one.
    metrics.LEADER.set(1)
    metrics.RESYNC.start(state.of(memo).context.config.resync_interval_seconds)


@kopf.on.cleanup()
async def stop_metrics(**_: Any) -> None:
    metrics.RESYNC.stop()
