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
from registry_operator.api.kinds import column, kind_info


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


INFO = kind_info(
    "ModelPackageGroup",
    "modelpackagegroups",
    ["mpg"],
    ModelPackageGroupSpec,
    ModelPackageGroupStatus,
    "A SageMaker Model Registry model package group, managed from Kubernetes.",
    [column("Group", ".status.modelPackageGroupName")],
    [column("ARN", ".status.modelPackageGroupArn", priority=1)],
    root_rules=[
        {
            "rule": (
                "has(self.spec.modelPackageGroupName) || (size(self.metadata.name) <= 63 && "
                f"self.metadata.name.matches(r'{ENTITY_NAME_PATTERN}'))"
            ),
            "message": (
                "metadata.name is not a valid SageMaker group name (letters, digits and hyphens, at most "
                "63): set spec.modelPackageGroupName"
            ),
        }
    ],
)
