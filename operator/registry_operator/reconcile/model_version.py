"""ModelVersion: observe the model package, create it once, keep approval, metadata and tags in step."""

from __future__ import annotations

from typing import Any

from registry_operator.api.common import DeletionPolicy
from registry_operator.api.model_version import ModelVersionSpec, ModelVersionStatus
from registry_operator.aws.errors import AwsError
from registry_operator.reconcile import requests
from registry_operator.reconcile.arns import group_name_from_arn, parse_package_arn
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import (
    Event,
    ObjectRef,
    Outcome,
    Retry,
    Stalled,
    State,
    deleted,
    from_aws_error,
    now_iso,
    outcome_of,
    parse_spec,
)
from registry_operator.reconcile.permissions import check_role, check_target_account
from registry_operator.reconcile.resync import deleted_outcome
from registry_operator.reconcile.tags import sync_tags

WAIT_FOR_GROUP_SECONDS = 5.0


def is_settled(status: dict[str, Any] | None, generation: int) -> bool:
    """A version registered and Ready for this generation needs no AWS call on operator restart:
    drift and approvals are picked up by the per-group resync."""
    status = status or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))
    return bool(status.get("modelPackageArn")) and status.get("observedGeneration") == generation and ready


def resolve_group(spec: ModelVersionSpec, ref: ObjectRef, region: str, ctx: ReconcileContext) -> str:
    """The group as CreateModelPackage takes it: a name, or an ARN for a group in another account."""
    if spec.model_package_group_name is not None:
        return spec.model_package_group_name
    assert spec.model_package_group_ref is not None  # the CRD requires exactly one of the two
    group_ref = spec.model_package_group_ref.name
    info = ctx.groups(ref.namespace, group_ref)
    if info is None:
        raise Retry(
            "WaitingForGroup",
            f"ModelPackageGroup {ref.namespace}/{group_ref} (spec.modelPackageGroupRef) does not exist yet",
            WAIT_FOR_GROUP_SECONDS,
        )
    if (info.region or ctx.config.default_region) != region:
        raise Stalled(
            "GroupInOtherRegion",
            f"spec.modelPackageGroupRef: ModelPackageGroup {group_ref} is in region "
            f"{info.region or ctx.config.default_region}, this version in {region}",
        )
    if info.deleting or not info.ready or not info.group_name:
        raise Retry(
            "WaitingForGroup",
            f"ModelPackageGroup {ref.namespace}/{group_ref} (spec.modelPackageGroupRef) is not Ready yet",
            WAIT_FOR_GROUP_SECONDS,
        )
    return info.group_arn or info.group_name


def _status(
    arn: str, region: str, group: str, approval: str | None, package_status: str | None
) -> dict[str, Any]:
    parsed = parse_package_arn(arn)
    return ModelVersionStatus(
        model_package_arn=arn,
        model_package_version=parsed.version if parsed else None,
        model_package_group_name=group_name_from_arn(group),
        model_package_group_arn=parsed.group_arn if parsed else None,
        approval_status=approval,
        model_package_status=package_status,
        region=region,
        last_synced_time=now_iso(),
    ).model_dump(by_alias=True, exclude_none=True, exclude={"conditions", "observed_generation"})


def reconcile(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any] | None,
    ctx: ReconcileContext,
    previous_spec: dict[str, Any] | None = None,
    attempt: int = 0,
) -> Outcome:
    return outcome_of(
        lambda: _reconcile(ref, raw_spec, raw_status or {}, ctx, previous_spec, attempt), attempt
    )


