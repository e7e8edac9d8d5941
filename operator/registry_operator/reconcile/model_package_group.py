"""ModelPackageGroup: describe the group, create it when missing, keep its tags in step, delete on request."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry_operator.api.common import ENTITY_NAME_PATTERN, DeletionPolicy
from registry_operator.api.model_package_group import INFO, ModelPackageGroupSpec
from registry_operator.aws import facts
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile import ownership, readiness
from registry_operator.reconcile.context import GroupInfo
from registry_operator.reconcile.dependencies import Need
from registry_operator.reconcile.outcome import Outcome, Retry, Stalled, State, now_iso
from registry_operator.reconcile.package_requests import map_changes
from registry_operator.reconcile.permissions import Request
from registry_operator.reconcile.runner import ManagedKind, Observation, Run
from registry_operator.reconcile.tags import apply_tags, describe_change

GroupRun = Run[ModelPackageGroupSpec]
GROUP_PENDING_SECONDS = 2.0


def group_name(spec: ModelPackageGroupSpec | Mapping[str, Any], resource_name: str) -> str:
    name = spec.get("modelPackageGroupName") if isinstance(spec, Mapping) else spec.model_package_group_name
    return name or resource_name


def needs_group_object(namespace: str, name: str) -> Need:
    """What an object referring to a ModelPackageGroup by its object name needs."""
    return Need(INFO.kind, namespace, "name", name)


def needs_group(namespace: str, name_or_arn: str) -> Need:
    """What an object naming a SageMaker group (by name or by group ARN) needs from a ModelPackageGroup of
    its own namespace that would make that group; SageMaker names are case-insensitive."""
    return Need(INFO.kind, namespace, "group", facts.sagemaker_name(facts.group_name_from_arn(name_or_arn)))


def group_info(body: Mapping[str, Any]) -> GroupInfo:
    """A ModelPackageGroup object as the views hold it: what its spec declares and its status records."""
    meta, spec = body["metadata"], body.get("spec") or {}
    st = body.get("status") or {}
    return GroupInfo(
        namespace=str(meta["namespace"]),
        name=str(meta["name"]),
        uid=str(meta["uid"]),
        declared_name=group_name(spec, str(meta["name"])),
        group_name=st.get("modelPackageGroupName"),
        group_arn=st.get("modelPackageGroupArn"),
        region=st.get("region") or spec.get("region"),
        role_arn=spec.get("roleArn"),
        ready=readiness.ready_for_generation(body),
        deleting=bool(meta.get("deletionTimestamp")),
        waiting=readiness.ready_reason(body),
    )


def _by_object_name(info: GroupInfo) -> dict[Any, GroupInfo]:
    return {(info.namespace, info.name): info}


def _by_declared_name(info: GroupInfo) -> dict[Any, GroupInfo]:
    return {(info.namespace, facts.sagemaker_name(info.declared_name)): info}


@dataclass
class GroupObservation(Observation):
    described: dict[str, Any] = field(default_factory=dict)
    tags_to_add: dict[str, str] = field(default_factory=dict)
    tags_to_delete: list[str] = field(default_factory=list)


class ModelPackageGroupKind(ManagedKind[ModelPackageGroupSpec, GroupObservation]):
    info = INFO
    handler_id = "group"
    recheck_on_start = True  # few; a group deleted in the registry while the operator was away is seen
    # The views its dependents read (kopf indexes: complete before any handler runs): by object name,
    # for references; by the SageMaker group it makes, for names and ARNs.
    indexes = {
        "group_objects": lambda body: _by_object_name(group_info(body)),
        "groups_by_declared_name": lambda body: _by_declared_name(group_info(body)),
    }

    def provides(self, body: Mapping[str, Any]) -> tuple[list[Need], Hashable]:
        """Its own name (for references) and the SageMaker group it makes; its dependents care whether it
        is Ready, which group it recorded, and whether it is being deleted."""
        info = group_info(body)
        state = (info.ready, info.group_arn, info.deleting, readiness.ready_state(body), info.waiting)
        return [
            needs_group_object(info.namespace, info.name),
            needs_group(info.namespace, info.declared_name),
        ], state

    def prepare(self, run: GroupRun) -> None:
        spec, ref = run.spec, run.ref
        name = group_name(spec, ref.name)
        if spec.model_package_group_name is None and not re.match(ENTITY_NAME_PATTERN, name):
            raise Stalled(
                "InvalidName",
                f"metadata.name {name!r} is not a valid SageMaker group name: set spec.modelPackageGroupName",
            )
        run.keep_region(spec.region)
        if spec.tags and ownership.OWNER_KEY in spec.tags:
            raise Stalled("InvalidTags", f"spec.tags: {ownership.OWNER_KEY} is the operator's own tag")
        run.ctx.authorize(ref.namespace, Request(roles=(("spec.roleArn", spec.role_arn or ""),)))
        run.resolved["name"] = name

    def _registry(self, run: Run[Any]) -> SageMakerRegistry:
        return run.ctx.registry(run.status["region"], run.raw_spec.get("roleArn"))

    def observe(self, run: GroupRun) -> GroupObservation:
        name = run.resolved["name"]
        registry = self._registry(run)
        described = registry.describe_group(name)
        if described is None:
            return GroupObservation(exists=False)
        observed = GroupObservation(exists=True, described=described)
        current = registry.list_tags(described["ModelPackageGroupArn"])
        claim = self._check_owner(run, current)
        run.record(owner=ownership.me(run.ref, run.ctx.config).render())
        if not run.recorded.get("modelPackageGroupArn"):  # the group existed before this object
            if ownership.OWNER_KEY not in current:  # made by hand or a pipeline: only within the scopes
                run.ctx.authorize(run.ref.namespace, Request(into_groups=((_name_field(run), name),)))
            _adopted(run, described)
        if claim is ownership.OwnerCheck.TAKE:
            run.event("Claimed", f"recorded as the owner of group {name} ({ownership.OWNER_KEY})")
        applied = run.recorded.get("appliedTagKeys")
        observed.tags_to_add, observed.tags_to_delete = map_changes(
            self._desired_tags(run), current, applied if applied is not None else list(run.spec.tags or {})
        )
        observed.up_to_date = not observed.tags_to_add and not observed.tags_to_delete
        # A key to remove stays recorded until it is removed: a failed call must not forget it.
        run.record(appliedTagKeys=sorted(set(run.spec.tags or {}) | set(observed.tags_to_delete)) or None)
        return observed

    def _desired_tags(self, run: Run[Any]) -> dict[str, str]:
        return {**(run.spec.tags or {}), ownership.OWNER_KEY: ownership.me(run.ref, run.ctx.config).render()}

    def _check_owner(self, run: Run[Any], tags: dict[str, str]) -> ownership.OwnerCheck:
        name = run.resolved.get("name") or group_name(dict(run.raw_spec), run.ref.name)

        def still_managed(owner: ownership.Owner) -> bool:
            return any(g.uid == owner.uid for g in run.ctx.declared_groups(run.ref.namespace, name))

        return ownership.check(
            tags.get(ownership.OWNER_KEY),
            run.ref,
            run.ctx.config,
            f"model package group {name}",
            still_managed,
        )

    def create(self, run: GroupRun, observed: GroupObservation) -> GroupObservation:
        name = run.resolved["name"]
        run.ctx.authorize(run.ref.namespace, Request(create_groups=((_name_field(run), name),)))
        registry = self._registry(run)
        registry.create_group(name, run.spec.model_package_group_description, self._desired_tags(run))
        run.record(
            appliedTagKeys=sorted(run.spec.tags or {}) or None,
            owner=ownership.me(run.ref, run.ctx.config).render(),
        )
        run.event("Created", f"created model package group {name}")
        described = registry.describe_group(name)
        if described is None:
            raise Retry("Creating", f"model package group {name} is being created", GROUP_PENDING_SECONDS)
        return GroupObservation(exists=True, described=described)

    def update(self, run: GroupRun, observed: GroupObservation) -> GroupObservation:
        apply_tags(
            self._registry(run),
            observed.described["ModelPackageGroupArn"],
            observed.tags_to_add,
            observed.tags_to_delete,
        )
        run.record(appliedTagKeys=sorted(run.spec.tags or {}) or None)
        run.event("TagsUpdated", describe_change(observed.tags_to_add, observed.tags_to_delete))
        return observed

    def report(self, run: GroupRun, observed: GroupObservation) -> Outcome:
        described = observed.described
        name = run.resolved["name"]
        group_status = str(described.get("ModelPackageGroupStatus", "Completed"))
        run.record(
            modelPackageGroupName=described.get("ModelPackageGroupName"),
            modelPackageGroupArn=described.get("ModelPackageGroupArn"),
            modelPackageGroupStatus=group_status,
            lastSyncedTime=now_iso(),
        )
        if group_status in ("Pending", "InProgress"):
            return run.outcome(
                State.PROGRESSING, "Creating", f"group {name} is {group_status}", GROUP_PENDING_SECONDS
            )
        if group_status != "Completed":
            return run.outcome(
                State.STALLED, f"Group{group_status}", f"group {name} is {group_status} in SageMaker"
            )
        reason = next((e.reason for e in run.events if e.reason in ("Created", "Adopted")), None)
        if reason is None:
            reason = "Updated" if not observed.up_to_date else "Synced"
        return run.outcome(State.READY, reason, f"{described['ModelPackageGroupArn']} is Completed")

    def delete(self, run: Run[ModelPackageGroupSpec | None]) -> Outcome | None:
        if run.raw_spec.get("deletionPolicy", DeletionPolicy.RETAIN) != DeletionPolicy.DELETE:
            return None
        if not run.recorded.get("modelPackageGroupArn"):
            return None  # never created or found by this object (refused, or waiting): nothing to remove
        name = group_name(dict(run.raw_spec), run.ref.name)
        run.record(region=run.region(run.raw_spec.get("region")))
        run.ctx.authorize(
            run.ref.namespace, Request(roles=(("spec.roleArn", run.raw_spec.get("roleArn") or ""),))
        )
        registry = self._registry(run)
        described = registry.describe_group(name)
        if described is not None and described.get("ModelPackageGroupStatus") != "Deleting":
            run.resolved["name"] = name
            self._check_owner(run, registry.list_tags(described["ModelPackageGroupArn"]))
            registry.delete_group(name)
            described = registry.describe_group(name)
        if described is not None:
            # SageMaker deletes a group asynchronously: Describe shows Deleting until it is gone.
            run.record(modelPackageGroupStatus=described.get("ModelPackageGroupStatus"))
            raise Retry("Deleting", f"model package group {name} is being deleted", GROUP_PENDING_SECONDS)
        message = f"deleted model package group {name}"
        run.event("Deleted", message)
        return run.outcome(State.READY, "Deleted", message)


def _name_field(run: Run[Any]) -> str:
    return "spec.modelPackageGroupName" if run.raw_spec.get("modelPackageGroupName") else "metadata.name"


def _adopted(run: GroupRun, described: dict[str, Any]) -> None:
    """The group existed before this object: take it over instead of creating a second one."""
    name = run.resolved["name"]
    run.event("Adopted", f"adopted the existing model package group {name}")
    actual = described.get("ModelPackageGroupDescription")
    wanted = run.spec.model_package_group_description
    if wanted is not None and wanted != actual:
        # SageMaker has no call that changes a group's description; say so rather than pretend.
        run.event(
            "DescriptionDiffers",
            f"the group's description is {actual!r}; "
            "SageMaker cannot change it, so spec.modelPackageGroupDescription is not applied",
            warning=True,
        )


MANAGED = ModelPackageGroupKind()
