"""The CrossAccountRegistryAccess kind: what cross-account registration needs, on both sides.

In the training account: an ECR repository policy statement, an S3 bucket policy statement and a KMS
grant for the registry account. In the registry account: a model package group policy statement that
lets the training account call the chosen SageMaker actions.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from registry_operator.api.common import (
    ENTITY_NAME_PATTERN,
    ApiModel,
    CommonStatus,
    DeletionPolicy,
    Region,
    RoleArn,
    immutable_rule,
)
from registry_operator.api.kinds import column, kind_info

ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
# A key id, or a key ARN; aliases are not accepted because grants are listed per key.
KMS_KEY_PATTERN = (
    r"^(arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key/)?"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
ECR_REPOSITORY_PATTERN = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
S3_BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
S3_PREFIX_PATTERN = r"^[^*?]*$"


class RegistryAction(StrEnum):
    """The SageMaker actions a group policy may grant the training account."""

    CREATE_MODEL_PACKAGE = "sagemaker:CreateModelPackage"
    DESCRIBE_MODEL_PACKAGE = "sagemaker:DescribeModelPackage"
    UPDATE_MODEL_PACKAGE = "sagemaker:UpdateModelPackage"
    # for versions registered from the training account with spec.deletionPolicy: Delete
    DELETE_MODEL_PACKAGE = "sagemaker:DeleteModelPackage"
    LIST_MODEL_PACKAGES = "sagemaker:ListModelPackages"
    DESCRIBE_MODEL_PACKAGE_GROUP = "sagemaker:DescribeModelPackageGroup"


# Actions whose resource is the group itself rather than the versions in it.
GROUP_LEVEL_ACTIONS = {RegistryAction.LIST_MODEL_PACKAGES, RegistryAction.DESCRIBE_MODEL_PACKAGE_GROUP}


class TrainingSide(ApiModel):
    """Resources in the training account that the registry account must read."""

    model_config = ApiModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.s3KeyPrefix) || has(self.s3Bucket)",
                    "message": "spec.training.s3KeyPrefix needs spec.training.s3Bucket",
                }
            ]
        }
    }

    role_arn: RoleArn | None = None
    ecr_repository: str | None = Field(
        default=None,
        max_length=256,
        pattern=ECR_REPOSITORY_PATTERN,
        description="ECR repository of the inference images; gets a statement allowing ecr:BatchGetImage "
        "and ecr:Describe* to the registry account.",
    )
    s3_bucket: str | None = Field(
        default=None,
        min_length=3,
        max_length=63,
        pattern=S3_BUCKET_PATTERN,
        description="Bucket of the model artifacts; gets s3:GetObject/GetObjectAcl on its objects and "
        "s3:GetBucketAcl on the bucket for the registry account.",
    )
    s3_key_prefix: str | None = Field(
        default=None,
        max_length=512,
        pattern=S3_PREFIX_PATTERN,
        description="Only objects under this prefix are shared; the whole bucket when omitted.",
    )
    kms_key_id: str | None = Field(
        default=None,
        max_length=2048,
        pattern=KMS_KEY_PATTERN,
        description="KMS key (id or ARN) that encrypted the artifacts; the registry account gets a grant "
        "for Decrypt and GenerateDataKey.",
    )


class RegistrySide(ApiModel):
    role_arn: RoleArn | None = None
    actions: list[RegistryAction] = Field(
        default_factory=lambda: [RegistryAction.CREATE_MODEL_PACKAGE],
        min_length=1,
        max_length=5,
        description="SageMaker actions the training account may call on the group and its versions.",
        json_schema_extra={
            "maxItems": 5,
            "minItems": 1,
            "x-kubernetes-list-type": "set",
            "default": [RegistryAction.CREATE_MODEL_PACKAGE.value],
        },
    )


class CrossAccountRegistryAccessSpec(ApiModel):
    """Lets a training account register model versions into a registry account's model package group."""

    model_config = ApiModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "self.registryAccountId != self.trainingAccountId",
                    "message": "spec.trainingAccountId must differ from spec.registryAccountId",
                },
                {
                    "rule": "has(self.training) || has(self.registry)",
                    "message": "at least one of spec.training and spec.registry is required",
                },
                {
                    "rule": "!has(self.training) || !has(self.training.roleArn) || "
                    "self.training.roleArn.split(':')[4] == self.trainingAccountId",
                    "message": "spec.training.roleArn must be a role in spec.trainingAccountId",
                },
                {
                    "rule": "!has(self.registry) || !has(self.registry.roleArn) || "
                    "self.registry.roleArn.split(':')[4] == self.registryAccountId",
                    "message": "spec.registry.roleArn must be a role in spec.registryAccountId",
                },
                {
                    "rule": "!has(self.training) || !has(self.training.kmsKeyId) || "
                    "!self.training.kmsKeyId.startsWith('arn:') || "
                    "self.training.kmsKeyId.split(':')[4] == self.trainingAccountId",
                    "message": "spec.training.kmsKeyId must be a key in spec.trainingAccountId",
                },
                immutable_rule("modelPackageGroupName", "create a new CrossAccountRegistryAccess instead"),
                immutable_rule("registryAccountId", "create a new CrossAccountRegistryAccess instead"),
                immutable_rule("trainingAccountId", "create a new CrossAccountRegistryAccess instead"),
                immutable_rule("region", "create a new CrossAccountRegistryAccess instead"),
            ]
        }
    }

    model_package_group_name: str = Field(
        max_length=63, pattern=ENTITY_NAME_PATTERN, description="The group in the registry account."
    )
    registry_account_id: str = Field(pattern=ACCOUNT_ID_PATTERN, description="Account that owns the group.")
    training_account_id: str = Field(
        pattern=ACCOUNT_ID_PATTERN, description="Account that trains the model and registers its versions."
    )
    region: Region | None = None
    training: TrainingSide | None = None
    registry: RegistrySide | None = None
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.DELETE,
        description="Delete (default) removes the statements and the grant with this resource; Retain "
        "leaves them in place.",
    )


