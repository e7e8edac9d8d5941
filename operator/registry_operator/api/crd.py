"""Generate the CRDs from the pydantic models, so the models stay the single source of truth.

Pydantic emits JSON Schema; Kubernetes wants a *structural* OpenAPI v3 schema: no $ref, no anyOf for
optional fields, no patternProperties/propertyNames, no additionalProperties: false. This module does
that transform and moves what structural schemas cannot say (map-key patterns) into CEL rules.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel

from registry_operator.api import cross_account, model_package_group, model_version
from registry_operator.api.common import CATEGORY, ENTITY_NAME_PATTERN, GROUP, VERSION

_DROP = {"title", "$defs"}


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


def _resolve_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return _resolve_refs({**target, **siblings}, defs)
        return {k: _resolve_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, defs) for v in node]
    return node


def _map_key_rule(pattern: str | None, max_length: int | None) -> dict[str, str]:
    checks = []
    if max_length is not None:
        checks.append(f"size(k) <= {max_length}")
    if pattern is not None:
        checks.append(f"k.matches(r'{pattern}')")
    condition = " && ".join(checks)
    detail = f"match {pattern}" if pattern else ""
    if max_length is not None:
        detail = (
            f"{detail} and be at most {max_length} characters"
            if detail
            else f"be at most {max_length} characters"
        )
    return {"rule": f"self.all(k, {condition})", "message": f"every key must {detail}"}


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    any_of = node.pop("anyOf", None)
    if any_of is not None:
        # Optional[X] arrives as anyOf [X, null]; an absent field already means "not set".
        non_null = [s for s in any_of if s.get("type") != "null"]
        if len(non_null) != 1:
            raise ValueError(f"cannot express a union in a structural schema: {any_of}")
        node = {**non_null[0], **node}
    for key in _DROP:
        node.pop(key, None)
    if node.get("default", "unset") is None:
        node.pop("default")
    if node.get("additionalProperties") is False:
        node.pop("additionalProperties")
    pattern_props = node.pop("patternProperties", None)
    names = node.pop("propertyNames", None)
    if pattern_props is not None or names is not None:
        rules = node.setdefault("x-kubernetes-validations", [])
        if pattern_props is not None:
            ((key_pattern, value_schema),) = pattern_props.items()
            node["additionalProperties"] = value_schema
        else:
            key_pattern = None
        names = names or {}
        rules.append(_map_key_rule(names.get("pattern", key_pattern), names.get("maxLength")))
    return {k: _structural(v) for k, v in node.items()}


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _structural(_resolve_refs(raw, raw.get("$defs", {})))


def crd(info: KindInfo) -> dict[str, Any]:
    spec_schema = structural_schema(info.spec_model)
    status_schema = structural_schema(info.status_model)
    # As Flux's own CRDs do: a new object reads as not yet observed (observedGeneration -1), so kstatus
    # and Argo CD show it InProgress, not Current, until the operator's first status write.
    status_schema["default"] = {"observedGeneration": -1}
    root: dict[str, Any] = {
        "type": "object",
        "description": info.description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": status_schema,
        },
    }
    if info.root_rules:
        root["x-kubernetes-validations"] = info.root_rules
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{info.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.kind.lower(),
                "shortNames": info.short_names,
                "categories": [CATEGORY],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": info.printer_columns,
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def render(info: KindInfo) -> str:
    header = "# Generated by `registry-operator crds` from registry_operator/api. Do not edit.\n"
    return header + yaml.safe_dump(crd(info), sort_keys=False, width=120)


def rendered_files() -> dict[str, str]:
    """File name -> content of every CRD, as committed under crds/."""
    return {f"{info.plural}.{GROUP}.yaml": render(info) for info in KINDS}
