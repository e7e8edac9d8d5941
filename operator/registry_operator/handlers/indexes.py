"""Cross-object views of the few-object kinds as kopf indexes: kopf fills them from the initial listing
before any handler runs, so a handler never decides on a view that is still being built (which groups
are Ready, which accesses the resync re-checks). They are caches of what the objects record in their
status, nothing more. ModelVersions, many more, have views of their own (version_views.py); the
functions here say what one ModelVersion contributes to them.

async: they run on every watch event, and a sync function would cost a worker-thread hop each time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import kopf

from registry_operator.api.kinds import by_kind
from registry_operator.reconcile.claims import Claim, claim_key
from registry_operator.reconcile.context import GroupInfo
from registry_operator.reconcile.resync import REGISTRY_WAITS, GroupKey, Stage, TrackedVersion

GROUPS = by_kind("ModelPackageGroup").selector
ACCESSES = by_kind("CrossAccountRegistryAccess").selector


def _ready(body: Mapping[str, Any]) -> dict[str, Any]:
    return next(
        (c for c in body.get("status", {}).get("conditions", []) or [] if c.get("type") == "Ready"), {}
    )


def ready_now(body: Mapping[str, Any]) -> bool:
    ready = _ready(body)
    return ready.get("status") == "True" and ready.get("observedGeneration") == body["metadata"].get(
        "generation"
    )


def waiting_on_registry(body: Mapping[str, Any]) -> bool:
    """Not Ready for its current generation only because of the registry's own progress."""
    ready = _ready(body)
    return (
        ready.get("status") == "False"
        and ready.get("reason") in REGISTRY_WAITS
        and ready.get("observedGeneration") == body["metadata"].get("generation")
    )


def _group_info(body: kopf.Body, namespace: str, name: str) -> GroupInfo:
    st = body.get("status", {}) or {}
    spec = body.get("spec", {}) or {}
    return GroupInfo(
        namespace=namespace,
        name=name,
        uid=body["metadata"]["uid"],
        group_name=st.get("modelPackageGroupName"),
        group_arn=st.get("modelPackageGroupArn"),
        region=st.get("region") or spec.get("region"),
        role_arn=spec.get("roleArn"),
        ready=ready_now(body),
        deleting=bool(body["metadata"].get("deletionTimestamp")),
    )


@kopf.index(*GROUPS)
async def group_objects(body: kopf.Body, namespace: str | None, name: str, **_: Any) -> dict[Any, GroupInfo]:
    """ModelPackageGroups by (namespace, name): what ModelVersions with a modelPackageGroupRef wait on."""
    namespace = str(namespace)  # the kinds are namespaced
    return {(namespace, name): _group_info(body, namespace, name)}


@kopf.index(*GROUPS)
async def groups_by_aws_name(
    body: kopf.Body, namespace: str | None, name: str, **_: Any
) -> dict[Any, GroupInfo] | None:
    """ModelPackageGroups by (namespace, group name in SageMaker): the groups a namespace manages itself."""
    namespace = str(namespace)  # the kinds are namespaced
    group = (body.get("status", {}) or {}).get("modelPackageGroupName")
    if not group:
        return None
    return {(namespace, group.lower()): _group_info(body, namespace, name)}


def package_claim(body: Mapping[str, Any], namespace: str, name: str) -> dict[str, Claim] | None:
    """A ModelVersion by the package it holds or adopts: no two objects manage one package."""
    st = body.get("status", {}) or {}
    arn = st.get("modelPackageArn") or (body.get("spec", {}) or {}).get("modelPackageArn")
    if not arn:
        return None
    meta = body["metadata"]
    return {
        claim_key(arn): Claim(
            meta["uid"], namespace, name, meta.get("creationTimestamp", ""), bool(st.get("modelPackageArn"))
        )
    }


def registered_version(
    body: Mapping[str, Any], namespace: str, name: str
) -> dict[GroupKey, TrackedVersion] | None:
    """A registered ModelVersion by group: what the per-group resync lists."""
    meta = body["metadata"]
    st = body.get("status", {}) or {}
    spec = body.get("spec", {}) or {}
    if meta.get("deletionTimestamp") or not st.get("modelPackageArn") or not st.get("region"):
        return None
    # the ARN, not the name: versions naming one group differently still share one List call
    group = (
        st.get("modelPackageGroupArn") or spec.get("modelPackageGroupName") or st.get("modelPackageGroupName")
    )
    if not group:
        return None
    version = TrackedVersion(
        namespace=namespace,
        name=name,
        uid=meta["uid"],
        region=st["region"],
        role_arn=spec.get("roleArn"),
        group=group,
        arn=st["modelPackageArn"],
        spec_approval=spec.get("approvalStatus"),
        status_approval=st.get("approvalStatus"),
        generation=int(meta.get("generation") or 0),
        package_status=st.get("modelPackageStatus"),
        ready=ready_now(body),
        waiting_on_registry=waiting_on_registry(body),
        reason=_ready(body).get("reason"),
        spec_stage=Stage.from_fields(spec.get("modelLifeCycle")),
        status_stage=Stage.from_fields(st.get("modelLifeCycle")),
    )
    return {GroupKey(version.region, version.role_arn, version.group): version}


@kopf.index(*ACCESSES)
async def access_objects(
    body: kopf.Body, namespace: str | None, name: str, **_: Any
) -> dict[Any, str] | None:
    """CrossAccountRegistryAccess objects, for the periodic re-check of their statements and grants."""
    namespace = str(namespace)  # the kinds are namespaced
    if body["metadata"].get("deletionTimestamp"):
        return None
    return {(namespace, name): body["metadata"]["uid"]}


def values(index: kopf.Index[Any, Any] | None, key: Any) -> list[Any]:
    """The values under one key (a copy: kopf updates the index from the event loop meanwhile)."""
    if index is None:
        return []
    for _ in range(5):
        try:
            store = index.get(key)
            return list(store) if store is not None else []
        except RuntimeError:  # changed while copied: copy again
            continue
    return []


def keys(index: kopf.Index[Any, Any] | None) -> Iterator[Any]:
    """The keys of an index, read on the event loop (where kopf writes it)."""
    return iter(list(index) if index is not None else [])
