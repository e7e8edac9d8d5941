"""Spec models turned into SageMaker request parameters (pure functions, unit-tested)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel

from registry_operator.api.model_version import ApprovalStatus, ModelVersionSpec
from registry_operator.api.package_shapes import PackageMembers


@cache  # a registration walks every field of its spec; pydantic's model_fields costs a call each time
def aws_name(field_name: str, model: type[BaseModel]) -> str:
    """SageMaker's PascalCase name of a spec field: its alias (the API's name in lowerCamelCase) with
    the first letter raised."""
    info = model.model_fields[field_name]
    alias = info.alias or field_name
    return alias[:1].upper() + alias[1:]


def to_aws_shape(model: BaseModel, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A spec model (or the given fields of it) in SageMaker's PascalCase. Field names follow the API's
    lowerCamelCase, so the AWS name is the alias with its first letter raised; map values (environment)
    are left untouched."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields if fields is None else fields:
        value = getattr(model, name)
        if value is None:
            continue
        if isinstance(value, BaseModel):
            value = to_aws_shape(value)
        elif isinstance(value, list):
            value = [to_aws_shape(v) if isinstance(v, BaseModel) else v for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[aws_name(name, type(model))] = value
    return out


def package_members(spec: ModelVersionSpec) -> dict[str, Any]:
    """The CreateModelPackage members the spec sets under their own names, in SageMaker's shape."""
    return to_aws_shape(spec, PackageMembers.model_fields)


def first_difference(ours: BaseModel, theirs: Any, path: str = "") -> str | None:
    """The first field (as a spec path) where the spec model `ours` differs from what AWS holds; fields
    the spec leaves out are not compared, since SageMaker fills in some of its own; nor are map keys
    (environment) the spec leaves out."""
    if not isinstance(theirs, dict):
        return path or "(root)"
    for name, info in type(ours).model_fields.items():
        value = getattr(ours, name)
        if value is None:
            continue
        field_path = f"{path}.{info.alias or name}" if path else (info.alias or name)
        found = _differs(value, theirs.get(aws_name(name, type(ours))), field_path)
        if found is not None:
            return found
    return None


def _differs(value: Any, theirs: Any, path: str) -> str | None:
    if isinstance(value, BaseModel):
        return first_difference(value, theirs, path)
    if isinstance(value, dict):
        if not isinstance(theirs, dict):
            return path
        return next((f"{path}.{k}" for k, v in value.items() if theirs.get(k) != v), None)
    if isinstance(value, list):
        if not isinstance(theirs, list) or len(value) != len(theirs):
            return path
        for i, (a, b) in enumerate(zip(value, theirs, strict=True)):
            found = _differs(a, b, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return None if value == theirs else path


def initial_approval(spec: ModelVersionSpec) -> ApprovalStatus:
    # Omitted means the registry decides; SageMaker's own default for a versioned package is pending.
    return spec.approval_status or ApprovalStatus.PENDING_MANUAL_APPROVAL


def create_model_package_request(spec: ModelVersionSpec, group: str, client_token: str) -> dict[str, Any]:
    """CreateModelPackage parameters. `client_token` is the resource's uid, so a retry after a crash
    between the call and the status write returns the version already made instead of a second one."""
    request: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ClientToken": client_token,
        **package_members(spec),
        "ModelApprovalStatus": str(initial_approval(spec)),
    }
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
