"""The ModelVersion kind: one registered model package version (an inference pipeline of 1..15 containers).

The spec's AWS members are generated from botocore's service model (`package_shapes`); this module adds
what the operator itself needs (the group, adoption, approval, tags, region, role, deletion policy) and
the admission rules that follow `package_members`: what UpdateModelPackage cannot change is immutable.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from registry_operator.api import package_members
from registry_operator.api.common import (
    ApiModel,
    RegistryEntrySpec,
    RegistryEntryStatus,
    add_only_rule,
    immutable_rule,
)
from registry_operator.api.kinds import column, kind_info
from registry_operator.api.package_members import Change
from registry_operator.api.package_shapes import (
    InferenceSpecification,
    ModelPackageContainerDefinition,
    PackageMembers,
)

# A group name, or the ARN of a group (possibly in another account), as CreateModelPackage accepts it.
GROUP_NAME_OR_ARN_PATTERN = (
    r"^(arn:aws(-cn|-us-gov)?:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package-group/)?"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
)
PACKAGE_ARN_PATTERN = (
    r"^arn:aws(-cn|-us-gov)?:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package/"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/[0-9]+$"
)
IMMUTABLE_HINT = "create a new ModelVersion instead"

# The names the rest of the operator uses for the generated shapes.
Container = ModelPackageContainerDefinition
__all__ = ["Container", "InferenceSpecification"]


class ApprovalStatus(StrEnum):
    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


class GroupReference(ApiModel):
    name: str = Field(
        min_length=1, max_length=253, description="Name of a ModelPackageGroup in the same namespace."
    )


def _change_rules() -> list[dict[str, Any]]:
    """One admission rule per member that cannot change as freely as the spec can (package_members)."""
    rules: list[dict[str, Any]] = []
    for member, change in package_members.CHANGES.items():
        name = member[:1].lower() + member[1:]
        if change is Change.IMMUTABLE:
            rules.append(immutable_rule(name, IMMUTABLE_HINT))
        elif change is Change.ADD_ONLY:
            rules.append(add_only_rule(name, "name", IMMUTABLE_HINT))
    return rules


class ModelVersionSpec(PackageMembers, RegistryEntrySpec):
    """A model version in the SageMaker Model Registry (CreateModelPackage)."""

    model_config = PackageMembers.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "!(has(self.modelPackageGroupName) && has(self.modelPackageGroupRef))",
                    "message": "spec.modelPackageGroupName and spec.modelPackageGroupRef exclude each other",
                },
                {
                    "rule": "has(self.modelPackageArn) || has(self.modelPackageGroupName) || "
                    "has(self.modelPackageGroupRef)",
                    "message": "one of spec.modelPackageGroupName and spec.modelPackageGroupRef is required "
                    "(unless spec.modelPackageArn adopts an existing version)",
                },
                {
                    "rule": "has(self.modelPackageArn) || has(self.inferenceSpecification)",
                    "message": "spec.inferenceSpecification is required "
                    "(unless spec.modelPackageArn adopts an existing version)",
                },
                immutable_rule("modelPackageArn", IMMUTABLE_HINT),
                immutable_rule("modelPackageGroupName", IMMUTABLE_HINT),
                immutable_rule("modelPackageGroupRef", IMMUTABLE_HINT),
                *_change_rules(),
                immutable_rule("region", IMMUTABLE_HINT),
                immutable_rule("roleArn", IMMUTABLE_HINT),
            ]
        }
    }

    model_package_group_name: str | None = Field(
        default=None,
        max_length=170,
        pattern=GROUP_NAME_OR_ARN_PATTERN,
        description="Group by name, or by full group ARN for a group in another account. Immutable.",
    )
    model_package_arn: str | None = Field(
        default=None,
        max_length=2048,
        pattern=PACKAGE_ARN_PATTERN,
        description=(
            "Adopt a version that already exists (registered by a SageMaker Pipelines RegisterModel step, "
            "boto3 or the console) instead of registering a new one. Immutable."
        ),
    )
    model_package_group_ref: GroupReference | None = Field(
        default=None,
        description="A ModelPackageGroup in this namespace; the version waits until that group is Ready.",
    )
    approval_status: ApprovalStatus | None = Field(
        default=None,
        description=(
            "Set: git decides, and an approval changed in SageMaker is changed back. Omitted: the version "
            "is registered PendingManualApproval and status.approvalStatus mirrors what reviewers decide."
        ),
    )
    # UpdateModelPackage's ApprovalDescription (CreateModelPackage takes none), with its constraints.
    approval_description: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^.*$",
        description="Why the version has its approval status (one line); applied after registration.",
    )


class LifeCycleStatus(ApiModel):
    stage: str
    stage_status: str | None = None
    stage_description: str | None = None


class PackageStatusItem(ApiModel):
    name: str
    status: str
    failure_reason: str | None = None


class PackageStatusDetails(ApiModel):
    validation_statuses: list[PackageStatusItem] | None = None
    image_scan_statuses: list[PackageStatusItem] | None = None


class ApprovalSource(StrEnum):
    GIT = "git"  # spec.approvalStatus decides; the operator set it
    REGISTRY = "registry"  # the spec leaves it open; a reviewer set it in SageMaker


class ApprovalRecord(ApiModel):
    """Who made the current approval, from where, when and why."""

    source: ApprovalSource
    status: ApprovalStatus | None = Field(default=None, description="The approval this record is about.")
    by: str | None = Field(
        default=None,
        description="The identity the registry records for the change (LastModifiedBy: the Studio user "
        "profile, else the IAM identity's ARN); for git, the operator's own identity.",
    )
    applied_by: str | None = Field(
        default=None,
        description="For git: the field manager that last applied spec.approvalStatus (kubectl, "
        "argocd-controller, ...), from the object's managedFields.",
    )
    time: str | None = Field(default=None, json_schema_extra={"format": "date-time"})
    description: str | None = Field(
        default=None, description="The approval's description (ApprovalDescription)."
    )
    violations: list[str] | None = Field(
        default=None,
        description="ApprovalPolicy rules an approval made in the registry broke (not mirrored, or set "
        "back).",
    )


class ModelVersionStatus(RegistryEntryStatus):
    model_package_arn: str | None = None
    model_package_version: int | None = None
    model_package_group_name: str | None = None
    model_package_group_arn: str | None = None
    approval_status: ApprovalStatus | None = None
    approval: ApprovalRecord | None = Field(
        default=None,
        description="Who made the current approval, from where (git or the registry), when and why.",
    )
    model_package_status: str | None = Field(
        default=None,
        description="As SageMaker last reported it: Pending, InProgress, Completed, Failed or Deleting "
        "(Deleted once it is no longer in the registry).",
    )
    model_package_status_details: PackageStatusDetails | None = Field(
        default=None,
        description="SageMaker's validation and image scan statuses, with the reason of each failure.",
    )
    model_life_cycle: LifeCycleStatus | None = Field(
        default=None,
        description="The life-cycle stage the registry holds (observed every resync interval).",
    )
    model_card_status: str | None = Field(
        default=None,
        description="The model card's status (Draft, PendingReview, Approved, Archived) as last described.",
    )
    creation_time: str | None = Field(
        default=None,
        description="When SageMaker registered the version.",
        json_schema_extra={"format": "date-time"},
    )
    created_by: str | None = Field(
        default=None, description="Who registered it: the IAM identity (or Studio user profile)."
    )
    observed_registry_time: str | None = Field(
        default=None,
        description="As of when, by the registry's clock, this status reflects the package: its "
        "LastModifiedTime when described or in a registry event, the time of the listing that observed "
        "it. A registry event about an earlier change never moves the status back.",
        json_schema_extra={"format": "date-time"},
    )
    applied_metadata_keys: list[str] | None = Field(
        default=None,
        description="The customer metadata keys this object applied: the only ones it ever removes.",
    )
    applied_tag_keys: list[str] | None = Field(
        default=None, description="The tag keys this object applied: the only ones it ever removes."
    )


INFO = kind_info(
    "ModelVersion",
    "modelversions",
    ["mv"],
    ModelVersionSpec,
    ModelVersionStatus,
    "One model version registered in the SageMaker Model Registry (CreateModelPackage).",
    [
        column("Group", ".status.modelPackageGroupName"),
        column("Version", ".status.modelPackageVersion", "integer"),
        column("Approval", ".status.approvalStatus"),
        column("Stage", ".status.modelLifeCycle.stage"),
    ],
    [
        column("Approved By", ".status.approval.by", priority=1),
        column("ARN", ".status.modelPackageArn", priority=1),
    ],
)
