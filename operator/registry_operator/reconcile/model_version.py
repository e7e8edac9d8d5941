"""ModelVersion: one model package version, registered once, kept in step with the spec.

observe: Describe the package this object recorded (or adopts). create: CreateModelPackage with the
object's uid as ClientToken (a retry after a crash gets the same version back), then Describe it, since
a new package passes Pending and InProgress before it is Completed (or Failed). update: what
UpdateModelPackage can change (approval and its description, customer metadata, model card, life-cycle
stage, source URI, registration type, additional inference specifications to add) and tags; keys are
removed only if this object applied them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from registry_operator.api import package_members
from registry_operator.api.common import DeletionPolicy
from registry_operator.api.model_version import INFO, ModelVersionSpec
from registry_operator.api.package_members import Change
from registry_operator.api.package_shapes import PackageMembers
from registry_operator.aws import facts
from registry_operator.aws.errors import AwsError, AwsErrorKind
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.reconcile import (
    approval_rules,
    observations,
    ownership,
    package_requests,
    readiness,
    registry_members,
)
from registry_operator.reconcile.approval_rules import Violation
from registry_operator.reconcile.claims import holder
from registry_operator.reconcile.context import WAIT_FOR_GROUP_SECONDS
from registry_operator.reconcile.cross_account.parts import needs_access
from registry_operator.reconcile.dependencies import Need, ObjectKey
from registry_operator.reconcile.group_listing import TrackedVersion
from registry_operator.reconcile.model_package_group import needs_group, needs_group_object
from registry_operator.reconcile.observations import DELETED
from registry_operator.reconcile.outcome import Outcome, Retry, Stalled, State, now_iso
from registry_operator.reconcile.permissions import Request
from registry_operator.reconcile.runner import ManagedKind, Observation, Run
from registry_operator.reconcile.tags import apply_tags, describe_change, tag_changes

# A package still Pending or InProgress is looked at again after this long (doubling, to a minute).
PACKAGE_PENDING_SECONDS = 1.0
TAGS_CONDITION = "TagsApplied"
OBSERVED_CONDITION = "PackageObserved"

VersionRun = Run[ModelVersionSpec]


@dataclass
class VersionObservation(Observation):
    arn: str | None = None
    described: dict[str, Any] | None = None
    group: str | None = None  # as CreateModelPackage takes it: a name, or a group ARN
    changes: dict[str, Any] = field(default_factory=dict)  # UpdateModelPackage parameters
    tags_to_add: dict[str, str] = field(default_factory=dict)
    tags_to_delete: list[str] = field(default_factory=list)
    registered: bool = False  # created by this run
    unobservable: bool = False  # registered, but this identity may not describe it
    # The DescribeModelPackage members `described` speaks for; None: all (a Describe). A List summary or
    # an event covers a few: the run decides on those and keeps the rest as the status records it.
    covers: frozenset[str] | None = None
    at: datetime | None = None  # as of when, by the registry's clock (observations.PackageObserved.at)
    # The namespace's ApprovalPolicy rules an approval made in the registry breaks (registry-driven only).
    violations: list[Violation] = field(default_factory=list)
    reverted: bool = False  # ... and the policy had the operator set the registry back

    def covered(self, member: str) -> bool:
        return self.covers is None or member in self.covers


class ModelVersionKind(ManagedKind[ModelVersionSpec, VersionObservation]):
    info = INFO
    handler_id = "version"
    holds_packages = True

    def settled(self, body: Mapping[str, Any], cluster: str) -> bool:
        """Registered, Ready for its generation and recorded as owned by this cluster: drift, approvals and
        package status are observed by the per-group resync (and registry events), so a restart makes no
        AWS call for it. One from before owners were recorded (an upgrade, a renamed cluster) runs once,
        to claim it."""
        status = body.get("status") or {}
        owner = ownership.Owner.parse(status.get("owner"))
        return (
            readiness.ready_for_generation(body)
            and bool(status.get("modelPackageArn"))
            and owner is not None
            and owner.cluster == cluster
        )

    def needs(self, body: Mapping[str, Any]) -> list[Need]:
        """Its group: the ModelPackageGroup it refers to, or the one of its namespace that makes the group
        it names (by name or by ARN)."""
        namespace, spec = body["metadata"]["namespace"], body.get("spec") or {}
        ref = (spec.get("modelPackageGroupRef") or {}).get("name")
        if ref:
            return [needs_group_object(namespace, str(ref))]
        name = spec.get("modelPackageGroupName")
        if not name:
            return []
        if str(name).startswith("arn:"):  # another account's group: its access's statement too
            return [needs_group(namespace, str(name)), needs_access(namespace, str(name))]
        return [needs_group(namespace, str(name))]

    # ------------------------------------------------------------------ prepare

    def prepare(self, run: VersionRun) -> None:
        spec, ctx, ref = run.spec, run.ctx, run.ref
        if spec.model_package_arn is None and spec.inference_specification is None:
            raise Stalled(
                "InvalidInferenceSpecification", "spec.inferenceSpecification: required to register"
            )
        region = run.keep_region(spec.region)
        if spec.customer_metadata_properties and ownership.OWNER_KEY in spec.customer_metadata_properties:
            raise Stalled(
                "InvalidCustomerMetadataProperties",
                f"spec.customerMetadataProperties: {ownership.OWNER_KEY} is the operator's own key",
            )
        registry_members.check_model_card(spec)
        registry_members.check_kms_key(spec, region)
        ctx.authorize(ref.namespace, Request(roles=(("spec.roleArn", spec.role_arn or ""),)))
        has_group = spec.model_package_group_name is not None or spec.model_package_group_ref is not None
        group = self._resolve_group(run, region) if has_group else None
        adopting = spec.model_package_arn
        for field_name, arn_given in (
            ("spec.modelPackageGroupName", group if group and group.startswith("arn:") else None),
            ("spec.modelPackageArn", adopting),
        ):
            # A client of one region cannot reach another region's registry: say so instead of NotFound.
            parsed = facts.parse_arn(arn_given) if arn_given else None
            if parsed is not None and parsed.region != region:
                raise Stalled(
                    "RegionMismatch",
                    f"{field_name} is in region {parsed.region}, but this version's region is {region} "
                    "(spec.region, else the operator's defaultRegion when it was first reconciled)",
                )
        if group and spec.model_package_group_name is not None and not run.recorded.get("modelPackageArn"):
            ctx.wait_for_declared_group(
                ref.namespace, "spec.modelPackageGroupName", group, run.meta.age_seconds
            )
        ctx.authorize(ref.namespace, self._request(run, group))
        if adopting:
            other = holder(ctx.claims(adopting), ref.uid)
            if other is not None:
                raise Stalled(
                    "AlreadyManaged",
                    f"spec.modelPackageArn {adopting} is already managed by ModelVersion "
                    f"{other.namespace}/{other.name}",
                )
        run.resolved["group"] = group

    def _request(self, run: VersionRun, group: str | None) -> Request:
        """Acting in another account needs grantAccounts; registering into a group, or adopting from one,
        needs the group to be this namespace's own or in its scope. A version this object already holds
        (recorded in its status) is this object's to manage."""
        spec, role = run.spec, run.spec.role_arn
        accounts = []
        into: list[tuple[str, str]] = []
        if group and spec.model_package_group_name is not None:
            if group.startswith("arn:"):
                accounts.append(("spec.modelPackageGroupName", group, role))
            into.append(("spec.modelPackageGroupName", group))
        adopting = spec.model_package_arn
        if adopting:
            accounts.append(("spec.modelPackageArn", adopting, role))
            parsed = facts.parse_package_arn(adopting)
            if parsed is not None:
                same = parsed.account == (facts.account_of(role) or run.ctx.own_account)
                into.append(("spec.modelPackageArn", parsed.group if same else parsed.group_arn))
        holds = bool(run.recorded.get("modelPackageArn"))
        return Request(accounts=tuple(accounts), into_groups=() if holds else tuple(into))

    def _resolve_group(self, run: VersionRun, region: str) -> str:
        """The group as CreateModelPackage takes it: a name, or an ARN for a group in another account."""
        spec, ref, ctx = run.spec, run.ref, run.ctx
        if spec.model_package_group_name is not None:
            return spec.model_package_group_name
        assert spec.model_package_group_ref is not None  # the CRD requires exactly one of the two
        name = spec.model_package_group_ref.name
        info = ctx.groups(ref.namespace, name)
        if info is None:
            raise Retry(
                "WaitingForGroup",
                f"ModelPackageGroup {ref.namespace}/{name} (spec.modelPackageGroupRef) does not exist yet",
                WAIT_FOR_GROUP_SECONDS,
            )
        if info.region is not None and info.region != region:
            raise Stalled(
                "GroupInOtherRegion",
                f"spec.modelPackageGroupRef: ModelPackageGroup {name} is in region {info.region}, "
                f"this version in {region}",
            )
        if info.deleting or not info.ready or not info.group_name:
            raise Retry(
                "WaitingForGroup",
                f"ModelPackageGroup {ref.namespace}/{name} (spec.modelPackageGroupRef) is not Ready yet",
                WAIT_FOR_GROUP_SECONDS,
            )
        return info.group_arn or info.group_name

    # ------------------------------------------------------------------ observe / create / update

    def _registry(self, run: VersionRun) -> SageMakerRegistry:
        return run.ctx.registry(run.status["region"], run.spec.role_arn)

    def observe(self, run: VersionRun) -> VersionObservation:
        recorded_arn = run.recorded.get("modelPackageArn")
        adopting = run.spec.model_package_arn
        arn = recorded_arn or adopting
        group = run.resolved.get("group")
        if not arn:
            return VersionObservation(exists=False, group=group)
        hint = observations.latest_for(recorded_arn, run.hints)
        if isinstance(hint, observations.PackageObserved) and _enough(run, hint) and _not_older(run, hint):
            # What a List summary or an event says is taken as observed: no Describe.
            observed = VersionObservation(
                exists=True, arn=recorded_arn, described=dict(hint.members), covers=hint.covers, at=hint.at
            )
            observed.group = group or str(run.recorded.get("modelPackageGroupName") or "")
            self._diff(run, observed)
            return observed
        try:
            described = self._registry(run).describe_package(arn)
        except AwsError as err:
            if err.kind is not AwsErrorKind.ACCESS_DENIED or not recorded_arn:
                raise
            observed = VersionObservation(exists=True, arn=recorded_arn, group=group)
            observed.up_to_date = True
            return _unobservable(run, observed, err, str(run.recorded.get("approvalStatus") or ""))
        if described is None:
            if adopting and not recorded_arn:
                raise Retry("NotFound", f"spec.modelPackageArn {adopting} does not exist in SageMaker", 30.0)
            if run.recorded.get("modelPackageStatus") != DELETED:
                run.event("DeletedInRegistry", f"{arn} was deleted outside the operator", warning=True)
            run.record(modelPackageStatus=DELETED)
            raise Stalled(
                "DeletedInRegistry",
                f"model package {arn} no longer exists in SageMaker; it was deleted outside the operator. "
                "Delete and re-apply this ModelVersion to register it again",
            )
        claim = self._check_owner(run, arn, described)
        run.record(owner=ownership.me(run.ref, run.ctx.config).render())
        if adopting:
            _check_adoptable(run.spec, group, described)
            if not recorded_arn:
                run.event("Adopted", f"adopted {adopting}; no new version registered")
        if claim is ownership.OwnerCheck.TAKE:
            run.event("Claimed", f"recorded as the owner of {arn} ({ownership.OWNER_KEY})")
        observed = VersionObservation(exists=True, arn=str(described["ModelPackageArn"]), described=described)
        observed.group = group or str(described.get("ModelPackageGroupName", ""))
        self._diff(run, observed)
        return observed

    def _check_owner(self, run: Run[Any], arn: str, described: Mapping[str, Any]) -> ownership.OwnerCheck:
        recorded = (described.get("CustomerMetadataProperties") or {}).get(ownership.OWNER_KEY)

        def still_managed(owner: ownership.Owner) -> bool:
            return any(c.uid == owner.uid and c.holds for c in run.ctx.claims(arn))

        return ownership.check(recorded, run.ref, run.ctx.config, f"model package {arn}", still_managed)

    def _desired_metadata(self, run: VersionRun) -> dict[str, str]:
        mine = ownership.me(run.ref, run.ctx.config).render()
        return {**(run.spec.customer_metadata_properties or {}), ownership.OWNER_KEY: mine}

    def _diff(self, run: VersionRun, observed: VersionObservation) -> None:
        """What UpdateModelPackage and the tag calls must change; sets up_to_date."""
        spec, described = run.spec, observed.described or {}
        approval = described.get("ModelApprovalStatus") or "PendingManualApproval"
        changes: dict[str, Any] = {}
        if spec.approval_status is not None and spec.approval_status != approval:
            changes["ModelApprovalStatus"] = str(spec.approval_status)
        elif (
            spec.approval_status is None
            and approval == "Approved"
            and observed.covered("ModelApprovalStatus")
        ):
            self._check_registry_approval(run, observed)
            if observed.reverted:
                changes["ModelApprovalStatus"] = "PendingManualApproval"
        if spec.approval_description is not None and spec.approval_description != described.get(
            "ApprovalDescription"
        ):
            changes["ApprovalDescription"] = spec.approval_description
        to_set, to_remove = package_requests.map_changes(
            self._desired_metadata(run),
            described.get("CustomerMetadataProperties") or {},
            _applied(run, "appliedMetadataKeys", spec.customer_metadata_properties),
        )
        if to_set:
            changes["CustomerMetadataProperties"] = to_set
        if to_remove:
            changes["CustomerMetadataPropertiesToRemove"] = to_remove
        changes.update(registry_members.updatable_changes(spec, described))
        # Only what the observation speaks for is compared: a List summary says nothing of metadata.
        observed.changes = {
            k: v for k, v in changes.items() if observed.covered(package_members.updated_member(k))
        }
        if observed.covers is not None:
            observed.up_to_date = not observed.changes
            return
        observed.tags_to_add, observed.tags_to_delete = self._tag_changes(run, observed)
        observed.up_to_date = not changes and not observed.tags_to_add and not observed.tags_to_delete
        # Until the removals are done, the keys to remove stay recorded: a failed update must not forget
        # them, or they would never be removed.
        run.record(appliedMetadataKeys=_keys(spec.customer_metadata_properties, to_remove))
        run.record(appliedTagKeys=_keys(spec.tags, observed.tags_to_delete))

    def _check_registry_approval(self, run: VersionRun, observed: VersionObservation) -> None:
        """An approval made in SageMaker, where no admission policy runs: the namespace's ApprovalPolicy
        rules applied to it (approval_rules.py)."""
        policies = run.ctx.approval_policies(run.ref.namespace)
        if not policies:
            return
        described = observed.described or {}
        observed.violations = approval_rules.violations(
            policies,
            run.raw_spec,
            described,
            run.meta.labels,
            run.meta.annotations,
            registry_members.who(described.get("LastModifiedBy")),
        )
        observed.reverted = bool(observed.violations) and any(
            p.revert_registry_approvals for _, p in policies
        )

    def _tag_changes(self, run: VersionRun, observed: VersionObservation) -> tuple[dict[str, str], list[str]]:
        if observed.arn is None:
            return {}, []
        try:
            return tag_changes(
                self._registry(run),
                observed.arn,
                run.spec.tags,
                _applied(run, "appliedTagKeys", run.spec.tags),
            )
        except AwsError as err:
            if _tags_refused(err):
                self._tags_not_supported(run, err)
                return {}, []
            raise

    def _tags_not_supported(self, run: VersionRun, err: AwsError) -> None:
        # AWS documents that versioned packages do not support tags (Model Registry FAQ); some regions
        # accept them anyway. Registration stands either way; the condition says what happened.
        run.conditions.append(
            (
                TAGS_CONDITION,
                False,
                "NotSupported",
                f"spec.tags: SageMaker does not support tags on versioned model packages ({err.describe()}); "
                "tag the ModelPackageGroup instead",
            )
        )

    def create(self, run: VersionRun, observed: VersionObservation) -> VersionObservation:
        spec = run.spec
        assert observed.group is not None  # required by the CRD unless adopting
        request = package_requests.create_model_package_request(spec, observed.group, run.ref.uid)
        # The owner, recorded in the version itself (versioned packages take no tags).
        request["CustomerMetadataProperties"] = self._desired_metadata(run)
        run.record(owner=ownership.me(run.ref, run.ctx.config).render())
        registry = self._registry(run)
        arn = registry.create_package(request)
        parsed = facts.parse_package_arn(arn)
        # Recorded before anything else can fail: the object now holds this version, whatever follows.
        run.record(
            modelPackageArn=arn,
            modelPackageVersion=parsed.version if parsed else None,
            modelPackageGroupName=facts.group_name_from_arn(observed.group),
            modelPackageGroupArn=parsed.group_arn if parsed else None,
            approvalStatus=request["ModelApprovalStatus"],
            appliedMetadataKeys=_keys(spec.customer_metadata_properties),
        )
        run.event("Registered", f"registered {arn} ({request['ModelApprovalStatus']})")
        observed = VersionObservation(exists=True, arn=arn, group=observed.group, registered=True)
        try:
            observed.described = registry.describe_package(arn) or {"ModelPackageArn": arn}
        except AwsError as err:
            if err.kind is not AwsErrorKind.ACCESS_DENIED:
                raise
            return _unobservable(run, observed, err, request["ModelApprovalStatus"])
        self._diff(run, observed)
        if not observed.up_to_date:  # CreateModelPackage takes no approval description, nor tags
            observed = self.update(run, observed)
        return observed

    def update(self, run: VersionRun, observed: VersionObservation) -> VersionObservation:
        assert observed.arn is not None and observed.described is not None
        registry = self._registry(run)
        changes = observed.changes
        if changes:
            registry.update_package(observed.arn, **changes)
            described = dict(observed.described)
            if "ModelApprovalStatus" in changes:
                before = described.get("ModelApprovalStatus") or "PendingManualApproval"
                after = changes["ModelApprovalStatus"]
                who = registry_members.who(described.get("LastModifiedBy")) or "someone"
                if observed.registered:
                    pass  # CreateModelPackage set it already; this call only adds its description
                elif observed.reverted:
                    rules = "; ".join(v.describe() for v in observed.violations)
                    run.event(
                        "ApprovalReverted",
                        f"{who} approved it in SageMaker without the evidence the namespace requires "
                        f"({rules}): set back to {after}",
                        warning=True,
                    )
                elif run.recorded.get("approvalStatus") == after:
                    # git did not change; the registry did: set back, and said so
                    run.event(
                        "ApprovalReverted",
                        f"{who} changed the approval to {before} in SageMaker; set back to {after} "
                        "(spec.approvalStatus decides)",
                        warning=True,
                    )
                else:
                    run.event("ApprovalUpdated", f"approval {before} -> {after}")
                described["ModelApprovalStatus"] = after
            if "ModelLifeCycle" in changes and not observed.registered:
                wanted = registry_members.life_cycle_status(changes["ModelLifeCycle"])
                if run.recorded.get("modelLifeCycle") == wanted:
                    held = (described.get("ModelLifeCycle") or {}).get("Stage") or "(none)"
                    run.event(
                        "DriftCorrected",
                        f"life-cycle stage was changed to {held} in SageMaker; set back to "
                        f"{changes['ModelLifeCycle']['Stage']}",
                    )
            if "CustomerMetadataProperties" in changes or "CustomerMetadataPropertiesToRemove" in changes:
                if not observed.registered:
                    run.event("MetadataUpdated", "customer metadata properties updated")
                run.record(appliedMetadataKeys=_keys(run.spec.customer_metadata_properties))
            for reason, message in registry_members.applied_updates(changes, described):
                run.event(reason, message)
            observed.described = described
        if observed.tags_to_add or observed.tags_to_delete:
            try:
                apply_tags(registry, observed.arn, observed.tags_to_add, observed.tags_to_delete)
                run.event("TagsUpdated", describe_change(observed.tags_to_add, observed.tags_to_delete))
            except AwsError as err:
                if not _tags_refused(err):
                    raise
                self._tags_not_supported(run, err)
            else:
                run.record(appliedTagKeys=_keys(run.spec.tags))
        return observed

    # ------------------------------------------------------------------ report

    def report(self, run: VersionRun, observed: VersionObservation) -> Outcome:
        described = observed.described or {}
        arn = observed.arn or ""
        parsed = facts.parse_package_arn(arn)
        approval = described.get("ModelApprovalStatus") or "PendingManualApproval"
        package_status = str(described.get("ModelPackageStatus") or "Pending")
        if observed.unobservable:
            run.record(approvalStatus=approval, modelPackageStatus=None, lastSyncedTime=now_iso())
            return run.outcome(State.READY, "Registered", f"registered as {arn}; its status cannot be read")
        violated = bool(observed.violations) and not observed.reverted
        if violated:
            # Not mirrored: the registry's approval breaks the namespace's rules.
            approval = str(run.recorded.get("approvalStatus") or "PendingManualApproval")
        self._registry_changes(run, observed, approval)
        run.record(observedRegistryTime=_observed_at(run, observed))
        run.record(approval=self._approval_record(run, observed, approval))
        run.record(
            modelPackageArn=arn,
            modelPackageVersion=parsed.version if parsed else None,
            modelPackageGroupName=facts.group_name_from_arn(observed.group or "")
            or run.recorded.get("modelPackageGroupName"),
            modelPackageGroupArn=parsed.group_arn if parsed else None,
            approvalStatus=approval,
            modelPackageStatus=package_status,
            lastSyncedTime=now_iso(),
            **registry_members.described_status(described, observed.covers),
        )
        if run.spec.tags and not any(c[0] == TAGS_CONDITION for c in run.conditions):
            run.conditions.append((TAGS_CONDITION, True, "Applied", "spec.tags are on the version"))
        if violated:
            who = registry_members.who(described.get("LastModifiedBy")) or "someone"
            rules = "; ".join(v.describe() for v in observed.violations)
            if run.recorded.get("approval", {}).get("violations") != [v.rule for v in observed.violations]:
                run.event(
                    "ApprovalPolicyViolated",
                    f"{who} approved it in SageMaker without the evidence the namespace requires: {rules}",
                    warning=True,
                )
            return run.outcome(
                State.STALLED,
                "ApprovalPolicyViolated",
                f"approved in SageMaker by {who}, which is not mirrored: {rules}. Add the evidence to the "
                "ModelVersion, or have the registry's approval taken back",
            )
        return package_outcome(run, arn, package_status, approval, described, observed)

    def _approval_record(
        self, run: VersionRun, observed: VersionObservation, approval: str
    ) -> dict[str, Any]:
        """Who made the current approval, from where, when and why (status.approval)."""
        before: dict[str, Any] = dict(run.recorded.get("approval") or {})
        described = observed.described or {}
        source = "git" if run.spec.approval_status is not None else "registry"
        record: dict[str, Any] = dict(before)
        if observed.covered("ApprovalDescription") and "ApprovalDescription" in described:
            record["description"] = described.get("ApprovalDescription")
        changed = (
            approval != run.recorded.get("approvalStatus") or before.get("source") != source or not before
        )
        if changed:
            if "ModelApprovalStatus" in observed.changes:  # this run's own UpdateModelPackage set it
                by = run.ctx.identity(str(run.status.get("region")), run.spec.role_arn)
            else:
                by = registry_members.who(described.get("LastModifiedBy") or described.get("CreatedBy"))
            record = {
                "source": source,
                "status": approval,
                "by": by,
                "time": registry_members.iso(described.get("LastModifiedTime")) or now_iso(),
                "description": described.get("ApprovalDescription") or run.spec.approval_description,
                "appliedBy": run.meta.approval_applied_by if source == "git" else None,
            }
        record["violations"] = [v.rule for v in observed.violations] or None
        return {k: v for k, v in record.items() if v is not None}

    def _registry_changes(self, run: VersionRun, observed: VersionObservation, approval: str) -> None:
        """Events for what reviewers changed in the registry where the registry decides (the spec leaves
        the field open); the status that follows says it too."""
        if not run.recorded.get("modelPackageArn") or observed.registered:
            return
        described = observed.described or {}
        if run.spec.approval_status is None and approval != run.recorded.get("approvalStatus"):
            who = registry_members.who(described.get("LastModifiedBy")) or "someone"
            reason = {"Approved": "ApprovedInRegistry", "Rejected": "RejectedInRegistry"}.get(
                approval, "ApprovalChanged"
            )
            run.event(reason, f"approval is now {approval} in SageMaker, set by {who}")
        held = registry_members.life_cycle_status(described.get("ModelLifeCycle"))
        if (
            run.spec.model_life_cycle is None
            and observed.covered("ModelLifeCycle")
            and held is not None
            and held != run.recorded.get("modelLifeCycle")
        ):
            run.event("StageChanged", f"life-cycle stage is now {held['stage']} in SageMaker")

    # ------------------------------------------------------------------ delete

    def delete(self, run: Run[ModelVersionSpec | None]) -> Outcome | None:
        policy = run.raw_spec.get("deletionPolicy", DeletionPolicy.RETAIN)
        arn = run.recorded.get("modelPackageArn")
        if policy != DeletionPolicy.DELETE or not arn:
            return None
        region = run.region(run.raw_spec.get("region"))
        role_arn = run.raw_spec.get("roleArn")
        run.ctx.authorize(run.ref.namespace, Request(roles=(("spec.roleArn", role_arn or ""),)))
        registry = run.ctx.registry(region, role_arn)
        described = registry.describe_package(arn)
        if described is not None:
            self._check_owner(run, arn, described)  # never delete a version another namespace owns
        existed = described is not None and registry.delete_package(arn)
        message = f"deleted {arn}" if existed else f"{arn} was already gone"
        run.event("Deleted", message)
        return run.outcome(State.READY, "Deleted", message)


