"""Spec models turned into SageMaker request parameters (pure functions, unit-tested)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from registry_operator.api.model_version import (
    ApprovalStatus,
    Container,
    InferenceSpecification,
    ModelVersionSpec,
)


def to_aws_shape(model: BaseModel) -> dict[str, Any]:
    """A spec sub-model in SageMaker's PascalCase. Field names follow the API's lowerCamelCase, so the
    AWS name is the alias with its first letter raised; map values (environment) are left untouched."""
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        alias = info.alias or name
        key = alias[:1].upper() + alias[1:]
        if isinstance(value, BaseModel):
            value = to_aws_shape(value)
        elif isinstance(value, list):
            value = [to_aws_shape(v) if isinstance(v, BaseModel) else v for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[key] = value
    return out


def _spec_names(*models: type[BaseModel]) -> dict[str, str]:
    """SageMaker's PascalCase field name -> the spec's lowerCamelCase name."""
    names: dict[str, str] = {}
    for model in models:
        for name, info in model.model_fields.items():
            alias = info.alias or name
            names[alias[:1].upper() + alias[1:]] = alias
    return names


_INFERENCE_NAMES = _spec_names(InferenceSpecification, Container)


def first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """The first field (as a spec path) where `ours` is not what AWS holds; fields we leave out are not
    compared, since SageMaker fills in some of its own. Map keys (environment) keep their spelling."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return path or "(root)"
        for key, value in ours.items():
            name = str(_INFERENCE_NAMES.get(key, key))
            found = first_difference(value, theirs.get(key), f"{path}.{name}" if path else name)
            if found is not None:
                return found
        return None
    if isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            return path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return None if ours == theirs else path


def initial_approval(spec: ModelVersionSpec) -> ApprovalStatus:
    # Omitted means the registry decides; SageMaker's own default for a versioned package is pending.
    return spec.approval_status or ApprovalStatus.PENDING_MANUAL_APPROVAL


def create_model_package_request(spec: ModelVersionSpec, group: str, client_token: str) -> dict[str, Any]:
    """CreateModelPackage parameters. `client_token` is the resource's uid, so a retry after a crash
    between the call and the status write returns the version already made instead of a second one."""
    request: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ClientToken": client_token,
        "InferenceSpecification": to_aws_shape(spec.inference_specification)
        if spec.inference_specification is not None
        else {},
        "ModelApprovalStatus": str(initial_approval(spec)),
    }
    if spec.model_package_description is not None:
        request["ModelPackageDescription"] = spec.model_package_description
    if spec.customer_metadata_properties:
        request["CustomerMetadataProperties"] = dict(spec.customer_metadata_properties)
    # No Tags: AWS refuses them on a versioned package ("you cannot supply a tag argument" with a group
    # name, botocore sagemaker model, CreateModelPackageInput.Tags); they are added after registration.
    return request


def map_changes(
    desired: Mapping[str, str] | None, current: Mapping[str, str], applied: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """(keys to add or change, keys to remove) for metadata and tags alike: only keys this object applied
    (recorded in its status) are removed, so keys a pipeline or a person added in SageMaker survive."""
    desired = desired or {}
    to_add = {k: v for k, v in desired.items() if current.get(k) != v}
    to_delete = sorted(k for k in set(applied) if k not in desired and k in current)
    return to_add, to_delete
