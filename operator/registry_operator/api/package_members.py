"""What a ModelVersion does with each member of CreateModelPackage's input (botocore's sagemaker model).

Every top-level member is in exactly one table: carried in the spec under its own name in lowerCamelCase
(`CHANGES`, which also says how it may change after registration), carried under another name or set by
the operator (`SPEC_OWN`), or left out with the reason (`EXCLUDED`). Nested members follow their parent.
The generator of `package_shapes` reads these tables, and a unit test walks botocore's input shape and
fails when a member is in none of them, so a botocore upgrade that adds a member is noticed.
"""

from __future__ import annotations

from enum import StrEnum

OPERATION = "CreateModelPackage"


class Change(StrEnum):
    """How a member may change once the version is registered (UpdateModelPackage's input)."""

    IMMUTABLE = "Immutable"  # refused at admission: a change means a new ModelVersion
    UPDATE = "Update"  # UpdateModelPackage sets it
    ADD_ONLY = "AddOnly"  # UpdateModelPackage appends to it (AdditionalInferenceSpecificationsToAdd)


# Members only unversioned packages use, the kind sold on AWS Marketplace; a ModelVersion is a versioned
# package in a group.
EXCLUDED: dict[str, str] = {
    "ModelPackageName": "names an unversioned package; a version is named by its group and version number",
    "CertifyForMarketplace": "lists the package on AWS Marketplace, which sells unversioned packages only",
    "SourceAlgorithmSpecification": "a Marketplace algorithm as the model's source, for Marketplace listings",
    "ValidationSpecification": "the batch transform AWS Marketplace runs to validate a listing",
}

# Members the spec carries under another name or shape, or that the operator sets itself.
SPEC_OWN: dict[str, str] = {
    "ModelPackageGroupName": "spec.modelPackageGroupName, or the group of spec.modelPackageGroupRef",
    "ModelApprovalStatus": "spec.approvalStatus",
    "Tags": "spec.tags, a map, applied after registration: AWS refuses Tags together with a group name",
    "ClientToken": "metadata.uid, so that a retry after a crash returns the version already registered",
}

# Members the spec carries under their own names, in botocore's order, and how each may change.
CHANGES: dict[str, Change] = {
    "ModelPackageDescription": Change.IMMUTABLE,
    "ModelPackageRegistrationType": Change.UPDATE,
    "InferenceSpecification": Change.IMMUTABLE,
    "MetadataProperties": Change.IMMUTABLE,
    "ModelMetrics": Change.IMMUTABLE,
    "Domain": Change.IMMUTABLE,
    "Task": Change.IMMUTABLE,
    "SamplePayloadUrl": Change.IMMUTABLE,
    "CustomerMetadataProperties": Change.UPDATE,
    "DriftCheckBaselines": Change.IMMUTABLE,
    "AdditionalInferenceSpecifications": Change.ADD_ONLY,
    "SkipModelValidation": Change.IMMUTABLE,
    "SourceUri": Change.UPDATE,
    "SecurityConfig": Change.IMMUTABLE,
    "ModelCard": Change.UPDATE,
    "ModelLifeCycle": Change.UPDATE,
    "ManagedStorageType": Change.IMMUTABLE,
}

# UpdateModelPackage accepts these, yet a ModelVersion keeps them immutable.
KEPT_IMMUTABLE: dict[str, str] = {
    "InferenceSpecification": (
        "a registered version is an audit record of what was validated and approved; other images or "
        "artifacts under the same version number would falsify it"
    ),
}

# The UpdateModelPackage member that carries an ADD_ONLY member's additions.
ADDITIONS: dict[str, str] = {"AdditionalInferenceSpecifications": "AdditionalInferenceSpecificationsToAdd"}
# UpdateModelPackage parameters that change a member under another name.
REMOVALS: dict[str, str] = {"CustomerMetadataProperties": "CustomerMetadataPropertiesToRemove"}


def updated_member(parameter: str) -> str:
    """The DescribeModelPackage member an UpdateModelPackage parameter changes."""
    for member, name in (*ADDITIONS.items(), *REMOVALS.items()):
        if name == parameter:
            return member
    return parameter


# Top-level descriptions that say what the operator does with a member (the service model's text says
# what AWS does with it, and stays on every nested member).
DESCRIPTIONS: dict[str, str] = {
    "InferenceSpecification": (
        "What runs the model: 1 container, or an inference pipeline of 2 to 15 run in order. Immutable. "
        "Optional when adopting (spec.modelPackageArn); if given it must match the adopted version."
    ),
    "ModelPackageRegistrationType": (
        "Registered (a version in the registry) or Logged. Set: git decides and a change is applied; "
        "omitted: left to the registry."
    ),
    "CustomerMetadataProperties": (
        "Key/value metadata (at most 50); keys this object applied and later removed from the spec are "
        "removed from the version, keys added in SageMaker by others are kept."
    ),
    "AdditionalInferenceSpecifications": (
        "Further inference specifications (at most 15), e.g. SageMaker Neo compiled artifacts. Items may be "
        "added after registration; an item, once registered, can be neither changed nor removed."
    ),
    "SourceUri": (
        "URI of the model's source (a model ARN, or a model package ARN to clone). Set: applied on change; "
        "omitted: left as the registry holds it."
    ),
    "ModelCard": (
        "The version's model card: content (JSON of the model package model card schema, one line) and "
        "status. Set: a change is applied; omitted: left to the registry. status.modelCardStatus shows it."
    ),
    "ModelLifeCycle": (
        "Life-cycle stage (e.g. Development, Staging, Production), its status and description. Set: git "
        "decides, and a stage changed in SageMaker is changed back. Omitted: status.modelLifeCycle mirrors "
        "the stage set in SageMaker."
    ),
}

# Lists whose items are told apart by a key (structure shape -> key member, and the message when an item
# registered is changed): the CRD keeps them as list-type maps, so the API server can compare each item
# with its earlier self.
LIST_KEYS: dict[str, tuple[str, str]] = {
    "AdditionalInferenceSpecificationDefinition": (
        "Name",
        "an additional inference specification cannot change once registered: add one under a new name, "
        "or create a new ModelVersion",
    ),
}