def package_outcome(
    run: VersionRun,
    arn: str,
    package_status: str,
    approval: str,
    described: dict[str, Any],
    observed: VersionObservation | None = None,
) -> Outcome:
    """Ready only once SageMaker says Completed; Pending and InProgress are waited for; Failed is Stalled
    with SageMaker's own details."""
    if package_status == "Completed":
        if (observed is not None and observed.registered) or run.recorded.get("modelPackageStatus") in (
            "Pending",
            "InProgress",
        ):
            reason = "Registered"  # in this run, or in an earlier one that waited for SageMaker
        elif any(e.reason == "Adopted" for e in run.events):
            reason = "Adopted"
        elif observed is not None and not observed.up_to_date:
            reason = "Updated"
        else:
            reason = "UpToDate"
        return run.outcome(State.READY, reason, f"{arn} is {approval}")
    if package_status in ("Pending", "InProgress"):
        delay = min(60.0, PACKAGE_PENDING_SECONDS * 2 ** min(run.attempt, 6))
        return run.outcome(
            State.PROGRESSING, "PackagePending", f"{arn} is {package_status} in SageMaker", retry_after=delay
        )
    details = _status_details(described)
    return run.outcome(
        State.STALLED,
        f"Package{package_status}",
        f"{arn} is {package_status} in SageMaker" + (f": {details}" if details else ""),
    )


