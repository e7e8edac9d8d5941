"""The ModelVersion kind: one registered model package version (an inference pipeline of 1..15 containers)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from registry_operator.api.common import (
    ENTITY_NAME_PATTERN,
    ApiModel,
    CommonStatus,
    DeletionPolicy,
    Region,
    RoleArn,
    Tags,
    immutable_rule,
)

KIND = "ModelVersion"
PLURAL = "modelversions"
SHORT_NAMES = ["mv"]

MAX_CONTAINERS = 15
# A group name, or the ARN of a group (possibly in another account), as CreateModelPackage accepts it.
GROUP_NAME_OR_ARN_PATTERN = (
    r"^(arn:aws(-cn|-us-gov)?:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package-group/)?"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
)
PACKAGE_ARN_PATTERN = (
    r"^arn:aws(-cn|-us-gov)?:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package/"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/[0-9]+$"
)
S3_OR_HTTPS_URL_PATTERN = r"^(https|s3)://([^/]+)/?(.*)$"
METADATA_KEY_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"
METADATA_VALUE_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"


class ApprovalStatus(StrEnum):
    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


ContentTypes = Annotated[
    list[Annotated[str, Field(max_length=256)]], Field(max_length=32, json_schema_extra={"maxItems": 32})
]
InstanceTypes = Annotated[
    list[Annotated[str, Field(pattern=r"^ml\.[a-z0-9.-]+$", max_length=64)]],
    Field(max_length=64, json_schema_extra={"maxItems": 64}),
]


class Container(ApiModel):
    """One container of the inference pipeline (SageMaker ModelPackageContainerDefinition)."""

    image: str = Field(
        min_length=1,
        max_length=255,
        pattern=r"^[\S]+$",
        description="Inference image URI, e.g. an ECR image path with tag or digest.",
    )
    model_data_url: str | None = Field(
        default=None,
        max_length=1024,
        pattern=S3_OR_HTTPS_URL_PATTERN,
        description="S3 URI (s3://bucket/key) of the model artifacts, a .tar.gz.",
    )
    environment: (
        dict[
            Annotated[str, Field(max_length=1024, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")],
            Annotated[str, Field(max_length=1024)],
        ]
        | None
    ) = Field(
        default=None,
        max_length=100,
        description="Environment variables for the container (at most 100).",
        json_schema_extra={"maxProperties": 100},
    )
    container_hostname: str | None = Field(
        default=None,
        max_length=63,
        pattern=ENTITY_NAME_PATTERN,
        description="DNS host name of the container.",
    )
    framework: str | None = Field(default=None, max_length=64, description="Machine learning framework.")
    framework_version: str | None = Field(
        default=None, min_length=3, max_length=10, pattern=r"^[0-9]\.[A-Za-z0-9.-]+$"
    )
    nearest_model_name: str | None = Field(default=None, max_length=256)


class InferenceSpecification(ApiModel):
    """What runs the model: 1 container, or an inference pipeline of 2 to 15."""

    containers: list[Container] = Field(
        min_length=1,
        max_length=MAX_CONTAINERS,
        description="1 to 15 containers; more than one makes an inference pipeline, run in order.",
        json_schema_extra={"maxItems": MAX_CONTAINERS, "minItems": 1},
    )
    supported_content_types: ContentTypes | None = Field(default=None, description="Input MIME types.")
    supported_response_mime_types: ContentTypes | None = Field(
        default=None, alias="supportedResponseMIMETypes", description="Output MIME types."
    )
    supported_realtime_inference_instance_types: InstanceTypes | None = None
    supported_transform_instance_types: InstanceTypes | None = None


class GroupReference(ApiModel):
    name: str = Field(
        min_length=1, max_length=253, description="Name of a ModelPackageGroup in the same namespace."
    )


IMMUTABLE_HINT = "create a new ModelVersion instead"


class ModelVersionSpec(ApiModel):
    """A model version in the SageMaker Model Registry (CreateModelPackage)."""

    model_config = ApiModel.model_config | {
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
                immutable_rule("modelPackageArn", "create a new ModelVersion instead"),
                immutable_rule("modelPackageGroupName", IMMUTABLE_HINT),
                immutable_rule("modelPackageGroupRef", IMMUTABLE_HINT),
                immutable_rule("inferenceSpecification", IMMUTABLE_HINT),
                immutable_rule("modelPackageDescription", IMMUTABLE_HINT),
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
    model_package_description: str | None = Field(default=None, max_length=1024, description="Immutable.")
    approval_status: ApprovalStatus | None = Field(
        default=None,
        description=(
            "Set: git decides, and an approval changed in SageMaker is changed back. Omitted: the version "
            "is registered PendingManualApproval and status.approvalStatus mirrors what reviewers decide."
        ),
    )
    approval_description: str | None = Field(default=None, max_length=1024)
    inference_specification: InferenceSpecification | None = Field(
        default=None,
        description="Immutable. Optional when adopting; if given it must match the adopted version.",
    )
    customer_metadata_properties: (
        dict[
            Annotated[str, Field(max_length=128, pattern=METADATA_KEY_PATTERN)],
            Annotated[str, Field(max_length=256, pattern=METADATA_VALUE_PATTERN)],
        ]
        | None
    ) = Field(
        default=None,
        max_length=50,
        description="Key/value metadata (at most 50); the registry holds exactly these keys.",
        json_schema_extra={"maxProperties": 50},
    )
    tags: Tags | None = None
    region: Region | None = None
    role_arn: RoleArn | None = None
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.RETAIN,
        description=(
            "Retain (default) keeps the version in the registry as an audit record; Delete removes it."
        ),
    )


class ModelVersionStatus(CommonStatus):
    model_package_arn: str | None = None
    model_package_version: int | None = None
    model_package_group_name: str | None = None
    model_package_group_arn: str | None = None
    approval_status: ApprovalStatus | None = None
    model_package_status: str | None = Field(
        default=None,
        description="As SageMaker last reported it: Pending, InProgress, Completed, Failed or Deleting "
        "(Deleted once it is no longer in the registry).",
    )
    region: str | None = Field(
        default=None,
        description="Where the version was first reconciled; kept, so a later change of the operator's "
        "defaultRegion never moves it.",
    )
    owner: str | None = Field(
        default=None,
        description="The owner this object recorded in AWS (<cluster>/<namespace>/<name>/<uid>): no other "
        "namespace or cluster may manage what it owns.",
    )
    applied_metadata_keys: list[str] | None = Field(
        default=None,
        description="The customer metadata keys this object applied: the only ones it ever removes.",
    )
    applied_tag_keys: list[str] | None = Field(
        default=None, description="The tag keys this object applied: the only ones it ever removes."
    )


class ModelVersionResource(ApiModel):
    spec: ModelVersionSpec
    status: ModelVersionStatus = Field(default_factory=ModelVersionStatus)
