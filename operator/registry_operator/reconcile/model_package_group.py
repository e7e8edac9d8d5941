"""ModelPackageGroup: describe the group, create it when missing, keep its tags in step, delete on request."""

from __future__ import annotations

import re
from typing import Any

from registry_operator.api.common import ENTITY_NAME_PATTERN, DeletionPolicy
from registry_operator.api.model_package_group import ModelPackageGroupSpec, ModelPackageGroupStatus
from registry_operator.aws.errors import AwsError
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
from registry_operator.reconcile.permissions import check_role
from registry_operator.reconcile.tags import sync_tags


def group_name(spec: ModelPackageGroupSpec | dict[str, Any], resource_name: str) -> str:
    name = spec.get("modelPackageGroupName") if isinstance(spec, dict) else spec.model_package_group_name
    return name or resource_name


def _status(described: dict[str, Any], region: str) -> dict[str, Any]:
    return ModelPackageGroupStatus(
        model_package_group_name=described.get("ModelPackageGroupName"),
        model_package_group_arn=described.get("ModelPackageGroupArn"),
        model_package_group_status=described.get("ModelPackageGroupStatus"),
        region=region,
        last_synced_time=now_iso(),
    ).model_dump(by_alias=True, exclude_none=True, exclude={"conditions", "observed_generation"})


def reconcile(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    ctx: ReconcileContext,
    previous_spec: dict[str, Any] | None = None,
    attempt: int = 0,
    raw_status: dict[str, Any] | None = None,
) -> Outcome:
    return outcome_of(
        lambda: _reconcile(ref, raw_spec, ctx, previous_spec, attempt, raw_status or {}), attempt
    )


def _reconcile(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    ctx: ReconcileContext,
    previous_spec: dict[str, Any] | None,
    attempt: int,
    raw_status: dict[str, Any],
) -> Outcome:
    spec = parse_spec(ModelPackageGroupSpec, raw_spec)
    name = group_name(spec, ref.name)
    if spec.model_package_group_name is None and not re.match(ENTITY_NAME_PATTERN, name):
        raise Stalled(
            "InvalidName",
            f"metadata.name {name!r} is not a valid SageMaker group name: set spec.modelPackageGroupName",
        )
    check_role(ctx.config, ref.namespace, spec.role_arn)
    region = spec.region or ctx.config.default_region
    registry = ctx.registry(region, spec.role_arn)
    events: list[Event] = []
    try:
        described = registry.describe_group(name)
        if described is None:
            registry.create_group(name, spec.model_package_group_description, spec.tags)
            events.append(Event("Normal", "Created", f"created model package group {name}"))
            described = registry.describe_group(name)
            if described is None:
                raise Retry("Creating", f"model package group {name} is being created", 5.0)
        else:
            if not raw_status.get("modelPackageGroupArn"):
                _adopted(spec, name, described, events)
            previous_tags = previous_spec.get("tags") if previous_spec else None
            sync_tags(registry, described["ModelPackageGroupArn"], spec.tags, previous_tags, events)
    except AwsError as err:
        raise from_aws_error(err, attempt) from err
    group_status = described.get("ModelPackageGroupStatus", "Completed")
    status = _status(described, region)
    if group_status in ("Pending", "InProgress"):
        return Outcome(State.PROGRESSING, "Creating", f"group {name} is {group_status}", status, events, 5.0)
    if group_status != "Completed":
        return Outcome(
            State.STALLED,
            f"Group{group_status}",
            f"group {name} is {group_status} in SageMaker",
            status,
            events,
        )
    return Outcome(
        State.READY,
        next((e.reason for e in events if e.reason in ("Created", "Adopted")), "Synced"),
        f"{described['ModelPackageGroupArn']} is Completed",
        status,
        events,
    )


def _adopted(spec: ModelPackageGroupSpec, name: str, described: dict[str, Any], events: list[Event]) -> None:
    """The group existed before this resource: take it over instead of creating a second one."""
    events.append(Event("Normal", "Adopted", f"adopted the existing model package group {name}"))
    actual = described.get("ModelPackageGroupDescription")
    wanted = spec.model_package_group_description
    if wanted is not None and wanted != actual:
        # SageMaker has no call that changes a group's description; say so rather than pretend.
        events.append(
            Event(
                "Warning",
                "DescriptionDiffers",
                f"the group's description is {actual!r}; "
                "SageMaker cannot change it, so spec.modelPackageGroupDescription is not applied",
            )
        )


def delete(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any] | None,
    ctx: ReconcileContext,
    attempt: int = 0,
) -> Outcome | None:
    if raw_spec.get("deletionPolicy", DeletionPolicy.RETAIN) != DeletionPolicy.DELETE:
        return None
    if not (raw_status or {}).get("modelPackageGroupArn"):
        return None  # never created or found by this resource (refused, or waiting): nothing to remove
    name = group_name(raw_spec, ref.name)
    region = raw_spec.get("region") or ctx.config.default_region
    role_arn = raw_spec.get("roleArn")

    def step() -> Outcome:
        check_role(ctx.config, ref.namespace, role_arn)
        existed = ctx.registry(region, role_arn).delete_group(name)
        gone = "deleted model package group" if existed else "already gone: model package group"
        return deleted(f"{gone} {name}")

    return outcome_of(step, attempt)