def _status_details(described: dict[str, Any]) -> str:
    details = described.get("ModelPackageStatusDetails") or {}
    failed = [
        f"{item.get('Name')}: {item.get('Status')}"
        + (f" ({item['FailureReason']})" if item.get("FailureReason") else "")
        for key in ("ValidationStatuses", "ImageScanStatuses")
        for item in details.get(key, []) or []
        if item.get("Status") not in (None, "Completed", "NotStarted")
    ]
    return "; ".join(failed)


def _observed_at(run: VersionRun, observed: VersionObservation) -> str | None:
    """The registry time this status now reflects: never earlier than what it reflected before."""
    seen = observed.at or registry_members.parse_iso(
        registry_members.iso((observed.described or {}).get("LastModifiedTime"))
    )
    before = registry_members.parse_iso(run.recorded.get("observedRegistryTime"))
    latest = max((t for t in (seen, before) if t is not None), default=None)
    return registry_members.iso(latest)


def _unobservable(
    run: VersionRun, observed: VersionObservation, err: AwsError, approval: str
) -> VersionObservation:
    """Registered into another account's group whose policy grants CreateModelPackage only (the seed's
    cross-account set-up): the version exists, but this identity cannot look at it."""
    run.conditions.append(
        (
            OBSERVED_CONDITION,
            False,
            "AccessDenied",
            f"registered, but its status cannot be read: {err.describe()}. Grant "
            "sagemaker:DescribeModelPackage (CrossAccountRegistryAccess spec.registry.actions) to see it",
        )
    )
    observed.described = {"ModelPackageArn": observed.arn, "ModelApprovalStatus": approval}
    observed.unobservable = True
    return observed


