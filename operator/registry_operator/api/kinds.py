"""The kinds the operator serves, in one list: the CRDs, kopf's registration, the metrics' kind label and
the Argo CD health checks are all generated from it, so a new kind is one entry here (and its reconciler)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from registry_operator.api import cross_account, model_package_group, model_version
from registry_operator.api.common import ENTITY_NAME_PATTERN, GROUP, VERSION, DeletionPolicy


@dataclass(frozen=True)
class KindInfo:
    kind: str
    plural: str
    short_names: list[str]
    spec_model: type[BaseModel]
    status_model: type[BaseModel]
    description: str
    printer_columns: list[dict[str, Any]]
    root_rules: list[dict[str, str]] = field(default_factory=list)

    @property
    def selector(self) -> tuple[str, str, str]:
        """The kind as kopf selects it: (group, version, plural)."""
        return (GROUP, VERSION, self.plural)

    @property
    def default_deletion_policy(self) -> DeletionPolicy:
        default = self.spec_model.model_fields["deletion_policy"].default
        return DeletionPolicy(default)


def _ready_columns() -> list[dict[str, Any]]:
    return [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {
            "name": "Reason",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Ready")].reason',
            "priority": 1,
        },
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


KINDS: list[KindInfo] = [
    KindInfo(
        kind=model_package_group.KIND,
        plural=model_package_group.PLURAL,
        short_names=model_package_group.SHORT_NAMES,
        spec_model=model_package_group.ModelPackageGroupSpec,
        status_model=model_package_group.ModelPackageGroupStatus,
        description="A SageMaker Model Registry model package group, managed from Kubernetes.",
        printer_columns=[
            {"name": "Group", "type": "string", "jsonPath": ".status.modelPackageGroupName"},
            *_ready_columns(),
            {"name": "ARN", "type": "string", "jsonPath": ".status.modelPackageGroupArn", "priority": 1},
        ],
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
    ),
    KindInfo(
        kind=model_version.KIND,
        plural=model_version.PLURAL,
        short_names=model_version.SHORT_NAMES,
        spec_model=model_version.ModelVersionSpec,
        status_model=model_version.ModelVersionStatus,
        description="One model version registered in the SageMaker Model Registry (CreateModelPackage).",
        printer_columns=[
            {"name": "Group", "type": "string", "jsonPath": ".status.modelPackageGroupName"},
            {"name": "Version", "type": "integer", "jsonPath": ".status.modelPackageVersion"},
            {"name": "Approval", "type": "string", "jsonPath": ".status.approvalStatus"},
            {"name": "Stage", "type": "string", "jsonPath": ".status.modelLifeCycle.stage"},
            *_ready_columns(),
            {"name": "ARN", "type": "string", "jsonPath": ".status.modelPackageArn", "priority": 1},
        ],
    ),
    KindInfo(
        kind=cross_account.KIND,
        plural=cross_account.PLURAL,
        short_names=cross_account.SHORT_NAMES,
        spec_model=cross_account.CrossAccountRegistryAccessSpec,
        status_model=cross_account.CrossAccountRegistryAccessStatus,
        description="Cross-account model registration: resource policies and a KMS grant on both sides.",
        printer_columns=[
            {"name": "Group", "type": "string", "jsonPath": ".spec.modelPackageGroupName"},
            {"name": "Registry", "type": "string", "jsonPath": ".spec.registryAccountId"},
            {"name": "Training", "type": "string", "jsonPath": ".spec.trainingAccountId"},
            *_ready_columns(),
            {"name": "Grant", "type": "string", "jsonPath": ".status.kmsGrantId", "priority": 1},
        ],
    ),
]


def by_kind(kind: str) -> KindInfo:
    return next(info for info in KINDS if info.kind == kind)
