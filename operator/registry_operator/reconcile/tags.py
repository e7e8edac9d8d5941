"""Tags of a group or a version brought in line with the spec: one piece for both kinds."""

from __future__ import annotations

from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile.outcome import Event
from registry_operator.reconcile.requests import map_changes


def sync_tags(
    registry: SageMakerRegistry,
    arn: str,
    desired: dict[str, str] | None,
    previously_desired: dict[str, str] | None,
    events: list[Event],
) -> bool:
    """True when tags were changed. No ListTags at all when neither spec has tags."""
    if not desired and not previously_desired:
        return False
    to_add, to_delete = map_changes(desired, registry.list_tags(arn), previously_desired)
    if to_add:
        registry.add_tags(arn, to_add)
    if to_delete:
        registry.delete_tags(arn, to_delete)
    if to_add or to_delete:
        events.append(Event("Normal", "TagsUpdated", f"tags set: {sorted(to_add)}, removed: {to_delete}"))
    return bool(to_add or to_delete)