def _not_older(run: VersionRun, hint: observations.PackageObserved) -> bool:
    """A registry event older than what the status reflects (EventBridge neither orders nor
    deduplicates) is not taken as observed: the run describes the package instead, so the status never
    moves back."""
    reflected = registry_members.parse_iso(run.recorded.get("observedRegistryTime"))
    return hint.at is None or reflected is None or hint.at >= reflected


def _enough(run: VersionRun, hint: observations.PackageObserved) -> bool:
    """Whether an observation says all a run needs. A package that failed is described, for SageMaker's
    reasons, and one whose approval changed, for who changed it (LastModifiedBy): no summary or event
    carries either. So is a version not yet Ready for its spec: what no hint covers (an approval
    description, metadata) may be what an earlier run failed to apply."""
    return (
        run.was_ready
        and hint.covers >= {"ModelApprovalStatus", "ModelPackageStatus"}
        and hint.members.get("ModelPackageStatus") != "Failed"
        and hint.members.get("ModelApprovalStatus") == run.recorded.get("approvalStatus")
    )


def _keys(desired: dict[str, str] | None, pending_removal: list[str] | None = None) -> list[str] | None:
    keys = sorted(set(desired or {}) | set(pending_removal or []))
    return keys or None


def _applied(run: Run[Any], key: str, desired: dict[str, str] | None) -> list[str]:
    """The keys this object applied. An object from before the operator recorded them (an upgrade) owns
    the keys its spec holds now; it never removes a key it cannot show it applied."""
    recorded = run.recorded.get(key)
    if recorded is not None:
        return list(recorded)
    return list(desired or {})


