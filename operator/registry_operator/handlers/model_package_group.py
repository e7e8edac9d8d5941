"""kopf glue for ModelPackageGroup: translate events into reconcile calls and outcomes into status."""

from __future__ import annotations

from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.handlers import status
from registry_operator.handlers.resources import MODEL_PACKAGE_GROUPS
from registry_operator.reconcile import model_package_group as domain
from registry_operator.reconcile.context import GroupInfo


@kopf.on.resume(*MODEL_PACKAGE_GROUPS)
@kopf.on.create(*MODEL_PACKAGE_GROUPS)
@kopf.on.update(*MODEL_PACKAGE_GROUPS, field="spec")
@metrics.observe_reconcile("ModelPackageGroup")
def reconcile_group(
    body: kopf.Body,
    reason: str,
    old: Any,
    retry: int,
    patch: kopf.Patch,
    memo: kopf.Memo,
    logger: Any,
    **_: Any,
) -> None:
    previous = dict(old) if reason == "update" and old else None
    outcome = domain.reconcile(
        status.object_ref(body),
        dict(body.get("spec", {})),
        memo.context,
        previous,
        retry,
        dict(body.get("status", {})),
    )
    status.apply(outcome, body, patch, logger)


@kopf.on.delete(*MODEL_PACKAGE_GROUPS, when=lambda spec, **_: spec.get("deletionPolicy") == "Delete")
def delete_group(
    body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    outcome = domain.delete(
        status.object_ref(body), dict(body.get("spec", {})), dict(body.get("status", {})), memo.context, retry
    )
    status.apply_deletion(outcome, body, patch, logger)


@kopf.on.event(*MODEL_PACKAGE_GROUPS)
async def track_group(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the in-memory view that ModelVersions with a modelPackageGroupRef wait on (async: no
    worker-thread hop per watch event)."""
    meta = body["metadata"]
    key = (meta["namespace"], meta["name"])
    if type == "DELETED":
        memo.groups.pop(key, None)
        return
    st = body.get("status", {})
    spec = body.get("spec", {})
    ready = any(
        c.get("type") == "Ready"
        and c.get("status") == "True"
        and c.get("observedGeneration") == meta.get("generation")
        for c in st.get("conditions", [])
    )
    memo.groups[key] = GroupInfo(
        namespace=key[0],
        name=key[1],
        group_name=st.get("modelPackageGroupName"),
        group_arn=st.get("modelPackageGroupArn"),
        region=spec.get("region"),
        role_arn=spec.get("roleArn"),
        ready=ready,
        deleting=bool(meta.get("deletionTimestamp")),
    )