def _reconcile(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any],
    ctx: ReconcileContext,
    previous_spec: dict[str, Any] | None,
    attempt: int,
) -> Outcome:
    spec = parse_spec(ModelVersionSpec, raw_spec)
    adopting = spec.model_package_arn
    if adopting is None and spec.inference_specification is None:
        raise Stalled("InvalidInferenceSpecification", "spec.inferenceSpecification: required to register")
    previous = _previous(previous_spec)
    region = spec.region or ctx.config.default_region
    check_role(ctx.config, ref.namespace, spec.role_arn)
    has_group = spec.model_package_group_name is not None or spec.model_package_group_ref is not None
    group = resolve_group(spec, ref, region, ctx) if has_group else None
    if group and group.startswith("arn:") and spec.model_package_group_name is not None:
        check_target_account(
            ctx.config, ref.namespace, group, spec.role_arn, ctx.own_account, "spec.modelPackageGroupName"
        )
    for field, arn_given in (
        ("spec.modelPackageGroupName", group if group and group.startswith("arn:") else None),
        ("spec.modelPackageArn", adopting),
    ):
        # A client of one region cannot reach another region's registry: say so instead of NotFound.
        if arn_given and arn_given.split(":")[3] != region:
            raise Stalled(
                "RegionMismatch",
                f"{field} is in region {arn_given.split(':')[3]}, but this version's region is {region} "
                "(spec.region, else the operator's defaultRegion)",
            )
    if adopting:
        check_target_account(
            ctx.config, ref.namespace, adopting, spec.role_arn, ctx.own_account, "spec.modelPackageArn"
        )
        holder = ctx.claims.holder(adopting, ref.uid)
        if holder is not None:
            raise Stalled(
                "AlreadyManaged",
                f"spec.modelPackageArn {adopting} is already managed by ModelVersion "
                f"{holder.namespace}/{holder.name}",
            )
    registry = ctx.registry(region, spec.role_arn)
    events: list[Event] = []
    arn = raw_status.get("modelPackageArn") or adopting
    try:
        described = registry.describe_package(arn) if arn else None
        if adopting and described is None:
            raise Retry("NotFound", f"spec.modelPackageArn {adopting} does not exist in SageMaker", 30.0)
        if arn and described is None:
            return deleted_outcome(arn)
        if adopting and described is not None:
            _check_adoptable(spec, group, described)
            if not raw_status.get("modelPackageArn"):
                events.append(Event("Normal", "Adopted", f"adopted {adopting}; no new version registered"))
            group = group or described.get("ModelPackageGroupName", "")
        if described is None:
            assert group is not None  # required by the CRD unless adopting
            request = requests.create_model_package_request(spec, group, ref.uid)
            arn = registry.create_package(request)
            approval = request["ModelApprovalStatus"]
            events.append(Event("Normal", "Registered", f"registered {arn} ({approval})"))
            if spec.approval_description is not None:
                # CreateModelPackage takes no approval description; it can only be set by an update.
                registry.update_package(arn, ApprovalDescription=spec.approval_description)
            return Outcome(
                State.READY,
                "Registered",
                f"registered as {arn}",
                status=_status(arn, region, group, approval, "Completed"),
                events=events,
            )
        approval, changed = _update(registry, arn, spec, previous, described, events)
        package_status = described.get("ModelPackageStatus")
        group = group or described.get("ModelPackageGroupName", "")
    except AwsError as err:
        raise from_aws_error(err, attempt) from err
    if package_status not in (None, "Completed"):
        raise Retry("PackageNotCompleted", f"{arn} is {package_status} in SageMaker", 10.0)
    return Outcome(
        State.READY,
        "Adopted"
        if adopting and not raw_status.get("modelPackageArn")
        else "Updated"
        if changed
        else "UpToDate",
        f"{arn} is {approval}",
        status=_status(arn, region, group, approval, package_status),
        events=events,
    )


def _check_adoptable(spec: ModelVersionSpec, group: str | None, described: dict[str, Any]) -> None:
    """An adopted version must be what the spec says: AWS cannot change it, so never overwrite silently."""
    actual_group = str(described.get("ModelPackageGroupName", ""))
    if group is not None and group_name_from_arn(group).lower() != actual_group.lower():
        field = "spec.modelPackageGroupName" if spec.model_package_group_name else "spec.modelPackageGroupRef"
        raise Stalled(
            "GroupMismatch", f"{field}: the adopted version belongs to group {actual_group}, not {group}"
        )
    if spec.inference_specification is not None:
        ours = requests.to_aws_shape(spec.inference_specification)
        path = requests.first_difference(ours, described.get("InferenceSpecification", {}))
        if path is not None:
            raise Stalled(
                "InferenceSpecificationDiffers",
                f"spec.inferenceSpecification.{path} differs from the adopted version's; SageMaker cannot "
                "change it: remove the field or make it match",
            )


def _previous(previous_spec: dict[str, Any] | None) -> ModelVersionSpec | None:
    if not previous_spec:
        return None
    try:
        return ModelVersionSpec.model_validate(previous_spec)
    except ValueError:
        return None  # an old invalid spec says nothing about what was applied


def _update(
    registry: Any,
    arn: str,
    spec: ModelVersionSpec,
    previous: ModelVersionSpec | None,
    described: dict[str, Any],
    events: list[Event],
) -> tuple[str, bool]:
    """Bring the mutable fields in line; returns (approval status now in the registry, changed?)."""
    approval = described.get("ModelApprovalStatus") or "PendingManualApproval"
    changes: dict[str, Any] = {}
    if spec.approval_status is not None and spec.approval_status != approval:
        changes["ModelApprovalStatus"] = str(spec.approval_status)
        events.append(Event("Normal", "ApprovalUpdated", f"approval {approval} -> {spec.approval_status}"))
        approval = str(spec.approval_status)
    if spec.approval_description is not None and spec.approval_description != described.get(
        "ApprovalDescription"
    ):
        changes["ApprovalDescription"] = spec.approval_description
    metadata = requests.metadata_update(
        spec.customer_metadata_properties,
        described.get("CustomerMetadataProperties"),
        previous.customer_metadata_properties if previous else None,
    )
    if metadata:
        events.append(Event("Normal", "MetadataUpdated", "customer metadata properties updated"))
    changes.update(metadata)
    if changes:
        registry.update_package(arn, **changes)
    tagged = sync_tags(registry, arn, spec.tags, previous.tags if previous else None, events)
    return approval, bool(changes) or tagged


def delete(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any] | None,
    ctx: ReconcileContext,
    attempt: int = 0,
) -> Outcome | None:
    """Remove the package when the policy says Delete; None when there is nothing to do."""
    policy = raw_spec.get("deletionPolicy", DeletionPolicy.RETAIN)
    arn = (raw_status or {}).get("modelPackageArn")
    if policy != DeletionPolicy.DELETE or not arn:
        return None
    region = raw_spec.get("region") or ctx.config.default_region
    role_arn = raw_spec.get("roleArn")

    def step() -> Outcome:
        check_role(ctx.config, ref.namespace, role_arn)
        existed = ctx.registry(region, role_arn).delete_package(arn)
        return deleted(f"deleted {arn}" if existed else f"{arn} was already gone")

    return outcome_of(step, attempt)
