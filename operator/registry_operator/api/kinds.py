"""What the API says of a kind: its names, its spec and status models, its printer columns. Each kind's api
module defines its `INFO` with `kind_info`; the list of kinds the operator serves is
`reconcile.catalogue.MANAGED_KINDS`, from which the CRDs, kopf's registration, the RBAC rules, the metrics'
kind label and the Argo CD health checks are all generated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from registry_operator.api.common import GROUP, VERSION, DeletionPolicy


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


def column(name: str, path: str, type_: str = "string", priority: int = 0) -> dict[str, Any]:
    """One `kubectl get` column; priority 1 shows only with `-o wide`."""
    out: dict[str, Any] = {"name": name, "type": type_, "jsonPath": path}
    if priority:
        out["priority"] = priority
    return out


def kind_info(
    kind: str,
    plural: str,
    short_names: list[str],
    spec_model: type[BaseModel],
    status_model: type[BaseModel],
    description: str,
    columns: list[dict[str, Any]],
    wide_columns: list[dict[str, Any]],
    root_rules: list[dict[str, str]] | None = None,
) -> KindInfo:
    """A kind's API facts: every kind's columns end with Ready, its reason (wide) and Age, then the kind's
    wide columns."""
    ready = '.status.conditions[?(@.type=="Ready")]'
    return KindInfo(
        kind=kind,
        plural=plural,
        short_names=short_names,
        spec_model=spec_model,
        status_model=status_model,
        description=description,
        printer_columns=[
            *columns,
            column("Ready", f"{ready}.status"),
            column("Reason", f"{ready}.reason", priority=1),
            column("Age", ".metadata.creationTimestamp", "date"),
            *wide_columns,
        ],
        root_rules=root_rules or [],
    )
