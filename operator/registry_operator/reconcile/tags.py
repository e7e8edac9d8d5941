"""Tags of a group or a version brought in line with the spec: one piece for both kinds."""

from __future__ import annotations

from collections.abc import Iterable

from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile.package_requests import map_changes


def tag_changes(
    registry: SageMakerRegistry, arn: str, desired: dict[str, str] | None, applied: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove); no ListTags at all when the object neither wants nor owns any."""
    applied = list(applied)
    if not desired and not applied:
        return {}, []
    return map_changes(desired, registry.list_tags(arn), applied)


def apply_tags(registry: SageMakerRegistry, arn: str, to_add: dict[str, str], to_delete: list[str]) -> None:
    if to_add:
        registry.add_tags(arn, to_add)
    if to_delete:
        registry.delete_tags(arn, to_delete)


def describe_change(to_add: dict[str, str], to_delete: list[str]) -> str:
    return f"tags set: {sorted(to_add)}, removed: {to_delete}"
