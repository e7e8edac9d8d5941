"""The ModelPackageGroup kind: a SageMaker model package group."""

from __future__ import annotations

from pydantic import Field

from registry_operator.api.common import (
    ENTITY_NAME_PATTERN,
    ApiModel,
    RegistryEntrySpec,
    RegistryEntryStatus,
    immutable_rule,
)

KIND = "ModelPackageGroup"
PLURAL = "modelpackagegroups"
SHORT_NAMES = ["mpg"]


class ModelPackageGroupSpec(RegistryEntrySpec):
    """A model package group in the SageMaker Model Registry: the collection a model's versions join."""

    model_config = ApiModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                immutable_rule("modelPackageGroupName", "create a new ModelPackageGroup instead"),
                immutable_rule(
                    "modelPackageGroupDescription", "SageMaker cannot change a group's description"
                ),
                immutable_rule("region", "create a new ModelPackageGroup instead"),
            ]
        }
    }

    model_package_group_name: str | None = Field(
        default=None,
        pattern=ENTITY_NAME_PATTERN,
        max_length=63,
        description="Name of the group in SageMaker; defaults to metadata.name. Immutable.",
    )
    model_package_group_description: str | None = Field(
        default=None,
        max_length=1024,
        description="Description of the group. Immutable (SageMaker cannot change it).",
    )


class ModelPackageGroupStatus(RegistryEntryStatus):
    model_package_group_name: str | None = None
    model_package_group_arn: str | None = None
    model_package_group_status: str | None = Field(default=None, description="As SageMaker reports it.")
    applied_tag_keys: list[str] | None = Field(
        default=None, description="The tag keys this object applied: the only ones it ever removes."
    )


class ModelPackageGroupResource(ApiModel):
    """The whole object as the operator reads it (metadata handled by the glue)."""

    spec: ModelPackageGroupSpec
    status: ModelPackageGroupStatus = Field(default_factory=ModelPackageGroupStatus)
