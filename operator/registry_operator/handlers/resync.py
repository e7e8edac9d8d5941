"""The one periodic mechanism: every resync interval, each group's versions are observed with one List
call, and every access's statements and grants are re-checked; status is written through the same
pieces the handlers use."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from registry_operator.api.kinds import by_kind
from registry_operator.aws import attribution
from registry_operator.aws.errors import AwsError
from registry_operator.handlers import indexes, kube, reconcilers
from registry_operator.process import metrics
from registry_operator.reconcile.kinds import RECONCILERS
from registry_operator.reconcile.outcome import Stalled, status_patch
from registry_operator.reconcile.resync import (
    TrackedVersion,
    VersionChange,
    by_group,
    refused,
    request,
    resync_group,
)

VERSIONS = by_kind("ModelVersion")
ACCESSES = by_kind("CrossAccountRegistryAccess")


def _still_wanted(memo: kopf.Memo, v: TrackedVersion) -> bool:
    """Before an approval or stage is set back: the object, read now, still asks for it at the generation
    the resync saw (a spec changed since is the handler's to apply, not the resync's)."""
    fresh = kube.get_object(memo.kube, VERSIONS.plural, v.namespace, v.name)
    if fresh is None or fresh["metadata"].get("uid") != v.uid:
        return False
    spec_approval = (fresh.get("spec") or {}).get("approvalStatus")
    return spec_approval == v.spec_approval and int(fresh["metadata"].get("generation") or 0) == v.generation


def _write(memo: kopf.Memo, change: VersionChange, logger: Any) -> bool:
    v = change.version
    for event in change.events:
        try:
            kube.post_event(memo.kube, VERSIONS.kind, v.namespace, v.name, v.uid, event)
        except Exception as exc:  # an event is informational; never let it stop the pass
            logger.warning(f"{v.namespace}/{v.name}: could not post event {event.reason}: {exc}")
    patch = dict(change.status)
    if change.outcome is not None:
        # readiness flipped: the conditions follow (lastTransitionTime is now, as it should be)
        change.outcome.status = patch
        patch = status_patch(change.outcome, v.generation, None)
    if not patch:
        return False
    if change.outcome is not None and change.outcome.state.value == "Stalled":
        logger.warning(f"{v.namespace}/{v.name}: {change.outcome.message}")
    try:
        kube.patch_status(memo.kube, VERSIONS.plural, v.namespace, v.name, patch)
    except Exception as exc:  # the next interval retries; one object must not stop the pass
        logger.warning(f"{v.namespace}/{v.name}: status write failed: {exc}")
        return False
    return True


def _resync_versions(memo: kopf.Memo, tracked: list[TrackedVersion], logger: Any) -> int:
    """One pass over all groups (in a worker thread); returns the number of versions written."""
    failing: dict[Any, str] = memo.setdefault("resync_failing", {})
    changed = 0
    allowed = []
    for v in tracked:
        try:
            memo.context.authorize(v.namespace, request(v, memo.context.own_account))
        except Stalled as stalled:
            change = refused(v, stalled)
            if change is not None:
                changed += _write(memo, change, logger)
            continue
        allowed.append(v)
    groups = by_group(allowed)
    metrics.RESYNC.pass_started(groups)
    for key, versions in groups.items():
        registry = memo.context.registry(key.region, key.role_arn)
        try:
            changes = resync_group(registry, key, versions, lambda v: _still_wanted(memo, v))
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
        for change in changes:
            with attribution.acting_for(change.version.namespace, change.version.name, change.version.uid):
                changed += _write(memo, change, logger)
    metrics.RESYNC.pass_finished()
    return changed


def _recheck_accesses(memo: kopf.Memo, objects: list[tuple[str, str]], logger: Any) -> int:
    """Statements or a grant removed outside the operator are put back; the same run as a handler's."""
    kind = RECONCILERS[ACCESSES.kind]
    written = 0
    for namespace, name in objects:
        try:
            written += reconcilers.reconcile_locked(
                ACCESSES, kind, memo, namespace, name, 0, logger, periodic=True
            )
        except Exception as exc:  # one object must not stop the pass
            logger.warning(f"{namespace}/{name}: periodic re-check failed: {exc}")
    return written


async def resync_once(memo: kopf.Memo, logger: Any) -> int:
    # The views are read here, on the event loop where kopf writes them; the work runs in threads.
    tracked = memo.version_views.registered()
    objects = list(indexes.keys(memo.indexes.get("access_objects")))
    loop = asyncio.get_running_loop()
    versions = await loop.run_in_executor(None, _resync_versions, memo, tracked, logger)
    accesses = await loop.run_in_executor(None, _recheck_accesses, memo, objects, logger)
    return versions + accesses


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
                logger.info(f"resync: {changed} status(es) updated from AWS")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("resync pass failed; retrying next interval")
