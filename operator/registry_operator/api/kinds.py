"""The kinds the operator serves, in one list: the CRDs, kopf's registration, the metrics' kind label and
the Argo CD health checks are all generated from it, so a new kind is one entry here (and its reconciler)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
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


def _column(name: str, path: str, type_: str = "string", priority: int = 0) -> dict[str, Any]:
    """One `kubectl get` column; priority 1 shows only with `-o wide`."""
    column: dict[str, Any] = {"name": name, "type": type_, "jsonPath": path}
    if priority:
        column["priority"] = priority
    return column


def _kind(
    module: ModuleType,
    description: str,
    columns: list[dict[str, Any]],
    wide_columns: list[dict[str, Any]],
    root_rules: list[dict[str, str]] | None = None,
) -> KindInfo:
    """A kind from its api module (KIND, PLURAL, SHORT_NAMES, <Kind>Spec, <Kind>Status): every kind's
    columns end with Ready, its reason (wide) and Age, then the kind's wide columns."""
    ready = '.status.conditions[?(@.type=="Ready")]'
    return KindInfo(
        kind=module.KIND,
        plural=module.PLURAL,
        short_names=module.SHORT_NAMES,
        spec_model=getattr(module, f"{module.KIND}Spec"),
        status_model=getattr(module, f"{module.KIND}Status"),
        description=description,
        printer_columns=[
            *columns,
            _column("Ready", f"{ready}.status"),
            _column("Reason", f"{ready}.reason", priority=1),
            _column("Age", ".metadata.creationTimestamp", "date"),
            *wide_columns,
        ],
        root_rules=root_rules or [],
    )


KINDS: list[KindInfo] = [
    _kind(
        model_package_group,
        "A SageMaker Model Registry model package group, managed from Kubernetes.",
        [_column("Group", ".status.modelPackageGroupName")],
        [_column("ARN", ".status.modelPackageGroupArn", priority=1)],
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
    _kind(
        model_version,
        "One model version registered in the SageMaker Model Registry (CreateModelPackage).",
        [
            _column("Group", ".status.modelPackageGroupName"),
            _column("Version", ".status.modelPackageVersion", "integer"),
            _column("Approval", ".status.approvalStatus"),
            _column("Stage", ".status.modelLifeCycle.stage"),
        ],
        [_column("ARN", ".status.modelPackageArn", priority=1)],
    ),
    _kind(
        cross_account,
        "Cross-account model registration: resource policies and a KMS grant on both sides.",
        [
            _column("Group", ".spec.modelPackageGroupName"),
            _column("Registry", ".spec.registryAccountId"),
            _column("Training", ".spec.trainingAccountId"),
        ],
        [_column("Grant", ".status.kmsGrantId", priority=1)],
    ),
]


def by_kind(kind: str) -> KindInfo:
    return next(info for info in KINDS if info.kind == kind)
