"""kopf glue for ModelVersion: translate events into reconcile calls and outcomes into status."""

from __future__ import annotations

from typing import Any

import kopf

from registry_operator import metrics
from registry_operator.handlers import status
from registry_operator.handlers.resources import MODEL_VERSIONS
from registry_operator.reconcile import model_version as domain
from registry_operator.reconcile.claims import Claim
from registry_operator.reconcile.resync import TrackedVersion


def _unsettled(body: kopf.Body, **_: Any) -> bool:
    """Whether an operator restart has anything to do for this version. One registered and Ready for
    its generation is left to the per-group resync: kopf then runs, logs and stores nothing for it,
    which is what makes a restart with 10,000 Ready versions cheap."""
    return not domain.is_settled(body.get("status"), int(body.get("metadata", {}).get("generation") or 0))


@kopf.on.resume(*MODEL_VERSIONS, when=_unsettled)
@kopf.on.create(*MODEL_VERSIONS)
@kopf.on.update(*MODEL_VERSIONS, field="spec")
@metrics.observe_reconcile("ModelVersion")
def reconcile_version(
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
        dict(body.get("status", {})),
        memo.context,
        previous,
        retry,
    )
    status.apply(outcome, body, patch, logger)


@kopf.on.delete(*MODEL_VERSIONS, when=lambda spec, **_: spec.get("deletionPolicy") == "Delete")
def delete_version(
    body: kopf.Body, retry: int, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    outcome = domain.delete(
        status.object_ref(body), dict(body.get("spec", {})), dict(body.get("status", {})), memo.context, retry
    )
    status.apply_deletion(outcome, body, patch, logger)


@kopf.on.event(*MODEL_VERSIONS)
async def track_version(type: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the in-memory views: registered versions for the per-group resync, and which resource
    manages which package (so a second resource cannot adopt a version already managed).

    async: it runs on every watch event, and a sync handler would cost a worker-thread hop each time."""
    meta = body["metadata"]
    key = (meta["namespace"], meta["name"])
    st = body.get("status", {})
    spec = body.get("spec", {})
    if type == "DELETED":
        memo.context.claims.remove(meta["uid"])
    else:
        memo.context.claims.update(
            st.get("modelPackageArn") or spec.get("modelPackageArn"),
            Claim(
                meta["uid"],
                key[0],
                key[1],
                meta.get("creationTimestamp", ""),
                bool(st.get("modelPackageArn")),
            ),
        )
    if type == "DELETED" or meta.get("deletionTimestamp") or not st.get("modelPackageArn"):
        memo.versions.pop(key, None)
        return
    # the ARN, not the name: versions naming one group differently still share one List call
    group = (
        st.get("modelPackageGroupArn") or spec.get("modelPackageGroupName") or st.get("modelPackageGroupName")
    )
    memo.versions[key] = TrackedVersion(
        namespace=key[0],
        name=key[1],
        uid=meta["uid"],
        region=spec.get("region") or memo.context.config.default_region,
        role_arn=spec.get("roleArn"),
        group=group,
        arn=st["modelPackageArn"],
        spec_approval=spec.get("approvalStatus"),
        status_approval=st.get("approvalStatus"),
        generation=int(meta.get("generation") or 0),
        package_status=st.get("modelPackageStatus"),
    )
