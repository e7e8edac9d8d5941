"""The background task that resyncs every group once per interval and writes what changed."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from registry_operator.aws.errors import AwsError
from registry_operator.handlers import kube
from registry_operator.reconcile.outcome import now_iso
from registry_operator.reconcile.resync import by_group, resync_group


async def resync_once(memo: kopf.Memo, logger: Any) -> int:
    """One pass over all groups; returns the number of versions whose status changed."""
    loop = asyncio.get_running_loop()
    failing: dict[Any, str] = memo.setdefault("resync_failing", {})
    changed = 0
    for key, versions in by_group(list(memo.versions.values())).items():
        registry = memo.context.registry(key.region, key.role_arn)
        try:
            changes = await loop.run_in_executor(None, resync_group, registry, key, versions)
        except AwsError as err:
            # Logged when it starts or changes, not every interval: a version registered from another
            # account cannot be listed unless its access grants sagemaker:ListModelPackages.
            if failing.get(key) != err.code:
                logger.warning(
                    f"resync of group {key.group} in {key.region} failed; retrying every interval: "
                    f"{err.describe()}"
                )
            failing[key] = err.code
            continue
        if failing.pop(key, None) is not None:
            logger.info(f"resync of group {key.group} in {key.region} works again")
        for change in changes:
            v = change.version
            for event in change.events:
                try:
                    await loop.run_in_executor(
                        None, kube.post_version_event, memo.kube, v.namespace, v.name, v.uid, event
                    )
                except Exception as exc:  # an event is informational; never let it stop the pass
                    logger.warning(f"{v.namespace}/{v.name}: could not post event {event.reason}: {exc}")
            if change.missing:
                logger.warning(f"{v.namespace}/{v.name}: {v.arn} is no longer in the registry")
                status = change.status
            elif change.status:
                status = {**change.status, "lastSyncedTime": now_iso()}
            else:
                continue
            try:
                await loop.run_in_executor(
                    None, kube.patch_version_status, memo.kube, v.namespace, v.name, status
                )
                changed += 1
            except Exception as exc:  # the next interval retries; one object must not stop the pass
                logger.warning(f"{v.namespace}/{v.name}: status write failed: {exc}")
    return changed


async def resync_forever(memo: kopf.Memo, logger: Any) -> None:
    """A pass every interval, on a fixed schedule: sleeping a whole interval after each pass would
    stretch the period by the pass's own duration (seconds with thousands of versions)."""
    interval = memo.context.config.resync_interval_seconds
    loop = asyncio.get_running_loop()
    next_pass = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, next_pass - loop.time()))
        # A pass that overran its interval is followed by one more right away, not by a burst.
        next_pass = max(next_pass + interval, loop.time())
        try:
            changed = await resync_once(memo, logger)
            if changed:
                logger.info(f"resync: {changed} version status(es) updated from the registry")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("resync pass failed; retrying next interval")