def _tags_refused(err: AwsError) -> bool:
    return err.kind is AwsErrorKind.VALIDATION and err.operation in ("AddTags", "ListTags", "DeleteTags")


def _check_adoptable(spec: ModelVersionSpec, group: str | None, described: dict[str, Any]) -> None:
    """An adopted version must be what the spec says: AWS cannot change it, so never overwrite silently."""
    actual_group = str(described.get("ModelPackageGroupName", ""))
    if group is not None and facts.sagemaker_name(facts.group_name_from_arn(group)) != facts.sagemaker_name(
        actual_group
    ):
        field_name = (
            "spec.modelPackageGroupName" if spec.model_package_group_name else "spec.modelPackageGroupRef"
        )
        raise Stalled(
            "GroupMismatch", f"{field_name}: the adopted version belongs to group {actual_group}, not {group}"
        )
    for name, info in PackageMembers.model_fields.items():
        value = getattr(spec, name)
        member = package_requests.aws_name(name, PackageMembers)
        if value is None or package_members.CHANGES[member] is not Change.IMMUTABLE:
            continue
        alias = info.alias or name
        if isinstance(value, BaseModel):
            path = package_requests.first_difference(value, described.get(member), alias)
        else:
            path = None if value == described.get(member) else alias
        if path is not None:
            raise Stalled(
                f"{member}Differs",
                f"spec.{path} differs from the adopted version's; SageMaker cannot change it: remove the "
                "field or make it match",
            )


