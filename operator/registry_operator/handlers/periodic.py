"""The periodic source of observations: every resync interval, each group of registered versions is listed
once (reconcile.group_listing) and every version whose line says something its status does not is asked
to run with that line as its observation; every object of a periodic kind is asked to run again. The
runs decide and write, through the same runner and status writer as every other run; this only asks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from registry_operator.aws.errors import AwsError
from registry_operator.handlers import indexes
from registry_operator.handlers.state import OperatorState
from registry_operator.process import metrics
from registry_operator.reconcile import model_version
from registry_operator.reconcile.catalogue import MANAGED_KINDS
from registry_operator.reconcile.dependencies import ObjectKey
from registry_operator.reconcile.group_listing import (
    GroupKey,
    TrackedVersion,
    by_group,
    list_group,
    listing_request,
)
from registry_operator.reconcile.observations import PackageHint
from registry_operator.reconcile.outcome import Stalled

Ask = Callable[[ObjectKey, str, Any], None]


def _list_groups(
    operator: OperatorState, tracked: list[TrackedVersion], failing: dict[GroupKey, str], logger: Any
) -> list[tuple[TrackedVersion, PackageHint | None]]:
    """One pass over all groups (in a worker thread): the versions to hand to the runner, each with what
    the listing saw of it (None: its identity may no longer list; its run says why)."""
    handed: list[tuple[TrackedVersion, PackageHint | None]] = []
    allowed = []
    for v in tracked:
        try:
            operator.context.authorize(
                v.key.namespace, listing_request(GroupKey(v.region, v.role_arn, v.group))
            )
        except Stalled:
            handed.append((v, None))
            continue
        allowed.append(v)
    groups = by_group(allowed)
    metrics.RESYNC.pass_started(groups)
    for key, versions in groups.items():
        registry = operator.context.registry(key.region, key.role_arn)
        try:
            handed.extend(list_group(registry, key, versions, model_version.would_change))
        except AwsError as err:
            metrics.RESYNC.failed(key)
            # Logged when it starts or changes, not every interval: a version registered from another
            # account cannot be listed unless its access grants sagemaker:ListModelPackages.
            if failing.get(key) != err.code:
                logger.warning(
                    f"resync of group {key.group} in {key.region} failed; retrying every interval: "
                    f"{err.describe()}"
                )
            failing[key] = err.code
            continue
        metrics.RESYNC.listed(key)
        if failing.pop(key, None) is not None:
            logger.info(f"resync of group {key.group} in {key.region} works again")
    metrics.RESYNC.pass_finished()
    return handed


async def resync_once(operator: OperatorState, ask: Ask, failing: dict[GroupKey, str], logger: Any) -> int:
    """One pass; returns how many runs it asked for."""
    # The views are read here, on the event loop where the watch writes them; the listing runs in a thread.
    tracked = operator.package_views.registered()
    periodic = [
        ObjectKey(kind.kind, namespace, name)
        for kind in MANAGED_KINDS
        if kind.periodic
        for namespace, name in indexes.keys(operator.indexes.get(indexes.periodic_index(kind)))
    ]
    loop = asyncio.get_running_loop()
    handed = await loop.run_in_executor(None, _list_groups, operator, tracked, failing, logger)
    for v, hint in handed:
        ask(v.key, "resync", hint)
    for key in periodic:
        ask(key, "periodic", None)
    return len(handed) + len(periodic)


async def resync_forever(operator: OperatorState, ask: Ask) -> None:
    """A pass every interval, on a fixed schedule: sleeping a whole interval after each pass would
    stretch the period by the pass's own duration (seconds with thousands of versions)."""
    logger = logging.getLogger("registry_operator.resync")
    interval = operator.context.config.resync_interval_seconds
    failing: dict[GroupKey, str] = {}
    loop = asyncio.get_running_loop()
    next_pass = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, next_pass - loop.time()))
        # A pass that overran its interval is followed by one more right away, not by a burst.
        next_pass = max(next_pass + interval, loop.time())
        try:
            asked = await resync_once(operator, ask, failing, logger)
            if asked:
                logger.debug(f"resync: {asked} run(s) asked")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("resync pass failed; retrying next interval")