class PolicyService(StrEnum):
    S3 = "s3"
    ECR = "ecr"
    SAGEMAKER = "sagemaker"


class AppliedPolicy(ApiModel):
    """Statements this object put into one resource policy: what it withdraws when the spec moves on."""

    service: PolicyService = Field(
        description="s3 (bucket policy), ecr (repository policy) or sagemaker (model package group policy)."
    )
    region: str = Field(max_length=32)
    account: str = Field(pattern=ACCOUNT_ID_PATTERN)
    target: str = Field(max_length=256, description="The bucket, repository or group.")
    role_arn: str | None = Field(default=None, max_length=2048, description="The role it was written with.")
    sids: list[str] = Field(max_length=8, json_schema_extra={"maxItems": 8})


class AppliedGrant(ApiModel):
    """A KMS grant this object created."""

    key_id: str = Field(max_length=2048)
    region: str = Field(max_length=32)
    role_arn: str | None = Field(default=None, max_length=2048)
    name: str = Field(max_length=256)
    grant_id: str | None = Field(default=None, max_length=128)


class CrossAccountRegistryAccessStatus(CommonStatus):
    applied_policies: list[AppliedPolicy] | None = Field(
        default=None,
        description="Every policy statement this object applied and has not withdrawn yet.",
        json_schema_extra={"maxItems": 16},
    )
    applied_grants: list[AppliedGrant] | None = Field(
        default=None,
        description="Every KMS grant this object created and has not revoked yet.",
        json_schema_extra={"maxItems": 8},
    )
    model_package_group_arn: str | None = None
    kms_grant_id: str | None = Field(default=None, description="The grant on spec.training.kmsKeyId.")
    # Written by release 0.1 before appliedPolicies/appliedGrants existed; declared so that the API
    # server keeps them until the operator has read them once (an upgrade) and removed them.
    group_policy_sid: str | None = Field(default=None, description="Deprecated: see appliedPolicies.")
    ecr_repository_arn: str | None = Field(default=None, description="Deprecated: see appliedPolicies.")
    ecr_policy_sid: str | None = Field(default=None, description="Deprecated: see appliedPolicies.")
    s3_bucket: str | None = Field(default=None, description="Deprecated: see appliedPolicies.")
    s3_policy_sids: list[str] | None = Field(default=None, description="Deprecated: see appliedPolicies.")
    kms_key_id: str | None = Field(default=None, description="Deprecated: see appliedGrants.")
    kms_grant_name: str | None = Field(default=None, description="Deprecated: see appliedGrants.")


INFO = kind_info(
    "CrossAccountRegistryAccess",
    "crossaccountregistryaccesses",
    ["craa"],
    CrossAccountRegistryAccessSpec,
    CrossAccountRegistryAccessStatus,
    "Cross-account model registration: resource policies and a KMS grant on both sides.",
    [
        column("Group", ".spec.modelPackageGroupName"),
        column("Registry", ".spec.registryAccountId"),
        column("Training", ".spec.trainingAccountId"),
    ],
    [column("Grant", ".status.kmsGrantId", priority=1)],
)
