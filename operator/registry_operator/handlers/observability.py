"""kopf glue for the metrics and probes: the loop heartbeat and the Ready-state gauge."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.handlers.resources import (
    CROSS_ACCOUNT_ACCESSES,
    MODEL_PACKAGE_GROUPS,
    MODEL_VERSIONS,
)
from registry_operator.health import HEALTH

_QUIET = "Handler 'count_ready' succeeded."


class _QuietCounter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _QUIET


logging.getLogger("kopf.objects").addFilter(_QuietCounter())


@kopf.on.startup()
async def start_heartbeat(memo: kopf.Memo, **_: Any) -> None:
    memo.heartbeat_task = asyncio.get_running_loop().create_task(HEALTH.heartbeat())


@kopf.on.cleanup()
async def stop_heartbeat(memo: kopf.Memo, **_: Any) -> None:
    task = memo.get("heartbeat_task")
    if task is not None:
        task.cancel()


@kopf.on.event(*MODEL_PACKAGE_GROUPS)
@kopf.on.event(*MODEL_VERSIONS)
@kopf.on.event(*CROSS_ACCOUNT_ACCESSES)
async def count_ready(type: str, body: kopf.Body, **_: Any) -> None:
    """Feed `registry_operator_resources{kind, ready}`; async so it costs no worker thread."""
    metrics.RESOURCES.observe(type, body)