MANAGED = ModelVersionKind()


# --------------------------------------------------------------------------- the periodic listing

# The status fields a listing or an event speaks for, and the spec fields git may decide among them.
OBSERVED_STATUS = ("approvalStatus", "modelPackageStatus", "modelLifeCycle", "creationTime")
GIT_DECIDES = ("approvalStatus", "modelLifeCycle")


def tracked(body: Mapping[str, Any]) -> TrackedVersion | None:
    """A registered ModelVersion as the periodic listing tracks it; None when it holds no package (or is
    being deleted)."""
    meta, st, spec = body["metadata"], body.get("status") or {}, body.get("spec") or {}
    if meta.get("deletionTimestamp") or not st.get("modelPackageArn") or not st.get("region"):
        return None
    # the ARN, not the name: versions naming one group differently still share one List call
    group = (
        st.get("modelPackageGroupArn") or spec.get("modelPackageGroupName") or st.get("modelPackageGroupName")
    )
    if not group:
        return None
    return TrackedVersion(
        key=ObjectKey(INFO.kind, str(meta["namespace"]), str(meta["name"])),
        uid=str(meta["uid"]),
        region=str(st["region"]),
        role_arn=spec.get("roleArn"),
        group=str(group),
        arn=str(st["modelPackageArn"]),
        spec={k: spec[k] for k in GIT_DECIDES if spec.get(k) is not None},
        # and as of when it reflects the registry: a registry event about an earlier change is stale
        status={k: st[k] for k in (*OBSERVED_STATUS, "observedRegistryTime") if st.get(k) is not None},
    )


def would_change(v: TrackedVersion, observed: observations.PackageObserved) -> bool:
    """Whether a run handed this observation would do anything: record a status field other than the one
    recorded, or set back what git decides and the registry changed. The listing hands a version to the
    runner only then (the run decides again, from the object as it is by then)."""
    members = observed.members
    approval = str(members.get("ModelApprovalStatus") or "PendingManualApproval")
    seen = {
        "approvalStatus": approval,
        "modelPackageStatus": str(members.get("ModelPackageStatus") or "Pending"),
        **registry_members.described_status(dict(members), observed.covers),
    }
    if any(seen.get(k) != v.status.get(k) for k in OBSERVED_STATUS if k in seen):
        return True
    if v.spec.get("approvalStatus") not in (None, approval):
        return True
    wanted_stage: Mapping[str, Any] = v.spec.get("modelLifeCycle") or {}
    held = registry_members.life_cycle_status(members.get("ModelLifeCycle")) or {}
    return any(held.get(k) != value for k, value in wanted_stage.items())
